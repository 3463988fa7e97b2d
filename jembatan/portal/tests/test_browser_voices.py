"""The two-citizen pothole walk-through in a real browser (issue 17): citizen 2 is shown citizen 1's
report while writing, sends their own anyway, the verifier merges it, the liaison answers and the
verifier closes; citizen 2 hears both through the outbox and reads the outcome on their own page.
Runs in the browser stage (scripts/test-browser.sh)."""

import re

import pytest
from playwright.sync_api import expect

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.directory.tests.factories import make_category
from jembatan.notify.models import Notification
from jembatan.reports.models import Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANSWER = "Lubang di depan Pasar Kuranji sudah ditambal tim pemeliharaan jalan pada Senin pagi."
SECOND_TEXT = "aspal rusak parah dekat pasar kuranji, lubangnya dalam dan sering bikin motor jatuh malam hari"


@pytest.fixture
def bw(transactional_db):
    w = rf.build_world()
    w.pothole = make_category("Jalan berlubang", parent=w.category)
    return w


def log_in(page, username, next_url="/kerja/"):
    page.goto(f"/akun/masuk/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def log_out(page):
    page.click("header form button:has-text('Keluar')")
    page.wait_for_load_state()


def test_two_citizens_one_pothole_everyone_hears_the_outcome(browser_page, bw):
    page = browser_page
    first = rf.in_progress(
        bw,
        title="Jalan berlubang di depan Pasar Kuranji",
        category=bw.pothole,
        latitude="-0.887000",
        longitude="100.383000",
    )

    # Citizen 2, a guest, writes in their own words; with a place and a category the form shows
    # the open report nearby, on the map and in the list.
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill("Aspal rusak dekat pasar")
    page.get_by_label("Isi laporan", exact=True).fill(SECOND_TEXT)
    page.get_by_label("Cari wilayah menurut nama").fill("kelurahan con")
    page.get_by_role("button", name=re.compile("^Kel. Kelurahan Contoh, ")).click()
    expect(page.locator("#id_desa")).to_have_value("13.71.01.1001")
    page.select_option("#id_category", str(bw.pothole.pk))
    page.get_by_label("E-mail", exact=True).fill("warga.kedua@example.id")
    page.get_by_role("button", name="Lihat laporan di sekitar").click()
    nearby = page.locator("#sekitar")
    expect(nearby.get_by_role("link", name=first.title)).to_be_visible()
    expect(nearby.locator("svg.map.place g.point")).to_have_count(1)
    expect(nearby.get_by_role("button", name="Ini masalah yang sama: dukung dan ikuti")).to_be_visible()
    # What was typed survived the step.
    expect(page.get_by_label("Isi laporan", exact=True)).to_have_value(SECOND_TEXT)

    # They send their own report anyway ("Kirim laporan baru").
    nearby.get_by_role("button", name="Kirim laporan baru").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
    second = Report.objects.exclude(pk=first.pk).get()

    # The verifier merges the second report into the first.
    log_in(page, bw.verifier.username, next_url=f"/kerja/laporan/{second.tracking_number}/")
    page.click("summary:has-text('Tandai duplikat')")
    page.fill("input[name=duplicate-original]", first.tracking_number)
    page.click("form button:has-text('Tandai duplikat')")
    page.wait_for_selector("text=ditandai sebagai duplikat; dapat dibatalkan")
    log_out(page)

    # The liaison answers the original.
    log_in(page, bw.liaison_pupr.username, next_url=f"/kerja/laporan/{first.tracking_number}/")
    page.click("summary:has-text('Kirim tindak lanjut')")
    page.fill("textarea[name$=followup-text]", ANSWER)
    page.click("button:has-text('Kirim tindak lanjut')")
    page.wait_for_selector("text=Tindak lanjut dikirim ke pelapor.")
    log_out(page)

    # The verifier closes the original.
    log_in(page, bw.verifier.username, next_url=f"/kerja/laporan/{first.tracking_number}/")
    page.click("summary:has-text('Tutup sebagai admin')")
    page.fill("#close textarea", "Perbaikan sudah selesai dan diperiksa di lapangan.")
    page.click("#close button:has-text('Tutup laporan')")
    page.wait_for_load_state()
    log_out(page)
    first.refresh_from_db()
    assert first.status == Status.DITUTUP_ADMIN

    # Citizen 2 heard the follow-up and the closing, once each, about their own report number.
    to_second = Notification.objects.filter(recipient="warga.kedua@example.id")
    [follow_up] = to_second.filter(template="voice_follow_up")
    [closing] = to_second.filter(template="voice_closed")
    assert second.tracking_number in follow_up.subject and ANSWER in follow_up.body
    assert second.tracking_number in closing.subject

    # Their own page shows the problem's live status and the original's public timeline.
    # (A guest's non-confidential report opens by its number; the access code is only for acting.)
    page.goto(f"/lacak/{second.tracking_number}/")
    expect(page.locator("#masalah")).to_contain_text("Ditutup oleh Admin")
    expect(page.locator("#masalah")).to_contain_text(ANSWER)
