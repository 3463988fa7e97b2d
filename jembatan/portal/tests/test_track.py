"""Following a report by its tracking number, and the reporter's replies, rating, closing and
reopening, each a POST that calls the action."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from jembatan.reports import actions
from jembatan.reports.models import Event, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def guest_report(w, **overrides):
    values = dict(actor=None, reporter_email="tamu@example.id", reporter_name="Tamu Baik")
    values.update(overrides)
    return rf.submit(w, **values)


def guest_client(report):
    """A browser that proved the report's access code."""
    client = Client()
    response = client.post(f"/lacak/{report.tracking_number}/kode/", {"kode": report.access_code})
    assert response.status_code == 302
    return client


def test_lookup_by_tracking_number_leads_to_the_track_page(client, w):
    report = rf.submit(w)
    response = client.get("/lacak/", {"nomor": f" {report.tracking_number} "})
    assert response.status_code == 302 and response["Location"] == f"/lacak/{report.tracking_number}/"


def test_unknown_tracking_number_says_so_in_bahasa_indonesia(client, w):
    response = client.get("/lacak/", {"nomor": "123456789"})
    assert response.status_code == 404
    assert "Laporan dengan nomor ini tidak ditemukan" in response.content.decode()


def test_anyone_with_the_number_follows_a_non_confidential_report_without_reporter_actions(client, w):
    report = rf.submit(w)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "menunggu verifikasi admin, paling lama 3 hari kerja" in html
    assert "Laporan diterima" in html  # the public timeline
    assert "Kirim tanggapan" not in html
    assert "Siti" in html and "Rahmawati" not in html  # first name only


def test_deadline_is_shown_as_a_date_with_working_days_left(client, w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)  # a Monday
    report = rf.disposed(w)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    due = report.completion_due_at
    assert f"Batas penyelesaian: {due.astimezone().day} " in html
    assert "hari kerja lagi" in html
    # The office's own deadline is its first response, named so: two dates never share a name.
    first = report.dispositions.get().first_response_due_at
    assert f"Batas tindak lanjut pertama: {first.astimezone().day} " in html
    assert "Dinas PUPR Kota Padang" in html  # the agency handling it


def test_confidential_report_asks_for_the_access_code(client, w):
    report = guest_report(w, is_confidential=True, title="Pungutan liar di kantor kelurahan")
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Masukkan kode akses" in html
    assert "Pungutan liar" not in html


def post_code(client, report, code, ip="10.0.0.1"):
    return client.post(f"/lacak/{report.tracking_number}/kode/", {"kode": code}, REMOTE_ADDR=ip)


def test_wrong_access_code_is_refused(client, w):
    report = guest_report(w, is_confidential=True)
    response = post_code(client, report, "SALAHSALAH")
    assert response.status_code == 400
    assert "Kode akses tidak cocok" in response.content.decode()


def test_access_code_guessing_is_slowed_down_then_refused_from_that_address(client, w, settings):
    settings.PORTAL_ACCESS_CODE_LIMIT = 5
    settings.LOGIN_THROTTLE_SLOW_AFTER = 3
    report = guest_report(w, is_confidential=True)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _i in range(3):
            assert post_code(client, report, "SALAHSALAH").status_code == 400
        slowed = post_code(client, report, report.access_code)
        assert slowed.status_code == 429
        assert "Terlalu banyak percobaan kode akses" in slowed.content.decode()
        assert int(slowed["Retry-After"]) <= 60
        clock.shift(dt.timedelta(seconds=61))  # slowed down, not locked out
        assert post_code(client, report, "SALAHSALAH").status_code == 400
        assert post_code(client, report, "SALAHSALAH").status_code == 400
        clock.shift(dt.timedelta(seconds=61))
        assert post_code(client, report, report.access_code).status_code == 429  # 5 in the window


def test_someone_elses_wrong_codes_never_refuse_the_right_code_from_another_address(client, w, settings):
    settings.PORTAL_ACCESS_CODE_LIMIT = 3
    report = guest_report(w, is_confidential=True)
    for _i in range(10):
        post_code(client, report, "SALAHSALAH", ip="198.51.100.66")
    assert post_code(client, report, "SALAHSALAH", ip="198.51.100.66").status_code == 429
    owner = Client()
    assert post_code(owner, report, report.access_code, ip="203.0.113.5").status_code == 302


