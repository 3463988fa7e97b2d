"""Huey tasks of the intake channels."""

import imaplib
import logging
from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.intake import actions, imap
from jembatan.jobs.periodic import periodic_work

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/2"))
@periodic_work("intake-fetch-mail", period=timedelta(minutes=2))
def fetch_mail_task():
    """Read the complaints mailbox when CHANNELS_IMAP_HOST is set; return how many messages were handled."""
    config = imap.configured()
    if config is None:
        return 0
    try:
        return len(imap.fetch_mail(config, commit=True))
    except (imaplib.IMAP4.error, OSError) as exc:
        logger.warning("Cannot read the mailbox %s: %s", config.host, exc)
        return 0


@db_periodic_task(crontab(hour="2", minute="41"))
@periodic_work("intake-log-purge", period=timedelta(days=1))
def purge_inbound_log_task():
    """Forget intake-log rows past their retention (CHANNELS_LOG_RETENTION_DAYS, default 90)."""
    return actions.purge_inbound_log()
