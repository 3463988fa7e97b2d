"""Refuse an Open311 caller this process already knows is over its limit, before anything else.

The rate counter remembers refusals in the process until its current bucket ends
(accounts/ratelimit.py). This middleware asks that memory first thing, right after the request id
and metrics middleware: for an address over its limit, or a POST whose api_key is over its own,
the 429 is written without sessions, locale, URL resolving or parsing the form: a flood of refused
requests costs a fraction of a millisecond each and writes no log line (it is counted in
jembatan_rate_limited_total). Everything else goes on to the view, which counts in the database
as before (api/open311/views.py `endpoint`).
"""

import re
from urllib.parse import unquote_plus

from jembatan.accounts.throttle import client_ip
from jembatan.api import throttles
from jembatan.api.models import hash_key

OPEN311_PREFIX = "/open311/v2/"
_API_KEY = re.compile(rb"(?:^|&)api_key=([^&]{1,300})")
_FORM = "application/x-www-form-urlencoded"


def _raw_key(request):
    """The api_key a form POST (or its query string) carries, read without parsing the whole form."""
    value = request.GET.get("api_key") if request.META.get("QUERY_STRING") else None
    if value is None and request.META.get("CONTENT_TYPE", "").startswith(_FORM):
        match = _API_KEY.search(request.body)
        value = unquote_plus(match.group(1).decode("ascii", "replace")) if match else None
    return (value or "").strip() or None


def known_refusal(request):
    """Seconds to wait when this process already refused this caller; 0 when it does not know."""
    wait = throttles.refused("open311_ip", client_ip(request) or "unknown")
    if wait or request.method != "POST":
        return wait
    raw = _raw_key(request)
    return throttles.refused("open311_key", hash_key(raw)) if raw else 0


class Open311EarlyRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(OPEN311_PREFIX):
            wait = known_refusal(request)
            if wait:
                from jembatan.api.open311.views import refused_response

                fmt = "xml" if request.path_info.endswith(".xml") else "json"
                return refused_response(fmt, wait)
        return self.get_response(request)
