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


def _due_ids(model, now):
    # Unordered on purpose: with ORDER BY pk + LIMIT, SQLite walks the whole table in pk order
    # instead of using the index on next_check_at (measured: 724 ms vs 0.4 ms at 1,000,000 rows).
    return sorted(model.objects.filter(next_check_at__lte=now).order_by().values_list("pk", flat=True))


def run_sla_sweep(*, now=None, batch_size=500, limit=None):
    """Run every due SLA check once; return how many rows were looked at."""
    now = now or timezone.now()
    result = SweepResult()
    report_ids = _due_ids(Report, now)[:limit]
    for start in range(0, len(report_ids), batch_size):
        for report in Report.objects.filter(pk__in=report_ids[start : start + batch_size]).order_by("pk"):
            try:
                actions.check_report_deadlines(report=report, now=now)
            except Exception:  # one broken row must not stop the sweep for everyone else
                logger.exception("SLA sweep failed for report %s", report.pk)
                result.errors += 1
            result.reports_checked += 1
    disposition_ids = _due_ids(Disposition, now)[:limit]
    for start in range(0, len(disposition_ids), batch_size):
        chunk = disposition_ids[start : start + batch_size]
        for disposition in (
            Disposition.objects.filter(pk__in=chunk).select_related("report", "agency").order_by("pk")
        ):
            try:
                actions.check_disposition_deadlines(disposition=disposition, now=now)
            except Exception:
                logger.exception("SLA sweep failed for disposition %s", disposition.pk)
                result.errors += 1
            result.dispositions_checked += 1
    return result
