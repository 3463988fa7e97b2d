"""Idempotency-Key on POST: a retried request gets the first response, and nothing runs twice.

Follows the IETF draft "The Idempotency-Key HTTP Header Field": the key is scoped to the caller
(API key or user); the same key with a different request is refused with 422; the stored
response is replayed with `Idempotent-Replayed: true` (and its `Location`).

A guest has no identity to scope by, and the address is none: a phone moving from Wi-Fi to mobile
data retries from another one. A guest's key is therefore scoped to the key itself plus the
fingerprint of the request (the same key with another body is a 422, whoever sends it). The
first response holds the guest's access code, so a replay hands it over only to the same client:
the same browser (a hash of its CSRF cookie, when the first request had one), else a caller
who knows a strong key (at least 32 characters, as a UUID: only the client that made it up can
know it). Anyone else gets the replay with the code withheld (`access_code: null` and
`Idempotent-Secret-Withheld: access_code`); the guest who lost the code can still ask for it
through the portal with the e-mail or phone on the report.

The record is written in the same transaction as the work. The first attempt inserts it before
calling the view, so a concurrent retry with the same key blocks on the unique index (PostgreSQL)
or on the write lock (SQLite, IMMEDIATE transactions) until the first commits, then finds the
record and replays it. A response of 500 or an exception rolls everything back, the record too:
the client may then retry the same key and the work runs for real.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from jembatan.api import errors
from jembatan.api.auth import owner_of
from jembatan.api.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"
WITHHELD_HEADER = "Idempotent-Secret-Withheld"
GUEST_OWNER = "guest"
# Response fields a replay shows only to the client that made the first request.
SECRET_FIELDS = ("access_code",)
STRONG_KEY_LENGTH = 32


class KeyReused(Exception):
    """The key was already used for a different request."""


def canonical(value):
    """A JSON-able, order-independent form of parsed request data (files by their SHA-256).

    Parsed data, not raw bytes: a client retrying a multipart upload gets a fresh boundary from
    its HTTP library each time, so the bytes differ while the request is the same.
    """
    if isinstance(value, QueryDict):
        return {key: [canonical(v) for v in value.getlist(key)] for key in sorted(value)}
    if isinstance(value, dict):
        return {str(key): canonical(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    return value


def fingerprint(method, path, data):
    raw = json.dumps([method, path, canonical(data)], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def clean_key(raw):
    """The key as sent, or ValueError if it is empty, too long or not printable ASCII."""
    key = (raw or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValueError(key)
    return key


def _find(owner, key, now):
    record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if record is not None and record.created_at < now - RETENTION:
        record.delete()  # expired: the key may be used afresh
        return None
    return record


def is_strong(key):
    """True for a key only its maker can know (long and varied, as a UUID or 32 random characters)."""
    return len(key) >= STRONG_KEY_LENGTH and len(set(key)) >= 10


def client_hash(request):
    """A hash of the per-browser token, or "" when the request has none.

    The token is the CSRF cookie: set once per browser by any portal page with a form, kept for a
    year and, unlike the session cookie, not dropped when the session is empty.
    """
    token = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return hashlib.sha256(f"idempotency-client:{token}".encode()).hexdigest() if token else ""


def _withhold(body, content_type):
    """`body` with the secret fields emptied (JSON bodies only), and the names withheld."""
    if "json" not in content_type:
        return body, []
    try:
        data = json.loads(body)
    except ValueError:
        return body, []
    if not isinstance(data, dict):
        return body, []
    withheld = [name for name in SECRET_FIELDS if data.get(name)]
    for name in withheld:
        data[name] = None
    return json.dumps(data, ensure_ascii=False).encode("utf-8"), withheld


def _replay(record, method, path, request_hash, *, client, strong):
    if (record.method, record.path, record.request_hash) != (method, path, request_hash):
        raise KeyReused
    body, withheld = bytes(record.body), []
    same_client = client == record.client_hash if record.client_hash else strong
    if not same_client:
        body, withheld = _withhold(body, record.content_type)
    response = HttpResponse(body, status=record.status_code, content_type=record.content_type)
    response[REPLAY_HEADER] = "true"
    if record.location:
        response["Location"] = record.location
    if withheld:
        response[WITHHELD_HEADER] = ", ".join(withheld)
    return response


def run(*, owner, key, method, path, request_hash, call, client="", strong=True):
    """Return the stored response for (owner, key), or call() once and store what it returns.

    `call` returns a rendered HttpResponse. Raises KeyReused for a different request. `client`
    (a per-browser token's hash) and `strong` (the key is one only its maker knows) decide whether
    a replay may show the secret fields (see the module docstring); a non-guest owner is always
    the same client.
    """
    now = timezone.now()
    path = path[:300]
    with transaction.atomic():
        existing = _find(owner, key, now)
        if existing is not None:
            return _replay(existing, method, path, request_hash, client=client, strong=strong)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=request_hash,
                    client_hash=client,
                    status_code=0,
                    body=b"",
                    content_type="",
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
            if existing is None:
                raise
            return _replay(existing, method, path, request_hash, client=client, strong=strong)
        response = call()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.body = response.content
        record.content_type = response.get("Content-Type", "application/octet-stream")
        record.location = response.get("Location", "")[:500]
        record.save(update_fields=["status_code", "body", "content_type", "location"])
        return response


def purge_expired(now=None):
    """Delete records past their retention; return how many went."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _rendered(response):
    """A DRF Response as a plain HttpResponse with its JSON body (what is stored and replayed)."""
    if not isinstance(response, Response):
        return response
    rendered = HttpResponse(
        JSONRenderer().render(response.data),
        status=response.status_code,
        content_type="application/json",
    )
    for name, value in response.headers.items():
        if name.lower() != "content-type":
            rendered[name] = value
    return rendered


def reused_response():
    return Response(
        errors.body(
            "idempotency_key_reused",
            _("Idempotency-Key ini sudah dipakai untuk permintaan lain. Gunakan kunci baru."),
        ),
        status=422,
    )


def idempotent(handler):
    """Wrap a DRF function view's handler: honour Idempotency-Key on POST (optional header)."""

    @wraps(handler)
    def wrapper(request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None or request.method != "POST":
            return handler(request, *args, **kwargs)
        try:
            key = clean_key(raw)
        except ValueError:
            raise ValidationError(
                {HEADER: [_("Idempotency-Key harus 1–255 karakter ASCII yang dapat dicetak.")]}
            ) from None
        request_hash = fingerprint(request.method, request.path, request.data)

        def call():
            try:
                response = handler(request, *args, **kwargs)
            except Exception as exc:
                response = errors.api_exception_handler(exc, {"request": request})
                if response is None:
                    raise
            return _rendered(response)

        guest = not isinstance(getattr(request, "auth", None), ApiKey) and not (
            request.user is not None and request.user.is_authenticated
        )
        try:
            return run(
                owner=GUEST_OWNER if guest else owner_of(request),
                client=client_hash(request) if guest else "",
                strong=is_strong(key) if guest else True,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=request_hash,
                call=call,
            )
        except KeyReused:
            return reused_response()

    return wrapper
