"""Import of SP4N-LAPOR! administrator exports (the national system's 21-column layout).

A LAPOR! export holds each report's *current* state (status, classification, disposed agency)
but none of its history: no verification, disposal or answer dates. Replaying the lifecycle
through the actions would invent those dates (and SLA results with them), so an imported report
is made in two steps, both writing the timeline in their own transaction:

1. `reports.actions.submit_report(channel=Channel.IMPORT, submitted_at=…, external_id=…,
   source_instance=…)`: the report as it was received (no notification is sent for imports);
2. `reports.actions.apply_imported_report()`: the state LAPOR! reports now, applied as one change
   with one "imported" timeline event listing what changed. On a re-import it compares first and
   writes nothing (no event, no new version) when nothing changed: importing twice is idempotent.

Dates LAPOR! does not export stay empty (verified_at, answered_at, closed_at), so imported reports
never count for or against an agency's SLA percentages; they do count in volumes, maps and
categories. Their SLA clock is off (next_check_at empty): the source system owns their lifecycle.

Rows are read into `LaporRow`s, resolved to directory objects by a `Resolver` (regions by name,
categories by LAPOR! id, agencies by mapping, by LAPOR! id, by name, or created under a parent
with `backoffice.actions.create_agency`), and imported one per savepoint: a bad row is reported and
never stops the others. This module only reads and resolves; every write is one of those actions.
"""

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from jembatan.backoffice import actions as backoffice
from jembatan.directory.models import Agency, AgencyKind, Category, Region, RegionLevel
from jembatan.directory.names import normalize_region_name
from jembatan.reports import actions
from jembatan.reports.models import (
    ArchiveReason,
    Channel,
    Classification,
    Report,
    ReportType,
    Status,
)

SOURCE_INSTANCE = "lapor.go.id"
COLUMNS = [
    "Tracking ID",
    "Tanggal Laporan Masuk",
    "Waktu Laporan Masuk",
    "Nama Pelapor",
    "Klasifikasi Laporan",
    "ID Kategori",
    "Kategori",
    "Judul Laporan",
    "Isi Laporan Awal",
    "Isi Laporan Akhir",
    "Tipe Laporan (Anonim/Rahasia)",
    "Sumber Laporan",
    "Instansi Induk",
    "ID Instansi Terdisposisi",
    "Instansi Terdisposisi",
    "Status Laporan",
    "Alasan Tunda/Arsip",
    "Provinsi",
    "Kota/Kabupaten",
    "Kecamatan",
    "Kelurahan",
]


class RowError(ValueError):
    """This row cannot be imported; the message says why, in the user's language."""


