"""Who is calling: API keys (agency integrations, citizens' apps, Open311 clients) and sessions.

An agency key acts as its linked staff user, so accounts.access scopes it exactly like a person
with the same roles; a citizen token acts as that citizen; an Open311 key acts as nobody and is
only accepted by the Open311 endpoint.
"""

import secrets
import time
from datetime import timedelta

from django.conf import settings
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


# Open311 keys found, per process: {key_hash: (expiry in epoch seconds, ApiKey)}. An Open311 client sends
# its key with every POST; the key acts as nobody (no user, no roles), so the row is all there is to
# know, and it changes only when an admin revokes the key or changes its rate limit. Both take
# effect in this process at once (forget_key, called by the actions) and in every other process
# within settings.API_KEY_CACHE_SECONDS. Unknown keys are not remembered: a key issued in another
# process works at once, and a flood of made-up keys cannot fill the memory.
_open311_keys = {}
MAX_CACHED_KEYS = 1000


def forget_key(key_hash=None):
    """Drop this process's copy of one key (or of all): it was revoked or changed here."""
    if key_hash is None:
        _open311_keys.clear()
    else:
        _open311_keys.pop(key_hash, None)


def find_key(raw, *, kinds=None):
    """The active ApiKey for a raw key string, or None."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    digest = hash_key(raw)
    ttl = settings.API_KEY_CACHE_SECONDS
    if ttl and kinds is not None and set(kinds) == {KeyKind.OPEN311}:
        now = time.time()
        cached = _open311_keys.get(digest)
        # now + ttl bounds it too: a clock set back must not stretch the copy's life.
        if cached is not None and now < cached[0] <= now + ttl:
            return cached[1]
        key = _find_key(digest, kinds)
        if key is not None:
            if len(_open311_keys) >= MAX_CACHED_KEYS:
                _open311_keys.clear()
            _open311_keys[digest] = (now + ttl, key)
        else:
            _open311_keys.pop(digest, None)
        return key
    return _find_key(digest, kinds)


def _find_key(digest, kinds):
    keys = ApiKey.objects.active().filter(key_hash=digest)
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
