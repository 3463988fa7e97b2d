"""Quality checks on a report's text: is it complete, and is it spam, abuse or SARA?

Completeness follows the national SP4N-LAPOR! guidance for writing a report: a complaint says
what happened (apa), where (di mana) and when (kapan), so the agency can act without asking. A
question (permintaan informasi) or a suggestion (aspirasi) only needs the "what". The checks look
at the report's fields first (region, address, map point, incident date) and then for cues in the
text ("Jl. Sudirman", "RT 03", "kemarin pagi", "12 Maret"). They are cheap rules, tuned to miss
little: a verifier reads the message before it is sent.

Flags are hints for the verifier, never a verdict: nothing is hidden or deleted because of them.
Word lists catch the obvious (slurs, gambling adverts, test submissions); the archive model
(learned from which reports this instance's verifiers archived as unclear, irrelevant or SARA)
catches what the lists do not name.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jembatan.triage import text as textprep


@dataclass(frozen=True)
class Missing:
    code: str  # "what", "where", "when"
    label: str  # what to ask for, in the user's language


@dataclass(frozen=True)
class Completeness:
    missing: list
    message: str  # a prefilled request for information, "" when nothing is missing

    @property
    def is_complete(self):
        return not self.missing

    @property
    def codes(self):
        return [m.code for m in self.missing]


WHAT_MIN_WORDS = 8
# Words that say nothing about the problem itself (function words, greetings, placeholders).
_FILLER = textprep.STOPWORDS | frozenset(
    """
    selamat pagi siang sore malam assalamualaikum salam halo hai laporan lapor melaporkan zzpengaduan
    zzinformasi zzaspirasi zznama zztelepon zzemail zznik zzurl
    """.split()
)
_WHERE = re.compile(
    r"\b(?:jl|jln|gang|gg|lorong|kelurahan|kel|desa|kecamatan|kec|kampung|kampuang|nagari|jorong|"
    r"korong|dusun|komplek|kompleks|perumahan|perum|blok|rt|rw|pasar|sekolah|sdn?|smpn?|sman?|smkn?|"
    r"puskesmas|rsud|rumah sakit|kantor|terminal|stasiun|bandara|pelabuhan|masjid|mushola|musala|"
    r"simpang|depan|dekat|samping|seberang|belakang|sebelah|km|kilometer|lokasi|alamat|taman|pantai|"
    r"jembatan|sungai|bundaran|perempatan|pertigaan)\b",
    re.I,
)
# "Jalan Sudirman" names a place; "jalan rusak" or "jalan di depan" does not (the latter has "depan").
_STREET = re.compile(
    r"\bjalan\s+(?!(?:rusak|berlubang|berlobang|licin|gelap|macet|hancur|tergenang|banjir|becek|sempit|"
    r"ditutup|di|yang|ini|itu|tersebut|menuju|ke|dari|utama|umum|raya|kampung|desa|kami|kita|nya|sudah|"
    r"belum|tidak|sangat|sering|masih|baru|lama|rusaknya)\b)[a-z]{3,}",
    re.I,
)
_MONTHS = (
    r"januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    r"jan|feb|mar|apr|jun|jul|agu|agt|ags|sep|sept|okt|nov|nop|des"
)
_WHEN = re.compile(
    r"\b(?:\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{2,4})?|\d{1,2}\s+(?:" + _MONTHS + r")\b|"
    r"(?:" + _MONTHS.split("|jan|")[0] + r")|"
    r"senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|tanggal|tgl|pukul|jam\s*\d|"
    r"pagi|siang|sore|malam|subuh|kemarin|kemaren|tadi|hari ini|sekarang|sejak|semalam|"
    r"(?:sudah|selama|sejak|lebih dari|hampir)\s+\w+\s+(?:hari|minggu|pekan|bulan|tahun)|"
    r"\d+\s*(?:hari|minggu|pekan|bulan|tahun)|beberapa\s+(?:hari|minggu|bulan|tahun)|"
    r"(?:setiap|tiap)\s+(?:hari|malam|pagi|minggu|bulan|tahun)|(?:19|20)\d\d)\b",
    re.I,
)

MISSING_LABELS = {
    "what": gettext_lazy("uraian masalahnya: apa yang terjadi dan apa yang Anda harapkan"),
    "where": gettext_lazy("lokasi kejadian: nama jalan dan nomor atau patokan, kelurahan/desa, kecamatan"),
    "when": gettext_lazy("waktu kejadian: tanggal, dan jam bila ada"),
}


def completeness(report=None, *, text=None, kind="pengaduan"):
    """What a complete report still lacks (what, where, when), with a prefilled request message.

    Give a Report, or a text (then only the text is looked at, as for a complaint of `kind`).
    """
    region_level = incident_date = address = point = None
    if isinstance(report, str):
        report, text = None, report
    if report is not None:
        text = f"{report.title}. {report.description}"
        kind = report.kind
        region_level = report.region.level if report.region_id else None
        incident_date = report.incident_date
        address = (report.address or "").strip()
        point = report.latitude is not None and report.longitude is not None
    words = textprep.words(text or "")
    plain = textprep.strip_markup(text or "")
    missing = []
    content = [w for w in words if w not in _FILLER and len(w) > 2 and not w.isdigit()]
    if len(content) < WHAT_MIN_WORDS:
        missing.append("what")
    if kind == "pengaduan":
        # A region chosen down to the kecamatan or the village is a place; a whole kabupaten is not.
        precise_region = region_level in ("kecamatan", "desa_kelurahan")
        if not (precise_region or address or point or _WHERE.search(plain) or _STREET.search(plain)):
            missing.append("where")
        if not (incident_date or _WHEN.search(plain)):
            missing.append("when")
    items = [Missing(code, str(MISSING_LABELS[code])) for code in missing]
    return Completeness(missing=items, message=request_message(items) if items else "")


def request_message(items):
    """The prefilled message a verifier sends to ask for the missing information (Indonesian first)."""
    from jembatan.reports.sla import policy

    lines = [
        _("Terima kasih atas laporan Anda."),
        _("Agar laporan dapat kami teruskan ke instansi yang berwenang, mohon lengkapi:"),
    ]
    lines += [f"- {item.label}" for item in items]
    lines.append(
        _(
            "Balas melalui halaman laporan Anda. Laporan yang tidak dilengkapi dalam %(days)d hari "
            "dapat diarsipkan."
        )
        % {"days": policy().incomplete_archive_calendar_days}
    )
    return "\n".join(lines)


# --- Flags -----------------------------------------------------------------------------------------


class FlagKind:
    SPAM = "spam"
    ABUSE = "abuse"
    SARA = "sara"
    UNACTIONABLE = "unactionable"  # the archive model: likely to be archived


@dataclass(frozen=True)
class Flag:
    kind: str
    reason: str  # for the verifier, in the user's language
    evidence: list = field(default_factory=list)  # the words that triggered it
    source: str = "words"  # "words" or "model"
    score: float = 1.0


# Insults that are insults wherever they appear (including Minang and Javanese ones).
ABUSE_WORDS = frozenset(
    """
    bangsat bajingan brengsek keparat kampret goblok goblog tolol kontol memek ngentot entot jancuk
    jancok dancok asu bego sialan biadab laknat idiot dungu pantek pukimak cukimai kimak lonte
    pelacur bedebah
    """.split()
)  # fmt: skip
# Words that are ordinary nouns ("anjing liar", "peternakan babi") and an insult only when aimed at
# someone: "dasar babi", "babi kalian", "kayak monyet".
ABUSE_WHEN_AIMED = frozenset("anjing babi monyet setan iblis bodoh binatang kunyuk celeng".split())
_AIMED_BEFORE = frozenset("dasar kayak seperti kaya macam".split())
_PRONOUNS = frozenset("lu lo loe elu kau engkau kamu kalian".split())
# SARA: slurs that need no context, and hostility aimed at a group (suku, agama, ras, antargolongan).
# Place names that are also group names ("Padang", "Jawa Barat", "Kampung Arab") are left out of the
# groups, and words with an everyday meaning ("bau busuk", "dasar hukum") out of the hostile ones.
SARA_WORDS = frozenset("kafir aseng kadrun cebong".split())
SARA_GROUPS = frozenset(
    """
    cina china tionghoa batak minang dayak bugis madura papua ambon keturunan pribumi kristen katolik
    nasrani islam muslim hindu buddha budha konghucu yahudi ahmadiyah syiah
    """.split()
)  # fmt: skip
SARA_HOSTILE = frozenset(
    """
    usir bunuh bantai benci musnahkan hancurkan basmi najis laknat biadab penjajah anjing babi monyet
    kafir antek
    """.split()
)  # fmt: skip
SARA_WINDOW = 4
# Adverts and test submissions.
SPAM_WORDS = frozenset(
    """
    gacor slot maxwin togel deposit depo jackpot scatter promo diskon bonus cashback cuan
    investasi order dijual jual murah klik daftar pinjaman pinjol cair followers
    """.split()
)  # fmt: skip
SPAM_CONTACT = frozenset("zzurl zztelepon wa whatsapp dm inbox link".split())
TEST_WORDS = frozenset("tes test testing tess coba cobacoba percobaan halo hai asdf qwerty abc p ok".split())


def _abuse(words):
    found = [w for w in words if w in ABUSE_WORDS]
    for i, w in enumerate(words):
        if w in ABUSE_WHEN_AIMED:
            before = words[i - 1] if i else ""
            after = words[i + 1] if i + 1 < len(words) else ""
            if before in _AIMED_BEFORE or before in _PRONOUNS or after in _PRONOUNS:
                found.append(w)
    return list(dict.fromkeys(found))


def _sara(words):
    found = [w for w in words if w in SARA_WORDS]
    for i, w in enumerate(words):
        if w in SARA_GROUPS:
            near = words[max(0, i - SARA_WINDOW) : i + SARA_WINDOW + 1]
            hostile = [n for n in near if n in SARA_HOSTILE]
            if hostile:
                found += [w, *hostile]
    return list(dict.fromkeys(found))


def _spam(words):
    if words and set(words) <= TEST_WORDS:
        return list(dict.fromkeys(words))
    promo = [w for w in words if w in SPAM_WORDS]
    contact = [w for w in words if w in SPAM_CONTACT]
    # An advert names something to buy and a way to reach the seller; a complaint *about*
    # online gambling ("mohon blokir situs judi slot") usually has no contact to follow.
    if len(set(promo)) >= 2 and contact:
        return list(dict.fromkeys(promo + contact))
    # One word over and over ("tolong tolong tolong …") or no real words at all.
    if len(words) >= 6 and max(words.count(w) for w in set(words)) / len(words) > 0.6:
        return [max(set(words), key=words.count)]
    return []


def word_flags(text):
    """The flags the word lists raise for `text`."""
    words = textprep.words(text or "")
    flags = []
    if evidence := _spam(words):
        flags.append(Flag(FlagKind.SPAM, _("Tampak seperti iklan, uji coba, atau teks acak."), evidence))
    if evidence := _abuse(words):
        flags.append(Flag(FlagKind.ABUSE, _("Mengandung kata kasar atau makian."), evidence))
    if evidence := _sara(words):
        flags.append(Flag(FlagKind.SARA, _("Mungkin mengandung unsur SARA."), evidence))
    return flags
