"""Huey tasks for the outbox. Thin: the work is in delivery.py."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jembatan.jobs import deferred
from jembatan.jobs.periodic import periodic_work
from jembatan.notify import delivery


@db_task()
def deliver_notification_task(notification_id):
    """Deliver one outbox row (scheduled on commit of the transaction that wrote it)."""
    return delivery.deliver(notification_id)


@deferred.handler("notify.deliver")
def deliver_batch(notification_ids):
    """The rows one transaction wrote (jobs/deferred.py); return how many this call sent."""
    return sum(1 for pk in notification_ids if delivery.deliver(pk))


@db_periodic_task(crontab(minute="*"))
@periodic_work("notify-outbox", period=timedelta(minutes=1), exclusive=False, watched=True)
def deliver_due_notifications_task():
    """Deliver what is due: retries after backoff, rows whose enqueue was lost or whose worker died."""
    return delivery.deliver_due()
