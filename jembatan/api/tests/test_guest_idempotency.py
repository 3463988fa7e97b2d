"""A guest's Idempotency-Key follows the client, not the address (issue 20 failure 3, issue 12
finding 12): key + request fingerprint, 422 for another body, Location on a replayed 201, and
the access code only ever replayed to the client that made the first request."""

import pytest
from rest_framework.test import APIClient

from jembatan.api.idempotency import WITHHELD_HEADER
from jembatan.reports.models import Report

pytestmark = pytest.mark.django_db

REPORT = {
    "title": "Lampu jalan mati di Jalan Sudirman",
    "description": "Sudah dua minggu lampu penerangan jalan di depan sekolah mati total.",
    "reporter_email": "tamu@example.id",
}
UUID_KEY = "6f1c2a9e-3b7d-4c58-9e21-a0b4c6d8e2f7"


def post(client, key, body=REPORT, address="127.0.0.1"):
    return client.post("/api/v1/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY=key, REMOTE_ADDR=address)


def test_a_retry_from_another_address_replays_and_creates_no_second_report(w):
    first = post(APIClient(), UUID_KEY, address="127.0.0.1")
    again = post(APIClient(), UUID_KEY, address="127.0.0.2")  # Wi-Fi → mobile data
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and first.json()["access_code"]
    assert Report.objects.count() == 1


def test_a_replayed_201_carries_its_location(w):
    first = post(APIClient(), UUID_KEY)
    again = post(APIClient(), UUID_KEY)
    assert first["Location"] and again["Location"] == first["Location"]


def test_the_same_key_with_another_body_is_422_from_any_address(w):
    post(APIClient(), UUID_KEY, address="127.0.0.1")
    other = post(
        APIClient(), UUID_KEY, body={**REPORT, "title": "Judul lain sama sekali"}, address="127.0.0.3"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Report.objects.count() == 1


def test_a_guessable_key_replayed_by_another_client_never_shows_the_first_guests_access_code(w):
    first = post(APIClient(), "1", address="127.0.0.1")
    other = post(APIClient(), "1", address="127.0.0.1")  # another guest behind the same address
    assert first.json()["access_code"]
    assert other.status_code == 201 and other.json()["access_code"] is None
    assert other[WITHHELD_HEADER] == "access_code"
    assert other.json()["tracking_number"] == first.json()["tracking_number"]
    assert Report.objects.count() == 1


def test_the_same_browser_gets_its_access_code_back_even_with_a_short_key(w):
    mine, theirs = APIClient(), APIClient()
    mine.cookies["csrftoken"] = "a" * 16 + "FirstGuestBrowsr"
    theirs.cookies["csrftoken"] = "b" * 16 + "SomeoneElsesBrow"
    first = post(mine, "kirim-1", address="127.0.0.1")
    again = post(mine, "kirim-1", address="127.0.0.9")
    other = post(theirs, "kirim-1", address="127.0.0.1")
    assert again.json()["access_code"] == first.json()["access_code"]
    assert other.json()["access_code"] is None


def test_a_browser_token_mismatch_withholds_the_code_even_for_a_strong_key(w):
    mine, theirs = APIClient(), APIClient()
    mine.cookies["csrftoken"] = "A" * 32
    theirs.cookies["csrftoken"] = "B" * 32
    post(mine, UUID_KEY)
    assert post(theirs, UUID_KEY).json()["access_code"] is None