def _norm(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("&", " dan ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


CLASSIFICATIONS = {
    "pengaduan berkadar pengawasan": Classification.PENGADUAN_BERKADAR_PENGAWASAN,
    "pengaduan tidak berkadar pengawasan": Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    "aspirasi": Classification.ASPIRASI,
    "permintaan informasi": Classification.PERMINTAAN_INFORMASI,
}
KIND_OF = {
    Classification.PENGADUAN_BERKADAR_PENGAWASAN: ReportType.PENGADUAN,
    Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN: ReportType.PENGADUAN,
    Classification.ASPIRASI: ReportType.ASPIRASI,
    Classification.PERMINTAAN_INFORMASI: ReportType.PERMINTAAN_INFORMASI,
}
STATUSES = {_norm(label): value for value, label in Status.choices} | {
    "belum terverifikasi": Status.BELUM_TERVERIFIKASI,
    "menunggu kelengkapan informasi": Status.MENUNGGU_KELENGKAPAN,
    "menunggu kelengkapan data": Status.MENUNGGU_KELENGKAPAN,
    "terverifikasi dan terdisposisi": Status.TERDISPOSISI,
    "terdisposisi": Status.TERDISPOSISI,
    "belum ditindaklanjuti": Status.TERDISPOSISI,
    "sedang diproses": Status.DIPROSES,
    "proses": Status.DIPROSES,
    "selesai ditindaklanjuti": Status.SELESAI,
    "selesai": Status.SELESAI,
}
# "Sumber Laporan": the first word decides ("Website - pemerintah-kota-samarinda" is the web).
CHANNELS = {
    "website": Channel.WEB,
    "web": Channel.WEB,
    "android": Channel.ANDROID,
    "ios": Channel.ANDROID,  # the LAPOR! mobile app; Jembatan has one "mobile app" channel
    "aplikasi": Channel.ANDROID,
    "whatsapp": Channel.WHATSAPP,
    "wa": Channel.WHATSAPP,
    "sms": Channel.SMS,
    "email": Channel.EMAIL,
    "e": Channel.EMAIL,
}
ARCHIVE_REASONS = [  # (code, patterns), in order of precedence
    ("kedaluwarsa", ("kadaluarsa", "kadaluwarsa", "kedaluwarsa", "batas")),
    ("ditarik-pelapor", ("keinginan pelapor", "ditarik", "pelapor")),
    ("duplikat", ("duplikat", "sama dengan laporan")),
    ("tidak-jelas", ("tidak jelas",)),
    ("tidak-memiliki-bukti-dukung", ("bukti dukung",)),
    ("mengandung-sara", ("sara",)),
    ("tidak-relevan", ("tidak relevan",)),
    ("bukan-pelayanan-publik", ("bukan kewenangan", "bukan pelayanan")),
]
DEFAULT_ARCHIVE_REASON = {
    Status.DIARSIPKAN_SISTEM: "kedaluwarsa",
    Status.DIARSIPKAN_PELAPOR: "ditarik-pelapor",
    Status.DIARSIPKAN_ADMIN: "tidak-jelas",
}
MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "mar": 3, "maret": 3,
    "march": 3, "apr": 4, "april": 4, "mei": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7,
    "juli": 7, "july": 7, "agu": 8, "agt": 8, "ags": 8, "agustus": 8, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "nop": 11, "des": 12, "desember": 12, "dec": 12, "december": 12,
}  # fmt: skip
KIND_BY_NAME = [
    ("satuan polisi pamong praja", AgencyKind.SATPOL_PP),
    ("satpol", AgencyKind.SATPOL_PP),
    ("inspektorat", AgencyKind.INSPEKTORAT),
    ("sekretariat", AgencyKind.SEKRETARIAT),
    ("bagian", AgencyKind.SEKRETARIAT),
    ("dinas", AgencyKind.DINAS),
    ("badan", AgencyKind.BADAN),
    ("kecamatan", AgencyKind.KECAMATAN),
    ("kelurahan", AgencyKind.KELURAHAN),
    ("desa", AgencyKind.KELURAHAN),
    ("puskesmas", AgencyKind.PUSKESMAS),
    ("rumah sakit", AgencyKind.RUMAH_SAKIT),
    ("rsud", AgencyKind.RUMAH_SAKIT),
    ("perumda", AgencyKind.BUMD),
    ("pdam", AgencyKind.BUMD),
    ("bank", AgencyKind.BUMD),
    ("pemerintah kota", AgencyKind.PEMKAB_PEMKOT),
    ("pemerintah kabupaten", AgencyKind.PEMKAB_PEMKOT),
    ("pemerintah provinsi", AgencyKind.PEMPROV),
    ("kementerian", AgencyKind.KEMENTERIAN_LEMBAGA),
]


def guess_agency_kind(name):
    """The AgencyKind a name suggests ("Dinas …" is a dinas); LAINNYA when it says nothing."""
    return next((kind for key, kind in KIND_BY_NAME if key in _norm(name)), AgencyKind.LAINNYA)


def _agencies_named(name):
    # Once per command run: a scan of the agency table is cheap, and it matches names the way
    # the importer does (case, punctuation and "&"/"dan" aside), which no SQL lookup does.
    wanted = _norm(name)
    return [a for a in Agency.objects.only("pk", "code", "name", "region_id") if _norm(a.name) == wanted]


def find_agency(code_or_name):
    """The agency with this code, else the only one with this name.

    Raises ValueError, in the user's language, when there is none or the name is ambiguous.
    """
    text = (code_or_name or "").strip()
    agency = Agency.objects.filter(code=text).first()
    if agency is not None:
        return agency
    matches = _agencies_named(text)
    if len(matches) == 1:
        return Agency.objects.get(pk=matches[0].pk)
    if matches:
        raise ValueError(
            _("Ada %(n)d instansi bernama “%(name)s”; sebut kodenya: %(codes)s")
            % {"n": len(matches), "name": text, "codes": ", ".join(a.code for a in matches)}
        )
    raise ValueError(_("Instansi “%(name)s” tidak ada (dicari menurut kode dan nama).") % {"name": text})


def find_or_create_parent(*, name, region_code, actor=None):
    """The import's parent agency: the one named `name` serving `region_code`, created when missing.

    Returns (agency, created). Running the same command again finds the agency it created.
    """
    name = (name or "").strip()
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        raise ValueError(_("Wilayah dengan kode %(code)s tidak ada.") % {"code": region_code})
    matches = _agencies_named(name)
    here = [a for a in matches if a.region_id == region.code]
    if len(here) == 1:
        return Agency.objects.get(pk=here[0].pk), False
    if matches:
        raise ValueError(
            _("Instansi bernama “%(name)s” sudah ada (%(codes)s); pakai --parent dengan kodenya.")
            % {"name": name, "codes": ", ".join(a.code for a in matches)}
        )
    try:
        agency = backoffice.create_agency(
            code=slugify(name)[:60].strip("-"),
            name=name,
            kind=guess_agency_kind(name),
            region=region,
            actor=actor,
        )
    except backoffice.AgencyError as exc:
        raise ValueError(str(exc)) from None
    return agency, True


# --- Reading -----------------------------------------------------------------------------------------


def read_rows(path):
    """[(row number, {column: text})] of a LAPOR! export (CSV or XLSX); raises ValueError on a bad file."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(path)
    else:
        table = _read_csv(path)
    if not table:
        raise ValueError(_("Berkas kosong."))
    header = [_norm(h) for h in table[0]]
    wanted = {_norm(c): c for c in COLUMNS}
    missing = [c for key, c in wanted.items() if key not in header]
    if missing:
        raise ValueError(
            _("Bukan ekspor SP4N-LAPOR! (21 kolom): kolom tidak ada: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    index = {wanted[key]: header.index(key) for key in wanted}
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(str(v or "").strip() for v in values):
            continue
        rows.append((number, {c: (values[i] if i < len(values) else "") for c, i in index.items()}))
    return rows


def _read_csv(path):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    # Spreadsheet programs in Indonesian locales save with ";": pick the separator of the header line.
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _read_xlsx(path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


# --- Parsing one row ---------------------------------------------------------------------------------


@dataclass
class LaporRow:
    number: int
    tracking_id: str
    submitted_at: dt.datetime
    reporter_name: str
    classification: str
    kind: str
    category_code: str
    category_name: str
    title: str
    description: str
    is_anonymous: bool
    is_confidential: bool
    channel: str
    parent_name: str
    agency_id: str
    agency_name: str
    status: str
    archive_text: str
    province: str
    city: str
    district: str
    village: str
    warnings: list = field(default_factory=list)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def parse_date(value, time_value):
    """A Jakarta-time datetime from LAPOR!'s "23 Sep 2024" + "00:41:43" (or ISO, or spreadsheet dates)."""
    from jembatan.reports.sla import JAKARTA

    if isinstance(value, dt.datetime):
        day, clock = value.date(), value.time()
    elif isinstance(value, dt.date):
        day, clock = value, dt.time()
    else:
        text = _text(value)
        match = re.fullmatch(r"(\d{1,2})[ \-/]([A-Za-z]+)[ \-/](\d{4})", text)
        try:
            if match:
                month = MONTHS.get(match.group(2).lower())
                if month is None:
                    raise ValueError
                day = dt.date(int(match.group(3)), month, int(match.group(1)))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text):
                day = dt.date.fromisoformat(text[:10])
            elif re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
                d, m, y = (int(p) for p in text.split("/"))
                day = dt.date(y, m, d)
            else:
                raise ValueError
        except ValueError:
            raise RowError(_("Tanggal laporan tidak dapat dibaca: “%(value)s”.") % {"value": text}) from None
        clock = dt.time()
    if isinstance(time_value, dt.time):
        clock = time_value
    elif isinstance(time_value, dt.datetime):
        clock = time_value.time()
    elif _text(time_value):
        try:
            clock = dt.time.fromisoformat(_text(time_value))
        except ValueError:
            raise RowError(
                _("Jam laporan tidak dapat dibaca: “%(value)s”.") % {"value": _text(time_value)}
            ) from None
    return dt.datetime.combine(day, clock, tzinfo=JAKARTA)


