"""Worker start-up of the jobs app (Huey runs on_startup hooks in every worker thread)."""

from huey.contrib.djhuey import HUEY, db_task

from jembatan.jobs import deferred, worker


@HUEY.on_startup("jembatan-jobs")
def free_dead_holds_on_start():
    """Free leases that dead processes on this machine held, before any periodic task runs."""
    worker.on_start(HUEY)


@db_task()
def run_deferred_task(items):
    """The work one transaction left for after its commit (jobs/deferred.py): {name: [idents]}."""
    return deferred.run(items)
