"""Queue messages in the outbox: the interface other apps call, inside their own transaction.

This is the generic outbox; it knows nothing of reports. The messages about a report (to its
reporter, to officers) are built in reports/notifications.py, which writes them here.

Each function renders its messages now (or leaves a row to a renderer in the worker), writes them
to the outbox in the caller's transaction and asks for delivery on commit, so a rolled-back action
sends nothing and a committed one cannot lose its messages (the periodic sweep in tasks.py picks up
an enqueue that never arrived).

    queue_message(channel="sms", recipient="62812…", template="one_time_code", context={"code": …})
                                                                               → Notification
"""

import logging

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from jembatan import fastinsert
from jembatan.jobs import deferred
from jembatan.notify.models import Notification, NotificationStatus, NotifyChannel
from jembatan.notify.phones import normalize_phone
from jembatan.notify.rendering import (
    Audience,
    kind_for,
    render_message,
)

logger = logging.getLogger(__name__)


DELIVER = "notify.deliver"  # jobs.deferred: the rows a transaction wrote, delivered by one task


def _enqueue_delivery(notification_id):
    deferred.defer(DELIVER, notification_id)


def _dedupe_key(scope, channel, recipient, template):
    return f"{scope}:{channel}:{recipient}:{template}" if scope else None


def message_scope(event, dedupe):
    if dedupe:
        return str(dedupe)
    return f"event-{event.pk}" if event is not None else None


def write_message(
    *,
    channel,
    recipient,
    template,
    language,
    rendered,
    sensitive,
    scope,
    report=None,
    event=None,
    user=None,
    renderer="",
):
    """Insert one outbox row and schedule its delivery; return None if its dedupe key already exists.

    `rendered` None and a `renderer` name: the worker renders the row before sending it
    (rendering.deferred_renderer); `sensitive` then holds what that renderer may need.
    """
    if rendered is None and not renderer:
        raise ValueError("write_message needs the rendered text or the name of its renderer.")
    dedupe_key = _dedupe_key(scope, channel, recipient, template)
    notification = Notification(
        channel=channel,
        recipient=recipient,
        template=template,
        language=language,
        subject=rendered.subject if rendered else "",
        body=rendered.body if rendered else "",
        body_html=rendered.body_html if rendered else "",
        renderer="" if rendered else renderer,
        sensitive_values=[value for value in sensitive if value],
        report=report,
        event=event,
        user=user,
        dedupe_key=dedupe_key,
        next_attempt_at=timezone.now(),
    )
    # No SELECT first and no savepoint: a repeat (rare) is skipped by the INSERT itself on the
    # unique dedupe_key (ON CONFLICT DO NOTHING), which cannot break the caller's transaction.
    if not fastinsert.insert(notification, on_conflict_do_nothing=("dedupe_key",)):
        return None
    # One delivery task per transaction, queued on commit (jobs/deferred.py); the sweep retries a
    # batch whose enqueue failed.
    _enqueue_delivery(notification.pk)
    return notification


def queue_message(
    *, channel, recipient, template, context, language=None, user=None, report=None, event=None, dedupe=None
):
    """Queue one message with a caller-built context to one address (e.g. a one-time code)."""
    kind = kind_for(template, Audience.DIRECT)
    channel = NotifyChannel(channel)
    if channel == NotifyChannel.EMAIL:
        recipient = recipient.strip()
        validate_email(recipient)
    else:
        recipient = normalize_phone(recipient)
    language = language or settings.LANGUAGE_CODE
    context = {"site_name": settings.INSTANCE_NAME, **context}
    rendered = render_message(template, channel, language, context)
    sensitive = [str(context[key]) for key in kind.sensitive_keys if context.get(key)]
    notification = write_message(
        channel=channel,
        recipient=recipient,
        template=template,
        language=language,
        rendered=rendered,
        sensitive=sensitive,
        scope=message_scope(event, dedupe),
        report=report,
        event=event,
        user=user,
    )
    if notification is None:
        return Notification.objects.get(
            dedupe_key=_dedupe_key(message_scope(event, dedupe), channel, recipient, template)
        )
    return notification


def resend_notifications(*, notifications, actor):
    """Put failed outbox rows back in the queue for a fresh round of attempts; return how many."""
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(
                pk__in=[n.pk for n in notifications], status=NotificationStatus.FAILED
            )
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        now = timezone.now()
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now
        )
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=Notification.objects.filter(pk__in=ids),
            action_flag=CHANGE,
            change_message="Kirim ulang",
        )
        for notification_id in ids:
            _enqueue_delivery(notification_id)
    return len(ids)
