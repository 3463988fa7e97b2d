"""About 300 demo reports in the demo province, each with a real history over the past 90 days.

`manage.py seed_demo_reports` (and seed_demo) call `build_demo_reports()` after `seed_demo` has
built the province. Nothing here writes a Report, Disposition or Event row itself: every step of a
report's history is a call to the action in reports/actions.py that an officer or a citizen would
trigger, made at the moment the history says (time-machine moves the clock there), and the SLA
sweep runs every simulated hour in between, exactly as the Huey worker runs it. So the timelines,
deadlines, escalations, system closings/archivings and `next_check_at` are the product's own.

The plan is made first, from one seeded random.Random: which text, reporter, channel, scenario
(the status a report ends in, and the detours on the way: information requested, disposed to the
wrong office and returned or forwarded, a liaison assigned, a reporter not satisfied with the
answer, a rating, a duplicate merged) and when each step happens, counted back from today. Then all
steps of all reports run in time order. The same seed gives the same titles and statuses in the
same order (`external_id` demo-0001, …); tracking numbers and access codes are random by design.

Statuses never depend on luck: a step is planned so that the sweep cannot overtake it (a reporter
closes within days of the answer, long before the 10-working-day automatic close; an answer meant
to be closed by the system is at least 30 days old, which holds 10 working days even around
Lebaran), and `build_demo_reports` checks at the end that every report reached its planned status.

Notifications are written to the outbox like any other; in development the Huey worker delivers
them later (to the file e-mail backend and the dev SMS/WhatsApp providers), nothing is sent while
seeding.
"""

import datetime as dt
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.models import User
from jembatan.directory.models import Agency, AgencyKind, Category, Region
from jembatan.directory.routing import propose_agency
from jembatan.ops.demo import CITY_AGENCY, DEMO_PEOPLE, PROVINCE_AGENCY, DemoError
from jembatan.reports import actions
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    ArchiveReason,
    Channel,
    Classification,
    ReceivedVia,
    Report,
    ReportType,
    Status,
)
from jembatan.reports.sla import JAKARTA, WorkingCalendar
from jembatan.reports.sweep import run_sla_sweep

DEMO_SOURCE = "demo"  # Report.source_instance of every demo report: how a second run knows to stop
TEXTS_FILE = Path(__file__).resolve().parent / "data" / "demo_texts.json"
HISTORY_DAYS = 90
SWEEP_EVERY = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)
CITIZEN = "citizen"
STAFF = "staff"
# How the reports officers record reached them, in turn.
OFFICER_INTAKE = (ReceivedVia.TELEPON, ReceivedVia.DATANG_LANGSUNG, ReceivedVia.SURAT, ReceivedVia.TELEPON)


# --- Scenarios -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    status: str  # where the report ends
    weight: int  # share when filling up to `count`
    needs_worker: bool  # an office must work the disposition (not a national body nobody here staffs)
    detours: tuple = ()  # the detours this scenario may take


_WORK = ("info_round", "slow_verification", "returned", "forwarded", "liaison", "joint", "support")
SCENARIOS = {
    s.name: s
    for s in [
        Scenario("fresh", Status.BELUM_TERVERIFIKASI, 5, False),
        Scenario("verification_overdue", Status.BELUM_TERVERIFIKASI, 4, False, ("info_round",)),
        Scenario("awaiting_information", Status.MENUNGGU_KELENGKAPAN, 4, False),
        Scenario("disposed", Status.TERDISPOSISI, 5, False, ("info_round", "liaison", "support")),
        Scenario(
            "first_response_overdue",
            Status.TERDISPOSISI,
            4,
            False,
            ("slow_verification", "liaison", "support"),
        ),
        Scenario("in_progress", Status.DIPROSES, 7, True, (*_WORK, "reply_round")),
        Scenario("answered", Status.SELESAI, 7, True, (*_WORK, "reply_round", "rating")),
        Scenario("closed_by_reporter", Status.DITUTUP_PELAPOR, 8, True, (*_WORK, "reply_round", "rating")),
        Scenario("closed_by_system", Status.DITUTUP_SISTEM, 8, True, (*_WORK, "rating")),
        Scenario("closed_by_admin", Status.DITUTUP_ADMIN, 3, False, ("slow_verification", "support")),
        Scenario("archived_by_admin", Status.DIARSIPKAN_ADMIN, 4, False, ("info_round",)),
        Scenario("archived_by_system", Status.DIARSIPKAN_SISTEM, 3, False),
        Scenario("withdrawn", Status.DIARSIPKAN_PELAPOR, 2, False),
        Scenario("duplicate", Status.DIARSIPKAN_ADMIN, 2, False),
        # Sent again a day or so ago and not noticed yet: the verifier finds it in the queue with its
        # original under "Laporan serupa" (only from the "every scenario once" round: weight 0).
        Scenario("duplicate_unnoticed", Status.BELUM_TERVERIFIKASI, 0, False),
    ]
}
DUPLICATE_SCENARIOS = ("duplicate", "duplicate_unnoticed")
# The last days bring a surge of one kind of complaint (blanko e-KTP habis, antrean Disdukcapil):
# fresh and just-disposed reports of this category, so the dashboards' "what is rising" has a story.
BURST_CATEGORY = "963"  # Administrasi Kependudukan dan Pencatatan Sipil
BURST_SCENARIOS = ("fresh", "disposed")
BURST_SIZE = 9
# Every scenario once, then these detours at least once each, before the weighted fill.
GUARANTEED = [
    ("in_progress", ("returned", "liaison")),
    ("answered", ("forwarded", "rating")),
    ("closed_by_reporter", ("info_round", "rating", "support")),
    ("closed_by_system", ("slow_verification", "rating")),
    ("answered", ("reply_round", "joint")),
    ("in_progress", ("reply_round",)),
    ("duplicate", ()),
]
DETOUR_CHANCE = {
    "info_round": 0.15,
    "slow_verification": 0.2,
    "returned": 0.08,
    "forwarded": 0.08,
    "liaison": 0.5,
    "joint": 0.06,
    "support": 0.25,
    "reply_round": 0.12,
    "rating": 0.6,
}
# The office that works a report together with the routed one (a joint disposition), by category group.
JOINT_PARTNERS = {
    "G-INFRA": "dinas-perhubungan",
    "G-PERHUBUNGAN": "satpol-pp",
    "G-TRANTIBUM": "dinas-perhubungan",
    "G-LINGKUNGAN": "satpol-pp",
    "G-KESEHATAN": "dinas-sosial",
    "G-SOSIAL": "dinas-kesehatan",
    "G-PENDIDIKAN": "dinas-sosial",
    "G-AIR": "dinas-pupr",
}
# The scenarios a duplicate's original may have: still open, or closed, never archived.
ORIGINAL_SCENARIOS = (
    "in_progress",
    "answered",
    "closed_by_reporter",
    "closed_by_system",
    "first_response_overdue",
)


