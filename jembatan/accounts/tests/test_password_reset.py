"""A citizen who forgot their password sets a new one with a code sent to a verified contact,
and nobody learns from the pages whether an e-mail address or a phone has an account."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from jembatan.accounts import actions
from jembatan.accounts.models import AccountEvent, OneTimeCode
from jembatan.accounts.tests.factories import PASSWORD, last_code_sent_to, make_user
from jembatan.notify.models import Notification

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "jembatan-baru-2026"
GENERIC = "Bila e-mail atau nomor itu terverifikasi di sebuah akun, kodenya sudah kami kirim."


@pytest.fixture
def siti():
    now = timezone.now()
    return make_user(
        "siti", email="siti@contoh.id", email_verified_at=now, phone="6281234567890", phone_verified_at=now
    )


def ask(client, identifier):
    return client.post("/akun/lupa-sandi/", {"identifier": identifier}, follow=True)


def confirm(client, code, password=NEW_PASSWORD, again=None):
    return client.post(
        "/akun/lupa-sandi/kode/",
        {"code": code, "password": password, "password_confirm": again or password},
        follow=True,
    )


@pytest.mark.parametrize("identifier", ["siti@contoh.id", "SITI@contoh.id ", "0812 3456 7890"])
def test_a_code_to_a_verified_contact_sets_a_new_password(client, siti, identifier):
    page = ask(client, identifier)
    assert GENERIC in page.content.decode()
    recipient = "6281234567890" if identifier.startswith("0812") else "siti@contoh.id"
    response = confirm(client, last_code_sent_to(recipient))
    assert "Kata sandi Anda sudah diganti" in response.content.decode()
    siti.refresh_from_db()
    assert siti.check_password(NEW_PASSWORD) and not siti.check_password(PASSWORD)
    assert AccountEvent.objects.filter(user=siti, kind=AccountEvent.Kind.PASSWORD_RESET).count() == 1
    assert Client().login(username="siti", password=NEW_PASSWORD)


def test_unknown_and_unverified_contacts_get_the_same_answer_and_no_code(client, siti):
    make_user("budi", email="budi@contoh.id")  # never verified
    before = Notification.objects.count()
    answers = [ask(Client(), who) for who in ("siapa@contoh.id", "budi@contoh.id", "0899 0000 1111")]
    known = ask(Client(), "siti@contoh.id")
    assert Notification.objects.count() == before + 1  # siti's code only
    assert all(r.status_code == 200 and GENERIC in r.content.decode() for r in answers + [known])
    assert {r.redirect_chain[-1][0] for r in answers + [known]} == {"/akun/lupa-sandi/kode/"}


def test_a_malformed_contact_is_refused_in_the_users_language(client):
    response = client.post("/akun/lupa-sandi/", {"identifier": "bukan-email-atau-nomor"})
    assert response.status_code == 400
    assert "Isi alamat e-mail atau nomor ponsel yang valid." in response.content.decode()


def test_a_wrong_code_counts_and_five_wrong_codes_end_it(client, siti):
    ask(client, "siti@contoh.id")
    right = last_code_sent_to("siti@contoh.id")
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(OneTimeCode.MAX_ATTEMPTS):
        page = confirm(client, wrong)
        assert "Kode salah atau sudah kedaluwarsa" in page.content.decode()
    page = confirm(client, right)
    assert "Kode salah atau sudah kedaluwarsa" in page.content.decode()  # as for an unknown contact
    siti.refresh_from_db()
    assert siti.check_password(PASSWORD)


def test_a_bad_new_password_keeps_the_code_usable(client, siti):
    ask(client, "siti@contoh.id")
    code = last_code_sent_to("siti@contoh.id")
    page = confirm(client, code, password="12345678")
    assert page.status_code == 400
    assert "Kata sandi baru" in page.content.decode()
    assert confirm(client, code, password=NEW_PASSWORD, again="lain-lagi-2026").status_code == 400
    assert "Kata sandi Anda sudah diganti" in confirm(client, code).content.decode()


def test_a_code_expires_and_is_used_once(client, siti, settings):
    otc = actions.request_password_reset(identifier="siti@contoh.id")
    code = last_code_sent_to("siti@contoh.id")
    OneTimeCode.objects.filter(pk=otc.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(actions.ValidationError):
        actions.reset_password(identifier="siti@contoh.id", code=code, password=NEW_PASSWORD)
    OneTimeCode.objects.filter(pk=otc.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    actions.reset_password(identifier="siti@contoh.id", code=code, password=NEW_PASSWORD)
    with pytest.raises(actions.ValidationError):
        actions.reset_password(identifier="siti@contoh.id", code=code, password="yang-ketiga-2026")


def test_resetting_ends_the_other_sessions(siti):
    elsewhere = Client()
    assert elsewhere.login(username="siti", password=PASSWORD)
    actions.request_password_reset(identifier="siti@contoh.id")
    actions.reset_password(
        identifier="siti@contoh.id", code=last_code_sent_to("siti@contoh.id"), password=NEW_PASSWORD
    )
    elsewhere.get("/akun/profil/")
    assert SESSION_KEY not in elsewhere.session


def test_codes_are_limited_per_account_and_per_address_silently(siti, settings):
    settings.ACCOUNTS_RESET_LIMIT_PER_IP = 3  # requests an hour, matched or not
    assert actions.request_password_reset(identifier="siti@contoh.id", ip_address="10.1.1.1")
    # A second code within the minute: nothing is sent, and nothing says so.
    assert actions.request_password_reset(identifier="siti@contoh.id", ip_address="10.1.1.1") is None
    now = timezone.now()
    others = [
        make_user(f"w{i}", email=f"w{i}@contoh.id", email_verified_at=now) for i in range(3)
    ]  # fmt: skip
    sent = [actions.request_password_reset(identifier=u.email, ip_address="10.1.1.1") for u in others]
    assert [bool(s) for s in sent] == [True, False, False]
    assert actions.request_password_reset(identifier="w2@contoh.id", ip_address="10.1.1.2")


def test_the_verification_page_does_not_take_a_reset_code(client, siti):
    client.force_login(siti)
    response = client.post("/akun/verifikasi/", {"purpose": "reset_password", "code": "123456"})
    assert response.status_code == 400


def test_registrations_are_limited_per_address(settings):
    settings.ACCOUNTS_REGISTER_LIMIT_PER_IP = 2
    for i in range(2):
        actions.register_citizen(
            full_name=f"Warga {i}", password=NEW_PASSWORD, email=f"baru{i}@contoh.id", ip_address="10.3.3.3"
        )
    with pytest.raises(actions.ValidationError) as refused:
        actions.register_citizen(
            full_name="Warga 3", password=NEW_PASSWORD, email="baru3@contoh.id", ip_address="10.3.3.3"
        )
    assert "Terlalu banyak pendaftaran" in str(refused.value)
    actions.register_citizen(
        full_name="Warga 4", password=NEW_PASSWORD, email="baru4@contoh.id", ip_address="10.3.3.4"
    )


def test_the_code_message_says_it_changes_the_password(siti):
    actions.request_password_reset(identifier="siti@contoh.id")
    message = Notification.objects.filter(recipient="siti@contoh.id").latest("pk")
    assert message.template == "password_reset_code"
    assert "mengganti kata sandi" in message.subject.lower() or "mengganti kata sandi" in message.body.lower()


def test_officers_and_administrators_are_not_reset_from_the_public_page(siti):
    from jembatan.accounts.models import Role
    from jembatan.accounts.tests.factories import make_staff

    now = timezone.now()
    officer = make_staff(Role.ADMIN_NASIONAL, None, email="petugas@contoh.id", email_verified_at=now)
    root = make_user("root", email="root@contoh.id", email_verified_at=now, is_superuser=True, is_staff=True)
    for who in (officer, root):
        assert actions.request_password_reset(identifier=who.email) is None
    assert not Notification.objects.filter(recipient__in=["petugas@contoh.id", "root@contoh.id"]).exists()


def test_a_password_like_the_account_says_nothing_until_the_code_is_right(siti):
    """Guessing a password close to the e-mail address must not tell a real account from none."""
    actions.request_password_reset(identifier="siti@contoh.id")
    code = last_code_sent_to("siti@contoh.id")
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for who in ("siti@contoh.id", "tidakada@contoh.id"):
        with pytest.raises(actions.ValidationError) as refused:
            actions.reset_password(identifier=who, code=wrong, password=who)
        answers.append(refused.value.message_dict)
    assert answers[0] == answers[1] and "code" in answers[0]
    # With the right code the password is judged against the account, and the code stays usable.
    with pytest.raises(actions.ValidationError) as close:
        actions.reset_password(identifier="siti@contoh.id", code=code, password="siti@contoh.id")
    assert "password" in close.value.message_dict
    actions.reset_password(identifier="siti@contoh.id", code=code, password=NEW_PASSWORD)


def test_a_reset_revokes_the_accounts_api_tokens(siti):
    from jembatan.api import actions as api_actions
    from jembatan.api.models import ApiKey

    api_actions.issue_citizen_token(user=siti, name="ponsel hilang")
    actions.request_password_reset(identifier="siti@contoh.id")
    actions.reset_password(
        identifier="siti@contoh.id", code=last_code_sent_to("siti@contoh.id"), password=NEW_PASSWORD
    )
    assert not ApiKey.objects.filter(user=siti, is_active=True).exists()


def test_refused_registrations_count_against_the_address_too(siti, settings):
    settings.ACCOUNTS_REGISTER_LIMIT_PER_IP = 3
    for _attempt in range(3):  # "already registered": no account made (the owner is told), but counted
        created = actions.register_citizen(
            full_name="Penguji", password=NEW_PASSWORD, email="siti@contoh.id", ip_address="10.4.4.4"
        )
        assert created is None
    with pytest.raises(actions.ValidationError) as limited:
        actions.register_citizen(
            full_name="Penguji", password=NEW_PASSWORD, email="baru@contoh.id", ip_address="10.4.4.4"
        )
    assert "Terlalu banyak pendaftaran" in str(limited.value)
