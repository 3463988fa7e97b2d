"""Who may call: agency keys, Open311 keys, citizens' tokens, sessions; and how keys are issued."""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client

from jembatan.accounts.models import LoginAttempt, Role
from jembatan.accounts.tests.factories import PASSWORD, make_user
from jembatan.api import actions as api_actions
from jembatan.api.models import ApiKey, KeyKind, hash_key
from jembatan.api.tests.conftest import keyed_client
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_an_open311_key_and_stores_only_its_hash(w):
    out = io.StringIO()
    call_command("create_api_key", "--name", "Aplikasi Lapor Kota", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.kind == KeyKind.OPEN311 and key.user is None
    assert key.key_hash == hash_key(raw) and raw not in str(ApiKey.objects.values().get())


def test_create_api_key_for_an_agency_makes_a_scoped_service_account(w):
    out = io.StringIO()
    call_command(
        "create_api_key",
        "--name",
        "SIMPUPR",
        "--agency",
        "padang-pupr",
        "--role",
        "penghubung",
        stdout=out,
        stderr=io.StringIO(),
    )
    key = ApiKey.objects.get()
    assert key.kind == KeyKind.AGENCY and key.agency == w.pupr
    role = key.user.staff_roles.get()
    assert (role.role, role.agency) == (Role.PENGHUBUNG, w.pupr)
    assert not key.user.has_usable_password()
    report = rf.disposed(w)
    response = keyed_client(out.getvalue().strip()).get(f"/api/v1/staff/reports/{report.tracking_number}/")
    assert response.status_code == 200


def test_a_revoked_key_is_refused_with_401(w):
    key, raw = api_actions.issue_agency_key(name="Lama", agency=w.pupr)
    api_actions.revoke_api_key(api_key=key)
    response = keyed_client(raw).get("/api/v1/staff/reports/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_an_open311_key_does_not_open_the_rest_api(w):
    _key, raw = api_actions.issue_open311_key(name="Klien")
    assert keyed_client(raw).get("/api/v1/categories/").status_code == 401


def test_using_a_key_records_when_it_was_last_used(w):
    key, raw = api_actions.issue_agency_key(name="SIMPUPR", agency=w.pupr)
    keyed_client(raw).get("/api/v1/staff/reports/")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_citizen_trades_a_password_for_a_token_and_revokes_it(client, w):
    response = client.post(
        "/api/v1/auth/token/", {"username": "siti@example.id", "password": PASSWORD, "name": "HP"}
    )
    assert response.status_code == 201, response.json()
    token = response.json()["token"]
    app = keyed_client(token)
    mine = rf.submit(w)
    assert [r["tracking_number"] for r in app.get("/api/v1/me/reports/").json()["results"]] == [
        mine.tracking_number
    ]
    assert app.delete("/api/v1/auth/token/current/").status_code == 204
    assert app.get("/api/v1/me/reports/").status_code == 401


def test_a_wrong_password_is_401_and_counted(client, w):
    response = client.post("/api/v1/auth/token/", {"username": "warga", "password": "salah-sekali"})
    assert response.status_code == 401
    assert LoginAttempt.objects.filter(username="warga").count() == 1


def test_too_many_failed_logins_are_throttled(client, w, settings):
    settings.LOGIN_THROTTLE_LIMIT = 2
    for _ in range(2):
        client.post("/api/v1/auth/token/", {"username": "warga", "password": "salah-sekali"})
    response = client.post("/api/v1/auth/token/", {"username": "warga", "password": PASSWORD})
    assert response.status_code == 429
    assert not ApiKey.objects.exists()


def test_staff_cannot_get_a_password_only_token(client, w):
    response = client.post("/api/v1/auth/token/", {"username": "verif.padang", "password": PASSWORD})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_an_admin_issues_a_key_in_django_admin_and_sees_it_once(w):
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    response = admin.post(
        "/admin/api/apikey/add/",
        {"name": "SIMPUPR", "kind": "agency", "agency": w.pupr.pk, "role": "penghubung"},
    )
    assert response.status_code == 302
    key = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = next(word for message in shown for word in message.split() if word.startswith("jb_"))
    assert key.key_hash == hash_key(raw) and key.user.staff_roles.get().agency == w.pupr
    revoke = admin.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert revoke.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
