"""The staff side of REST API v1: scope, identity, and every workbench action through HTTP."""

import io

import pytest
from PIL import Image

from jembatan.accounts.models import Role
from jembatan.api import actions as api_actions
from jembatan.api.tests.conftest import keyed_client
from jembatan.reports.models import Classification, DispositionStatus, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def detail(api, report):
    return api.get(f"/api/v1/staff/reports/{report.tracking_number}/")


def test_a_key_for_one_agency_cannot_read_another_agencys_report(pupr_key, dinkes_key, w):
    report = rf.disposed(w)  # disposed to Dinas PUPR
    assert detail(pupr_key, report).status_code == 200
    assert detail(dinkes_key, report).status_code == 404
    assert dinkes_key.get("/api/v1/staff/reports/").json()["results"] == []
    listed = pupr_key.get("/api/v1/staff/reports/").json()["results"]
    assert [r["tracking_number"] for r in listed] == [report.tracking_number]


def test_a_citizen_is_refused_the_staff_endpoints(citizen_client, w):
    response = citizen_client.get("/api/v1/staff/reports/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_liaison_never_sees_who_reported_anonymously_but_the_verifier_does(pupr_key, verifier_key, w):
    report = rf.disposed(w, is_anonymous=True)
    liaison_view = detail(pupr_key, report).json()
    assert liaison_view["reporter"] is None
    assert "Siti" not in str(liaison_view)
    verifier_view = detail(verifier_key, report).json()
    assert verifier_view["reporter"]["name"] == "Siti Rahmawati"
    assert verifier_view["reporter"]["email"] == "siti@example.id"


def test_a_report_goes_from_verification_to_an_answer_through_the_api(
    verifier_key, pupr_key, citizen_client, w
):
    report = rf.submit(w)
    verified = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/verify/",
        {"classification": Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN, "category": w.category.code},
    )
    assert verified.status_code == 200, verified.json()
    disposed = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/dispose/",
        {"agencies": ["padang-pupr"], "instruction": "Mohon segera dicek."},
        format="json",
    )
    assert disposed.status_code == 200, disposed.json()
    disposition_id = disposed.json()["dispositions"][0]["id"]
    started = pupr_key.post(f"/api/v1/staff/dispositions/{disposition_id}/start/", {})
    assert started.json()["status"] == Status.DIPROSES
    photo = io.BytesIO()
    Image.new("RGB", (4, 4), "gray").save(photo, "JPEG")
    photo.seek(0)
    photo.name = "tambal.jpg"
    answered = pupr_key.post(
        f"/api/v1/staff/dispositions/{disposition_id}/follow-up/",
        {"text": "Lubang sudah ditambal tim pemeliharaan hari Senin.", "attachments": [photo]},
        format="multipart",
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == Status.SELESAI
    attachment_url = answered.json()["attachments"][0]["url"]
    download = pupr_key.get(attachment_url)
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    closed = citizen_client.post(f"/api/v1/reports/{report.tracking_number}/close/", {})
    assert closed.json()["status"] == Status.DITUTUP_PELAPOR


def test_a_stale_version_is_a_409_and_changes_nothing(verifier_key, w):
    report = rf.submit(w)
    stale = report.version
    rf.actions.add_note(report=report, actor=w.verifier, text="Cek dulu ke lapangan.")
    response = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/request-information/",
        {"message": "Mohon lampirkan foto lokasi.", "expected_version": stale},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Report.objects.get(pk=report.pk).status == Status.BELUM_TERVERIFIKASI


def test_disposing_before_verification_is_an_illegal_transition(verifier_key, w):
    report = rf.submit(w)
    response = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/dispose/",
        {"agencies": ["padang-pupr"]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_a_liaison_key_may_not_verify(pupr_key, w):
    report = rf.disposed(w)
    response = pupr_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/verify/",
        {"classification": Classification.ASPIRASI},
    )
    assert response.status_code == 403


def test_an_unknown_agency_code_is_a_field_error(verifier_key, w):
    report = rf.submit(w)
    rf.actions.verify_report(report=report, actor=w.verifier, classification=Classification.ASPIRASI)
    response = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/dispose/", {"agencies": ["tidak-ada"]}, format="json"
    )
    assert response.status_code == 400
    assert "agencies" in response.json()["errors"]


