"""The SLA sweep: find the reports and dispositions whose next check has come, and run it.

Only rows with `next_check_at <= now` are read (an index scan on next_check_at), so the cost
follows the number of rows that are due, not the size of the table. Each row is handled by
its own action in its own transaction, which re-reads the row under a lock and re-checks that it
is still due: running the sweep twice, or two sweeps at once, does the work once.
"""

import logging
from dataclasses import dataclass

from django.utils import timezone

from jembatan.reports import actions
from jembatan.reports.models import Disposition, Report

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    reports_checked: int = 0
    dispositions_checked: int = 0
    errors: int = 0


def run_sla_sweep(*, now=None, batch_size=500, limit=None):
    """Run every due SLA check once; return how many rows were looked at."""
    now = now or timezone.now()
    result = SweepResult()
    last_pk = 0
    while True:
        ids = list(
            Report.objects.filter(next_check_at__lte=now, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for report in Report.objects.filter(pk__in=ids).order_by("pk"):
            try:
                actions.check_report_deadlines(report=report, now=now)
            except Exception:  # one broken row must not stop the sweep for everyone else
                logger.exception("SLA sweep failed for report %s", report.pk)
                result.errors += 1
            result.reports_checked += 1
        last_pk = ids[-1]
        if limit and result.reports_checked >= limit:
            break
    last_pk = 0
    while True:
        ids = list(
            Disposition.objects.filter(next_check_at__lte=now, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for disposition in Disposition.objects.filter(pk__in=ids).select_related("report", "agency"):
            try:
                actions.check_disposition_deadlines(disposition=disposition, now=now)
            except Exception:
                logger.exception("SLA sweep failed for disposition %s", disposition.pk)
                result.errors += 1
            result.dispositions_checked += 1
        last_pk = ids[-1]
        if limit and result.dispositions_checked >= limit:
            break
    return result
