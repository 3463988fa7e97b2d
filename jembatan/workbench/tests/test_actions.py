"""Every workbench action through its HTTP view, for every role that may take it and every role
that may not (table-driven), plus the stale-form and bad-input paths."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jembatan.accounts import access
from jembatan.reports import actions
from jembatan.reports.models import (
    Channel,
    Classification,
    DispositionStatus,
    Event,
    Report,
    Status,
)
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

ROLES = [
    "admin_nasional",
    "verifier",
    "verifier_prov",
    "coordinator_pupr",
    "liaison_pupr",
    "liaison_dinkes",
    "auditor",
    "citizen",
]
VERIFIERS = {"admin_nasional", "verifier", "verifier_prov"}
ENTER = {"admin_nasional", "verifier", "verifier_prov", "coordinator_pupr"}
ASSIGN = {"verifier", "verifier_prov", "coordinator_pupr"}
WORKERS = {"verifier", "verifier_prov", "coordinator_pupr", "liaison_pupr"}
NOTE_TAKERS = {"admin_nasional", "verifier", "verifier_prov", "coordinator_pupr", "liaison_pupr"}


def verified(w):
    return actions.verify_report(
        report=f.submit(w),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )


def disp(report):
    return report.dispositions.order_by("-pk").first()


@dataclass
class Case:
    name: str
    setup: Callable  # w -> dict of what the case needs (at least "report")
    url: Callable  # ctx -> url
    data: Callable  # w, ctx -> POST data
    applied: Callable  # w, ctx -> bool (the state after the POST shows the action happened)
    allowed: set


def report_url(suffix):
    return lambda c: f"/kerja/laporan/{c['report'].tracking_number}/{suffix}/"


def disposition_url(suffix):
    return lambda c: f"/kerja/disposisi/{disp(c['report']).pk}/{suffix}/"


def fresh(c):
    return Report.objects.get(pk=c["report"].pk)


def v(c):
    return Report.objects.get(pk=c["report"].pk).version


CASES = [
    Case(
        "verify",
        lambda w: {"report": f.submit(w)},
        report_url("verifikasi"),
        lambda w, c: {
            "verify-version": v(c),
            "verify-classification": Classification.ASPIRASI,
            "verify-title": "Jalan berlubang di depan SDN 12 Padang",
            "verify-then": "verify",
        },
        lambda w, c: fresh(c).classification == Classification.ASPIRASI and fresh(c).verified_at is not None,
        VERIFIERS,
    ),
    Case(
        "verify_and_dispose",
        lambda w: {"report": f.submit(w)},
        report_url("verifikasi"),
        lambda w, c: {
            "verify-version": v(c),
            "verify-classification": Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
            "verify-title": "Jalan berlubang di depan SDN 12",
            "verify-agencies": [w.pupr.pk],
            "verify-instruction": "Mohon segera ditinjau.",
            "verify-then": "dispose",
        },
        lambda w, c: fresh(c).status == Status.TERDISPOSISI and disp(c["report"]).agency == w.pupr,
        VERIFIERS,
    ),
    Case(
        "request_information",
        lambda w: {"report": f.submit(w)},
        report_url("minta-informasi"),
        lambda w, c: {"request-version": v(c), "request-message": "Mohon lampirkan foto lokasi jalan."},
        lambda w, c: fresh(c).status == Status.MENUNGGU_KELENGKAPAN,
        VERIFIERS,
    ),
    Case(
        "archive",
        lambda w: {"report": f.submit(w)},
        report_url("arsipkan"),
        lambda w, c: {"archive-version": v(c), "archive-reason": w.reason_unclear.pk, "archive-note": ""},
        lambda w, c: fresh(c).status == Status.DIARSIPKAN_ADMIN,
        VERIFIERS,
    ),
    Case(
        "dispose",
        lambda w: {"report": verified(w)},
        report_url("disposisi"),
        lambda w, c: {"dispose-version": v(c), "dispose-agencies": [w.pupr.pk, w.dinkes.pk]},
        lambda w, c: fresh(c).status == Status.TERDISPOSISI and fresh(c).dispositions.count() == 2,
        VERIFIERS,
    ),
    Case(
        "close",
        lambda w: {"report": f.disposed(w)},
        report_url("tutup"),
        lambda w, c: {"close-version": v(c), "close-note": "Sudah ditangani lewat rapat koordinasi."},
        lambda w, c: fresh(c).status == Status.DITUTUP_ADMIN,
        VERIFIERS,
    ),
    Case(
        "mark_duplicate",
        lambda w: {"original": f.submit(w), "report": f.submit(w)},
        report_url("duplikat"),
        lambda w, c: {"duplicate-version": v(c), "duplicate-original": c["original"].tracking_number},
        lambda w, c: fresh(c).duplicate_of_id == c["original"].pk,
        VERIFIERS,
    ),
    Case(
        "add_note",
        lambda w: {"report": f.disposed(w)},
        report_url("catatan"),
        lambda w, c: {"note-text": "Sudah ditelepon, petugas lapangan berangkat besok."},
        lambda w, c: Event.objects.filter(report=c["report"], action="note").exists(),
        NOTE_TAKERS,
    ),
    Case(
        "assign_liaison",
        lambda w: {"report": f.disposed(w)},
        disposition_url("penghubung"),
        lambda w, c: {
            f"d{disp(c['report']).pk}-assign-version": v(c),
            f"d{disp(c['report']).pk}-assign-liaison": w.liaison_pupr.pk,
        },
        lambda w, c: disp(c["report"]).liaison_id == w.liaison_pupr.pk,
        ASSIGN,
    ),
    Case(
        "start_follow_up",
        lambda w: {"report": f.disposed(w)},
        disposition_url("mulai"),
        lambda w, c: {f"d{disp(c['report']).pk}-start-version": v(c)},
        lambda w, c: fresh(c).status == Status.DIPROSES,
        WORKERS,
    ),
    Case(
        "post_follow_up",
        lambda w: {"report": f.in_progress(w)},
        disposition_url("tindak-lanjut"),
        lambda w, c: {
            f"d{disp(c['report']).pk}-followup-version": v(c),
            f"d{disp(c['report']).pk}-followup-text": "Lubang sudah ditambal oleh tim jalan pada hari Senin.",
            f"d{disp(c['report']).pk}-followup-attachments": [
                SimpleUploadedFile("berita-acara.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
            ],
        },
        lambda w, c: (
            fresh(c).status == Status.SELESAI
            and fresh(c).attachments.filter(original_name="berita-acara.pdf").exists()
        ),
        WORKERS,
    ),
    Case(
        "return_disposition",
        lambda w: {"report": f.disposed(w)},
        disposition_url("kembalikan"),
        lambda w, c: {
            f"d{disp(c['report']).pk}-return-version": v(c),
            f"d{disp(c['report']).pk}-return-reason": "Jalan provinsi, bukan kewenangan kota.",
        },
        lambda w, c: disp(c["report"]).status == DispositionStatus.BUKAN_WEWENANG,
        WORKERS,
    ),
    Case(
        "forward_disposition",
        lambda w: {"report": f.disposed(w)},
        disposition_url("limpahkan"),
        lambda w, c: {
            f"d{disp(c['report']).pk}-forward-version": v(c),
            f"d{disp(c['report']).pk}-forward-agency": w.dinkes.pk,
            f"d{disp(c['report']).pk}-forward-reason": "Menyangkut sanitasi puskesmas.",
        },
        lambda w, c: disp(c["report"]).agency == w.dinkes,
        WORKERS,
    ),
]


def _actor(w, role):
    return getattr(w, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_action_is_taken_exactly_by_the_roles_allowed(w, as_user, case, role):
    ctx = case.setup(w)
    data = case.data(w, ctx)
    before_events = Event.objects.filter(report=ctx["report"]).count()
    client = as_user(_actor(w, role))
    response = client.post(case.url(ctx), data)
    if role in case.allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert case.applied(w, ctx)
    else:
        assert response.status_code == 403
        assert "Akses ditolak" in response.content.decode()
        assert not case.applied(w, ctx)
        assert Event.objects.filter(report=ctx["report"]).count() == before_events


ENTER_DATA = {
    "received_via": "telepon",
    "kind": "pengaduan",
    "title": "Lampu jalan mati di Jalan Khatib",
    "description": "Sudah seminggu lampu jalan di depan pasar mati, jalan sangat gelap di malam hari.",
    "reporter_name": "Pak Darmawan",
    "reporter_phone": "0812 7777 1234",
    "region": "13.71",
}


@pytest.mark.parametrize("role", ROLES)
def test_entering_a_report_for_a_citizen_is_for_admins_only(w, as_user, role):
    client = as_user(_actor(w, role))
    page = client.get("/kerja/laporan/baru/")
    response = client.post("/kerja/laporan/baru/", ENTER_DATA)
    entered = Report.objects.filter(title=ENTER_DATA["title"]).first()
    if role in ENTER:
        assert page.status_code == 200
        # Every field of the form is on the page (the template lists them by name).
        form_html = page.content.decode()
        for name in ("received_via", *ENTER_DATA, "reporter_email", "is_anonymous", "attachments"):
            assert f'name="{name}"' in form_html, name
        assert response.status_code == 200
        assert entered is not None and entered.channel == Channel.OFFICER
        assert entered.reporter_id is None and entered.reporter_phone == "6281277771234"
        body = response.content.decode()
        assert entered.tracking_number in body
        shown = re.search(r'<dd class="big">([A-Z0-9]{10})</dd>', body).group(1)
        assert entered.check_access_code(shown)
        assert entered.events.get(action="submitted").actor == _actor(w, role)
        assert entered.events.get(action="submitted").data["received_via"] == "telepon"
        if access.can_view_report_internal(_actor(w, role), entered):
            shown = client.get(f"/kerja/laporan/{entered.tracking_number}/").content.decode()
            assert "Dicatat petugas (Telepon)" in shown
    else:
        assert page.status_code == 403 and response.status_code == 403
        assert entered is None


def test_an_entered_report_needs_a_way_to_reach_the_citizen(w, as_user):
    data = {**ENTER_DATA, "reporter_phone": ""}
    response = as_user(w.verifier).post("/kerja/laporan/baru/", data)
    assert response.status_code == 400
    assert "Isi e-mail atau nomor ponsel pelapor" in response.content.decode()
    assert not Report.objects.filter(title=ENTER_DATA["title"]).exists()


def test_an_entered_report_says_how_it_arrived(w, as_user):
    data = {**ENTER_DATA, "received_via": ""}
    response = as_user(w.verifier).post("/kerja/laporan/baru/", data)
    assert response.status_code == 400
    assert not Report.objects.filter(title=ENTER_DATA["title"]).exists()


def test_only_officers_record_how_a_report_arrived(w):
    with pytest.raises(actions.ReportError) as refused:
        f.submit(w, received_via="telepon")
    assert refused.value.field == "received_via"


def test_an_entered_report_with_a_bad_phone_number_shows_the_actions_message(w, as_user):
    data = {**ENTER_DATA, "reporter_phone": "12345"}
    response = as_user(w.verifier).post("/kerja/laporan/baru/", data)
    assert response.status_code == 400
    assert "Nomor ponsel tidak valid" in response.content.decode()


# --- Stale forms ---------------------------------------------------------------------------------


def test_a_stale_form_is_refused_with_409_and_changes_nothing(w, as_user):
    report = f.submit(w)
    seen_version = report.version
    client = as_user(w.verifier)
    assert client.get(f"/kerja/laporan/{report.tracking_number}/").status_code == 200
    # Another verifier acts first.
    actions.request_information(
        report=report, actor=w.verifier_prov, message="Mohon sebutkan patokan lokasi."
    )
    events = Event.objects.filter(report=report).count()
    response = client.post(
        f"/kerja/laporan/{report.tracking_number}/arsipkan/",
        {"archive-version": seen_version, "archive-reason": w.reason_unclear.pk},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "sudah diubah oleh orang lain" in body
    report.refresh_from_db()
    assert report.status == Status.MENUNGGU_KELENGKAPAN
    assert Event.objects.filter(report=report).count() == events
    # The re-rendered form now carries the current version: sending it again is a deliberate choice.
    assert f'name="archive-version" value="{report.version}"' in body


def test_a_stale_disposition_form_is_refused_too(w, as_user):
    report = f.disposed(w)
    d = disp(report)
    seen = report.version
    actions.add_note(report=report, actor=w.verifier, text="Catatan yang mengubah versi.")
    response = as_user(w.liaison_pupr).post(
        f"/kerja/disposisi/{d.pk}/mulai/", {f"d{d.pk}-start-version": seen}
    )
    assert response.status_code == 409
    d.refresh_from_db()
    assert d.status == DispositionStatus.TERDISPOSISI


# --- Bad input and illegal moves -----------------------------------------------------------------


def test_an_invalid_form_is_shown_again_with_its_errors(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).post(
        f"/kerja/laporan/{report.tracking_number}/minta-informasi/",
        {"request-version": report.version, "request-message": "pendek"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="request" open' in body
    assert "errorlist" in body
    report.refresh_from_db()
    assert report.status == Status.BELUM_TERVERIFIKASI


def test_an_illegal_move_shows_the_actions_message(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).post(
        f"/kerja/laporan/{report.tracking_number}/tutup/",
        {"close-version": report.version, "close-note": "Ditutup karena sudah selesai."},
    )
    assert response.status_code == 400
    assert "diarsipkan, bukan ditutup" in response.content.decode()


def test_verify_and_dispose_needs_a_target_agency(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).post(
        f"/kerja/laporan/{report.tracking_number}/verifikasi/",
        {
            "verify-version": report.version,
            "verify-classification": Classification.ASPIRASI,
            "verify-title": report.title,
            "verify-then": "dispose",
        },
    )
    assert response.status_code == 400
    assert "Pilih paling sedikit satu instansi tujuan" in response.content.decode()
    report.refresh_from_db()
    assert report.verified_at is None  # verify and dispose go together or not at all


def test_verify_and_dispose_rolls_back_the_verification_when_the_disposal_fails(w, as_user):
    report = f.submit(w)
    w.pupr.is_active = False
    w.pupr.save()
    response = as_user(w.verifier).post(
        f"/kerja/laporan/{report.tracking_number}/verifikasi/",
        {
            "verify-version": report.version,
            "verify-classification": Classification.ASPIRASI,
            "verify-title": report.title,
            "verify-agencies": [w.pupr.pk],
            "verify-then": "dispose",
        },
    )
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.verified_at is None and report.classification == ""
    assert not Event.objects.filter(report=report, action="verified").exists()


def test_marking_a_duplicate_of_an_unknown_report_is_a_form_error(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).post(
        f"/kerja/laporan/{report.tracking_number}/duplikat/",
        {"duplicate-version": report.version, "duplicate-original": "999999999"},
    )
    assert response.status_code == 400
    assert "tidak ditemukan" in response.content.decode()


# --- 403 -----------------------------------------------------------------------------------------


def test_a_citizen_gets_the_indonesian_403_page_on_the_workbench(w, as_user):
    response = as_user(w.citizen).get("/kerja/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Akses ditolak" in body and "Meja kerja hanya untuk petugas instansi." in body
    assert response.templates[0].name == "403.html"


def test_a_visitor_is_sent_to_log_in(w, as_user):
    response = as_user(None).get("/kerja/antrean/verifikasi/")
    assert response.status_code == 302
    assert response.url.startswith("/akun/masuk/?next=/kerja/antrean/verifikasi/")


def test_staff_outside_the_reports_scope_get_403_on_its_page(w, as_user):
    report = f.disposed(w)
    response = as_user(w.liaison_dinkes).get(f"/kerja/laporan/{report.tracking_number}/")
    assert response.status_code == 403
    assert "di luar cakupan instansi Anda" in response.content.decode()


def test_a_liaison_trying_to_verify_gets_the_reason_in_indonesian(w, as_user):
    report = f.disposed(w)
    response = as_user(w.liaison_pupr).post(
        f"/kerja/laporan/{report.tracking_number}/verifikasi/", {"verify-version": report.version}
    )
    assert response.status_code == 403
    assert "Hanya verifikator laporan ini yang dapat melakukannya." in response.content.decode()


def test_workbench_pages_are_never_cached(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).get(f"/kerja/laporan/{report.tracking_number}/")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_reporters_phone_reads_like_a_phone_number_and_can_be_called(w, as_user):
    report = f.submit(w, actor=None, reporter_name="Pak Darmawan", reporter_phone="0812 7777 1234")
    html = as_user(w.verifier).get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert '<a href="tel:+6281277771234">+62 812-7777-1234</a>' in html
