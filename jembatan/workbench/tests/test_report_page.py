"""The report page: SLA clocks in working days, the routing proposal, similar reports, the full
timeline with internal notes and attachments, and response templates."""

import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from jembatan.directory.tests.factories import make_rule
from jembatan.reports import actions
from jembatan.reports.models import Classification
from jembatan.reports.tests import factories as f
from jembatan.workbench.models import ResponseTemplate, TemplatePurpose
from jembatan.workbench.tests.helpers import at

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def page(client, report, **params):
    response = client.get(f"/kerja/laporan/{report.tracking_number}/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_each_disposition_shows_its_clock_in_working_days(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Monday: first response due Mon 30 Nov
        report = f.disposed(w)
    client = as_user(w.liaison_pupr)
    with time_machine.travel(at(2026, 11, 26, 9), tick=False):  # Thursday: Fri and Mon remain
        assert "sisa 2 hari kerja" in page(client, report)
    with time_machine.travel(at(2026, 11, 30, 15), tick=False):
        assert "batas hari ini" in page(client, report)
    with time_machine.travel(at(2026, 12, 3, 9), tick=False):  # Tue, Wed, Thu past the deadline
        body = page(client, report)
        assert "terlambat 3 hari kerja" in body
        assert "clock-late" in body


def test_the_clock_skips_the_weekend(w, as_user):
    with time_machine.travel(at(2026, 11, 26, 9), tick=False):  # Thursday: verification due Tue 1 Dec
        report = f.submit(w)
    with time_machine.travel(at(2026, 11, 27, 16), tick=False):  # Friday: Mon and Tue remain
        assert "sisa 2 hari kerja" in page(as_user(w.verifier), report)


def test_a_finished_disposition_says_whether_it_was_on_time(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.answered(w)
        assert "tepat waktu" in page(as_user(w.verifier), report)


def test_the_routing_proposal_is_preselected_in_the_dispose_forms(w, as_user):
    make_rule(w.category, w.dinkes, "13.71")  # an odd rule, so the choice is visibly the rule's
    report = f.submit(w)
    body = page(as_user(w.verifier), report)
    assert "Usulan instansi" in body and "Dinas Kesehatan Kota Padang" in body
    select = re.search(r'<select name="verify-agencies".*?</select>', body, re.S).group(0)
    assert re.search(rf'<option value="{w.dinkes.pk}" selected>', select)
    assert not re.search(rf'<option value="{w.pupr.pk}" selected>', select)


def test_without_a_rule_nothing_is_preselected(w, as_user):
    body = page(as_user(w.verifier), f.submit(w))
    assert "Tidak ada usulan" in body
    assert " selected>" not in re.search(r'<select name="verify-agencies".*?</select>', body, re.S).group(0)


def test_the_timeline_holds_internal_notes_for_staff(w, as_user):
    report = f.disposed(w)
    actions.add_note(
        report=report, actor=w.verifier, text="Sudah koordinasi lewat telepon dengan kepala dinas."
    )
    body = page(as_user(w.liaison_pupr), report)
    assert "Sudah koordinasi lewat telepon" in body
    assert "Catatan internal" in body
    assert w.verifier.display_name in body
    assert "Didisposisikan" in body and "Dinas PUPR Kota Padang" in body


def test_attachments_are_listed_and_served_only_to_staff_in_scope(w, as_user):
    report = f.disposed(w, attachments=[SimpleUploadedFile("foto-lokasi.pdf", PDF)])
    attachment = report.attachments.get()
    body = page(as_user(w.liaison_pupr), report)
    assert "foto-lokasi.pdf" in body
    response = as_user(w.liaison_pupr).get(f"/kerja/lampiran/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert as_user(w.liaison_dinkes).get(f"/kerja/lampiran/{attachment.pk}/").status_code == 403
    assert as_user(w.citizen).get(f"/kerja/lampiran/{attachment.pk}/").status_code == 403


def test_merging_a_similar_report_asks_first_with_both_side_by_side(w, as_user):
    original = f.submit(w, title="Jalan berlubang di depan SDN 12")
    report = f.submit(w, title="Lubang besar di depan SDN 12")
    client = as_user(w.verifier)
    body = page(client, report)
    confirm = f"/kerja/laporan/{report.tracking_number}/gabungkan/{original.tracking_number}/"
    assert f'href="{confirm}"' in body
    report.refresh_from_db()
    assert report.duplicate_of is None  # opening the page merged nothing
    body = client.get(confirm).content.decode()
    assert "Jalan berlubang di depan SDN 12" in body and "Lubang besar di depan SDN 12" in body
    assert f'name="duplicate-original" value="{original.tracking_number}"' in body
    response = client.post(
        f"/kerja/laporan/{report.tracking_number}/duplikat/",
        {"duplicate-version": report.version, "duplicate-original": original.tracking_number},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.duplicate_of == original


def test_a_response_template_fills_in_its_placeholders_without_javascript(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.in_progress(w)
        d = report.dispositions.get()
        template = ResponseTemplate.objects.create(
            agency=w.padang,
            name="Jalan sudah diperbaiki",
            purpose=TemplatePurpose.FOLLOW_UP,
            body="Laporan #{nomor} ({judul}) sudah ditangani {instansi} pada {tanggal}.",
        )
        ResponseTemplate.objects.create(
            agency=w.dinkes,
            name="Templat dinas lain",
            purpose=TemplatePurpose.FOLLOW_UP,
            body="Tidak relevan untuk PUPR.",
        )
        client = as_user(w.liaison_pupr)
        body = page(client, report)
        assert "Jalan sudah diperbaiki" in body and "Templat dinas lain" not in body
        body = page(client, report, untuk=f"d{d.pk}-followup", templat=template.pk)
    expected = (
        f"Laporan #{report.tracking_number} (Jalan berlubang di depan SDN 12) "
        "sudah ditangani Dinas PUPR Kota Padang pada 23 November 2026."
    )
    textarea = re.search(rf'<textarea name="d{d.pk}-followup-text".*?</textarea>', body, re.S).group(0)
    assert expected in textarea
    assert f'id="d{d.pk}-followup" open' in body


def test_request_information_templates_come_from_the_verifying_government(w, as_user):
    ResponseTemplate.objects.create(
        agency=w.padang,
        name="Minta foto",
        purpose=TemplatePurpose.REQUEST_INFORMATION,
        body="Mohon kirim foto lokasi untuk laporan #{nomor}.",
    )
    report = f.submit(w)
    body = page(as_user(w.verifier), report)
    assert "Minta foto" in body
    assert (
        f"Mohon kirim foto lokasi untuk laporan #{report.tracking_number}." in body
    )  # in the option's data-text


def test_a_verified_report_offers_reclassification_not_a_second_verification(w, as_user):
    report = actions.verify_report(
        report=f.submit(w), actor=w.verifier, classification=Classification.PENGADUAN_BERKADAR_PENGAWASAN
    )
    body = page(as_user(w.verifier), report)
    assert "Ubah klasifikasi" in body
    assert f'action="/kerja/laporan/{report.tracking_number}/disposisi/"' in body


def test_the_english_workbench_timeline_shows_english_labels(w, as_user):
    report = f.disposed(w)
    client = as_user(w.liaison_pupr)
    client.cookies["django_language"] = "en"
    body = client.get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert "Report received" in body and "Disposed" in body
    assert "Laporan diterima" not in body
