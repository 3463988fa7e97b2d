import pytest

from jembatan.reports.tests import factories as rf


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def w(db):
    return rf.build_world()
