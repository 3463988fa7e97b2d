"""A heartbeat for every periodic task: in /readyz, on an admin page, and an alert to the
sysadmins when the SLA sweep, an outbox or the duplicate index falls behind (issue 20)."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.jobs import heartbeats
from jembatan.jobs.models import Heartbeat
from jembatan.notify.models import Notification
from jembatan.ops import watch
from jembatan.reports.tasks import sla_sweep_task

pytestmark = pytest.mark.django_db


def beat(name, minutes_ago):
    Heartbeat.objects.update_or_create(
        name=name,
        defaults={
            "last_started_at": timezone.now() - timedelta(minutes=minutes_ago),
            "last_succeeded_at": timezone.now() - timedelta(minutes=minutes_ago),
        },
    )


def all_fresh():
    heartbeats.discover()
    for name in heartbeats.REGISTRY:
        beat(name, 0)


def test_every_periodic_task_has_a_heartbeat():
    from huey.contrib.djhuey import HUEY

    heartbeats.discover()
    periodic = HUEY._registry._periodic_tasks
    assert len(periodic) > 15 and len(heartbeats.REGISTRY) == len(periodic)
    assert {"sla-sweep", "triage-duplicate-index", "notify-outbox", "webhooks-outbox"} <= {
        name for name, entry in heartbeats.REGISTRY.items() if entry.watched
    }


def test_running_a_periodic_task_records_when_it_finished():
    before = timezone.now()
    sla_sweep_task.call_local()
    row = Heartbeat.objects.get(name="sla-sweep")
    assert row.last_succeeded_at >= before and row.runs == 1 and row.last_failed_at is None


def test_readyz_names_a_late_sla_sweep_without_taking_the_node_out(client, settings):
    settings.HEARTBEAT_GRACE_MINUTES = 10
    all_fresh()
    assert client.get("/readyz").json()["status"] == "ok"

    beat("sla-sweep", 16)  # every 5 minutes + 10 of grace: late
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["periodic_work"]["state"] == "late" and body["periodic_work"]["late"] == ["sla-sweep"]
    assert body["periodic_work"]["tasks"]["sla-sweep"]["late"] is True


def test_a_task_that_never_ran_is_late_once_the_others_have_been_running_long_enough(client):
    all_fresh()
    Heartbeat.objects.filter(name="triage-duplicate-index").delete()
    Heartbeat.objects.filter(name="notify-outbox").update(last_started_at=timezone.now() - timedelta(hours=1))
    assert "triage-duplicate-index" in client.get("/readyz").json()["periodic_work"]["late"]


def test_the_sysadmins_are_told_once_per_episode(settings):
    sysadmin = make_staff(Role.SYSADMIN, email="sysadmin@contoh.id")
    make_user(email="warga@contoh.id")  # not a sysadmin: not told
    all_fresh()
    beat("notify-outbox", 30)

    assert watch.alert_late_work() == 1
    assert watch.alert_late_work() == 1  # the same episode: the outbox keeps one row
    [alert] = Notification.objects.filter(template="work_late")
    assert alert.recipient == sysadmin.email and "notify-outbox" in alert.subject

    beat("notify-outbox", 0)
    assert watch.alert_late_work() == 0


def test_with_no_sysadmin_the_log_says_so(caplog):
    all_fresh()
    beat("sla-sweep", 60)
    with caplog.at_level(logging.ERROR):
        watch.alert_late_work()
    assert "sla-sweep is late" in caplog.text and "no active sysadmin" in caplog.text


def test_the_admin_lists_heartbeats(client):
    root = make_user("root", is_staff=True, is_superuser=True)
    sla_sweep_task.call_local()
    client.force_login(root)
    page = client.get("/admin/jobs/heartbeat/")
    assert page.status_code == 200 and "sla-sweep" in page.content.decode()
    assert client.get("/admin/jobs/lease/").status_code == 200
