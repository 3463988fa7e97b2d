"""Fixtures for the workbench tests: the small world, and a Chromium for the browser flow.

Browser fixtures live here, not in a shared conftest: pytest only shares fixtures down a directory,
and the portal's tests have their own.
"""

import pytest
from django.core.cache import cache

from jembatan.reports.tests import factories as f
from jembatan.tests.browser import chromium_browser
from jembatan.tests.shared_world import world_fixture


@pytest.fixture(autouse=True)
def _empty_cache():
    # The performance strip is cached per officer; user ids repeat from one test to the next.
    cache.clear()
    yield
    cache.clear()


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(f.build_world)


@pytest.fixture
def as_user(client):
    """Log the test client in as `user` (or out, with None) and return it."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


# Module scope, not session: two sync Playwright sessions cannot be alive at once in one thread, and
# the browser tests of other apps (portal, insights, federation) start their own.
@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
