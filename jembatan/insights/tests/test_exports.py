"""Exports (CSV/XLSX, large ones by a task with progress) and the anonymised open data."""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from jembatan.insights import exports, opendata, rollups
from jembatan.insights.models import ExportJob, ExportStatus
from jembatan.reports.pii import redact
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=JAKARTA)
PII = (
    "Saya Siti, NIK 1371012345678901, hubungi 0812-3456-7890 atau +62 813 1111 2222, "
    "e-mail siti.rahma@example.id. Jalan di depan rumah berlubang sejak sebulan."
)
# What no redaction pattern catches: a name with a home address, GPS coordinates, a postcode.
NAME_AND_ADDRESS = (
    "Rumah Pak Budi Santoso di Jl. Melati No. 12 RT 03/RW 05, Padang 25117 (-0.9471, 100.4172) "
    "kebanjiran setiap hujan karena selokan tersumbat."
)


@pytest.fixture
def reports(w):
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        public = f.disposed(w, title="Jalan rusak depan SD", description=PII)
        address = f.disposed(w, title="Selokan tersumbat", description=NAME_AND_ADDRESS)
        secret = f.disposed(w, title="Pungutan liar di kantor kelurahan", is_confidential=True)
        fresh = f.submit(w, title='=HYPERLINK("http://x") jalan')  # not verified: not public either
        formula = f.disposed(w, title="=1+2 jalan berlubang di pasar")
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
    return {"public": public, "address": address, "secret": secret, "fresh": fresh, "formula": formula}


def test_the_redaction_used_for_open_data_hides_nik_phone_numbers_and_email_addresses():
    text = redact(PII)
    for secret in ("1371012345678901", "0812-3456-7890", "813 1111 2222", "siti.rahma@example.id"):
        assert secret not in text
    assert "Jalan di depan rumah berlubang" in text
    plain = "Biaya Rp 150.000 pada tahun 2024 di RT 05, jalan nomor 12."
    assert redact(plain) == plain


def test_open_data_holds_public_reports_only_with_text_redacted_and_no_personal_data(w, reports):
    count = opendata.publish()
    assert count == 3  # the public ones and the formula one; not the confidential, not the unverified
    folder = opendata.open_data_dir()
    rows = list(csv.DictReader(io.StringIO((folder / "laporan.csv").read_text(encoding="utf-8"))))
    numbers = {r["nomor_pelacakan"] for r in rows}
    assert numbers == {reports[k].tracking_number for k in ("public", "address", "formula")}
    text = (folder / "laporan.csv").read_text(encoding="utf-8") + (folder / "laporan.json").read_text(
        encoding="utf-8"
    )
    for secret in (
        "1371012345678901",
        "0812-3456-7890",
        "siti.rahma@example.id",
        "Siti Rahmawati",
        "081234567890",
    ):
        assert secret not in text
    assert reports["secret"].title not in text
    # Kabupaten/kota at most: the village of the report is not in the file.
    assert "13.71.01.1001" not in text and "Kelurahan Contoh" not in text
    row = next(r for r in rows if r["nomor_pelacakan"] == reports["public"].tracking_number)
    assert row["kode_kabupaten_kota"] == "13.71" and row["kabupaten_kota"] == "Kota Padang"
    assert set(rows[0]) == set(opendata.FIELDS)
    formula = next(r for r in rows if r["nomor_pelacakan"] == reports["formula"].tracking_number)
    assert formula["judul"].startswith("'=")


def test_open_data_json_carries_the_data_dictionary_and_the_same_records(w, reports):
    opendata.publish()
    data = json.loads((opendata.open_data_dir() / "laporan.json").read_text(encoding="utf-8"))
    assert [field["nama"] for field in data["kamus_data"]] == opendata.FIELDS
    assert data["metadata"]["jumlah_baris"] == len(data["data"]) == 3
    assert all(field["keterangan"] for field in data["kamus_data"])


