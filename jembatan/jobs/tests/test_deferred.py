"""Work left for after the commit is queued as one worker task per transaction (jobs/deferred.py)."""

import pytest
from django.db import transaction

from jembatan.jobs import deferred
from jembatan.notify.models import Notification, NotificationStatus
from jembatan.reports.models import Report
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    calls = []

    def fake_task(items):  # the queue's enqueue, recorded; the batch then runs as the worker would
        calls.append({name: list(ids) for name, ids in items.items()})
        deferred.run(items)

    monkeypatch.setattr("jembatan.jobs.tasks.run_deferred_task", fake_task)
    return calls


def test_a_new_report_queues_one_task_for_its_message_and_its_access_code(
    queued, mailoutbox, django_capture_on_commit_callbacks
):
    w = f.build_world()
    with django_capture_on_commit_callbacks(execute=True):
        report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    assert len(queued) == 1
    [batch] = queued
    assert batch["reports.harden_access_codes"] == [report.pk]
    [row] = Notification.objects.filter(report=report)
    assert batch["notify.deliver"] == [row.pk]
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and mailoutbox  # the worker's half ran
    assert Report.objects.get(pk=report.pk).access_code_hash.startswith("pbkdf2_hmac_sha256$")


def test_many_rows_in_one_transaction_are_one_task_and_a_rollback_queues_nothing(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for ident in (1, 2, 3):
                deferred.defer("test.nothing", ident)
    assert queued == [{"test.nothing": [1, 2, 3]}]

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                deferred.defer("test.nothing", 4)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        with transaction.atomic():
            deferred.defer("test.nothing", 5)
    assert queued[1:] == [{"test.nothing": [5]}]
