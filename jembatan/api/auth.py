"""Who is calling: API keys (agency integrations, citizens' apps, Open311 clients) and sessions.

An agency key acts as its linked staff user, so accounts.access scopes it exactly like a person
with the same roles; a citizen token acts as that citizen; an Open311 key acts as nobody and is
only accepted by the Open311 endpoint.
"""

import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from jembatan.accounts.throttle import client_ip
from jembatan.api.models import ApiKey, KeyKind, hash_key

KEY_PREFIX = "jb_"
# last_used_at is for the admin ("is this key still in use?"), not an audit log: writing it on
# every request would turn each read into a write, so it is refreshed at most this often.
TOUCH_INTERVAL = timedelta(minutes=5)


def new_raw_key():
    return KEY_PREFIX + secrets.token_urlsafe(32)


def find_key(raw, *, kinds=None):
    """The active ApiKey for a raw key string, or None."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    keys = ApiKey.objects.active().filter(key_hash=hash_key(raw))
    if kinds is not None:
        keys = keys.filter(kind__in=kinds)
    if kinds is None or set(kinds) - {KeyKind.OPEN311}:
        keys = keys.select_related("user", "agency")  # an Open311 key acts as nobody: no joins
    key = next(iter(keys.order_by()[:1]), None)
    if key is None or (kinds is not None and key.kind not in kinds):
        return None
    return key


def touch(key, now=None):
    now = now or timezone.now()
    if key.last_used_at is None or key.last_used_at < now - TOUCH_INTERVAL:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
        ).update(last_used_at=now)
        key.last_used_at = now


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer jb_…` (or `Token jb_…`) with an agency key or a citizen token."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (b"bearer", b"token"):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Header Authorization tidak sah."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Header Authorization tidak sah.")) from None
        key = find_key(raw, kinds=(KeyKind.AGENCY, KeyKind.CITIZEN))
        if key is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("Kunci API tidak dikenal atau sudah dicabut."))
        touch(key)
        return key.user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


AUTHENTICATION_CLASSES = [ApiKeyAuthentication, SessionAuthentication]


def owner_of(request):
    """The identity Idempotency-Keys and rate limits are counted under."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return f"key:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request) or 'unknown'}"
