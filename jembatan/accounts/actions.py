"""Every change to an account: registration, contact verification, profile, login bookkeeping, 2FA.

Each action checks that the change is legal (raising ValidationError with a message in the user's
language), changes state inside transaction.atomic(), writes the AccountEvent in the same
transaction, and hands messages to the notify outbox, which delivers them once the transaction
commits.
"""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts import access, ratelimit, throttle, twofactor
from jembatan.accounts import audit as _audit
from jembatan.accounts.models import (
    AccountEvent,
    AuditRecord,
    LoginAttempt,
    OneTimeCode,
    Role,
    StaffRole,
    User,
)
from jembatan.notify import actions as notify
from jembatan.notify.phones import normalize_phone

Purpose = OneTimeCode.Purpose

# purpose -> (User field holding the contact, field stamped once it is verified, outbox channel)
CONTACTS = {
    Purpose.VERIFY_EMAIL: ("email", "email_verified_at", "email"),
    Purpose.VERIFY_PHONE: ("phone", "phone_verified_at", "sms"),
}

# Kinds of rate-limit hits counted here (the portal counts its own kinds in the same table).
HIT_RESET = "reset"
HIT_REGISTER = "register"

# How long failed logins are kept for the admin's list; the throttle itself only looks back
# LOGIN_THROTTLE_WINDOW_SECONDS.
LOGIN_ATTEMPT_RETENTION = timedelta(days=30)


# --- Registration and contacts ---------------------------------------------------------------------


