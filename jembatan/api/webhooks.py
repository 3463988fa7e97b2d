"""Outgoing webhooks: which timeline events reach which agency, the signed request, delivery.

Signature (Stripe-style, so receivers can reuse a known recipe):

    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A receiver recomputes the HMAC over the timestamp and the exact bytes it received, compares in
constant time, and refuses a timestamp older than a few minutes (a replayed capture).
`verify_signature` below is that recipe.

Delivery follows the notify outbox (notify/delivery.py): a worker owns a row only after a
conditional UPDATE claimed it, with a lease; failures are retried with the same backoff; the
attempt counter is the fencing token. Payloads are thin: ids and states, no free text or
identity; the agency reads the report itself through the API with its own key, where
accounts.access decides what it may see.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.api.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from jembatan.notify.delivery import backoff_after
from jembatan.reports.events import EventAction

logger = logging.getLogger(__name__)

# Timeline actions → the webhook event they announce.
EVENT_TYPES = {
    EventAction.DISPOSED: WebhookEvent.DISPOSED,
    EventAction.DISPOSITION_FORWARDED: WebhookEvent.DISPOSED,  # pelimpahan: disposed to the new agency
    EventAction.REPORTER_REPLIED: WebhookEvent.REPORTER_REPLIED,
    EventAction.INFORMATION_COMPLETED: WebhookEvent.REPORTER_REPLIED,
    EventAction.SLA_ESCALATED: WebhookEvent.SLA_BREACHED,
}
LOOKBACK = timedelta(minutes=10)
LEASE = timedelta(minutes=5)
SIGNATURE_HEADER = "X-Jembatan-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
SWEEP_LIMIT = 200
SWEEP_BUDGET_SECONDS = 45


def timeout():
    return settings.WEBHOOK_TIMEOUT


def max_attempts():
    return settings.WEBHOOK_MAX_ATTEMPTS


# --- Which events reach whom ---------------------------------------------------------------------------


def _agencies_for(event, event_type):
    report = event.report
    if event_type == WebhookEvent.DISPOSED:
        return [event.disposition.agency] if event.disposition_id else []
    if event_type == WebhookEvent.SLA_BREACHED:
        if event.disposition_id:
            return [event.disposition.agency]
        return [report.verifying_agency]
    # A reporter's reply concerns whoever holds the report now: the agencies working it, else
    # the verifier.
    working = [d.agency for d in report.dispositions.all() if d.is_open]
    return working or [report.verifying_agency]


def matches(subscription, event):
    """The webhook event type `event` means for `subscription`, or None."""
    event_type = EVENT_TYPES.get(event.action)
    if event_type is None or event_type not in subscription.events:
        return None
    if event.created_at < subscription.created_at:
        return None  # a new subscription hears about the future, not the past
    root = subscription.agency.path
    if any(
        agency is not None and agency.path.startswith(root) for agency in _agencies_for(event, event_type)
    ):
        return event_type
    return None


def payload(event, event_type, subscription):
    """The JSON body: ids and states only (see the module docstring)."""
    report = event.report
    data = {}
    if event_type == WebhookEvent.SLA_BREACHED:
        data = {"kind": (event.data or {}).get("kind"), "level": (event.data or {}).get("level")}
    if event.disposition_id:
        agency = event.disposition.agency
        data["disposition"] = {"id": event.disposition_id, "agency": agency.code}
    return {
        "id": f"evt_{event.pk}",
        "type": str(event_type),
        "created_at": event.created_at.isoformat(),
        "agency": subscription.agency.code,
        "report": {
            "tracking_number": report.tracking_number,
            "status": event.status_after,
            "url": settings.SITE_URL + reverse("api:staff-report", args=[report.tracking_number]),
        },
        "data": data,
    }


# --- Where a webhook may point -------------------------------------------------------------------------


def _is_internal(address):
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


def _addresses(host, port, resolve):
    """The IP addresses to check: the host itself if it is one, else (when resolving) its DNS answers."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    if not resolve:
        return []
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def url_problem(url, *, resolve=False):
    """Why `url` may not receive webhooks (a message), or "" if it may.

    https only (plain http when WEBHOOK_ALLOW_HTTP), and never an address inside our own network
    (loopback, private, link-local) unless WEBHOOK_ALLOW_PRIVATE_NETWORKS: an agency must not be
    able to make the server probe the machines beside it. Names are resolved at delivery time
    (`resolve=True`), when the answer is the one that will be used.
    """
    parts = urlsplit(url or "")
    allow_http = settings.WEBHOOK_ALLOW_HTTP
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        return _("URL webhook harus memakai https.")
    host = parts.hostname
    if not host:
        return _("URL webhook tidak sah.")
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return ""
    if host == "localhost" or host.endswith(".localhost"):
        return _("URL webhook menunjuk ke jaringan internal.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = _addresses(host, port, resolve)
    except (OSError, ValueError):
        return _("Nama host webhook tidak dapat di-resolve.")
    if any(_is_internal(address) for address in addresses):
        return _("URL webhook menunjuk ke jaringan internal.")
    return ""


# --- Signing ---------------------------------------------------------------------------------------------


def sign(secret, timestamp, body):
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret, header, body, *, now=None, tolerance=SIGNATURE_TOLERANCE_SECONDS):
    """The receiver's check: True if `header` signs `body` with `secret` and is fresh enough."""
    try:
        fields = dict(item.split("=", 1) for item in (header or "").split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


# --- Delivery --------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, including inside our network: a 3xx is a failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class DeliveryFailed(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def post(delivery, *, now=None):
    """POST one delivery; return the HTTP status, or raise DeliveryFailed."""
    subscription = delivery.subscription
    problem = url_problem(subscription.url, resolve=True)
    if problem:
        raise DeliveryFailed(problem)
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = int(now or time.time())
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Jembatan-webhook/1",
            "X-Jembatan-Event": delivery.event_type,
            "X-Jembatan-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout()) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code}", status=exc.code) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}", status=status)
    return status


def claim(delivery_id, now):
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .due(now)
        .update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE,
            updated_at=now,
        )
    )
    if claimed != 1:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def deliver(delivery_id):
    """Send one delivery if it is due and nobody else holds it; return True if it was accepted."""
    delivery = claim(delivery_id, timezone.now())
    if delivery is None:
        return False
    mine = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
    )
    try:
        status = post(delivery)
    except DeliveryFailed as exc:
        now = timezone.now()
        if delivery.attempts >= max_attempts():
            outcome = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
            logger.error("Webhook delivery %s failed for good: %s", delivery.pk, exc)
        else:
            outcome = {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + backoff_after(delivery.attempts),
            }
            logger.warning("Webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, exc)
        mine.update(last_error=str(exc)[:2000], response_status=exc.status, updated_at=now, **outcome)
        return False
    now = timezone.now()
    mine.update(
        status=DeliveryStatus.SENT,
        sent_at=now,
        response_status=status,
        next_attempt_at=None,
        last_error="",
        updated_at=now,
    )
    return True


def deliver_due(now=None, limit=SWEEP_LIMIT, budget_seconds=SWEEP_BUDGET_SECONDS):
    """Deliver what is due (retries, lost enqueues, dead workers); return how many were accepted."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.due(now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    started = time.monotonic()
    sent = 0
    for delivery_id in ids:
        if time.monotonic() - started > budget_seconds:
            break
        sent += deliver(delivery_id)
    return sent