# Words that may stand beside Anonim/Rahasia in the flag column without meaning anything else.
FLAG_FILLER = {"dan", "biasa", "umum", "publik", "tidak", "bukan"}


def parse_row(number, values):
    tracking = _text(values["Tracking ID"])
    if not tracking:
        raise RowError(_("Tracking ID kosong."))
    if len(tracking) > 64:
        raise RowError(_("Tracking ID terlalu panjang."))
    warnings = []
    raw_class = _norm(values["Klasifikasi Laporan"])
    if raw_class and raw_class not in CLASSIFICATIONS:
        raise RowError(
            _("Klasifikasi tidak dikenal: “%(value)s”.") % {"value": _text(values["Klasifikasi Laporan"])}
        )
    classification = CLASSIFICATIONS.get(raw_class, "")
    if not classification:
        warnings.append(_("Tanpa klasifikasi: dicatat sebagai pengaduan."))
    status_text = _norm(values["Status Laporan"])
    if status_text not in STATUSES:
        raise RowError(_("Status tidak dikenal: “%(value)s”.") % {"value": _text(values["Status Laporan"])})
    # "Anonim", "Rahasia", "Anonim|Rahasia" in LAPOR!'s own exports; a re-saved sheet may write
    # "Anonim dan Rahasia", "Anonim; Rahasia", "Rahasia (R)". The words decide, wherever they stand,
    # and anything else in the column stops the row: a confidential report must never be imported
    # as public because its flag was spelled differently.
    raw_flags = _text(values["Tipe Laporan (Anonim/Rahasia)"])
    words = set(_norm(raw_flags).split())
    flags = words & {"anonim", "rahasia"}
    # "R" and "A" are read only beside the word they abbreviate ("Rahasia (R)"); alone, like "Ya"
    # or "1", they could mean anything, and the row stops rather than guess "public".
    abbreviations = {"r"} if "rahasia" in flags else set()
    abbreviations |= {"a"} if "anonim" in flags else set()
    if words - flags - FLAG_FILLER - abbreviations:
        raise RowError(
            _("Tipe laporan tidak dikenal: “%(value)s” (Anonim, Rahasia, atau keduanya).")
            % {"value": raw_flags}
        )
    source = _norm(values["Sumber Laporan"])
    channel = CHANNELS.get(source.split(" ")[0] if source else "", None)
    if channel is None:
        channel = Channel.IMPORT
        if source:
            warnings.append(
                _("Sumber laporan tidak dikenal: “%(value)s”; kanal dicatat “Impor”.") % {"value": source}
            )
    # The final text is the one the verifier tidied (typos, personal data removed); else the original.
    description = (
        str(values["Isi Laporan Akhir"] or "").strip() or str(values["Isi Laporan Awal"] or "").strip()
    )
    return LaporRow(
        number=number,
        tracking_id=tracking,
        submitted_at=parse_date(values["Tanggal Laporan Masuk"], values["Waktu Laporan Masuk"]),
        reporter_name=_text(values["Nama Pelapor"])[:150],
        classification=classification,
        kind=KIND_OF.get(classification, ReportType.PENGADUAN),
        category_code=_text(values["ID Kategori"]),
        category_name=_text(values["Kategori"]),
        title=_text(values["Judul Laporan"])[:200],
        description=description,
        is_anonymous="anonim" in flags,
        is_confidential="rahasia" in flags,
        channel=channel,
        parent_name=_text(values["Instansi Induk"]),
        agency_id=_text(values["ID Instansi Terdisposisi"]),
        agency_name=_text(values["Instansi Terdisposisi"]),
        status=STATUSES[status_text],
        archive_text=_text(values["Alasan Tunda/Arsip"]),
        province=_text(values["Provinsi"]),
        city=_text(values["Kota/Kabupaten"]),
        district=_text(values["Kecamatan"]),
        village=_text(values["Kelurahan"]),
        warnings=warnings,
    )


