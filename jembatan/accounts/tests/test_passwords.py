"""Passwords are hashed with Argon2 in production (the test suite puts fast MD5 first)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import override_settings

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff
from jembatan.directory.tests.factories import make_agency

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
PRODUCTION_HASHERS = [h for h in settings.PASSWORD_HASHERS if h != MD5]


def test_only_the_test_suite_adds_md5_and_argon2_comes_first_without_it():
    assert settings.PASSWORD_HASHERS[0] == MD5
    assert PRODUCTION_HASHERS[0] == ARGON2
    assert MD5 not in PRODUCTION_HASHERS


def test_production_settings_list_argon2_first(tmp_path):
    # The settings module itself, read as production reads it, in a fresh interpreter.
    env = {
        **os.environ,
        "JEMBATAN_ENV": "production",
        "SECRET_KEY": "k" * 64,
        "ALLOWED_HOSTS": "jembatan.example",
        "JEMBATAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "",
    }
    out = subprocess.run(
        [sys.executable, "-c", "import jembatan.settings as s; print('\\n'.join(s.PASSWORD_HASHERS))"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == ARGON2
    assert MD5 not in out


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_staff_password_set_under_production_hashers_is_argon2_and_verifies():
    officer = make_staff(Role.ADMIN_INSTANSI, make_agency("Pemkot Padang"), username="admin.padang")
    officer.set_password("Batang-Arau-2026")
    officer.save()

    assert officer.password.startswith("argon2$argon2id$")
    assert officer.check_password("Batang-Arau-2026")
    assert not officer.check_password("Batang-Arau-2027")
    assert authenticate(username="admin.padang", password="Batang-Arau-2026") == officer
