"""The production shape: static files with hashed names, compressed copies and far-future caching;
SQLite set up for a server; connections kept open."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[3]
MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "jembatan.staticfiles.StaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    # Only the project's own files: compressing Django admin's and Swagger's takes minutes.
    only_ours = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    with override_settings(
        STATIC_ROOT=root,
        STORAGES=MANIFEST_STORAGE,
        WHITENOISE_USE_FINDERS=False,
        STATICFILES_FINDERS=only_ours,
    ):
        call_command("collectstatic", "--no-input", verbosity=0)
        yield root


def test_collectstatic_writes_hashed_names_with_gzip_and_brotli_copies(collected):
    paths = json.loads((collected / "staticfiles.json").read_text())["paths"]
    hashed = paths["css/jembatan.css"]
    assert hashed != "css/jembatan.css" and hashed.startswith("css/jembatan.")
    assert (collected / hashed).exists()
    assert (collected / f"{hashed}.gz").exists()
    assert (collected / f"{hashed}.br").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_a_hashed_static_file_is_served_compressed_with_a_far_future_cache_header(collected, settings, debug):
    settings.DEBUG = debug  # `make run` runs with DEBUG on and must serve what production serves
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"]["css/jembatan.css"]
    client = Client()  # a new handler: WhiteNoise scans the collected folder on its first request
    response = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    gzipped = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_pages_link_the_hashed_static_names_in_every_mode(collected, settings, debug):
    settings.DEBUG = debug
    hashed = json.loads((collected / "staticfiles.json").read_text())["paths"]["css/jembatan.css"]
    response = Client().get("/laporan/")
    assert response.status_code == 200
    assert f"/static/{hashed}" in response.content.decode()


@pytest.mark.django_db
def test_sqlite_connections_carry_the_server_pragmas():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    expected = {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": 20000,
        "cache_size": -32768,
        "temp_store": 2,  # MEMORY
        "mmap_size": 256 * 1024 * 1024,
        "journal_size_limit": 64 * 1024 * 1024,
        "wal_autocheckpoint": 4000,
    }
    with connection.cursor() as cursor:
        for pragma, value in expected.items():
            cursor.execute(f"PRAGMA {pragma}")
            assert cursor.fetchone()[0] == value, pragma


def _settings_in(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JEMBATAN_", "DJANGO_", "DATABASE_"))}
    clean.update(env)
    code = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS']}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/db.sqlite3", "postgres://u@127.0.0.1:5432/jembatan"])
def test_production_keeps_database_connections_open_with_health_checks(url, tmp_path):
    env = {
        "JEMBATAN_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "JEMBATAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": url.format(tmp=tmp_path),
    }
    assert _settings_in(env) == {"age": 600, "checks": True}


def test_serving_a_page_loads_no_machine_learning_or_spreadsheet_library():
    # The first request of a fresh web process loads the URLconf and the views; scikit-learn,
    # numpy, openpyxl and Sastrawi cost seconds and load only where a model runs or a file is built.
    code = (
        "import sys, django; django.setup(); "
        "from django.test import Client; from django.urls import get_resolver; "
        "get_resolver().url_patterns; "
        "heavy = [m for m in ('sklearn', 'numpy', 'scipy', 'openpyxl', 'Sastrawi') if m in sys.modules]; "
        "print(','.join(heavy) or 'none')"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(JEMBATAN_ENV="test", DJANGO_SETTINGS_MODULE="jembatan.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "none"


def _read_settings(env, expression):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JEMBATAN_", "DJANGO_", "DATABASE_"))}
    clean.update({"JEMBATAN_ENV": "production", "SECRET_KEY": "k" * 60, **env})
    clean["DJANGO_SETTINGS_MODULE"] = "jembatan.settings"
    code = "import json, django; django.setup(); from django.conf import settings as s; "
    code += f"print(json.dumps({expression}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_redis_url_puts_cache_sessions_and_queue_on_redis_for_every_process(tmp_path):
    env = {"JEMBATAN_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6380/3"}
    expression = "[s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'], s.SESSION_ENGINE, s.HUEY]"
    result = _read_settings(env, expression)
    assert result.returncode == 0, result.stderr
    backend, location, sessions, huey = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "django.core.cache.backends.redis.RedisCache" and location == env["REDIS_URL"]
    assert sessions == "jembatan.accounts.sessions"  # cached_db that survives a Redis outage
    assert huey["huey_class"] == "huey.RedisHuey" and huey["url"] == env["REDIS_URL"]


def test_a_replica_is_routed_only_behind_a_postgresql_primary(tmp_path):
    env = {
        "JEMBATAN_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://u@127.0.0.1:5440/jembatan",
        "DATABASE_REPLICA_URL": "postgres://u@127.0.0.1:5441/jembatan",
    }
    result = _read_settings(env, "[s.DATABASE_ROUTERS, s.DATABASES['replica']['PORT']]")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [["jembatan.replica.ReplicaRouter"], 5441]
    sqlite = _read_settings({**env, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}, "1")
    assert sqlite.returncode != 0 and "DATABASE_REPLICA_URL needs a PostgreSQL primary" in sqlite.stderr
