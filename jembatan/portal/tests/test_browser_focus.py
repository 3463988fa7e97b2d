"""Where the keyboard starts after a citizen form comes back with errors (static/js/focus.js): on the
error summary, whose entries lead into their fields; the region error leads to the region picker."""

import re

import pytest
from playwright.sync_api import expect

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.reports.models import Report
from jembatan.reports.tests import factories as rf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def bw(transactional_db):
    return rf.build_world()


def focused_id(page):
    return page.evaluate("document.activeElement.id")


def test_after_a_submit_error_focus_is_on_the_summary_and_the_region_error_leads_to_the_picker(
    browser_page, bw
):
    page = browser_page
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill("Aduh")
    page.get_by_role("button", name="Kirim laporan").click()
    summary = page.locator("#errors")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    region = summary.get_by_role("link", name="Pilih wilayah kejadian, paling tidak provinsinya.")
    expect(region).to_have_attribute("href", "#id_prov")
    region.click()
    expect(page.locator("#id_prov")).to_be_focused()
    expect(page.locator("#id_prov")).to_have_attribute("aria-invalid", "true")
    # The other entries lead into their fields too.
    summary.get_by_role("link", name=re.compile("^Judul terlalu pendek")).click()
    expect(page.get_by_label("Judul laporan", exact=True)).to_be_focused()
    assert not Report.objects.exists()


def test_after_a_rating_error_on_the_track_page_focus_is_on_its_summary(browser_page, bw):
    report = rf.answered(bw)
    page = browser_page
    page.goto(f"/akun/masuk/?next=/lacak/{report.tracking_number}/")
    page.locator("#id_username").fill(bw.citizen.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(rf"/lacak/{report.tracking_number}/$"))
    expect(page.locator("body")).to_be_focused()  # nothing went wrong: focus is left alone
    page.locator("form.rate").get_by_role("button", name="Kirim penilaian").click()
    summary = page.locator("form.rate .error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    assert focused_id(page).startswith("id_rating")


def test_after_a_failed_login_focus_is_on_the_explanation(browser_page, bw):
    page = browser_page
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(bw.citizen.username)
    page.locator("#id_password").fill("bukan-sandinya")
    page.locator("main").get_by_role("button", name="Masuk").click()
    expect(page.locator("main [role=alert]")).to_be_focused()
