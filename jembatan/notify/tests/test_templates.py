"""Every message renders, in Bahasa Indonesia and English, on every channel it is sent on."""

import re

import pytest
from django.template.loader import get_template
from django.utils import timezone

from jembatan.accounts.models import Role
from jembatan.notify import actions as notify
from jembatan.notify.models import Notification, NotifyChannel
from jembatan.notify.rendering import KINDS, SMS_MAX_CHARS, Audience
from jembatan.notify.tests.factories import make_agency, make_disposition, make_report, make_staff, make_user
from jembatan.reports import notifications
from jembatan.reports.models import Follower, Status

REPORTER_TEMPLATES = sorted(name for name, kind in KINDS.items() if Audience.REPORTER in kind.audiences)
STAFF_TEMPLATES = sorted(name for name, kind in KINDS.items() if Audience.STAFF in kind.audiences)
SMS_TEMPLATES = sorted(name for name, kind in KINDS.items() if kind.has_sms)

pytestmark = pytest.mark.django_db


def assert_clean(text):
    assert text.strip()
    for leftover in ("{{", "}}", "{%", "%}", "None", "&amp;amp;"):
        assert leftover not in text, f"{leftover!r} left in {text!r}"


def test_the_catalogue_has_every_message_the_lifecycle_needs():
    assert set(KINDS) == {
        "report_received", "information_needed", "report_verified", "report_disposed", "follow_up_posted",
        "report_closed", "report_archived", "report_reopened", "reply_received", "disposition_new",
        "liaison_assigned", "disposition_returned", "sla_reminder", "sla_escalation", "ombudsman_flag",
        "one_time_code", "password_reset_code", "work_late", "registration_attempt",
        "voice_follow_up", "voice_closed", "merge_undone",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_message_has_its_template_files(name):
    for part in ("subject.txt", "body.txt", "body.html"):
        get_template(f"notify/emails/{name}/{part}")
    if KINDS[name].has_sms:
        get_template(f"notify/sms/{name}.txt")


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("template", REPORTER_TEMPLATES)
def test_reporter_message_renders_by_email_and_sms(template, language):
    reporter = make_user(
        email="warga@contoh.id", phone="081298765432", notify_by_sms=True, preferred_language=language
    )
    report = make_report(reporter=reporter, title="Jalan & jembatan <rusak> di Padang")
    make_disposition(report)

    extra = {"text": "Mohon dicek lagi.", "reason": "Duplikat", "agency": "Dinas PUPR Kota Padang"}
    rows = notifications.notify_reporter(report=report, template=template, extra=extra)

    by_channel = {row.channel: row for row in rows}
    assert set(by_channel) == {NotifyChannel.EMAIL, NotifyChannel.SMS}
    email, sms = by_channel[NotifyChannel.EMAIL], by_channel[NotifyChannel.SMS]
    assert email.language == sms.language == language
    for text in (email.subject, email.body, email.body_html, sms.body):
        assert_clean(text)
    # Plain text is not HTML-escaped; HTML is.
    assert "Jalan & jembatan <rusak>" in email.body
    assert "Jalan &amp; jembatan &lt;rusak&gt;" in email.body_html
    assert f'<html lang="{language}">' in email.body_html
    assert "\n" not in email.subject
    # An SMS is plain text: the title as typed, no markup of ours.
    assert "&amp;" not in sms.body
    if template == "report_received":
        assert "jembatan <rusak>" in sms.body
    assert not re.search(r"</?(p|br|a|div|strong|table)\b", sms.body)
    assert len(sms.body) <= SMS_MAX_CHARS


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("template", STAFF_TEMPLATES)
def test_staff_message_renders_by_email(template, language):
    agency = make_agency("Dinas Perhubungan Kota Padang")
    officer = make_staff(Role.ADMIN_INSTANSI, agency, email="petugas@contoh.id", preferred_language=language)
    report = make_report(title="Lampu jalan padam")
    disposition = make_disposition(
        report, agency, liaison=make_staff(Role.PENGHUBUNG, agency), instruction="Segera cek lokasi."
    )

    extra = {"text": "Catatan.", "kind": "completion", "level": 2}
    [row] = notifications.notify_staff(
        users=[officer], template=template, report=report, disposition=disposition, extra=extra
    )

    assert row.channel == NotifyChannel.EMAIL and row.recipient == "petugas@contoh.id"
    assert row.language == language
    for text in (row.subject, row.body, row.body_html):
        assert_clean(text)
    assert "/kerja/laporan/" in row.body and "/lacak/" not in row.body


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
def test_one_time_code_renders_on_every_channel(channel, language):
    recipient = "warga@contoh.id" if channel == "email" else "0812 1111 2222"
    row = notify.queue_message(
        channel=channel,
        recipient=recipient,
        template="one_time_code",
        context={"code": "482913", "minutes": 10},
        language=language,
    )
    texts = [row.body] + ([row.subject, row.body_html] if channel == "email" else [])
    for text in texts:
        assert_clean(text)
        assert "482913" in text
    assert Notification.objects.get(pk=row.pk).recipient == (
        recipient if channel == "email" else "6281211112222"
    )


@pytest.mark.parametrize(("language", "month"), [("id", "Agu"), ("en", "Aug")])
def test_deadline_is_a_date_in_jakarta_in_the_readers_language(language, month):
    import datetime as dt

    reporter = make_user(email="warga@contoh.id", preferred_language=language)
    # 17:30 UTC on 11 August is already 12 August in Padang (WIB, UTC+7).
    report = make_report(
        reporter=reporter, verification_due_at=dt.datetime(2026, 8, 11, 17, 30, tzinfo=dt.UTC)
    )

    [row] = notifications.notify_reporter(report=report, template="report_received")

    assert f"12 {month} 2026" in row.body


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_sms_stays_within_two_segments_even_with_long_free_text(template, settings):
    settings.INSTANCE_NAME = "Jembatan Pemerintah Provinsi Sumatera Barat"
    reporter = make_user(phone="081298765432", notify_by_email=False, notify_by_sms=True)
    report = make_report(reporter=reporter, title=("Sangat panjang " * 14)[:200], is_confidential=True)
    if template in ("one_time_code", "password_reset_code", "registration_attempt"):
        context = {"code": "1", "login_url": "https://jembatan.example.id/akun/masuk/"}
        rows = [
            notify.queue_message(channel="sms", recipient="081298765432", template=template, context=context)
        ]
    elif template.startswith("voice_"):
        report = make_report(title=("Sangat panjang " * 14)[:200], status=Status.DIPROSES)
        Follower.objects.create(report=report, phone="6281298765432", confirmed_at=timezone.now())
        rows = notifications.notify_voices(
            report=report, template=template, event=None, extra={"text": "Keterangan " * 60}
        )
    else:
        rows = notifications.notify_reporter(
            report=report, template=template, extra={"text": "Keterangan " * 60}
        )

    [row] = rows
    assert len(row.body) <= SMS_MAX_CHARS
    # GSM-7 only: a single typographic character would cut an SMS to 70 characters a segment.
    assert re.fullmatch(r"[\x20-\x7e\n]*", row.body), row.body
    if template not in ("one_time_code", "password_reset_code", "registration_attempt"):
        assert report.tracking_number in row.body


def test_an_instruction_passed_again_as_text_is_shown_once():
    agency = make_agency()
    officer = make_staff(Role.ADMIN_INSTANSI, agency, email="petugas@contoh.id")
    report = make_report()
    disposition = make_disposition(report, agency, instruction="Periksa saluran air di lokasi.")

    [row] = notifications.notify_staff(
        users=[officer], template="disposition_new", report=report, disposition=disposition,
        extra={"text": disposition.instruction},
    )  # fmt: skip

    assert row.body.count("Periksa saluran air di lokasi.") == 1
    assert row.body_html.count("Periksa saluran air di lokasi.") == 1


def test_sla_messages_say_which_deadline_and_which_escalation_level():
    agency = make_agency()
    officer = make_staff(Role.ADMIN_INSTANSI, agency, email="petugas@contoh.id")
    report = make_report()

    [row] = notifications.notify_staff(
        users=[officer],
        template="sla_escalation",
        report=report,
        extra={"kind": "first_response", "level": 2},
    )

    assert "Tahap: Tindak lanjut pertama" in row.body and "Tingkat eskalasi: 2" in row.body
