"""Periodic work cannot be stranded (issue 20, failure 1): leases with an owner and an expiry,
renewed while the work runs, given back on any exit, freed when their holder died."""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from jembatan.jobs import leases, worker
from jembatan.jobs.models import Heartbeat, Lease
from jembatan.triage.models import IndexedReport
from jembatan.triage.tasks import index_duplicates_task
from jembatan.triage.tests import factories as tf

ROOT = Path(__file__).resolve().parents[3]

HOLD_AND_WAIT = """
import django, sys, time
django.setup()
from jembatan.jobs import leases
with leases.hold("triage-duplicate-index"):
    print("held", flush=True)
    time.sleep(120)
"""


def start_holder():
    """A real second worker process that takes the duplicate-index lease and keeps it."""
    env = {
        **os.environ,
        "JEMBATAN_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "jembatan.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the holder process opens the SQLite test file")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_the_duplicate_index_does_not_stop_it_for_good():
    w = tf.build_world()
    report = tf.submit(
        w,
        title="Lampu jalan mati",
        description="Lampu jalan di depan pasar mati sudah seminggu.",
        region=w.village_padang,
    )
    holder = start_holder()
    assert index_duplicates_task.call_local() is None  # the live holder keeps it: skipped

    holder.kill()  # kill -9 in the middle of the work
    holder.wait()
    assert Lease.objects.get(name="triage-duplicate-index").owner  # still marked as held

    worker.on_start(HUEY)  # the restarted worker frees what the dead one held

    assert Lease.objects.get(name="triage-duplicate-index").owner == ""
    index_duplicates_task.call_local()
    assert Heartbeat.objects.get(name="triage-duplicate-index").last_succeeded_at is not None
    assert IndexedReport.objects.filter(report=report).exists()


@pytest.mark.django_db
def test_a_lease_held_by_a_worker_on_another_machine_is_reclaimed_once_it_expires():
    now = timezone.now()
    Lease.objects.create(
        name="sla-sweep", owner="mesin-lain:4242:abc:def", expires_at=now + timedelta(seconds=30)
    )
    assert leases.acquire("sla-sweep") is None
    assert leases.free_dead_holds() == []  # another machine's holder cannot be judged from here

    Lease.objects.filter(name="sla-sweep").update(expires_at=now - timedelta(seconds=1))
    owner = leases.acquire("sla-sweep")
    assert owner and owner.startswith(f"{leases.HOST}:{os.getpid()}:")


@pytest.mark.django_db
def test_a_restarted_process_with_the_dead_ones_pid_frees_its_holds():
    # In a container the worker is always pid 1: the token tells the new process from the dead one.
    Lease.objects.create(
        name="insights-rollups",
        owner=f"{leases.HOST}:{os.getpid()}:oldtoken0000:1234",
        expires_at=timezone.now() + timedelta(minutes=2),
    )
    assert leases.free_dead_holds() == ["insights-rollups"]


@pytest.mark.django_db
def test_a_live_holder_on_this_machine_keeps_its_lease_on_start():
    owner = leases.acquire("insights-topics")
    assert leases.free_dead_holds() == []
    assert Lease.objects.get(name="insights-topics").owner == owner


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_lease_get_it_once():
    leases.acquire("race")  # the row exists; now free it and race
    Lease.objects.filter(name="race").update(owner="", expires_at=None)
    barrier = threading.Barrier(4)
    won = []

    def take():
        barrier.wait()
        won.append(leases.acquire("race"))
        connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([owner for owner in won if owner]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_lease_is_renewed_while_the_work_runs_and_given_back_after_a_failure():
    ttl = timedelta(seconds=0.6)
    with pytest.raises(RuntimeError):
        with leases.hold("triage-retrain", ttl=ttl):
            time.sleep(1.5)  # more than two TTLs: only renewal keeps others out
            assert leases.acquire("triage-retrain", ttl=ttl) is None
            raise RuntimeError("the training crashed")
    lease = Lease.objects.get(name="triage-retrain")
    assert lease.owner == "" and leases.acquire("triage-retrain") is not None


@pytest.mark.django_db
def test_the_import_refresh_and_the_rollup_task_share_one_lease():
    from jembatan.insights.tasks import refresh_rollups_task

    owner = leases.acquire("insights-rollups")
    assert refresh_rollups_task.call_local() is None  # the import holds it: skipped
    leases.release("insights-rollups", owner)
    refresh_rollups_task.call_local()
    assert Heartbeat.objects.get(name="insights-rollups").last_succeeded_at is not None
