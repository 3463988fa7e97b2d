"""What the worker is doing when asked to stop (SIGTERM): stop taking work, finish or hand back.

`stopping` is set when the worker is asked to stop: sweeps stop between rows. Rows being sent are
tracked here; those still in flight when WORKER_STOP_TIMEOUT runs out are handed back (made due
now) so another worker retries them at once rather than after their lease.
"""

import logging
import threading

from django.utils import timezone

from jembatan.jobs.models import OutboxStatus

logger = logging.getLogger(__name__)

stopping = threading.Event()
_lock = threading.Lock()
_in_flight = {}  # (model, pk) → attempts (the fencing token of our claim)


def track(model, pk, attempts):
    with _lock:
        _in_flight[(model, pk)] = attempts


def untrack(model, pk):
    with _lock:
        _in_flight.pop((model, pk), None)


def in_flight():
    with _lock:
        return dict(_in_flight)


def hand_back_all():
    """Make every row this process still holds due again; return how many were handed back."""
    handed = 0
    for (model, pk), attempts in in_flight().items():
        handed += model.objects.filter(pk=pk, status=OutboxStatus.SENDING, attempts=attempts).update(
            status=OutboxStatus.PENDING, next_attempt_at=timezone.now()
        )
    if handed:
        logger.warning("handed back %s in-flight outbox rows on shutdown", handed)
    return handed