def test_open_data_never_publishes_the_body_of_a_report_not_even_redacted(w, reports):
    opendata.publish()
    folder = opendata.open_data_dir()
    assert {p.name for p in folder.iterdir()} == {
        "laporan.csv",
        "laporan.json",
        "kamus-data.json",
        "metadata.json",
    }
    header = (folder / "laporan.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    data = json.loads((folder / "laporan.json").read_text(encoding="utf-8"))
    assert "isi" not in header and "isi" not in opendata.FIELDS
    assert all(set(record) == set(opendata.FIELDS) for record in data["data"])
    assert "isi" not in {field["nama"] for field in data["kamus_data"]}
    everything = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    for fragment in ("Budi Santoso", "Jl. Melati", "25117", "-0.9471", "100.4172", "kebanjiran setiap hujan"):
        assert fragment not in everything
    assert "Jalan di depan rumah berlubang" not in everything
    # The title is published (redacted), and the files say why the body is not.
    assert reports["address"].title in everything
    assert "tidak diterbitkan" in data["metadata"]["catatan_isi"]


def test_the_open_data_page_says_why_the_body_is_not_published(client, w):
    page = client.get("/data/terbuka/").content.decode()
    assert "Isi laporan tidak diterbitkan" in page and 'href="/laporan/"' in page
    # The data dictionary's types are translated strings (the lead fills the English catalogue).
    assert [f["tipe"] for f in opendata.dictionary()][:2] == ["teks", "tanggal (YYYY-MM-DD)"]


def test_the_publish_command_makes_the_open_data_available_on_a_fresh_install(client, w, reports):
    assert client.get("/data/terbuka/laporan.json").status_code == 503
    out = io.StringIO()
    call_command("publish_open_data", stdout=out)
    assert "Data terbuka diterbitkan: 3 laporan publik" in out.getvalue()
    response = client.get("/data/terbuka/laporan.json")
    assert response.status_code == 200
    records = json.loads(b"".join(response.streaming_content))["data"]
    assert {r["nomor_pelacakan"] for r in records} == {
        reports[k].tracking_number for k in ("public", "address", "formula")
    }
    assert "3 laporan" in client.get("/data/terbuka/").content.decode()


def test_open_data_pages_are_public_and_say_when_files_are_not_ready(client, w, reports):
    assert client.get("/data/terbuka/laporan.csv").status_code == 503
    page = client.get("/data/terbuka/")
    assert page.status_code == 200 and "nomor_pelacakan" in page.content.decode()
    opendata.publish()
    response = client.get("/data/terbuka/laporan.csv")
    assert response.status_code == 200
    assert reports["public"].tracking_number in b"".join(response.streaming_content).decode()
    dictionary = client.get("/data/terbuka/kamus-data.json")
    assert json.loads(b"".join(dictionary.streaming_content))[0]["nama"] == "nomor_pelacakan"
    assert client.get("/data/terbuka/../settings.py").status_code == 404


def test_a_large_report_list_is_built_by_a_task_with_progress_then_downloaded(
    client, w, reports, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_LIMIT", 1)
    client.force_login(w.auditor)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.get("/data/laporan/", {"dari": "2026-03-01", "unduh": "xlsx"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.done == job.total == 5 and job.percent == 100
    page = client.get(response["Location"])
    assert b"<progress" in page.content and b"Unduh berkas" in page.content
    download = client.get(f"/data/ekspor/{job.token}/unduh/")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 6 and rows[0][0] == "Nomor pelacakan"
    assert {r[0] for r in rows[1:]} == {r.tracking_number for r in reports.values()}


def test_an_export_job_is_private_to_the_one_who_asked(
    client, w, reports, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_LIMIT", 1)
    client.force_login(w.auditor)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.get("/data/laporan/", {"dari": "2026-03-01", "unduh": "csv"})
    job = ExportJob.objects.get()
    client.force_login(w.pimpinan_prov)
    assert client.get(f"/data/ekspor/{job.token}/").status_code == 404
    assert client.get(f"/data/ekspor/{job.token}/unduh/").status_code == 404


def test_spreadsheet_formulas_typed_by_citizens_are_neutralised_in_exports():
    data = exports.render([["judul"], ["=cmd|' /C calc'!A0"], ["+1"], ["aman"]], "csv")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("'=") and lines[2] == "'+1" and lines[3] == "aman"
    sheet = load_workbook(io.BytesIO(exports.render([["a"], ["=1+2"]], "xlsx"))).active
    assert sheet["A2"].value == "'=1+2" and sheet["A2"].data_type == "s"


def test_personal_data_in_an_anonymous_reports_title_is_redacted_in_the_auditors_list_and_export(client, w):
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        report = f.disposed(w, title="Jalan rusak, hubungi saya di 081298765432", is_anonymous=True)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
        client.force_login(w.auditor)
        page = client.get("/data/laporan/", {"dari": "2026-03-01"}).content.decode()
        export = client.get("/data/laporan/", {"dari": "2026-03-01", "unduh": "csv"})
    body = export.content.decode() if not export.streaming else b"".join(export.streaming_content).decode()
    for text in (page, body):
        assert report.tracking_number in text
        assert "081298765432" not in text
        assert "Jalan rusak, hubungi saya di" in text
