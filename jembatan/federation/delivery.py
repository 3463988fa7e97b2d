"""Sending the federation outbox: the shared outbox machinery (jobs/outbox.py) with an HTTP send.

Claim, lease, retry with backoff and the dead letter are jobs.outbox's. A message counts as
delivered when the peer acknowledged it with 200 (applied, buffered, duplicate or rejected: the
peer's verdict is kept in `outcome`); anything else (no answer, a timeout, 5xx, a bad signature)
is retried. The receiver dedupes by message id, so a repeat after a lost answer has no effect.
"""

import json
from datetime import timedelta

from django.conf import settings

from jembatan.federation import lapor, wire
from jembatan.federation.models import FederationMessage, Instance, Protocol
from jembatan.jobs import outbox

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts):
    """FEDERATION_RETRY_SECONDS after the first failure, doubling, at most an hour."""
    seconds = settings.FEDERATION_RETRY_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def max_attempts():
    return settings.FEDERATION_MAX_ATTEMPTS


def post(message, *, now=None):
    """POST one message to its destination; return (HTTP status, the peer's JSON answer)."""
    me = Instance.objects.get(is_self=True)
    peer = message.destination
    body = wire.encode(wire.envelope(message, me.slug))
    try:
        status, data, _signature = wire.exchange(
            peer,
            me,
            wire.PATH,
            body=body,
            headers={"Idempotency-Key": message.idempotency_key or str(message.message_id)},
            now=now,
        )
    except wire.Unreachable as exc:
        raise outbox.SendFailed(str(exc)) from exc
    if status != 200:
        raise outbox.SendFailed(
            f"HTTP {status}: {data[:300].decode('utf-8', 'replace')}", response_status=status
        )
    try:
        return status, json.loads(data)
    except ValueError as exc:
        raise outbox.SendFailed("the peer's answer is not JSON", response_status=status) from exc


def _send(message):
    if message.destination.protocol == Protocol.LAPOR:
        return _send_to_lapor(message)
    status, answer = post(message)
    return {
        "response_status": status,
        "outcome": str(answer.get("result", ""))[:20],
        "last_error": str(answer.get("error", ""))[:2000],
    }


def _send_to_lapor(message):
    """The SP4N-LAPOR! API instead of the signed wire; its tracking id is kept on the link."""
    from jembatan.federation import actions  # actions enqueue through tasks, which import this module

    fields = lapor.post(message)
    actions.record_lapor_answer(message=message, answer=fields.pop("answer"))
    return fields


OUTBOX = outbox.Outbox(
    name="federation",
    model=FederationMessage,
    send=_send,
    key_prefix="jembatan-federation",
    max_attempts=max_attempts,
    select_related=("destination", "link"),
    backoff=backoff,
)


def deliver(message_id):
    """Send one message if it is due and nobody else holds it; return True if the peer took it."""
    return OUTBOX.deliver(message_id)


def deliver_due(now=None, limit=outbox.SWEEP_LIMIT, budget_seconds=outbox.SWEEP_BUDGET_SECONDS):
    return OUTBOX.deliver_due(now=now, limit=limit, budget_seconds=budget_seconds)
