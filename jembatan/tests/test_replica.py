"""The read replica router (jembatan/replica.py) with a real second database alias.

The "replica" is a second SQLite file: a copy of the test database taken at one moment, so it
lags behind everything written after that moment, as a streaming replica does. Which database a
page read from shows in what it finds (a report written after the copy exists only on the
primary) and in the `X-Jembatan-Read` header. The lag measurement itself reads PostgreSQL WAL
positions; here its verdict is tested on the values it reads, and `make test-cluster` runs it
against a real streaming replica.
"""

import sqlite3
import time
import warnings

import pytest
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test import Client

from jembatan import replica
from jembatan.accounts.tests.factories import PASSWORD
from jembatan.reports.models import Report
from jembatan.reports.tests.factories import build_world, disposed

pytestmark = pytest.mark.skipif(
    connections["default"].vendor != "sqlite", reason="the replica here is a copy of the SQLite test file"
)


def _add_replica(settings, path):
    """Configure the alias "replica" at `path` and the router, as DATABASE_REPLICA_URL does.

    The connection is made here rather than declared in connections' settings: Django's test case
    refuses aliases it was not told about at its start, and allows connections made at run time.
    """
    config = {**connections["default"].settings_dict, "NAME": str(path)}
    connections[replica.REPLICA] = load_backend(config["ENGINE"]).DatabaseWrapper(config, replica.REPLICA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Overriding setting DATABASES can lead to unexpected behavior"
        settings.DATABASES = {**settings.DATABASES, replica.REPLICA: config}
    settings.DATABASE_ROUTERS = ["jembatan.replica.ReplicaRouter"]


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """A world and one public report, copied to the replica; torn down with the alias."""
    w = build_world()
    w.before_copy = disposed(w, title="Sebelum salinan")
    path = tmp_path / "replica.sqlite3"
    source = sqlite3.connect(connections["default"].settings_dict["NAME"])
    with sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    w.replica_path = path
    settings.REPLICA_CHECK_SECONDS = 3600
    settings.REPLICA_RETRY_SECONDS = 3600
    _add_replica(settings, path)
    # Written after the copy: on the primary only (the replica "lags").
    w.after_copy = disposed(w, title="Sesudah salinan")
    replica.health.ok, replica.health.checked_at = True, time.monotonic()  # see the module docstring
    yield w
    replica.health.ok, replica.health.checked_at = False, 0.0
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]


def _page(client, report):
    return client.get(f"/laporan/{report.tracking_number}/")


def test_public_pages_read_from_the_replica_and_see_only_what_it_has(world):
    client = Client()
    old = _page(client, world.before_copy)
    assert old.status_code == 200 and old["X-Jembatan-Read"] == "replica"
    new = _page(client, world.after_copy)
    assert new.status_code == 404 and new["X-Jembatan-Read"] == "replica"  # not replicated yet


def test_writes_and_pages_outside_the_read_prefixes_use_the_primary(world):
    assert Report.objects.db_manager().db == "default"
    assert replica.ReplicaRouter().db_for_write(Report) == "default"
    token = replica.use_replica.set(True)
    try:
        assert Report.objects.filter(pk=world.after_copy.pk).exists() is False  # a read: the replica
        with transaction.atomic():
            assert Report.objects.filter(pk=world.after_copy.pk).exists()  # inside a transaction: primary
    finally:
        replica.use_replica.reset(token)
    response = Client().get("/")  # the home page is not a routed prefix
    assert response.status_code == 200 and "X-Jembatan-Read" not in response


def test_a_caller_who_just_wrote_reads_the_primary_for_a_few_seconds(world, settings):
    client = Client()
    assert _page(client, world.after_copy).status_code == 404
    login = client.post("/akun/masuk/", {"username": world.citizen.username, "password": PASSWORD})
    assert login.status_code == 302
    assert login.cookies[replica.PIN_COOKIE]["max-age"] == settings.REPLICA_PIN_SECONDS
    pinned = _page(client, world.after_copy)
    assert pinned.status_code == 200 and pinned["X-Jembatan-Read"] == "primary"
    # Another browser, without the pin, still reads the replica.
    assert _page(Client(), world.after_copy)["X-Jembatan-Read"] == "replica"


def test_an_api_caller_is_pinned_by_its_credential_across_nodes(world):
    headers = {"HTTP_AUTHORIZATION": "Token abc123"}
    assert not replica._pinned(_request(headers))
    key = replica._identity(_request(headers))
    from django.core.cache import cache

    cache.set(key, 1, 5)  # what _pin() records after the caller's write, in the shared cache
    response = Client().get(f"/laporan/{world.after_copy.tracking_number}/", **headers)
    assert response.status_code == 200 and response["X-Jembatan-Read"] == "primary"


def _request(meta):
    from django.test import RequestFactory

    return RequestFactory().get("/laporan/", **meta)


def test_a_replica_that_fails_mid_request_is_answered_from_the_primary_and_set_aside(world, settings):
    connections[replica.REPLICA].close()
    world.replica_path.unlink()
    sqlite3.connect(world.replica_path).close()  # an empty database: every query fails
    client = Client(raise_request_exception=False)
    response = _page(client, world.before_copy)
    assert response.status_code == 200 and response["X-Jembatan-Read"] == "primary"
    assert replica.health.ok is False
    # Set aside until the retry time: the next page goes straight to the primary.
    assert _page(client, world.after_copy)["X-Jembatan-Read"] == "primary"


def test_a_replica_that_cannot_report_its_lag_is_not_used(world, settings):
    settings.REPLICA_RETRY_SECONDS = 1
    replica.health.ok, replica.health.checked_at = False, 0.0
    # The real check asks for WAL positions; this replica cannot answer them: unusable.
    assert replica.health.usable() is False
    response = _page(Client(), world.after_copy)
    assert response.status_code == 200 and response["X-Jembatan-Read"] == "primary"


@pytest.mark.parametrize(
    ("in_recovery", "behind_bytes", "since_replay", "usable"),
    [
        (True, 0, 3600.0, True),  # caught up: old last transaction is no lag
        (True, 4096, 3.0, True),  # behind, within REPLICA_MAX_LAG_SECONDS
        (True, 4096, 30.0, False),  # behind by more than the bound
        (False, 0, 0.0, False),  # promoted: no longer a replica of this primary
    ],
)
def test_the_lag_verdict(settings, in_recovery, behind_bytes, since_replay, usable):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    assert replica.verdict(in_recovery, behind_bytes, since_replay)[0] is usable
