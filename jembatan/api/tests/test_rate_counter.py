"""The API's limits count on the one shared rate counter (accounts/ratelimit.py)."""

import logging

import pytest
from django.core.cache import cache

from jembatan.accounts.models import RateCount

pytestmark = pytest.mark.django_db


def test_api_limits_hold_across_workers(client, w, settings):
    # The API's limits used to live in the per-process cache: each worker counted on its own.
    settings.API_THROTTLE_RATES = {"ip": "2/min"}
    assert client.get("/api/v1/categories/").status_code == 200
    cache.clear()  # another worker: a fresh local cache
    assert client.get("/api/v1/categories/").status_code == 200
    cache.clear()
    assert client.get("/api/v1/categories/").status_code == 429


def test_a_refused_request_writes_nothing_and_logs_no_warning(client, w, settings, caplog):
    settings.API_THROTTLE_RATES = {"ip": "1/min"}
    client.get("/api/v1/categories/")
    before = list(RateCount.objects.values_list("kind", "count"))
    with caplog.at_level(logging.INFO):
        for _i in range(5):
            assert client.get("/api/v1/categories/").status_code == 429
    assert list(RateCount.objects.values_list("kind", "count")) == before
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
