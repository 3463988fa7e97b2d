"""The whole trip in a real browser: the verifier disposes, the liaison answers, the citizen reads
the answer on the portal's track page. Runs in the browser stage (scripts/test-browser.sh)."""

import re

import pytest

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.reports.models import Report, Status, Visibility
from jembatan.reports.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER = "Lubang sudah ditambal tim pemeliharaan jalan pada Senin pagi; terima kasih atas laporannya."


def log_in(page, base, username, next_url="/kerja/"):
    page.goto(f"{base}/akun/masuk/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")


def log_out(page):
    page.click("header form button:has-text('Keluar')")
    page.wait_for_load_state()


def test_verifier_disposes_liaison_answers_citizen_sees_the_answer(live_server, page):
    w = f.build_world()
    report = f.submit(w, title="Jalan berlubang di depan SDN 12 Padang")
    base = live_server.url

    # The verifier opens the report from the verification queue with the keyboard (j, Enter) and
    # verifies and disposes it in one go.
    log_in(page, base, w.verifier.username)
    page.click("a:has-text('Verifikasi')")
    page.wait_for_url(re.compile(r".*/kerja/antrean/verifikasi/$"))
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/kerja/laporan/{report.tracking_number}/\?dari=.*"))
    page.select_option("#id_verify-classification", "pengaduan_tidak_berkadar_pengawasan")
    page.select_option("#id_verify-agencies", str(w.pupr.pk))
    page.fill("#id_verify-instruction", "Mohon ditinjau dan ditambal minggu ini.")
    page.click("button[name=verify-then][value=dispose]")
    page.wait_for_selector("text=Laporan diverifikasi dan didisposisikan.")
    log_out(page)

    # The liaison finds it in the agency's inbox, starts, and answers.
    log_in(page, base, w.liaison_pupr.username)
    page.click("a:has-text('Kotak masuk instansi')")
    page.click(f"a:has-text('#{report.tracking_number}')")
    page.click("button:has-text('Mulai tindak lanjut')")
    page.wait_for_selector("text=Tindak lanjut dimulai")
    page.click("summary:has-text('Kirim tindak lanjut')")
    page.fill("textarea[name$=followup-text]", ANSWER)
    page.click("button:has-text('Kirim tindak lanjut')")
    page.wait_for_selector("text=Tindak lanjut dikirim ke pelapor.")
    assert "Siti Rahmawati" in page.content()  # a named reporter: the liaison may see who it is

    # The citizen logs in and reads the answer on the portal's track page.
    log_out(page)
    log_in(page, base, w.citizen.username, next_url=f"/lacak/{report.tracking_number}/")
    assert ANSWER in page.content()
    assert "Dinas PUPR Kota Padang" in page.content()
    report = Report.objects.get(pk=report.pk)
    assert report.status == Status.SELESAI
    # What the portal shows is the public timeline: never the internal disposition note.
    public = report.events.filter(visibility=Visibility.PUBLIC)
    assert public.filter(action="follow_up_posted", text=ANSWER).exists()
    assert "Mohon ditinjau dan ditambal minggu ini." not in page.content()
