"""Public reports: the list with search and filters, each report's page, redaction, anonymity,
"Dukung", confidential reports that do not exist for the public, home and My reports."""

import datetime as dt

import pytest
from django.test import Client

from jembatan.accounts.tests.factories import make_user
from jembatan.directory.tests.factories import make_category, make_region
from jembatan.reports import actions
from jembatan.reports.models import Report, Support
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def public_report(w, **overrides):
    return rf.disposed(w, **overrides)


def test_list_shows_public_reports_only(client, w):
    shown = public_report(w, title="Jalan berlubang di Jalan Veteran")
    rf.disposed(w, title="Pungli di kantor kelurahan", is_confidential=True)
    rf.submit(w, title="Belum diverifikasi sama sekali")
    archived = rf.submit(w, title="Laporan yang diarsipkan admin")
    actions.archive_report(report=archived, actor=w.verifier, reason=w.reason_unclear)
    html = client.get("/laporan/").content.decode()
    assert shown.title in html
    assert "Pungli" not in html and "Belum diverifikasi" not in html and "diarsipkan admin" not in html
    assert "1 laporan" in html


def test_list_is_paginated(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    for i in range(23):
        public_report(w, title=f"Laporan nomor {i:02d} tentang jalan")
        time_machine.shift(dt.timedelta(minutes=1))
    first = client.get("/laporan/").content.decode()
    assert "Laporan nomor 22" in first and "Laporan nomor 02" not in first
    assert "Halaman 1 dari 2" in first and "halaman=2" in first
    second = client.get("/laporan/", {"halaman": 2}).content.decode()
    assert "Laporan nomor 02" in second and "Laporan nomor 22" not in second


def test_a_list_longer_than_the_cap_says_more_than_and_pages_without_a_total(
    client, w, monkeypatch, settings
):
    from jembatan.portal.views import CappedPaginator

    settings.PUBLIC_CACHE_SECONDS = 0  # the cap changes below without a change of the data
    monkeypatch.setattr(CappedPaginator, "cap", 2)
    for i in range(3):
        public_report(w, title=f"Laporan hitungan {i}")
    html = client.get("/laporan/").content.decode()
    assert "Lebih dari 2 laporan" in html and "3 laporan" not in html
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    assert "3 laporan" in client.get("/laporan/").content.decode()


def test_search_finds_words_by_their_root(client, w):
    public_report(
        w, title="Jalan berlubang di depan pasar", description="Lubangnya membahayakan pengendara motor."
    )
    public_report(
        w, title="Lampu jalan mati sejak seminggu", description="Penerangan jalan umum padam total."
    )
    html = client.get("/laporan/", {"q": "lubang bahaya"}).content.decode()
    assert "Jalan berlubang" in html and "Lampu jalan" not in html
    html = client.get("/laporan/", {"q": "lampu yang mati"}).content.decode()
    assert "Lampu jalan mati" in html and "Jalan berlubang" not in html


def test_search_never_finds_a_confidential_report(client, w):
    rf.disposed(w, title="Pungutan liar pembuatan KTP", is_confidential=True)
    html = client.get("/laporan/", {"q": "pungutan"}).content.decode()
    assert "Pungutan" not in html and "0 laporan" in html


def test_filters_by_category_region_agency_status_and_date(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    roads = make_category("Jalan", parent=w.category)
    health = make_category("Puskesmas", parent=make_category("Kesehatan"))
    other_city = make_region("13.72.01.2001", "Desa Lain")
    road = public_report(w, title="Jalan rusak di Padang", category=roads)
    time_machine.move_to("2026-03-10 09:00 +07:00", tick=False)
    clinic = rf.submit(w, title="Antrian puskesmas lama", category=health, region=other_city)
    clinic = actions.verify_report(
        report=clinic, actor=w.admin_nasional, classification="pengaduan_tidak_berkadar_pengawasan"
    )
    clinic = actions.dispose_report(report=clinic, actor=w.admin_nasional, agencies=[w.dinkes])
    actions.start_follow_up(disposition=clinic.dispositions.get(), actor=w.liaison_dinkes)

    def titles(**params):
        html = client.get("/laporan/", params).content.decode()
        return {t for t in (road.title, clinic.title) if t in html}

    assert titles() == {road.title, clinic.title}
    assert titles(kategori=roads.pk) == {road.title}
    assert titles(kategori=w.category.pk) == {road.title}  # a group finds its categories
    assert titles(wilayah="13.71") == {road.title}
    assert titles(wilayah="13") == {road.title, clinic.title}
    assert titles(instansi=w.dinkes.pk) == {clinic.title}
    assert titles(instansi=w.padang.pk) == {road.title, clinic.title}  # an agency's subtree
    assert titles(status="diproses") == {clinic.title}
    assert titles(status="terdisposisi") == {road.title}
    assert titles(dari="2026-03-05") == {clinic.title}
    assert titles(sampai="2026-03-02") == {road.title}


def test_sorting_by_support(client, w):
    quiet = public_report(w, title="Laporan yang sepi dukungan")
    popular = public_report(w, title="Laporan yang ramai dukungan")
    actions.support_report(report=popular, actor=w.other_citizen)
    html = client.get("/laporan/", {"urut": "dukungan"}).content.decode()
    assert html.index(popular.title) < html.index(quiet.title)


def test_invalid_filter_values_do_not_break_the_list(client, w):
    public_report(w)
    response = client.get("/laporan/", {"kategori": "x", "dari": "kemarin", "halaman": "999"})
    assert response.status_code == 200


def test_a_search_too_long_says_so_and_lists_nothing(client, w):
    public_report(w)
    html = client.get("/laporan/", {"q": "jalan " * 100}).content.decode()
    assert 'id="q_error"' in html and "0 laporan" in html


def test_confidential_unverified_and_unknown_report_pages_are_all_404(client, w):
    confidential = rf.disposed(w, is_confidential=True)
    unverified = rf.submit(w)
    for number in (confidential.tracking_number, unverified.tracking_number, "999999999"):
        assert client.get(f"/laporan/{number}/").status_code == 404
    assert client.post(f"/laporan/{confidential.tracking_number}/dukung/").status_code == 404


def test_confidential_report_page_is_404_even_for_its_reporter(client, w):
    # Its reporter follows it on the track page; the public page must not exist for anyone.
    report = rf.disposed(w, is_confidential=True)
    client.force_login(w.citizen)
    assert client.get(f"/laporan/{report.tracking_number}/").status_code == 404
    assert client.get(f"/lacak/{report.tracking_number}/").status_code == 200


def test_public_page_hides_nik_phone_and_email(client, w):
    text = (
        "NIK saya 1371012345678901, hubungi 0812-3456-7890 atau +62 812 9999 8888, "
        "e-mail siti.r@example.id. Jalan di depan rumah berlubang."
    )
    report = public_report(w, title="Jalan rusak, hubungi 081234567890", description=text)
    html = client.get(f"/laporan/{report.tracking_number}/").content.decode()
    for secret in (
        "1371012345678901",
        "0812-3456-7890",
        "812 9999 8888",
        "siti.r@example.id",
        "081234567890",
    ):
        assert secret not in html
    assert "[NIK disembunyikan]" in html and "[e-mail disembunyikan]" in html
    assert "[nomor telepon disembunyikan]" in html
    list_html = client.get("/laporan/").content.decode()
    assert "081234567890" not in list_html
    # The reporter reads their own words as written.
    client.force_login(w.citizen)
    assert "1371012345678901" in client.get(f"/lacak/{report.tracking_number}/").content.decode()


def test_anonymous_reporter_is_only_anonim(client, w):
    report = public_report(w, is_anonymous=True)
    for url in (f"/laporan/{report.tracking_number}/", f"/lacak/{report.tracking_number}/"):
        html = client.get(url).content.decode()
        assert "Anonim" in html
        assert "Siti" not in html and "Rahmawati" not in html and "siti@example.id" not in html


def test_named_reporter_is_shown_by_first_name_only(client, w):
    report = public_report(w)
    html = client.get(f"/laporan/{report.tracking_number}/").content.decode()
    assert "Siti" in html and "Rahmawati" not in html and "081234567890" not in html


def test_guest_reporter_without_a_name_is_warga(client, w):
    report = public_report(w, actor=None, reporter_email="tamu@example.id")
    html = client.get(f"/laporan/{report.tracking_number}/").content.decode()
    assert "Warga" in html and "tamu@example.id" not in html


def test_citizen_supports_a_report_once(client, w):
    report = public_report(w)
    client.force_login(w.other_citizen)
    response = client.post(f"/laporan/{report.tracking_number}/dukung/")
    assert response.status_code == 302 and response["Location"].endswith("#dukung")
    again = client.post(f"/laporan/{report.tracking_number}/dukung/", follow=True)
    assert "Anda sudah mendukung laporan ini." in again.content.decode()
    assert Support.objects.filter(report=report).count() == 1
    assert Report.objects.get(pk=report.pk).support_count == 1
    html = client.get(f"/laporan/{report.tracking_number}/").content.decode()
    assert "1 warga mendukung laporan ini." in html


def test_guest_is_sent_to_log_in_before_supporting(client, w):
    report = public_report(w)
    response = client.post(f"/laporan/{report.tracking_number}/dukung/")
    assert response.status_code == 302 and response["Location"].startswith("/akun/masuk/")
    assert not Support.objects.exists()


def test_reporter_cannot_support_their_own_report(client, w):
    report = public_report(w)
    client.force_login(w.citizen)
    html = client.get(f"/laporan/{report.tracking_number}/").content.decode()
    assert "Ini laporan Anda sendiri." in html
    response = client.post(f"/laporan/{report.tracking_number}/dukung/", follow=True)
    assert "Anda tidak dapat mendukung laporan Anda sendiri." in response.content.decode()
    assert not Support.objects.exists()


def test_home_shows_the_big_button_the_lookup_this_months_numbers_and_recent_reports(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    report = rf.answered(w, title="Jalan sudah ditambal di depan SD")
    rf.submit(w, is_confidential=True)
    html = client.get("/").content.decode()
    assert "Sampaikan Laporan" in html and 'name="nomor"' in html
    assert "<strong>2</strong> laporan diterima" in html
    assert "<strong>100%</strong> ditindaklanjuti tepat waktu" in html
    assert report.title in html


def test_my_reports_lists_only_my_reports_and_links_to_settings(client, w):
    mine = rf.submit(w, title="Laporan milik Siti sendiri")
    rf.submit(w, title="Laporan milik Budi saja", actor=w.other_citizen)
    client.force_login(w.citizen)
    html = client.get("/saya/").content.decode()
    assert mine.title in html and "Budi saja" not in html
    assert f"/lacak/{mine.tracking_number}/" in html and "/akun/profil/" in html


def test_my_reports_puts_reports_awaiting_the_citizen_first_with_the_reason(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    asked = rf.submit(w, title="Laporan yang perlu dilengkapi")
    actions.request_information(
        report=asked, actor=w.verifier, message="Mohon sebutkan nama jalan dan patokan terdekat."
    )
    time_machine.move_to("2026-03-03 09:00 +07:00", tick=False)
    answered = rf.answered(w, title="Laporan yang sudah dijawab")
    time_machine.move_to("2026-03-04 09:00 +07:00", tick=False)
    rated = rf.answered(w, title="Laporan yang sudah dinilai")
    actions.rate_report(report=rated, actor=w.citizen, rating=4)
    time_machine.move_to("2026-03-05 09:00 +07:00", tick=False)
    waiting_on_agency = rf.disposed(w, title="Laporan terbaru di instansi")
    newest = rf.submit(w, title="Laporan terbaru menunggu verifikasi")
    client.force_login(w.citizen)

    html = client.get("/saya/").content.decode()

    order = [html.index(r.title) for r in (rated, answered, asked, newest, waiting_on_agency)]
    assert order == sorted(order)  # awaiting the citizen (newest first), then the others (newest first)
    assert "3 laporan menunggu tindakan Anda" in html
    assert html.count("Perlu tindakan Anda:") == 3
    items = {
        r.title: html[html.index(r.title) : html.index("</li>", html.index(r.title))]
        for r in (asked, answered, rated, newest, waiting_on_agency)
    }
    assert "lengkapi keterangan yang diminta admin" in items[asked.title]
    assert "beri nilai, lalu tutup laporan" in items[answered.title]
    assert "tutup laporan bila masalahnya selesai, atau tanggapi" in items[rated.title]
    assert "Perlu tindakan Anda" not in items[newest.title] + items[waiting_on_agency.title]


def test_my_reports_needs_a_login(client, w):
    response = client.get("/saya/")
    assert response.status_code == 302 and response["Location"].startswith("/akun/masuk/")


def test_new_citizen_has_no_reports_yet(client, w):
    client.force_login(make_user())
    assert "Anda belum pernah mengirim laporan." in client.get("/saya/").content.decode()


def test_month_numbers_count_answers_after_their_deadline_as_late(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    report = rf.disposed(w)
    time_machine.move_to(report.completion_due_at + dt.timedelta(days=1), tick=False)
    actions.start_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr)
    actions.post_follow_up(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        text="Sudah ditangani, maaf terlambat karena cuaca buruk.",
    )
    html = Client().get("/").content.decode()
    assert "<strong>0%</strong> ditindaklanjuti tepat waktu" in html
