"""Account pages: log in (password, then a TOTP token when the user has one), register, verify
contacts, profile, and the officer's two-factor set-up. Views parse, authorize, call an action and
render; every change is made in actions.py."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from jembatan.accounts import access, actions, throttle, twofactor
from jembatan.accounts.forms import (
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegistrationForm,
    ResendCodeForm,
    TokenForm,
    TotpConfirmForm,
    TotpStartForm,
    VerifyCodeForm,
)
from jembatan.accounts.models import OneTimeCode, Role

User = get_user_model()

# Between the password and the token the session holds who is half-way in, for a short while only.
PENDING_SESSION_KEY = "accounts_pending_second_factor"
PENDING_LIFETIME_SECONDS = 300
DEFAULT_BACKEND = settings.AUTHENTICATION_BACKENDS[0]


# --- Log in and out ----------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = _next_url(request)
    user = request.user
    if request.method == "GET" and _needs_token_now(user):
        # A session opened before the authenticator was confirmed, or sent here by the admin:
        # the password was given already, only the token is missing.
        _start_second_step(
            request, user, username=throttle.throttle_key(user.get_username()), next_url=next_url
        )
        return redirect("accounts:login-token")

    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["username"]
        key = throttle.throttle_key(identifier)
        ip = throttle.client_ip(request)
        refused = throttle.refusal(scope="login", subject=key, ip_address=ip)
        if refused:
            # Checked before the password: a refused guesser learns nothing, not even from the
            # right password. The same words whether or not the account exists.
            return _throttled(request, "accounts/login.html", {"form": form, "next": next_url}, refused)
        user = authenticate(request, username=identifier, password=form.cleaned_data["password"])
        if user is None:
            actions.record_failed_login(username=key, ip_address=ip)
            form.add_error(None, _("E-mail/nomor ponsel/nama pengguna atau kata sandi salah."))
        elif twofactor.has_confirmed_device(user):
            _start_second_step(request, user, username=key, next_url=next_url)
            return redirect("accounts:login-token")
        else:
            return _finish_login(request, user, username=key, ip_address=ip, next_url=next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def login_token_view(request):
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_LIFETIME_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        messages.error(request, _("Sesi masuk sudah berakhir. Silakan masuk lagi."))
        return redirect("accounts:login")
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        return redirect("accounts:login")

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = throttle.client_ip(request)
        refused = throttle.refusal(scope="login", subject=pending["username"], ip_address=ip)
        if refused:
            return _throttled(request, "accounts/login_token.html", {"form": form}, refused)
        device = actions.verify_second_factor(user=user, token=form.cleaned_data["token"])
        if device is None:
            actions.record_failed_login(username=pending["username"], ip_address=ip)
            form.add_error(
                "token", _("Kode salah atau sudah kedaluwarsa. Periksa jam di ponsel Anda, lalu coba lagi.")
            )
        else:
            del request.session[PENDING_SESSION_KEY]
            user.backend = pending["backend"]
            return _finish_login(
                request,
                user,
                username=pending["username"],
                ip_address=ip,
                next_url=pending["next"],
                device=device,
            )
    return render(request, "accounts/login_token.html", {"form": form})


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.success(request, _("Anda sudah keluar."))
    return redirect("/")


# --- Registration and contacts -----------------------------------------------------------------------


@sensitive_post_parameters("password", "password_confirm")
@csrf_protect
@never_cache
def register_view(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        language = translation.get_language()
        try:
            user = actions.register_citizen(
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                password=data["password"],
                preferred_language=language if language in dict(settings.LANGUAGES) else None,
                ip_address=throttle.client_ip(request),
            )
        except ValidationError as exc:
            _add_action_errors(form, exc)
        else:
            # The same answer whether an account was made (user) or the contact already had one
            # (None: its owner was told by message), so nobody can probe who is registered.
            del user
            messages.success(
                request,
                _(
                    "Periksa kotak masuk e-mail atau SMS Anda: kami sudah mengirim langkah "
                    "berikutnya. Lalu masuk dengan e-mail/nomor ponsel dan kata sandi Anda untuk "
                    "memasukkan kode verifikasi."
                ),
            )
            return redirect(reverse("accounts:login") + "?next=" + reverse("accounts:verify"))
    return render(request, "accounts/register.html", {"form": form})


SESSION_RESET_IDENTIFIER = "accounts_reset_identifier"


@never_cache
def password_reset_request_view(request):
    """Step 1 of a forgotten password: the citizen gives a verified e-mail address or phone.

    The answer is the same whether or not an account has it (nobody can probe who is registered);
    the identifier waits in the session for step 2.
    """
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        try:
            actions.request_password_reset(identifier=identifier, ip_address=throttle.client_ip(request))
        except ValidationError as exc:
            _add_action_errors(form, exc)
        else:
            request.session[SESSION_RESET_IDENTIFIER] = identifier
            messages.info(
                request,
                _(
                    "Bila e-mail atau nomor itu terverifikasi di sebuah akun, kodenya sudah kami kirim. "
                    "Kode berlaku 10 menit."
                ),
            )
            return redirect("accounts:password-reset-confirm")
    return render(request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@sensitive_post_parameters("password", "password_confirm")
def password_reset_confirm_view(request):
    """Step 2: the code that was sent, and the new password; then the citizen logs in with it."""
    identifier = request.session.get(SESSION_RESET_IDENTIFIER)
    if not identifier:
        return redirect("accounts:password-reset")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.reset_password(
                identifier=identifier,
                code=data["code"],
                password=data["password"],
                ip_address=throttle.client_ip(request),
            )
        except ValidationError as exc:
            _add_action_errors(form, exc)
        else:
            request.session.pop(SESSION_RESET_IDENTIFIER, None)
            if request.user.is_authenticated:
                auth_logout(request)
            messages.success(
                request, _("Kata sandi Anda sudah diganti. Silakan masuk dengan kata sandi baru.")
            )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"form": form, "identifier": identifier},
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def verify_view(request):
    user = request.user
    bound = None
    if request.method == "POST":
        bound = VerifyCodeForm(request.POST, auto_id=f"id_{request.POST.get('purpose', '')}_%s")
        if bound.is_valid():
            purpose = bound.cleaned_data["purpose"]
            try:
                actions.confirm_verification_code(user=user, purpose=purpose, code=bound.cleaned_data["code"])
            except ValidationError as exc:
                bound.add_error("code", exc)
            else:
                messages.success(request, _("Terima kasih, kontak Anda sudah terverifikasi."))
                return redirect("accounts:verify")
    contacts = _contacts(user, bound)
    return render(
        request,
        "accounts/verify.html",
        {"contacts": contacts, "all_verified": all(c["verified_at"] for c in contacts)},
        status=400 if bound is not None and bound.errors else 200,
    )


@login_required
@require_POST
def resend_code_view(request):
    form = ResendCodeForm(request.POST)
    if form.is_valid():
        try:
            actions.send_verification_code(user=request.user, purpose=form.cleaned_data["purpose"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Kode baru sudah dikirim. Kode lama tidak berlaku lagi."))
    return redirect("accounts:verify")


@login_required
@never_cache
def profile_view(request):
    user = request.user
    form = ProfileForm.for_user(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(user=user, **form.cleaned_data)
        except ValidationError as exc:
            _add_action_errors(form, exc)
        else:
            translation.activate(user.preferred_language)
            messages.success(request, _("Profil Anda sudah disimpan."))
            unverified = (user.email and not user.email_verified_at) or (
                user.phone and not user.phone_verified_at
            )
            response = redirect("accounts:verify" if unverified else "accounts:profile")
            _set_language_cookie(response, user.preferred_language)
            return response
    context = {
        "form": form,
        "may_enrol": twofactor.may_enrol(user),
        "has_device": twofactor.has_confirmed_device(user),
    }
    return render(request, "accounts/profile.html", context, status=400 if form.errors else 200)


# --- Two-factor set-up (officers) --------------------------------------------------------------------


@login_required
@sensitive_post_parameters("token")
@never_cache
def totp_setup_view(request):
    user = request.user
    if not twofactor.may_enrol(user):
        raise PermissionDenied(_("Verifikasi dua langkah hanya untuk akun petugas."))
    confirm_form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and confirm_form.is_valid():
        try:
            device = actions.confirm_totp_device(user=user, token=confirm_form.cleaned_data["token"])
        except ValidationError as exc:
            confirm_form.add_error("token", exc)
        else:
            # This session has just proved the device; it counts as verified from now on.
            otp_login(request, device)
            messages.success(
                request, _("Verifikasi dua langkah aktif. Mulai sekarang, masuk memerlukan kode.")
            )
            return redirect("accounts:totp-setup")
    device = None if twofactor.has_confirmed_device(user) else twofactor.pending_device(user)
    context = {
        "active": twofactor.has_confirmed_device(user),
        "device": device,
        "start_form": TotpStartForm(),
        "confirm_form": confirm_form,
    }
    if device is not None:
        context["secret"] = twofactor.secret_text(device)
        context["qr_svg"] = twofactor.qr_code_svg(device.config_url)
    return render(request, "accounts/totp_setup.html", context, status=400 if confirm_form.errors else 200)


@login_required
@require_POST
@sensitive_post_parameters("password")
def totp_start_view(request):
    user = request.user
    if not twofactor.may_enrol(user):
        raise PermissionDenied(_("Verifikasi dua langkah hanya untuk akun petugas."))
    form = TotpStartForm(request.POST)
    key = throttle.throttle_key(user.get_username())
    ip = throttle.client_ip(request)
    refused = throttle.refusal(scope="login", subject=key, ip_address=ip)
    if refused:
        messages.error(request, throttle_message(refused))
    elif not form.is_valid():
        messages.error(request, _("Masukkan kata sandi Anda."))
    elif not user.check_password(form.cleaned_data["password"]):
        # Someone at an unlocked, logged-in computer must not tie the account to their own phone.
        actions.record_failed_login(username=key, ip_address=ip)
        messages.error(request, _("Kata sandi salah."))
    else:
        try:
            actions.start_totp_enrolment(user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("accounts:totp-setup")


# --- Helpers -----------------------------------------------------------------------------------------


def _next_url(request):
    """The page that asked for the login, when it is a path on this site; "" otherwise.

    Only a relative path is followed: not another host, not this host spelled out in full (the
    Host header is the client's to choose), not a scheme-relative `//host` or `/\\host` that
    browsers read as another site."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")) or not candidate.isprintable():
        return ""
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set(), require_https=True):
        return ""
    if candidate.startswith(reverse("accounts:logout")):
        return ""  # a POST-only page: landing there would be an error
    return candidate


