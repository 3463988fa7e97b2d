"""The profile page: name, contacts, language and how the citizen wants to hear about reports."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from jembatan.accounts.models import AccountEvent, OneTimeCode, User
from jembatan.accounts.tests.factories import last_code_sent_to, make_user
from jembatan.notify.models import Notification

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def citizen():
    return make_user(
        full_name="Siti Rahmah",
        email="siti@contoh.id",
        email_verified_at=START,
        phone="081234567890",
        phone_verified_at=START,
    )


def save_profile(client, user, **changes):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "notify_by_email": "on" if user.notify_by_email else "",
        "notify_by_sms": "on" if user.notify_by_sms else "",
        "notify_by_whatsapp": "on" if user.notify_by_whatsapp else "",
        **changes,
    }
    return client.post(reverse("accounts:profile"), {k: v for k, v in data.items() if v != ""})


def test_profile_needs_a_login(client):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_citizen_changes_how_they_hear_about_reports_and_their_language(client, citizen):
    client.force_login(citizen)

    response = save_profile(
        client,
        citizen,
        notify_by_email="",
        notify_by_whatsapp="on",
        preferred_language="en",
        full_name="Siti R.",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    citizen.refresh_from_db()
    assert (citizen.notify_by_email, citizen.notify_by_sms, citizen.notify_by_whatsapp) == (
        False,
        False,
        True,
    )
    assert citizen.preferred_language == "en"
    assert citizen.full_name == "Siti R."
    assert response.cookies["django_language"].value == "en"
    # Contacts untouched: still verified, and no code sent.
    assert citizen.email_verified_at == citizen.phone_verified_at == START
    assert not Notification.objects.exists()
    event = AccountEvent.objects.get(user=citizen, kind=AccountEvent.Kind.PROFILE_UPDATED)
    assert sorted(event.data["fields"]) == [
        "full_name",
        "notify_by_email",
        "notify_by_whatsapp",
        "preferred_language",
    ]


def test_a_new_email_must_be_verified_again_and_gets_a_code(client, citizen):
    client.force_login(citizen)

    response = save_profile(client, citizen, email="Siti.Baru@Contoh.id")

    assert response["Location"] == reverse("accounts:verify")
    citizen.refresh_from_db()
    assert citizen.email == "siti.baru@contoh.id"
    assert citizen.email_verified_at is None
    assert citizen.phone_verified_at == START
    code = last_code_sent_to("siti.baru@contoh.id")
    client.post(reverse("accounts:verify"), {"purpose": OneTimeCode.Purpose.VERIFY_EMAIL, "code": code})
    citizen.refresh_from_db()
    assert citizen.email_verified_at is not None


def test_the_profile_log_records_which_fields_changed_but_not_their_values(client, citizen):
    client.force_login(citizen)

    save_profile(client, citizen, phone="0813 1111 2222")

    event = AccountEvent.objects.get(user=citizen, kind=AccountEvent.Kind.PROFILE_UPDATED)
    assert event.data == {"fields": ["phone"]}


def test_sms_news_needs_a_phone_number(client):
    user = make_user(email="budi@contoh.id")
    client.force_login(user)

    response = save_profile(client, user, notify_by_sms="on")

    assert response.status_code == 400
    assert response.context["form"].errors["notify_by_sms"] == [
        "Isi nomor ponsel untuk menerima kabar lewat SMS."
    ]
    user.refresh_from_db()
    assert not user.notify_by_sms


def test_removing_both_contacts_is_refused(client, citizen):
    client.force_login(citizen)

    response = save_profile(client, citizen, email="", phone="", notify_by_email="")

    assert response.status_code == 400
    assert "Isi alamat e-mail atau nomor ponsel" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.email == "siti@contoh.id"


def test_an_email_of_another_account_is_refused(client, citizen):
    make_user(email="budi@contoh.id")
    client.force_login(citizen)

    response = save_profile(client, citizen, email="BUDI@contoh.id")

    assert response.context["form"].errors["email"] == ["Alamat e-mail ini sudah terdaftar."]
    citizen.refresh_from_db()
    assert citizen.email == "siti@contoh.id"
    assert User.objects.filter(email="budi@contoh.id").count() == 1


def test_profile_page_labels_every_input(client, citizen):
    client.force_login(citizen)

    content = client.get(reverse("accounts:profile")).content.decode()

    for name in ("full_name", "email", "phone", "preferred_language", "notify_by_email", "notify_by_sms"):
        assert f'<label for="id_{name}">' in content
    assert 'autocomplete="email"' in content
    assert 'autocomplete="tel"' in content
