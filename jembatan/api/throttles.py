"""Rate limits per API key (or logged-in user) and per client address, counted in the cache.

The counters live in Django's default cache. The locmem cache is per process, so with several
web workers each counts on its own: production sets CACHE_URL=redis://… so every worker shares
one count. Rates come from settings.API_THROTTLE_RATES (read on every request, so an override
needs no restart in tests), falling back to DEFAULT_RATES.
"""

import hashlib
import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from jembatan.accounts.throttle import client_ip
from jembatan.api.auth import owner_of

DEFAULT_RATES = {
    # An agency system or a citizen's app, per key (or per logged-in user).
    "token": "300/min",
    # Everyone behind one address together: an office or a campus shares a NAT.
    "ip": "600/min",
    # New reports from callers who are not logged in, per address: the cheapest thing to spam.
    "guest_write": "30/hour",
    # Open311 clients, per api_key, and everyone per address.
    "open311_key": "120/min",
    "open311_ip": "300/min",
    # Inbound SMS/WhatsApp/e-mail webhooks, per address (a gateway posts from a few addresses).
    "inbound_ip": "600/min",
    # Messages from one phone or e-mail address through the channels: a runaway sender.
    "inbound_sender": "20/hour",
}


def rate_for(scope):
    rates = {**DEFAULT_RATES, **settings.API_THROTTLE_RATES}
    return rates[scope]


class _Throttle(SimpleRateThrottle):
    def get_rate(self):
        return rate_for(self.scope)

    def get_ident(self, request):
        # DRF's own get_ident trusts any X-Forwarded-For a client sends; accounts.throttle only
        # trusts the one our proxy appended.
        return client_ip(request) or "unknown"


class TokenThrottle(_Throttle):
    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": owner_of(request)}


class IPThrottle(_Throttle):
    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class GuestWriteThrottle(_Throttle):
    """Counts only POSTs by callers who are not logged in."""

    scope = "guest_write"

    def get_cache_key(self, request, view):
        if request.method != "POST" or (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


DEFAULT_THROTTLES = [TokenThrottle, IPThrottle, GuestWriteThrottle]


class _Counter(_Throttle):
    def __init__(self, scope, ident):
        self.scope = scope
        self.ident = ident
        super().__init__()

    def get_cache_key(self, request, view):
        # Hashed: a sender may be "+62 812-…" or an e-mail address, neither a safe cache key.
        digest = hashlib.sha256(str(self.ident).encode("utf-8")).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


def hit(scope, ident):
    """Count one hit for (scope, ident) outside DRF; return the seconds to wait, or 0 if allowed.

    Used by the Open311 and channel webhooks, which are plain Django views.
    """
    counter = _Counter(scope, ident)
    if counter.allow_request(None, None):
        return 0
    return max(1, math.ceil(counter.wait() or 1))
