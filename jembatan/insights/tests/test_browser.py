"""The 30-second question in a real browser (Debian's Chromium through Playwright): a governor's
office leader logs in and, on the first screen without scrolling, reads which agencies are late
and what is rising; the map is a map of the province's kabupaten/kota."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.insights import rollups
from jembatan.insights.tests.conftest import build_insights_world
from jembatan.reports import actions
from jembatan.reports.models import Classification
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f
from jembatan.tests.browser import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


def _late(w, agency, n, title):
    for i in range(n):
        report = f.submit(w, title=f"{title} {i}")
        actions.verify_report(
            report=report,
            actor=w.verifier_prov,
            classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        )
        actions.dispose_report(report=report, actor=w.verifier_prov, agencies=[agency])


@pytest.fixture
def province(transactional_db):
    """Sumatera Barat with three agencies late (PUPR 3, Dinkes 2, Dinas PUPR Bukittinggi 1) and a
    burst of Drainase reports in Kota Bukittinggi this week."""
    w = build_insights_world()
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=35), tick=False):
        _late(w, w.pupr, 3, "Jalan berlubang")
        _late(w, w.dinkes, 2, "Puskesmas tutup")
        _late(w, w.bkt_pupr, 1, "Trotoar rusak")
    with time_machine.travel(now - dt.timedelta(days=1), tick=False):
        for i in range(7):
            f.submit(w, region=w.region_bkt_village, category=w.category2, title=f"Selokan meluap {i}")
    run_sla_sweep()
    rollups.refresh()
    return w


def log_in(chromium, live_server, width, height):
    context = chromium.new_context(
        viewport={"width": width, "height": height}, locale="id-ID", base_url=live_server.url
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill("pimpinan.sumbar")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/data/$"))  # a leader lands on the dashboard, not the workbench
    return context, page


def on_first_screen(page, locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"], f"{locator} is below the first screen"


def test_a_leader_reads_what_is_late_and_rising_on_the_first_screen(chromium, live_server, province):
    w = province
    context, page = log_in(chromium, live_server, 1280, 800)
    answer = page.locator("section.answer")
    worst = answer.locator("ol.worst").first
    for agency in (w.pupr, w.dinkes, w.bkt_pupr):
        on_first_screen(page, worst.get_by_role("link", name=agency.short_name or agency.name))
    expect(worst.locator("li").first).to_contain_text(w.pupr.short_name or w.pupr.name)
    on_first_screen(page, answer.get_by_text(re.compile(r"^6$")))  # six dispositions late now
    rising = answer.get_by_role(
        "link", name=re.compile("^Drainase di Kota Bukittinggi naik tajam: 7 laporan")
    )
    on_first_screen(page, rising)
    rising.click()
    page.wait_for_url(re.compile(r"/data/laporan/\?"))
    expect(page.locator("main")).to_contain_text("Selokan meluap 6")

    page.goto("/data/peta/")
    expect(page.locator("svg.map.kabkota")).to_be_visible()
    codes = page.locator("svg.map path[data-kode]").evaluate_all("els => els.map(e => e.dataset.kode)")
    assert len(codes) == 19 and all(code.startswith("13.") for code in codes)
    context.close()


def test_on_a_phone_the_late_count_and_the_worst_agency_come_before_the_filters(
    chromium, live_server, province
):
    context, page = log_in(chromium, live_server, 360, 740)
    answer = page.locator("section.answer")
    on_first_screen(page, answer.locator("p.late-total a"))
    on_first_screen(page, answer.locator("ol.worst li").first)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the overview is {width}px wide on a phone"
    context.close()
