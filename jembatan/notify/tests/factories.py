"""Builders for reports and people as the notification tests need them."""

import datetime as dt
import itertools

from django.utils import timezone

from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.tests.factories import make_agency, make_category, make_region
from jembatan.reports.models import (
    Disposition,
    Event,
    Report,
    ReportType,
    Status,
    new_access_code,
    new_tracking_number,
)

_seq = itertools.count(1)

# A reporter whose identity must never reach an officer through a notification.
USER_REPORTER = {"full_name": "Budi Santoso", "email": "budi.santoso@contoh.id", "phone": "0812 3456 7890"}
GUEST_REPORTER = {
    "reporter_name": "Siti Rahmawati",
    "reporter_email": "siti.r@contoh.id",
    "reporter_phone": "6285712345678",
}


def make_report(*, reporter=None, status=Status.BELUM_TERVERIFIKASI, **extra):
    n = next(_seq)
    extra.setdefault("region", make_region("13.71", "Kota Padang"))
    extra.setdefault("category", make_category(f"Jalan dan Jembatan {n}"))
    extra.setdefault("verification_due_at", timezone.make_aware(dt.datetime(2026, 8, 12, 23, 59, 59)))
    return Report.objects.create(
        tracking_number=new_tracking_number(),
        access_code=new_access_code(),
        kind=extra.pop("kind", ReportType.PENGADUAN),
        title=extra.pop("title", f"Jalan berlubang di Jalan Sudirman {n}"),
        description=extra.pop("description", "Lubang besar membahayakan pengendara motor."),
        reporter=reporter,
        status=status,
        **extra,
    )


def make_user_reporter(**prefs):
    return make_user(**{**USER_REPORTER, **prefs})


def make_guest_report(**extra):
    return make_report(**{**GUEST_REPORTER, **extra})


def make_disposition(report, agency=None, **extra):
    agency = agency or make_agency("Dinas PUPR Kota Padang")
    extra.setdefault("completion_due_at", timezone.make_aware(dt.datetime(2026, 10, 20, 23, 59, 59)))
    return Disposition.objects.create(report=report, agency=agency, **extra)


def make_event(report, action="submitted"):
    return Event.objects.create(report=report, actor_role="system", action=action)


__all__ = [
    "GUEST_REPORTER",
    "USER_REPORTER",
    "make_agency",
    "make_disposition",
    "make_event",
    "make_guest_report",
    "make_report",
    "make_staff",
    "make_user",
    "make_user_reporter",
]
