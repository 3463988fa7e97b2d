"""The reference files shipped in directory/data, read into checked rows (nothing is saved here).

A bad file fails as a whole with the line number, before anything is written: half a region table
would route reports to the wrong government.
"""

import csv
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from jembatan.directory.models import LEVEL_BY_DEPTH, AgencyKind

DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_FILE = DATA_DIR / "wilayah.csv.gz"
CATEGORIES_FILE = DATA_DIR / "categories.csv"

# Kemendagri: 2-digit province, 2-digit kabupaten/kota, 2-digit kecamatan, 4-digit desa/kelurahan.
_REGION_CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
_LEVEL_BY_DEPTH = [level.value for level in LEVEL_BY_DEPTH]  # plain strings: 91,599 lookups


class SourceError(ValueError):
    """The file cannot be loaded; the message names the line."""


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str

    @property
    def parent_code(self):
        return self.code.rpartition(".")[0] or None


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str
    group: str  # the group's code; empty on a group row
    default_agency_kind: str
    default_agency_keyword: str
    keywords: str


def _open_text(path):
    path = Path(path)
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _clean(text):
    # Kemendagri names carry stray and non-breaking spaces ("Kota Administrasi Jakarta Utara ").
    return " ".join((text or "").split())


def _read(path, columns):
    try:
        handle = _open_text(path)
    except OSError as exc:
        raise SourceError(
            _("Berkas %(path)s tidak dapat dibuka: %(error)s") % {"path": path, "error": exc}
        ) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(
                _("Berkas %(path)s tidak punya kolom %(columns)s.")
                % {"path": path, "columns": ", ".join(missing)}
            )
        # Line 1 is the header, so the first row is line 2.
        yield from ((line, {c: _clean(row[c]) for c in columns}) for line, row in enumerate(reader, start=2))


def read_regions(path=REGIONS_FILE):
    """Return the rows of a `kode,nama,tingkat` file (plain or gzipped), checked and parents first."""
    rows = {}
    for line, row in _read(path, ["kode", "nama", "tingkat"]):
        code, name, level = row["kode"], row["nama"], row["tingkat"]

        def fail(message, line=line):
            raise SourceError(
                _("%(path)s baris %(line)s: %(message)s") % {"path": path, "line": line, "message": message}
            )

        if not _REGION_CODE.fullmatch(code):
            fail(_("kode wilayah %(code)r tidak sah.") % {"code": code})
        if code in rows:
            fail(_("kode %(code)s muncul dua kali.") % {"code": code})
        if _LEVEL_BY_DEPTH[code.count(".")] != level:
            fail(_("tingkat %(level)r tidak cocok dengan kode %(code)s.") % {"level": level, "code": code})
        if not name or len(name) > 120:
            fail(_("nama wilayah kosong atau lebih dari 120 karakter."))
        rows[code] = RegionRow(code=code, name=name, level=level)
    # Parents first, so every insert finds its parent already written.
    return sorted(rows.values(), key=lambda r: (r.code.count("."), r.code))


def read_categories(path=CATEGORIES_FILE):
    """Return the rows of the categories file, checked, groups first."""
    columns = ["code", "name", "group", "default_agency_kind", "default_agency_keyword", "keywords"]
    groups, categories, seen = [], [], set()
    for line, row in _read(path, columns):

        def fail(message, line=line):
            raise SourceError(
                _("%(path)s baris %(line)s: %(message)s") % {"path": path, "line": line, "message": message}
            )

        if not row["code"] or len(row["code"]) > 20:
            fail(_("kode kategori kosong atau lebih dari 20 karakter."))
        if row["code"] in seen:
            fail(_("kode %(code)s muncul dua kali.") % {"code": row["code"]})
        if not row["name"] or len(row["name"]) > 150:
            fail(_("nama kategori kosong atau lebih dari 150 karakter."))
        if row["default_agency_kind"] and row["default_agency_kind"] not in AgencyKind.values:
            fail(_("jenis instansi %(kind)r tidak dikenal.") % {"kind": row["default_agency_kind"]})
        if len(row["default_agency_keyword"]) > 60 or len(row["keywords"]) > 300:
            fail(_("kata kunci terlalu panjang."))
        seen.add(row["code"])
        (categories if row["group"] else groups).append((line, CategoryRow(**row)))
    group_codes = {row.code for _line, row in groups}
    for line, row in categories:
        if row.group not in group_codes:
            raise SourceError(
                _("%(path)s baris %(line)s: kelompok %(group)s tidak ada di berkas.")
                % {"path": path, "line": line, "group": row.group}
            )
    return [row for _line, row in groups + categories]
