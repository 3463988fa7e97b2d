"""One problem, many voices: followers, supporters and merged reporters hear the outcome; citizens
see the open reports nearby while writing; nothing hidden or anonymous leaks on the way."""

import re

import pytest
from django.test import TestCase

from jembatan.accounts.tests.factories import make_user
from jembatan.notify.models import Notification
from jembatan.reports import actions
from jembatan.reports.models import Follower, FollowerSource
from jembatan.reports.notifications import unfollow_token
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

FOLLOW_UP = "Lubang sudah ditambal oleh tim pemeliharaan jalan pada hari Senin pagi."


def _follow_up(w, report):
    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.post_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr, text=FOLLOW_UP)


def _close(w, report):
    report.refresh_from_db()
    actions.close_report(report=report, actor=w.verifier, note="Perbaikan jalan selesai dikerjakan.")


def _voice_rows(template, recipient):
    return Notification.objects.filter(template=template, recipient=recipient)


def test_a_logged_in_citizen_follows_and_hears_the_follow_up_once(client, w):
    report = rf.in_progress(w)
    client.force_login(w.other_citizen)
    response = client.post(f"/laporan/{report.tracking_number}/ikuti/")
    assert response.status_code == 302
    assert Follower.objects.active().filter(report=report, user=w.other_citizen).exists()
    _follow_up(w, report)
    [row] = _voice_rows("voice_follow_up", "budi@example.id")
    assert FOLLOW_UP in row.body and "Berhenti mengikuti" in row.body
    assert "******" in row.body  # the unfollow link is masked in the outbox once it is sent
    # Idempotent: the same event told again writes nothing (the outbox's unique key per recipient).
    from jembatan.reports import notifications

    event = report.events.get(action="follow_up_posted")
    assert notifications.notify_voices(report=report, template="voice_follow_up", event=event) == []
    assert _voice_rows("voice_follow_up", "budi@example.id").count() == 1


