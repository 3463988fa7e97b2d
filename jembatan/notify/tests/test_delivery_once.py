"""Messages out once (issue 20): the claim with the provider's key before the send, the answer
recorded through a busy database, a stable Message-ID, a short lease renewed for slow gateways,
hand-back on shutdown, and no Huey result rows."""

import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from jembatan.jobs import shutdown, worker
from jembatan.notify import delivery
from jembatan.notify.models import Notification, NotificationStatus
from jembatan.notify.tasks import deliver_notification_task
from jembatan.notify.tests.factories import make_guest_report
from jembatan.reports import notifications

sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="holds SQLite's write lock from a second connection"
)


@pytest.fixture(autouse=True)
def _enqueue_only():
    # Rows are delivered by the test's own calls, not by the on-commit task (which in a
    # transactional test would run at once).
    HUEY.immediate = False
    yield
    HUEY.flush()
    HUEY.immediate = True


def sms_row():
    report = make_guest_report(reporter_name="", reporter_email="", reporter_phone="081277778888")
    [row] = notifications.notify_reporter(report=report, template="report_verified")
    return row


def hold_write_lock(seconds):
    """Take SQLite's write lock from another connection for `seconds` (what a busy writer does)."""
    locker = sqlite3.connect(
        connection.settings_dict["NAME"], timeout=30, isolation_level=None, check_same_thread=False
    )
    locker.execute("BEGIN IMMEDIATE")

    def release():
        time.sleep(seconds)
        locker.execute("COMMIT")
        locker.close()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def short_busy_timeout():
    # Without a retry, a 0.1 s busy timeout makes the "sent" write fail at once.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100")


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_sent_mark_is_retried_through_a_locked_database_and_nothing_goes_out_twice(sms_gateway):
    row = sms_row()
    short_busy_timeout()
    holders = []
    sms_gateway.on_request = lambda headers: holders.append(hold_write_lock(1.5))

    assert delivery.deliver(row.pk) is True

    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == (NotificationStatus.SENT, "gw-1")
    holders[0].join()
    assert delivery.deliver_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(sms_gateway.requests) == 1


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_an_answer_the_database_cannot_take_is_journalled_and_applied_without_a_resend(sms_gateway, settings):
    settings.OUTBOX_RECORD_RETRY_SECONDS = 0.3
    row = sms_row()
    short_busy_timeout()
    holders = []
    sms_gateway.on_request = lambda headers: holders.append(hold_write_lock(1.5))

    delivery.deliver(row.pk)
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENDING  # not written yet
    holders[0].join()

    delivery.deliver_due(now=timezone.now() + timedelta(hours=1))  # applies the journal first

    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == (NotificationStatus.SENT, "gw-1")
    assert len(sms_gateway.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_is_marked_sending_with_the_providers_key_before_anything_is_sent(sms_gateway):
    row = sms_row()
    seen = []

    def look(headers):
        current = Notification.objects.get(pk=row.pk)  # the gateway thread's own connection
        seen.append((current.status, current.idempotency_key, headers["Idempotency-Key"]))
        connection.close()

    sms_gateway.on_request = look
    delivery.deliver(row.pk)

    assert seen == [(NotificationStatus.SENDING, f"jembatan-notify-{row.pk}", f"jembatan-notify-{row.pk}")]


@pytest.mark.django_db
def test_an_email_sent_again_carries_the_same_message_id(mailoutbox):
    report = make_guest_report(reporter_email="tamu@contoh.id")
    [row] = notifications.notify_reporter(report=report, template="report_verified")
    delivery.deliver(row.pk)
    # A worker killed after the send and before its record: the row is due again.
    Notification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.PENDING, next_attempt_at=timezone.now()
    )
    delivery.deliver(row.pk)

    first, second = (message.extra_headers["Message-ID"] for message in mailoutbox)
    assert first == second and first.startswith(f"<jembatan-notify-{row.pk}.")


@pytest.mark.django_db(transaction=True)
def test_a_slow_gateway_keeps_its_short_lease_and_no_second_worker_sends(sms_gateway, settings):
    settings.OUTBOX_LEASE_SECONDS = 1  # renewed every third of a second while the gateway thinks
    row = sms_row()
    second_worker = []

    def slow(headers):
        time.sleep(2.5)  # well past the one-second lease
        second_worker.append(delivery.deliver(row.pk))
        connection.close()

    sms_gateway.on_request = slow
    assert delivery.deliver(row.pk) is True

    assert second_worker == [False] and len(sms_gateway.requests) == 1
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.SENT


@pytest.mark.django_db
def test_the_lease_of_a_claim_is_shorter_than_ten_minutes():
    row = sms_row()
    now = timezone.now()
    claimed = delivery.claim(row.pk, now)
    assert claimed.next_attempt_at - now == timedelta(minutes=2)


@pytest.mark.django_db
def test_a_stopping_worker_hands_back_what_it_still_holds():
    row = sms_row()
    claimed = delivery.claim(row.pk, timezone.now())
    shutdown.track(Notification, row.pk, claimed.attempts)
    try:
        assert shutdown.hand_back_all() == 1
    finally:
        shutdown.untrack(Notification, row.pk)
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING and row.next_attempt_at <= timezone.now()


@pytest.mark.django_db
def test_a_stopping_worker_takes_no_new_rows_from_the_sweep(sms_gateway):
    sms_row()
    shutdown.stopping.set()
    try:
        assert delivery.deliver_due() == 0
    finally:
        shutdown.stopping.clear()
    assert sms_gateway.requests == []


@pytest.mark.django_db
def test_huey_keeps_no_result_row_per_delivery(mailoutbox):
    HUEY.immediate = True  # the task runs, as in production's worker
    HUEY.storage.flush_results()
    report = make_guest_report(reporter_email="tamu@contoh.id")
    [row] = notifications.notify_reporter(report=report, template="report_verified")
    deliver_notification_task(row.pk)
    assert len(mailoutbox) == 1
    assert HUEY.storage.result_store_size() == 0


def test_a_starting_worker_drops_result_rows_left_from_before(db):
    HUEY.immediate = True
    HUEY.storage.put_data("old-result", b"x")
    worker.on_start(HUEY)
    assert HUEY.storage.result_store_size() == 0