# --- Resolving names to the directory ----------------------------------------------------------------


class Resolver:
    """Finds (or, under `parent`, creates) the directory objects a row names; caches per import."""

    def __init__(self, *, parent=None, agency_map=None):
        self.parent = parent
        self.agency_map = {_norm(name): agency for name, agency in (agency_map or {}).items()}
        self.categories = {c.code: c for c in Category.objects.all()}
        self.reasons = {r.code: r for r in ArchiveReason.objects.all()}
        self._regions = {}
        self._agency_names = None
        self._codes = {}
        self.created_agencies = []

    # Regions ---------------------------------------------------------------------------------------

    def _children(self, parent_code, level):
        key = (parent_code, level)
        if key not in self._regions:
            qs = Region.objects.filter(level=level)
            qs = qs.filter(parent_id=parent_code) if parent_code else qs
            found = {}
            for region in qs.only("code", "name"):
                found.setdefault(normalize_region_name(region.name), []).append(region)
            self._regions[key] = found
        return self._regions[key]

    def _pick(self, candidates, raw):
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        # "Kota Bekasi" and "Kabupaten Bekasi" share a name: LAPOR! writes "Kota X", or plain "X".
        wants_city = _norm(raw).startswith("kota ")
        for region in candidates:
            if _norm(region.name).startswith("kota ") == wants_city:
                return region
        return candidates[0]

    def region(self, row):
        aliases = {"dki jakarta": "daerah khusus ibukota jakarta"}
        province = None
        if row.province:
            name = normalize_region_name(aliases.get(_norm(row.province), row.province))
            province = self._pick(self._children(None, RegionLevel.PROVINSI).get(name, []), row.province)
            if province is None:
                row.warnings.append(_("Provinsi tidak dikenal: “%(name)s”.") % {"name": row.province})
                return None
        found = province
        for raw, level in (
            (row.city, RegionLevel.KABUPATEN_KOTA),
            (row.district, RegionLevel.KECAMATAN),
            (row.village, RegionLevel.DESA_KELURAHAN),
        ):
            if not raw:
                break
            if found is None and level != RegionLevel.KABUPATEN_KOTA:
                break
            candidates = self._children(found.code if found else None, level).get(
                normalize_region_name(raw), []
            )
            match = self._pick(candidates, raw)
            if match is None:
                row.warnings.append(_("Wilayah tidak dikenal: “%(name)s”.") % {"name": raw})
                break
            found = match
        return found

    # Categories and archive reasons ----------------------------------------------------------------

    def category(self, row):
        if not row.category_code:
            return None
        category = self.categories.get(row.category_code)
        if category is None:
            row.warnings.append(
                _("Kategori LAPOR! %(code)s (%(name)s) belum dimuat; laporan tanpa kategori.")
                % {"code": row.category_code, "name": row.category_name}
            )
        return category

    def archive_reason(self, row):
        if row.status not in DEFAULT_ARCHIVE_REASON:
            return None
        text = _norm(row.archive_text)
        code = next(
            (code for code, patterns in ARCHIVE_REASONS if any(p in text for p in patterns)),
            DEFAULT_ARCHIVE_REASON[row.status],
        )
        if code not in self.reasons:  # the managed reasons come with the reports migrations
            raise RowError(_("Alasan arsip “%(code)s” tidak ada di basis data.") % {"code": code})
        return self.reasons[code]

    # Agencies --------------------------------------------------------------------------------------

    def _names(self):
        if self._agency_names is None:
            self._agency_names = {}
            for agency in Agency.objects.only("pk", "name", "path", "code", "region_id", "kind", "parent_id"):
                self._agency_names.setdefault(_norm(agency.name), []).append(agency)
        return self._agency_names

    def _by_name(self, name, within=None):
        matches = [
            a for a in self._names().get(_norm(name), []) if within is None or a.path.startswith(within.path)
        ]
        return matches[0] if len(matches) == 1 else None

    def _by_code(self, code):
        if code not in self._codes:
            self._codes[code] = Agency.objects.filter(code=code).first()
        return self._codes[code]

    def _create(self, *, name, code, under):
        try:
            agency = backoffice.create_agency(
                code=code, name=name[:200], kind=guess_agency_kind(name), parent=under
            )
        except backoffice.AgencyError as exc:
            raise RowError(str(exc)) from None
        self.created_agencies.append(agency)
        self._names().setdefault(_norm(name), []).append(agency)
        self._codes[code] = agency
        return agency

    def mark(self):
        return len(self.created_agencies)

    def forget_since(self, mark):
        """A row failed: the agencies it created were rolled back with it, so forget them too."""
        for agency in self.created_agencies[mark:]:
            self._names().get(_norm(agency.name), []).remove(agency)
            self._codes.pop(agency.code, None)
        del self.created_agencies[mark:]

    def parent_agency(self, row):
        """The agency LAPOR! calls "Instansi Induk" (most often the local government itself)."""
        name = row.parent_name
        if not name:
            return self.parent
        if _norm(name) in self.agency_map:
            return self.agency_map[_norm(name)]
        if self.parent is not None and _norm(name) == _norm(self.parent.name):
            return self.parent
        found = self._by_name(name, within=self.parent)
        if found is not None:
            return found
        if self.parent is None:
            raise RowError(
                _("Instansi induk “%(name)s” belum ada. Beri --parent atau --map-agency “%(name)s=kode”.")
                % {"name": name}
            )
        code = "lapor-" + (slugify(name)[:50] or "induk")
        return self._by_code(code) or self._create(name=name, code=code, under=self.parent)

    def disposed_agency(self, row, parent):
        """The agency the report was disposed to ("Instansi Terdisposisi"), or None."""
        name = row.agency_name
        if not name and not row.agency_id:
            return None
        if name and _norm(name) in self.agency_map:
            return self.agency_map[_norm(name)]
        code = f"lapor-{row.agency_id}" if row.agency_id else "lapor-" + slugify(name)[:50]
        existing = self._by_code(code)
        if existing is not None:
            return existing
        if parent is not None and _norm(name) == _norm(parent.name):
            return parent
        if name:
            found = self._by_name(name, within=parent or self.parent)
            if found is not None:
                return found
        if self.parent is None:
            raise RowError(
                _("Instansi “%(name)s” belum ada. Beri --parent atau --map-agency “%(name)s=kode”.")
                % {"name": name}
            )
        return self._create(name=name or code, code=code, under=parent or self.parent)


