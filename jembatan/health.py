"""/healthz (liveness) and /readyz (readiness), for load balancers and process supervisors.

/healthz answers 200 whenever the process can serve a request and checks nothing else: a database
outage must not make a supervisor restart every healthy web process.
/readyz asks each dependency through one small function in READINESS_CHECKS (database, cache, job
queue, migrations applied); any failure answers 503 so the load balancer stops sending traffic to
this node until it recovers. Each check returns a dict with at least "state" ("ok" or not) and
raises nothing: a driver error means "unreachable" to a load balancer. A check marked
"critical": False is reported as "degraded" without taking the node out: a stuck worker must not
empty the load balancer (periodic work falling behind), and neither must Redis. Every node shares
one Redis, and everything on it is meant to be done without it for a while: rate limits fail
open, sessions are read from the database, cached numbers are computed (jembatan_fail_open_total),
and a task that could not be queued is picked up by the outbox sweep. Taking every web node out
because Redis restarts would turn that degraded minute into an outage of every node at once
(HAProxy checks every 0.5 s and takes a node out after two failures).
"""

import logging
import time
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jembatan.jobs.heartbeats import check_periodic_work

logger = logging.getLogger(__name__)

# Once every migration has been seen applied, a process does not load the migration graph again:
# migrations are never un-applied under a running server.
_migrations_applied = False


def check_database(alias=DEFAULT_DB_ALIAS):
    """The database answers a query."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"state": "ok", "vendor": connection.vendor}
    except Exception:
        logger.exception("readyz: database check failed")
        return {"state": "unreachable", "vendor": connection.vendor}


def check_cache():
    """The cache stores and returns a value (with Redis: the shared server answers). Not critical."""
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return {"state": "ok" if ok else "unreachable", "critical": False}
    except Exception:
        logger.exception("readyz: cache check failed")
        return {"state": "unreachable", "critical": False}


def check_queue():
    """The job queue's storage answers; reports how many tasks wait. Not critical."""
    from huey.contrib.djhuey import HUEY

    try:
        return {
            "state": "ok",
            "pending": HUEY.pending_count(),
            "immediate": HUEY.immediate,
            "critical": False,
        }
    except Exception:
        logger.exception("readyz: queue check failed")
        return {"state": "unreachable", "critical": False}


def check_migrations(alias=DEFAULT_DB_ALIAS):
    """Every migration this code knows is applied to the database."""
    global _migrations_applied
    if _migrations_applied:
        return {"state": "ok"}
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        logger.exception("readyz: migration check failed")
        return {"state": "unreachable"}
    if plan:
        return {"state": "pending", "unapplied": len(plan)}
    _migrations_applied = True
    return {"state": "ok"}


READINESS_CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "queue": check_queue,
    "migrations": check_migrations,
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
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    started = time.perf_counter()
    ready, degraded, results = readiness()
    body = {"status": "unavailable" if not ready else ("degraded" if degraded else "ok"), **results}
    body["seconds"] = round(time.perf_counter() - started, 4)
    return JsonResponse(body, status=200 if ready else 503)
