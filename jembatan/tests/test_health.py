"""/healthz tells a load balancer whether the database and the queue answer."""

import pytest
from django.db import connection
from django.db.utils import OperationalError


@pytest.mark.django_db
def test_healthz_answers_200_with_database_and_queue_state(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"state": "ok", "vendor": connection.vendor}
    assert body["queue"]["state"] == "ok" and "pending" in body["queue"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # The real cursor is replaced by one that fails like a dead server: what the view does with
    # a driver error is what is under test.
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["state"] == "unreachable"
    assert response.json()["status"] == "down"


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
