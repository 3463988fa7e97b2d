"""While Redis is down, rate limits fail open and sessions and cached numbers fall back to the database.

A real Redis cache backend pointed at a closed loopback port (connection refused), no mocks.
"""

import logging
import socket
import time

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from jembatan.accounts import ratelimit, sessions
from jembatan.accounts.tests.factories import PASSWORD, make_user
from jembatan.observability import cache_outage, metrics


def _closed_port():
    """A loopback port nothing listens on: bound to learn a free number, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_down():
    return RedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )


def _fail_open_count(component="ratelimit"):
    return metrics()["fail_open"].labels(component)._value.get()


@pytest.fixture(autouse=True)
def _fresh_episode():
    for outage in (ratelimit.outage, sessions.outage, cache_outage):
        outage.down = False
    yield
    for outage in (ratelimit.outage, sessions.outage, cache_outage):
        outage.down = False


@pytest.fixture
def redis_down(settings):
    """The site configured as with REDIS_URL, its Redis not answering."""
    settings.RATE_COUNTER = "cache"
    settings.SESSION_ENGINE = "jembatan.accounts.sessions"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_the_redis_backend_really_fails_without_the_wrapper():
    with pytest.raises(Exception, match="(?i)connect"):
        _redis_down().get_many(["rate:x"])


def test_a_counter_whose_redis_is_down_counts_nothing_and_raises_nothing(caplog):
    counts = ratelimit.CacheCounter(_redis_down())
    before = _fail_open_count()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="jembatan.observability"):
        for _ in range(3):
            counts.add("login", "siapa", window=60)
        assert counts.count("login", "siapa", window=60) == 0
        counts.clear("login", "siapa")
    assert time.monotonic() - started < 5  # refused at once, no hanging retries
    assert _fail_open_count() - before == 5
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # one line per episode, not one per request
    assert "ratelimit unavailable" in warnings[0].getMessage()


def test_the_first_answer_after_an_outage_ends_the_episode(caplog):
    down = ratelimit.CacheCounter(_redis_down())
    up = ratelimit.CacheCounter(LocMemCache("ratelimit-outage-test", {}))
    with caplog.at_level(logging.WARNING, logger="jembatan.observability"):
        down.add("login", "siapa", window=60)
        up.add("login", "siapa", window=60)
        down.add("login", "siapa", window=60)
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(",")[0] for m in messages] == [
        "ratelimit unavailable",
        "ratelimit answers again",
        "ratelimit unavailable",
    ]
    assert up.count("login", "siapa", window=60) == 1


def test_logins_are_not_refused_with_a_server_error_while_redis_is_down(client, settings, db, redis_down):
    settings.LOGIN_THROTTLE_LIMIT = 1
    before = _fail_open_count()
    for _ in range(3):
        response = client.post("/akun/masuk/", {"username": "siapa", "password": "salah-sekali"})
        # The wrong password is refused as usual (200, the form again), never with a 5xx, and the
        # limit of one failure does not apply while nothing can count it.
        assert response.status_code == 200
    assert _fail_open_count() > before


def test_a_citizen_logs_in_uses_the_session_and_logs_out_while_redis_is_down(client, db, redis_down):
    make_user(username="siti")
    before = _fail_open_count("sessions")
    response = client.post(reverse("accounts:login"), {"username": "siti", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200  # the session, read from the database
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302  # logged out: to the login page
    assert _fail_open_count("sessions") > before


def test_the_home_page_computes_its_numbers_while_redis_is_down(client, db, redis_down):
    before = _fail_open_count("cache")
    assert client.get("/").status_code == 200
    assert _fail_open_count("cache") > before
