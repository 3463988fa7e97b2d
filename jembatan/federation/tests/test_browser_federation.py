"""The federation walk-through of issue 16 in a real browser, across two real instances.

Two Jembatan instances on loopback (scripts/federation_instances.py, shared with the federation
stage): the province ("sumbar", Jembatan Sumatera Barat) and the ministry ("pu", Jembatan
Kementerian PU, which hosts Kementerian Pekerjaan Umum). Each is gunicorn + `run_worker` with its
own SQLite database; they are paired with a shared key and know which instance hosts which agency.
Chromium walks as the people would:

- a citizen reports a national road on the Sumbar portal and keeps the number and access code;
- the Sumbar verifier (demo login, password + authenticator) disposes it to Kementerian PU;
- at the ministry it waits in the verification queue with its deadline; the ministry's verifier
  disposes it to its own agency and the liaison answers;
- the citizen reads the answer on the Sumbar tracking page under the original number and rates
  it; the ministry sees the rating;
- a second report is given back by the ministry ("bukan wewenang") and waits again in the Sumbar
  verifier's queue of returned reports.

Each cross-instance step is waited for by reloading the page until it shows (bounded), never by
sleeping blindly. Screenshots of the key pages go to the test's temp directory (printed).
Ports: FED_BROWSER_PORT (default 9040) + 1 and + 2. Runs in the browser stage.
"""

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from jembatan.ops.demo import DEMO_PASSWORD, demo_totp_code
from jembatan.tests.browser import chromium_browser
from scripts.federation_instances import ROOT, Instance, prepare

pytestmark = [pytest.mark.browser]

BASE = int(os.environ.get("FED_BROWSER_PORT", "9040"))
HOSTS = [("kemen-pu", "pu"), ("pemprov-sumbar", "sumbar"), ("pemkot-padang", "sumbar")]
MINISTRY_OFFICERS = [
    ("admin.pu", "Hendra Wijaya", "admin_instansi", "kemen-pu"),
    ("penghubung.pu", "Ratna Sari", "penghubung", "kemen-pu"),
]
DELIVERY_TIMEOUT = 60  # seconds a message between the instances may take (the worker retries each second)
ROAD = "Jalan nasional Padang–Bukittinggi di Lembah Anai amblas sepuluh meter, lalu lintas tersendat."
NOT_OURS = "Jalan di depan Pasar Raya adalah jalan kota,"
CITY_ROAD = "Aspal di depan Pasar Raya Padang retak dan berlubang setelah hujan deras minggu lalu."
NATIONAL, CITY = "Jalan nasional amblas di Lembah Anai", "Jalan amblas di depan Pasar Raya"
MINISTRY = "Kementerian Pekerjaan Umum"
EMAIL = "warga.lembahanai@example.id"
QUEUE = "/kerja/antrean/verifikasi/"
ANSWER = "Tim Balai Besar Pelaksanaan Jalan Nasional Sumbar sudah memasang pengaman dan menimbun badan jalan."


@pytest.fixture(scope="module")
def network():
    """The province and the ministry, up and paired; stopped (kill -9 of both process groups) after.

    Their databases live in a temp directory of their own (pytest's basetemp is pruned by other
    pytest runs of the same user, even mid-run); the screenshots and the servers' logs are kept in
    var/screenshots/federation/."""
    tmp = Path(tempfile.mkdtemp(prefix="jembatan-federation-browser-"))
    shots = ROOT / "var" / "screenshots" / "federation"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    sumbar = Instance("sumbar", "Jembatan Sumatera Barat", BASE + 1, tmp)
    pu = Instance("pu", "Jembatan Kementerian PU", BASE + 2, tmp)
    both = [sumbar, pu]
    try:
        prepare(both)
        sumbar.act(sumbar.setup_step(both, HOSTS))
        pu.act(pu.setup_step(both, HOSTS, MINISTRY_OFFICERS))
        for instance in both:
            instance.stop_actor()
            instance.start()
        for instance in both:
            instance.wait_up()
        yield {"sumbar": sumbar, "pu": pu, "shots": shots}
    finally:
        for instance in both:
            instance.stop()
            for log in instance.dir.glob("*.log"):
                shutil.copy(log, shots / f"{instance.slug}-{log.name}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nfederation walk-through: screenshots and the instances' logs in {shots}")


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


