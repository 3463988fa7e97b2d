"""Issue 12: TOTP is required of admin instansi, admin nasional and sysadmin (ACCOUNTS_REQUIRE_TOTP,
on by default outside the unit tests). Enforced at login: without a confirmed device the officer is
sent to enrol before anything else; the admin and the workbench refuse an unverified session."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import PASSWORD, current_token, make_staff, make_totp_device
from jembatan.directory.tests.factories import make_agency

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def required(settings):
    settings.ACCOUNTS_REQUIRE_TOTP = True
    with time_machine.travel(START, tick=False):
        yield


@pytest.fixture
def padang():
    return make_agency("Pemerintah Kota Padang")


def log_in(client, username):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


@pytest.mark.parametrize("environment", ["production", "development"])
def test_production_and_the_demo_require_the_second_factor_by_default(tmp_path, environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JEMBATAN_", "DJANGO_", "ACCOUNTS_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        JEMBATAN_ENV=environment,
        JEMBATAN_VAR_DIR=str(tmp_path),
        SECRET_KEY="k" * 20 + "-production-secret-for-the-settings-check-only-0123456789",
        ALLOWED_HOSTS="jembatan.sumbarprov.go.id",
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.ACCOUNTS_REQUIRE_TOTP)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


@pytest.mark.parametrize("role", [Role.ADMIN_INSTANSI, Role.ADMIN_NASIONAL, Role.SYSADMIN])
def test_an_admin_without_an_authenticator_is_sent_to_enrol_before_anything_else(client, padang, role):
    officer = make_staff(
        role, padang if role == Role.ADMIN_INSTANSI else None, username="petugas", is_staff=True
    )

    response = log_in(client, "petugas")

    assert response.status_code == 302 and response.url == reverse("accounts:totp-setup")
    for path in ("/kerja/", "/admin/", "/data/", "/", reverse("accounts:profile")):
        held = client.get(path)
        assert held.status_code == 302, path
        assert held.url.startswith(reverse("accounts:totp-setup")) or held.url.startswith("/akun/masuk/"), (
            path
        )
    assert client.post("/kerja/", {}).status_code == 403
    assert client.get(reverse("accounts:totp-setup")).status_code == 200

    # Enrolling proves the device in this very session: the way is open.
    client.post(reverse("accounts:totp-start"), {"password": PASSWORD})
    device = TOTPDevice.objects.get(user=officer)
    client.post(reverse("accounts:totp-setup"), {"token": current_token(device)})
    assert TOTPDevice.objects.get(user=officer).confirmed
    assert client.get(reverse("accounts:profile")).status_code == 200
    if role != Role.SYSADMIN:
        assert client.get("/kerja/").status_code == 200


def test_the_workbench_and_the_admin_refuse_a_session_that_skipped_the_token(client, padang):
    officer = make_staff(Role.ADMIN_INSTANSI, padang, username="admin.padang", is_staff=True)
    device = make_totp_device(officer)
    client.force_login(officer)  # a password-only session

    workbench = client.get("/kerja/")
    assert workbench.status_code == 302 and workbench.url.startswith(reverse("accounts:login"))
    admin_index = client.get("/admin/")
    assert admin_index.status_code == 302
    assert client.get(reverse("admin:directory_agency_changelist")).status_code == 302

    # The token step from the login page opens both.
    assert client.get(reverse("accounts:login")).url == reverse("accounts:login-token")
    client.post(reverse("accounts:login-token"), {"token": current_token(device)})
    assert client.get("/kerja/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_liaison_keeps_password_only_login(client, padang):
    make_staff(Role.PENGHUBUNG, padang, username="penghubung")

    response = log_in(client, "penghubung")

    assert response.status_code == 302 and response.url == reverse("workbench:index")
    assert client.get("/kerja/").status_code == 200


def test_with_the_setting_off_an_admin_logs_in_with_the_password(client, padang, settings):
    settings.ACCOUNTS_REQUIRE_TOTP = False
    make_staff(Role.ADMIN_INSTANSI, padang, username="admin.padang", is_staff=True)

    assert log_in(client, "admin.padang").url == reverse("workbench:index")
    assert client.get("/kerja/").status_code == 200


def test_a_request_without_a_session_cookie_is_not_held_and_does_not_read_the_session(client, padang):
    officer = make_staff(Role.ADMIN_INSTANSI, padang, username="admin.padang", is_staff=True)
    make_totp_device(officer)
    client.force_login(officer)  # a password-only session: held, as above
    assert client.get("/kerja/").status_code == 302

    client.cookies.clear()  # the same browser without its session: anonymous, sent to log in
    response = client.get("/kerja/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    # A page that never asks who is there answers without touching the session (no Vary: Cookie).
    public = client.get("/healthz")
    assert public.status_code == 200 and "Cookie" not in public.get("Vary", "")
