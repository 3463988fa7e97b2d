"""Tell the sysadmins when watched periodic work falls behind (the SLA sweep, the outboxes, the
duplicate index): one e-mail per late task per episode through the outbox, and always the log,
which is the fallback when there is no sysadmin with an address or the outbox itself is stuck."""

import logging

from django.db import transaction
from django.utils import timezone

from jembatan.accounts.models import Role, User
from jembatan.jobs import heartbeats
from jembatan.notify import actions as notify

logger = logging.getLogger(__name__)


def sysadmins():
    return (
        User.objects.filter(is_active=True, staff_roles__role=Role.SYSADMIN, staff_roles__is_active=True)
        .exclude(email="")
        .distinct()
    )


def alert_late_work(now=None):
    """Queue an alert to every sysadmin for each watched task that is late; return how many were queued."""
    now = now or timezone.now()
    late = [state for state in heartbeats.states(now).values() if state.watched and state.late]
    queued = 0
    recipients = list(sysadmins())
    for state in late:
        since = (
            timezone.localtime(state.last_succeeded_at).strftime("%Y-%m-%d %H:%M")
            if state.last_succeeded_at
            else "-"
        )
        logger.error("periodic task %s is late: last success %s", state.name, since)
        # One alert per episode: the episode is named by the last success it follows.
        episode = state.last_succeeded_at.isoformat() if state.last_succeeded_at else "never"
        for user in recipients:
            with transaction.atomic():
                notify.queue_message(
                    channel="email",
                    recipient=user.email,
                    template="work_late",
                    language=user.preferred_language or None,
                    user=user,
                    dedupe=f"work-late:{state.name}:{episode}",
                    context={
                        "task": state.name,
                        "last_success": since,
                        "period": int(state.period.total_seconds() // 60) or 1,
                        "last_error": state.last_error[:300],
                    },
                )
            queued += 1
    if late and not recipients:
        logger.error("no active sysadmin with an e-mail address to tell about late periodic work")
    return queued
