"""The portal's own state changes: a submission bound to its form token, and rate-limit hits.

Everything about the report itself happens in jembatan.reports.actions; these only wrap it.
"""

from django.db import IntegrityError, transaction

from jembatan.portal.models import SubmissionToken
from jembatan.reports import actions as report_actions


def submit_report_once(*, token, new, ip_address=None, actor=None):
    """Submit a report for a form token once; a repeat of the token returns the first report.

    Returns (report, created). The token is claimed before the report is written, in the same
    transaction: a concurrent repeat blocks on the unique index (PostgreSQL) or on the write lock
    (SQLite) until the first one commits, then finds its report.
    """
    first = SubmissionToken.objects.filter(token=token, report__isnull=False).select_related("report").first()
    if first is not None:
        return first.report, False
    user = actor if actor is not None and actor.is_authenticated else None
    try:
        with transaction.atomic():
            claim = SubmissionToken.objects.create(token=token, user=user, ip_address=ip_address)
            report = report_actions.submit_report(new=new, actor=user)
            claim.report = report
            claim.save(update_fields=["report"])
    except IntegrityError:
        first = SubmissionToken.objects.filter(token=token).select_related("report").first()
        if first is None or first.report is None:
            raise
        return first.report, False
    return report, True
