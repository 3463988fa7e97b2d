"""jembatan/sqlite: Django's SQLite backend with each statement's placeholder conversion remembered.

Its own in-memory database, whatever DATABASE_URL the suite runs on: the PostgreSQL stage checks
the backend too."""

import pytest
from django.db.utils import ConnectionHandler

from jembatan import settings as project_settings
from jembatan.sqlite import base


@pytest.fixture
def memory(django_db_blocker):
    """A connection of its own (pytest-django lets it open: it is not the suite's database)."""
    handler = ConnectionHandler({"default": {"ENGINE": "jembatan.sqlite", "NAME": ":memory:"}})
    connection = handler["default"]
    with django_db_blocker.unblock():
        yield connection
        connection.close()


def test_sqlite_urls_use_the_backend_and_stay_the_sqlite_vendor(tmp_path, memory):
    parsed = project_settings._parse_database(f"sqlite:///{tmp_path / 'x.sqlite3'}", "DATABASE_URL")
    assert parsed["ENGINE"] == "jembatan.sqlite"
    assert type(memory).__module__ == "jembatan.sqlite.base" and memory.vendor == "sqlite"


def test_a_statement_converted_once_is_reused_with_the_same_result(memory):
    sql = "SELECT %s, '100%%', %s || '%%s'"
    with memory.cursor() as cursor:
        cursor.execute(sql, ["a", "b"])
        first = cursor.fetchone()
        hits = base._qmark.cache_info().hits
        cursor.execute(sql, ["c", "d"])
        second = cursor.fetchone()
    assert first == ("a", "100%", "b%s") and second == ("c", "100%", "d%s")
    assert base._qmark.cache_info().hits == hits + 1


def test_named_parameters_are_still_converted(memory):
    with memory.cursor() as cursor:
        cursor.execute("SELECT %(one)s, %(two)s", {"one": 1, "two": "dua"})
        assert cursor.fetchone() == (1, "dua")
