"""Read replica routing: read-heavy GET pages read from DATABASE_REPLICA_URL when it is set.

- Which requests: GET/HEAD under REPLICA_READ_PREFIXES (public list and search, report pages,
  dashboards and open data, REST API and Open311 reads, the workbench's report page and queues).
  Everything else, every write and every action, uses the primary ("default").
- Read your own writes: a successful POST/PUT/PATCH/DELETE pins its caller to the primary for
  REPLICA_PIN_SECONDS, by the caller's API key or session (in the shared cache, so every node
  knows) and by a short-lived cookie.
- Lag and outages: every REPLICA_CHECK_SECONDS a process compares the replica's replayed WAL
  position with the primary's; when the replica is more than REPLICA_MAX_LAG_SECONDS behind, or
  does not answer, reads go to the primary (a failed replica is retried after REPLICA_RETRY_SECONDS).
  A GET that fails on the replica mid-way is answered again from the primary.
- Inside transaction.atomic() on the primary, reads stay on the primary.
Responses to routed requests say where they read in `X-Jembatan-Read` (replica or primary).
"""

import contextvars
import hashlib
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError

REPLICA = "replica"
PIN_COOKIE = "jb_primary"
logger = logging.getLogger(__name__)
use_replica = contextvars.ContextVar("use_replica", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if use_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


class _Health:
    """Per process: is the replica close enough to the primary to read from? Checked now and then."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = 0.0
        self.ok = False
        self.lag = None

    def usable(self):
        now = time.monotonic()
        wait = settings.REPLICA_CHECK_SECONDS if self.ok else settings.REPLICA_RETRY_SECONDS
        if now - self.checked_at >= wait and self.lock.acquire(blocking=False):
            try:
                self.ok, self.lag = self._check()
                self.checked_at = time.monotonic()
            finally:
                self.lock.release()
        return self.ok

    def mark_down(self, reason):
        logger.warning("replica failed during a request (%s): reading from the primary", reason)
        self.ok, self.checked_at = False, time.monotonic()
        connections[REPLICA].close()

    def _check(self):
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                primary_lsn = cursor.fetchone()[0]
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()),"
                    " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                    [primary_lsn],
                )
                in_recovery, behind_bytes, since_replay = cursor.fetchone()
        except DatabaseError as exc:
            logger.warning("replica unavailable, reading from the primary: %s", exc)
            connections[REPLICA].close()
            return False, None
        if not self.ok:
            logger.warning("replica answers again: reading from it")
        return verdict(in_recovery, behind_bytes, since_replay)


def verdict(in_recovery, behind_bytes, since_replay):
    """(usable, lag seconds) from what the replica says of itself (see _Health._check)."""
    if not in_recovery:
        logger.warning("the replica is not in recovery (promoted?): reading from the primary")
        return False, None
    # Nothing to replay: no lag, however long ago the last transaction was.
    lag = 0.0 if behind_bytes is None or behind_bytes <= 0 else float(since_replay or 0)
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica %.1f s behind: reading from the primary", lag)
        return False, lag
    return True, lag


health = _Health()


def _identity(request):
    """Who wrote: the API key or token, else the session; None for a caller we cannot recognise."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return "replica-pin:" + hashlib.sha256(credential.encode()).hexdigest()[:32]


def _pinned(request):
    if request.COOKIES.get(PIN_COOKIE):
        return True
    key = _identity(request)
    if key is None:
        return False
    try:
        return bool(cache.get(key))
    except Exception:
        return True  # cannot tell: the primary is always right


def _routed(request):
    return request.method in ("GET", "HEAD") and request.path.startswith(
        tuple(settings.REPLICA_READ_PREFIXES)
    )


class ReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if REPLICA not in settings.DATABASES:
            return self.get_response(request)
        if not _routed(request):
            response = self.get_response(request)
            if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
                self._pin(request, response)
            return response
        if _pinned(request) or not health.usable():
            response = self.get_response(request)
            response["X-Jembatan-Read"] = "primary"
            return response
        request._replica_failed = False
        replica = connections[REPLICA]
        replica.errors_occurred = False  # Django sets it on any driver error on this connection
        token = use_replica.set(True)
        try:
            response = self.get_response(request)
        finally:
            use_replica.reset(token)
        failed = request._replica_failed or replica.errors_occurred
        if response.status_code >= 500 and failed:
            health.mark_down(f"status {response.status_code} on {request.path}")
            response = self.get_response(request)  # a GET: safe to answer again, from the primary
            response["X-Jembatan-Read"] = "primary"
            return response
        response["X-Jembatan-Read"] = "replica"
        return response

    def process_exception(self, request, exception):
        if use_replica.get() and isinstance(exception, DatabaseError):
            request._replica_failed = True
        return None

    def _pin(self, request, response):
        seconds = settings.REPLICA_PIN_SECONDS
        response.set_cookie(PIN_COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax")
        key = _identity(request)
        if key is not None:
            try:
                cache.set(key, 1, seconds)
            except Exception:
                logger.warning("could not record the read-your-writes pin in the cache", exc_info=True)