def _needs_token_now(user):
    return bool(
        user.is_authenticated
        and hasattr(user, "is_verified")
        and not user.is_verified()
        and twofactor.has_confirmed_device(user)
    )


def _start_second_step(request, user, *, username, next_url):
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", None)
        or request.session.get(BACKEND_SESSION_KEY)
        or DEFAULT_BACKEND,
        "username": username,
        "next": next_url,
        "at": time.time(),
    }


def _finish_login(request, user, *, username, ip_address, next_url, device=None):
    auth_login(request, user)
    if device is not None:
        otp_login(request, device)
    actions.record_successful_login(
        user=user, username=username, ip_address=ip_address, second_factor=device is not None
    )
    if device is None and access.needs_second_factor(user):
        # Enrol before anything else (SecondFactorMiddleware holds every other page until then).
        messages.warning(
            request,
            _(
                "Peran Anda mewajibkan verifikasi dua langkah. "
                "Daftarkan aplikasi autentikator untuk melanjutkan."
            ),
        )
        response = redirect("accounts:totp-setup")
        _set_language_cookie(response, user.preferred_language)
        return response
    if device is None and twofactor.may_enrol(user):
        messages.info(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Akun petugas sebaiknya dilindungi verifikasi dua langkah."),
                reverse("accounts:totp-setup"),
                _("Aktifkan sekarang"),
            ),
        )
    response = redirect(next_url or landing_url(user))
    _set_language_cookie(response, user.preferred_language)
    return response


