"""Huey tasks of the federation outbox. Thin: the work is in delivery.py."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jembatan.federation import delivery, figures, hubsync
from jembatan.federation.models import FederationMessage
from jembatan.jobs.models import OutboxStatus
from jembatan.jobs.periodic import periodic_work


def enqueue_delivery(message_id):
    deliver_federation_message_task(message_id)


@db_task()
def deliver_federation_message_task(message_id):
    """Deliver one message; after a failure, come back when its backoff ends (not a minute later)."""
    if delivery.deliver(message_id):
        return True
    row = FederationMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING, attempts__gt=0).first()
    if row is not None and row.next_attempt_at is not None:
        wait = max((row.next_attempt_at - timezone.now()).total_seconds(), 0) + 0.2
        deliver_federation_message_task.schedule((message_id,), delay=wait)
    return False


@db_periodic_task(crontab(minute="*"))
@periodic_work("federation-outbox", period=timedelta(minutes=1), exclusive=False, watched=True)
def deliver_due_federation_messages_task():
    """Deliver what is due: retries, lost enqueues, messages whose worker died mid-send."""
    return delivery.deliver_due()


@db_periodic_task(crontab(minute=f"*/{settings.FEDERATION_SYNC_MINUTES}"))
@periodic_work("federation-directory", period=timedelta(minutes=settings.FEDERATION_SYNC_MINUTES))
def sync_directory_task():
    """Pull the hub's directory and apply it (FEDERATION_HUB); nothing when no hub is set."""
    if not settings.FEDERATION_HUB:
        return None
    changes = hubsync.pull()
    return {kind: sum(1 for change in changes if change[0] == kind) for kind in hubsync.CHANGES}


@db_periodic_task(crontab(minute=f"*/{settings.FEDERATION_FIGURES_MINUTES}"))
@periodic_work("federation-figures", period=timedelta(minutes=settings.FEDERATION_FIGURES_MINUTES))
def send_network_figures_task():
    """Send the hub this instance's monthly figures (FEDERATION_HUB); nothing when no hub is set."""
    if not settings.FEDERATION_HUB:
        return None
    return figures.send()