def register_citizen(*, full_name, password, email="", phone="", preferred_language=None, ip_address=None):
    """Create a citizen account and send a verification code to each contact given.

    Whether a contact already has an account is never told to the one registering: when the
    e-mail address or phone is taken, no account is made, the owner of that contact is told by
    message (someone tried to register with it; log in or reset the password), and None is
    returned, which the caller answers exactly like a new account ("check your inbox").

    At most ACCOUNTS_REGISTER_LIMIT_PER_IP attempts an hour from one address (generous: offices and
    mobile networks put many people behind one address), so a script can neither mass-produce
    accounts nor probe which contacts are registered.
    """
    # Every attempt counts (a refused one too): "already registered" answers must not be farmed.
    if _limited(HIT_REGISTER, ip_address, settings.ACCOUNTS_REGISTER_LIMIT_PER_IP):
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Terlalu banyak pendaftaran dari alamat ini. Coba lagi dalam satu jam.")]},
            code="rate_limited",
        )
    full_name = " ".join((full_name or "").split())
    email, phone, errors = _clean_contacts(email=email, phone=phone)
    taken = {
        field: errors.pop(field)
        for field in ("email", "phone")
        if field in errors and errors[field][0].code in ("email_taken", "phone_taken")
    }
    if not full_name:
        errors.setdefault("full_name", []).append(_("Nama wajib diisi."))
    language = _clean_language(preferred_language or settings.LANGUAGE_CODE, errors)
    user = User(
        username=_new_username(), full_name=full_name, email=email, phone=phone, preferred_language=language
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if errors:
        raise ValidationError(errors)

    # Hashed in both cases, so the answer takes as long whether or not the contact was taken.
    user.set_password(password)
    now = timezone.now()
    if taken:
        _tell_owners_of_attempt(
            email=email if "email" in taken else "", phone=phone if "phone" in taken else ""
        )
        return None
    with transaction.atomic():
        _save_contacts(user)
        AccountEvent.objects.create(
            user=user,
            kind=AccountEvent.Kind.REGISTERED,
            ip_address=ip_address,
            data={"email": bool(email), "phone": bool(phone)},
        )
        for purpose, (field, _verified, _channel) in CONTACTS.items():
            if getattr(user, field):
                _issue_code(user=user, purpose=purpose, now=now)
    return user


def _tell_owners_of_attempt(*, email, phone):
    """Tell the owner of each taken contact that someone tried to register with it."""
    from jembatan.notify import actions as notify

    for channel, field, value in (("email", "email", email), ("sms", "phone", phone)):
        owner = User.objects.filter(**{field: value}).first() if value else None
        if owner is None:
            continue
        notify.queue_message(
            channel=channel,
            recipient=value,
            template="registration_attempt",
            context={
                "login_url": settings.SITE_URL + reverse("accounts:login"),
                "reset_url": settings.SITE_URL + reverse("accounts:password-reset"),
            },
            language=owner.preferred_language,
            user=owner,
        )


def send_verification_code(*, user, purpose):
    """Send a fresh one-time code to the user's e-mail address or phone, replacing any earlier one."""
    purpose = Purpose(purpose)
    field, verified_field, _channel = CONTACTS[purpose]
    if not getattr(user, field):
        raise ValidationError(_missing_contact_message(purpose), code="no_contact")
    if getattr(user, verified_field):
        raise ValidationError(_("Kontak ini sudah terverifikasi."), code="already_verified")
    now = timezone.now()
    with transaction.atomic():
        # Lock the user row: two quick clicks must not both slip under the resend limits.
        User.objects.select_for_update().filter(pk=user.pk).first()
        _check_send_limits(user=user, purpose=purpose, now=now)
        return _issue_code(user=user, purpose=purpose, now=now)


def _last_unused_code(user, purpose):
    """The code last sent to `user` for `purpose` and not used yet, locked (only that one counts)."""
    return (
        OneTimeCode.objects.select_for_update()
        .filter(user=user, purpose=purpose, used_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def confirm_verification_code(*, user, purpose, code):
    """Mark the user's e-mail address or phone verified if `code` is the one last sent to it."""
    purpose = Purpose(purpose)
    field, verified_field, _channel = CONTACTS[purpose]
    if getattr(user, verified_field):
        raise ValidationError(_("Kontak ini sudah terverifikasi."), code="already_verified")
    code = re.sub(r"\s", "", str(code or ""))
    now = timezone.now()
    error = None
    # The failed attempt must be counted even though the caller gets an error, so nothing is raised
    # inside the transaction (that would roll the count back): decide, commit, then raise.
    with transaction.atomic():
        otc = _last_unused_code(user, purpose)
        if otc is None or otc.is_expired(now) or otc.destination != getattr(user, field):
            error = ValidationError(
                _("Kode sudah kedaluwarsa atau tidak berlaku lagi. Mintalah kode baru."), code="expired"
            )
        elif otc.attempts >= OneTimeCode.MAX_ATTEMPTS:
            error = ValidationError(
                _("Kode salah terlalu sering. Mintalah kode baru."), code="too_many_attempts"
            )
        else:
            otc.attempts += 1
            expected = _hash_code(purpose=purpose, destination=otc.destination, code=code)
            if constant_time_compare(otc.code_hash, expected):
                otc.used_at = now
                setattr(user, verified_field, now)
                user.save(update_fields=[verified_field, "updated_at"])
                AccountEvent.objects.create(
                    user=user, kind=AccountEvent.Kind.CONTACT_VERIFIED, data={"purpose": str(purpose)}
                )
            else:
                left = OneTimeCode.MAX_ATTEMPTS - otc.attempts
                if left:
                    message = ngettext(
                        "Kode salah. Sisa %(count)d percobaan.", "Kode salah. Sisa %(count)d percobaan.", left
                    ) % {"count": left}
                else:
                    message = _("Kode salah terlalu sering. Mintalah kode baru.")
                error = ValidationError(message, code="wrong_code")
            otc.save(update_fields=["attempts", "used_at"])
    if error is not None:
        raise error


def update_profile(
    *, user, full_name, email, phone, preferred_language, notify_by_email, notify_by_sms, notify_by_whatsapp
):
    """Change the user's name, contacts, language and notification choices.

    A changed e-mail address or phone becomes unverified and gets a fresh code.
    """
    full_name = " ".join((full_name or "").split())
    email, phone, errors = _clean_contacts(email=email, phone=phone, exclude_user=user)
    if not full_name:
        errors.setdefault("full_name", []).append(_("Nama wajib diisi."))
    language = _clean_language(preferred_language, errors)
    if notify_by_email and not email:
        errors.setdefault("notify_by_email", []).append(
            _("Isi alamat e-mail untuk menerima kabar lewat e-mail.")
        )
    if notify_by_sms and not phone:
        errors.setdefault("notify_by_sms", []).append(_("Isi nomor ponsel untuk menerima kabar lewat SMS."))
    if notify_by_whatsapp and not phone:
        errors.setdefault("notify_by_whatsapp", []).append(
            _("Isi nomor ponsel untuk menerima kabar lewat WhatsApp.")
        )
    if errors:
        raise ValidationError(errors)

    new_values = {
        "full_name": full_name,
        "email": email,
        "phone": phone,
        "preferred_language": language,
        "notify_by_email": bool(notify_by_email),
        "notify_by_sms": bool(notify_by_sms),
        "notify_by_whatsapp": bool(notify_by_whatsapp),
    }
    changed = [name for name, value in new_values.items() if getattr(user, name) != value]
    if not changed:
        return user
    changed_contacts = [p for p, (field, _v, _c) in CONTACTS.items() if field in changed]
    now = timezone.now()
    with transaction.atomic():
        for name, value in new_values.items():
            setattr(user, name, value)
        for purpose in changed_contacts:
            setattr(user, CONTACTS[purpose][1], None)
        try:
            _save_contacts(user)
        except ValidationError:
            user.refresh_from_db()
            raise
        # Codes sent to the old address must not verify the new one.
        OneTimeCode.objects.filter(
            user=user, purpose__in=changed_contacts, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        # Field names only: the log must not become a second copy of the personal data.
        AccountEvent.objects.create(
            user=user, kind=AccountEvent.Kind.PROFILE_UPDATED, data={"fields": changed}
        )
        for purpose in changed_contacts:
            if not getattr(user, CONTACTS[purpose][0]):
                continue
            try:
                # A new address deserves its code at once, so only the hourly cap applies here.
                _check_send_limits(user=user, purpose=purpose, now=now, cooldown=False)
            except ValidationError:
                continue  # the change stands; the citizen can ask for a code again on the verification page
            _issue_code(user=user, purpose=purpose, now=now)
    return user


# --- Forgotten password ------------------------------------------------------------------------------


def _reset_contact(identifier):
    """(user, destination, channel) for an active citizen account whose VERIFIED e-mail or phone is
    `identifier`, or None. A malformed identifier raises ValidationError (that says nothing about
    any account); an unknown or unverified one is None, indistinguishable to the caller's user."""
    identifier = (identifier or "").strip()
    invalid = ValidationError(
        {"identifier": [_("Isi alamat e-mail atau nomor ponsel yang valid.")]}, code="invalid"
    )
    if not identifier or len(identifier) > 254:
        raise invalid
    if "@" in identifier:
        email = identifier.lower()
        try:
            validate_email(email)
        except ValidationError:
            raise invalid from None
        user = _citizens().filter(email=email, email_verified_at__isnull=False).first()
        return (user, email, "email") if user else None
    try:
        phone = normalize_phone(identifier)
    except ValidationError:
        raise invalid from None
    user = _citizens().filter(phone=phone, phone_verified_at__isnull=False).first()
    return (user, phone, "sms") if user else None


def _citizens():
    """Accounts a forgotten password may be reset for from the public page: active citizens.
    Officers and administrators are reset by a sysadmin (their accounts open personal data)."""
    return User.objects.filter(is_active=True, is_staff=False, is_superuser=False, staff_roles__isnull=True)


def _limited(kind, ip_address, limit):
    """Count this request from `ip_address` and say whether the hour's `limit` was already reached.

    The count stands even when the caller then fails (it is written before the caller's work)."""
    if not ip_address:
        return False
    counts = ratelimit.counter()
    if counts.count(kind, ip_address, window=3600) >= limit:
        return True
    counts.add(kind, ip_address, window=3600)
    return False


def _reset_limit_per_ip():
    return settings.ACCOUNTS_RESET_LIMIT_PER_IP


# Reset codes per account in a day, on top of the hourly limits: 5 tries a code makes guessing a
# code hopeless only if the codes themselves are few.
RESET_CODES_PER_DAY = 10


def request_password_reset(*, identifier, ip_address=None):
    """Send a code to set a new password to the verified e-mail address or phone `identifier`.

    Whether an account has it is never revealed: the caller says the same thing either way, and
    the limits (one code a minute, five an hour and ten a day per account; ACCOUNTS_RESET_LIMIT_PER_IP
    requests an hour per address, counted whether or not they match an account) are applied
    silently. Officers' and administrators' accounts are not reset here. Only verified contacts
    get a code, so a contact someone typed into an account without proving it cannot be used to
    take that account over. Returns the OneTimeCode sent, or None.
    """
    contact = _reset_contact(identifier)
    # Every well-formed request counts against the address, whether or not it matched an account.
    if _limited(HIT_RESET, ip_address, _reset_limit_per_ip()) or contact is None:
        return None
    user, destination, channel = contact
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        try:
            _check_send_limits(user=user, purpose=Purpose.RESET_PASSWORD, now=now)
        except ValidationError:
            return None
        today = OneTimeCode.objects.filter(
            user=user, purpose=Purpose.RESET_PASSWORD, created_at__gt=now - timedelta(days=1)
        )
        if today.count() >= RESET_CODES_PER_DAY:
            return None
        AccountEvent.objects.create(
            user=user,
            kind=AccountEvent.Kind.RESET_REQUESTED,
            ip_address=ip_address,
            data={"channel": channel},
        )
        return _issue_code(
            user=user,
            purpose=Purpose.RESET_PASSWORD,
            now=now,
            destination=destination,
            channel=channel,
            template="password_reset_code",
        )


def reset_password(*, identifier, code, password, ip_address=None):
    """Set a new password with the code request_password_reset sent; returns the user.

    A wrong code counts against the code (five tries); an unknown identifier gets the same answer
    as a wrong code. Setting the password ends the account's other sessions (Django's session
    hash) and voids any other reset code.
    """
    wrong = _("Kode salah atau sudah kedaluwarsa. Mintalah kode baru.")
    contact = _reset_contact(identifier)
    # Checked against nobody's details first, so the answer says nothing about whether the
    # account exists; checked against the account's own details once the code has proved it.
    try:
        password_validation.validate_password(password, User())
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    if contact is None:
        raise ValidationError({"code": [wrong]}, code="wrong_code")
    user, destination, _channel = contact
    code = re.sub(r"\s", "", str(code or ""))
    now = timezone.now()
    error = None
    # As in confirm_verification_code: the failed attempt is committed, then the error raised.
    with transaction.atomic():
        otc = _last_unused_code(user, Purpose.RESET_PASSWORD)
        if otc is None or otc.is_expired(now) or otc.destination != destination:
            error = ValidationError({"code": [wrong]}, code="expired")
        elif otc.attempts >= OneTimeCode.MAX_ATTEMPTS:
            error = ValidationError({"code": [wrong]}, code="wrong_code")  # as for an unknown contact
        else:
            expected = _hash_code(purpose=Purpose.RESET_PASSWORD, destination=otc.destination, code=code)
            right = constant_time_compare(otc.code_hash, expected)
            too_close = None
            if right:
                try:
                    password_validation.validate_password(password, user)
                except ValidationError as exc:
                    too_close = exc  # the code stays good (and unspent) for a better password
            if right and too_close is not None:
                error = ValidationError({"password": too_close.error_list})
            elif right:
                otc.attempts += 1
                otc.used_at = now
                user.set_password(password)
                user.save(update_fields=["password"])
                # An intruder's citizen API tokens die with the old password, like its sessions.
                user.api_keys.filter(is_active=True).update(is_active=False, revoked_at=now)
                OneTimeCode.objects.filter(
                    user=user, purpose=Purpose.RESET_PASSWORD, used_at__isnull=True, expires_at__gt=now
                ).exclude(pk=otc.pk).update(expires_at=now)
                AccountEvent.objects.create(
                    user=user, kind=AccountEvent.Kind.PASSWORD_RESET, ip_address=ip_address
                )
            else:
                otc.attempts += 1
                error = ValidationError({"code": [wrong]}, code="wrong_code")
            otc.save(update_fields=["attempts", "used_at"])
    if error is not None:
        raise error
    return user


# --- Login bookkeeping -------------------------------------------------------------------------------


def record_failed_login(*, username, ip_address):
    """Count one failed login against this login name from this address, and log it."""
    throttle.count_failure(scope="login", subject=username, ip_address=ip_address)
    return LoginAttempt.objects.create(username=(username or "")[:254], ip_address=ip_address or None)


def record_successful_login(*, user, username, ip_address, second_factor=False):
    """Clear the failures counted against this login name from this address and log the login."""
    with transaction.atomic():
        throttle.clear_failures(scope="login", subject=username, ip_address=ip_address)
        AccountEvent.objects.create(
            user=user,
            kind=AccountEvent.Kind.LOGGED_IN,
            ip_address=ip_address or None,
            data={"second_factor": bool(second_factor)},
        )


def prune_login_attempts(*, now=None):
    """Delete failed-login records older than the retention period, and rate counts older than a
    day; return how many failed-login records went."""
    now = now or timezone.now()
    deleted, _detail = LoginAttempt.objects.filter(created_at__lt=now - LOGIN_ATTEMPT_RETENTION).delete()
    # No limit counts further back than a day.
    ratelimit.counter().prune(older_than=(now - timedelta(days=1)).timestamp())
    return deleted


# --- Two-factor (TOTP) -------------------------------------------------------------------------------


def start_totp_enrolment(*, user):
    """Create a fresh unconfirmed authenticator for an officer, replacing an unfinished one."""
    if not twofactor.may_enrol(user):
        raise ValidationError(_("Verifikasi dua langkah hanya untuk akun petugas."), code="not_staff")
    if twofactor.has_confirmed_device(user):
        raise ValidationError(_("Verifikasi dua langkah sudah aktif untuk akun ini."), code="already_active")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=_("Aplikasi autentikator"), confirmed=False)
        AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.TOTP_STARTED)
    return device


def confirm_totp_device(*, user, token):
    """Activate the user's pending authenticator once it produces a valid token."""
    token = re.sub(r"\s", "", str(token or ""))
    error = None
    # As with codes: the device's failure counter (its back-off) must survive the error, so the
    # transaction commits before anything is raised.
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            error = ValidationError(_("Mulai pendaftaran autentikator terlebih dahulu."), code="no_device")
        elif device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.TOTP_CONFIRMED)
        else:
            error = ValidationError(
                _("Kode salah. Periksa jam di ponsel Anda, lalu masukkan kode yang sedang tampil."),
                code="wrong_token",
            )
    if error is not None:
        raise error
    return device


def verify_second_factor(*, user, token):
    """Check a login token against the user's confirmed authenticators; return the one that matched."""
    token = re.sub(r"\s", "", str(token or ""))
    # Locked rows: the same token submitted twice at once must not log in twice (django-otp records
    # the last used time step on the device to refuse replays).
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            if device.verify_token(token):
                return device
    return None


# --- Helpers -----------------------------------------------------------------------------------------


def _clean_contacts(*, email, phone, exclude_user=None):
    """Normalise and check an e-mail address and phone; return (email, phone, errors by field)."""
    errors = {}
    email = (email or "").strip().lower()
    raw_phone = (phone or "").strip()
    phone = ""
    others = User.objects.exclude(pk=exclude_user.pk) if exclude_user is not None else User.objects.all()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [ValidationError(_("Alamat e-mail tidak valid."), code="invalid_email")]
        else:
            if others.filter(email=email).exists():
                errors["email"] = [
                    ValidationError(_("Alamat e-mail ini sudah terdaftar."), code="email_taken")
                ]
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except ValidationError as exc:
            errors["phone"] = exc.error_list
        else:
            if others.filter(phone=phone).exists():
                errors["phone"] = [
                    ValidationError(_("Nomor ponsel ini sudah terdaftar."), code="phone_taken")
                ]
    if not email and not raw_phone:
        errors[NON_FIELD_ERRORS] = [
            ValidationError(_("Isi alamat e-mail atau nomor ponsel (boleh keduanya)."), code="no_contact")
        ]
    return email, phone, errors


def _clean_language(language, errors):
    if language in dict(settings.LANGUAGES):
        return language
    errors.setdefault("preferred_language", []).append(_("Pilih bahasa yang tersedia."))
    return settings.LANGUAGE_CODE


def _save_contacts(user):
    """Save the user; a contact taken between the check and the save becomes a form error."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # The unique constraints on e-mail and phone decide races the earlier check cannot see.
        raise ValidationError(
            _("Alamat e-mail atau nomor ponsel ini baru saja didaftarkan oleh akun lain."),
            code="contact_taken",
        ) from None


def _new_username():
    # Citizens log in with their e-mail or phone; the username is an internal handle that must
    # not leak either of them.
    while True:
        username = f"warga-{secrets.token_hex(5)}"
        if not User.objects.filter(username=username).exists():
            return username


def _missing_contact_message(purpose):
    if purpose == Purpose.VERIFY_EMAIL:
        return _("Akun ini belum memiliki alamat e-mail.")
    return _("Akun ini belum memiliki nomor ponsel.")


def _check_send_limits(*, user, purpose, now, cooldown=True):
    recent = OneTimeCode.objects.filter(user=user, purpose=purpose, created_at__gt=now - timedelta(hours=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if cooldown and last is not None and last > now - OneTimeCode.RESEND_INTERVAL:
        raise ValidationError(_("Tunggu satu menit sebelum meminta kode baru."), code="rate_limited")
    if recent.count() >= OneTimeCode.MAX_PER_HOUR:
        raise ValidationError(
            _("Terlalu banyak permintaan kode. Silakan coba lagi dalam satu jam."), code="rate_limited"
        )


def _hash_code(*, purpose, destination, code):
    # Keyed with SECRET_KEY (salted_hmac), and bound to purpose and destination: a stolen database
    # alone does not reveal codes, and a code sent to one address cannot verify another.
    return salted_hmac(
        "jembatan.accounts.OneTimeCode", f"{purpose}:{destination}:{code}", algorithm="sha256"
    ).hexdigest()


def _issue_code(*, user, purpose, now, destination=None, channel=None, template="one_time_code"):
    if destination is None:
        field, _verified, channel = CONTACTS[purpose]
        destination = getattr(user, field)
    code = f"{secrets.randbelow(1_000_000):06d}"
    # A new code replaces the old one: whatever was sent before stops working now.
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    otc = OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        destination=destination,
        code_hash=_hash_code(purpose=purpose, destination=destination, code=code),
        expires_at=now + OneTimeCode.LIFETIME,
    )
    notify.queue_message(
        channel=channel,
        recipient=destination,
        template=template,
        context={"code": code, "minutes": int(OneTimeCode.LIFETIME.total_seconds() // 60)},
        language=user.preferred_language,
        user=user,
    )
    return otc


# --- Who may do what: staff roles and admin access -----------------------------------------------------
#
# Every grant and revocation is checked against the actor's own power (access.can_grant_role) and
# leaves an AuditRecord in the same transaction. A role is revoked by deactivating it, so the
# record of who held what stays readable.

NATIONAL_ONLY_ROLES = {Role.ADMIN_NASIONAL, Role.SYSADMIN}
ADMIN_ACCESS_FIELDS = ["is_active", "is_staff", "is_superuser"]


def _role_snapshot(staff_role):
    return {
        "user": f"{staff_role.user_id}: {staff_role.user.get_username()}",
        "role": staff_role.role,
        "agency": f"{staff_role.agency_id}: {staff_role.agency}" if staff_role.agency_id else None,
        "is_active": staff_role.is_active,
    }


def grant_staff_role(*, actor, user, role, agency=None):
    """Give `user` a staff role scoped to `agency` (None = national); return the StaffRole."""
    if role not in Role.values:
        raise ValidationError({"role": _("Peran tidak dikenal.")})
    role = Role(role)
    if role in NATIONAL_ONLY_ROLES and agency is not None:
        raise ValidationError(
            {"agency": _("Peran nasional tidak dibatasi pada satu instansi; kosongkan instansi.")}
        )
    if role not in NATIONAL_ONLY_ROLES | {Role.AUDITOR} and agency is None:
        raise ValidationError({"agency": _("Peran ini harus dibatasi pada satu instansi.")})
    access.require(
        actor is None or access.can_grant_role(actor, role, agency),
        _("Anda tidak dapat memberikan peran ini pada instansi ini."),
    )
    if not user.is_active:
        raise ValidationError({"user": _("Akun ini tidak aktif.")})
    with transaction.atomic():
        staff_role, created = StaffRole.objects.select_for_update().get_or_create(
            user=user, role=role, agency=agency, defaults={"is_active": True}
        )
        if not created:
            if staff_role.is_active:
                return staff_role
            staff_role.is_active = True
            staff_role.save(update_fields=["is_active"])
        _audit.record_change(
            actor=actor,
            kind=AuditRecord.Kind.ROLE_GRANTED,
            obj=staff_role,
            after=_role_snapshot(staff_role),
            agency=agency,
        )
    access.forget_roles(user)
    return staff_role


def revoke_staff_role(*, actor, staff_role):
    """Take a staff role away (it stays in the history, inactive)."""
    with transaction.atomic():
        current = (
            StaffRole.objects.select_for_update(of=("self",))
            .select_related("user", "agency")
            .get(pk=staff_role.pk)
        )
        access.require(
            actor is None or access.can_grant_role(actor, current.role, current.agency),
            _("Anda tidak dapat mencabut peran ini."),
        )
        if not current.is_active:
            return current
        before = _role_snapshot(current)
        current.is_active = False
        current.save(update_fields=["is_active"])
        _audit.record_change(
            actor=actor,
            kind=AuditRecord.Kind.ROLE_REVOKED,
            obj=current,
            before=before,
            after=_role_snapshot(current),
            agency=current.agency,
        )
    staff_role.is_active = False
    access.forget_roles(current.user)
    return current


def change_admin_access(*, actor, user, groups=None, user_permissions=None, **flags):
    """Change an account's Django admin access: active, staff and superuser flags, groups and
    permissions. Only a sysadmin may; only a superuser makes another superuser."""
    unknown = set(flags) - set(ADMIN_ACCESS_FIELDS)
    if unknown:
        raise TypeError(f"change_admin_access() got unexpected fields: {sorted(unknown)}")
    access.require(
        actor is None or access.can_manage_accounts(actor),
        _("Hanya sysadmin yang dapat mengubah hak akses admin."),
    )
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(current, name) for name in ADMIN_ACCESS_FIELDS}
        before["groups"] = sorted(current.groups.values_list("name", flat=True))
        before["user_permissions"] = sorted(current.user_permissions.values_list("codename", flat=True))
        after = dict(before)
        for name, value in flags.items():
            if value is not None:
                after[name] = bool(value)
        if groups is not None:
            after["groups"] = sorted(g.name for g in groups)
        if user_permissions is not None:
            after["user_permissions"] = sorted(p.codename for p in user_permissions)
        before, after = _audit.changed_fields(before, after)
        if not after:
            return current
        if "is_superuser" in after:
            access.require(
                actor is None or actor.is_superuser,
                _("Hanya superuser yang dapat memberikan atau mencabut status superuser."),
            )
        changed_flags = [name for name in ADMIN_ACCESS_FIELDS if name in after]
        for name in changed_flags:
            setattr(current, name, after[name])
        if changed_flags:
            current.save(update_fields=changed_flags)
        if "groups" in after:
            current.groups.set(groups)
        if "user_permissions" in after:
            current.user_permissions.set(user_permissions)
        _audit.record_change(
            actor=actor, kind=AuditRecord.Kind.ADMIN_ACCESS_CHANGED, obj=current, before=before, after=after
        )
    for name in ADMIN_ACCESS_FIELDS:
        setattr(user, name, getattr(current, name))
    return current
