"""Named leases in the database: at most one holder at a time, on any number of machines.

Taking a lease is one conditional UPDATE (free or expired → mine), which SQLite and PostgreSQL
both apply atomically, so two workers never both get it. The holder renews it from a small
thread while the work runs and gives it back on any exit; a holder killed with kill -9 stops
renewing, and its lease is free again when it expires (TTL). A worker starting on the same
machine frees at once what dead processes there held (`free_dead_holds`), so a restart never
waits out the TTL.
"""

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from jembatan.jobs.busy import retry_when_busy
from jembatan.jobs.models import Lease

logger = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=2)
HOST = socket.gethostname()[:100]
# One token per process: a new process that happens to get a dead one's pid is still told apart.
PROCESS_TOKEN = uuid.uuid4().hex[:12]


class LeaseHeld(Exception):
    """Another worker holds the lease."""


def process_owner():
    return f"{HOST}:{os.getpid()}:{PROCESS_TOKEN}"


def _owner_token():
    # Unique per hold, so two threads of one process never take each other's lease for their own.
    return f"{process_owner()}:{uuid.uuid4().hex[:8]}"


def acquire(name, *, ttl=DEFAULT_TTL, now=None):
    """Take the lease `name` if it is free or expired; return the owner token, or None."""
    now = now or timezone.now()
    owner = _owner_token()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name)
        except IntegrityError:
            pass  # another worker created it first: fine, the UPDATE below decides
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(owner="") | Q(expires_at__isnull=True) | Q(expires_at__lte=now))
        .update(owner=owner, acquired_at=now, expires_at=now + ttl)
    )
    return owner if taken == 1 else None


def renew(name, owner, *, ttl=DEFAULT_TTL):
    """Extend the lease if `owner` still holds it; False if it was lost (expired and taken over)."""
    return Lease.objects.filter(name=name, owner=owner).update(expires_at=timezone.now() + ttl) == 1


def release(name, owner):
    """Give the lease back if `owner` still holds it."""
    return Lease.objects.filter(name=name, owner=owner).update(owner="", expires_at=None) == 1


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def free_dead_holds():
    """Free the leases that dead processes on this machine held; return their names.

    Only this machine's: whether a process on another machine lives cannot be told from here,
    so those leases wait for their expiry.
    """
    freed = []
    for lease in Lease.objects.exclude(owner="").filter(owner__startswith=f"{HOST}:"):
        try:
            _host, pid, token, _hold = lease.owner.rsplit(":", 3)
            pid = int(pid)
        except ValueError:
            continue
        dead = not _alive(pid) or (pid == os.getpid() and token != PROCESS_TOKEN)
        if dead and release(lease.name, lease.owner):
            freed.append(lease.name)
    if freed:
        logger.warning("freed leases held by dead workers on %s: %s", HOST, ", ".join(sorted(freed)))
    return freed


class _Renewer(threading.Thread):
    """Renews a lease every ttl/3 until stopped; notes when the lease was lost."""

    def __init__(self, name, owner, ttl):
        super().__init__(name=f"lease-{name}", daemon=True)
        self.lease_name, self.owner, self.ttl = name, owner, ttl
        self.stopped = threading.Event()
        self.lost = False

    def run(self):
        interval = self.ttl.total_seconds() / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    ok = retry_when_busy(
                        lambda: renew(self.lease_name, self.owner, ttl=self.ttl), seconds=interval
                    )
                except Exception:
                    logger.exception("lease %s: renewal failed", self.lease_name)
                    continue
                if not ok:
                    self.lost = True
                    logger.error(
                        "lease %s was lost: another worker may now run the same work", self.lease_name
                    )
                    return
        finally:
            connection.close()  # this thread's own connection


@contextmanager
def hold(name, *, ttl=DEFAULT_TTL):
    """Hold the lease `name` for the block, renewing it; raise LeaseHeld if someone else has it."""
    owner = retry_when_busy(lambda: acquire(name, ttl=ttl), seconds=ttl.total_seconds() / 4)
    if owner is None:
        raise LeaseHeld(name)
    renewer = _Renewer(name, owner, ttl)
    renewer.start()
    try:
        yield renewer
    finally:
        renewer.stopped.set()
        renewer.join(timeout=5)
        try:
            retry_when_busy(lambda: release(name, owner), seconds=30)
        except Exception:
            # Not fatal: the lease expires on its own after the TTL.
            logger.exception("lease %s: could not give it back; it expires by itself", name)
