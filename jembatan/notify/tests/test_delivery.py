"""Delivery: on commit, exactly once, with backoff, and nothing at all after a rollback."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jembatan.notify import actions as notify
from jembatan.notify import delivery
from jembatan.notify.models import MASK, Notification, NotificationStatus, NotifyChannel
from jembatan.notify.tasks import deliver_due_notifications_task, deliver_notification_task
from jembatan.notify.tests.factories import make_guest_report, make_report, make_user
from jembatan.reports import notifications

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def sms_report():
    return make_guest_report(reporter_name="", reporter_email="", reporter_phone="081277778888")


def status_of(row):
    row.refresh_from_db()
    return row.status


# --- on commit ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_is_sent_when_the_callers_transaction_commits(
    mailoutbox, django_capture_on_commit_callbacks
):
    report = make_guest_report(reporter_email="tamu@contoh.id")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            [row] = notifications.notify_reporter(report=report, template="report_verified")
    assert mailoutbox == [] and status_of(row) == NotificationStatus.PENDING  # nothing before commit
    for callback in callbacks:
        callback()

    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 1 and row.sent_at is not None
    [email] = mailoutbox
    assert email.to == ["tamu@contoh.id"] and email.subject == row.subject and email.body == row.body
    assert email.alternatives[0].content == row.body_html and email.alternatives[0].mimetype == "text/html"
    assert email.extra_headers["Message-ID"] == row.provider_message_id


@pytest.mark.django_db
def test_rolling_back_the_callers_transaction_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    report = make_guest_report(reporter_email="tamu@contoh.id", reporter_phone="081277778888")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                assert notifications.notify_reporter(report=report, template="report_received")
                raise RuntimeError("the action failed after queueing")

    assert callbacks == []
    assert not Notification.objects.exists() and mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_rolling_back_a_real_transaction_sends_nothing_and_committing_one_sends(mailoutbox, settings):
    report = make_guest_report(reporter_email="tamu@contoh.id", reporter_phone="081277778888")

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notifications.notify_reporter(report=report, template="report_received")
            raise RuntimeError("the action failed after queueing")
    assert not Notification.objects.exists() and mailoutbox == []

    with transaction.atomic():
        notifications.notify_reporter(report=report, template="report_received")
        assert mailoutbox == []
    assert [m.to for m in mailoutbox] == [["tamu@contoh.id"]]
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}


# --- exactly once ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivering_the_same_row_twice_sends_one_message(sms_gateway, frozen):
    [row] = notifications.notify_reporter(report=sms_report(), template="report_verified")

    assert delivery.deliver(row.pk) is True
    assert delivery.deliver(row.pk) is False
    deliver_notification_task(row.pk)
    deliver_due_notifications_task()

    assert len(sms_gateway.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider_message_id) == (NotificationStatus.SENT, 1, "gw-1")


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_row_send_one_message(sms_gateway):
    # Written directly: through notify_reporter, autocommit would send it on the spot.
    row = Notification.objects.create(
        channel=NotifyChannel.SMS, recipient="6281277778888", template="report_verified", language="id",
        body="Laporan #123456789 telah diverifikasi.", next_attempt_at=timezone.now(),
    )  # fmt: skip
    workers = 6
    start = threading.Barrier(workers)
    results = []

    def worker():
        try:
            start.wait()
            results.append(delivery.deliver(row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [False] * (workers - 1) + [True]
    assert len(sms_gateway.requests) == 1
    assert status_of(row) == NotificationStatus.SENT


@pytest.mark.django_db
def test_a_provider_failure_then_success_sends_exactly_once(
    sms_gateway, frozen, django_capture_on_commit_callbacks
):
    sms_gateway.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notifications.notify_reporter(report=sms_report(), template="report_verified")

    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert "HTTP 503" in row.last_error and row.next_attempt_at == T0 + dt.timedelta(minutes=1)
    deliver_due_notifications_task()  # too early: backoff not over
    assert len(sms_gateway.requests) == 1

    frozen.move_to(T0 + dt.timedelta(minutes=1), tick=False)
    deliver_due_notifications_task()
    deliver_due_notifications_task()

    assert len(sms_gateway.accepted) == 1 and len(sms_gateway.requests) == 2
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)
    assert "HTTP 503" in row.last_error  # the history stays readable


@pytest.mark.django_db
def test_failures_back_off_1_5_30_120_720_minutes_then_give_up(sms_gateway, frozen):
    sms_gateway.statuses = [500] * 10
    [row] = notifications.notify_reporter(report=sms_report(), template="report_verified")
    now = T0
    waits = []
    for _ in range(delivery.max_attempts() - 1):
        delivery.deliver_due(now)
        row.refresh_from_db()
        assert row.status == NotificationStatus.PENDING
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        frozen.move_to(now, tick=False)

    delivery.deliver_due(now)

    assert waits == [dt.timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (NotificationStatus.FAILED, 6, None)
    assert row.last_error.startswith("DeliveryError: HTTP 500")
    frozen.move_to(now + dt.timedelta(days=1), tick=False)
    deliver_due_notifications_task()
    assert len(sms_gateway.requests) == 6


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_retried_like_any_other_failure(settings, frozen, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # discard port: nobody listens
    [row] = notifications.notify_reporter(
        report=make_guest_report(reporter_email="t@contoh.id"), template="report_verified"
    )

    assert delivery.deliver(row.pk) is False

    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING and row.attempts == 1 and row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    frozen.move_to(T0 + dt.timedelta(minutes=1), tick=False)
    assert delivery.deliver_due() == 1 and len(mailoutbox) == 1


# --- recovery ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_delivers_a_row_whose_enqueue_was_lost(mailoutbox, frozen):
    # Under the `db` fixture on-commit hooks never run: exactly a lost enqueue.
    [row] = notifications.notify_reporter(
        report=make_guest_report(reporter_email="t@contoh.id"), template="report_verified"
    )
    assert mailoutbox == []

    deliver_due_notifications_task()

    assert status_of(row) == NotificationStatus.SENT and len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_row_left_sending_by_a_dead_worker_is_taken_over_after_its_two_minute_lease(sms_gateway, frozen):
    [row] = notifications.notify_reporter(report=sms_report(), template="report_verified")
    assert delivery.claim(row.pk, T0) is not None  # a worker claims it, then dies before sending

    frozen.move_to(T0 + dt.timedelta(minutes=1, seconds=59), tick=False)
    deliver_due_notifications_task()
    assert sms_gateway.requests == [] and status_of(row) == NotificationStatus.SENDING

    frozen.move_to(T0 + dt.timedelta(minutes=2), tick=False)
    deliver_due_notifications_task()
    assert len(sms_gateway.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 2)


@pytest.mark.django_db
def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(sms_gateway, frozen):
    [row] = notifications.notify_reporter(report=sms_report(), template="report_verified")
    slow = delivery.claim(row.pk, T0)
    frozen.move_to(T0 + dt.timedelta(minutes=11), tick=False)
    assert delivery.deliver(row.pk) is True  # the take-over sends and records success

    # The slow worker's failure report arrives late and must not touch the row.
    updated = Notification.objects.filter(
        pk=slow.pk, status=NotificationStatus.SENDING, attempts=slow.attempts
    ).update(status=NotificationStatus.PENDING)

    assert updated == 0 and status_of(row) == NotificationStatus.SENT


# --- secrets ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_one_time_code_is_masked_in_the_outbox_once_sent(mailoutbox):
    user = make_user(email="w@contoh.id")
    row = notify.queue_message(
        channel="email",
        recipient="w@contoh.id",
        template="one_time_code",
        context={"code": "482913"},
        user=user,
    )
    assert "482913" in row.body

    delivery.deliver(row.pk)

    assert "482913" in mailoutbox[0].body  # the recipient got the code …
    row.refresh_from_db()
    for text in (row.subject, row.body, row.body_html):  # … the outbox keeps only a mask
        assert "482913" not in text and MASK in text
    assert row.sensitive_values == []


@pytest.mark.django_db
def test_the_access_code_is_masked_once_sent_but_kept_while_it_may_still_need_sending(sms_gateway, frozen):
    sms_gateway.statuses = [500]
    user = make_user(email="", phone="081277778888", notify_by_whatsapp=True)
    report = make_report(reporter=user, is_confidential=True)
    [row] = notifications.notify_reporter(report=report, template="report_received")
    assert row.channel == NotifyChannel.WHATSAPP

    delivery.deliver(row.pk)
    row.refresh_from_db()
    assert report.access_code in row.body  # still needed for the retry

    frozen.move_to(T0 + dt.timedelta(minutes=1), tick=False)
    delivery.deliver(row.pk)
    row.refresh_from_db()
    assert report.access_code in sms_gateway.accepted[0]["json"]["text"]
    assert report.access_code not in row.body and row.status == NotificationStatus.SENT