class People:
    """One browser context per person (each keeps their own session), on their own instance."""

    def __init__(self, chromium, network):
        self.chromium, self.network = chromium, network
        self.contexts = []

    def person(self, instance, *, phone=False):
        size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 900}
        context = self.chromium.new_context(viewport=size, locale="id-ID", base_url=instance_url(instance))
        context.set_default_timeout(20_000)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page, name):
        page.screenshot(path=str(self.network["shots"] / f"{name}.png"), full_page=True)

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(chromium, network):
    crowd = People(chromium, network)
    yield crowd
    crowd.close()


def instance_url(instance):
    return f"http://127.0.0.1:{instance.port}"


def officer(people, instance, username, next_url):
    """Log an officer in (password, then the authenticator's code when the role needs one)."""
    page = people.person(instance)
    page.goto(f"/akun/masuk/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if page.locator("input[name=token]").count():
        page.fill("input[name=token]", demo_totp_code())
        page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))
    return page


def wait_for_page(page, url, shows, *, timeout=DELIVERY_TIMEOUT):
    """Reload `url` until `shows` (a locator factory) matches: the other instance's worker delivers."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if shows(page).count():
            return
        if time.monotonic() > deadline:
            seen = page.inner_text("main")[:2000]
            raise AssertionError(f"{url} did not show it within {timeout} s:\n{seen}")
        page.wait_for_timeout(700)


def submit_as_citizen(page, title, text):
    """A guest reports on the Sumbar portal; returns the receipt (tracking number, access code)."""
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill(title)
    page.get_by_label("Isi laporan", exact=True).fill(text)
    page.locator("#id_prov").select_option("13")
    page.locator("#id_kab").select_option("13.71")
    page.locator("#id_kec").select_option("13.71.01")
    page.locator("#id_desa").select_option(index=1)
    page.get_by_label("E-mail", exact=True).fill(EMAIL)
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
    return page.locator("#tracking-number").inner_text(), page.locator("#access-code").inner_text()


def verify_and_dispose(page, number, agency, instruction=""):
    page.goto(f"/kerja/laporan/{number}/")
    page.select_option("#id_verify-classification", "pengaduan_tidak_berkadar_pengawasan")
    page.select_option("#id_verify-agencies", label=agency)
    page.fill("#id_verify-instruction", instruction)
    page.click("button[name=verify-then][value=dispose]")
    expect(page.get_by_text("Laporan diverifikasi dan didisposisikan.")).to_be_visible()


def copy_number(network, number):
    """The ministry's own number for the copy of `number` (its workbench URL)."""
    [[copy]] = network["pu"].query(
        "SELECT tracking_number FROM reports_report WHERE source_instance='sumbar' AND external_id=?", number
    )
    return copy


