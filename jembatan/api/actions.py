"""State changes the API owns: keys, citizens' tokens, webhook subscriptions and their outbox.

Reports themselves change only through reports/actions.py; nothing here touches them.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts import actions as accounts_actions
from jembatan.accounts.models import Role, User
from jembatan.api import webhooks
from jembatan.api.auth import forget_key, new_raw_key
from jembatan.api.models import (
    ApiKey,
    DeliveryStatus,
    KeyKind,
    WebhookCursor,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    hash_key,
)
from jembatan.reports.actions import ReportError
from jembatan.reports.models import Event


class ApiError(ReportError):
    """Bad input to an API action (same shape as ReportError: message, field, code)."""


def _clean_rate_limit(rate_limit):
    if rate_limit in (None, ""):
        return None
    try:
        value = int(rate_limit)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_RATE_LIMIT:
        raise ApiError(
            _("Batas permintaan: bilangan 1–%(max)d per menit, atau kosong.") % {"max": MAX_RATE_LIMIT},
            field="rate_limit",
        )
    return value


# An integration may send thousands an hour; a minute's limit above this is a typo.
MAX_RATE_LIMIT = 100_000


def _new_key(*, name, kind, user=None, agency=None, created_by=None, rate_limit=None):
    raw = new_raw_key()
    key = ApiKey.objects.create(
        name=name,
        kind=kind,
        rate_limit=_clean_rate_limit(rate_limit),
        prefix=raw[:12],
        key_hash=hash_key(raw),
        user=user,
        agency=agency,
        created_by=created_by,
    )
    return key, raw


def issue_open311_key(*, name, actor=None, rate_limit=None):
    """Issue an Open311 api_key for one client app; return (ApiKey, the key shown once).

    `rate_limit`: its POSTs a minute (None: API_THROTTLE_RATES["open311_key"])."""
    name = (name or "").strip()
    if not name:
        raise ApiError(_("Beri nama aplikasi klien."), field="name")
    with transaction.atomic():
        return _new_key(name=name[:120], kind=KeyKind.OPEN311, created_by=actor, rate_limit=rate_limit)


def set_api_key_rate_limit(*, api_key, rate_limit, actor=None):
    """Give a key its own limit of requests a minute (None: the default of its kind); return it.

    Counted in the shared rate counter, so it holds across all web processes at once; a process
    that has just refused the key keeps refusing it until the current bucket ends (a few seconds).
    """
    value = _clean_rate_limit(rate_limit)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if key.rate_limit != value:
            key.rate_limit = value
            key.save(update_fields=["rate_limit"])
            if actor is not None:
                LogEntry.objects.log_actions(
                    user_id=actor.pk,
                    queryset=ApiKey.objects.filter(pk=key.pk),
                    action_flag=CHANGE,
                    change_message=f"rate_limit={value if value is not None else '-'}",
                )
    api_key.rate_limit = value
    forget_key(key.key_hash)  # other processes: within settings.API_KEY_CACHE_SECONDS
    return key


def issue_agency_key(*, name, role=Role.PENGHUBUNG, agency=None, user=None, actor=None, rate_limit=None):
    """Issue an agency integration key acting as a staff user; return (ApiKey, the key shown once).

    Without `user`, a service account is created with exactly one StaffRole (`role` at `agency`),
    so accounts.access scopes the integration like an officer with that role. The account has no
    usable password: it can only act through its keys.
    """
    name = (name or "").strip()
    if not name:
        raise ApiError(_("Beri nama integrasi."), field="name")
    if role not in Role.values or role == Role.SYSADMIN:
        raise ApiError(_("Peran ini tidak dapat dipakai untuk integrasi."), field="role")
    if agency is None and role not in access.NATIONAL_ROLES and user is None:
        raise ApiError(_("Peran ini memerlukan instansi."), field="agency")
    with transaction.atomic():
        if user is None:
            user = User(
                username=f"api.{slugify(name)[:40] or 'integrasi'}.{secrets.token_hex(3)}",
                full_name=name[:150],
            )
            user.set_unusable_password()
            user.save()
            # A key acting with a role is a grant of that role: checked against the actor's own
            # power and audited like any other (issue 12).
            try:
                accounts_actions.grant_staff_role(actor=actor, user=user, role=role, agency=agency)
            except ValidationError as exc:
                raise ApiError(" ".join(exc.messages), field="role") from None
        elif not access.is_staff_member(user):
            raise ApiError(_("Pengguna ini bukan petugas."), field="user")
        return _new_key(
            name=name[:120],
            kind=KeyKind.AGENCY,
            user=user,
            agency=agency,
            created_by=actor,
            rate_limit=rate_limit,
        )


def issue_citizen_token(*, user, name=""):
    """Issue a personal API token for a citizen's app; return (ApiKey, the token shown once)."""
    if access.is_staff_member(user):
        # Staff log in with a second factor; a password-only token would walk around it.
        raise PermissionDenied(_("Petugas memakai kunci integrasi dari admin, bukan token warga."))
    with transaction.atomic():
        return _new_key(name=(name or "").strip()[:120] or _("Aplikasi"), kind=KeyKind.CITIZEN, user=user)


def revoke_api_key(*, api_key, actor=None):
    """Revoke a key at once; requests carrying it are refused from now on."""
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key.pk, is_active=True).update(
            is_active=False, revoked_at=timezone.now()
        )
    api_key.refresh_from_db()
    forget_key(api_key.key_hash)  # other processes: within settings.API_KEY_CACHE_SECONDS
    return api_key


# --- Webhook subscriptions -----------------------------------------------------------------------------