def test_api_and_portal_count_wrong_access_codes_together(client, w, settings):
    settings.PORTAL_ACCESS_CODE_LIMIT = 3
    settings.LOGIN_THROTTLE_SLOW_AFTER = 10
    report = guest_report(w, is_confidential=True)
    for _i in range(2):
        response = client.get(
            f"/api/v1/reports/{report.tracking_number}/",
            HTTP_X_ACCESS_CODE="SALAHSALAH",
            REMOTE_ADDR="10.0.0.1",
        )
        assert response.status_code == 403
    assert post_code(client, report, "SALAHSALAH").status_code == 400
    refused = client.get(
        f"/api/v1/reports/{report.tracking_number}/",
        HTTP_X_ACCESS_CODE=report.access_code,
        REMOTE_ADDR="10.0.0.1",
    )
    assert refused.status_code == 429
    assert post_code(client, report, report.access_code).status_code == 429


def test_right_access_code_opens_a_confidential_report_and_is_remembered(w):
    report = guest_report(w, is_confidential=True, title="Pungutan liar di kantor kelurahan")
    client = guest_client(report)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Pungutan liar" in html and "Kirim tanggapan" in html


def test_code_typed_in_lower_case_with_spaces_still_works(w):
    report = guest_report(w, is_confidential=True)
    client = Client()
    client.post(f"/lacak/{report.tracking_number}/kode/", {"kode": f"  {report.access_code.lower()} "})
    assert "Kirim tanggapan" in client.get(f"/lacak/{report.tracking_number}/").content.decode()


def test_logged_in_reporter_opens_their_confidential_report_without_a_code(client, w):
    report = rf.submit(w, is_confidential=True)
    client.force_login(w.citizen)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Kirim tanggapan" in html


def test_access_code_of_an_account_holders_report_opens_it_but_does_not_act_for_them(w):
    report = rf.submit(w, is_confidential=True)
    client = guest_client(report)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert report.title in html and "Kirim tanggapan" not in html
    assert "untuk menanggapi atau menilai" in html
    response = client.post(f"/lacak/{report.tracking_number}/balas/", {"text": "Saya mau membalas"})
    assert response.status_code == 403
    assert "Hanya pelapor yang dapat melakukan tindakan ini." in response.content.decode()


def test_reporter_sees_messages_meant_for_them_and_the_public_does_not(client, w):
    report = rf.submit(w)
    actions.request_information(report=report, actor=w.verifier, message="Mohon sebutkan nama jalannya.")
    client.force_login(w.citizen)
    mine = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Mohon sebutkan nama jalannya." in mine and "Lengkapi laporan Anda" in mine
    public = Client().get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Mohon sebutkan nama jalannya." not in public


