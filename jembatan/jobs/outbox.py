"""One outbox for everything that leaves the building: notifications, webhooks, (later) federation.

A user gives a model built on `models.OutboxItem` and a `send(row)` function; this module does the
rest, the same way for all of them:

- **claim**: a worker owns a row only after a conditional UPDATE (due → "sending", attempts + 1,
  lease, idempotency key) changed exactly that row, so two workers never both send it. The claim
  is written *before* anything is sent, with the key the provider will see.
- **lease**: short (OUTBOX_LEASE_SECONDS), renewed from a small thread while a slow gateway
  answers; a worker that died stops renewing and the row is taken over when the lease runs out.
- **record**: the provider's answer is written with retries through a busy database ("database is
  locked"), the lease still renewed meanwhile; if the database stays away longer, the answer goes
  to a journal file and is applied by the next sweep. It is never dropped.
- **retry** with backoff, and after the last attempt the row is **dead** ("failed"), kept as the
  record of what went wrong.
- `attempts` is the fencing token: a worker whose lease ran out never overwrites the newer owner's
  outcome.

Guarantee: at least once, exactly once whenever the worker survives the send. The one repeat left
is a worker killed (or stopped past WORKER_STOP_TIMEOUT) after the provider accepted and before
the answer was written; the repeat carries the same idempotency key (and, for e-mail, the same
Message-ID), so a provider or mail store that honours them drops it.
"""

import json
import logging
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jembatan.jobs import shutdown
from jembatan.jobs.busy import retry_when_busy
from jembatan.jobs.models import OutboxStatus

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; after the last allowed attempt the row is dead.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
SWEEP_LIMIT = 200
SWEEP_BUDGET_SECONDS = 45  # sweeps run every minute; stop before the next one starts


