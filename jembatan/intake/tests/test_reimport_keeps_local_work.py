"""Re-importing a LAPOR! export never undoes what officers did in Jembatan on an imported report."""

import csv

import pytest

from jembatan.intake import lapor as importing
from jembatan.reports import actions
from jembatan.reports.models import DispositionStatus, Report, Status
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def _write(path, status):
    row = {c: "" for c in importing.COLUMNS}
    row.update(
        {
            "Tracking ID": "9900001",
            "Tanggal Laporan Masuk": "2 Mar 2026",
            "Waktu Laporan Masuk": "08:00:00",
            "Klasifikasi Laporan": "Pengaduan Tidak Berkadar Pengawasan",
            "Judul Laporan": "Jalan berlubang di depan pasar",
            "Isi Laporan Awal": (
                "Jalan di depan pasar berlubang besar sejak dua minggu, membahayakan pengendara."
            ),
            "Sumber Laporan": "Website",
            "Instansi Induk": "Pemerintah Kota Padang",
            "Status Laporan": status,
            "Provinsi": "Sumatera Barat",
            "Kota/Kabupaten": "Kota Padang",
        }
    )
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=importing.COLUMNS)
        writer.writeheader()
        writer.writerow(row)


def test_reimport_does_not_cancel_a_disposition_made_in_jembatan(tmp_path):
    w = f.build_world()
    path = tmp_path / "lapor.csv"
    _write(path, "Belum Terverifikasi")
    first = importing.import_file(path, parent=w.padang)
    assert first.created == 1, first.errors
    report = Report.objects.get(external_id="9900001")
    assert report.status == Status.BELUM_TERVERIFIKASI
    actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    report.refresh_from_db()
    assert report.status == Status.TERDISPOSISI
    version = report.version
    again = importing.import_file(path, parent=w.padang)  # the same file, next month
    report.refresh_from_db()
    d = report.dispositions.get(agency=w.pupr)
    assert (again.kept, again.errors) == (1, [])
    assert "Sudah ditangani di Jembatan" in again.warnings[0][2]
    assert (report.status, d.status, report.version) == (
        Status.TERDISPOSISI,
        DispositionStatus.TERDISPOSISI,
        version,
    )


def test_reimport_still_updates_a_report_nobody_worked_here(tmp_path):
    w = f.build_world()
    path = tmp_path / "lapor.csv"
    _write(path, "Belum Terverifikasi")
    importing.import_file(path, parent=w.padang)
    _write(path, "Ditutup oleh Sistem")
    again = importing.import_file(path, parent=w.padang)
    assert (again.updated, again.kept, again.errors) == (1, 0, [])
    assert Report.objects.get(external_id="9900001").status == Status.DITUTUP_SISTEM


def test_a_worked_report_still_becomes_confidential_when_the_source_says_so(tmp_path):
    w = f.build_world()
    path = tmp_path / "lapor.csv"
    _write(path, "Belum Terverifikasi")
    importing.import_file(path, parent=w.padang)
    report = Report.objects.get(external_id="9900001")
    actions.add_note(report=report, actor=w.verifier, text="Sudah saya baca.")  # any local work
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    rows[0]["Tipe Laporan (Anonim/Rahasia)"] = "Anonim|Rahasia"
    rows[0]["Status Laporan"] = "Ditutup oleh Sistem"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=importing.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    again = importing.import_file(path, parent=w.padang)
    report.refresh_from_db()
    assert again.kept == 1
    assert report.is_confidential and report.is_anonymous  # more protection is always taken
    assert report.status == Status.BELUM_TERVERIFIKASI  # the rest of the row is not


def test_an_imported_report_is_never_auto_routed_whatever_its_source_channel(tmp_path):
    from jembatan.reports.models import Channel

    w = f.build_world()
    path = tmp_path / "lapor.csv"
    _write(path, "Belum Terverifikasi")
    importing.import_file(path)  # no parent: nothing addressed
    report = Report.objects.get(external_id="9900001")
    assert report.channel == Channel.WEB  # the source channel, not "import"
    assert actions.auto_route_report(report=report, agency=w.pupr, confidence=0.99, model_version=1) is None
