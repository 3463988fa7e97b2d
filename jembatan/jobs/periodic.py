"""`periodic_work`: what every periodic task runs inside — a lease (optional) and a heartbeat.

Replaces Huey's `lock_task`, whose locks have no owner and no expiry: a worker killed while
holding one stranded the task for good.
"""

import functools
import logging
from datetime import timedelta

from django.utils import timezone

from jembatan.jobs import heartbeats, leases

logger = logging.getLogger(__name__)


def periodic_work(name, *, period, exclusive=True, watched=False, ttl=leases.DEFAULT_TTL):
    """Decorate a periodic task: run it under the lease `name` (if exclusive) and beat its heartbeat.

    When another worker holds the lease the run is skipped (returns None), as with Huey's lock.
    """
    if not isinstance(period, timedelta):
        raise TypeError("period must be a timedelta")

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not exclusive:
                return _run(name, fn, args, kwargs)
            try:
                with leases.hold(name, ttl=ttl):
                    return _run(name, fn, args, kwargs)
            except leases.LeaseHeld:
                logger.info("%s not run: another worker holds its lease", name)
                return None

        heartbeats.register(name, period=period, watched=watched, run=wrapper)
        return wrapper

    return decorator


def _run(name, fn, args, kwargs):
    started_at = timezone.now()
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        heartbeats.record_finish(name, started_at=started_at, error=f"{type(exc).__name__}: {exc}")
        raise
    heartbeats.record_finish(name, started_at=started_at)
    return result
