"""manage.py import_lapor on the real Samarinda 2024 export (read from ../shared, never shipped)."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Sum
from openpyxl import Workbook

from jembatan.directory.actions import load_categories, load_regions
from jembatan.directory.models import Agency, AgencyKind
from jembatan.directory.sources import read_categories, read_regions
from jembatan.directory.tests.factories import make_agency
from jembatan.insights import rollups
from jembatan.insights.models import DirtyPeriod, Grain, ReportCube, ReportFact
from jembatan.intake import lapor as importing
from jembatan.reports import actions
from jembatan.reports.models import Channel, Classification, Disposition, Event, Report, Status
from jembatan.reports.sla import JAKARTA
from jembatan.shared_data import needed_by_test

pytestmark = pytest.mark.django_db

SAMPLE = "lapor-export-samarinda-2024.csv"  # not shipped: see jembatan/shared_data.py
NOW = dt.datetime(2025, 2, 3, 9, 0, tzinfo=JAKARTA)


@pytest.fixture(scope="module")
def region_rows():
    # Provinces and kabupaten/kota everywhere, and every level of Kalimantan Timur (64).
    return [r for r in read_regions() if r.code.count(".") <= 1 or r.code.startswith("64.")]


@pytest.fixture
def reference_data(region_rows):
    load_regions(rows=region_rows)
    load_categories(rows=read_categories())


@pytest.fixture
def directory(reference_data):
    prov = make_agency(
        "Pemerintah Provinsi Kalimantan Timur", kind=AgencyKind.PEMPROV, region="64", code="kaltim"
    )
    return make_agency(
        "Pemerintah Kota Samarinda",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=prov,
        region="64.72",
        code="samarinda",
    )


@pytest.fixture
def small_sample(tmp_path):
    """The first 30 rows of the sample (the full file takes seconds; most tests need a few rows)."""
    with open(needed_by_test(SAMPLE), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[:31]
    path = tmp_path / "lapor-30.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def run(*args):
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("import_lapor", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sample_ids():
    with open(needed_by_test(SAMPLE), encoding="utf-8-sig") as handle:
        return [row["Tracking ID"] for row in csv.DictReader(handle)]


def snapshot():
    reports = sorted(
        Report.objects.values_list(
            "external_id",
            "status",
            "version",
            "updated_at",
            "title",
            "classification",
            "category_id",
            "region_id",
        )
    )
    return reports, Event.objects.count(), Disposition.objects.count(), Agency.objects.count()


def test_importing_the_sample_accounts_for_every_row_and_a_reimport_changes_nothing(directory):
    result = importing.import_file(needed_by_test(SAMPLE), parent=directory)
    assert result.rows == 240
    assert result.created + len(result.errors) == 240
    # Every row goes in, the one with a 17-character text too: the source system accepted it.
    assert (result.created, result.errors) == (240, [])
    assert {e[1] for e in result.errors} | set(Report.objects.values_list("external_id", flat=True)) == set(
        sample_ids()
    )
    for _number, _tracking, message in result.errors:
        assert message  # every failure says why

    before = snapshot()
    again = importing.import_file(needed_by_test(SAMPLE), parent=directory)
    assert (again.created, again.updated, again.unchanged) == (0, 0, result.created)
    assert len(again.errors) == len(result.errors)
    assert snapshot() == before


def test_imported_reports_keep_their_lapor_identity_flags_and_place(directory, small_sample):
    importing.import_file(small_sample, parent=directory)
    report = Report.objects.get(source_instance="lapor.go.id", external_id="7248223")
    assert report.status == Status.DITUTUP_SISTEM
    assert report.classification == Classification.PENGADUAN_BERKADAR_PENGAWASAN
    assert report.category.code == "950"
    assert report.is_anonymous and report.is_confidential
    assert report.channel == Channel.WEB
    assert report.submitted_at == dt.datetime(2024, 1, 5, 2, 13, 42, tzinfo=JAKARTA)
    assert report.region_id == "64"  # only the province is given in this row
    assert report.verifying_agency == directory
    disposition = report.dispositions.get()
    assert disposition.agency.name == "Dinas Lingkungan Hidup"
    assert disposition.agency.parent == directory and disposition.agency.code == "lapor-131433"
    assert disposition.status == "selesai"
    assert report.next_check_at is None
    assert report.events.filter(action="imported").count() == 1

    archived = Report.objects.get(external_id="5282813")
    assert archived.status == Status.DIARSIPKAN_ADMIN and archived.archive_reason.code == "tidak-jelas"
    assert archived.region_id == "64.72"  # Kota Samarinda, by name
    assert not archived.dispositions.exists()


def test_a_reimport_of_a_changed_row_updates_that_report_once(directory, small_sample, tmp_path):
    importing.import_file(small_sample, parent=directory)
    text = small_sample.read_text(encoding="utf-8").replace(
        "Peternakan Ayam Yang Mengganggu Aktifitas Masyarakat Sekitar", "Peternakan ayam mengganggu warga"
    )
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    result = importing.import_file(changed, parent=directory)
    assert result.updated == 1 and result.created == 0
    report = Report.objects.get(external_id="7248223")
    assert report.title == "Peternakan ayam mengganggu warga"
    assert report.events.filter(action="imported").count() == 2


def test_the_command_reports_counts_and_errors_and_a_dry_run_saves_nothing(directory, small_sample, tmp_path):
    output = run(str(small_sample), "--parent", "samarinda", "--dry-run")
    assert "UJI COBA" in output and "30 baris: 30 baru" in output
    assert not Report.objects.exists()
    assert not Agency.objects.filter(code__startswith="lapor-").exists()
    # A row without any text fails, is listed, and the rest goes in.
    broken = tmp_path / "broken.csv"
    rows = list(csv.reader(io.StringIO(small_sample.read_text(encoding="utf-8"))))
    rows[1][8] = rows[1][9] = "  "
    with open(broken, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    errors = tmp_path / "errors.csv"
    output = run(str(broken), "--parent", "samarinda", "--errors", str(errors))
    assert (
        "30 baris: 29 baru, 0 diperbarui, 0 tetap, 0 sudah ditangani di Jembatan (tidak ditimpa), 1 gagal"
        in output
    )
    assert "baris 2 (5282813): Isi laporan wajib diisi" in output
    assert Report.objects.count() == 29
    assert "5282813" in errors.read_text(encoding="utf-8")


def test_agencies_can_be_mapped_by_name_instead_of_created(directory, small_sample):
    pupr = make_agency("Dinas PUPR Samarinda", parent=directory, code="smd-pupr")
    run(
        str(small_sample),
        "--parent",
        "samarinda",
        "--map-agency",
        "Dinas Pekerjaan Umum dan Penataan Ruang=smd-pupr",
    )
    assert Disposition.objects.filter(agency=pupr).count() >= 3
    assert not Agency.objects.filter(name="Dinas Pekerjaan Umum dan Penataan Ruang").exists()


def test_without_a_parent_unknown_agencies_are_row_errors_not_a_crash(directory, small_sample):
    result = importing.import_file(small_sample)
    assert result.created + len(result.errors) == 30
    assert any("Beri --parent" in message for _n, _t, message in result.errors)


def test_an_xlsx_export_imports_like_the_csv(directory, tmp_path):
    with open(needed_by_test(SAMPLE), encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))[:21]
    workbook = Workbook()
    for row in table:
        workbook.active.append(row)
    path = tmp_path / "lapor.xlsx"
    workbook.save(path)
    result = importing.import_file(path, parent=directory)
    assert result.rows == 20 and result.created + len(result.errors) == 20


def test_a_file_that_is_not_a_lapor_export_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="21 kolom"):
        importing.read_rows(path)


def test_imported_reports_feed_the_dashboards(directory, small_sample):
    importing.import_file(small_sample, parent=directory)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
    assert ReportFact.objects.count() == Report.objects.count() == 30
    assert ReportFact.objects.filter(province="64").count() == 30
    # Imported reports carry no SLA dates: they never count as verified late or on time.
    assert not ReportFact.objects.filter(verified=True).exists()


def test_the_command_refreshes_the_dashboards_right_after_a_real_import_not_a_dry_run(
    directory, small_sample
):
    output = run(str(small_sample), "--parent", "samarinda", "--dry-run")
    assert "Rekapitulasi" not in output and not ReportFact.objects.exists()
    output = run(str(small_sample), "--parent", "samarinda")
    assert "Rekapitulasi dasbor diperbarui: 30 laporan dihitung ulang." in output
    # No rollup run in between: the facts and the cubes the dashboards read already hold them.
    assert ReportFact.objects.filter(province="64").count() == 30
    assert ReportCube.objects.filter(province="64", grain=Grain.DAY).aggregate(n=Sum("reports"))["n"] == 30
    assert not DirtyPeriod.objects.exists()


def test_the_command_creates_a_missing_parent_once_and_finds_it_by_name_afterwards(
    reference_data, small_sample
):
    args = [str(small_sample), "--create-parent", "Pemerintah Kota Samarinda", "--parent-region", "64.72"]
    output = run(*args, "--dry-run")
    assert "Instansi induk akan dibuat: Pemerintah Kota Samarinda" in output
    assert not Agency.objects.exists()

    output = run(*args)
    assert "Instansi induk dibuat: Pemerintah Kota Samarinda (kode pemerintah-kota-samarinda" in output
    assert "30 baris: 30 baru" in output
    parent = Agency.objects.get(code="pemerintah-kota-samarinda")
    assert (parent.kind, parent.region_id, parent.parent) == (AgencyKind.PEMKAB_PEMKOT, "64.72", None)
    assert Agency.objects.filter(parent=parent, code__startswith="lapor-").exists()
    agencies = Agency.objects.count()

    output = run(*args)  # the same command again: the parent is found, nothing changes
    assert "dibuat" not in output and "30 baris: 0 baru, 0 diperbarui, 30 tetap" in output
    output = run(str(small_sample), "--parent", "pemerintah kota SAMARINDA")  # by name
    assert "30 baris: 0 baru, 0 diperbarui, 30 tetap" in output
    assert Agency.objects.count() == agencies


def test_the_command_refuses_an_unusable_parent_before_importing_anything(reference_data, small_sample):
    with pytest.raises(CommandError, match="--parent-region"):
        run(str(small_sample), "--create-parent", "Pemerintah Kota Samarinda")
    with pytest.raises(CommandError, match="99.99"):
        run(str(small_sample), "--create-parent", "Pemerintah Kota Samarinda", "--parent-region", "99.99")
    with pytest.raises(CommandError, match="--create-parent"):
        run(str(small_sample), "--parent", "Pemerintah Kota Samarinda")
    make_agency("Dinas Kesehatan", code="dinkes-a", region="64.72")
    make_agency("Dinas Kesehatan", code="dinkes-b", region="64.71")
    with pytest.raises(CommandError, match="dinkes-a, dinkes-b"):
        run(str(small_sample), "--parent", "Dinas Kesehatan")
    assert not Report.objects.exists()


def test_the_import_action_refuses_a_report_that_was_not_imported(directory, small_sample):
    importing.import_file(small_sample, parent=directory)
    report = Report.objects.get(external_id="7248223")
    state = dict(
        title="Judul yang lain sama sekali",
        description="Isi laporan yang cukup panjang untuk diterima.",
        kind=report.kind,
        classification=report.classification,
        category=None,
        region=None,
        is_anonymous=False,
        is_confidential=False,
        channel=Channel.WEB,
        status=Status.SELESAI,
        archive_reason=None,
        agencies=[],
    )
    with pytest.raises(actions.ReportError, match="bukan impor dari example.org"):
        actions.apply_imported_report(report=report, source_instance="example.org", **state)
    with pytest.raises(actions.ReportError, match="Isi laporan wajib diisi"):
        actions.apply_imported_report(
            report=report, source_instance="lapor.go.id", **(state | {"description": "  "})
        )
    report.refresh_from_db()
    assert report.title != state["title"] and report.events.filter(action="imported").count() == 1
