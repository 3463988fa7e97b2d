"""Builders for people and roles in tests."""

import itertools
import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts.models import Role, StaffRole, User

_seq = itertools.count(1)
PASSWORD = "rahasia-uji-123"


def make_user(username=None, **extra):
    n = next(_seq)
    user = User(username=username or f"user{n}", full_name=extra.pop("full_name", f"Warga {n}"), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_staff(role, agency=None, username=None, **extra):
    user = make_user(username=username or f"{role}{next(_seq)}", **extra)
    StaffRole.objects.create(user=user, role=role, agency=agency)
    return user


def make_totp_device(user, confirmed=True):
    """An authenticator for `user`, already confirmed unless asked otherwise."""
    return TOTPDevice.objects.create(user=user, name="Autentikator uji", confirmed=confirmed)


def current_token(device):
    """The token the user's authenticator app shows right now (for the current, possibly frozen, time)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def last_code_sent_to(recipient):
    """The six-digit code in the newest one-time-code message queued for `recipient`."""
    from jembatan.notify.models import Notification

    message = (
        Notification.objects.filter(
            recipient=recipient, template__in=("one_time_code", "password_reset_code")
        )
        .order_by("-pk")
        .first()
    )
    assert message is not None, f"no code was queued for {recipient}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


__all__ = [
    "PASSWORD",
    "Role",
    "current_token",
    "last_code_sent_to",
    "make_staff",
    "make_totp_device",
    "make_user",
]
