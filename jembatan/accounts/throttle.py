"""Throttling of guessed secrets (passwords, TOTP tokens, access codes) that an attacker cannot
turn against the owner, and the client address every limit counts by.

The counts live in the one rate counter (ratelimit.py), shared by every web worker. The failed
logins themselves are also kept as LoginAttempt rows (the security log the admin lists).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from jembatan.accounts import access, ratelimit
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


# Failures are counted by the one rate counter (ratelimit.py) under these kinds. A pair is one
# account (or one report, for access codes) tried from one address.
SCOPES = ("login", "code")
SLOW_WINDOW = 60


@dataclass(frozen=True)
class Refusal:
    """Why a try is refused before the secret is checked, and for how many seconds."""

    retry_after: int
    locked: bool  # True: refused until the long window passes; False: only slowed down


def _limits(scope):
    """(pair limit over the long window, the long window, pair tries a minute, address tries a minute)."""
    if scope == "login":
        pair_limit, window = settings.LOGIN_THROTTLE_LIMIT, settings.LOGIN_THROTTLE_WINDOW_SECONDS
    else:
        pair_limit, window = settings.PORTAL_ACCESS_CODE_LIMIT, settings.ACCESS_CODE_WINDOW_SECONDS
    return pair_limit, window, settings.LOGIN_THROTTLE_SLOW_AFTER, settings.LOGIN_THROTTLE_IP_PER_MINUTE


def _pair(subject, ip_address):
    return f"{subject}|{ip_address or '-'}"


def refusal(*, scope, subject, ip_address):
    """Must this try of a password/token (scope "login", subject the throttle_key) or an access code
    (scope "code", subject the tracking number) from `ip_address` wait? None when it may go ahead.

    Asked before the secret is checked, so a refused guesser learns nothing, not even from the
    right secret. Failures are counted per (subject, address) and per address, never per subject
    alone: someone guessing from elsewhere can slow down or lock out only their own address, never
    the owner at theirs. Three quick failures of a pair slow it down to a try a minute; the pair
    limit within the window locks that pair until the window passes. An address failing for many
    subjects (password spraying) is only slowed down to LOGIN_THROTTLE_IP_PER_MINUTE tries a minute,
    never locked, because a whole office or mobile carrier may share it.
    """
    pair_limit, window, slow_after, ip_per_minute = _limits(scope)
    counts = ratelimit.counter()
    pair = _pair(subject, ip_address)
    if counts.count(f"{scope}-pair", pair, window=window) >= pair_limit:
        # The oldest failures may leave the window sooner; the message promises no less than this.
        return Refusal(retry_after=int(window), locked=True)
    if counts.count(f"{scope}-pair-min", pair, window=SLOW_WINDOW) >= slow_after:
        return Refusal(retry_after=SLOW_WINDOW, locked=False)
    if ip_address and counts.count(f"{scope}-ip-min", ip_address, window=SLOW_WINDOW) >= ip_per_minute:
        return Refusal(retry_after=SLOW_WINDOW, locked=False)
    return None


def count_failure(*, scope, subject, ip_address):
    """Count one wrong secret against (subject, address) and against the address."""
    pair_limit, window, _slow, _ip = _limits(scope)
    counts = ratelimit.counter()
    pair = _pair(subject, ip_address)
    counts.add(f"{scope}-pair", pair, window=window)
    counts.add(f"{scope}-pair-min", pair, window=SLOW_WINDOW)
    if ip_address:
        counts.add(f"{scope}-ip-min", ip_address, window=SLOW_WINDOW)


def clear_failures(*, scope, subject, ip_address):
    """The right secret from this address: forget this pair's failures (not the address's)."""
    counts = ratelimit.counter()
    pair = _pair(subject, ip_address)
    counts.clear(f"{scope}-pair", pair)
    counts.clear(f"{scope}-pair-min", pair)


def try_access_code(*, report, code, ip_address):
    """Check a typed access code against `report` under the shared throttle (portal and API alike).

    Returns (matches, refusal): a refused try is not checked at all. A wrong code counts against
    (report, address) and the address; the right one clears that pair.
    """
    subject = report.tracking_number
    refused = refusal(scope="code", subject=subject, ip_address=ip_address)
    if refused:
        return False, refused
    if access.holds_access_code(report, code):
        clear_failures(scope="code", subject=subject, ip_address=ip_address)
        return True, None
    count_failure(scope="code", subject=subject, ip_address=ip_address)
    return False, None
