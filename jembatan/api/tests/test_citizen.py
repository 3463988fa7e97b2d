"""The citizen side of REST API v1: submit, track, reply, rate, close, my reports, public search."""

import io

import pytest
from PIL import Image

from jembatan.reports.models import Channel, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

GUEST_REPORT = {
    "title": "Lampu jalan padam di Jalan Sudirman",
    "description": "Sudah seminggu lampu jalan di depan Masjid Raya padam, jalan gelap dan rawan.",
    "reporter_email": "tamu@example.id",
}


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def test_guest_submits_a_report_and_gets_its_tracking_number_and_access_code(client, w):
    response = client.post("/api/v1/reports/", GUEST_REPORT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get(tracking_number=body["tracking_number"])
    assert report.channel == Channel.API
    assert report.reporter_email == "tamu@example.id"
    assert report.check_access_code(body["access_code"]) and len(body["access_code"]) == 10
    assert body["status"] == Status.BELUM_TERVERIFIKASI
    assert response["Location"] == f"/api/v1/reports/{report.tracking_number}/"


@pytest.mark.parametrize("who", ["guest", "citizen"])
def test_the_201_of_a_submit_is_what_its_reporter_reads_when_tracking_it(client, citizen_client, w, who):
    # The 201 is built from the action's own instance (not read back): it must not differ in any
    # field from the detail the reporter then reads, with category, region, agency and address.
    full = {
        **GUEST_REPORT,
        "category": w.category.code,
        "region": w.region_village.code,
        "target_agency": w.pupr.code,
        "address": "Jl. Sudirman No. 1",
        "incident_date": "2026-12-01",
        "is_confidential": True,
    }
    caller = client if who == "guest" else citizen_client
    response = caller.post("/api/v1/reports/", full, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    code = body.pop("access_code")
    assert (code is None) == (who == "citizen")
    url = f"/api/v1/reports/{body['tracking_number']}/"
    tracked = caller.get(url, HTTP_X_ACCESS_CODE=code) if code else caller.get(url)
    assert tracked.status_code == 200, tracked.json()
    assert body == tracked.json()
    assert body["category"]["code"] == w.category.code and body["region"]["code"] == w.region_village.code
    assert body["timeline"] and body["timeline"][0]["action"] == "submitted"
    # Every moment in one form (the instance's time zone): the submitted entry is the report's time.
    assert body["timeline"][0]["at"] == body["submitted_at"]
    assert body["submitted_at"].endswith("+07:00")


def test_guest_submits_a_photo_as_multipart(client, w):
    photo = io.BytesIO(png_bytes())
    photo.name = "lampu.png"
    response = client.post("/api/v1/reports/", {**GUEST_REPORT, "attachments": [photo]}, format="multipart")
    assert response.status_code == 201, response.json()
    report = Report.objects.get(tracking_number=response.json()["tracking_number"])
    assert report.attachments.get().content_type == "image/png"


def test_a_logged_in_citizen_submits_as_themselves(citizen_client, w):
    response = citizen_client.post(
        "/api/v1/reports/", {"title": GUEST_REPORT["title"], "description": GUEST_REPORT["description"]}
    )
    assert response.status_code == 201
    report = Report.objects.get(tracking_number=response.json()["tracking_number"])
    assert report.reporter == w.citizen
    assert response.json()["access_code"] is None


def test_a_guest_without_any_contact_gets_a_field_error(client, w):
    response = client.post("/api/v1/reports/", {**GUEST_REPORT, "reporter_email": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["reporter_email"]
    assert not Report.objects.exists()


def test_an_agency_key_cannot_submit_as_a_citizen(pupr_key, w):
    response = pupr_key.post("/api/v1/reports/", GUEST_REPORT, format="json")
    assert response.status_code == 403


def test_anyone_holding_the_number_tracks_a_non_confidential_report_without_personal_data(client, w):
    report = rf.submit(
        w, description="Jalan berlubang di depan rumah, hubungi saya di 0812 3456 7890 ya pak."
    )
    body = client.get(f"/api/v1/reports/{report.tracking_number}/").json()
    assert body["tracking_number"] == report.tracking_number
    assert "0812" not in body["description"]
    assert body["is_reporter"] is False
    assert [entry["action"] for entry in body["timeline"]] == ["submitted"]


def test_a_confidential_report_needs_its_access_code(client, w):
    report = rf.submit(w, actor=None, reporter_email="rahasia@example.id", is_confidential=True)
    refused = client.get(f"/api/v1/reports/{report.tracking_number}/")
    assert refused.status_code == 403 and refused.json()["code"] == "access_code_required"
    wrong = client.get(f"/api/v1/reports/{report.tracking_number}/", HTTP_X_ACCESS_CODE="AAAAAAAAAA")
    assert wrong.status_code == 403
    right = client.get(
        f"/api/v1/reports/{report.tracking_number}/", HTTP_X_ACCESS_CODE=report.access_code.lower()
    )
    assert right.status_code == 200
    assert right.json()["is_reporter"] is True


def test_an_unknown_number_is_404(client, w):
    response = client.get("/api/v1/reports/999999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_guest_replies_with_the_access_code_and_a_stranger_cannot(client, w):
    report = rf.submit(w, actor=None, reporter_email="tamu@example.id")
    stranger = client.post(f"/api/v1/reports/{report.tracking_number}/reply/", {"text": "Tambahan dari saya"})
    assert stranger.status_code == 403
    response = client.post(
        f"/api/v1/reports/{report.tracking_number}/reply/",
        {"text": "Lubangnya makin besar setelah hujan.", "access_code": report.access_code},
    )
    assert response.status_code == 200, response.json()
    assert report.events.filter(action="reporter_replied").exists()
    assert response.json()["timeline"][-1]["action"] == "reporter_replied"


def test_the_reporter_rates_and_closes_an_answered_report(citizen_client, w):
    report = rf.answered(w)
    rated = citizen_client.post(
        f"/api/v1/reports/{report.tracking_number}/rate/", {"rating": 5, "comment": "Cepat"}
    )
    assert rated.status_code == 200, rated.json()
    assert rated.json()["rating"] == 5
    closed = citizen_client.post(f"/api/v1/reports/{report.tracking_number}/close/", {})
    assert closed.status_code == 200
    assert closed.json()["status"] == Status.DITUTUP_PELAPOR


def test_the_report_lists_the_moves_its_reporter_may_make_now_and_none_for_others(client, citizen_client, w):
    report = rf.answered(w)
    url = f"/api/v1/reports/{report.tracking_number}/"
    assert citizen_client.get(url).json()["reporter_actions"] == ["reply", "rate", "close"]
    assert client.get(url).json()["reporter_actions"] == []
    citizen_client.post(f"{url}rate/", {"rating": 5})
    assert citizen_client.get(url).json()["reporter_actions"] == ["reply", "close"]


def test_rating_before_any_answer_is_a_conflict_with_the_reports_state(citizen_client, w):
    report = rf.submit(w)
    response = citizen_client.post(f"/api/v1/reports/{report.tracking_number}/rate/", {"rating": 4})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_a_rating_outside_one_to_five_is_a_field_error(citizen_client, w):
    report = rf.answered(w)
    response = citizen_client.post(f"/api/v1/reports/{report.tracking_number}/rate/", {"rating": 9})
    assert response.status_code == 400
    assert "rating" in response.json()["errors"]


def test_my_reports_lists_only_my_own(citizen_client, w):
    mine = rf.submit(w)
    rf.submit(w, actor=w.other_citizen)
    body = citizen_client.get("/api/v1/me/reports/").json()
    assert [r["tracking_number"] for r in body["results"]] == [mine.tracking_number]
    assert body["next"] is None


def test_my_reports_needs_a_login(client, w):
    response = client.get("/api/v1/me/reports/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_public_search_shows_verified_public_reports_only(client, w):
    public = rf.disposed(w, title="Jalan berlubang di depan SDN 12")
    rf.submit(w, title="Jalan berlubang belum diverifikasi")
    rf.disposed(w, title="Jalan berlubang rahasia", is_confidential=True)
    body = client.get("/api/v1/public/reports/", {"q": "jalan berlubang"}).json()
    assert [r["tracking_number"] for r in body["results"]] == [public.tracking_number]


def test_public_search_pages_through_results(client, w):
    for _ in range(3):
        rf.disposed(w)
    first = client.get("/api/v1/public/reports/", {"page_size": 2}).json()
    assert len(first["results"]) == 2
    assert "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_lookups_list_categories_agencies_and_archive_reasons(client, w):
    assert any(c["code"] == w.category.code for c in client.get("/api/v1/categories/").json())
    agencies = client.get("/api/v1/agencies/", {"q": "PUPR"}).json()
    assert [a["code"] for a in agencies] == ["padang-pupr"]
    assert agencies[0]["parent"] == "padang"
    assert any(r["code"] == "tidak-jelas" for r in client.get("/api/v1/archive-reasons/").json())


def test_public_lists_and_tracking_answer_conditional_gets_and_gzip(client, w):
    import gzip

    report = rf.disposed(w, title="Jalan berlubang di depan SDN 12")
    for path in ("/api/v1/public/reports/", f"/api/v1/reports/{report.tracking_number}/"):
        first = client.get(path)
        assert first.status_code == 200 and first["ETag"]
        assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        assert packed["Content-Encoding"] == "gzip" and gzip.decompress(packed.content) == first.content
    before = client.get("/api/v1/public/reports/")["ETag"]
    rf.disposed(w, title="Lampu jalan mati di Jalan Sudirman")
    assert client.get("/api/v1/public/reports/", HTTP_IF_NONE_MATCH=before).status_code == 200


@pytest.mark.parametrize("reporter_view", [False, True], ids=["public", "reporter"])
def test_the_lean_list_items_read_exactly_as_the_summary_serializer(w, reporter_view):
    from jembatan.api import serializers as s
    from jembatan.reports import actions

    rf.submit(w, title="Lampu padam, hubungi 081234567890", category=None)
    rf.disposed(w)
    answered = rf.in_progress(w)
    actions.post_follow_up(
        disposition=answered.dispositions.get(),
        actor=w.liaison_pupr,
        text="Sudah ditambal oleh tim jalan kota.",
    )
    reports = Report.objects.select_related("category", "region").order_by("pk")
    expected = s.ReportSummarySerializer(reports, many=True, context={"reporter_view": reporter_view}).data
    lean = s.summary_items(reports.values(*s.SUMMARY_FIELDS), reporter_view=reporter_view)
    assert lean == [dict(item) for item in expected]
    assert ("081234567890" in str(lean)) is reporter_view


def test_an_unknown_code_is_refused_in_indonesian_and_in_english_on_request(client, w):
    # REST framework's own Indonesian catalogue leaves this message in English: ours completes it.
    response = client.post("/api/v1/reports/", {**GUEST_REPORT, "category": "tidak-ada"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["category"] == ['Tidak ada data dengan code "tidak-ada".']
    english = client.post(
        "/api/v1/reports/",
        {**GUEST_REPORT, "category": "tidak-ada"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["errors"]["category"] == ["Object with code=tidak-ada does not exist."]
