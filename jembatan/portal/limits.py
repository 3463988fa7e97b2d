"""Rate limits of the portal, counted so that every web worker sees the same counts.

Submissions are counted from SubmissionToken rows (one per created report), per address and per
account; wrong access codes by accounts.throttle (shared with the API). Mobile carriers in
Indonesia put many phones behind one address (carrier-grade NAT), so the per-address limit is
generous and the per-account one tight. Look-ups of similar reports (the submit page's "Laporan
serupa" box) are counted by the one rate counter (accounts/ratelimit.py): generous as well, and a
throttled look-up only loses the inline hint, not the server's own check.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from jembatan.accounts import ratelimit
from jembatan.portal.models import SubmissionToken

SUBMIT_WINDOW = dt.timedelta(hours=1)
SIMILAR_WINDOW = dt.timedelta(minutes=15)


def submit_limit_per_ip():
    return settings.PORTAL_SUBMIT_LIMIT_PER_IP


def submit_limit_per_user():
    return settings.PORTAL_SUBMIT_LIMIT_PER_USER


def similar_limit_per_ip():
    return settings.PORTAL_SIMILAR_LIMIT_PER_IP


def submission_throttled(*, user, ip_address, now=None):
    """Has this account or this address created too many reports in the last hour?"""
    since = (now or timezone.now()) - SUBMIT_WINDOW
    recent = SubmissionToken.objects.filter(created_at__gt=since, report__isnull=False)
    if user is not None and user.is_authenticated:
        if recent.filter(user=user).count() >= submit_limit_per_user():
            return True
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= submit_limit_per_ip()


def similar_lookup_throttled(*, ip_address, kind="similar"):
    """Has this address asked for similar reports (or, kind "suggest", category suggestions) too
    often lately? Each kind has its own count, with the same limit per 15 minutes."""
    if not ip_address:
        return False
    window = SIMILAR_WINDOW.total_seconds()
    return ratelimit.counter().count(kind, ip_address, window=window) >= similar_limit_per_ip()


def count_similar_lookup(*, ip_address, kind="similar"):
    """Count one look-up of similar reports (or category suggestions) from `ip_address`."""
    if ip_address:
        ratelimit.counter().add(kind, ip_address, window=SIMILAR_WINDOW.total_seconds())
