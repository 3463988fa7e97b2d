"""The one rate counter (accounts/ratelimit.py) that every limit of the site counts with."""

import logging

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache

from jembatan.accounts import ratelimit
from jembatan.accounts.models import RateCount

pytestmark = pytest.mark.django_db

T0 = 1_773_000_000  # a fixed instant, in seconds


@pytest.fixture(params=["database", "cache"])
def counter(request):
    if request.param == "database":
        return ratelimit.DatabaseCounter()
    return ratelimit.CacheCounter(LocMemCache(f"ratelimit-{request.node.name}", {}))


def test_a_count_adds_up_inside_the_window_and_forgets_what_left_it(counter):
    counter.add("x", "10.0.0.1", window=60, now=T0)
    assert counter.count("x", "10.0.0.1", window=60, now=T0) == 1
    counter.add("x", "10.0.0.1", window=60, now=T0 + 30)
    assert counter.count("x", "10.0.0.1", window=60, now=T0 + 59) == 2
    assert counter.count("x", "10.0.0.1", window=60, now=T0 + 61) == 1  # the first left the window
    assert counter.count("x", "10.0.0.1", window=60, now=T0 + 95) == 0


def test_kinds_and_keys_are_counted_apart_and_cleared_alone(counter):
    counter.add("x", "a", window=60, now=T0)
    counter.add("x", "b", window=60, now=T0)
    counter.add("y", "a", window=60, now=T0, amount=3)
    with time_machine.travel(T0, tick=False):
        counter.clear("x", "a")
        assert counter.count("x", "a", window=60) == 0
        assert counter.count("x", "b", window=60) == 1
        assert counter.count("y", "a", window=60) == 3


def test_the_database_counter_is_shared_by_every_worker():
    # Two counters stand for two web workers: the count lives in the database, not in either.
    ratelimit.DatabaseCounter().add("x", "k", window=60, now=T0)
    ratelimit.DatabaseCounter().add("x", "k", window=60, now=T0 + 1)
    assert ratelimit.DatabaseCounter().count("x", "k", window=60, now=T0 + 1) == 2
    assert RateCount.objects.get().count == 2  # one row per bucket, updated in place


def test_keys_are_not_stored_readable():
    ratelimit.DatabaseCounter().add("sender", "+6281234567890", window=60, now=T0)
    assert "6281234567890" not in RateCount.objects.get().key


def test_old_buckets_are_pruned():
    counts = ratelimit.DatabaseCounter()
    counts.add("x", "k", window=60, now=T0)
    counts.add("x", "k", window=60, now=T0 + 86_400 * 2)
    assert counts.prune(older_than=T0 + 86_400) == 1


def test_a_refused_login_logs_no_warning(client, settings, caplog):
    settings.LOGIN_THROTTLE_LIMIT = 1
    client.post("/akun/masuk/", {"username": "siapa", "password": "salah-sekali"})
    with caplog.at_level(logging.INFO):
        assert (
            client.post("/akun/masuk/", {"username": "siapa", "password": "salah-sekali"}).status_code == 429
        )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_several_limits_are_read_and_counted_together_as_one_by_one(counter):
    # count_many / add_many (one query / statement on the database) agree with count / add.
    counter.add("ip", "10.0.0.1", window=60, now=T0, amount=2)
    counter.add("key", "k1", window=3600, now=T0)
    items = [("ip", "10.0.0.1", 60), ("key", "k1", 3600), ("key", "never", 60)]
    assert counter.count_many(items, now=T0 + 1) == [2, 1, 0]
    counter.add_many([("ip", "10.0.0.1", 60, 1), ("key", "k1", 3600, 5)], now=T0 + 1)
    assert counter.count_many(items, now=T0 + 2) == [3, 6, 0]
    assert counter.count("key", "k1", window=3600, now=T0 + 2) == 6
    assert counter.count_many(items, now=T0 + 61) == [0, 6, 0]  # the address's window has passed


def test_counted_together_in_one_worker_is_seen_by_another():
    ratelimit.DatabaseCounter().add_many([("ip", "a", 60, 1), ("key", "b", 60, 2)], now=T0)
    assert ratelimit.DatabaseCounter().count_many([("key", "b", 60), ("ip", "a", 60)], now=T0) == [2, 1]


# --- Counted in the transaction the request's work opens (SQLite: one write transaction) --------------


def _count_of(key):
    return ratelimit.DatabaseCounter().count("x", key, window=60, now=T0)


@pytest.mark.django_db(transaction=True)
def test_events_counted_with_the_next_transaction_commit_with_it_once():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    counts = ratelimit.DatabaseCounter()
    with CaptureQueriesContext(connection) as queries:
        with counts.add_many_with_next_transaction([("x", "a", 60, 1)], now=T0):
            # SQLite: nothing written before the work's transaction. PostgreSQL: at once, on its
            # own (inside the work's transaction the bucket row's lock would queue the key's requests).
            assert _count_of("a") == (0 if connection.vendor == "sqlite" else 1)
            with transaction.atomic():
                RateCount.objects.create(kind="other", key="k", bucket=0, count=1)
    assert _count_of("a") == 1
    sql = [q["sql"] for q in queries.captured_queries if "accounts_ratecount" in q["sql"]]
    adds = [s for s in sql if s.startswith("INSERT INTO accounts_ratecount")]
    assert len(adds) == 1
    if connection.vendor == "sqlite":
        statements = [q["sql"] for q in queries.captured_queries]
        begin = statements.index(next(s for s in statements if s.startswith("BEGIN")))
        assert begin < statements.index(adds[0]) < statements.index("COMMIT")
        assert sum(s.startswith("BEGIN") for s in statements) == 1  # one write transaction


@pytest.mark.django_db(transaction=True)
def test_events_are_counted_even_when_the_works_transaction_rolls_back():
    from django.db import transaction

    counts = ratelimit.DatabaseCounter()
    with counts.add_many_with_next_transaction([("x", "b", 60, 1)], now=T0):
        with pytest.raises(RuntimeError), transaction.atomic():
            RateCount.objects.create(kind="other", key="k", bucket=0, count=1)
            raise RuntimeError("invalid")
    assert _count_of("b") == 1
    assert not RateCount.objects.filter(kind="other").exists()


@pytest.mark.django_db(transaction=True)
def test_events_are_counted_when_the_work_opens_no_transaction_or_fails_before_it():
    counts = ratelimit.DatabaseCounter()
    with counts.add_many_with_next_transaction([("x", "c", 60, 1)], now=T0):
        RateCount.objects.filter(kind="none").exists()  # reads only
    with pytest.raises(ValueError), counts.add_many_with_next_transaction([("x", "c", 60, 2)], now=T0):
        raise ValueError("refused by validation")
    assert _count_of("c") == 3


def test_inside_a_transaction_already_the_events_are_counted_at_once(counter):
    with counter.add_many_with_next_transaction([("x", "d", 60, 1)], now=T0):
        assert counter.count("x", "d", window=60, now=T0) == 1
    assert counter.count("x", "d", window=60, now=T0) == 1
