"""Accessibility: axe-core over every page of the citizen and staff flows, at a 360 px phone and a
1280 px desk, with no serious or critical violation. Runs in the browser stage
(scripts/test-browser.sh).

axe-core is vendored for the tests only (jembatan/tests/vendor/axe-core/, MPL-2.0): Playwright
injects it into each page after it loaded; the app never serves it, so the strict CSP (script-src
'self') of the pages does not apply to the injected script.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.reports.tests import factories as rf
from jembatan.tests.browser import chromium_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = ((360, 740), (1280, 800))
BLOCKING = {"serious", "critical"}
DASHBOARDS = ("/data/peta/", "/data/kinerja/", "/data/tren/", "/data/laporan/", "/data/laporan-bulanan/")


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def world(transactional_db):
    cache.clear()
    return rf.build_world()


def axe_source():
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text(encoding="utf-8") + "\n;true"
    return _AXE_SOURCE


_AXE_SOURCE = None


class Audit:
    """Runs axe on the pages a test visits and keeps the serious and critical violations."""

    def __init__(self, page, width):
        self.page, self.width, self.found = page, width, []

    def check(self, name):
        page = self.page
        page.wait_for_load_state("load")
        # Folded parts (the workbench's action forms, the access-code form) are checked open too.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Through the DevTools protocol, not a <script> tag: the page's CSP (script-src 'self')
            # stays as strict as in production and still governs everything the page itself runs.
            page.evaluate(axe_source())
        result = page.evaluate(
            "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})); }"
        )
        for violation in result:
            if violation["impact"] in BLOCKING:
                self.found.append({"page": name, "width": self.width, "url": page.url, **violation})


def audits(chromium, live_server):
    for width, height in WIDTHS:
        context = chromium.new_context(
            viewport={"width": width, "height": height}, locale="id-ID", base_url=live_server.url
        )
        context.set_default_timeout(15000)
        try:
            yield Audit(context.new_page(), width)
        finally:
            context.close()


def visit(page, path):
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"


def log_in(page, username, next_url):
    visit(page, f"/akun/masuk/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def test_citizen_pages_have_no_serious_accessibility_violation(chromium, live_server, world):
    w = world
    public = rf.answered(w, title="Jalan berlubang di depan SDN 12")
    waiting = rf.disposed(w, actor=None, reporter_email="tamu@example.id", title="Lampu jalan mati")
    found = []
    for audit in audits(chromium, live_server):
        page = audit.page
        visit(page, "/")
        audit.check("home")
        visit(page, "/lapor/")
        audit.check("submit")
        page.get_by_label("Judul laporan", exact=True).fill("Aduh")
        page.get_by_role("button", name="Kirim laporan").click()
        expect(page.locator("#id_title_error")).to_be_visible()
        audit.check("submit with errors")
        page.get_by_label("Judul laporan", exact=True).fill("Sampah menumpuk di pasar")
        page.get_by_label("Isi laporan", exact=True).fill(
            "Sampah di Pasar Raya tidak diangkut sudah seminggu dan berbau busuk sekali."
        )
        page.locator("#id_prov").select_option("13")
        page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
        page.get_by_role("button", name="Kirim laporan").click()
        page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
        audit.check("receipt")
        visit(page, "/lacak/")
        audit.check("track lookup")
        visit(page, f"/lacak/{waiting.tracking_number}/")
        audit.check("track (public view)")
        page.get_by_text("Anda pelapor laporan ini? Masukkan kode akses").click()
        audit.check("track: access code form open")
        page.get_by_label("Kode akses").fill(waiting.access_code)
        page.get_by_role("button", name="Buka sebagai pelapor").click()
        expect(page.get_by_text("Lampu jalan mati").first).to_be_visible()
        audit.check("track (reporter, with access code)")
        visit(page, "/laporan/")
        audit.check("public list")
        visit(page, f"/laporan/{public.tracking_number}/")
        audit.check("public report")
        visit(page, "/data/statistik/")
        audit.check("public statistics")
        visit(page, "/data/terbuka/")
        audit.check("open data")
        visit(page, "/akun/masuk/")
        audit.check("login")
        visit(page, "/akun/daftar/")
        audit.check("register")
        log_in(page, w.citizen.username, "/saya/")
        audit.check("my reports")
        visit(page, f"/lacak/{public.tracking_number}/")
        audit.check("track (reporter, answered: rate, close, reply)")
        visit(page, "/akun/profil/")
        audit.check("profile")
        found += audit.found
    assert not found, "serious/critical axe violations:\n" + json.dumps(found, indent=1, ensure_ascii=False)


def test_staff_pages_have_no_serious_accessibility_violation(chromium, live_server, world):
    w = world
    fresh = rf.submit(w, title="Jalan berlubang di depan SDN 12 Padang")
    rf.submit(w, title="Lubang besar di jalan depan SDN 12 Padang", actor=w.other_citizen)
    newer = rf.submit(w, title="Jalan rusak berlubang depan SDN 12", actor=w.other_citizen)
    at_agency = rf.in_progress(w, title="Lampu jalan mati di Jalan Veteran")
    found = []
    for audit in audits(chromium, live_server):
        page = audit.page
        log_in(page, w.verifier.username, "/kerja/")
        audit.check("workbench home")
        visit(page, "/kerja/antrean/verifikasi/")
        audit.check("verification queue")
        visit(page, f"/kerja/laporan/{fresh.tracking_number}/?dari=/kerja/antrean/verifikasi/")
        audit.check("workbench report (verifier)")
        visit(page, f"/kerja/laporan/{newer.tracking_number}/gabungkan/{fresh.tracking_number}/")
        audit.check("merge confirm")
        visit(page, "/kerja/laporan/baru/")
        audit.check("enter a report")
        visit(page, "/kerja/cari/?q=jalan")
        audit.check("find")
        visit(page, "/kerja/templat/")
        audit.check("answer templates")
        page.context.clear_cookies()
        log_in(page, w.liaison_pupr.username, "/kerja/")
        audit.check("workbench home (liaison)")
        visit(page, f"/kerja/laporan/{at_agency.tracking_number}/")
        audit.check("workbench report (liaison)")
        page.context.clear_cookies()
        log_in(page, w.auditor.username, "/data/")
        audit.check("dashboard overview")
        for path in DASHBOARDS:
            visit(page, path)
            audit.check(f"dashboard {path}")
        found += audit.found
    assert not found, "serious/critical axe violations:\n" + json.dumps(found, indent=1, ensure_ascii=False)