def backoff_after(attempts):
    """How long to wait after the `attempts`-th failure (the last step repeats if attempts are raised)."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def lease_length():
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


class SendFailed(Exception):
    """A send that did not go through; `fields` are recorded on the row with the error.

    `permanent`: sending the same row again cannot succeed (the receiver refused our credentials
    or the body itself): the row is dead at once, kept for an operator to fix and retry.
    """

    def __init__(self, message, *, permanent=False, **fields):
        super().__init__(message)
        self.permanent = permanent
        self.fields = fields


class _LeaseRenewer(threading.Thread):
    def __init__(self, mine, lease):
        super().__init__(name="outbox-lease", daemon=True)
        self.mine, self.lease = mine, lease
        self.stopped = threading.Event()

    def run(self):
        interval = self.lease.total_seconds() / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    kept = retry_when_busy(
                        lambda: self.mine.update(next_attempt_at=timezone.now() + self.lease),
                        seconds=interval,
                    )
                except Exception:
                    logger.exception("outbox: lease renewal failed")
                    continue
                if not kept:
                    return  # taken over or recorded: nothing left to hold
        finally:
            connection.close()


class Outbox:
    """Claim, lease, send, record, retry and dead-letter the rows of one model."""

    def __init__(self, *, name, model, send, key_prefix, max_attempts, select_related=(), backoff=None):
        self.name = name
        # backoff(attempts) → timedelta; default the module's ladder (minutes to hours).
        self.backoff = backoff or backoff_after
        self.model = model
        self.send = send  # send(row) → fields to record on success; raises on failure
        self.key_prefix = key_prefix
        self.max_attempts = max_attempts  # a callable: settings may change in tests
        self.select_related = select_related

    def key_for(self, pk):
        """The provider's idempotency key of row `pk`: the same on every attempt."""
        return f"{self.key_prefix}-{pk}"

    def claim(self, pk, now):
        """Take the row for this worker, or return None if it is not due or someone else holds it."""
        claimed = (
            self.model.objects.filter(pk=pk)
            .due(now)
            .update(
                status=OutboxStatus.SENDING,
                attempts=F("attempts") + 1,
                next_attempt_at=now + lease_length(),
                idempotency_key=self.key_for(pk),
                updated_at=now,
            )
        )
        if claimed != 1:
            return None
        return self.model.objects.select_related(*self.select_related).get(pk=pk)

    def deliver(self, pk):
        """Send one row if it is due and nobody else holds it; return True if this call sent it."""
        row = self.claim(pk, timezone.now())
        if row is None:
            return False
        # Our own claim bumped `attempts`: it is the fencing token (see the module docstring).
        mine = self.model.objects.filter(pk=row.pk, status=OutboxStatus.SENDING, attempts=row.attempts)
        renewer = _LeaseRenewer(mine, lease_length())
        renewer.start()
        shutdown.track(self.model, row.pk, row.attempts)
        try:
            try:
                success = self.send(row) or {}
            except Exception as exc:  # any failure (SMTP, network, gateway, configuration) is retried
                self._record(mine, row, self._failure(row, exc))
                return False
            now = timezone.now()
            outcome = {
                "status": OutboxStatus.SENT,
                "sent_at": now,
                "next_attempt_at": None,
                "updated_at": now,
            }
            self._record(mine, row, {**outcome, **success})
            return True
        finally:
            shutdown.untrack(self.model, row.pk)
            renewer.stopped.set()

    def _failure(self, row, exc):
        now = timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        fields = dict(getattr(exc, "fields", {}))
        if row.attempts >= self.max_attempts() or getattr(exc, "permanent", False):
            logger.error("%s %s failed for good: %s", self.name, row.pk, error)
            return {
                **fields,
                "status": OutboxStatus.FAILED,
                "next_attempt_at": None,
                "last_error": error,
                "updated_at": now,
            }
        logger.warning("%s %s attempt %s failed: %s", self.name, row.pk, row.attempts, error)
        return {
            **fields,
            "status": OutboxStatus.PENDING,
            "next_attempt_at": now + self.backoff(row.attempts),
            "last_error": error,
            "updated_at": now,
        }

    def _record(self, mine, row, fields):
        """Write the outcome: retried through a busy database, journalled if it stays busy."""
        try:
            updated = retry_when_busy(
                lambda: mine.update(**fields), seconds=settings.OUTBOX_RECORD_RETRY_SECONDS
            )
        except Exception:
            logger.exception("%s %s: outcome not written; journalled for the next sweep", self.name, row.pk)
            self._journal(row, fields)
            return
        if updated != 1:
            logger.warning(
                "%s %s: outcome arrived after the lease ran out and another worker took it", self.name, row.pk
            )

    # --- The journal: answers the database could not take yet -------------------------------------

    def journal_path(self):
        return Path(settings.VAR_DIR) / "outbox-journal" / f"{self.name}.jsonl"

    _journal_lock = threading.Lock()

    def _journal(self, row, fields):
        path = self.journal_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"pk": row.pk, "attempts": row.attempts, "fields": fields}, cls=DjangoJSONEncoder)
        with self._journal_lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def apply_journal(self):
        """Write the journalled outcomes to the database; return how many were applied."""
        path = self.journal_path()
        if not path.exists():
            return 0
        with self._journal_lock:
            lines = path.read_text("utf-8").splitlines()
            applied, kept = 0, []
            for line in lines:
                entry = json.loads(line)
                fields = {
                    key: parse_datetime(value) if key.endswith("_at") and isinstance(value, str) else value
                    for key, value in entry["fields"].items()
                }
                try:
                    applied += self.model.objects.filter(
                        pk=entry["pk"], status=OutboxStatus.SENDING, attempts=entry["attempts"]
                    ).update(**fields)
                except Exception:
                    logger.exception("%s: journalled outcome of %s not applied yet", self.name, entry["pk"])
                    kept.append(line)
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in kept), "utf-8")
            os.replace(tmp, path)
        return applied

    def deliver_due(self, now=None, limit=SWEEP_LIMIT, budget_seconds=SWEEP_BUDGET_SECONDS):
        """Deliver rows whose time has come (lost enqueues, retries, dead workers); return how many went."""
        self.apply_journal()
        now = now or timezone.now()
        ids = list(
            self.model.objects.due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
        )
        started = time.monotonic()
        sent = 0
        for pk in ids:
            if time.monotonic() - started > budget_seconds or shutdown.stopping.is_set():
                break
            sent += self.deliver(pk)
        return sent
