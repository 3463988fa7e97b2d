"""Personal data in free text: NIK, phone numbers, e-mail addresses and "nama saya X".

UU 27/2022 (Pelindungan Data Pribadi): a citizen who pastes their NIK or a neighbour's phone number
into a complaint must not see it published. `detect_personal_data` finds the spans; `redact` hides
them for public pages (it replaces portal/redaction.py, same signature); the routing model masks
them before it learns, so it never keys on one person's number.

Precision matters as much as recall: amounts of money, dates, times, RT/RW and postal codes are
ordinary numbers in a complaint and are left alone.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


class Kind:
    NIK = "nik"
    PHONE = "phone"
    EMAIL = "email"
    NAME = "name"
    COORDINATES = "coordinates"


@dataclass(frozen=True)
class Span:
    """One piece of personal data: `text[start:end]` is of `kind`."""

    kind: str
    start: int
    end: int
    text: str


# NIK (and the 16-digit KK number, which has the same shape): 16 digits, sometimes typed in
# groups of four ("1371 0123 4567 8901", with dots or dashes). It never starts with 0 (the first
# two digits are a province code, 11–94), which keeps it apart from a phone number.
_NIK = re.compile(r"(?<![\d])[1-9]\d{3}(?:[ .\-]?\d{4}){3}(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# GPS coordinates typed into a text ("-0.502106, 117.153709"): a home's exact position. Degrees
# with four or more decimals (about 10 m), alone or as a pair; without this their digits were
# half-read as a phone number or a NIK.
_COORDINATES = re.compile(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?:\s*[,;/]?\s*-?\d{1,3}\.\d{4,})?(?![\d])")
# Indonesian phone numbers: +62 / 62 / 0, then 8–12 more digits with spaces, dots, dashes or
# brackets between groups ("0812-3456-7890", "+62 812 3456 7890", "(0751) 123456"). Amounts of
# money do not start with 0 or 62; the digit count (9–15) then rules out dates ("12-03-2026" has
# no leading 0 anyway) and times.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|\(?0)[ \-]?\d{1,4}\)?(?:[ .\-]?\d{2,5}){1,4}(?![\d])")

# "nama saya Budi Santoso", "saya bernama budi", "nama lengkap saya: Siti"; a bare "nama" (or "nama
# pelapor") only when a colon follows ("Nama: Siti Rahma"), since "nama" alone is common in complaints
# ("nama jalan", "nama sekolah"). The name is the next one to four words, stopping at punctuation or
# at a word that starts the rest of the sentence ("dari", "warga", "tinggal", …): informal text often
# has no capitals to go by.
_NAME_INTRO = re.compile(
    r"\b(?:(?:nama\s+(?:lengkap\s+)?saya(?:\s+adalah)?|saya\s+bernama)\s*:?"
    r"|nama(?:\s+(?:lengkap|pelapor))?\s*:)\s*",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*\.?")
_NAME_STOP = frozenset(
    """
    dari warga tinggal beralamat alamat yang di ke dan dengan umur usia selaku sebagai adalah ingin
    mau akan sudah telah pekerjaan mahasiswa pelajar nik no nomor hp telp telepon wa email saya kami
    ini itu tersebut melaporkan mengadukan menyampaikan bertempat berdomisili domisili rt rw jl jalan
    kelurahan desa kecamatan kabupaten kota asal pada tanggal bin binti disamarkan mohon
    """.split()
)  # fmt: skip
_MAX_NAME_WORDS = 4


def _names(text):
    for intro in _NAME_INTRO.finditer(text):
        pos = intro.end()
        start = end = None
        for _i in range(_MAX_NAME_WORDS):
            m = _NAME_WORD.match(text, pos)
            if not m or m.group(0).rstrip(".").lower() in _NAME_STOP:
                break
            start = m.start() if start is None else start
            end = m.end()
            if m.group(0).endswith(".") and len(m.group(0)) > 3:
                end -= 1  # "… Budi." ends the sentence; "Ir." or "H." is a title inside the name
                break
            gap = re.match(r"[ \t]+", text[end:])
            if not gap:
                break
            pos = end + gap.end()
        if start is not None:
            yield Span(Kind.NAME, start, end, text[start:end])


def detect_personal_data(text):
    """Return the spans of personal data in `text`, in reading order, without overlaps."""
    if not text:
        return []
    text = str(text)
    spans = []
    spans += [Span(Kind.NIK, m.start(), m.end(), m.group(0)) for m in _NIK.finditer(text)]
    spans += [Span(Kind.EMAIL, m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]
    spans += [Span(Kind.COORDINATES, m.start(), m.end(), m.group(0)) for m in _COORDINATES.finditer(text)]
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 9 <= len(digits) <= 15:
            spans.append(Span(Kind.PHONE, m.start(), m.end(), m.group(0)))
    spans += list(_names(text))
    # Earlier, then longer, wins: an e-mail address that contains digits is one e-mail, not a phone.
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    kept = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _placeholders():
    return {
        Kind.NIK: _("[NIK disembunyikan]"),
        Kind.PHONE: _("[nomor telepon disembunyikan]"),
        Kind.EMAIL: _("[e-mail disembunyikan]"),
        Kind.NAME: _("[nama disembunyikan]"),
        Kind.COORDINATES: _("[koordinat disembunyikan]"),
    }


def replace_spans(text, spans, replacement):
    """Return `text` with each span replaced by `replacement(span)`."""
    out = []
    last = 0
    for span in spans:
        out.append(text[last : span.start])
        out.append(replacement(span))
        last = span.end
    out.append(text[last:])
    return "".join(out)


def redact(text):
    """Return `text` with NIK, phone numbers, e-mail addresses and introduced names replaced by a label."""
    if not text:
        return ""
    text = str(text)
    spans = detect_personal_data(text)
    if not spans:
        return text  # most texts: no labels to translate
    labels = _placeholders()
    return replace_spans(text, spans, lambda span: labels[span.kind])


def text_for_viewer(text, *, may_see_identity):
    """A report's own text as one viewer reads it: whole for those who may know who reported
    (accounts.access.can_see_identity), with personal data redacted for everyone else, so
    "Nama saya …, NIK …" in an anonymous report reaches only its verifiers."""
    return text if may_see_identity else redact(text or "")


# --- The redacted form stored beside the text (Report.*_public, Event.text_public) -----------------
# Lists and single reads would otherwise run every text through the detector on every read. The
# form is stored in the instance's language (settings.LANGUAGE_CODE); a reader in another language
# gets the same text with the placeholders in theirs. NULL means "not stored" (a row written
# before the column, or by a bulk path that skips save()): then the text is redacted on the read.


# The version of what detect_personal_data finds and how redact labels it. Bump it with every change
# that alters a redaction (a new kind, a wider pattern, a reworded placeholder): the forms stored
# beside reports and events carry the version they were made with, `manage.py store_public_texts
# --apply` derives the reports' older ones again (their public search index follows), and an
# event's older form is redacted again when read (events cannot be updated).
DETECTOR_VERSION = 1


def stored_redaction(text):
    """`redact(text)` in the instance's language: what is stored beside `text`."""
    if not text:
        return ""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return redact(text)
    with translation.override(settings.LANGUAGE_CODE):
        return redact(text)


@lru_cache(maxsize=8)
def _placeholder_pairs(language):
    with translation.override(settings.LANGUAGE_CODE):
        stored = _placeholders()
    with translation.override(language):
        wanted = _placeholders()
    return tuple((stored[kind], wanted[kind]) for kind in stored if stored[kind] != wanted[kind])


def public_form(text, stored, version=None):
    """redact(text) for the active language, from its `stored` form (None, or made by an older
    detector than DETECTOR_VERSION when `version` is given: redact now)."""
    if stored is None or (version is not None and version != DETECTOR_VERSION):
        return redact(text or "")
    if "[" not in stored:
        return stored
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return stored
    for source, target in _placeholder_pairs(language):
        stored = stored.replace(source, target)
    return stored
