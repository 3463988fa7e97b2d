"""Logging in by username, e-mail or phone; the throttle on guessing; logging out."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse

from jembatan.accounts import actions, throttle
from jembatan.accounts.models import AccountEvent, LoginAttempt, Role
from jembatan.accounts.tests.factories import PASSWORD, make_staff, make_user
from jembatan.directory.tests.factories import make_agency

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
THROTTLED = "Terlalu banyak percobaan masuk yang gagal"
WRONG = "E-mail/nomor ponsel/nama pengguna atau kata sandi salah."


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def throttle_settings(settings):
    settings.LOGIN_THROTTLE_LIMIT = 3
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 600


@pytest.fixture
def citizen():
    return make_user(username="siti", email="siti@contoh.id", phone="081234567890")


def log_in(client, username, password=PASSWORD, ip="10.0.0.1", **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password, **extra}, REMOTE_ADDR=ip
    )


def is_logged_in(client):
    return client.get(reverse("accounts:profile")).status_code == 200


def test_an_officer_lands_on_the_workbench(client):
    from jembatan.accounts.models import Role
    from jembatan.accounts.tests.factories import make_staff

    make_staff(Role.ADMIN_NASIONAL, None, username="petugas")
    assert log_in(client, "petugas")["Location"] == "/kerja/"
    client.post(reverse("accounts:logout"))
    assert log_in(client, "petugas", next="/data/")["Location"] == "/data/"  # an asked-for page wins


@pytest.mark.parametrize(
    ("roles", "staff", "landing"),
    [
        ([Role.PIMPINAN], False, "/data/"),
        ([Role.AUDITOR], False, "/data/"),
        ([Role.PIMPINAN, Role.AUDITOR], False, "/data/"),
        ([Role.SYSADMIN], True, "/admin/"),
        ([Role.PENGHUBUNG], False, "/kerja/"),
        ([Role.PIMPINAN, Role.PENGHUBUNG], False, "/kerja/"),  # one who works a queue lands on it
        ([Role.SYSADMIN], False, "/kerja/"),  # no admin access: the admin would only bounce them
    ],
)
def test_each_role_lands_where_its_work_is(client, roles, staff, landing):
    agency = make_agency()
    user = make_staff(roles[0], None if roles[0] == Role.SYSADMIN else agency, username="orang")
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    for role in roles[1:]:
        user.staff_roles.create(role=role, agency=agency)

    assert log_in(client, "orang")["Location"] == landing


@pytest.mark.parametrize(
    "identifier", ["siti", "siti@contoh.id", "SITI@Contoh.id", "0812-3456-7890", "+6281234567890"]
)
def test_citizen_logs_in_with_username_email_or_phone(client, citizen, identifier):
    response = log_in(client, identifier)

    assert response.status_code == 302
    assert response["Location"] == "/saya/"  # a citizen lands on their own reports
    assert is_logged_in(client)
    assert AccountEvent.objects.filter(user=citizen, kind=AccountEvent.Kind.LOGGED_IN).count() == 1


def test_login_page_labels_its_inputs_for_password_managers(client):
    content = client.get(reverse("accounts:login")).content.decode()

    assert '<label for="id_username">' in content
    assert '<label for="id_password">' in content
    assert 'autocomplete="username"' in content
    assert 'autocomplete="current-password"' in content


def test_a_wrong_password_and_an_unknown_account_get_the_same_indonesian_answer(client, citizen):
    wrong_password = log_in(client, "siti@contoh.id", "bukan-kata-sandinya")
    unknown_account = log_in(client, "tidak.ada@contoh.id", "bukan-kata-sandinya")

    for response in (wrong_password, unknown_account):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [WRONG]
    assert not is_logged_in(client)


def test_login_goes_back_to_the_page_that_asked_for_it_but_never_off_site(client, citizen):
    assert log_in(client, "siti", next="/akun/profil/")["Location"] == "/akun/profil/"
    client.post(reverse("accounts:logout"))
    assert log_in(client, "siti", next="https://penipu.example/")["Location"] == "/saya/"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://penipu.example/saya/",
        "//penipu.example/saya/",
        "/\\penipu.example/saya/",
        "/\t/penipu.example/",
        "http://testserver/saya/",  # this host spelled out: the Host header is the client's to choose
        "javascript:alert(1)",
        "saya/",
        "/akun/keluar/",
    ],
)
def test_an_open_redirect_through_next_is_refused(client, citizen, next_url):
    response = log_in(client, "siti", next=next_url)

    assert response.status_code == 302 and response["Location"] == "/saya/"


def test_the_login_link_in_the_header_remembers_the_page_it_was_on(client, citizen):
    page = client.get("/laporan/?status=selesai").content.decode()
    assert 'href="/akun/masuk/?next=/laporan/%3Fstatus%3Dselesai"' in page
    assert log_in(client, "siti", next="/laporan/?status=selesai")["Location"] == "/laporan/?status=selesai"
    client.post(reverse("accounts:logout"))
    home = client.get("/").content.decode()
    assert 'href="/akun/masuk/"' in home  # from the home page: to the account's own landing


def test_after_the_limit_the_right_password_is_refused_from_that_address_only(client, citizen, frozen_time):
    # A minute apart, so only the pair limit of the window (3 in 10 minutes) applies.
    for _n in range(3):
        assert log_in(client, "siti@contoh.id", "tebakan-salah", ip="10.0.1.1").status_code == 200
        frozen_time.shift(timedelta(seconds=61))

    response = log_in(client, "siti@contoh.id", PASSWORD, ip="10.0.1.1")

    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
    assert "10 menit" in response.content.decode()
    assert not is_logged_in(client)
    assert log_in(client, "siti@contoh.id", PASSWORD, ip="10.0.2.1").status_code == 302


def test_an_attacker_cannot_lock_the_owner_out(client, citizen, settings):
    # Finding 3 of issue 12: six wrong passwords used to lock the account out everywhere.
    settings.LOGIN_THROTTLE_IP_PER_MINUTE = 1000
    for n in range(30):
        log_in(client, "siti", "tebakan-salah", ip=f"198.51.100.{n % 3}")

    owner = Client()
    assert log_in(owner, "siti", PASSWORD, ip="10.0.0.1").status_code == 302
    assert is_logged_in(owner)


def test_quick_failures_slow_the_pair_down_before_refusing(client, citizen, settings):
    settings.LOGIN_THROTTLE_LIMIT = 5
    for _n in range(2):
        log_in(client, "siti", "tebakan-salah", ip="10.0.1.1")
    log_in(client, "siti", "tebakan-salah", ip="10.0.1.2")  # another address, another pair
    log_in(client, "siti", "tebakan-salah", ip="10.0.1.1")

    slowed = log_in(client, "siti", PASSWORD, ip="10.0.1.1")
    assert slowed.status_code == 429
    assert "detik" in slowed.context["throttled"]
    assert int(slowed["Retry-After"]) <= 60


def test_the_lock_for_an_unknown_account_looks_exactly_like_a_real_one(client, citizen):
    for name in ("siti@contoh.id", "tidak.ada@contoh.id"):
        for _n in range(3):
            log_in(client, name, "tebakan-salah", ip="10.0.1.1")
    real = log_in(client, "siti@contoh.id", PASSWORD, ip="10.0.1.1")
    unknown = log_in(client, "tidak.ada@contoh.id", PASSWORD, ip="10.0.1.1")

    assert real.status_code == unknown.status_code == 429
    assert real.context["throttled"] == unknown.context["throttled"]


def test_an_address_failing_for_many_accounts_is_slowed_down_not_locked_out(
    client, citizen, settings, frozen_time
):
    settings.LOGIN_THROTTLE_IP_PER_MINUTE = 3
    other = make_user(email="budi@contoh.id")
    for name in ("a@contoh.id", "b@contoh.id", "c@contoh.id"):
        log_in(client, name, "tebakan-salah", ip="10.9.9.9")

    slowed = log_in(client, "siti@contoh.id", PASSWORD, ip="10.9.9.9")
    assert slowed.status_code == 429
    assert "detik" in slowed.context["throttled"]
    assert not is_logged_in(client)
    # Another address is not affected, and a minute later this one may try again.
    assert log_in(Client(), other.email, PASSWORD, ip="10.0.0.2").status_code == 302
    frozen_time.shift(timedelta(seconds=61))
    assert log_in(client, "siti@contoh.id", PASSWORD, ip="10.9.9.9").status_code == 302


def test_the_phone_number_is_one_account_however_it_is_typed(client, citizen):
    for spelling in ("081234567890", "+62 812-3456-7890", "6281234567890"):
        log_in(client, spelling, "tebakan-salah", ip="10.0.5.5")

    assert log_in(client, "0812 3456 7890", PASSWORD, ip="10.0.5.5").status_code == 429


def test_failures_older_than_the_window_no_longer_count(client, citizen, frozen_time):
    for _n in range(3):
        log_in(client, "siti", "tebakan-salah")

    frozen_time.shift(timedelta(seconds=601))

    assert log_in(client, "siti", PASSWORD).status_code == 302


def test_a_successful_login_clears_that_usernames_failures_and_keeps_the_log(client, citizen):
    for _n in range(2):
        log_in(client, "siti", "tebakan-salah", ip="10.0.1.1")
    log_in(client, "budi", "tebakan-salah", ip="10.0.1.9")

    assert log_in(client, "siti", PASSWORD, ip="10.0.1.1").status_code == 302

    # The failures stay in the admin's security log; only the throttle's count is cleared.
    assert sorted(LoginAttempt.objects.values_list("username", flat=True)) == ["budi", "siti", "siti"]
    client.post(reverse("accounts:logout"))
    for _n in range(2):
        log_in(client, "siti", "tebakan-salah", ip="10.0.1.1")
    assert log_in(client, "siti", PASSWORD, ip="10.0.1.1").status_code == 302


def test_a_deactivated_account_cannot_log_in_and_looks_like_a_wrong_password(client, citizen):
    citizen.is_active = False
    citizen.save()

    response = log_in(client, "siti", PASSWORD)

    assert response.context["form"].non_field_errors() == [WRONG]
    assert LoginAttempt.objects.filter(username="siti").count() == 1


def test_logout_needs_a_post(client, citizen):
    log_in(client, "siti")

    assert client.get(reverse("accounts:logout"))["Location"] == "/"  # a page, still logged in
    assert is_logged_in(client)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not is_logged_in(client)


def test_an_officer_without_an_authenticator_logs_in_with_the_password_and_is_nudged_to_enrol(client):
    make_staff(Role.PENGHUBUNG, make_agency("Dinas PUPR Kota Padang"), username="penghubung.pupr")

    response = log_in(client, "penghubung.pupr")

    assert response.status_code == 302
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200
    notices = [str(m) for m in page.context["messages"]]
    assert any("verifikasi dua langkah" in notice for notice in notices)
    assert reverse("accounts:totp-setup") in page.content.decode()


def test_the_users_language_is_set_when_they_log_in(client):
    make_user(username="tourist", preferred_language="en")

    response = log_in(client, "tourist")

    assert response.cookies["django_language"].value == "en"


def test_the_client_address_comes_from_the_proxy_only_when_a_proxy_is_configured(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")

    settings.SECURE_PROXY_SSL_HEADER = None
    assert throttle.client_ip(request) == "127.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The last entry is the one our proxy appended; the first was typed by the client.
    assert throttle.client_ip(request) == "203.0.113.7"


def test_old_failed_logins_are_pruned_after_thirty_days(frozen_time):
    actions.record_failed_login(username="lama", ip_address="10.0.0.1")
    frozen_time.shift(timedelta(days=29))
    actions.record_failed_login(username="baru", ip_address="10.0.0.1")
    frozen_time.shift(timedelta(days=1, seconds=1))

    assert actions.prune_login_attempts() == 1
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["baru"]
