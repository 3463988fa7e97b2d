"""Rate limits per API key (or logged-in user) and per client address, on the one rate counter.

The counts live in accounts/ratelimit.py (the database, or Redis when the cache is Redis), so every
web worker shares them. Rates come from settings.API_THROTTLE_RATES (read on every request, so an
override needs no restart in tests), falling back to DEFAULT_RATES. A refused request is one read
of the counter and writes nothing.
"""

import math

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from jembatan.accounts import ratelimit
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

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def rate_for(scope):
    """(allowed events, window in seconds) of `scope`, e.g. "300/min" -> (300, 60)."""
    rates = {**DEFAULT_RATES, **settings.API_THROTTLE_RATES}
    number, period = rates[scope].split("/")
    return int(number), PERIODS[period]


def refused(scope, ident):
    """Seconds to wait when this process already knows (scope, ident) is over its limit, else 0.

    No query: what a flood of refused requests costs (see accounts/ratelimit.py). Counted in the
    metric jembatan_rate_limited_total, never logged.
    """
    wait = ratelimit.refused(scope, ident)
    if not wait:
        return 0
    ratelimit.count_refusal(scope)
    return max(1, math.ceil(wait))


def hit(scope, ident, amount=1, *, per_minute=None):
    """Count `amount` events for (scope, ident); return the seconds to wait, or 0 if allowed.

    `per_minute` replaces the scope's rate (an API key's own limit, ApiKey.rate_limit). Refused
    events are not counted: a client hammering past its limit is not kept out longer for it, and
    the refusal writes nothing.
    """
    return hit_many([(scope, ident, amount, per_minute)])


def hit_many(hits):
    """`hit` for several limits of one request at once, [(scope, ident, amount, per_minute), …]:
    one query reads all their counts and one statement adds to all of them (instead of two per
    limit). The request is allowed only if every limit allows it; if one refuses, none is counted.
    Returns the longest wait, or 0. The (scope, ident) pairs must be distinct.
    """
    wait, adds = _check_many(hits)
    if not wait:
        ratelimit.counter().add_many(adds)
    return wait


def hit_many_then_write(hits):
    """hit_many for a request that goes on to write: returns (wait, counting). When allowed, run
    the rest of the request inside `with counting:`; its events are counted in the first
    transaction it opens (on SQLite; see accounts/ratelimit.py _AddInTransaction), or on their own
    when it ends without one, so a request that fails validation counts as before. When refused,
    `counting` is None and nothing is counted.
    """
    wait, adds = _check_many(hits)
    if wait:
        return wait, None
    return 0, ratelimit.counter().add_many_with_next_transaction(adds)


def _check_many(hits):
    """(the longest wait or 0, the (kind, key, window, amount) to add when allowed)."""
    wait = max((refused(scope, ident) for scope, ident, _a, _p in hits), default=0)
    if wait:
        return wait, []
    limits = []  # (scope, ident, amount, limit, window)
    for scope, ident, amount, per_minute in hits:
        limit, window = (per_minute, 60) if per_minute else rate_for(scope)
        limits.append((scope, ident, amount, limit, window))
    counts = ratelimit.counter()
    counted = counts.count_many([(scope, ident, window) for scope, ident, _a, _l, window in limits])
    for (scope, ident, amount, limit, window), now_counted in zip(limits, counted, strict=True):
        if now_counted + amount > limit:
            if now_counted >= limit:  # even one more is refused until the next bucket boundary
                ratelimit.remember_refusal(scope, ident, window=window)
            ratelimit.count_refusal(scope)
            wait = max(wait, max(1, math.ceil(ratelimit.retry_after(window))))
    if wait:
        return wait, []
    return 0, [(scope, ident, window, amount) for scope, ident, amount, _l, window in limits]


class _Throttle(BaseThrottle):
    scope = None

    def ident(self, request):
        """What to count this request under, or None when this limit does not apply."""
        raise NotImplementedError

    def per_minute(self, request):
        """This caller's own limit a minute (an API key's rate_limit), or None for the scope's."""
        return None

    def allow_request(self, request, view):
        ident = self.ident(request)
        if ident is None:
            return True
        self._wait = hit(self.scope, ident, per_minute=self.per_minute(request))
        return not self._wait

    def wait(self):
        return self._wait

    def get_ident(self, request):
        # DRF's own get_ident trusts any X-Forwarded-For a client sends; accounts.throttle only
        # trusts the one our proxy appended.
        return client_ip(request) or "unknown"


class TokenThrottle(_Throttle):
    scope = "token"

    def ident(self, request):
        if not request.user or not request.user.is_authenticated:
            return None
        return owner_of(request)

    def per_minute(self, request):
        auth = getattr(request, "auth", None)
        return getattr(auth, "rate_limit", None)


class IPThrottle(_Throttle):
    scope = "ip"

    def ident(self, request):
        return self.get_ident(request)


class GuestWriteThrottle(_Throttle):
    """Counts only POSTs by callers who are not logged in."""

    scope = "guest_write"

    def ident(self, request):
        if request.method != "POST" or (request.user and request.user.is_authenticated):
            return None
        return self.get_ident(request)


class ApiThrottle(BaseThrottle):
    """TokenThrottle, IPThrottle and GuestWriteThrottle together, counted with hit_many: one read
    and one write of the counter for all the limits that apply, instead of two each."""

    parts = (TokenThrottle, IPThrottle, GuestWriteThrottle)

    def allow_request(self, request, view):
        hits = []
        for part in self.parts:
            throttle = part()
            ident = throttle.ident(request)
            if ident is not None:
                hits.append((throttle.scope, ident, 1, throttle.per_minute(request)))
        self._wait = hit_many(hits) if hits else 0
        return not self._wait

    def wait(self):
        return self._wait


DEFAULT_THROTTLES = [ApiThrottle]
