"""Work that waits for the commit, queued as ONE worker task per transaction.

An action that leaves work for the worker (deliver these outbox rows, harden this access code)
calls `defer("name", ident)` inside its transaction. The first call of a transaction registers one
on-commit hook; every call adds its ident to that transaction's batch; on commit the whole batch
becomes one `run_deferred_task({name: [idents]})`, not one queued task per row. A rolled-back
transaction queues nothing. Each app registers what a name does with `@handler("name")` in its
tasks.py (loaded by the worker with the tasks), and each handler re-reads the database: a batch
may name a row that a savepoint rolled back, or one another worker has already done. Every queue
that uses this keeps a periodic sweep for batches that were lost (a queue outage at commit).
"""

import logging

from django.db import transaction
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

_HANDLERS = {}


def handler(name):
    """Register `function(idents)` as what the worker does with the idents deferred under `name`."""

    def register(function):
        _HANDLERS[name] = function
        return function

    return register


class _Batch:
    def __init__(self):
        self.items = {}
        self.flushed = False

    def add(self, name, ident):
        idents = self.items.setdefault(name, [])
        if ident not in idents:
            idents.append(ident)

    def flush(self):
        self.flushed = True
        items, self.items = self.items, {}
        if items:
            from jembatan.jobs.tasks import run_deferred_task

            run_deferred_task(items)


def _pending(connection, batch):
    return not batch.flushed and any(hook[1] == batch.flush for hook in connection.run_on_commit)


def defer(name, ident, *, using=None):
    """Queue `ident` under `name` for the worker, after the current transaction commits.

    One batch per transaction level (the savepoints open now): calls at the same level share one
    on-commit hook. A hook that has run, or was dropped with a rolled-back savepoint, is not reused.
    """
    connection = transaction.get_connection(using)
    level = tuple(connection.savepoint_ids)
    batch = connection.__dict__.get("_jembatan_deferred", {}).get(level)
    if batch is None or not _pending(connection, batch):
        # Forget batches that ran or were rolled back (the connection outlives many transactions).
        batches = {
            key: other
            for key, other in connection.__dict__.get("_jembatan_deferred", {}).items()
            if _pending(connection, other)
        }
        batch = batches[level] = _Batch()
        connection._jembatan_deferred = batches
        batch.add(name, ident)
        # robust: a broken queue must not break the caller's other on-commit work; sweeps retry.
        # (Outside a transaction this runs at once.)
        transaction.on_commit(batch.flush, using=using, robust=True)
        return
    batch.add(name, ident)


def run(items):
    """Run each name's handler on its idents (in the worker); one failing name does not stop the rest."""
    if set(items) - set(_HANDLERS):
        autodiscover_modules("tasks")  # the handlers live in the apps' tasks.py (as Huey's tasks)
    done = {}
    for name, idents in items.items():
        function = _HANDLERS.get(name)
        if function is None:
            logger.error("no handler for deferred work %r (%d items)", name, len(idents))
            continue
        try:
            done[name] = function(idents)
        except Exception:
            logger.exception("deferred work %r failed; its periodic sweep will retry", name)
    return done
