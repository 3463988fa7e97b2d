"""A busy database is a 503 with Retry-After, never a 500 (issue 20, failure 4): SQLite's
"database is locked" after the busy timeout, PostgreSQL's lock timeout."""

import sqlite3
from contextlib import contextmanager

import pytest
from django.db import connection
from rest_framework.test import APIClient

from jembatan.accounts.models import RateCount
from jembatan.reports.models import Report
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = {
    "title": "Drainase tersumbat di Jalan Veteran",
    "description": "Air meluap ke jalan setiap hujan karena drainase tersumbat sampah.",
    "reporter_email": "tamu@example.id",
}


@contextmanager
def database_held_by_another_writer():
    """Another connection holds the write lock; ours gives up after 0.1 s instead of 20."""
    if connection.vendor == "sqlite":
        locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 100")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
            connection.close()  # the next query reconnects with the configured timeout
    else:
        other = connection.copy()
        other.connect()
        other.set_autocommit(False)
        with other.cursor() as cursor:
            tables = f"{Report._meta.db_table}, {RateCount._meta.db_table}, accounts_loginattempt"
            cursor.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")
        try:
            yield
        finally:
            other.rollback()
            other.close()
            connection.close()


def test_an_api_write_on_a_busy_database_answers_503_with_retry_after_and_saves_nothing(settings):
    rf.build_world()
    settings.DATABASE_BUSY_RETRY_AFTER = 7
    client = APIClient()
    with database_held_by_another_writer():
        response = client.post(
            "/api/v1/reports/",
            REPORT,
            format="json",
            HTTP_IDEMPOTENCY_KEY="b7e1c9d2-4f3a-4b8e-9c1d-2e3f4a5b6c7d",
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "7" and response.json()["code"] == "database_busy"
    assert Report.objects.count() == 0

    retried = client.post(
        "/api/v1/reports/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="b7e1c9d2-4f3a-4b8e-9c1d-2e3f4a5b6c7d"
    )
    assert retried.status_code == 201 and Report.objects.count() == 1


def test_a_web_form_write_on_a_busy_database_answers_a_503_page(client):
    with database_held_by_another_writer():
        response = client.post("/akun/masuk/", {"username": "siapa", "password": "salah-sandi-panjang"})
    assert response.status_code == 503 and response["Retry-After"]
    assert "Server sibuk" in response.content.decode()


def test_a_busy_database_outside_a_view_is_still_a_503_not_a_500():
    from django.db import OperationalError
    from django.test import RequestFactory

    from jembatan.middleware import server_error

    request = RequestFactory().get("/")
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise OperationalError("no such table: x")
    except OperationalError:
        assert server_error(request).status_code == 500
