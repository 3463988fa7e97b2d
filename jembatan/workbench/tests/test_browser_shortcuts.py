"""The report page's keyboard shortcuts in a real browser (static/js/workbench.js): listed on the
page; a to the actions, n to the next report of the queue, u back to the queue, r to the history;
never while the officer types in a field."""

import re

import pytest
from playwright.sync_api import expect

from jembatan.reports.tests import factories as f
from jembatan.workbench.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/kerja/antrean/verifikasi/"


def test_report_page_shortcuts_jump_to_actions_and_through_the_queue_but_not_while_typing(live_server, page):
    w = f.build_world()
    older = f.submit(w, title="Jalan berlubang di depan SDN 12")
    newer = f.submit(w, title="Sampah menumpuk di Pasar Raya", actor=w.other_citizen)
    base = live_server.url
    log_in(page, base, w.verifier.username)
    page.goto(f"{base}{QUEUE}")
    first = page.locator("[data-row-link]").first
    first_number = first.inner_text().lstrip("#")
    first.click()
    page.wait_for_url(re.compile(rf"/kerja/laporan/{first_number}/\?dari="))
    second_number = ({older.tracking_number, newer.tracking_number} - {first_number}).pop()

    shortcuts = page.locator("#pintasan")
    expect(shortcuts).to_contain_text("Pintasan papan ketik:")
    for key in ("a", "n", "u", "r"):
        expect(shortcuts.locator("kbd", has_text=re.compile(f"^{key}$"))).to_be_visible()

    # a: to the actions (their first control, the verify form's summary).
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.closest('#tindakan') !== null")
    expect(page.locator("#tindakan summary").first).to_be_focused()

    # r: to the history.
    page.keyboard.press("r")
    expect(page.locator("#timeline-title")).to_be_focused()

    # Typing n, u, a, r into a note is text, not a shortcut.
    page.locator("#note summary").click()
    note = page.locator("#id_note-text")
    note.click()
    page.keyboard.type("nuar")
    expect(note).to_have_value("nuar")
    assert f"/kerja/laporan/{first_number}/" in page.url

    # n: the next report of the same queue, which still knows where it came from.
    page.locator("#timeline-title").focus()
    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/kerja/laporan/{second_number}/\?dari="))
    expect(page.get_by_role("navigation", name="Posisi di antrean")).to_contain_text("Tidak ada laporan lain")

    # u: back to the queue.
    page.keyboard.press("u")
    page.wait_for_url(re.compile(re.escape(QUEUE) + "$"))
