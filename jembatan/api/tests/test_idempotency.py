"""Idempotency-Key: a retried POST gets the first answer and creates nothing new."""

import io
import threading

import pytest
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from jembatan.api.models import IdempotencyRecord
from jembatan.reports.models import Report
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

REPORT = {
    "title": "Drainase tersumbat di Jalan Veteran",
    "description": "Air meluap ke jalan setiap hujan karena drainase tersumbat sampah.",
    "reporter_email": "tamu@example.id",
}


STRONG_KEY = "3f2b8c1e-9d4a-4e7b-a6c5-0b1d2e3f4a5b"


def test_a_retry_returns_the_first_response_and_creates_one_report(client, w):
    # A guest's retry gets the first answer whole (access code included) when its key is one only
    # it can know (a UUID); see test_guest_idempotency.py for weak keys.
    first = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=STRONG_KEY)
    again = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=STRONG_KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["access_code"]
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused_with_422(client, w):
    client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="kirim-2")
    other = client.post(
        "/api/v1/reports/",
        {**REPORT, "title": "Judul lain sama sekali"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="kirim-2",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Report.objects.count() == 1


def test_keys_belong_to_their_caller(client, citizen_client, w):
    client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="sama")
    mine = citizen_client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="sama")
    assert mine.status_code == 201 and "Idempotent-Replayed" not in mine
    assert Report.objects.count() == 2


def test_a_multipart_retry_with_a_new_boundary_is_still_the_same_request(client, w):
    def photo():
        out = io.BytesIO()
        Image.new("RGB", (4, 4), "blue").save(out, "PNG")
        out.seek(0)
        out.name = "foto.png"
        return out

    first = client.post("/api/v1/reports/", {**REPORT, "attachments": [photo()]}, HTTP_IDEMPOTENCY_KEY="foto")
    # Django's test client draws a fresh boundary for every request, as HTTP libraries do.
    again = client.post("/api/v1/reports/", {**REPORT, "attachments": [photo()]}, HTTP_IDEMPOTENCY_KEY="foto")
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


def test_an_error_is_replayed_too_and_no_action_runs_twice(verifier_key, w):
    report = rf.submit(w)
    url = f"/api/v1/staff/reports/{report.tracking_number}/notes/"
    first = verifier_key.post(url, {"text": "Catatan satu"}, HTTP_IDEMPOTENCY_KEY="catatan")
    second = verifier_key.post(url, {"text": "Catatan satu"}, HTTP_IDEMPOTENCY_KEY="catatan")
    assert first.status_code == second.status_code == 200
    assert report.events.filter(action="note").count() == 1
    too_short = verifier_key.post(url, {"text": "x"}, HTTP_IDEMPOTENCY_KEY="pendek")
    assert too_short.status_code == 400
    assert verifier_key.post(url, {"text": "x"}, HTTP_IDEMPOTENCY_KEY="pendek").json() == too_short.json()


def test_an_unusable_key_is_a_400(client, w):
    response = client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Report.objects.exists()


def test_records_expire_after_a_day(client, w, time_machine):
    from jembatan.api.idempotency import purge_expired

    time_machine.move_to("2026-03-02 09:00 +07:00")
    client.post("/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="lama")
    time_machine.move_to("2026-03-03 10:00 +07:00")
    assert purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_tries_with_one_key_make_one_report():
    rf.build_world()
    barrier = threading.Barrier(2)
    statuses = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            response = APIClient().post(
                "/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="kembar"
            )
            statuses.append((response.status_code, response.json()["tracking_number"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(statuses) == 2 and statuses[0] == statuses[1]
    assert Report.objects.count() == 1
