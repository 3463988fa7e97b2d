"""/healthz: is the database answering, and is the job queue reachable? /readyz: the same, plus
whether periodic work keeps up (each check a function in READINESS_CHECKS returning a dict with
"state"; a check marked "critical": False is reported without making the node unready)."""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

from jembatan.jobs.heartbeats import check_periodic_work

logger = logging.getLogger(__name__)


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception:  # any driver error means "down" to a load balancer
        logger.exception("healthz: database check failed")
        return "unreachable"


def _queue_state():
    try:
        return {"state": "ok", "pending": HUEY.pending_count(), "immediate": HUEY.immediate}
    except Exception:
        logger.exception("healthz: queue check failed")
        return {"state": "unreachable"}


@never_cache
@require_GET
def healthz(request):
    database = _database_state()
    queue = _queue_state()
    status = 200 if database == "ok" else 503
    if status != 200:
        overall = "down"
    else:
        overall = "ok" if queue["state"] == "ok" else "degraded"
    body = {
        "status": overall,
        "database": {"state": database, "vendor": connection.vendor},
        "queue": queue,
    }
    return JsonResponse(body, status=status)


def check_database():
    state = _database_state()
    return {"state": state, "vendor": connection.vendor}


READINESS_CHECKS = {
    "database": check_database,
    "periodic_work": check_periodic_work,
}


def readiness():
    """(ready, degraded, {name: result}) over every readiness check."""
    results = {name: check() for name, check in READINESS_CHECKS.items()}
    ready = all(r["state"] == "ok" for r in results.values() if r.get("critical", True))
    degraded = any(r["state"] != "ok" for r in results.values())
    return ready, degraded, results


@never_cache
@require_GET
def readyz(request):
    ready, degraded, results = readiness()
    status = "unavailable" if not ready else ("degraded" if degraded else "ok")
    return JsonResponse({"status": status, **results}, status=200 if ready else 503)
