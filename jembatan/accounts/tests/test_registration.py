"""Citizen registration and proving a contact with a one-time code."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from jembatan.accounts import actions
from jembatan.accounts.models import AccountEvent, OneTimeCode, User
from jembatan.accounts.tests.factories import last_code_sent_to, make_user
from jembatan.notify.models import Notification

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 WIB
EMAIL = OneTimeCode.Purpose.VERIFY_EMAIL
PHONE = OneTimeCode.Purpose.VERIFY_PHONE


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def register(client, **fields):
    data = {
        "full_name": "Siti Rahmah",
        "email": "",
        "phone": "",
        "password": "Bukittinggi-2026",
        "password_confirm": "Bukittinggi-2026",
        **fields,
    }
    response = client.post(reverse("accounts:register"), data)
    if response.status_code == 302:
        # Registration no longer logs in (a taken contact must get the same answer): the citizen
        # logs in with the contact and password they just chose.
        identifier = data["email"] or data["phone"]
        client.post(reverse("accounts:login"), {"username": identifier, "password": data["password"]})
    return response


def test_citizen_registers_with_an_email_and_is_sent_a_code_by_email(client):
    response = register(client, email="Siti@Contoh.id")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=" + reverse("accounts:verify")
    user = User.objects.get(email="siti@contoh.id")
    assert user.full_name == "Siti Rahmah"
    assert user.email_verified_at is None
    assert not user.is_staff
    # Not logged in by registering (a taken address must get the very same answer); the helper
    # then logs in with the new password, which works at once.
    assert client.get(reverse("accounts:profile")).status_code == 200
    message = Notification.objects.get(user=user)
    assert (message.channel, message.recipient, message.template) == (
        "email",
        "siti@contoh.id",
        "one_time_code",
    )
    assert AccountEvent.objects.filter(user=user, kind=AccountEvent.Kind.REGISTERED).exists()


def test_citizen_registers_with_only_a_phone_and_is_sent_the_code_by_sms(client):
    register(client, phone="0812-3456-7890")

    user = User.objects.get(phone="6281234567890")
    assert user.email == ""
    message = Notification.objects.get(user=user)
    assert (message.channel, message.recipient, message.template) == ("sms", "6281234567890", "one_time_code")
    assert "menit" in message.body  # the SMS says how long the code lasts


def test_registering_with_both_contacts_sends_one_code_to_each(client):
    register(client, email="siti@contoh.id", phone="+62 812 3456 7890")

    user = User.objects.get(email="siti@contoh.id")
    assert sorted(Notification.objects.filter(user=user).values_list("channel", "recipient")) == [
        ("email", "siti@contoh.id"),
        ("sms", "6281234567890"),
    ]
    assert sorted(user.one_time_codes.values_list("purpose", flat=True)) == [EMAIL, PHONE]


def test_registration_needs_an_email_or_a_phone(client):
    response = register(client)

    assert response.status_code == 200
    assert "Isi alamat e-mail atau nomor ponsel" in response.content.decode()
    assert not User.objects.exists()


def test_registration_refuses_a_weak_password_in_indonesian(client):
    response = register(client, email="siti@contoh.id", password="1234567890", password_confirm="1234567890")

    form = response.context["form"]
    assert "Kata sandi ini seluruhnya terdiri dari angka." in form.errors["password"]
    assert not User.objects.exists()


def test_registration_refuses_mismatched_passwords(client):
    response = register(client, email="siti@contoh.id", password_confirm="Bukittinggi-2027")

    assert response.context["form"].errors["password_confirm"] == ["Kedua kata sandi tidak sama."]
    assert not User.objects.exists()


def answer(response, client):
    """What the one registering sees: where they are sent and what they are told."""
    followed = client.get(response["Location"])
    return response.status_code, response["Location"], [str(m) for m in followed.context["messages"]]


def test_registering_an_email_already_registered_looks_like_a_new_account_and_tells_the_owner(client):
    # Finding 8 of issue 12: the form said "Alamat e-mail ini sudah terdaftar."
    owner = make_user(email="siti@contoh.id")

    data = {
        "full_name": "Siti",
        "phone": "",
        "password": "Bukittinggi-2026",
        "password_confirm": "Bukittinggi-2026",
    }
    taken = client.post(reverse("accounts:register"), {**data, "email": "SITI@contoh.id"})
    taken_answer = answer(taken, client)
    fresh = client.post(reverse("accounts:register"), {**data, "email": "baru@contoh.id"})
    fresh_answer = answer(fresh, client)

    assert taken_answer == fresh_answer
    assert "Periksa kotak masuk" in taken_answer[2][0]
    assert User.objects.filter(email="siti@contoh.id").count() == 1
    told = Notification.objects.get(recipient="siti@contoh.id")
    assert told.template == "registration_attempt" and told.user == owner
    assert "/akun/lupa-sandi/" in told.body


def test_registering_a_phone_already_registered_in_another_spelling_tells_the_owner_by_sms(client):
    make_user(phone="081234567890")

    response = register(client, phone="+62 812-3456-7890")

    assert response.status_code == 302
    assert User.objects.filter(phone="6281234567890").count() == 1
    told = Notification.objects.get(recipient="6281234567890")
    assert (told.channel, told.template) == ("sms", "registration_attempt")


def test_registration_explains_an_invalid_phone_next_to_the_field(client):
    response = register(client, phone="12345")

    assert response.context["form"].errors["phone"] == ["Nomor ponsel tidak valid. Contoh: 0812 3456 7890."]
    content = response.content.decode()
    assert 'id="id_phone_error"' in content
    assert 'aria-invalid="true"' in content


def test_registration_page_labels_every_input_and_never_asks_for_a_nik(client):
    response = client.get(reverse("accounts:register"))

    content = response.content.decode()
    for name in ("full_name", "email", "phone", "password", "password_confirm"):
        assert f'<label for="id_{name}">' in content
    assert 'autocomplete="new-password"' in content
    assert "nik" not in {field.name for field in User._meta.get_fields()}
    assert "nik" not in response.context["form"].fields


def test_the_code_is_stored_only_as_a_keyed_hash():
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")

    code = last_code_sent_to("siti@contoh.id")
    otc = user.one_time_codes.get()
    assert code not in otc.code_hash
    assert len(otc.code_hash) == 64
    assert otc.expires_at == START + timedelta(minutes=10)


def test_the_right_code_verifies_the_email_through_the_verification_page(client):
    register(client, email="siti@contoh.id")
    code = last_code_sent_to("siti@contoh.id")

    response = client.post(reverse("accounts:verify"), {"purpose": EMAIL, "code": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 302
    user = User.objects.get(email="siti@contoh.id")
    assert user.email_verified_at == START
    assert AccountEvent.objects.filter(user=user, kind=AccountEvent.Kind.CONTACT_VERIFIED).exists()
    assert "sudah terverifikasi" in client.get(reverse("accounts:verify")).content.decode()


def test_a_wrong_code_on_the_page_is_explained_next_to_the_field(client):
    register(client, email="siti@contoh.id")
    wrong = "000000" if last_code_sent_to("siti@contoh.id") != "000000" else "111111"

    response = client.post(reverse("accounts:verify"), {"purpose": EMAIL, "code": wrong})

    assert response.status_code == 400
    assert "Kode salah. Sisa 4 percobaan." in response.content.decode()
    assert User.objects.get(email="siti@contoh.id").email_verified_at is None


def test_the_code_for_the_email_does_not_verify_the_phone(frozen_time):
    user = actions.register_citizen(
        full_name="Siti", email="siti@contoh.id", phone="081234567890", password="Bukittinggi-2026"
    )
    phone_code = last_code_sent_to("6281234567890")
    email_code = _code_different_from(phone_code, user, EMAIL, "siti@contoh.id", frozen_time)

    with pytest.raises(ValidationError):
        actions.confirm_verification_code(user=user, purpose=PHONE, code=email_code)
    actions.confirm_verification_code(user=user, purpose=PHONE, code=phone_code)
    user.refresh_from_db()
    assert user.phone_verified_at is not None
    assert user.email_verified_at is None


def test_a_code_expires_after_ten_minutes(frozen_time):
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    code = last_code_sent_to("siti@contoh.id")

    frozen_time.shift(timedelta(minutes=10))
    with pytest.raises(ValidationError, match="kedaluwarsa"):
        actions.confirm_verification_code(user=user, purpose=EMAIL, code=code)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_a_code_still_works_just_before_ten_minutes(frozen_time):
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    code = last_code_sent_to("siti@contoh.id")

    frozen_time.shift(timedelta(minutes=9, seconds=59))
    actions.confirm_verification_code(user=user, purpose=EMAIL, code=code)
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_wrong_attempts_are_counted_although_the_action_raises():
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    wrong = _wrong(last_code_sent_to("siti@contoh.id"))

    with pytest.raises(ValidationError, match="Sisa 4 percobaan"):
        actions.confirm_verification_code(user=user, purpose=EMAIL, code=wrong)
    assert user.one_time_codes.get().attempts == 1


def test_after_five_wrong_attempts_even_the_right_code_is_refused():
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    code = last_code_sent_to("siti@contoh.id")

    for _ in range(5):
        with pytest.raises(ValidationError):
            actions.confirm_verification_code(user=user, purpose=EMAIL, code=_wrong(code))
    with pytest.raises(ValidationError, match="terlalu sering"):
        actions.confirm_verification_code(user=user, purpose=EMAIL, code=code)
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_a_new_code_invalidates_the_old_one(frozen_time):
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    old = last_code_sent_to("siti@contoh.id")

    new = _code_different_from(old, user, EMAIL, "siti@contoh.id", frozen_time)

    first = user.one_time_codes.order_by("pk").first()
    assert first.is_expired(timezone.now())
    with pytest.raises(ValidationError, match="Kode salah"):
        actions.confirm_verification_code(user=user, purpose=EMAIL, code=old)
    actions.confirm_verification_code(user=user, purpose=EMAIL, code=new)
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_a_new_code_is_refused_within_a_minute_of_the_last(client, frozen_time):
    register(client, email="siti@contoh.id")

    client.post(reverse("accounts:resend-code"), {"purpose": EMAIL})

    assert Notification.objects.filter(recipient="siti@contoh.id").count() == 1
    page = client.get(reverse("accounts:verify")).content.decode()
    assert "Tunggu satu menit sebelum meminta kode baru." in page


def test_no_more_than_five_codes_an_hour(frozen_time):
    user = actions.register_citizen(full_name="Siti", email="siti@contoh.id", password="Bukittinggi-2026")
    for _ in range(4):
        frozen_time.shift(timedelta(seconds=61))
        actions.send_verification_code(user=user, purpose=EMAIL)

    frozen_time.shift(timedelta(seconds=61))
    with pytest.raises(ValidationError, match="Terlalu banyak permintaan kode"):
        actions.send_verification_code(user=user, purpose=EMAIL)
    assert Notification.objects.filter(recipient="siti@contoh.id").count() == 5

    frozen_time.shift(timedelta(hours=1))
    actions.send_verification_code(user=user, purpose=EMAIL)


def test_an_already_verified_contact_gets_no_new_code():
    user = make_user(email="siti@contoh.id", email_verified_at=START)

    with pytest.raises(ValidationError, match="sudah terverifikasi"):
        actions.send_verification_code(user=user, purpose=EMAIL)


def test_the_code_reaches_the_mailbox_once_the_registration_commits(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(client, email="siti@contoh.id")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["siti@contoh.id"]
    code = _code_in(mail.outbox[0].body)
    response = client.post(reverse("accounts:verify"), {"purpose": EMAIL, "code": code})
    assert response.status_code == 302
    assert User.objects.get(email="siti@contoh.id").email_verified_at is not None


def test_verification_page_needs_a_login(client):
    response = client.get(reverse("accounts:verify"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def _code_different_from(other, user, purpose, recipient, frozen_time):
    """Ask for fresh codes (a minute apart) until one differs from `other`: codes are random, and a
    one-in-a-million coincidence must not make the test pass or fail by luck."""
    while True:
        frozen_time.shift(timedelta(seconds=61))
        actions.send_verification_code(user=user, purpose=purpose)
        code = last_code_sent_to(recipient)
        if code != other:
            return code
