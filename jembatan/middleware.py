"""Bahasa Indonesia first: the browser's language does not choose a page's language.

Many citizens' phones are set to English while they read and write Indonesian; Django's
LocaleMiddleware would serve them English. With this middleware placed before LocaleMiddleware
only an explicit choice counts on the web pages: the language switch (its cookie). Machine
clients (the REST API, Open311, channel webhooks) keep Accept-Language: for them it is the
explicit choice.
"""

import logging
import sys

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.middleware.http import ConditionalGetMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.defaults import server_error as default_server_error

from jembatan.jobs.busy import is_busy

logger = logging.getLogger(__name__)

MACHINE_PREFIXES = ("/api/", "/open311/", "/kanal/")
API_PREFIXES = ("/api/", "/open311/")


class IndonesianFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(MACHINE_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware without looking for a language in the path when no URL has one.

    Django's reads the language prefix of the path twice per request (a regex and a lookup each
    time) even when the URLconf has no i18n_patterns, where the answer cannot change anything;
    ours has none. With i18n_patterns it is Django's own, step for step.
    """

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class ApiGzipMiddleware(GZipMiddleware):
    """gzip for the machine addresses (REST API, Open311) when the client accepts it.

    Not for HTML pages: a compressed page that carries a CSRF token next to text an attacker
    can inject leaks the token by its size (BREACH). API answers carry no such secret.
    """

    def process_response(self, request, response):
        if not request.path.startswith(API_PREFIXES):
            return response
        return super().process_response(request, response)


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    """ETag (the body's hash) and 304 Not Modified for GETs of the REST API and Open311 (Open311's
    lists and requests also send Last-Modified, api/conditional.py). Web pages are left alone: they
    carry a fresh CSRF token each time and would never match anyway."""

    def process_response(self, request, response):
        if not request.path.startswith(API_PREFIXES):
            return response
        return super().process_response(request, response)


class FormPostOnlyRedirectMiddleware:
    """A web address that only takes a form (POST) sends a browser that opens it to its page.

    After a form error the browser stays on the form's address (/lacak/N/nilai/); reloading it,
    going back to it, or switching the language from it used to show an empty "405" page. Now a
    GET there leads one level up, to the page the form belongs to (/lacak/N/). Machine addresses
    (API, Open311, channel webhooks) keep their 405.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(MACHINE_PREFIXES)
            and not response.content
        ):
            from django.shortcuts import redirect
            from django.urls import Resolver404, resolve

            parent = request.path.rstrip("/").rsplit("/", 1)[0] + "/"
            try:
                resolve(parent)
            except Resolver404:
                parent = "/"  # e.g. /akun/keluar/: no page above it
            return redirect(parent)
        return response


# --- A busy database is a 503, never a 500 ----------------------------------------------------------


def database_busy_response(request):
    """503 with Retry-After: the request did nothing (its transaction rolled back); try again shortly."""

    message = _("Server sedang sibuk. Tidak ada yang tersimpan; silakan coba lagi sebentar lagi.")
    if request.path.startswith(MACHINE_PREFIXES):
        response = JsonResponse({"code": "database_busy", "message": message, "errors": {}}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(settings.DATABASE_BUSY_RETRY_AFTER)
    return response


class DatabaseBusyMiddleware:
    """Turn "database is locked" (SQLite) and lock/serialization timeouts (PostgreSQL) raised by a
    view into a 503 with Retry-After. `server_error` below does the same for the rest (middleware,
    the commit at the end of a request), so no write path answers 500 for a busy database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_busy(exception):
            logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
            return database_busy_response(request)
        return None


def server_error(request):
    """handler500: a 503 when the uncaught exception was a busy database, else the usual 500 page."""
    exception = sys.exc_info()[1]
    if exception is not None and is_busy(exception):
        return database_busy_response(request)
    return default_server_error(request)


# Scripts only from our own static files: no inline <script>, no on*= attributes, no eval, so an
# injected tag in a report's text cannot run even if escaping were missed somewhere. Styles may
# stay inline (style attributes in a few templates, the API docs' own <style>). Images from here
# or data: URLs (inline SVG charts, the TOTP QR code); nothing may frame a page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send CONTENT_SECURITY_POLICY with every HTML page (Django 5.2 has no CSP of its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
