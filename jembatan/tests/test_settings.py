"""Settings come from the environment and fail loudly on a bad value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from jembatan.env import env_bool, env_choice, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda e: env_bool("DEBUG", environ=e), "maybe", "DEBUG='maybe' is not a boolean"),
        (lambda e: env_int("PORT", 1, environ=e), "80a", "PORT='80a' is not an integer"),
        (lambda e: env_int("PORT", 1, maximum=65535, environ=e), "70000", "above the maximum"),
        (lambda e: env_int("PORT", 1, minimum=1, environ=e), "0", "below the minimum"),
        (lambda e: env_list("ALLOWED_HOSTS", environ=e), "a.id,,b.id", "has an empty item"),
        (
            lambda e: env_choice("LANGUAGE_CODE", {"id", "en"}, "id", environ=e),
            "fr",
            "must be one of: en, id",
        ),
    ],
)
def test_a_bad_value_stops_start_up_with_the_variable_named(reader, value, message):
    environ = {"DEBUG": value, "PORT": value, "ALLOWED_HOSTS": value, "LANGUAGE_CODE": value}
    with pytest.raises(ImproperlyConfigured, match=message):
        reader(environ)


def test_readers_return_typed_values_and_defaults():
    environ = {"DEBUG": "yes", "PORT": "8080", "ALLOWED_HOSTS": "a.id, b.id", "EMPTY": "  "}
    assert env_bool("DEBUG", environ=environ) is True
    assert env_bool("MISSING", default=False, environ=environ) is False
    assert env_int("PORT", environ=environ) == 8080
    assert env_list("ALLOWED_HOSTS", environ=environ) == ["a.id", "b.id"]
    assert env_str("EMPTY", "fallback", environ=environ) == "fallback"  # blank counts as missing
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required"):
        env_str("SECRET_KEY", environ=environ)


def _run(env, *args):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JEMBATAN_", "DJANGO_", "SECRET_KEY"))}
    clean.update(env)
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run({"JEMBATAN_ENV": "production", "JEMBATAN_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "JEMBATAN_ENV": "production",
        "JEMBATAN_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-only-0123456789",
        "ALLOWED_HOSTS": "jembatan.sumbarprov.go.id",
    }
    result = _run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_defaults_need_nothing_set(tmp_path):
    result = _run({"JEMBATAN_ENV": "development", "JEMBATAN_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode == 0, result.stderr


def test_a_bare_checkout_runs_management_commands_as_development(tmp_path):
    """Nothing configured at all: manage.py is on a developer's machine (the web server is not)."""
    result = _run({"JEMBATAN_VAR_DIR": str(tmp_path)}, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert "running as JEMBATAN_ENV=development" in result.stderr


def test_a_configured_environment_is_used_without_a_word(tmp_path):
    result = _run({"JEMBATAN_ENV": "development", "JEMBATAN_VAR_DIR": str(tmp_path)}, "check")
    assert "running as" not in result.stderr


def test_a_configured_machine_without_jembatan_env_stays_production(tmp_path):
    result = _run(
        {"JEMBATAN_VAR_DIR": str(tmp_path), "DATABASE_URL_UNUSED": "x", "SECRET_KEY": "short"}, "check"
    )
    assert result.returncode != 0  # production: a short SECRET_KEY is refused
