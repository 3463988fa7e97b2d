"""Debian's Chromium under Playwright, one way for every browser test (fixtures in the apps' tests)."""

import os
from contextlib import contextmanager

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@contextmanager
def chromium_browser():
    """A launched Chromium, closed on exit.

    Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM
    calls while one runs. Only the test's plain set-up code and the live server's own thread touch
    the database, so the guard is relaxed while the browser is open (as scripts/test-browser.sh
    does for the whole stage) and put back afterwards. Use it from a module-scoped fixture: two sync
    Playwright sessions cannot be alive at once in one thread.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