def test_the_verifier_archives_requests_information_notes_and_marks_duplicates(verifier_key, w):
    unclear = rf.submit(w)
    archived = verifier_key.post(
        f"/api/v1/staff/reports/{unclear.tracking_number}/archive/",
        {"reason": "tidak-jelas", "note": "Tidak jelas"},
    )
    assert archived.json()["status"] == Status.DIARSIPKAN_ADMIN
    asked = rf.submit(w)
    response = verifier_key.post(
        f"/api/v1/staff/reports/{asked.tracking_number}/request-information/",
        {"message": "Mohon sebutkan nama jalannya."},
    )
    assert response.json()["status"] == Status.MENUNGGU_KELENGKAPAN
    noted = verifier_key.post(
        f"/api/v1/staff/reports/{asked.tracking_number}/notes/", {"text": "Tunggu jawaban."}
    )
    assert noted.json()["timeline"][-1]["visibility"] == "internal"
    assert all(entry["at"].endswith("+07:00") for entry in noted.json()["timeline"])
    original = rf.submit(w)
    copy = rf.submit(w)
    duplicate = verifier_key.post(
        f"/api/v1/staff/reports/{copy.tracking_number}/mark-duplicate/",
        {"original": original.tracking_number},
    )
    assert duplicate.status_code == 200, duplicate.json()
    assert duplicate.json()["duplicate_of"] == original.tracking_number


def test_the_verifier_closes_a_disposed_report_with_a_reason(verifier_key, w):
    report = rf.disposed(w)
    missing = verifier_key.post(f"/api/v1/staff/reports/{report.tracking_number}/close/", {})
    assert missing.status_code == 400
    closed = verifier_key.post(
        f"/api/v1/staff/reports/{report.tracking_number}/close/", {"note": "Sudah selesai di lapangan."}
    )
    assert closed.json()["status"] == Status.DITUTUP_ADMIN


def test_an_agency_returns_or_forwards_its_disposition_and_assigns_a_liaison(w):
    _key, raw = api_actions.issue_agency_key(name="Koordinator PUPR", role=Role.ADMIN_INSTANSI, agency=w.pupr)
    coordinator = keyed_client(raw)
    report = rf.disposed(w)
    disposition = report.dispositions.get()
    assigned = coordinator.post(
        f"/api/v1/staff/dispositions/{disposition.pk}/assign-liaison/", {"liaison": w.liaison_pupr.username}
    )
    assert assigned.json()["dispositions"][0]["liaison"] == "hub.pupr"
    forwarded = coordinator.post(
        f"/api/v1/staff/dispositions/{disposition.pk}/forward/",
        {"agency": "padang-dinkes", "reason": "Ini urusan kesehatan lingkungan."},
    )
    assert forwarded.status_code == 200, forwarded.json()
    statuses = {d["agency"]["code"]: d["status"] for d in forwarded.json()["dispositions"]}
    assert statuses == {
        "padang-pupr": DispositionStatus.DIALIHKAN,
        "padang-dinkes": DispositionStatus.TERDISPOSISI,
    }
    other = rf.disposed(w)
    returned = coordinator.post(
        f"/api/v1/staff/dispositions/{other.dispositions.get().pk}/return/",
        {"reason": "Bukan kewenangan dinas kami."},
    )
    assert returned.json()["dispositions"][0]["status"] == DispositionStatus.BUKAN_WEWENANG


