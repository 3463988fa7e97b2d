"""TOTP two-factor for officers: enrolment, the two-step login, and the admin's rule."""

from base64 import b32encode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts.models import AccountEvent, LoginAttempt, Role
from jembatan.accounts.tests.factories import PASSWORD, current_token, make_staff, make_totp_device, make_user
from jembatan.directory.tests.factories import make_agency

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)  # one TOTP time step


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def officer():
    return make_staff(
        Role.ADMIN_INSTANSI, make_agency("Pemkot Padang"), username="admin.padang", is_staff=True
    )


def log_in(client, username="admin.padang", password=PASSWORD, ip="10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def send_token(client, token, ip="10.0.0.1"):
    return client.post(reverse("accounts:login-token"), {"token": token}, REMOTE_ADDR=ip)


def is_logged_in(client):
    return client.get(reverse("accounts:profile")).status_code == 200


def test_officer_enrols_an_authenticator_with_the_password_then_a_first_token(client, officer, frozen_time):
    client.force_login(officer)

    page = client.get(reverse("accounts:totp-setup"))
    assert 'autocomplete="current-password"' in page.content.decode()
    client.post(reverse("accounts:totp-start"), {"password": PASSWORD})
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed

    page = client.get(reverse("accounts:totp-setup")).content.decode()
    assert '<svg role="img" aria-label="Kode QR untuk aplikasi autentikator"' in page
    assert _secret_text(device) in page  # typed by hand when the camera will not scan
    # Drawn on the server: nothing inside the QR points at an outside service.
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")

    response = client.post(reverse("accounts:totp-setup"), {"token": current_token(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AccountEvent.objects.filter(user=officer, kind=AccountEvent.Kind.TOTP_CONFIRMED).exists()
    # The session that proved the device counts as verified: the admin stays open to it.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("admin:index")).status_code == 200


def test_enrolment_needs_the_officers_password(client, officer):
    client.force_login(officer)

    client.post(reverse("accounts:totp-start"), {"password": "bukan-kata-sandinya"})

    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert "Kata sandi salah." in client.get(reverse("accounts:totp-setup")).content.decode()


def test_a_wrong_first_token_does_not_switch_two_factor_on(client, officer):
    client.force_login(officer)
    client.post(reverse("accounts:totp-start"), {"password": PASSWORD})
    device = TOTPDevice.objects.get(user=officer)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("accounts:totp-setup"), {"token": wrong})

    assert response.status_code == 400
    assert "Kode salah" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_citizens_have_no_two_factor_page(client):
    client.force_login(make_user())

    assert client.get(reverse("accounts:totp-setup")).status_code == 403
    assert client.post(reverse("accounts:totp-start"), {"password": PASSWORD}).status_code == 403


def test_login_with_an_authenticator_asks_for_the_password_first_then_the_token(client, officer, frozen_time):
    device = make_totp_device(officer)

    response = log_in(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login-token")
    assert not is_logged_in(client)  # the password alone opens nothing
    frozen_time.shift(STEP)
    response = send_token(client, current_token(device))

    assert response.status_code == 302
    assert is_logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("admin:index")).status_code == 200
    event = AccountEvent.objects.get(user=officer, kind=AccountEvent.Kind.LOGGED_IN)
    assert event.data == {"second_factor": True}


def test_the_token_step_page_labels_its_input_for_one_time_codes(client, officer):
    make_totp_device(officer)
    log_in(client)

    content = client.get(reverse("accounts:login-token")).content.decode()

    assert '<label for="id_token">' in content
    assert 'autocomplete="one-time-code"' in content


def test_a_wrong_token_is_refused_and_counts_as_a_failed_login(client, officer):
    device = make_totp_device(officer)
    log_in(client)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"

    response = send_token(client, wrong)

    assert response.status_code == 200
    assert "Kode salah atau sudah kedaluwarsa" in response.content.decode()
    assert not is_logged_in(client)
    assert LoginAttempt.objects.filter(username="admin.padang").count() == 1


def test_guessing_tokens_runs_into_the_login_throttle(client, officer, settings, frozen_time):
    settings.LOGIN_THROTTLE_LIMIT = 3
    device = make_totp_device(officer)
    log_in(client)
    for n in range(3):
        send_token(client, f"{n:06d}" if f"{n:06d}" != current_token(device) else "999999")
        frozen_time.shift(timedelta(seconds=5))

    response = send_token(client, current_token(device))

    assert response.status_code == 429
    assert not is_logged_in(client)


def test_a_token_cannot_be_used_twice(client, officer, frozen_time):
    device = make_totp_device(officer)
    frozen_time.shift(STEP)
    log_in(client)
    token = current_token(device)
    send_token(client, token)
    client.post(reverse("accounts:logout"))

    log_in(client)
    response = send_token(client, token)

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_the_token_step_expires_after_five_minutes(client, officer, frozen_time):
    device = make_totp_device(officer)
    log_in(client)

    frozen_time.shift(timedelta(minutes=5, seconds=1))
    response = send_token(client, current_token(device))

    assert response["Location"] == reverse("accounts:login")
    assert not is_logged_in(client)


def test_the_token_step_without_the_password_step_leads_back_to_login(client):
    response = send_token(client, "123456")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_admin_asks_for_the_token_when_a_session_has_only_the_password(client, officer, frozen_time):
    device = make_totp_device(officer)
    client.force_login(officer)  # e.g. a session opened before the device was confirmed

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    response = client.get(response["Location"])  # the admin's login sends to ours
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.get(response["Location"])  # ours sees the password was given: token only
    assert response["Location"] == reverse("accounts:login-token")

    frozen_time.shift(STEP)
    response = send_token(client, current_token(device))
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_still_opens_for_staff_without_an_authenticator(client, officer):
    client.force_login(officer)

    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admins_own_login_form_is_not_a_way_around_the_throttle(client, officer):
    response = client.post(reverse("admin:login"), {"username": "admin.padang", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not is_logged_in(client)


def _secret_text(device):
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
