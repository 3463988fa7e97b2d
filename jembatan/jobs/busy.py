"""A busy database: recognise it, and retry a short write through it.

SQLite answers "database is locked" when the busy timeout runs out; PostgreSQL raises
LockNotAvailable (lock_timeout), SerializationFailure or DeadlockDetected. Each means "try again
shortly", never "the request was wrong": entry points answer 503 with Retry-After, and the outbox
retries the write that records a provider's answer rather than losing it.
"""

import logging
import time

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs: lock_not_available, serialization_failure, deadlock_detected.
_PG_BUSY = {"55P03", "40001", "40P01"}


def is_busy(exc):
    """True if `exc` means the database was too busy to answer now (retrying later may succeed)."""
    for error in (exc, getattr(exc, "__cause__", None)):
        if error is None:
            continue
        if getattr(error, "sqlstate", None) in _PG_BUSY or getattr(error, "pgcode", None) in _PG_BUSY:
            return True
        if isinstance(error, OperationalError) and any(text in str(error).lower() for text in _SQLITE_BUSY):
            return True
    return False


def retry_when_busy(write, *, seconds, first_wait=0.2, max_wait=5.0, sleep=time.sleep):
    """Call `write()` until it stops failing with a busy database, for at most `seconds`.

    Outside a transaction only: inside one, the failed statement has already spoiled it.
    """
    deadline = time.monotonic() + seconds
    wait = first_wait
    while True:
        try:
            return write()
        except Exception as exc:
            if not is_busy(exc) or time.monotonic() + wait > deadline or connection.in_atomic_block:
                raise
            logger.warning("database busy, retrying in %.1f s: %s", wait, exc)
        sleep(wait)
        wait = min(wait * 2, max_wait)
