"""Builders for people and roles in tests."""

import itertools

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


__all__ = ["PASSWORD", "Role", "make_staff", "make_user"]
