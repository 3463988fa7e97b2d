"""Fixtures of the portal tests: a small government with citizens, and a real Chromium for the
browser tests (Playwright's sync API against pytest-django's live_server)."""

import uuid

import pytest

from jembatan.reports.tests import factories as rf
from jembatan.tests.browser import chromium_browser
from jembatan.tests.shared_world import world_fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The home page caches this month's numbers; each test starts without them.
    from django.core.cache import cache

    cache.clear()


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(rf.build_world)


@pytest.fixture
def token():
    return str(uuid.uuid4())


# Module scope, not session: the workbench's browser tests start their own Playwright, and two
# sync Playwright sessions cannot be alive at once in one thread.
@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh phone-sized tab (360 × 740, like the cheap Android phones most citizens use)."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="id-ID", base_url=live_server.url
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()