def subscribe_webhook(*, actor, agency, url, events, by_admin=False):
    """Register a URL to be told about `events` on `agency`'s reports; return (subscription, secret).

    `by_admin`: registered in Django admin, whose own permissions already decided.
    """
    if not by_admin and not access.can_manage_webhooks(actor, agency):
        raise PermissionDenied(_("Anda tidak berwenang atas instansi ini."))
    events = sorted(set(events))
    if not events or any(e not in WebhookEvent.values for e in events):
        raise ApiError(_("Pilih peristiwa yang dikenal."), field="events")
    problem = webhooks.url_problem(url)
    if problem:
        raise ApiError(problem, field="url")
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            agency=agency, url=url, secret=secret, events=events, created_by=actor
        )
    return subscription, secret


def unsubscribe_webhook(*, actor, subscription, by_admin=False):
    """Stop a webhook; deliveries already queued still go out, nothing new is queued."""
    if not by_admin and not access.can_manage_webhooks(actor, subscription.agency):
        raise PermissionDenied(_("Anda tidak berwenang atas instansi ini."))
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            is_active=False, updated_at=timezone.now()
        )
    subscription.refresh_from_db()
    return subscription


# --- The webhook outbox ----------------------------------------------------------------------------------

CURSOR_NAME = "webhooks"
POLL_BATCH = 1000


def _enqueue(delivery_ids):
    from jembatan.api.tasks import deliver_webhook_task

    for delivery_id in delivery_ids:
        deliver_webhook_task(delivery_id)


def queue_webhook_deliveries(*, now=None):
    """Read new timeline events and queue one delivery per matching subscription; return how many.

    The poller reads `reports.Event` after a stored cursor, so reports know nothing of webhooks.
    Ids are handed out before commit, so a slow transaction can commit an event *below* a cursor
    that already moved past it; every run therefore also re-reads the last LOOKBACK of events.
    The unique (subscription, event) constraint makes the re-read harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscriptions = list(WebhookSubscription.objects.filter(is_active=True).select_related("agency"))
        if not subscriptions:
            return 0
        cursor, created = WebhookCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
        if created:
            # The first poll starts where the oldest subscription began, not at years of history.
            earliest = min(s.created_at for s in subscriptions)
            older = Event.objects.filter(created_at__lt=earliest).order_by("-pk")
            cursor.last_event_id = older.values_list("pk", flat=True).first() or 0
            cursor.save(update_fields=["last_event_id", "updated_at"])
        relevant = (
            Event.objects.filter(action__in=webhooks.EVENT_TYPES)
            .select_related("report", "report__verifying_agency", "disposition__agency")
            .prefetch_related("report__dispositions__agency")
        )
        new_events = list(relevant.filter(pk__gt=cursor.last_event_id).order_by("pk")[:POLL_BATCH])
        # Two reads, not one OR: under a burst the re-read alone could fill a batch and the
        # cursor would never move.
        late_events = list(
            relevant.filter(pk__lte=cursor.last_event_id, created_at__gte=now - webhooks.LOOKBACK).order_by(
                "pk"
            )[:POLL_BATCH]
        )
        events = late_events + new_events
        if not events:
            return 0
        rows = []
        for event in events:
            for subscription in subscriptions:
                event_type = webhooks.matches(subscription, event)
                if event_type:
                    rows.append(
                        WebhookDelivery(
                            subscription=subscription,
                            event=event,
                            event_type=event_type,
                            payload=webhooks.payload(event, event_type, subscription),
                            next_attempt_at=now,
                        )
                    )
        existing = set(
            WebhookDelivery.objects.filter(event__in=[e.pk for e in events]).values_list(
                "subscription_id", "event_id"
            )
        )
        fresh = [r for r in rows if (r.subscription.pk, r.event.pk) not in existing]
        # ignore_conflicts: a concurrent poller (or a re-read) may have queued the same pair.
        WebhookDelivery.objects.bulk_create(fresh, ignore_conflicts=True)
        if new_events:
            cursor.last_event_id = new_events[-1].pk
            cursor.save(update_fields=["last_event_id", "updated_at"])
        ids = list(
            WebhookDelivery.objects.filter(
                event__in=[e.pk for e in events], status=DeliveryStatus.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
        # Not functools.partial: see notify/actions.py (Django logs a failing hook by __qualname__).
        transaction.on_commit(lambda ids=ids: _enqueue(ids), robust=True)
    return len(fresh)


def resend_webhook_deliveries(*, deliveries, actor):
    """Put failed deliveries back in the queue for a fresh round of attempts; return how many."""
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in deliveries], status=DeliveryStatus.FAILED)
            .values_list("pk", flat=True)
        )
        now = timezone.now()
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now
        )
        transaction.on_commit(lambda ids=ids: _enqueue(ids), robust=True)
    return len(ids)


def purge_webhook_deliveries(*, now=None):
    """Delete finished webhook deliveries (sent, or failed for good) older than
    WEBHOOK_LOG_RETENTION_DAYS; return how many went. Pending ones always stay.

    The log holds each report's public payload for the admin's "what reached whom"; it is not the
    record of the report (that is the timeline), and UU 27/2022 asks to keep no more than needed.
    The poller looks back only webhooks.LOOKBACK (minutes) behind its cursor, so a delivery purged
    days later is not queued again.
    """
    days = settings.WEBHOOK_LOG_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _details = WebhookDelivery.objects.filter(
        status__in=(DeliveryStatus.SENT, DeliveryStatus.FAILED), updated_at__lt=cutoff
    ).delete()
    return deleted
