"""/healthz says the process is alive; /readyz says whether the database, the cache, the queue and
the schema are ready for traffic (what a load balancer asks)."""

import pytest
from django.db import connection
from django.db.utils import OperationalError

from jembatan import health


def test_healthz_is_alive_without_touching_the_database(client):
    response = client.get("/healthz")  # no django_db mark: any query would fail this test
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_200_with_each_dependency_state(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"state": "ok", "vendor": connection.vendor}
    assert body["cache"] == {"state": "ok", "critical": False}
    assert body["queue"]["state"] == "ok" and "pending" in body["queue"]
    assert body["migrations"] == {"state": "ok"}


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # The real cursor is replaced by one that fails like a dead server: what the view does with
    # a driver error is what is under test.
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"]["state"] == "unreachable"
    assert response.json()["status"] == "unavailable"
    assert client.get("/healthz").status_code == 200  # alive all the same: no restart needed


@pytest.mark.django_db
def test_readyz_answers_503_while_a_migration_is_not_applied(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    from jembatan.reports.models import Report

    monkeypatch.setattr(health, "_migrations_applied", False)
    executor = MigrationExecutor(connection)
    leaf = max(n for n in executor.loader.graph.leaf_nodes() if n[0] == Report._meta.app_label)
    # Record the newest reports migration as not applied (the state after deploying new code and
    # before `migrate`), then restore the record.
    executor.recorder.record_unapplied(*leaf)
    try:
        response = client.get("/readyz")
    finally:
        executor.recorder.record_applied(*leaf)
    assert response.status_code == 503
    assert response.json()["migrations"] == {"state": "pending", "unapplied": 1}
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_stays_ready_but_degraded_when_the_cache_is_unreachable(client, settings):
    # A Redis cache on a port where nothing listens: the real client fails to connect. Everything
    # on Redis fails open, so the node keeps its traffic (see jembatan/health.py).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/readyz")  # Django rebuilds the cache handlers on a settings change
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == {"state": "unreachable", "critical": False}


def test_probes_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
