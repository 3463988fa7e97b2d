"""Following a report ("Ikuti laporan ini"): every voice of a problem hears its outcome.

A citizen follows with their account at once, or as a guest with an e-mail address or a phone
number proved by a six-digit code; supporters follow by supporting and the reporters of merged
reports by the merge. Messages reach them through reports/notifications.notify_voices.
"""

import datetime as dt
import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from jembatan.accounts import ratelimit
from jembatan.notify.phones import normalize_phone
from jembatan.reports import lifecycle
from jembatan.reports import notifications as notify
from jembatan.reports.actions._common import ReportError, _lock, _now, _record, _require
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import Follower, FollowerSource, Visibility

# Each code costs an SMS and can be aimed at someone else's address: a few per address an hour,
# and a few dozen per client address (carrier-grade NAT puts many phones behind one).
CODES_PER_CONTACT_PER_HOUR = 3
CODES_PER_IP_PER_HOUR = 30
HOUR = 3600


def _hash_code(follower, code):
    destination = follower.email or follower.phone
    return salted_hmac(
        "jembatan.reports.Follower", f"{follower.pk}:{destination}:{code}", algorithm="sha256"
    ).hexdigest()


def _parse_contact(contact):
    """("email", address) or ("phone", number) from what the guest typed; ReportError otherwise."""
    contact = (contact or "").strip()
    try:
        if "@" in contact:
            validate_email(contact)
            return "email", contact.lower()
        return "phone", normalize_phone(contact)
    except ValidationError:
        raise ReportError(
            _("Tulis alamat e-mail atau nomor ponsel yang benar."), field="kontak", code="invalid"
        ) from None


def _limit_codes(*, contact, ip_address):
    counter = ratelimit.counter()
    over = counter.count("follow-contact", contact, window=HOUR) >= CODES_PER_CONTACT_PER_HOUR or (
        ip_address and counter.count("follow-ip", ip_address, window=HOUR) >= CODES_PER_IP_PER_HOUR
    )
    if over:
        raise ReportError(
            _("Terlalu banyak permintaan kode. Silakan coba lagi dalam satu jam."),
            field="kontak",
            code="rate_limited",
        )
    counter.add("follow-contact", contact, window=HOUR)
    if ip_address:
        counter.add("follow-ip", ip_address, window=HOUR)


def _start_following(report, follower, *, actor, source):
    """Mark a locked follower row active and write the timeline line (no contact in it)."""
    follower.confirmed_at = follower.confirmed_at or _now()
    follower.ended_at = None
    follower.code_hash = ""
    follower.save()
    _record(
        report,
        actor=actor,
        action=EventAction.FOLLOWED,
        visibility=Visibility.INTERNAL,
        actor_role=ActorRole.CITIZEN,
        data={"follower": follower.pk, "source": str(source)},
    )
    return follower


def follow_report(*, report, actor, contact="", language="", ip_address=None):
    """Follow a public report: an account at once, a guest's address once its code is confirmed.

    Returns the Follower; `follower.is_active` is False while a guest's code is outstanding.
    """
    _require(lifecycle.may_follow(report))
    if actor is not None and actor.is_authenticated:
        with transaction.atomic():
            report = _lock(report)
            _require(lifecycle.may_follow(report))
            follower, _created = Follower.objects.get_or_create(report=report, user=actor)
            if follower.is_active:
                return follower
            return _start_following(report, follower, actor=actor, source=follower.source)
    kind, address = _parse_contact(contact)
    _limit_codes(contact=address, ip_address=ip_address)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        report = _lock(report)
        follower, _created = Follower.objects.get_or_create(
            report=report, **{kind: address}, defaults={"language": language or ""}
        )
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        follower.code_hash = _hash_code(follower, code)
        follower.code_expires_at = _now() + dt.timedelta(minutes=Follower.CODE_LIFETIME_MINUTES)
        follower.code_attempts = 0
        follower.language = language or follower.language
        follower.save()
        notify.notify_follow_code(follower=follower, code=code, minutes=Follower.CODE_LIFETIME_MINUTES)
    return follower


def confirm_follow(*, follower, code):
    """Confirm a guest's follow with the code sent to their address."""
    code = re.sub(r"\s", "", str(code or ""))
    error = None
    # A wrong code must be counted even though the caller gets an error: decide, commit, then raise.
    with transaction.atomic():
        report = _lock(follower.report)
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        if follower.is_active and not follower.code_hash:
            return follower
        if not follower.code_hash or follower.code_expires_at is None or follower.code_expires_at < _now():
            error = _("Kode sudah kedaluwarsa atau tidak berlaku lagi. Mintalah kode baru.")
        elif follower.code_attempts >= Follower.MAX_CODE_ATTEMPTS:
            error = _("Kode salah terlalu sering. Mintalah kode baru.")
        elif constant_time_compare(follower.code_hash, _hash_code(follower, code)):
            return _start_following(report, follower, actor=None, source=follower.source)
        else:
            follower.code_attempts += 1
            follower.save(update_fields=["code_attempts"])
            error = _("Kode salah.")
    raise ReportError(error, field="kode", code="wrong_code")


def unfollow_report(*, follower):
    """Stop a follower's messages (the signed link in every message, or the account's button)."""
    with transaction.atomic():
        report = _lock(follower.report)
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        if follower.ended_at is not None:
            return follower
        follower.ended_at = _now()
        follower.save(update_fields=["ended_at"])
        _record(
            report,
            actor=None,
            action=EventAction.UNFOLLOWED,
            visibility=Visibility.INTERNAL,
            actor_role=ActorRole.CITIZEN,
            data={"follower": follower.pk, "source": str(follower.source)},
        )
    return follower


def add_follower_locked(report, *, source, user_id=None, duplicate=None):
    """Make a user or the reporter of `duplicate` a follower of a locked `report` (support, merge)."""
    ident = {"user_id": user_id} if user_id is not None else {"duplicate": duplicate}
    follower, created = Follower.objects.get_or_create(
        report=report, **ident, defaults={"source": source, "confirmed_at": _now()}
    )
    if not created and follower.ended_at is None and follower.confirmed_at is not None:
        return follower
    if not created and source == FollowerSource.SUPPORT and follower.ended_at is not None:
        return follower  # unfollowed on purpose: a later support does not undo that
    follower.confirmed_at = follower.confirmed_at or _now()
    follower.save(update_fields=["confirmed_at"])
    return follower


def merge_followers_locked(*, duplicate, original):
    """On a merge: the duplicate's reporter and its followers follow the original from now on."""
    add_follower_locked(original, source=FollowerSource.MERGED, duplicate=duplicate)
    for follower in Follower.objects.active().filter(report=duplicate):
        ident = {
            key: value
            for key, value in (
                ("user_id", follower.user_id),
                ("duplicate_id", follower.duplicate_id),
                ("email", follower.email),
                ("phone", follower.phone),
            )
            if value
        }
        Follower.objects.get_or_create(
            report=original,
            **ident,
            defaults={"source": follower.source, "language": follower.language, "confirmed_at": _now()},
        )