# --- The import --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # worked in Jembatan since imported: the row did not overwrite it
    errors: list = field(default_factory=list)  # [(row number, tracking id, message)]
    warnings: list = field(default_factory=list)  # [(row number, tracking id, message)]
    agencies_created: list = field(default_factory=list)


def import_row(row, resolver, source_instance):
    """Create or update one report from a parsed row; returns "created" | "updated" | "unchanged", or
    "kept" when officers have worked the report here since its import (their work is not undone)."""
    parent = resolver.parent_agency(row)
    agency = resolver.disposed_agency(row, parent)
    state = {
        "title": row.title,
        "description": row.description,
        "kind": row.kind,
        "classification": row.classification,
        "category": resolver.category(row),
        "region": resolver.region(row),
        "is_anonymous": row.is_anonymous,
        "is_confidential": row.is_confidential,
        "channel": row.channel,
        "status": row.status,
        "archive_reason": resolver.archive_reason(row),
        "agencies": [agency] if agency is not None else [],
        "reporter_name": row.reporter_name,
    }
    report = Report.objects.filter(source_instance=source_instance, external_id=row.tracking_id).first()
    try:
        if report is None:
            new = actions.NewReport(
                kind=state["kind"],
                title=state["title"],
                description=state["description"],
                channel=Channel.IMPORT,
                region=state["region"],
                category=state["category"],
                target_agency=agency or parent,
                is_anonymous=state["is_anonymous"],
                is_confidential=state["is_confidential"],
                reporter_name=state["reporter_name"],
                source_instance=source_instance,
                external_id=row.tracking_id,
                submitted_at=row.submitted_at,
            )
            report = actions.submit_report(new=new)
            actions.apply_imported_report(report=report, source_instance=source_instance, **state)
            return "created"
        _report, changed = actions.apply_imported_report(
            report=report, source_instance=source_instance, **state
        )
    except actions.ReportError as exc:
        raise RowError(exc.message) from None
    if changed == actions.IMPORT_KEPT:
        return "kept"
    return "updated" if changed else "unchanged"


def import_file(path, *, parent=None, agency_map=None, source_instance=SOURCE_INSTANCE, progress=None):
    """Import every row of a LAPOR! export; a bad row is recorded in the result and skipped."""
    rows = read_rows(path)
    resolver = Resolver(parent=parent, agency_map=agency_map)
    result = ImportResult(rows=len(rows))
    for number, values in rows:
        tracking = str(values.get("Tracking ID") or "").strip()
        mark = resolver.mark()
        try:
            with transaction.atomic():
                row = parse_row(number, values)
                outcome = import_row(row, resolver, source_instance)
            setattr(result, outcome, getattr(result, outcome) + 1)
            result.warnings += [(number, tracking, w) for w in row.warnings]
            if outcome == "kept":
                result.warnings.append(
                    (number, tracking, _("Sudah ditangani di Jembatan sejak diimpor: tidak ditimpa."))
                )
        except RowError as exc:
            resolver.forget_since(mark)
            result.errors.append((number, tracking, str(exc)))
        except Exception as exc:  # one broken row must never stop the rest of the import
            resolver.forget_since(mark)
            result.errors.append((number, tracking, f"{type(exc).__name__}: {exc}"))
        if progress:
            progress(1)
    result.agencies_created = list(resolver.created_agencies)
    return result
