"""Background jobs of the reports app (Huey)."""

import logging
from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.jobs.periodic import periodic_work
from jembatan.reports.sweep import run_sla_sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@periodic_work("sla-sweep", period=timedelta(minutes=5), watched=True)
def sla_sweep_task():
    """Every five minutes: reminders, escalations, system closing and archiving."""
    result = run_sla_sweep()
    logger.info(
        "SLA sweep: %s reports, %s dispositions checked, %s errors",
        result.reports_checked,
        result.dispositions_checked,
        result.errors,
    )
    return result.reports_checked + result.dispositions_checked
