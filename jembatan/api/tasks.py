"""Huey tasks of the API: the webhook poller and outbox, and the idempotency-record sweep."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jembatan.api import actions, idempotency, webhooks
from jembatan.jobs.periodic import periodic_work


@db_task()
def deliver_webhook_task(delivery_id):
    """Deliver one webhook (scheduled on commit of the poll that queued it)."""
    return webhooks.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
@periodic_work("webhooks-queue", period=timedelta(minutes=1))
def queue_webhooks_task():
    """Read new timeline events and queue the webhook deliveries they call for."""
    return actions.queue_webhook_deliveries()


@db_periodic_task(crontab(minute="*"))
@periodic_work("webhooks-outbox", period=timedelta(minutes=1), exclusive=False, watched=True)
def deliver_due_webhooks_task():
    """Deliver what is due: retries after backoff, lost enqueues, deliveries whose worker died."""
    return webhooks.deliver_due()


@db_periodic_task(crontab(hour="3", minute="27"))
@periodic_work("webhooks-purge", period=timedelta(days=1))
def purge_webhook_deliveries_task():
    """Forget finished webhook deliveries past WEBHOOK_LOG_RETENTION_DAYS (default 90)."""
    return actions.purge_webhook_deliveries()


@db_periodic_task(crontab(hour="3", minute="17"))
@periodic_work("idempotency-purge", period=timedelta(days=1))
def purge_idempotency_records_task():
    """Forget Idempotency-Key records older than their 24-hour retention."""
    return idempotency.purge_expired()
