"""The portal in a real browser (Debian's Chromium through Playwright), at a 360 px wide phone
viewport: submit as a guest, submit logged in with a photo, track / rate / reply, and the same
submit with JavaScript switched off."""

import re

import pytest
from playwright.sync_api import expect

from jembatan.accounts.tests.factories import PASSWORD
from jembatan.portal.tests.helpers import png_bytes
from jembatan.reports.models import Attachment, Event, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESCRIPTION = "Jalan di depan SDN 12 berlubang besar sejak dua minggu dan membahayakan pengendara motor."


@pytest.fixture
def bw(transactional_db):
    return rf.build_world()


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def test_guest_submits_a_report_on_a_phone(browser_page, bw):
    page = browser_page
    page.goto("/")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Sampaikan Laporan").click()
    expect(page.get_by_role("heading", name="Sampaikan laporan")).to_be_visible()
    no_horizontal_scroll(page)
    page.get_by_label("Judul laporan", exact=True).fill("Jalan berlubang di depan SDN 12")
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    expect(page.locator("#id_description_counter")).to_contain_text("karakter")
    # The region picker's search, as the script offers it: type, then choose a match.
    page.get_by_label("Cari wilayah menurut nama").fill("kelurahan con")
    page.get_by_role("button", name=re.compile("^Kel. Kelurahan Contoh, ")).click()
    expect(page.locator("#id_desa")).to_have_value("13.71.01.1001")
    expect(page.locator("#id_prov")).to_have_value("13")
    page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
    report = Report.objects.get()
    expect(page.locator("#tracking-number")).to_have_text(report.tracking_number)
    expect(page.locator("#access-code")).to_have_text(re.compile(r"^[A-Z0-9]{10}$"))
    assert report.check_access_code(page.locator("#access-code").inner_text())  # only its hash is stored
    expect(page.get_by_text("diverifikasi oleh admin dalam 3 hari kerja")).to_be_visible()
    no_horizontal_scroll(page)
    assert report.region_id == "13.71.01.1001" and report.reporter_email == "tamu@example.id"


def test_logged_in_citizen_submits_with_a_photo(browser_page, bw, tmp_path):
    page = browser_page
    page.goto("/akun/masuk/?next=/lapor/")
    page.locator("#id_username").fill("warga")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/lapor/$"))
    expect(page.get_by_text("Anda melapor sebagai Siti Rahmawati")).to_be_visible()
    page.get_by_label("Aspirasi").check()
    page.get_by_label("Judul laporan", exact=True).fill("Usul halte bus di depan pasar")
    page.get_by_label("Isi laporan", exact=True).fill(
        "Mohon dibangun halte bus di depan pasar agar warga tidak menunggu di bawah hujan."
    )
    # The selects, one level after another: each is filled from the one above by the script.
    page.locator("#id_prov").select_option("13")
    page.locator("#id_kab").select_option("13.71")
    page.locator("#id_kec").select_option("13.71.01")
    page.locator("#id_desa").select_option("13.71.01.1001")
    photo = tmp_path / "pasar.png"
    photo.write_bytes(png_bytes((120, 90)))
    page.get_by_label("Lampiran (opsional)").set_input_files(str(photo))
    page.get_by_label("Rahasia: sembunyikan isi laporan dari publik").check()
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
    report = Report.objects.get()
    assert report.reporter == bw.citizen and report.kind == "aspirasi" and report.is_confidential
    assert Attachment.objects.get(report=report).original_name == "pasar.png"
    # Confidential: the code is shown once (the table keeps only its hash).
    assert report.check_access_code(page.locator("#access-code").inner_text())
    page.get_by_role("link", name="Lihat perkembangan laporan").click()
    expect(page.get_by_role("link", name="pasar.png")).to_be_visible()
    page.goto("/saya/")
    expect(page.get_by_role("link", name="Usul halte bus di depan pasar")).to_be_visible()


