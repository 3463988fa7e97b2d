"""The staff timeline's one reading rule beyond an event's visibility, shared by the workbench and
the staff API."""

from jembatan.accounts import access
from jembatan.reports.events import EventAction
from jembatan.reports.models import Report, Visibility

# Internal entries on the report a duplicate was merged into (and the undoing): they name the
# other report.
MERGE_ENTRIES = (EventAction.DUPLICATE_MERGED, EventAction.DUPLICATE_UNMERGED)


def readable_staff_events(user, report, events):
    """`report`'s timeline `events` (in order) as `user` reads them in the staff views (the workbench
    and the staff API): the internal merge entries each per can_see_merge_entry; everything else
    as given. One query for the other reports, only when there are merge entries."""

    def is_merge_entry(event):
        return event.action in MERGE_ENTRIES and event.visibility == Visibility.INTERNAL

    events = list(events)
    numbers = {(event.data or {}).get("duplicate") for event in events if is_merge_entry(event)}
    numbers.discard(None)
    if not numbers:
        return events
    others = {
        other.tracking_number: other
        for other in Report.objects.filter(tracking_number__in=numbers)
        .select_related("verifying_agency")
        .prefetch_related("dispositions__agency")
    }
    return [
        event
        for event in events
        if not is_merge_entry(event)
        or access.can_see_merge_entry(user, report, others.get((event.data or {}).get("duplicate")))
    ]
