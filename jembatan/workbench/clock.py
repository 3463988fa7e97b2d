"""The SLA clock as an officer reads it: "sisa 2 hari kerja", "terlambat 3 hari kerja"."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Clock:
    state: str  # "ok", "soon" (today or tomorrow), "late"
    days: int
    label: str

    @property
    def is_late(self):
        return self.state == "late"


def sla_clock(due, now, calendar):
    """How `due` looks from `now`, counted in working days (None when nothing is running)."""
    if due is None:
        return None
    if now <= due:
        days = calendar.working_days_between(now, due)
        if days == 0:
            return Clock("soon", 0, _("batas hari ini"))
        label = ngettext("sisa %(n)d hari kerja", "sisa %(n)d hari kerja", days) % {"n": days}
        return Clock("soon" if days <= 1 else "ok", days, label)
    days = calendar.working_days_between(due, now)
    if days == 0:
        # Past the deadline, but no working day has begun since (a weekend or holiday).
        return Clock("late", 0, _("terlambat (kurang dari 1 hari kerja)"))
    label = ngettext("terlambat %(n)d hari kerja", "terlambat %(n)d hari kerja", days) % {"n": days}
    return Clock("late", days, label)


class Clocks:
    """`sla_clock(due, now, calendar)` for the rows of one page, each deadline day counted once.

    A clock counts working days one day at a time, and the rows of an overdue queue are the
    longest late: on a page of 50 most share a few deadline days (deadlines fall at the end of a
    day). The count depends on the two days alone, and which of the two branches on `now <= due`.
    """

    def __init__(self, now, calendar):
        self.now, self.calendar, self.seen = now, calendar, {}

    def __call__(self, due):
        if due is None:
            return None
        key = (self.now <= due, self.calendar.local_date(due))
        clock = self.seen.get(key)
        if clock is None:
            clock = self.seen[key] = sla_clock(due, self.now, self.calendar)
        return clock


def outcome(due, done_at):
    """For finished work: was it done by its deadline?"""
    if due is None or done_at is None:
        return None
    return _("tepat waktu") if done_at <= due else _("melewati batas")
