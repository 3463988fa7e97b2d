"""Who gets a message, on which channel, in which language; and that one event queues it once."""

import pytest

from jembatan.accounts.models import Role
from jembatan.notify import actions as notify
from jembatan.notify.models import Notification, NotificationStatus, NotifyChannel
from jembatan.notify.tests.factories import (
    make_agency,
    make_event,
    make_guest_report,
    make_report,
    make_staff,
    make_user,
)
from jembatan.reports import notifications

pytestmark = pytest.mark.django_db


def routes(rows):
    return sorted((row.channel, row.recipient) for row in rows)


def test_a_guest_who_left_only_a_phone_gets_an_sms():
    report = make_guest_report(reporter_name="", reporter_email="", reporter_phone="0812-7777-8888")

    rows = notifications.notify_reporter(report=report, template="report_received")

    assert routes(rows) == [(NotifyChannel.SMS, "6281277778888")]


def test_a_guest_who_wrote_in_on_whatsapp_is_answered_on_whatsapp():
    report = make_guest_report(
        reporter_name="", reporter_email="", reporter_phone="0812-7777-8888", channel="whatsapp"
    )

    rows = notifications.notify_reporter(report=report, template="report_received")

    assert routes(rows) == [(NotifyChannel.WHATSAPP, "6281277778888")]


def test_a_guest_with_e_mail_and_phone_gets_e_mail_like_a_new_account_would():
    report = make_guest_report(reporter_email="tamu@contoh.id", reporter_phone="081277778888")

    rows = notifications.notify_reporter(report=report, template="report_received")

    assert routes(rows) == [(NotifyChannel.EMAIL, "tamu@contoh.id")]


def test_a_user_who_prefers_whatsapp_gets_whatsapp_instead_of_sms():
    user = make_user(email="w@contoh.id", phone="081277778888", notify_by_sms=True, notify_by_whatsapp=True)

    rows = notifications.notify_reporter(report=make_report(reporter=user), template="report_verified")

    assert routes(rows) == [(NotifyChannel.EMAIL, "w@contoh.id"), (NotifyChannel.WHATSAPP, "6281277778888")]


def test_a_user_who_chose_sms_only_gets_no_e_mail():
    user = make_user(email="w@contoh.id", phone="081277778888", notify_by_email=False, notify_by_sms=True)

    rows = notifications.notify_reporter(report=make_report(reporter=user), template="report_verified")

    assert routes(rows) == [(NotifyChannel.SMS, "6281277778888")]


def test_a_phone_only_user_with_default_preferences_is_not_left_unreachable():
    user = make_user(email="", phone="081277778888")  # defaults: e-mail on, SMS and WhatsApp off

    rows = notifications.notify_reporter(report=make_report(reporter=user), template="report_verified")

    assert routes(rows) == [(NotifyChannel.SMS, "6281277778888")]


def test_a_user_who_switched_every_channel_off_is_left_alone():
    user = make_user(
        email="w@contoh.id",
        phone="081277778888",
        notify_by_email=False,
        notify_by_sms=False,
        notify_by_whatsapp=False,
    )

    assert notifications.notify_reporter(report=make_report(reporter=user), template="report_verified") == []


def test_a_report_without_any_contact_queues_nothing():
    report = make_guest_report(reporter_name="", reporter_email="", reporter_phone="")

    assert notifications.notify_reporter(report=report, template="report_received") == []
    assert not Notification.objects.exists()


def test_an_invalid_guest_phone_is_skipped_not_fatal():
    report = make_guest_report(reporter_email="", reporter_phone="12")

    assert notifications.notify_reporter(report=report, template="report_received") == []


def test_reporter_messages_use_the_reporters_language_else_the_site_language(settings):
    english = make_user(email="en@contoh.id", preferred_language="en")
    [row] = notifications.notify_reporter(report=make_report(reporter=english), template="report_verified")
    assert row.language == "en"

    settings.LANGUAGE_CODE = "id"
    [row] = notifications.notify_reporter(report=make_guest_report(), template="report_verified")
    assert row.language == "id"


def test_rows_are_rendered_pending_and_linked_to_report_event_and_user():
    user = make_user(email="w@contoh.id")
    report = make_report(reporter=user)
    event = make_event(report)

    [row] = notifications.notify_reporter(report=report, template="report_received", event=event)

    row.refresh_from_db()
    assert (row.report, row.event, row.user, row.template) == (report, event, user, "report_received")
    assert row.status == NotificationStatus.PENDING and row.attempts == 0
    assert row.next_attempt_at is not None and row.sent_at is None
    assert row.dedupe_key == f"event-{event.pk}:email:w@contoh.id:report_received"