def test_guest_tracks_rates_and_replies(browser_page, bw):
    report = rf.answered(bw, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    page = browser_page
    page.goto("/")
    page.get_by_placeholder(re.compile("Nomor pelacakan")).fill(report.tracking_number)
    page.locator("main").get_by_role("button", name="Lacak").click()
    page.wait_for_url(re.compile(rf"/lacak/{report.tracking_number}/$"))
    expect(page.get_by_text("Selesai Ditindaklanjuti").first).to_be_visible()
    expect(page.get_by_text("Lubang sudah ditambal")).to_be_visible()
    no_horizontal_scroll(page)

    page.get_by_text("Anda pelapor laporan ini? Masukkan kode akses").click()
    page.get_by_label("Kode akses").fill(report.access_code)
    page.get_by_role("button", name="Buka sebagai pelapor").click()

    rate = page.locator("form.rate")
    rate.get_by_label("4").check()
    rate.get_by_label("Komentar (opsional)").fill("Cepat, terima kasih.")
    rate.get_by_role("button", name="Kirim penilaian").click()
    expect(page.get_by_text("Terima kasih atas penilaian Anda.")).to_be_visible()
    expect(page.get_by_text("Pelapor memberi nilai 4 dari 5")).to_be_visible()

    page.get_by_label("Balasan Anda").fill("Tambalannya sudah retak lagi di sisi kiri.")
    page.get_by_role("button", name="Kirim tanggapan").click()
    expect(page.get_by_text("Tanggapan Anda sudah terkirim.")).to_be_visible()
    expect(page.get_by_text("Tambalannya sudah retak lagi di sisi kiri.")).to_be_visible()
    report.refresh_from_db()
    assert report.rating == 4 and report.status == Status.DIPROSES
    assert Event.objects.filter(report=report, action="reporter_replied").count() == 1


def test_error_on_submit_keeps_the_form_and_points_at_the_field(browser_page, bw):
    page = browser_page
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill("Aduh")
    page.get_by_label("Isi laporan", exact=True).fill(DESCRIPTION)
    page.locator("#id_prov").select_option("13")
    page.get_by_label("Nomor ponsel").fill("0812 3456 7890")
    page.get_by_role("button", name="Kirim laporan").click()
    expect(page.locator("#id_title_error")).to_have_text("Judul terlalu pendek: paling sedikit 5 karakter.")
    expect(page.get_by_label("Judul laporan", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Isi laporan", exact=True)).to_have_value(DESCRIPTION)
    assert not Report.objects.exists()


def test_submit_works_without_javascript(chromium, live_server, bw):
    context = chromium.new_context(
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        locale="id-ID",
        base_url=live_server.url,
    )
    page = context.new_page()
    try:
        page.goto("/lapor/")
        page.get_by_label("Judul laporan", exact=True).fill("Sampah menumpuk di pasar")
        page.get_by_label("Isi laporan", exact=True).fill(
            "Sampah di Pasar Raya tidak diangkut sudah seminggu dan berbau busuk."
        )
        page.get_by_label("Cari wilayah menurut nama").fill("kota padang")
        page.get_by_role("button", name="Cari", exact=True).click()
        page.get_by_label("Kota Padang, Sumatera Barat").check()
        page.get_by_role("button", name="Pakai wilayah ini").click()
        expect(page.locator("#id_kab")).to_have_value("13.71")
        expect(page.get_by_label("Judul laporan", exact=True)).to_have_value("Sampah menumpuk di pasar")
        page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
        page.get_by_role("button", name="Kirim laporan").click()
        page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
        assert Report.objects.get().region_id == "13.71"
    finally:
        context.close()


SIMILAR = (
    "Jalan di depan SDN 12 Padang berlubang besar sejak dua minggu, berbahaya sekali untuk pengendara motor."
)


def test_similar_public_report_is_shown_while_typing_and_the_report_still_goes_through(browser_page, bw):
    existing = rf.disposed(bw)
    page = browser_page
    page.goto("/lapor/")
    page.get_by_label("Judul laporan", exact=True).fill("Lubang besar di depan SDN 12")
    page.get_by_label("Isi laporan", exact=True).fill(SIMILAR)
    page.locator("#id_prov").select_option("13")
    page.locator("#id_kab").select_option("13.71")
    box = page.locator("#similar-box")
    expect(box.get_by_role("heading", name="Laporan serupa sudah ada: dukung saja?")).to_be_visible()
    expect(box.get_by_role("link", name="Jalan berlubang di depan SDN 12")).to_have_attribute(
        "href", f"/laporan/{existing.tracking_number}/"
    )
    expect(box.get_by_role("link", name="Lihat dan dukung")).to_be_visible()
    expect(page.locator("#id_tetap_kirim")).to_have_value("1")
    no_horizontal_scroll(page)
    # The citizen decides theirs is different: the server does not stop them a second time.
    page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
    assert Report.objects.exclude(pk=existing.pk).get().description == SIMILAR


def test_similar_public_report_is_shown_before_saving_without_javascript(chromium, live_server, bw):
    existing = rf.disposed(bw)
    context = chromium.new_context(
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        locale="id-ID",
        base_url=live_server.url,
    )
    page = context.new_page()
    try:
        page.goto("/lapor/")
        page.get_by_label("Judul laporan", exact=True).fill("Lubang besar di depan SDN 12")
        page.get_by_label("Isi laporan", exact=True).fill(SIMILAR)
        page.locator("#id_prov").select_option("13")
        page.get_by_label("E-mail", exact=True).fill("tamu@example.id")
        page.get_by_role("button", name="Kirim laporan").click()
        notice = page.locator("#serupa")
        expect(notice.get_by_role("heading", name="Laporan serupa sudah ada: dukung saja?")).to_be_visible()
        expect(notice.get_by_role("button", name="Dukung laporan ini")).to_be_visible()
        no_horizontal_scroll(page)
        assert Report.objects.count() == 1
        expect(page.get_by_label("Isi laporan", exact=True)).to_have_value(SIMILAR)
        notice.get_by_role("button", name="Tetap kirim laporan saya").click()
        page.wait_for_url(re.compile(r"/lapor/terkirim/\d+/$"))
        assert Report.objects.exclude(pk=existing.pk).get().region_id == "13"
    finally:
        context.close()


def test_keyboard_focus_is_visible_from_the_first_tab(browser_page, bw):
    page = browser_page
    page.goto("/lapor/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    expect(page.get_by_role("link", name="Lompat ke isi")).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    for _i in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