def test_reporter_completes_the_information_asked_for(client, w):
    report = rf.submit(w)
    actions.request_information(report=report, actor=w.verifier, message="Mohon sebutkan nama jalannya.")
    report.refresh_from_db()
    client.force_login(w.citizen)
    response = client.post(
        f"/lacak/{report.tracking_number}/lengkapi/",
        {"text": "Jalan Veteran, depan nomor 12.", "version": report.version},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.BELUM_TERVERIFIKASI
    assert Event.objects.filter(report=report, action="information_completed").exists()


def test_guest_reporter_replies_with_the_access_code(w):
    report = guest_report(w)
    client = guest_client(report)
    response = client.post(f"/lacak/{report.tracking_number}/balas/", {"text": "Lubangnya makin besar."})
    assert response.status_code == 302
    event = Event.objects.get(report=report, action="reporter_replied")
    assert event.text == "Lubangnya makin besar." and event.visibility == "reporter"
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Tanggapan Anda sudah terkirim." in html and "Lubangnya makin besar." in html


def test_reply_error_is_shown_next_to_the_field(client, w):
    report = rf.submit(w)
    client.force_login(w.citizen)
    response = client.post(f"/lacak/{report.tracking_number}/balas/", {"text": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Balasan wajib diisi." in html and 'id="id_text_error"' in html


def test_stale_version_is_refused_with_the_conflict_message(client, w):
    report = rf.submit(w)
    client.force_login(w.citizen)
    response = client.post(f"/lacak/{report.tracking_number}/balas/", {"text": "Halo", "version": 999})
    assert response.status_code == 400
    assert "sudah diubah oleh orang lain" in response.content.decode()


def test_someone_else_cannot_reply_and_gets_a_403_in_bahasa_indonesia(client, w):
    report = rf.submit(w)
    client.force_login(w.other_citizen)
    response = client.post(f"/lacak/{report.tracking_number}/balas/", {"text": "Saya bukan pelapornya."})
    assert response.status_code == 403
    assert "Hanya pelapor yang dapat melakukan tindakan ini." in response.content.decode()
    assert not Event.objects.filter(action="reporter_replied").exists()


def test_rating_before_any_answer_shows_the_domain_error_at_the_field(client, w):
    report = rf.disposed(w)
    client.force_login(w.citizen)
    response = client.post(f"/lacak/{report.tracking_number}/nilai/", {"rating": "5"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Laporan baru dapat dinilai setelah ada tindak lanjut." in html


def test_reporter_rates_the_answer_then_closes_then_reopens(client, w):
    report = rf.answered(w)
    client.force_login(w.citizen)
    page = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Lubang sudah ditambal" in page and "Kirim penilaian" in page and "Tutup laporan" in page

    response = client.post(f"/lacak/{report.tracking_number}/nilai/", {"rating": "4", "comment": "Cepat."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.rating == 4 and report.rating_comment == "Cepat."

    response = client.post(f"/lacak/{report.tracking_number}/tutup/", {"version": report.version})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.DITUTUP_PELAPOR

    page = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Buka kembali laporan" in page
    response = client.post(
        f"/lacak/{report.tracking_number}/buka-kembali/", {"reason": "Lubangnya muncul lagi."}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.DIPROSES and report.reopen_count == 1
    assert "Buka kembali laporan" not in client.get(f"/lacak/{report.tracking_number}/").content.decode()


def test_rating_outside_one_to_five_is_refused(client, w):
    report = rf.answered(w)
    client.force_login(w.citizen)
    response = client.post(f"/lacak/{report.tracking_number}/nilai/", {"rating": "9"})
    assert response.status_code == 400
    assert "Pilih nilai 1 sampai 5." in response.content.decode()
    report.refresh_from_db()
    assert report.rating is None


def test_reply_to_an_answer_sends_the_report_back_to_the_agency(client, w):
    report = rf.answered(w)
    client.force_login(w.citizen)
    client.post(f"/lacak/{report.tracking_number}/balas/", {"text": "Belum ditambal, masih berlubang."})
    assert Report.objects.get(pk=report.pk).status == Status.DIPROSES


def test_guest_reporter_action_needs_the_code_in_the_session(w):
    report = guest_report(w)
    response = Client().post(f"/lacak/{report.tracking_number}/balas/", {"text": "Tanpa kode."})
    assert response.status_code == 403


def test_confidential_report_actions_without_access_are_not_found(w):
    report = guest_report(w, is_confidential=True)
    response = Client().post(f"/lacak/{report.tracking_number}/balas/", {"text": "Menebak nomor."})
    assert response.status_code == 404


def test_follow_up_attachment_is_public_and_the_reporters_photo_is_not(w):
    from jembatan.portal.tests.helpers import upload

    report = rf.in_progress(w, attachments=[upload("rumah-saya.png")])
    actions.post_follow_up(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        text="Lubang sudah ditambal oleh tim pemeliharaan jalan pada hari Senin.",
        attachments=[upload("hasil.png")],
    )
    mine = report.attachments.get(original_name="rumah-saya.png")
    theirs = report.attachments.get(original_name="hasil.png")
    public = Client()
    html = public.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "hasil.png" in html and "rumah-saya.png" not in html
    response = public.get(f"/lampiran/{theirs.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert public.get(f"/lampiran/{mine.pk}/").status_code == 404
    reporter = Client()
    reporter.force_login(w.citizen)
    assert reporter.get(f"/lampiran/{mine.pk}/").status_code == 200


def test_a_guests_own_submission_is_shown_as_from_the_reporter_not_the_system(client, w):
    report = guest_report(w)
    html = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "· Pelapor" in html and "Sistem" not in html


def test_reopen_form_is_not_offered_after_the_reopen_window_has_passed(client, w, time_machine):
    # The portal used to offer the form whenever reopen_count was 0, though reopen_report refuses
    # after 10 working days: both now ask reports.lifecycle.may_reopen.
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)  # a Monday
    report = rf.answered(w)
    actions.close_report(report=report, actor=w.citizen)
    time_machine.move_to("2026-03-13 09:00 +07:00", tick=False)  # 9 working days later
    client.force_login(w.citizen)
    assert "Buka kembali laporan" in client.get(f"/lacak/{report.tracking_number}/").content.decode()
    time_machine.move_to("2026-03-17 09:00 +07:00", tick=False)  # 11 working days later
    client.force_login(w.citizen)  # a fresh session: the first one has expired meanwhile
    page = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Tindakan Anda" in page  # still the reporter's view of the page
    assert "Buka kembali laporan" not in page
    response = client.post(f"/lacak/{report.tracking_number}/buka-kembali/", {"reason": "Muncul lagi."})
    assert response.status_code == 400
    assert "sudah lewat" in response.content.decode()
