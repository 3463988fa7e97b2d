"""manage.py load_categories: the SP4N-LAPOR! categories in Jembatan's groups."""

import csv
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from jembatan.directory.models import AgencyKind, Category
from jembatan.directory.sources import CATEGORIES_FILE
from jembatan.shared_data import needed_by_test

pytestmark = pytest.mark.django_db

# A real SP4N-LAPOR! export, kept outside the project (no licence to ship it): see ../shared/data/README.md.
LAPOR_EXPORT = "lapor-export-samarinda-2024.csv"  # not shipped: see jembatan/shared_data.py


def load(*args):
    out = StringIO()
    call_command("load_categories", *args, stdout=out)
    return out.getvalue()


def test_load_categories_creates_the_groups_and_the_77_lapor_categories():
    assert "91 ditambah" in load()

    groups = Category.objects.filter(parent__isnull=True)
    categories = Category.objects.filter(parent__isnull=False)
    assert groups.count() == 14
    assert all(code.startswith("G-") for code in groups.values_list("code", flat=True))
    assert categories.count() == 77
    assert all(code.isdigit() for code in categories.values_list("code", flat=True))
    assert not categories.filter(parent__parent__isnull=False).exists()
    jalan = Category.objects.get(code="1397")
    assert (jalan.name, jalan.parent.code) == ("Jalan Berlubang", "G-INFRA")
    assert (jalan.parent.default_agency_kind, jalan.parent.default_agency_keyword) == (
        AgencyKind.DINAS,
        "Pekerjaan Umum",
    )
    bpjs = Category.objects.get(code="1387")
    assert (bpjs.default_agency_kind, bpjs.default_agency_keyword) == (AgencyKind.BUMN, "BPJS Kesehatan")


def test_load_categories_twice_changes_nothing():
    load()
    before = list(Category.objects.order_by("code").values())

    assert "0 ditambah, 0 diperbarui, 91 tetap" in load()
    assert list(Category.objects.order_by("code").values()) == before


def test_every_category_of_a_real_lapor_export_is_shipped_with_the_same_name():
    with needed_by_test(LAPOR_EXPORT).open(encoding="utf-8-sig", newline="") as handle:
        exported = {
            row["ID Kategori"]: " ".join(row["Kategori"].split())
            for row in csv.DictReader(handle)
            if row["ID Kategori"].strip()
        }
    with CATEGORIES_FILE.open(encoding="utf-8", newline="") as handle:
        shipped = {row["code"]: row["name"] for row in csv.DictReader(handle) if row["group"]}

    assert shipped == exported


def test_a_reload_renames_and_regroups_but_keeps_routing_defaults_tuned_in_the_admin(tmp_path):
    load()
    trotoar = Category.objects.get(code="1401")
    trotoar.default_agency_kind = AgencyKind.DINAS
    trotoar.default_agency_keyword = "Perumahan"
    trotoar.save()
    text = CATEGORIES_FILE.read_text(encoding="utf-8").replace(
        "1401,Trotoar,G-INFRA,", "1401,Trotoar dan Jalur Sepeda,G-PERHUBUNGAN,"
    )
    (tmp_path / "categories.csv").write_text(text, encoding="utf-8")

    assert "0 ditambah, 1 diperbarui" in load("--file", str(tmp_path / "categories.csv"))

    trotoar.refresh_from_db()
    assert (trotoar.name, trotoar.parent.code) == ("Trotoar dan Jalur Sepeda", "G-PERHUBUNGAN")
    assert trotoar.default_agency_keyword == "Perumahan"


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("9999,Kategori Yatim,G-TIDAK-ADA,,,", "kelompok G-TIDAK-ADA tidak ada"),
        ("9999,Kategori Aneh,G-INFRA,dinas_rahasia,,", "jenis instansi 'dinas_rahasia' tidak dikenal"),
        ("1397,Jalan Berlubang Lagi,G-INFRA,,,", "kode 1397 muncul dua kali"),
    ],
)
def test_a_bad_categories_file_is_refused_whole(tmp_path, bad_row, message):
    path = tmp_path / "categories.csv"
    path.write_text(CATEGORIES_FILE.read_text(encoding="utf-8") + bad_row + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        load("--file", str(path))

    assert not Category.objects.exists()


def test_a_category_cannot_be_put_under_another_category():
    load()
    trotoar = Category.objects.get(code="1401")
    trotoar.parent = Category.objects.get(code="1397")

    with pytest.raises(ValidationError):
        trotoar.full_clean()
