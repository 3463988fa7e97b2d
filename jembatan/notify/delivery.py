"""Delivering outbox rows: claim, send, record. Called by the Huey tasks in tasks.py.

Exactly once, as far as our side can promise it: a worker owns a row only after a conditional
UPDATE (pending → sending) changed exactly that one row, so two workers, or the on-commit task and
the periodic sweep, never both send it. The claim is a lease (`next_attempt_at` = now + LEASE): if
a worker dies mid-send the row is taken over after the lease, which is the one case where a
message can go out twice; the HTTP gateway gets a stable Idempotency-Key for exactly that case.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from jembatan.notify import channels
from jembatan.notify.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; after the last one the row is marked failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
LEASE = timedelta(minutes=10)
SWEEP_LIMIT = 200
SWEEP_BUDGET_SECONDS = 45  # the sweep runs every minute; stop before the next one starts


def max_attempts():
    return settings.NOTIFY_MAX_ATTEMPTS


def backoff_after(attempts):
    """How long to wait after the `attempts`-th failure (the last step repeats if attempts are raised)."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def claim(notification_id, now):
    """Take the row for this worker, or return None if it is not due or someone else holds it."""
    claimed = (
        Notification.objects.filter(pk=notification_id)
        .due(now)
        .update(
            status=NotificationStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE,
            updated_at=now,
        )
    )
    if claimed != 1:
        return None
    return Notification.objects.get(pk=notification_id)


def deliver(notification_id):
    """Send one outbox row if it is due and nobody else holds it; return True if this call sent it."""
    notification = claim(notification_id, timezone.now())
    if notification is None:
        return False
    # `attempts` was bumped by our own claim: it is our fencing token. A worker whose lease ran
    # out and was taken over must not overwrite the newer owner's outcome.
    mine = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING, attempts=notification.attempts
    )
    try:
        provider_message_id = channels.send(notification)
    except Exception as exc:  # any failure (SMTP, network, gateway, configuration) is retried
        now = timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= max_attempts():
            outcome = {"status": NotificationStatus.FAILED, "next_attempt_at": None}
            logger.error("Notification %s failed for good: %s", notification.pk, error)
        else:
            outcome = {
                "status": NotificationStatus.PENDING,
                "next_attempt_at": now + backoff_after(notification.attempts),
            }
            logger.warning(
                "Notification %s attempt %s failed: %s", notification.pk, notification.attempts, error
            )
        mine.update(last_error=error, updated_at=now, **outcome)
        return False
    now = timezone.now()
    updated = mine.update(
        status=NotificationStatus.SENT,
        sent_at=now,
        provider_message_id=str(provider_message_id or "")[:200],
        next_attempt_at=None,
        # Once delivered, a one-time code or access code has no business staying readable here.
        subject=notification.mask(notification.subject),
        body=notification.mask(notification.body),
        body_html=notification.mask(notification.body_html),
        sensitive_values=[],
        updated_at=now,
    )
    if updated != 1:
        logger.warning(
            "Notification %s was sent after its lease ran out and another worker took it.", notification.pk
        )
    return True


def deliver_due(now=None, limit=SWEEP_LIMIT, budget_seconds=SWEEP_BUDGET_SECONDS):
    """Deliver rows whose time has come (lost enqueues, retries, dead workers); return how many were sent."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )
    started = time.monotonic()
    sent = 0
    for notification_id in ids:
        if time.monotonic() - started > budget_seconds:
            break
        sent += deliver(notification_id)
    return sent
