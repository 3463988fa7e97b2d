"""Rate limits of the portal, counted in the database so every web worker sees the same counts.

Submissions are counted from SubmissionToken rows (one per created report), per address and per
account; wrong access codes from accounts.Hit rows. Mobile carriers in Indonesia put many phones behind one
address (carrier-grade NAT), so the per-address limit is generous and the per-account one tight.
Lookups of similar reports (the submit page's "Laporan serupa" box) are counted from Hit rows too:
generous as well, and a throttled lookup only loses the inline hint, not the server's own check.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from jembatan.accounts.throttle import hits_since
from jembatan.portal.models import SubmissionToken

SUBMIT_WINDOW = dt.timedelta(hours=1)
ACCESS_CODE_WINDOW = dt.timedelta(minutes=15)
SIMILAR_WINDOW = dt.timedelta(minutes=15)


def submit_limit_per_ip():
    return settings.PORTAL_SUBMIT_LIMIT_PER_IP


def submit_limit_per_user():
    return settings.PORTAL_SUBMIT_LIMIT_PER_USER


def access_code_limit():
    return settings.PORTAL_ACCESS_CODE_LIMIT


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


def access_code_throttled(*, ip_address, now=None):
    """Has this address given too many wrong access codes lately?"""
    if not ip_address:
        return False
    since = (now or timezone.now()) - ACCESS_CODE_WINDOW
    return hits_since(kind="access_code", key=ip_address, since=since) >= access_code_limit()


def similar_lookup_throttled(*, ip_address, now=None, kind="similar"):
    """Has this address asked for similar reports (or, kind "suggest", category suggestions) too
    often lately? Each kind has its own count, with the same limit per 15 minutes."""
    if not ip_address:
        return False
    since = (now or timezone.now()) - SIMILAR_WINDOW
    return hits_since(kind=kind, key=ip_address, since=since) >= similar_limit_per_ip()