def test_an_officer_enters_a_report_for_a_walk_in_citizen(verifier_key, w):
    data = {
        "title": "Sampah menumpuk di pasar",
        "description": "Warga datang ke kantor: sampah di Pasar Raya belum diangkut tiga hari.",
        "reporter_name": "Bu Ani",
        "reporter_phone": "0812 1111 2222",
        "region": "13.71",
    }
    missing = verifier_key.post("/api/v1/staff/reports/enter/", data)
    assert missing.status_code == 400 and "received_via" in missing.json()["errors"]
    response = verifier_key.post("/api/v1/staff/reports/enter/", {**data, "received_via": "datang_langsung"})
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "officer"
    assert response.json()["reporter"]["phone"] == "6281211112222"
    report = Report.objects.get(tracking_number=response.json()["tracking_number"])
    assert report.events.get(action="submitted").data["received_via"] == "datang_langsung"


def test_the_list_filters_by_status_and_change_time(verifier_key, w):
    waiting = rf.submit(w)
    rf.disposed(w)
    body = verifier_key.get("/api/v1/staff/reports/", {"status": Status.BELUM_TERVERIFIKASI}).json()
    assert [r["tracking_number"] for r in body["results"]] == [waiting.tracking_number]
    later = verifier_key.get("/api/v1/staff/reports/", {"updated_after": "2999-01-01T00:00:00Z"}).json()
    assert later["results"] == []
    bad = verifier_key.get("/api/v1/staff/reports/", {"status": "entah"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_the_list_filters_by_agency_subtree_without_repeating_a_report(verifier_key, w):
    report = rf.submit(w)
    rf.actions.verify_report(report=report, actor=w.verifier, classification=Classification.ASPIRASI)
    rf.actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr, w.dinkes])
    rf.submit(w)
    body = verifier_key.get("/api/v1/staff/reports/", {"agency": "padang"}).json()
    assert [r["tracking_number"] for r in body["results"]] == [report.tracking_number]
    assert verifier_key.get("/api/v1/staff/reports/", {"agency": "tidak-ada"}).json()["results"] == []


def test_personal_data_in_an_anonymous_reports_text_is_redacted_for_the_liaison_in_the_api(
    pupr_key, verifier_key, w
):
    # Finding 4 of issue 12: the staff API's `description` carried "Nama saya …, NIK …" whole.
    text = (
        "Jalan berlubang sudah tiga bulan. Nama saya Rahmat Hidayat, NIK 1371012345678901, HP 081298765432."
    )
    report = rf.disposed(w, is_anonymous=True, description=text, title="Jalan rusak, hubungi 081298765432")
    liaison = detail(pupr_key, report).json()
    listed = pupr_key.get("/api/v1/staff/reports/").json()["results"]
    for secret in ("Rahmat Hidayat", "1371012345678901", "081298765432"):
        assert secret not in str(liaison) and secret not in str(listed)
    assert "Jalan berlubang sudah tiga bulan" in liaison["description"]
    verifier = detail(verifier_key, report).json()
    assert verifier["description"] == text


def test_the_liaison_does_not_read_other_reports_merged_into_theirs_in_the_api(pupr_key, verifier_key, w):
    # The staff API's timeline follows the workbench's rule (access.readable_staff_events): the
    # internal merge entries name another complaint, for the report's verifiers only here.
    from jembatan.reports import actions

    original = rf.disposed(w)
    duplicate = rf.submit(w, title="Jalan berlubang lagi di depan SDN 12", is_confidential=True)
    actions.mark_duplicate(report=duplicate, original=original, actor=w.verifier)
    actions.unmerge_report(report=duplicate, actor=w.verifier)
    merge_actions = {"duplicate_merged", "duplicate_unmerged"}
    liaison_view = detail(pupr_key, original).json()
    assert "disposed" in {entry["action"] for entry in liaison_view["timeline"]}
    assert not merge_actions & {entry["action"] for entry in liaison_view["timeline"]}
    assert duplicate.tracking_number not in str(liaison_view)
    verifier_view = detail(verifier_key, original).json()
    assert merge_actions <= {entry["action"] for entry in verifier_view["timeline"]}