def test_a_report_crosses_to_the_ministry_and_the_answer_comes_back(people, network):
    sumbar, pu = network["sumbar"], network["pu"]
    citizen = people.person(sumbar, phone=True)
    number, code = submit_as_citizen(citizen, NATIONAL, ROAD)
    people.shot(citizen, "01-citizen-receipt")
    other, _code = submit_as_citizen(citizen, CITY, CITY_ROAD)

    # The Sumbar verifier disposes both to Kementerian PU, hosted on the ministry's instance.
    verifier = officer(people, sumbar, "admin.sumbar", "/kerja/")
    for report in (number, other):
        verify_and_dispose(verifier, report, f"{MINISTRY} — di Jembatan Kementerian PU", "Jalan nasional.")
        expect(verifier.locator("main")).to_contain_text("Jembatan Kementerian PU (instans lain")
    people.shot(verifier, "02-sumbar-disposed")

    # At the ministry both wait in the verification queue, with their deadline; its verifier
    # disposes them to the ministry, whose liaison answers the first and gives the second back.
    ministry = officer(people, pu, "admin.pu", "/kerja/")
    copy, other_copy = ministry_verifies(people, network, ministry, number, other)
    liaison = officer(people, pu, "penghubung.pu", f"/kerja/laporan/{copy}/")
    liaison_answers(liaison)
    liaison.goto(f"/kerja/laporan/{other_copy}/")
    liaison.click("summary:has-text('Kembalikan: bukan wewenang')")
    liaison.fill("textarea[name$=return-reason]", f"{NOT_OURS} bukan jalan nasional.")
    liaison.click("button:has-text('Kembalikan ke verifikator')")
    expect(liaison.get_by_text("Disposisi dikembalikan ke verifikator.")).to_be_visible()

    # Back in Sumbar the citizen, later and on another phone with only the receipt, reads the answer
    # under the original number and rates it.
    citizen = people.person(sumbar, phone=True)
    wait_for_page(citizen, f"/lacak/{number}/", lambda p: p.get_by_text(ANSWER))
    expect(citizen.locator("main")).to_contain_text(number)
    expect(citizen.locator("main")).to_contain_text(MINISTRY)
    people.shot(citizen, "05-citizen-tracking-answer")
    citizen_rates(citizen, code)

    # The ministry sees the rating.
    wait_for_page(liaison, f"/kerja/laporan/{copy}/", lambda p: p.get_by_text("4/5"))
    expect(liaison.locator("main")).to_contain_text("Cepat ditangani, terima kasih.")
    people.shot(liaison, "06-ministry-sees-rating")

    # The ministry's verifier finds the second one returned, and gives it back to Sumbar, where it
    # waits for the Sumbar verifier with the ministry's reason.
    ministry.goto("/kerja/antrean/dikembalikan/")
    ministry.locator("tr", has_text=CITY).get_by_role("link").first.click()
    ministry.click("summary:has-text('Kembalikan ke Jembatan Sumatera Barat (bukan wewenang)')")
    ministry.fill("#return_origin textarea", f"{NOT_OURS} bukan jalan nasional.")
    ministry.click("#return_origin button[type=submit]")
    expect(ministry.get_by_text("Laporan dikembalikan ke instans asal.")).to_be_visible()
    wait_for_page(verifier, "/kerja/antrean/dikembalikan/", lambda p: p.locator("tr", has_text=CITY))
    people.shot(verifier, "07-sumbar-returned-queue")
    verifier.goto(f"/kerja/laporan/{other}/")
    expect(verifier.locator("main")).to_contain_text(NOT_OURS)
    people.shot(verifier, "08-sumbar-returned-report")

    # The citizen's identity never left Sumbar.
    dump = "\n".join(str(row) for row in pu.query("SELECT * FROM reports_report"))
    assert EMAIL not in dump and number in dump


def ministry_verifies(people, network, ministry, *numbers):
    """At the ministry the copies wait in the verification queue, with their deadline; its verifier
    disposes each to the ministry itself. Returns the copies' own numbers."""
    for title in (NATIONAL, CITY):
        wait_for_page(ministry, QUEUE, lambda p, t=title: p.locator("tr", has_text=t))
    people.shot(ministry, "03-ministry-verification-queue")
    row = ministry.locator("tr", has_text=NATIONAL)
    expect(row).to_contain_text("Jembatan Sumatera Barat")  # the reporter: the province, not the citizen
    expect(row).to_contain_text("sisa 3 hari kerja")  # the verification clock started at submission
    copies = [copy_number(network, number) for number in numbers]
    ministry.goto(f"/kerja/laporan/{copies[0]}/")
    expect(ministry.locator("main")).to_contain_text(f"Jembatan Sumatera Barat, nomor asal #{numbers[0]}")
    expect(ministry.locator("main")).to_contain_text("Identitasnya tidak dikirim ke instans ini")
    people.shot(ministry, "04-ministry-report")
    for copy in copies:
        verify_and_dispose(ministry, copy, MINISTRY)
    return copies


def liaison_answers(liaison):
    liaison.click("button:has-text('Mulai tindak lanjut')")
    expect(liaison.locator("li.success")).to_contain_text("Tindak lanjut dimulai")
    liaison.click("summary:has-text('Kirim tindak lanjut')")
    liaison.fill("textarea[name$=followup-text]", ANSWER)
    liaison.click("button:has-text('Kirim tindak lanjut')")
    expect(liaison.get_by_text("Tindak lanjut dikirim ke pelapor.")).to_be_visible()
    assert EMAIL not in liaison.content()  # the identity stayed in Sumbar


def citizen_rates(citizen, code):
    citizen.get_by_text("Anda pelapor laporan ini? Masukkan kode akses").click()
    citizen.get_by_label("Kode akses").fill(code)
    citizen.get_by_role("button", name="Buka sebagai pelapor").click()
    rate = citizen.locator("form.rate")
    rate.get_by_label("4").check()
    rate.get_by_label("Komentar (opsional)").fill("Cepat ditangani, terima kasih.")
    rate.get_by_role("button", name="Kirim penilaian").click()
    expect(citizen.get_by_text("Terima kasih atas penilaian Anda.")).to_be_visible()
