"""Automatic routing of new reports, when the instance switched it on (TRIAGE_AUTO_ROUTE, off by default).

A worker task walks the reports that arrived since it last looked (a cursor by id, like the duplicate
index) and routes one without a verifier only when all of these hold:

- it is new and untouched: unverified, no disposition, not waiting for the reporter;
- the citizen did not address it to an agency themselves (that choice is for a verifier to weigh);
- it is not confidential (a confidential complaint may be about the very office the model would
  pick), and it came from a citizen channel (not imported from another system);
- the active model's first agency clears the model's bar: the confidence at which that model routed
  at least TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE (0.95 by default) of this instance's most recent
  held-out reports right (services.auto_route_bar, read off the precision curve kept with the
  model; a model that never got there routes nothing). `manage.py triage autoroute` shows the bar
  with the share of reports it would route and the expected error rate;
- no quality flag is raised (spam, abuse, SARA, "usually archived") and nothing is missing (what,
  where, when): such reports need a person.

Everything else stays in the verifiers' queue as before. The state change is
reports.actions.auto_route_report, whose events name the model version and its confidence.

When switched on for the first time, the cursor starts at the newest report: the backlog already in
the queue is left to the verifiers.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jembatan.reports import actions as report_actions
from jembatan.reports.events import EventAction
from jembatan.reports.models import Channel, Report, Status
from jembatan.triage import services
from jembatan.triage.models import IndexCursor

logger = logging.getLogger(__name__)

CURSOR = "auto-route"
# A report younger than this may sit behind an id whose transaction has not committed yet: the cursor
# does not move past it, so it is looked at again on the next run.
SETTLE_SECONDS = 120
AUTO_CHANNELS = (
    Channel.WEB,
    Channel.ANDROID,
    Channel.SMS,
    Channel.WHATSAPP,
    Channel.EMAIL,
    Channel.OPEN311,
    Channel.API,
)


def enabled():
    return bool(settings.TRIAGE_AUTO_ROUTE)


def decide(report):
    """(Suggestion, reason): the suggestion when `report` may be routed automatically, else None and why."""
    if report.status != Status.BELUM_TERVERIFIKASI or report.verified_at is not None:
        return None, "not new"
    if report.target_agency_id is not None:
        return None, "addressed by the citizen"
    if report.is_confidential:
        return None, "confidential"  # a person decides who may read it (it may be about that office)
    if report.channel not in AUTO_CHANNELS or report.events.filter(action=EventAction.IMPORTED).exists():
        return None, "not a citizen channel"  # imported history (its source channel), officer desk entries
    suggestion = services.suggest(report)
    if not services.should_auto_route(suggestion):
        return None, "not sure enough"
    if services.flags(report):
        return None, "flagged"
    if services.completeness(report).missing:
        return None, "incomplete"
    return suggestion, ""


def route(report):
    """Route `report` automatically if `decide` allows it; return the routed report or None."""
    suggestion, _reason = decide(report)
    if suggestion is None:
        return None
    try:
        return report_actions.auto_route_report(
            report=report,
            agency=suggestion.agency.item,
            category=suggestion.category.item if suggestion.category else None,
            confidence=suggestion.confidence,
            model_version=suggestion.model_version,
        )
    except report_actions.ReportError as error:  # someone acted on it meanwhile
        logger.info("auto-route skipped report %s: %s", report.pk, error)
        return None


def route_new_reports(*, batch=200, now=None):
    """Look at the reports that arrived since the last run; return how many were routed."""
    if not enabled():
        return 0
    now = now or timezone.now()
    settled_before = now - dt.timedelta(seconds=SETTLE_SECONDS)
    with transaction.atomic():
        cursor, created = IndexCursor.objects.select_for_update().get_or_create(name=CURSOR)
        if created:
            cursor.position = Report.objects.aggregate(top=Max("pk"))["top"] or 0
            cursor.save(update_fields=["position", "updated_at"])
            return 0
        after = cursor.position
    routed = 0
    while True:
        reports = list(
            Report.objects.filter(pk__gt=after)
            .select_related("region", "category", "target_agency")
            .order_by("pk")[:batch]
        )
        if not reports:
            return routed
        settled_up_to = None
        settled = True
        for report in reports:
            if route(report) is not None:
                routed += 1
            settled = settled and report.created_at < settled_before
            if settled:
                settled_up_to = report.pk
        if settled_up_to is not None:
            IndexCursor.objects.filter(name=CURSOR, position__lt=settled_up_to).update(
                position=settled_up_to, updated_at=now
            )
        if len(reports) < batch or not settled:
            return routed
        after = reports[-1].pk
