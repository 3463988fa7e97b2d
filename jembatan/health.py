"""/healthz: is the database answering, and is the job queue reachable?"""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY

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
