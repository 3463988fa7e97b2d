"""Background jobs of the reports app (Huey)."""

import logging
from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.jobs import deferred
from jembatan.jobs.periodic import periodic_work
from jembatan.reports.actions.intake import HARDEN_ACCESS_CODES, harden_access_codes
from jembatan.reports.sweep import run_sla_sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@periodic_work("sla-sweep", period=timedelta(minutes=5), watched=True)
def sla_sweep_task():
    """Every five minutes: reminders, escalations, system closing and archiving."""
    result = run_sla_sweep()
    harden_access_codes()  # new reports whose hardening batch was lost (see reports.actions.intake)
    logger.info(
        "SLA sweep: %s reports, %s dispositions checked, %s errors",
        result.reports_checked,
        result.dispositions_checked,
        result.errors,
    )
    return result.reports_checked + result.dispositions_checked


@deferred.handler(HARDEN_ACCESS_CODES)
def harden_access_codes_batch(report_ids):
    """The access codes of the reports one transaction received (jobs/deferred.py)."""
    return harden_access_codes(report_ids=report_ids)
