"""Outgoing webhooks: which timeline events reach which agency, the signed request, delivery.

Signature (Stripe-style, so receivers can reuse a known recipe):

    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A receiver recomputes the HMAC over the timestamp and the exact bytes it received, compares in
constant time, and refuses a timestamp older than a few minutes (a replayed capture).
`verify_signature` below is that recipe.

Delivery runs on the shared outbox (jobs/outbox.py), as notifications do: a worker owns a row
only after a conditional UPDATE claimed it, with a renewed lease; failures are retried with
backoff; the attempt counter is the fencing token; each request carries a stable
Idempotency-Key (and X-Jembatan-Delivery) so a receiver can drop the rare repeat. Destinations
are global unicast addresses only, resolved once, and the connection goes to the checked address.
Payloads are thin: ids and states, no free text or
identity; the agency reads the report itself through the API with its own key, where
accounts.access decides what it may see.
"""

import hashlib
import hmac
import http.client
import json
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from jembatan.api.models import WebhookDelivery, WebhookEvent
from jembatan.jobs import outbox
from jembatan.jobs.destinations import (  # the destination rules; api.actions reads url_problem here
    DeliveryFailed,
    PinnedHTTPConnection,
    PinnedHTTPSConnection,
    resolve_destination,
    url_problem,  # noqa: F401 (read here by api.actions and the tests)
)
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
SIGNATURE_HEADER = "X-Jembatan-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300


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


def post(delivery, *, now=None):
    """POST one delivery; return the HTTP status, or raise DeliveryFailed.

    Redirects are never followed (http.client does not): a 3xx is a failure, since it could
    lead anywhere, including inside our network.
    """
    subscription = delivery.subscription
    scheme, host, port, address = resolve_destination(subscription.url)
    parts = urlsplit(subscription.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = int(now or time.time())
    headers = {
        "Host": parts.netloc.rsplit("@", 1)[-1],
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Jembatan-webhook/1",
        "X-Jembatan-Event": delivery.event_type,
        "X-Jembatan-Delivery": str(delivery.pk),
        "Idempotency-Key": delivery.idempotency_key or OUTBOX.key_for(delivery.pk),
        SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
    }
    kind = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    conn = kind(host, port, address, timeout=timeout())
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        status = response.status
        response.read(65536)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}", status=status)
    return status


def _send(delivery):
    status = post(delivery)
    return {"response_status": status, "last_error": ""}


OUTBOX = outbox.Outbox(
    name="webhooks",
    model=WebhookDelivery,
    send=_send,
    key_prefix="jembatan-webhook",
    max_attempts=max_attempts,
    select_related=("subscription",),
)


def claim(delivery_id, now):
    return OUTBOX.claim(delivery_id, now)


def deliver(delivery_id):
    """Send one delivery if it is due and nobody else holds it; return True if it was accepted."""
    return OUTBOX.deliver(delivery_id)


def deliver_due(now=None, limit=outbox.SWEEP_LIMIT, budget_seconds=outbox.SWEEP_BUDGET_SECONDS):
    """Deliver what is due (retries, lost enqueues, dead workers); return how many were accepted."""
    return OUTBOX.deliver_due(now=now, limit=limit, budget_seconds=budget_seconds)
