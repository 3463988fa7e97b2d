"""Shared pytest fixtures. App-specific builders live in each app's tests/factories.py."""

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_rate_refusals():
    # The rate counter remembers refusals in the process (accounts/ratelimit.py); each test starts
    # with an empty database, so with an empty memory too.
    from jembatan.accounts import ratelimit

    ratelimit.forget_refusals()
    yield
    ratelimit.forget_refusals()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Each test starts with an empty database, so with an empty cache too: a value kept by an
    # earlier test (the workbench menu's counts, keyed by ids a rolled-back test may reuse) must
    # not answer for this one.
    from django.core.cache import cache

    cache.clear()