def test_the_outbox_keeps_what_was_said_when_the_report_changes_later():
    report = make_guest_report(title="Judul awal")
    [row] = notifications.notify_reporter(report=report, template="report_received")

    report.title = "Judul yang diubah"
    report.save()

    row.refresh_from_db()
    assert "Judul awal" in row.body and "Judul yang diubah" not in row.body


def test_the_same_event_never_queues_the_same_message_twice():
    officer = make_staff(Role.ADMIN_NASIONAL, email="admin@contoh.id")
    report = make_guest_report(reporter_phone="081277778888", reporter_email="")
    event = make_event(report)

    first = notifications.notify_reporter(report=report, template="report_received", event=event)
    again = notifications.notify_reporter(report=report, template="report_received", event=event)
    staff_first = notifications.notify_staff(
        users=[officer], template="reply_received", report=report, event=event
    )
    staff_again = notifications.notify_staff(
        users=[officer], template="reply_received", report=report, event=event
    )

    assert len(first) == 1 and again == []
    assert len(staff_first) == 1 and staff_again == []
    assert Notification.objects.count() == 2


def test_a_different_event_queues_the_message_again():
    report = make_guest_report()

    notifications.notify_reporter(
        report=report, template="follow_up_posted", event=make_event(report, "follow_up")
    )
    notifications.notify_reporter(
        report=report, template="follow_up_posted", event=make_event(report, "follow_up")
    )

    assert Notification.objects.filter(template="follow_up_posted").count() == 2


def test_an_explicit_dedupe_scope_stops_a_repeated_reminder():
    agency = make_agency()
    officer = make_staff(Role.PENGHUBUNG, agency, email="p@contoh.id")
    report = make_report()

    for _ in range(2):
        notifications.notify_staff(
            users=[officer], template="sla_reminder", report=report, dedupe=f"sla-{report.pk}-80"
        )

    assert Notification.objects.filter(template="sla_reminder").count() == 1


def test_staff_get_e_mail_only_when_active_with_an_address_and_only_once_each():
    agency = make_agency()
    active = make_staff(Role.ADMIN_INSTANSI, agency, email="aktif@contoh.id", preferred_language="en")
    inactive = make_staff(Role.ADMIN_INSTANSI, agency, email="nonaktif@contoh.id", is_active=False)
    no_email = make_staff(Role.PENGHUBUNG, agency, email="")

    rows = notifications.notify_staff(
        users=[active, inactive, no_email, active], template="disposition_new", report=make_report()
    )

    assert [(row.recipient, row.language, row.user) for row in rows] == [("aktif@contoh.id", "en", active)]


def test_queue_message_validates_the_address_and_returns_the_row():
    user = make_user()

    row = notify.queue_message(
        channel="email", recipient=" a@b.id ", template="one_time_code", context={"code": "123456"}, user=user
    )

    assert isinstance(row, Notification) and row.recipient == "a@b.id" and row.user == user
    assert row.language == "id" and row.sensitive_values == ["123456"]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        notify.queue_message(
            channel="email", recipient="bukan-email", template="one_time_code", context={"code": "1"}
        )
    with pytest.raises(ValidationError):
        notify.queue_message(channel="sms", recipient="12", template="one_time_code", context={"code": "1"})
    with pytest.raises(ValueError):
        notify.queue_message(
            channel="pigeon", recipient="a@b.id", template="one_time_code", context={"code": "1"}
        )


def test_an_unreachable_queue_leaves_the_committed_message_pending_for_the_sweep(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    # A real Redis queue on a port where nothing listens (a Redis restart in a cluster): the
    # on-commit enqueue fails, is logged, and the caller's request still succeeds.
    from huey.contrib.djhuey import HUEY
    from huey.storage import RedisStorage

    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(HUEY, "storage", RedisStorage(name="t", url="redis://127.0.0.1:1/0"))
    with django_capture_on_commit_callbacks(execute=True):
        row = notify.queue_message(
            channel="email", recipient="a@b.id", template="one_time_code", context={"code": "123456"}
        )
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.PENDING
    assert "in on_commit()" in caplog.text


def test_personal_data_a_reporter_typed_never_leaves_in_a_staff_message():
    officer = make_staff(Role.ADMIN_NASIONAL, email="admin@contoh.id")
    report = make_guest_report(title="Jalan rusak, hubungi saya di 081298765432", is_anonymous=True)
    text = "Masih rusak. Nama saya Rahmat Hidayat, NIK 1371012345678901."

    [row] = notifications.notify_staff(
        users=[officer], template="reply_received", report=report, extra={"text": text}
    )

    for secret in ("081298765432", "Rahmat Hidayat", "1371012345678901"):
        assert secret not in row.subject + row.body + row.body_html
    assert "Masih rusak." in row.body