# --- What people write -------------------------------------------------------------------------------

GUEST_NAMES = [
    "Andi Saputra", "Rini Marlina", "Fauzan Akbar", "Nurhayati", "Zulkifli", "Yusrizal", "Dedi Irawan",
    "Yuliani Putri", "Hendra Gunawan", "Novita Sari", "Afrizal", "Rika Amelia", "Syahrul Ramadhan",
    "Wulan Dari", "Roni Chandra", "Mira Susanti", "Fikri Hamdani", "Sri Wahyuni", "Irfan Maulana",
    "Desmawati", "Budi Kurniawan", "Lia Oktaviani", "Arif Rahman", "Nelly Fitri", "Yudi Pratama",
    "Ratna Dewi", "Fitri Handayani", "Doni Saputra", "Eka Putri", "Rudi Hartono", "Vivi Anggraini",
    "Taufik Hidayat", "Siska Amelia", "Zainal Abidin", "Maya Sari", "Nurul Aini", "Ilham Fadillah",
    "Hafiz Maulana", "Yenny Marlinda", "Aldi Firmansyah", "Suci Ramadhani", "Dian Permata",
]  # fmt: skip
PHONE_PREFIXES = ["0811", "0812", "0813", "0821", "0822", "0852", "0853", "0877", "0878", "0895", "0896"]
CHANNELS = [
    (Channel.WEB, 34), (Channel.ANDROID, 20), (Channel.WHATSAPP, 14), (Channel.SMS, 10),
    (Channel.EMAIL, 10), (Channel.OFFICER, 12),
]  # fmt: skip

