"""Giving a report back to its origin instance through the staff REST API (the workbench's action)."""

import pytest
from rest_framework.test import APIClient

from jembatan.accounts.models import Role
from jembatan.api import actions as api_actions
from jembatan.federation.models import FederationMessage
from jembatan.federation.tests.test_federation import HUB_KEY, envelope, forwarded, send, verified
from jembatan.federation.tests.test_federation import w as w  # noqa: F401  (the fixture)
from jembatan.reports.models import Report, Status

pytestmark = pytest.mark.django_db
REASON = "Jalan nasional, bukan wewenang kota."


def keyed(agency, role):
    _key, raw = api_actions.issue_agency_key(name=f"Sistem {agency.code}", role=role, agency=agency)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def held_copy(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    return Report.objects.get()


def url(report):
    return f"/api/v1/staff/reports/{report.tracking_number}/return-to-origin/"


def test_the_verifiers_system_gives_a_held_copy_back_and_the_origin_is_told(w, client):
    report = held_copy(w, client)
    api = keyed(w.padang, Role.ADMIN_INSTANSI)
    response = api.post(url(report), {"reason": REASON, "expected_version": report.version}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.DIARSIPKAN_ADMIN
    message = FederationMessage.objects.get()
    assert (message.kind, message.destination.slug) == ("returned", "hub")
    assert message.payload == {"reason": REASON}


def test_a_repeated_request_with_the_same_idempotency_key_sends_one_message(w, client):
    report = held_copy(w, client)
    api = keyed(w.padang, Role.ADMIN_INSTANSI)
    for _attempt in range(2):
        response = api.post(url(report), {"reason": REASON}, format="json", HTTP_IDEMPOTENCY_KEY="kembali-1")
        assert response.status_code == 200
    assert FederationMessage.objects.count() == 1


def test_a_liaisons_key_is_refused_in_the_users_language(w, client):
    report = held_copy(w, client)
    api = keyed(w.padang, Role.PENGHUBUNG)
    refused = api.post(url(report), {"reason": REASON}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Hanya verifikator laporan ini yang dapat mengembalikannya."
    english = api.post(url(report), {"reason": REASON}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "Only the verifier of this report can return it."
    assert not FederationMessage.objects.exists()
    report.refresh_from_db()
    assert report.status != Status.DIARSIPKAN_ADMIN


def test_a_report_submitted_here_has_no_origin_to_go_back_to(w):
    report = verified(w)
    api = keyed(w.padang, Role.ADMIN_INSTANSI)
    response = api.post(url(report), {"reason": REASON}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "federation_refused"
    assert not FederationMessage.objects.exists()


def test_a_short_reason_is_a_field_error_and_a_stale_version_a_conflict(w, client):
    report = held_copy(w, client)
    api = keyed(w.padang, Role.ADMIN_INSTANSI)
    short = api.post(url(report), {"reason": "bukan"}, format="json")
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    stale = api.post(url(report), {"reason": REASON, "expected_version": report.version + 5}, format="json")
    assert stale.status_code == 409
    assert not FederationMessage.objects.exists()


def test_an_officer_who_cannot_see_the_copy_learns_nothing_of_it(w, client):
    from jembatan.directory.models import AgencyKind
    from jembatan.directory.tests.factories import make_agency

    report = held_copy(w, client)
    elsewhere = make_agency("Kota Bukittinggi", kind=AgencyKind.PEMKAB_PEMKOT, code="bukittinggi")
    api = keyed(elsewhere, Role.ADMIN_INSTANSI)
    existing = api.post(url(report), {"reason": REASON}, format="json")
    missing = api.post(url(report).replace(report.tracking_number, "JBT-0000-000000"), {"reason": REASON},
                       format="json")  # fmt: skip
    assert existing.status_code == missing.status_code == 404
    assert existing.json() == missing.json()
    assert not FederationMessage.objects.exists()
