"""The admin pages for people, roles and failed logins, in Bahasa Indonesia."""

import pytest
from django.urls import reverse

from jembatan.accounts import actions
from jembatan.accounts.models import LoginAttempt, Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.tests.factories import make_agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = make_user(username="sysadmin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_user_list_searches_by_name_email_and_phone(client, superuser):
    make_user(full_name="Siti Rahmah", email="siti@contoh.id", phone="081234567890")
    make_user(full_name="Budi Santoso", email="budi@contoh.id")

    for term in ("Rahmah", "siti@contoh", "6281234567890"):
        response = client.get(reverse("admin:accounts_user_changelist"), {"q": term})
        content = response.content.decode()
        assert response.status_code == 200
        assert "Siti Rahmah" in content
        assert "Budi Santoso" not in content


def test_user_list_filters_by_role(client, superuser):
    make_staff(Role.PENGHUBUNG, make_agency("Dinas PUPR Kota Padang"), full_name="Penghubung PUPR")
    make_user(full_name="Warga Biasa")

    response = client.get(reverse("admin:accounts_user_changelist"), {"staff_roles__role": Role.PENGHUBUNG})

    content = response.content.decode()
    assert "Penghubung PUPR" in content
    assert "Warga Biasa" not in content


def test_user_page_edits_staff_roles_inline_in_indonesian(client, superuser):
    officer = make_staff(Role.ADMIN_INSTANSI, make_agency("Pemkot Padang"))

    response = client.get(reverse("admin:accounts_user_change", args=[officer.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Peran petugas" in content or "peran petugas" in content
    assert "Data diri dan kontak" in content
    assert "Admin Instansi / Koordinator" in content


def test_admin_adds_an_officer_with_a_role(client, superuser):
    agency = make_agency("Dinas PUPR Kota Padang")

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "penghubung.baru",
            "full_name": "Penghubung Baru",
            "email": "baru@padang.go.id",
            "phone": "",
            "password1": "Batang-Arau-2026",
            "password2": "Batang-Arau-2026",
            "usable_password": "true",
            "staff_roles-TOTAL_FORMS": "1",
            "staff_roles-INITIAL_FORMS": "0",
            "staff_roles-0-role": Role.PENGHUBUNG,
            "staff_roles-0-agency": str(agency.pk),
            "staff_roles-0-is_active": "on",
        },
    )

    assert response.status_code == 302
    user = type(superuser).objects.get(username="penghubung.baru")
    assert user.check_password("Batang-Arau-2026")
    assert list(user.staff_roles.values_list("role", "agency")) == [(Role.PENGHUBUNG, agency.pk)]


def test_failed_logins_are_listed_but_cannot_be_added_changed_or_deleted(client, superuser):
    attempt = actions.record_failed_login(username="siti@contoh.id", ip_address="10.0.0.1")

    listing = client.get(reverse("admin:accounts_loginattempt_changelist"))
    assert listing.status_code == 200
    assert "siti@contoh.id" in listing.content.decode()
    assert client.get(reverse("admin:accounts_loginattempt_add")).status_code == 403
    detail = client.post(reverse("admin:accounts_loginattempt_change", args=[attempt.pk]), {"username": "x"})
    assert detail.status_code == 403
    assert (
        client.post(
            reverse("admin:accounts_loginattempt_delete", args=[attempt.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert LoginAttempt.objects.get().username == "siti@contoh.id"
