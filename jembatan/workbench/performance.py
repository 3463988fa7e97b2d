"""The "my performance" strip: this month's on-time rate for the officer's agency and the officer.

On time means an answer (tindak lanjut) posted by its disposition's completion deadline, or a
verification done by the report's verification deadline. Counted from the timeline, whose
(action, created_at) are indexed, so a month is read without scanning every disposition ever made.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from jembatan.reports.events import EventAction
from jembatan.reports.models import Event
from jembatan.workbench.queues import follow_up_scope, verify_scope

ANSWERED = EventAction.FOLLOW_UP_POSTED
VERIFIED = EventAction.VERIFIED


@dataclass(frozen=True)
class Rate:
    answers: int
    answers_on_time: int
    verifications: int
    verifications_on_time: int

    @property
    def total(self):
        return self.answers + self.verifications

    @property
    def on_time(self):
        return self.answers_on_time + self.verifications_on_time

    @property
    def percent(self):
        return round(100 * self.on_time / self.total) if self.total else None


def month_start(now):
    local = timezone.localtime(now)
    return timezone.make_aware(dt.datetime(local.year, local.month, 1))


def _rate(events, answers_where, verifications_where):
    answer = Q(action=ANSWERED) & answers_where
    verification = Q(action=VERIFIED) & verifications_where
    on_time_answer = answer & Q(created_at__lte=F("disposition__completion_due_at"))
    on_time_verification = verification & Q(created_at__lte=F("report__verification_due_at"))
    totals = events.filter(answer | verification).aggregate(
        answers=Count("pk", filter=answer),
        answers_on_time=Count("pk", filter=on_time_answer),
        verifications=Count("pk", filter=verification),
        verifications_on_time=Count("pk", filter=on_time_verification),
    )
    return Rate(**totals)


def performance(user, now=None):
    """{"agency": Rate or None, "mine": Rate} for the month `now` falls in."""
    now = now or timezone.now()
    events = Event.objects.filter(
        created_at__gte=month_start(now), created_at__lte=now, action__in=(ANSWERED, VERIFIED)
    )
    nothing = Q(pk__in=[])
    answers_scope = follow_up_scope(user, "disposition__agency")
    verify = verify_scope(user, "report__verifying_agency")
    agency = None
    if answers_scope is not None or verify is not None:
        agency = _rate(
            events,
            answers_scope if answers_scope is not None else nothing,
            verify if verify is not None else nothing,
        )
    mine = _rate(events.filter(actor=user), Q(), Q())
    return {"agency": agency, "mine": mine}
