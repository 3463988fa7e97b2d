"""Queue notifications: the interface other apps call, inside their own transaction.

Each function renders its messages now, writes them to the outbox in the caller's transaction and
asks for delivery on commit, so a rolled-back action sends nothing and a committed one cannot lose
its messages (the periodic sweep in tasks.py picks up an enqueue that never arrived).

    notify_reporter(report=…, template="report_received", event=…)          → [Notification, …]
    notify_staff(users=[…], template="sla_reminder", report=…, disposition=…) → [Notification, …]
    queue_message(channel="sms", recipient="62812…", template="one_time_code", context={"code": …})
                                                                               → Notification
"""

import logging

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from jembatan.accounts.phones import normalize_phone
from jembatan.notify.models import Notification, NotificationStatus, NotifyChannel
from jembatan.notify.rendering import (
    Audience,
    identity_patterns,
    kind_for,
    redact_rendered,
    render_message,
    report_context,
)
from jembatan.notify.tasks import deliver_notification_task
from jembatan.reports.models import Channel
from jembatan.triage.pii import redact

logger = logging.getLogger(__name__)


def _enqueue_delivery(notification_id):
    deliver_notification_task(notification_id)


def _dedupe_key(scope, channel, recipient, template):
    return f"{scope}:{channel}:{recipient}:{template}" if scope else None


def _scope(event, dedupe):
    if dedupe:
        return str(dedupe)
    return f"event-{event.pk}" if event is not None else None


def _write(
    *, channel, recipient, template, language, rendered, sensitive, scope, report=None, event=None, user=None
):
    """Insert one outbox row and schedule its delivery; return None if its dedupe key already exists."""
    dedupe_key = _dedupe_key(scope, channel, recipient, template)
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        # A savepoint: losing a race on the unique dedupe key must not break the caller's transaction.
        with transaction.atomic():
            notification = Notification.objects.create(
                channel=channel,
                recipient=recipient,
                template=template,
                language=language,
                subject=rendered.subject,
                body=rendered.body,
                body_html=rendered.body_html,
                sensitive_values=[value for value in sensitive if value],
                report=report,
                event=event,
                user=user,
                dedupe_key=dedupe_key,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    # robust: a broken queue must not break the caller's other on-commit work; the sweep retries.
    # A lambda, not functools.partial: Django logs a failing robust hook by its __qualname__, which a
    # partial lacks, so a queue outage turned into an AttributeError and a 500 after the commit.
    transaction.on_commit(lambda pk=notification.pk: _enqueue_delivery(pk), robust=True)
    return notification


def _clean_phone(raw):
    try:
        return normalize_phone(raw) if raw else ""
    except ValidationError:
        logger.warning("Not sending to an invalid phone number on a report.")
        return ""


def reporter_routes(report):
    """(channel, address) pairs on which the reporter of `report` is told about it.

    A registered reporter gets what they chose: e-mail, and WhatsApp or SMS on their phone. A guest
    (no account) gets e-mail if they left an address. Whoever would otherwise hear nothing (a guest
    who left only a phone, a user whose chosen channel has no address) gets SMS (a guest who wrote
    in on WhatsApp: WhatsApp), else e-mail; only
    someone who switched every channel off is left alone. Anonymity changes none of this: it hides
    the reporter from officers, not the report's news from the reporter.
    """
    email = (report.contact_email or "").strip()
    phone = _clean_phone(report.contact_phone)
    user = report.reporter if report.reporter_id else None
    routes = []
    if user is None:
        if email:
            routes.append((NotifyChannel.EMAIL, email))
        wants_something = True
    else:
        if email and user.notify_by_email:
            routes.append((NotifyChannel.EMAIL, email))
        if phone and user.notify_by_whatsapp:
            routes.append((NotifyChannel.WHATSAPP, phone))
        elif phone and user.notify_by_sms:
            routes.append((NotifyChannel.SMS, phone))
        wants_something = user.notify_by_email or user.notify_by_sms or user.notify_by_whatsapp
    if not routes and wants_something:
        if phone:
            # A guest who wrote in on WhatsApp is answered on WhatsApp, not by SMS.
            by_whatsapp = user is None and report.channel == Channel.WHATSAPP
            routes.append((NotifyChannel.WHATSAPP if by_whatsapp else NotifyChannel.SMS, phone))
        elif email:
            routes.append((NotifyChannel.EMAIL, email))
    return routes


def reporter_language(report):
    if report.reporter_id and report.reporter.preferred_language:
        return report.reporter.preferred_language
    return settings.LANGUAGE_CODE


def notify_reporter(*, report, template, event=None, extra=None, dedupe=None):
    """Queue `template` about `report` to its reporter on every channel they are reached by."""
    kind_for(template, Audience.REPORTER)
    routes = reporter_routes(report)
    if not routes:
        return []
    language = reporter_language(report)
    with translation.override(language):
        context, sensitive = report_context(
            report, audience=Audience.REPORTER, template=template, extra=extra
        )
    created = []
    for channel, recipient in routes:
        rendered = render_message(template, channel, language, context)
        notification = _write(
            channel=channel,
            recipient=recipient,
            template=template,
            language=language,
            rendered=rendered,
            sensitive=sensitive,
            scope=_scope(event, dedupe),
            report=report,
            event=event,
            user=report.reporter if report.reporter_id else None,
        )
        if notification is not None:
            created.append(notification)
    return created


# Context values a citizen may have written, in staff messages.
STAFF_FREE_TEXT = ("title", "title_short", "text")


def notify_staff(*, users, template, report, disposition=None, extra=None, event=None, dedupe=None):
    """Queue `template` about `report` by e-mail to each active officer in `users` who has an address."""
    kind_for(template, Audience.STAFF)
    patterns = identity_patterns(report)
    rendered_by_language = {}
    created = []
    seen = set()
    for user in users:
        email = (user.email or "").strip()
        if not user.is_active or not email or user.pk in seen:
            continue
        seen.add(user.pk)
        language = user.preferred_language or settings.LANGUAGE_CODE
        if language not in rendered_by_language:
            with translation.override(language):
                context, _sensitive = report_context(
                    report, audience=Audience.STAFF, template=template, disposition=disposition, extra=extra
                )
                # Personal data the reporter typed (a NIK, a phone, "nama saya …") leaves by e-mail
                # to nobody: the same detector as the public pages.
                for key in STAFF_FREE_TEXT:
                    if context.get(key):
                        context[key] = redact(str(context[key]))
                # Officers never learn who the reporter is from a notification, whatever the report.
                rendered_by_language[language] = redact_rendered(
                    render_message(template, NotifyChannel.EMAIL, language, context), patterns
                )
        notification = _write(
            channel=NotifyChannel.EMAIL,
            recipient=email,
            template=template,
            language=language,
            rendered=rendered_by_language[language],
            sensitive=(),
            scope=_scope(event, dedupe),
            report=report,
            event=event,
            user=user,
        )
        if notification is not None:
            created.append(notification)
    return created


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
    notification = _write(
        channel=channel,
        recipient=recipient,
        template=template,
        language=language,
        rendered=rendered,
        sensitive=sensitive,
        scope=_scope(event, dedupe),
        report=report,
        event=event,
        user=user,
    )
    if notification is None:
        return Notification.objects.get(
            dedupe_key=_dedupe_key(_scope(event, dedupe), channel, recipient, template)
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
            transaction.on_commit(lambda pk=notification_id: _enqueue_delivery(pk), robust=True)
    return len(ids)
