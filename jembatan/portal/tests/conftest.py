"""Fixtures of the portal tests: a small government with citizens, and a real Chromium for the
browser tests (Playwright's sync API against pytest-django's live_server)."""

import os
import uuid

import pytest

from jembatan.reports.tests import factories as rf

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The home page caches this month's numbers; each test starts without them.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def w(db):
    return rf.build_world()


@pytest.fixture
def token():
    return str(uuid.uuid4())


# Module scope, not session: the workbench's browser tests start their own Playwright, and two
# sync Playwright sessions cannot be alive at once in one thread.
@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM
    # calls while one runs. Only this thread's plain set-up code and the live server's own thread
    # touch the database, so the guard may be relaxed while the browser is open (as
    # scripts/test-browser.sh does for the whole stage).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


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
