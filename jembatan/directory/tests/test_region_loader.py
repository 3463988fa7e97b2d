"""manage.py load_regions: a small slice in nesting order, re-runs, renames, bad files, the shipped file."""

import gzip
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jembatan.directory.models import Region, RegionLevel
from jembatan.directory.sources import REGIONS_FILE, read_regions

pytestmark = pytest.mark.django_db

# Real rows of the shipped file, in its nesting order: a province, its kabupaten/kota, kecamatan, desa.
SLICE = """kode,nama,tingkat
13,Sumatera Barat,provinsi
13.05,Kabupaten Padang Pariaman,kabupaten_kota
13.05.01,Batang Anai,kecamatan
13.05.01.2001,Kasang,desa_kelurahan
13.05.01.2002,Sungai Buluah,desa_kelurahan
13.06,Kabupaten Agam,kabupaten_kota
13.06.01,Tanjung Mutiara,kecamatan
13.06.01.2001,Tiku Limo Jorong,desa_kelurahan
13.71,Kota Padang,kabupaten_kota
13.71.01,Padang Selatan,kecamatan
13.71.01.1001,Belakang Pondok,desa_kelurahan
13.71.01.1002,Alang Laweh,desa_kelurahan
13.71.02,Padang Timur,kecamatan
13.71.02.1002,Jati Baru,desa_kelurahan
13.71.02.1007,Andalas,desa_kelurahan
13.74,Kota Padang Panjang,kabupaten_kota
13.74.01,Padang Panjang Barat,kecamatan
31,DKI Jakarta,provinsi
31.71,Kota Administrasi Jakarta Pusat ,kabupaten_kota
31.71.01,Gambir,kecamatan
"""


def write(tmp_path, text, name="wilayah.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path, *args):
    out = StringIO()
    call_command("load_regions", "--file", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot():
    return list(
        Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "search_name")
    )


def test_load_regions_creates_every_row_with_parent_links_and_search_names(tmp_path):
    output = load(write(tmp_path, SLICE))

    assert Region.objects.count() == 20
    assert "20 ditambah" in output
    padang = Region.objects.get(code="13.71")
    assert (padang.name, padang.level, padang.parent_id, padang.search_name) == (
        "Kota Padang",
        RegionLevel.KABUPATEN_KOTA,
        "13",
        "padang",
    )
    assert Region.objects.get(code="13.71.02.1007").parent.parent.parent.name == "Sumatera Barat"
    assert Region.objects.get(code="13").parent is None
    # Stray spaces in the source are trimmed, and "Kota Administrasi" is dropped from the search name.
    jakpus = Region.objects.get(code="31.71")
    assert (jakpus.name, jakpus.search_name) == ("Kota Administrasi Jakarta Pusat", "jakarta pusat")


def test_load_regions_twice_changes_nothing(tmp_path):
    path = write(tmp_path, SLICE)
    load(path)
    before = snapshot()

    output = load(path)

    assert snapshot() == before
    assert "0 ditambah, 0 diperbarui, 20 tetap" in output


def test_load_regions_updates_a_renamed_region_and_adds_new_ones_without_duplicates(tmp_path):
    load(write(tmp_path, SLICE))
    newer = SLICE.replace("13.71.02.1002,Jati Baru,", "13.71.02.1002,Jati Baru Ujung,") + (
        "13.71.02.1008,Kubu Marapalam,desa_kelurahan\n"
    )

    output = load(write(tmp_path, newer, "newer.csv"))

    assert "1 ditambah, 1 diperbarui, 19 tetap" in output
    renamed = Region.objects.get(code="13.71.02.1002")
    assert (renamed.name, renamed.search_name) == ("Jati Baru Ujung", "jati baru ujung")
    assert Region.objects.get(code="13.71.02.1008").parent_id == "13.71.02"
    assert Region.objects.count() == 21


def test_load_regions_keeps_a_region_that_left_the_file(tmp_path):
    load(write(tmp_path, SLICE))

    output = load(write(tmp_path, SLICE.replace("31.71.01,Gambir,kecamatan\n", ""), "smaller.csv"))

    assert Region.objects.filter(code="31.71.01").exists()
    assert "1 tidak ada di berkas (dibiarkan)" in output


def test_load_regions_reads_a_gzipped_file(tmp_path):
    path = tmp_path / "wilayah.csv.gz"
    path.write_bytes(gzip.compress(SLICE.encode()))

    load(path)

    assert Region.objects.count() == 20


def test_if_empty_skips_a_complete_table_and_loads_a_partial_one(tmp_path):
    path = write(tmp_path, SLICE)
    load(write(tmp_path, "\n".join(SLICE.splitlines()[:5]) + "\n", "start.csv"))
    assert Region.objects.count() == 4

    assert "20 kode dibaca, 16 ditambah" in load(path, "--if-empty")
    assert "dilewati" in load(path, "--if-empty")
    assert Region.objects.count() == 20


def test_load_regions_sorts_parents_first_whatever_the_file_order(tmp_path):
    header, *rows = SLICE.splitlines()
    load(write(tmp_path, "\n".join([header, *reversed(rows)]) + "\n"))

    assert Region.objects.get(code="13.05.01.2002").parent_id == "13.05.01"


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("13.71.03,Padang Barat,desa_kelurahan", "tingkat 'desa_kelurahan' tidak cocok dengan kode 13.71.03"),
        ("13.7x,Kota Entah,kabupaten_kota", "kode wilayah '13.7x' tidak sah"),
        ("13.71,Kota Padang,kabupaten_kota", "kode 13.71 muncul dua kali"),
        ("13.71.03,,kecamatan", "nama wilayah kosong"),
    ],
)
def test_a_bad_row_fails_with_its_line_number_and_loads_nothing(tmp_path, bad_line, message):
    path = write(tmp_path, SLICE + bad_line + "\n")

    with pytest.raises(CommandError) as error:
        load(path)

    assert message in str(error.value)
    assert "baris 22" in str(error.value)
    assert Region.objects.count() == 0


def test_a_region_without_parent_anywhere_fails_and_loads_nothing(tmp_path):
    path = write(tmp_path, SLICE + "14.01.01,Kampar Kiri,kecamatan\n")

    with pytest.raises(CommandError, match="tidak punya induk 14.01"):
        load(path)

    assert Region.objects.count() == 0


def test_a_file_without_the_expected_columns_is_refused(tmp_path):
    with pytest.raises(CommandError, match="tidak punya kolom tingkat"):
        load(write(tmp_path, "kode,nama\n13,Sumatera Barat\n"))


def test_the_shipped_file_holds_every_kemendagri_region_parents_first():
    rows = read_regions(REGIONS_FILE)

    levels = {}
    for row in rows:
        levels[row.level] = levels.get(row.level, 0) + 1
    assert len(rows) == 91_599
    assert levels == {"provinsi": 38, "kabupaten_kota": 514, "kecamatan": 7_285, "desa_kelurahan": 83_762}
    seen = set()
    for row in rows:
        assert row.parent_code is None or row.parent_code in seen
        seen.add(row.code)
