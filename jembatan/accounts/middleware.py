"""Second factor first: an officer whose role needs TOTP (access.needs_second_factor) reaches no page
but the login, the token step, the authenticator set-up and logging out until this session has
proved a confirmed device. Without a device they are sent to enrol; with one, to the token step.

A middleware rather than a decorator on each view: the workbench, the admin, the dashboards, the
portal and any page added later are all behind it, and forgetting one is not possible.
"""

from django.conf import settings
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jembatan.accounts import access, twofactor

# What a half-logged-in officer may still open.
ALLOWED_URL_NAMES = {
    "accounts:login",
    "accounts:login-token",
    "accounts:logout",
    "accounts:totp-setup",
    "accounts:totp-start",
    "set_language",
    "healthz",
}


def _allowed(path):
    if settings.STATIC_URL and path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a 404 shows nothing
    return match.view_name in ALLOWED_URL_NAMES


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # In this stack only the session logs anyone in (AuthenticationMiddleware reads it; an API
        # token authenticates inside its view, after this): without the session cookie the user is
        # anonymous, and is not built here (the session load and django_otp's wrapper, for every
        # Open311 / API call and most public pages; issue 15).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not (hasattr(user, "is_verified") and user.is_verified())
            and access.needs_second_factor(user)
            and not _allowed(request.path_info)
        ):
            if request.method not in ("GET", "HEAD"):
                return HttpResponseForbidden(_("Selesaikan verifikasi dua langkah terlebih dahulu."))
            if twofactor.has_confirmed_device(user):
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            return redirect("accounts:totp-setup")
        return self.get_response(request)