INSTRUCTIONS = [
    "Mohon ditindaklanjuti sesuai kewenangan dan hasilnya disampaikan kepada pelapor.",
    "Mohon dicek ke lokasi dan dilaporkan tindak lanjutnya paling lambat sesuai batas waktu.",
    "Mohon dikoordinasikan dengan camat dan lurah setempat.",
    "Laporan serupa sudah beberapa kali masuk. Mohon segera ditangani.",
    "Mohon diverifikasi di lapangan; bila bukan kewenangan, kembalikan dengan alasannya.",
]
INFORMATION_REQUESTS = [
    "Mohon lengkapi alamat lokasi kejadian (nama jalan, RT/RW atau patokan terdekat) dan lampirkan foto "
    "bila ada.",
    "Mohon jelaskan kapan kejadian ini terjadi dan kantor atau petugas mana yang Saudara maksud.",
    "Laporan Saudara belum menyebutkan lokasi yang jelas. Mohon sebutkan nama jalan atau patokan terdekat.",
    "Mohon sertakan nomor pendaftaran atau nomor berkas yang Saudara ajukan agar dapat kami telusuri.",
]
INFORMATION_ANSWERS = [
    "Lokasinya di depan masjid, RT 02/RW 04, dekat simpang. Foto menyusul lewat aplikasi.",
    "Kejadiannya sejak awal bulan ini, setiap hari pagi dan sore.",
    "Nomor berkas sudah saya tanyakan ke petugas kelurahan, katanya masih diproses tapi tanpa kepastian.",
    "Alamat lengkapnya di samping warung nasi, RT 03/RW 01, masuk gang sekitar 50 meter.",
]
RETURN_REASONS = [
    "Bukan kewenangan kami: lokasi dan pokok masalah ini ditangani {agency}. Mohon didisposisikan ulang.",
    "Setelah dicek, urusan ini merupakan kewenangan {agency}, bukan instansi kami.",
]
FORWARD_REASONS = [
    "Dilimpahkan ke {agency} yang berwenang dan lebih dekat dengan lokasi.",
    "Pokok masalah merupakan tugas {agency}; kami limpahkan agar ditangani langsung.",
]
ANSWERS = {
    "G-INFRA": [
        "Terima kasih atas laporannya. Tim UPTD pemeliharaan sudah meninjau lokasi dan melakukan penambalan "
        "pada bagian yang rusak. Perbaikan menyeluruh dijadwalkan dalam anggaran perubahan tahun ini.",
        "Petugas sudah turun ke lokasi dan membersihkan saluran yang tersumbat. Kondisi akan kami pantau "
        "kembali saat hujan deras.",
        "Lokasi sudah kami survei. Perbaikan masuk daftar prioritas pemeliharaan bulan depan; sementara ini "
        "sudah dipasang rambu peringatan.",
    ],
    "G-AIR": [
        "Gangguan disebabkan perbaikan pipa transmisi. Aliran air sudah normal kembali sejak kemarin sore. "
        "Mohon maaf atas ketidaknyamanannya.",
        "Petugas sudah memeriksa meteran dan sambungan ke rumah Saudara; kebocoran pada pipa dinas sudah "
        "diperbaiki.",
    ],
    "G-KESEHATAN": [
        "Kami sudah berkoordinasi dengan pimpinan fasilitas kesehatan. Alur antrean sudah dibenahi dan "
        "petugas yang bersangkutan sudah diberi pembinaan.",
        "Terima kasih atas masukannya. Petugas pendaftaran pada jam sibuk sudah ditambah dan papan informasi "
        "alur layanan sudah dipasang.",
    ],
    "G-PENDIDIKAN": [
        "Dinas sudah memanggil kepala sekolah yang bersangkutan. Pungutan tersebut tidak dibenarkan dan dana "
        "yang sudah dibayarkan akan dikembalikan kepada orang tua siswa.",
        "Daftar penerima bantuan pendidikan dapat dicek di sekolah masing-masing; sekolah sudah kami minta "
        "mengumumkannya secara terbuka.",
    ],
    "G-ADMINDUK": [
        "KTP-el Saudara sudah dicetak dan dapat diambil di kantor Disdukcapil dengan membawa bukti "
        "perekaman. Stok blangko sudah tersedia kembali.",
        "Data Saudara sudah kami perbaiki. Kartu Keluarga terbaru dapat dicetak mandiri atau diambil di "
        "kantor kecamatan.",
    ],
    "G-LINGKUNGAN": [
        "Petugas sudah mengangkut tumpukan sampah dan memasang papan larangan membuang sampah. Pengawasan di "
        "lokasi akan ditingkatkan.",
        "Tim pengawas sudah memeriksa usaha yang dilaporkan dan memberikan teguran tertulis agar memperbaiki "
        "pengelolaan limbahnya.",
    ],
    "G-TRANTIBUM": [
        "Satpol PP sudah melakukan penertiban di lokasi dan pembinaan kepada pedagang. Patroli rutin akan "
        "dilakukan agar pelanggaran tidak berulang.",
    ],
    "G-PERHUBUNGAN": [
        "Petugas sudah ditempatkan di lokasi pada jam sibuk dan parkir liar sudah ditertibkan. Juru parkir "
        "resmi wajib memberikan karcis.",
        "Lampu lalu lintas di persimpangan tersebut sudah diperbaiki dan durasinya sudah diatur ulang.",
    ],
    "G-SOSIAL": [
        "Data yang Saudara laporkan sudah kami periksa di DTKS. Usulan pemutakhiran sudah diajukan melalui "
        "kelurahan dan akan diverifikasi pada periode berikutnya.",
    ],
    "G-APARATUR": [
        "Laporan sudah kami teruskan kepada atasan langsung pegawai yang bersangkutan untuk pembinaan. "
        "Terima kasih telah membantu menegakkan disiplin ASN.",
    ],
}
DEFAULT_ANSWERS = [
    "Terima kasih atas laporan Saudara. Petugas sudah meninjau lokasi dan berkoordinasi dengan pihak "
    "terkait; hasilnya akan terus kami pantau.",
]
INFORMATION_ANSWER = (
    "Terima kasih atas pertanyaannya. Persyaratan dan alur layanan dapat dilihat di papan informasi kantor "
    "dan situs resmi pemerintah daerah. Untuk keperluan Saudara, silakan datang ke loket pelayanan dengan "
    "membawa KTP-el dan KK asli; petugas kami akan membantu."
)
REPLIES = [
    "Sampai hari ini belum ada perubahan di lokasi, mohon dicek kembali.",
    "Perbaikannya hanya tambal sementara dan sekarang sudah rusak lagi.",
    "Terima kasih, tetapi masalahnya belum selesai. Mohon ditinjau ulang.",
]
RATINGS = [(5, 35), (4, 30), (3, 15), (2, 10), (1, 10)]
RATING_COMMENTS = {
    5: ["Terima kasih, sudah ditangani dengan cepat.", "Mantap, sudah beres. Terima kasih petugas."],
    4: ["Sudah ditangani, semoga dipelihara terus.", "Terima kasih, cukup cepat."],
    3: ["Sudah ada tindakan, tapi agak lama.", ""],
    2: ["Tanggapannya lambat dan belum tuntas."],
    1: ["Tidak ada perubahan di lapangan."],
}
ADMIN_CLOSE_NOTES = [
    "Permasalahan sudah selesai ditangani langsung oleh petugas lapangan; laporan ditutup.",
    "Pelapor mengonfirmasi lewat telepon bahwa masalahnya sudah selesai.",
]
ARCHIVE_REASONS = [
    ("tidak-jelas", "Isi laporan tidak jelas dan pelapor tidak melengkapi keterangan."),
    ("tidak-memiliki-bukti-dukung", "Tidak ada bukti dukung yang dapat diverifikasi."),
    ("tidak-relevan", "Isi laporan tidak berkaitan dengan kinerja pemerintah daerah."),
    ("bukan-pelayanan-publik", "Permasalahan antarwarga, bukan pelayanan publik."),
]
WITHDRAW_NOTES = [
    "Masalahnya sudah selesai, terima kasih.",
    "Salah kirim, akan saya laporkan ulang dengan lengkap.",
]


# --- The plan ---------------------------------------------------------------------------------------------


@dataclass
class Step:
    kind: str
    who: str  # CITIZEN or STAFF: staff act in office hours on working days
    offset: float  # days after submission, before placing the plan in time
    at: dt.datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Plan:
    number: int
    scenario: Scenario
    detours: set
    text: dict
    channel: str
    reporter: str  # "warga" (the demo citizen) or "guest"
    guest_name: str = ""
    guest_email: str = ""
    guest_phone: str = ""
    is_anonymous: bool = False
    is_confidential: bool = False
    ombudsman_consent: bool = False
    use_target: bool = False
    classification: str = ""
    original: "Plan | None" = None
    steps: list = field(default_factory=list)
    incident_days: int | None = None
    address: str = ""

    @property
    def external_id(self):
        return f"demo-{self.number:04d}"


