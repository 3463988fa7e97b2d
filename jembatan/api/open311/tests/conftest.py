import pytest

from jembatan.reports.tests import factories as rf
from jembatan.tests.shared_world import world_fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(rf.build_world)
