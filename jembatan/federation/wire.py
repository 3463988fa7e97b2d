"""The wire format of a federation message: the envelope, its signature, the receiver's checks.

    POST {peer base_url}/federation/v1/messages
    Content-Type: application/json
    X-Jembatan-Instance: <sender id>
    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(shared secret, "<t>." + raw body)>

The same Stripe-style recipe as the outgoing webhooks (api/webhooks.py), with the key the pair of
instances shares. The receiver recomputes the HMAC over the exact bytes, compares in constant
time and refuses a timestamp outside FEDERATION_CLOCK_WINDOW_SECONDS of its own clock.
"""

import hashlib
import hmac
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings

PATH = "/federation/v1/messages"
INSTANCE_HEADER = "X-Jembatan-Instance"
SIGNATURE_HEADER = "X-Jembatan-Signature"
ENVELOPE_FIELDS = ("message_id", "sender", "destination", "kind", "seq", "origin_instance", "origin_number")


class BadSignature(Exception):
    """The signature is missing, wrong, or its timestamp is outside the clock window."""


def sign(secret, timestamp, body):
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret, header, body, *, now=None):
    """Raise BadSignature unless `header` signs `body` with `secret` within the clock window."""
    if not secret:
        raise BadSignature("no shared key with this instance")
    try:
        fields = dict(item.split("=", 1) for item in (header or "").split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise BadSignature("malformed signature header") from None
    if abs((now if now is not None else time.time()) - timestamp) > settings.FEDERATION_CLOCK_WINDOW_SECONDS:
        raise BadSignature("timestamp outside the clock window")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature does not match")


def envelope(message, sender):
    """The JSON body of an outbox row (FederationMessage)."""
    link = message.link
    return {
        "message_id": str(message.message_id),
        "sender": sender,
        "destination": message.destination.slug,
        "kind": message.kind,
        "seq": message.seq,
        "origin_instance": link.origin_instance,
        "origin_number": link.origin_number,
        "payload": message.payload,
    }


def encode(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def decode(body):
    """The envelope in `body`, or raise ValueError if it is not one."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        raise ValueError("not an envelope")
    for name in ENVELOPE_FIELDS:
        if name not in data:
            raise ValueError(f"missing {name}")
    if not isinstance(data["seq"], int) or isinstance(data["seq"], bool) or data["seq"] < 1:
        raise ValueError("bad seq")
    data["message_id"] = str(uuid.UUID(str(data["message_id"])))
    for name in ("sender", "destination", "kind", "origin_instance", "origin_number"):
        if not isinstance(data[name], str) or not data[name] or len(data[name]) > 60:
            raise ValueError(f"bad {name}")
    return data


def connection(url):
    """An HTTP(S) connection to a peer's URL, or None when the URL may not be used: https only,
    plain http only with FEDERATION_ALLOW_HTTP (development and the test stages)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname, parts.port or 443, timeout=settings.FEDERATION_TIMEOUT
        )
    if parts.scheme == "http" and settings.FEDERATION_ALLOW_HTTP:
        return http.client.HTTPConnection(
            parts.hostname, parts.port or 80, timeout=settings.FEDERATION_TIMEOUT
        )
    return None


class Unreachable(Exception):
    """A request that did not get an answer: the peer's URL may not be used, or the transport failed."""


def exchange(peer, me, path, *, body=None, signed=b"", headers=None, max_read=65536, now=None):
    """One request from `me` to `peer`'s `path`, signed with the pair's key: a POST of the JSON
    `body`, or, when `body` is None, a GET whose signature covers `signed`. Returns (status, the
    answer's first `max_read` bytes, the answer's signature header); raises Unreachable."""
    url = peer.base_url.rstrip("/") + path
    conn = connection(url)
    if conn is None:
        raise Unreachable(f"peer URL must be https: {url}")
    sent = {
        "User-Agent": "Jembatan-federation/1",
        INSTANCE_HEADER: me.slug,
        SIGNATURE_HEADER: sign(peer.shared_secret, int(now or time.time()), signed if body is None else body),
        **(headers or {}),
    }
    if body is not None:
        sent["Content-Type"] = "application/json; charset=utf-8"
    try:
        conn.request("GET" if body is None else "POST", urlsplit(url).path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read(max_read), response.getheader(SIGNATURE_HEADER)
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
