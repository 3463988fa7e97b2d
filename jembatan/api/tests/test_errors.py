"""One error shape, the right status codes, rate limits and the caller's language."""

import pytest

from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "errors"}


def test_every_error_has_the_same_shape(client, citizen_client, pupr_key, w):
    report = rf.submit(w)
    responses = {
        400: client.post("/api/v1/reports/", {"title": "x"}, format="json"),
        401: client.get("/api/v1/me/reports/"),
        403: citizen_client.get("/api/v1/staff/reports/"),
        404: pupr_key.get(f"/api/v1/staff/reports/{report.tracking_number}/"),
        405: client.delete("/api/v1/categories/"),
        409: citizen_client.post(f"/api/v1/reports/{report.tracking_number}/rate/", {"rating": 3}),
    }
    for status, response in responses.items():
        assert response.status_code == status, (status, response.content)
        body = response.json()
        assert set(body) == SHAPE, (status, body)
        assert body["message"]


def test_field_errors_name_each_field(client, w):
    body = client.post(
        "/api/v1/reports/", {"title": "x", "reporter_email": "bukan-email"}, format="json"
    ).json()
    assert {"title", "description", "reporter_email"} <= set(body["errors"])
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


def test_a_malformed_json_body_is_400(client, w):
    response = client.generic("POST", "/api/v1/reports/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_unknown_api_path_is_a_json_404(client, w):
    response = client.get("/api/v1/tidak-ada/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_answer_is_in_the_language_asked_for(client, w):
    indonesian = client.get("/api/v1/me/reports/", HTTP_ACCEPT_LANGUAGE="id")
    english = client.get("/api/v1/me/reports/", HTTP_ACCEPT_LANGUAGE="en")
    assert indonesian["Content-Language"] == "id"
    assert english["Content-Language"] == "en"
    # DRF ships both languages for its own messages; ours follow once the .po has them.
    assert indonesian.json()["message"] != english.json()["message"]


def test_requests_over_the_per_address_rate_get_429_with_retry_after(client, w, settings):
    settings.API_THROTTLE_RATES = {"ip": "3/min"}
    statuses = [client.get("/api/v1/categories/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/categories/")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_each_key_has_its_own_rate(pupr_key, dinkes_key, w, settings):
    settings.API_THROTTLE_RATES = {"token": "2/min"}
    assert [pupr_key.get("/api/v1/staff/reports/").status_code for _ in range(3)] == [200, 200, 429]
    assert dinkes_key.get("/api/v1/staff/reports/").status_code == 200


def test_guests_are_limited_in_how_many_reports_they_send(client, w, settings):
    settings.API_THROTTLE_RATES = {"guest_write": "1/hour"}
    report = {
        "title": "Lampu jalan padam",
        "description": "Lampu jalan padam sejak seminggu di depan pasar.",
        "reporter_phone": "081234500000",
    }
    assert client.post("/api/v1/reports/", report).status_code == 201
    assert client.post("/api/v1/reports/", report).status_code == 429
    assert client.get("/api/v1/categories/").status_code == 200
