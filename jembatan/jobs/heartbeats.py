"""Heartbeats of periodic tasks: when each last ran, and which have fallen behind.

Every periodic task registers here with its period (tasks.py of each app, through
`periodic.periodic_work`). A task is late when its last success is older than its period plus
HEARTBEAT_GRACE_MINUTES; the watched ones (SLA sweep, outbox, duplicate index) make /readyz
say so and tell the sysadmins.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from jembatan.jobs.busy import retry_when_busy
from jembatan.jobs.models import Heartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registered:
    name: str
    period: timedelta
    watched: bool  # falling behind makes /readyz fail and alerts the sysadmins
    run: Callable[[], object] | None = None  # the task's body under its lease (periodic_work)


REGISTRY: dict[str, Registered] = {}


def register(name, *, period, watched=False, run=None):
    REGISTRY[name] = Registered(name, period, watched, run)


_discovered = False


def discover():
    """Import every app's tasks.py once, so the registry knows every periodic task.

    The worker imports them at start; a web process only when it first asks (/readyz, the admin),
    which keeps its start-up light.
    """
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
        _discovered = True


def record_finish(name, *, started_at, error=None, now=None):
    """Write the outcome of one run (retrying through a busy database: a heartbeat must not be lost)."""
    now = now or timezone.now()
    fields = {
        "last_started_at": started_at,
        "last_duration_ms": int((now - started_at).total_seconds() * 1000),
    }
    if error is None:
        fields["last_succeeded_at"] = now
    else:
        fields.update(last_failed_at=now, last_error=str(error)[:2000])
    try:
        retry_when_busy(lambda: _upsert(name, runs=F("runs") + 1, **fields), seconds=30)
    except Exception:
        logger.exception("heartbeat of %s could not be written", name)


def _upsert(name, **fields):
    if Heartbeat.objects.filter(name=name).update(**fields) == 0:
        values = {key: value for key, value in fields.items() if not hasattr(value, "resolve_expression")}
        if "runs" in fields:
            values["runs"] = 1
        Heartbeat.objects.get_or_create(name=name, defaults=values)


def grace():
    return timedelta(minutes=settings.HEARTBEAT_GRACE_MINUTES)


@dataclass(frozen=True)
class State:
    name: str
    period: timedelta
    watched: bool
    last_succeeded_at: object
    last_failed_at: object
    last_error: str
    late: bool

    def as_dict(self):
        return {
            "period_seconds": int(self.period.total_seconds()),
            "last_succeeded_at": self.last_succeeded_at.isoformat() if self.last_succeeded_at else None,
            "last_failed_at": self.last_failed_at.isoformat() if self.last_failed_at else None,
            "late": self.late,
            "watched": self.watched,
        }


def states(now=None, *, started_at=None):
    """The state of every registered task, by name.

    A task that never ran is late once the deployment has been up longer than its allowance
    (`started_at`: the oldest heartbeat row, else never late).
    """
    discover()
    now = now or timezone.now()
    rows = {beat.name: beat for beat in Heartbeat.objects.all()}
    oldest = min((b.last_started_at for b in rows.values() if b.last_started_at), default=None)
    started_at = started_at or oldest
    result = {}
    for name, entry in sorted(REGISTRY.items()):
        beat = rows.get(name)
        allowance = entry.period + grace()
        last = beat.last_succeeded_at if beat else None
        if last is not None:
            late = now - last > allowance
        else:
            late = started_at is not None and now - started_at > allowance
        result[name] = State(
            name=name,
            period=entry.period,
            watched=entry.watched,
            last_succeeded_at=last,
            last_failed_at=beat.last_failed_at if beat else None,
            last_error=beat.last_error if beat else "",
            late=late,
        )
    return result


def late_watched(now=None):
    """Names of the watched tasks that have fallen behind."""
    return [name for name, state in states(now).items() if state.watched and state.late]


def check_periodic_work(now=None):
    """The readiness check of periodic work: {"state": "ok"|"late", "late": [...], "tasks": {...}}.

    Not critical: a stuck worker must not take the web nodes out of the load balancer (that would
    turn a late SLA sweep into an outage); /readyz reports it and the sysadmins are told.
    """
    try:
        current = states(now)
    except Exception:
        logger.exception("readyz: heartbeat check failed")
        return {"state": "unreachable", "critical": False}
    late = [name for name, state in current.items() if state.watched and state.late]
    return {
        "state": "late" if late else "ok",
        "critical": False,
        "late": late,
        "tasks": {name: state.as_dict() for name, state in current.items()},
    }