def test_a_guest_follows_with_an_emailed_code(client, w):
    report = rf.in_progress(w)
    number = report.tracking_number
    client.post(f"/laporan/{number}/ikuti/", {"kontak": "Tetangga@Example.id"})
    code_message = Notification.objects.get(template="one_time_code", recipient="tetangga@example.id")
    assert code_message.report_id is None  # a follower's address is not shown beside the report
    code = re.search(r"\b(\d{6})\b", code_message.body).group(1)
    wrong = client.post(
        f"/laporan/{number}/ikuti/kode/", {"kode": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "Kode salah" in wrong.content.decode()
    assert not Follower.objects.active().filter(report=report).exists()
    response = client.post(f"/laporan/{number}/ikuti/kode/", {"kode": code})
    assert response.status_code == 302
    follower = Follower.objects.active().get(report=report)
    assert follower.email == "tetangga@example.id" and follower.source == FollowerSource.FOLLOW
    _follow_up(w, report)
    assert _voice_rows("voice_follow_up", "tetangga@example.id").count() == 1


def test_codes_for_one_address_are_rate_limited(client, w):
    report = rf.in_progress(w)
    for _ in range(3):
        client.post(f"/laporan/{report.tracking_number}/ikuti/", {"kontak": "sama@example.id"})
    response = client.post(f"/laporan/{report.tracking_number}/ikuti/", {"kontak": "sama@example.id"})
    assert response.status_code == 400 and "Terlalu banyak permintaan kode" in response.content.decode()
    assert Notification.objects.filter(template="one_time_code", recipient="sama@example.id").count() == 3


def test_the_unfollow_link_asks_then_stops_the_messages(client, w):
    report = rf.in_progress(w)
    follower = Follower.objects.create(
        report=report, email="pergi@example.id", confirmed_at=report.submitted_at
    )
    url = f"/ikuti/berhenti/{unfollow_token(follower)}/"
    page = client.get(url)
    assert page.status_code == 200 and "Ya, berhenti mengikuti" in page.content.decode()
    follower.refresh_from_db()
    assert follower.ended_at is None  # a mail scanner opening the link changes nothing
    client.post(url)
    follower.refresh_from_db()
    assert follower.ended_at is not None
    _follow_up(w, report)
    assert not _voice_rows("voice_follow_up", "pergi@example.id").exists()
    assert client.get("/ikuti/berhenti/bukan-token/").status_code == 404


def test_a_confidential_report_cannot_be_followed(client, w):
    report = rf.in_progress(w, is_confidential=True)
    response = client.post(f"/laporan/{report.tracking_number}/ikuti/", {"kontak": "x@example.id"})
    assert response.status_code == 404
    assert not Follower.objects.filter(report=report).exists()
    assert not Notification.objects.filter(recipient="x@example.id").exists()


def test_merged_reporters_and_supporters_hear_the_follow_up_and_the_closing(client, w):
    original = rf.in_progress(w)
    guest = rf.submit(w, actor=None, reporter_name="Tamu", reporter_email="tamu@example.id")
    english = make_user("inggris", email="eng@example.id", preferred_language="en")
    merged_user = rf.submit(w, actor=english)
    supporter = make_user("pendukung", email="dukung@example.id")
    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.support_report(report=original, actor=supporter)
        actions.mark_duplicate(report=guest, original=original, actor=w.verifier)
        actions.mark_duplicate(report=merged_user, original=original, actor=w.verifier)
    _follow_up(w, original)
    [to_guest] = _voice_rows("voice_follow_up", "tamu@example.id")
    assert guest.tracking_number in to_guest.subject and FOLLOW_UP in to_guest.body
    assert "/lacak/" + guest.tracking_number in to_guest.body  # their own page, not the original's
    [to_english] = _voice_rows("voice_follow_up", "eng@example.id")
    assert to_english.language == "en" and "follow" in to_english.subject.lower()
    assert _voice_rows("voice_follow_up", "dukung@example.id").count() == 1
    # The original's reporter gets their own message, not a second one as a "voice".
    assert not _voice_rows("voice_follow_up", "siti@example.id").exists()
    _close(w, original)
    for address in ("tamu@example.id", "eng@example.id", "dukung@example.id"):
        assert _voice_rows("voice_closed", address).count() == 1, address


def test_a_merged_reporters_page_shows_the_original_and_lets_them_rate(client, w):
    original = rf.in_progress(w)
    duplicate = rf.submit(w, actor=w.other_citizen)
    actions.mark_duplicate(report=duplicate, original=original, actor=w.verifier)
    _follow_up(w, original)
    _close(w, original)
    client.force_login(w.other_citizen)
    page = client.get(f"/lacak/{duplicate.tracking_number}/").content.decode()
    assert "Laporan Anda digabungkan" in page and "Ditutup oleh Admin" in page
    assert FOLLOW_UP in page  # the original's public follow-up in its timeline
    response = client.post(f"/lacak/{duplicate.tracking_number}/nilai/", {"rating": "4", "comment": ""})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.rating == 4


def test_the_public_page_counts_the_voices(client, w):
    original = rf.in_progress(w)
    for citizen in (w.other_citizen, make_user("ketiga")):
        actions.mark_duplicate(report=rf.submit(w, actor=citizen), original=original, actor=w.verifier)
    page = client.get(f"/laporan/{original.tracking_number}/").content.decode()
    assert "3 warga melaporkan masalah ini" in page


def _nearby_step(client, w, **extra):
    data = {
        "step": "nearby",
        "prov": "13",
        "kab": "13.71",
        "kec": "13.71.01",
        "desa": "13.71.01.1001",
        "category": str(w.category.pk),
        "title": "Aspal rusak",
        "description": "aspal rusak parah dekat pasar, lubangnya dalam",
        **extra,
    }
    return client.post("/lapor/", data).content.decode()


def test_the_form_shows_open_reports_nearby_but_nothing_hidden(client, w):
    shown = rf.in_progress(w, title="Jalan berlubang di depan Pasar Kuranji")
    hidden = rf.in_progress(w, title="Rahasia jalan berlubang", is_confidential=True)
    unverified = rf.submit(w, title="Belum diverifikasi lubang")
    page = _nearby_step(client, w)
    assert shown.title in page and "Ini masalah yang sama: dukung dan ikuti" in page
    assert "Kirim laporan baru" in page
    assert hidden.title not in page and unverified.title not in page


def test_the_map_shows_the_points_but_never_an_anonymous_reporters_pin(client, w):
    from jembatan.directory.tests.factories import make_region

    make_region("13.71.01", "Kecamatan Contoh")
    rf.in_progress(w, title="Lampu jalan mati di simpang", latitude="-0.950000", longitude="100.360000")
    rf.in_progress(w, title="Lubang anonim", latitude="-0.950100", longitude="100.360100", is_anonymous=True)
    page = _nearby_step(client, w, latitude="-0.950050", longitude="100.360050")
    assert '<svg class="map place"' in page
    assert page.count('<g class="point">') == 1 and '<g class="pin">' in page
    assert "Lubang anonim" in page  # listed, never mapped
    assert "100.3601" not in page and "-0.9501" not in page.replace('value="-0.950050"', "")


def test_join_supports_and_follows_for_an_account(client, w):
    report = rf.in_progress(w)
    client.force_login(w.other_citizen)
    response = client.post(f"/laporan/{report.tracking_number}/gabung/")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.support_count == 1
    assert Follower.objects.active().filter(report=report, user=w.other_citizen).exists()


def test_followers_read_an_answer_redacted_as_the_public_page_shows_it(client, w):
    report = rf.in_progress(w)
    Follower.objects.create(report=report, email="publik@example.id", confirmed_at=report.submitted_at)
    with TestCase.captureOnCommitCallbacks(execute=True):
        actions.post_follow_up(
            disposition=report.dispositions.get(),
            actor=w.liaison_pupr,
            text="Sudah kami hubungi pelapor di nomor 081234567890, lubang ditambal hari ini.",
        )
    [row] = _voice_rows("voice_follow_up", "publik@example.id")
    assert "lubang ditambal" in row.body and "081234567890" not in row.body


def test_a_guest_joins_from_the_form_with_the_address_they_typed(client, w):
    report = rf.in_progress(w)
    response = client.post(
        f"/laporan/{report.tracking_number}/gabung/", {"reporter_email": "tamu2@example.id"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/ikuti/kode/")
    assert Notification.objects.filter(template="one_time_code", recipient="tamu2@example.id").exists()
    report.refresh_from_db()
    assert report.support_count == 0  # supporting needs an account; following does not
