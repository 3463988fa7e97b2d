"""Login throttling: too many failures for one login name, or from one address, lock both out.

The counts live in the database (LoginAttempt), not in a per-process cache, so every web worker
sees the same failures. Recording and clearing failures are actions (actions.py); this module only
reads.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from jembatan.accounts.models import Hit, LoginAttempt
from jembatan.notify.phones import normalize_phone


def throttle_key(identifier):
    """The name failures are counted under: one key per account however the login was typed.

    "0812-3456-7890" and "+62 812 3456 7890" are the same phone, "Budi@X.id" and "budi@x.id" the
    same address; without this an attacker would get a fresh quota per spelling.
    """
    identifier = (identifier or "").strip()
    if "@" not in identifier:
        try:
            return normalize_phone(identifier)
        except ValidationError:
            pass
    return identifier.lower()[:254]


def client_ip(request):
    """The client's address. Behind the TLS-terminating proxy, the one that proxy appended.

    SECURE_PROXY_SSL_HEADER is only set when a trusted reverse proxy sits in front (see settings);
    then REMOTE_ADDR is the proxy itself, and throttling on it would lock out everyone at once. The
    last X-Forwarded-For entry is the one our proxy wrote; earlier entries are client-supplied.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None


def window_start(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def is_throttled(*, username, ip_address, now=None):
    """Have `username` or `ip_address` reached the failure limit inside the window?"""
    recent = LoginAttempt.objects.filter(created_at__gt=window_start(now))
    limit = settings.LOGIN_THROTTLE_LIMIT
    if recent.filter(username=username).count() >= limit:
        return True
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= limit


def hits_since(*, kind, key, since):
    """How many `kind` events `key` (an address) has had since `since` (see actions.record_hit)."""
    return Hit.objects.filter(kind=kind, key=key, created_at__gt=since).count()
