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
