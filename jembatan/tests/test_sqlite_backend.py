"""jembatan/sqlite: Django's SQLite backend with each statement's placeholder conversion remembered."""

import pytest
from django.db import connection, connections

from jembatan.sqlite import base

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only"),
]


def test_sqlite_urls_use_the_backend_and_stay_the_sqlite_vendor():
    default = connections["default"]
    assert type(default).__module__ == "jembatan.sqlite.base" and default.vendor == "sqlite"


def test_a_statement_converted_once_is_reused_with_the_same_result():
    sql = "SELECT %s, '100%%', %s || '%%s'"
    with connection.cursor() as cursor:
        cursor.execute(sql, ["a", "b"])
        first = cursor.fetchone()
        hits = base._qmark.cache_info().hits
        cursor.execute(sql, ["c", "d"])
        second = cursor.fetchone()
    assert first == ("a", "100%", "b%s") and second == ("c", "100%", "d%s")
    assert base._qmark.cache_info().hits == hits + 1


def test_named_parameters_are_still_converted():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %(one)s, %(two)s", {"one": 1, "two": "dua"})
        assert cursor.fetchone() == (1, "dua")
