"""Delivering notification outbox rows, on the shared outbox (jobs/outbox.py: claim, lease,
record with retries, backoff, dead letter). Called by the Huey tasks in tasks.py.

What is ours here: how a notification is sent (channels.py) and what "sent" leaves in the row —
the provider's message id, and the masked text (a one-time code or access code has no business
staying readable once delivered).
"""

from django.conf import settings

from jembatan.jobs import outbox
from jembatan.jobs.models import OutboxStatus
from jembatan.jobs.outbox import BACKOFF, backoff_after  # noqa: F401  (re-exported: the retry schedule)
from jembatan.notify import channels
from jembatan.notify.models import Notification
from jembatan.notify.rendering import render_deferred


def max_attempts():
    return settings.NOTIFY_MAX_ATTEMPTS


def _render(notification):
    """Write the text of a row the request left to the worker, before it is sent.

    Written to the row first (under this worker's claim), so a retry sends the same words and the
    outbox shows what went out; the sensitive values stay until the send masks them.
    """
    rendered = render_deferred(notification)
    fields = {
        "subject": rendered.subject,
        "body": rendered.body,
        "body_html": rendered.body_html,
        "renderer": "",
    }
    Notification.objects.filter(
        pk=notification.pk, status=OutboxStatus.SENDING, attempts=notification.attempts
    ).update(**fields)
    for name, value in fields.items():
        setattr(notification, name, value)


def _send(notification):
    if notification.renderer:
        _render(notification)
    provider_message_id = channels.send(notification)
    return {
        "provider_message_id": str(provider_message_id or "")[:200],
        "subject": notification.mask(notification.subject),
        "body": notification.mask(notification.body),
        "body_html": notification.mask(notification.body_html),
        "sensitive_values": [],
    }


OUTBOX = outbox.Outbox(
    name="notify",
    model=Notification,
    send=_send,
    key_prefix="jembatan-notify",
    max_attempts=max_attempts,
    # What the worker's renderers read (reports/notifications.render_for_reporter): one query.
    select_related=("report__category", "report__region", "report__reporter"),
)


def claim(notification_id, now):
    """Take the row for this worker, or return None if it is not due or someone else holds it."""
    return OUTBOX.claim(notification_id, now)


def deliver(notification_id):
    """Send one outbox row if it is due and nobody else holds it; return True if this call sent it."""
    return OUTBOX.deliver(notification_id)


def deliver_due(now=None, limit=outbox.SWEEP_LIMIT, budget_seconds=outbox.SWEEP_BUDGET_SECONDS):
    """Deliver rows whose time has come (lost enqueues, retries, dead workers); return how many were sent."""
    return OUTBOX.deliver_due(now=now, limit=limit, budget_seconds=budget_seconds)