def landing_url(user):
    """Where `user` lands after signing in when no page asked for the login.

    Each role lands where its work is: pimpinan and auditors (read-only) on their dashboard, a
    sysadmin (directory only, no queue) on the admin, other officers on their workbench, citizens
    on their own reports (/saya/). Someone who also works a queue lands on the queue.
    """
    roles = {r.role for r in access.roles_of(user)}
    if not roles:
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    if roles <= access.READ_ONLY_ROLES:
        return reverse("insights:overview")
    if roles == {Role.SYSADMIN} and user.is_staff:
        return reverse("admin:index")
    return reverse("workbench:index")


def throttle_message(refused):
    """What a refused login is told: a short wait when only slowed down, the window when locked."""
    if not refused.locked:
        return _("Terlalu banyak percobaan yang gagal. Tunggu %(seconds)d detik, lalu coba lagi.") % {
            "seconds": refused.retry_after
        }
    minutes = max(1, -(-settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60))  # rounded up
    return _(
        "Terlalu banyak percobaan masuk yang gagal. Demi keamanan, silakan coba lagi dalam %(minutes)d menit."
    ) % {"minutes": minutes}


def _throttled(request, template, context, refused):
    response = render(request, template, {**context, "throttled": throttle_message(refused)}, status=429)
    response["Retry-After"] = str(refused.retry_after)
    # Expected and possibly many: not worth a WARNING line from django.request each.
    response._has_been_logged = True
    return response


def _set_language_cookie(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _add_action_errors(form, exc):
    """Put an action's ValidationError next to the form fields it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


def _contacts(user, bound_form):
    labels = {
        OneTimeCode.Purpose.VERIFY_EMAIL: _("Alamat e-mail"),
        OneTimeCode.Purpose.VERIFY_PHONE: _("Nomor ponsel"),
    }
    contacts = []
    for purpose, (field, verified_field, _channel) in actions.CONTACTS.items():
        value = getattr(user, field)
        if not value:
            continue
        if bound_form is not None and bound_form.data.get("purpose") == purpose:
            form = bound_form
        else:
            form = VerifyCodeForm(initial={"purpose": purpose}, auto_id=f"id_{purpose}_%s")
        contacts.append(
            {
                "purpose": purpose,
                "label": labels[purpose],
                "value": value,
                "verified_at": getattr(user, verified_field),
                "form": form,
            }
        )
    return contacts