@dataclass
class DemoReportsSummary:
    created: int = 0
    existing: int = 0
    by_status: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def load_texts(path=TEXTS_FILE):
    """The shipped report texts (see data/README.md)."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


class _Planner:
    """Turn (seed, count, now) into plans: scenario, text, people, and the moment of every step."""

    def __init__(self, *, rng, world, texts, end):
        self.rng = rng
        self.world = world
        self.texts = texts
        self.end = end
        # Histories are counted back from the start of today, not from this very minute, so the
        # order of the reports never depends on the hour the demo is built (a report planned for
        # the night moves to the morning, and which ones those are would change with the hour).
        self.base = end.astimezone(JAKARTA).replace(hour=0, minute=0, second=0, microsecond=0)
        self.calendar = world.calendar

    def scenarios(self, count):
        rng = self.rng
        chosen = [(name, ()) for name in SCENARIOS] + list(GUARANTEED)
        names, weights = zip(*((s.name, s.weight) for s in SCENARIOS.values()), strict=True)
        while len(chosen) < count:
            chosen.append((rng.choices(names, weights=weights)[0], ()))
        chosen = chosen[:count]
        if not any(name in ORIGINAL_SCENARIOS for name, _d in chosen):
            # Too few reports for a duplicate to have an original: a fresh report instead.
            chosen = [("fresh", ()) if name in DUPLICATE_SCENARIOS else (name, d) for name, d in chosen]
        rng.shuffle(chosen)
        return chosen

    def plans(self, count):
        rng = self.rng
        chosen = self.scenarios(count)
        order = list(range(len(self.texts)))
        rng.shuffle(order)
        queue = order * (count // len(order) + 1)
        burst_left = max(0, min(BURST_SIZE, count // 30))
        plans = []
        for number, (name, forced) in enumerate(chosen, start=1):
            scenario = SCENARIOS[name]
            detours = set(forced) | {
                d for d in scenario.detours if d not in forced and rng.random() < DETOUR_CHANCE[d]
            }
            text = None
            if name not in DUPLICATE_SCENARIOS:
                pick = None
                if name in BURST_SCENARIOS and burst_left:
                    # A surge of one kind of complaint in the last days, for "what is rising".
                    pick = next(
                        (
                            i
                            for i, t in enumerate(queue)
                            if self.texts[t]["category"] == BURST_CATEGORY
                            and self._fits(self.texts[t], scenario, detours)
                        ),
                        None,
                    )
                    burst_left -= pick is not None
                if pick is None:
                    pick = next(
                        (i for i, t in enumerate(queue) if self._fits(self.texts[t], scenario, detours)), None
                    )
                if pick is None:  # only national bodies left, which nobody here works: they wait
                    pick, scenario, detours = 0, SCENARIOS["first_response_overdue"], set()
                text = self.texts[queue.pop(pick)]
            plans.append(self._people(Plan(number=number, scenario=scenario, detours=detours, text=text,
                                           channel="", reporter="")))  # fmt: skip
        for plan in plans:
            if plan.text is not None:
                self._timeline(plan)
        # A duplicate repeats an original sent at least a week ago (so there is time to notice it).
        week_ago = self.base - 7 * DAY
        candidates = [p for p in plans if p.scenario.name in ORIGINAL_SCENARIOS and p.steps]
        originals = [p for p in candidates if p.steps[0].at <= week_ago] or candidates
        for plan in plans:
            if plan.text is None:
                plan.original = rng.choice(originals)
                plan.text = plan.original.text
                self._timeline(plan)
                self._after_original(plan)
        # Report numbers follow the order of submission, so demo-0001 is the oldest report.
        plans.sort(key=lambda p: (p.steps[0].at, p.number))
        for number, plan in enumerate(plans, start=1):
            plan.number = number
        return plans

    def _fits(self, text, scenario, detours):
        routes = self.world.routes(text)
        if scenario.needs_worker and routes.worker is None:
            return False
        if detours & {"returned", "forwarded"} and routes.wrong is None:
            return False
        if "joint" in detours and routes.second is None:
            return False
        return True

    def _people(self, plan):
        rng = self.rng
        # The first reports take every channel once, so even a small demo shows them all.
        channels = [channel for channel, _weight in CHANNELS]
        weighted = _weighted(rng, CHANNELS)
        plan.channel = channels[plan.number - 1] if plan.number <= len(channels) else weighted
        registered = plan.channel in (Channel.WEB, Channel.ANDROID) and rng.random() < 0.4
        plan.reporter = "warga" if registered else "guest"
        plan.guest_name = rng.choice(GUEST_NAMES)
        first, _space, last = plan.guest_name.lower().partition(" ")
        plan.guest_email = f"{first}.{last or 'sumbar'}{rng.randint(1, 99)}@example.id"
        plan.guest_phone = rng.choice(PHONE_PREFIXES) + "".join(str(rng.randint(0, 9)) for _i in range(8))
        if plan.channel in (Channel.SMS, Channel.WHATSAPP, Channel.OFFICER):
            plan.guest_email = ""
        elif plan.channel == Channel.EMAIL or rng.random() < 0.6:
            plan.guest_phone = ""
        plan.is_anonymous = rng.random() < 0.12 or plan.number == 2
        plan.is_confidential = (rng.random() < 0.08 or plan.number == 3) and "support" not in plan.detours
        plan.ombudsman_consent = rng.random() < 0.3
        plan.use_target = rng.random() < 0.3
        plan.incident_days = rng.randint(0, 14) if rng.random() < 0.6 else None
        kind = plan.text["kind"] if plan.text else ReportType.PENGADUAN
        if kind == ReportType.ASPIRASI:
            plan.classification = Classification.ASPIRASI
        elif kind == ReportType.PERMINTAAN_INFORMASI:
            plan.classification = Classification.PERMINTAAN_INFORMASI
        elif (plan.text and plan.text["category"] == "1559") or rng.random() < 0.12:
            plan.classification = Classification.PENGADUAN_BERKADAR_PENGAWASAN
        else:
            plan.classification = Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
        return plan

    # The steps of each scenario, as offsets in days after submission; then the whole history is
    # shifted so that its anchor step (the one the final status depends on) lands in a window of
    # days before now.
    def _timeline(self, plan):
        rng, d, name = self.rng, plan.detours, plan.scenario.name
        steps = [Step("submit", CITIZEN, 0.0)]

        def add(kind, who, lo, hi, **extra):
            steps.append(Step(kind, who, steps[-1].offset + rng.uniform(lo, hi), extra=extra))
            return len(steps) - 1

        def verification():
            if "info_round" in d:
                add("request_info", STAFF, 0.1, 1.5)
                add("complete_info", CITIZEN, 0.2, 4)
            late = "slow_verification" in d
            add("verify", STAFF, *((4, 8) if late else (0.05, 2)))

        def disposal():
            # Disposed to the wrong office first: it returns the report (bukan wewenang) and the
            # verifier disposes again, or it forwards the report itself (pelimpahan).
            returned, forwarded = "returned" in d, "forwarded" in d and "returned" not in d
            add("dispose", STAFF, 0.0, 0.02, target="wrong" if returned or forwarded else "right")
            if returned:
                add("return", STAFF, 0.3, 3)
                add("dispose", STAFF, 0.2, 2, target="right")
            if forwarded:
                add("forward", STAFF, 0.3, 3)
            if "liaison" in d and self.world.routes(plan.text).liaison is not None:
                add("assign", STAFF, 0.02, 1)
            if "support" in d and plan.reporter != "warga":  # nobody supports their own report
                add("support", CITIZEN, 0.1, 3)

        def work():
            add("start", STAFF, 0.2, 4)
            return add("answer", STAFF, 1, 9)

        if name == "fresh":
            anchor, window = 0, (0.1, 1.8)
        elif name == "verification_overdue":
            if "info_round" in d:
                add("request_info", STAFF, 0.1, 1.5)
                add("complete_info", CITIZEN, 0.2, 4)
            anchor, window = 0, (8, 45)
        elif name == "awaiting_information":
            anchor, window = add("request_info", STAFF, 0.1, 2.5), (1, 25)
        elif name == "archived_by_system":
            anchor, window = add("request_info", STAFF, 0.1, 2.5), (40, 85)
        elif name == "archived_by_admin":
            if "info_round" in d:
                add("request_info", STAFF, 0.1, 1.5)
                add("complete_info", CITIZEN, 0.2, 4)
            code, note = rng.choice(ARCHIVE_REASONS)
            anchor, window = add("archive", STAFF, 0.1, 2.5, reason=code, note=note), (0.5, 80)
        elif name == "withdrawn":
            anchor, window = add("withdraw", CITIZEN, 0.05, 2, note=rng.choice(WITHDRAW_NOTES)), (1, 70)
        elif name == "duplicate":
            anchor, window = add("mark_duplicate", STAFF, 0.3, 2), (0, 0)  # placed after its original
        elif name == "duplicate_unnoticed":
            anchor, window = 0, (0, 0)  # placed by _after_original
        elif name in ("disposed", "first_response_overdue"):
            verification()
            disposal()
            anchor = next(i for i, s in enumerate(steps) if s.kind == "dispose")
            window = (0.2, 4) if name == "disposed" else (14, 60)
        elif name == "closed_by_admin":
            verification()
            disposal()
            anchor = add("close_admin", STAFF, 1, 15, note=rng.choice(ADMIN_CLOSE_NOTES))
            window = (0.5, 75)
        else:  # the scenarios where an office works the report
            verification()
            disposal()
            answer = work()
            if "reply_round" in d:
                add("reply", CITIZEN, 0.2, 3, text=rng.choice(REPLIES))
                if name == "in_progress":
                    anchor, window = len(steps) - 1, (0.5, 30)
                else:
                    answer = add("answer", STAFF, 1, 5)
            if name == "in_progress" and "reply_round" not in d:
                steps.pop()  # started, not answered yet
                anchor, window = len(steps) - 1, (0.5, 60)
            elif name == "answered":
                anchor, window = answer, (0.3, 8)
            elif name == "closed_by_system":
                anchor, window = answer, (30, 85)
            elif name == "closed_by_reporter":
                anchor, window = answer, (3, 80)
            if "rating" in d and name != "in_progress":
                rating = _weighted(rng, RATINGS)
                add("rate", CITIZEN, 0.1, 2, rating=rating, comment=rng.choice(RATING_COMMENTS[rating]))
            if name == "closed_by_reporter":
                add("close_reporter", CITIZEN, 0.05, 2)
        for step in steps:
            step.extra.setdefault("pick", rng.random())  # for choices made when the step runs
        plan.steps = steps
        days_ago = rng.uniform(*window)
        self._place(
            plan, anchor, self.base - dt.timedelta(days=days_ago) - dt.timedelta(days=steps[anchor].offset)
        )
        plan.address = self._address(plan)

    def _after_original(self, plan):
        """A duplicate: sent a few days after its original, merged into it by the verifier; or, not
        noticed yet, sent again in the last day or two."""
        if plan.scenario.name == "duplicate_unnoticed":
            submitted = self.base - dt.timedelta(days=self.rng.uniform(0.2, 1.5))
        else:
            submitted = plan.original.steps[0].at + dt.timedelta(days=self.rng.uniform(1, 5))
        self._place(plan, 0, submitted)

    def _place(self, plan, anchor, start):
        """Put the steps in time: working hours for staff, waking hours for citizens, in order, all past."""
        # Not before HISTORY_DAYS ago to the minute: the moves below only go forward in time.
        earliest = self.end - dt.timedelta(days=HISTORY_DAYS)
        start = max(start, earliest)
        previous = None
        for step in plan.steps:
            moment = start + dt.timedelta(days=step.offset)
            if step.who == STAFF:
                moment = self._office(moment, step.extra["pick"])
            elif step.kind == "submit" and plan.channel == Channel.OFFICER:
                moment = self._desk(moment)
            else:
                moment = self._awake(moment)
            if previous is not None and moment <= previous:
                moment = previous + dt.timedelta(minutes=3 + int(step.extra["pick"] * 40))
            step.at = moment
            previous = moment
        # The anchors are placed with days to spare, so this only trims minutes off the last steps.
        limit = self.end - MINUTE
        for index, step in enumerate(reversed(plan.steps)):
            step.at = min(step.at, limit - index * MINUTE)

    @staticmethod
    def _awake(moment):
        """Citizens write between 06:00 and 23:00; a step planned in the night moves to the morning."""
        local = moment.astimezone(JAKARTA)
        if local.hour < 6:
            return local.replace(hour=6)
        if local.hour >= 23:
            return (local + DAY).replace(hour=6)
        return moment

    @staticmethod
    def _desk(moment):
        """A citizen's report recorded by an officer at the desk: between 08:00 and 16:00.

        By the hour only, not the working-day calendar, so the order of submissions stays the same
        whatever day the demo is built (the officer's later steps do follow the calendar).
        """
        local = moment.astimezone(JAKARTA)
        if local.hour < 8:
            return local.replace(hour=8)
        if local.hour >= 16:
            return (local + DAY).replace(hour=8)
        return moment

    def _office(self, moment, pick):
        """The next moment in office hours (08:00–16:00 on a working day), unless that is in the future."""
        local = moment.astimezone(JAKARTA)
        day = local.date()
        if self.calendar.is_working_day(day) and 8 <= local.hour < 16:
            return moment
        if not (self.calendar.is_working_day(day) and local.hour < 8):
            day += DAY
            while not self.calendar.is_working_day(day):
                day += DAY
        opening = dt.datetime.combine(day, dt.time(8, 0), tzinfo=JAKARTA) + dt.timedelta(
            minutes=int(pick * 150)
        )
        return moment if opening >= self.end else opening

    def _address(self, plan):
        region = plan.text["region"]
        if region.count(".") < 3 or self.rng.random() < 0.5:
            return ""
        return f"RT {self.rng.randint(1, 12):03d}/RW {self.rng.randint(1, 8):03d}"


# --- The world the demo stands on -------------------------------------------------------------------------


@dataclass(frozen=True)
class Routes:
    agency: Agency  # where the verifier disposes the report
    worker: User | None  # who works a disposition there
    liaison: User | None  # a penghubung a coordinator can assign there
    wrong: Agency | None  # a sibling office it may go to by mistake (with someone to return it)
    second: Agency | None  # a second office for a joint disposition


class _World:
    """The demo province as seed_demo left it: users, agencies, categories, regions."""

    def __init__(self, texts):
        self.calendar = WorkingCalendar.load()
        usernames = [person.username for person in DEMO_PEOPLE]
        users = {user.username: user for user in User.objects.filter(username__in=usernames)}
        missing = sorted(set(usernames) - set(users))
        agencies = {a.code: a for a in Agency.objects.filter(is_active=True).select_related("parent")}
        if missing or PROVINCE_AGENCY not in agencies or CITY_AGENCY not in agencies:
            raise DemoError(_("Provinsi demo belum ada. Jalankan dulu: manage.py seed_demo"))
        self.users = users
        self.agencies = agencies
        self.categories = {c.code: c for c in Category.objects.select_related("parent")}
        codes = {text["region"] for text in texts}
        self.regions = Region.objects.in_bulk(codes)
        unknown = sorted(codes - set(self.regions) - {""})
        if unknown:
            raise DemoError(
                _(
                    "Data wilayah belum dimuat (tidak ada kode %(codes)s). "
                    "Jalankan dulu: manage.py load_regions"
                )
                % {"codes": ", ".join(unknown[:5])}
            )
        missing_categories = sorted({text["category"] for text in texts} - set(self.categories))
        if missing_categories:
            raise DemoError(_("Kategori belum dimuat. Jalankan dulu: manage.py load_categories"))
        self.citizen = users["warga.demo"]
        # Staff in a fixed order, the most local scope first, so the same person always acts.
        staff = [users[p.username] for p in DEMO_PEOPLE if p.role is not None]
        self.staff = sorted(staff, key=lambda u: (-self._depth(u), u.username))
        self.reasons = {r.code: r for r in ArchiveReason.objects.all()}
        self._routes = {}

    @staticmethod
    def _depth(user):
        depths = [r.agency.path.count("/") for r in access.roles_of(user) if r.agency_id]
        return max(depths, default=0)

    def _first(self, predicate):
        return next((user for user in self.staff if predicate(user)), None)

    def worker(self, agency):
        """Who works a disposition to `agency`: its penghubung, else the nearest admin above it."""
        liaison = self.liaison(agency)
        return liaison or self._first(lambda u: access.can(u, Action.FOLLOW_UP, agency))

    def liaison(self, agency):
        return self._first(lambda u: access.is_eligible_liaison(u, agency))

    def coordinator(self, agency):
        return self._first(lambda u: access.can(u, Action.ASSIGN_LIAISON, agency))

    def verifier(self, report):
        return self._first(lambda u: access.can_verify(u, report))

    def merger(self, report, original):
        """A verifier of `report` who can also see `original` (else, in the end, admin nasional)."""
        return self._first(
            lambda u: access.can_verify(u, report) and access.can_view_report_internal(u, original)
        )

    def officer(self, region):
        """The admin who records a report brought to the office (walk-in, phone) for this region."""
        agency = self.government(region)
        return self._first(lambda u: access.can(u, Action.ENTER_REPORT, agency))

    def government(self, region):
        city = ".".join(region.code.split(".")[:2])
        for agency in self.agencies.values():
            if agency.region_id == city and agency.kind == AgencyKind.PEMKAB_PEMKOT:
                return agency
        return self.agencies[PROVINCE_AGENCY]

    def routes(self, text):
        key = (text["category"], text["region"])
        if key not in self._routes:
            region = self.regions[text["region"]]
            proposal = propose_agency(category=self.categories[text["category"]], region_code=region.code)
            agency = proposal.agency if proposal else self.government(region)
            siblings = [
                a
                for a in self.agencies.values()
                if a.parent_id == agency.parent_id
                and a.pk != agency.pk
                and a.kind in (AgencyKind.DINAS, AgencyKind.BADAN, AgencyKind.SATPOL_PP, AgencyKind.BUMD)
                and self.worker(a) is not None
            ]
            siblings.sort(key=lambda a: a.code)
            group = self.categories[text["category"]].parent
            partner_suffix = JOINT_PARTNERS.get(group.code if group else "")
            partner = next(
                (a for a in siblings if partner_suffix and a.code.endswith("-" + partner_suffix)), None
            )
            workable = self.worker(agency) is not None
            self._routes[key] = Routes(
                agency=agency,
                worker=self.worker(agency),
                liaison=self.liaison(agency) if self.coordinator(agency) else None,
                # The same wrong office for the same category every time (str hashes are salted).
                wrong=siblings[sum(map(ord, key[0])) % len(siblings)] if siblings and workable else None,
                second=partner if workable else None,
            )
        return self._routes[key]


# --- Running the plan -------------------------------------------------------------------------------------


class _Runner:
    """Play every step of every plan in time order, with the SLA sweep every simulated hour."""

    def __init__(self, world, plans, end):
        self.world = world
        self.plans = plans
        self.end = end
        self.state = {}  # plan number → {"report": Report, "current": [Disposition, …]}

    def run(self):
        events = sorted(
            (
                (step.at, plan.number, index, plan, step)
                for plan in self.plans
                for index, step in enumerate(plan.steps)
            ),
            key=lambda event: event[:3],
        )
        # Imported here: time-machine moves the clock of the whole process, so only this builder
        # (a development command) should ever load it.
        import time_machine

        tick = events[0][0].replace(minute=0, second=0, microsecond=0) + SWEEP_EVERY
        with time_machine.travel(events[0][0], tick=False) as traveller:
            for at, _number, _index, plan, step in events:
                while tick <= at:
                    traveller.move_to(tick)
                    run_sla_sweep(now=tick)
                    tick += SWEEP_EVERY
                traveller.move_to(at)
                try:
                    self.step(plan, step)
                except Exception as exc:
                    where = f"{plan.external_id} ({plan.scenario.name}), {step.kind} at {at:%Y-%m-%d %H:%M}"
                    raise DemoError(f"demo report {where}: {exc}") from exc
            while tick <= self.end:
                traveller.move_to(tick)
                run_sla_sweep(now=tick)
                tick += SWEEP_EVERY
            traveller.move_to(self.end)
            run_sla_sweep(now=self.end)

    # Who acts for the citizen: the demo citizen logged in, or a guest holding the access code.
    def _reporter(self, plan, report):
        if plan.reporter == "warga" and plan.channel != Channel.OFFICER:
            return {"actor": self.world.citizen}
        return {"actor": None, "access_code": report.access_code}

    def step(self, plan, step):
        w, kind, extra = self.world, step.kind, step.extra
        pick = extra["pick"]
        if kind == "submit":
            self.state[plan.number] = {"report": self.submit(plan), "current": []}
            return
        state = self.state[plan.number]
        report = state["report"]
        routes = w.routes(plan.text)
        if kind == "request_info":
            actions.request_information(
                report=report, actor=w.verifier(report), message=_choose(INFORMATION_REQUESTS, pick)
            )
        elif kind == "complete_info":
            actions.complete_information(
                report=report, text=_choose(INFORMATION_ANSWERS, pick), **self._reporter(plan, report)
            )
        elif kind == "verify":
            actions.verify_report(report=report, actor=w.verifier(report), classification=plan.classification)
        elif kind == "dispose":
            if extra["target"] == "wrong":
                agencies = [routes.wrong]
            else:
                agencies = [routes.agency] + ([routes.second] if "joint" in plan.detours else [])
            report = actions.dispose_report(
                report=report,
                actor=w.verifier(report),
                agencies=agencies,
                instruction=_choose(INSTRUCTIONS, pick),
            )
            state["current"] = list(
                report.dispositions.filter(
                    agency__in=agencies, status__in=OPEN_DISPOSITION_STATUSES
                ).order_by("pk")
            )
        elif kind == "return":
            disposition = state["current"][0]
            reason = _choose(RETURN_REASONS, pick).format(agency=routes.agency.name)
            actions.return_disposition(
                disposition=disposition, actor=w.worker(disposition.agency), reason=reason
            )
        elif kind == "forward":
            disposition = state["current"][0]
            reason = _choose(FORWARD_REASONS, pick).format(agency=routes.agency.name)
            state["current"] = [
                actions.forward_disposition(
                    disposition=disposition,
                    actor=w.worker(disposition.agency),
                    agency=routes.agency,
                    reason=reason,
                )
            ]
        elif kind == "assign":
            for disposition in state["current"]:
                coordinator, liaison = w.coordinator(disposition.agency), w.liaison(disposition.agency)
                if coordinator is not None and liaison is not None:
                    actions.assign_liaison(disposition=disposition, actor=coordinator, liaison=liaison)
        elif kind == "support":
            actions.support_report(report=report, actor=w.citizen)
        elif kind == "start":
            for disposition in state["current"]:
                actions.start_follow_up(disposition=disposition, actor=w.worker(disposition.agency))
        elif kind == "answer":
            for disposition in state["current"]:
                actions.post_follow_up(
                    disposition=disposition, actor=w.worker(disposition.agency), text=self.answer(plan, pick)
                )
        elif kind == "reply":
            actions.reply_as_reporter(report=report, text=extra["text"], **self._reporter(plan, report))
        elif kind == "rate":
            actions.rate_report(
                report=report,
                rating=extra["rating"],
                comment=extra["comment"],
                **self._reporter(plan, report),
            )
        elif kind == "close_reporter":
            actions.close_report(report=report, **self._reporter(plan, report))
        elif kind == "close_admin":
            actions.close_report(report=report, actor=w.verifier(report), note=extra["note"])
        elif kind == "archive":
            actions.archive_report(
                report=report, actor=w.verifier(report), reason=w.reasons[extra["reason"]], note=extra["note"]
            )
        elif kind == "withdraw":
            actions.archive_report(
                report=report,
                reason=w.reasons["ditarik-pelapor"],
                note=extra["note"],
                **self._reporter(plan, report),
            )
        elif kind == "mark_duplicate":
            original = self.state[plan.original.number]["report"]
            actions.mark_duplicate(report=report, original=original, actor=w.merger(report, original))
        else:  # pragma: no cover - a planning bug
            raise ValueError(kind)

    def submit(self, plan):
        w, text = self.world, plan.text
        region = w.regions[text["region"]]
        values = dict(
            kind=text["kind"],
            title=text["title"],
            description=text["description"],
            channel=plan.channel,
            region=region,
            category=w.categories[text["category"]],
            address=plan.address,
            is_anonymous=plan.is_anonymous,
            is_confidential=plan.is_confidential,
            ombudsman_consent=plan.ombudsman_consent,
            source_instance=DEMO_SOURCE,
            external_id=plan.external_id,
        )
        if plan.original is not None:
            # The same complaint again, shorter, from someone who did not see the first one answered.
            first = text["description"].split("\n\n")[0]
            values["description"] = (
                f"{first}\n\nSudah pernah dilaporkan warga lain tetapi belum ada perubahan."
            )
        if plan.incident_days is not None:
            values["incident_date"] = timezone.localdate() - dt.timedelta(days=plan.incident_days)
        if plan.use_target:
            values["target_agency"] = w.routes(text).agency
        if plan.channel == Channel.OFFICER:
            values.update(
                actor=w.officer(region),
                reporter_name=plan.guest_name,
                reporter_phone=plan.guest_phone,
                received_via=OFFICER_INTAKE[plan.number % len(OFFICER_INTAKE)],
            )
        elif plan.reporter == "warga":
            values["actor"] = w.citizen
        else:
            values.update(
                reporter_name="" if plan.is_anonymous else plan.guest_name,
                reporter_email=plan.guest_email,
                reporter_phone=plan.guest_phone,
            )
        actor = values.pop("actor", None)
        return actions.submit_report(new=actions.NewReport(**values), actor=actor)

    def answer(self, plan, pick):
        if plan.text["kind"] == ReportType.PERMINTAAN_INFORMASI:
            return INFORMATION_ANSWER
        category = self.world.categories[plan.text["category"]]
        group = category.parent.code if category.parent_id else category.code
        return _choose(ANSWERS.get(group, DEFAULT_ANSWERS), pick)


def _choose(options, pick):
    return options[int(pick * len(options)) % len(options)]


# --- Entry point ------------------------------------------------------------------------------------------


def build_demo_reports(*, stdout=None, count=300, seed=2026):
    """Create `count` demo reports with real histories in the demo province, once."""
    started = time.monotonic()
    summary = DemoReportsSummary()
    texts = load_texts()
    with transaction.atomic():
        # One builder at a time: a second run waits here, then finds the reports and stops.
        Agency.objects.select_for_update().filter(code=PROVINCE_AGENCY).first()
        summary.existing = Report.objects.filter(source_instance=DEMO_SOURCE).count()
        if summary.existing:
            if stdout is not None:
                stdout.write(
                    _("Laporan demo sudah ada (%(n)d); tidak ada yang ditambah.") % {"n": summary.existing}
                )
            return summary
        world = _World(texts)
        end = timezone.now()
        plans = _Planner(rng=random.Random(seed), world=world, texts=texts, end=end).plans(count)
        _Runner(world, plans, end).run()
        statuses = dict(
            Report.objects.filter(source_instance=DEMO_SOURCE).values_list("external_id", "status")
        )
        wrong = [
            f"{plan.external_id}: {statuses.get(plan.external_id)} ≠ {plan.scenario.status}"
            for plan in plans
            if statuses.get(plan.external_id) != plan.scenario.status
        ]
        if wrong:
            raise DemoError("demo reports did not end as planned: " + "; ".join(wrong[:10]))
        summary.created = len(plans)
        summary.by_status = Counter(statuses.values())
    summary.seconds = time.monotonic() - started
    if stdout is not None:
        labels = dict(Status.choices)
        stdout.write(
            _("%(n)d laporan demo dibuat dalam %(s).1f detik:") % {"n": summary.created, "s": summary.seconds}
        )
        for status in Status.values:
            if summary.by_status[status]:
                stdout.write(f"  {labels[status]}: {summary.by_status[status]}")
    return summary
