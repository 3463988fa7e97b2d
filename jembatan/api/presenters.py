"""How a report reads through the API and Open311: labels, timelines, public text.

Only presentation. Who may see what is decided by accounts.access before anything here runs;
these helpers only make sure the public forms never carry personal data.
"""

from rest_framework.fields import DateTimeField

from jembatan.reports.events import staff_actor, staff_label
from jembatan.reports.models import (
    ARCHIVED_STATUSES,
    CLOSED_STATUSES,
    VERIFICATION_STATUSES,
    Status,
    Visibility,
)

# The public-page personal-data filter (NIK, phone numbers, e-mail addresses, introduced names),
# shared so a report reads the same on the public pages, the REST API and Open311.
from jembatan.reports.pii import redact, text_for_viewer
from jembatan.reports.timeline import readable_staff_events

# Open311 knows two states. "Selesai Ditindaklanjuti" counts as closed: the agency has answered
# ("it has been resolved"); if the reporter replies, the report goes back to "open" and its
# updated_datetime moves. Archived reports (rejected, duplicates, withdrawn) are closed too.
OPEN311_CLOSED = (Status.SELESAI, *CLOSED_STATUSES, *ARCHIVED_STATUSES)


_DATETIME = DateTimeField()


def when(value):
    """A moment as every datetime field of the API writes it: ISO 8601 in the instance's time zone
    (`2026-12-05T08:38:05+07:00`), so a timeline entry reads like the report's own dates."""
    return None if value is None else _DATETIME.to_representation(value)


def open_or_closed(status):
    return "closed" if status in OPEN311_CLOSED else "open"


def due_of_row(row):
    """Report.sla_due_at for a values() row (status, paused_at and both deadlines)."""
    if row["status"] in VERIFICATION_STATUSES:
        return None if row["paused_at"] else row["verification_due_at"]
    if row["status"] in (Status.TERDISPOSISI, Status.DIPROSES):
        return row["completion_due_at"]
    return None


def event_label(action):
    return staff_label(action)


def public_text(text):
    return redact(text or "")


# Decimal places of an anonymous report's coordinates on public surfaces: about 110 m, enough to
# find the pothole's street, too coarse to point at the reporter's house.
PUBLIC_COORDINATE_DECIMALS = 3


def public_location(report):
    """(address, latitude, longitude) as anyone may read them. An anonymous report's free-text
    address is dropped and its coordinates rounded to PUBLIC_COORDINATE_DECIMALS: together with
    the text they could name the reporter's house."""
    latitude = float(report.latitude) if report.latitude is not None else None
    longitude = float(report.longitude) if report.longitude is not None else None
    if not report.is_anonymous:
        return report.public("address") or None, latitude, longitude
    if latitude is not None:
        latitude = round(latitude, PUBLIC_COORDINATE_DECIMALS)
        longitude = round(longitude, PUBLIC_COORDINATE_DECIMALS)
    return None, latitude, longitude


def open_dispositions(report):
    """The report's open dispositions (uses a prefetch of dispositions→agency when there is one)."""
    return [d for d in report.dispositions.all() if d.is_open]


def handling_agencies(report):
    """The agencies working the report now, else the last ones that answered it."""
    dispositions = list(report.dispositions.all())
    working = [d.agency for d in dispositions if d.is_open]
    if working:
        return working
    return [d.agency for d in dispositions if d.status == "selesai"]


def event_agency(event):
    data = event.data or {}
    return data.get("agency") or ", ".join(data.get("agencies") or []) or ""


def citizen_timeline(report, *, for_reporter):
    """The timeline a citizen reads: public events, plus the reporter's own exchange for them."""
    events = report.events.for_reporter() if for_reporter else report.events.public()
    entries = []
    for event in events.order_by("created_at", "pk"):
        text = event.text if for_reporter else event.public_text
        if event.visibility == Visibility.REPORTER and not for_reporter:
            continue
        entries.append(
            {
                "at": when(event.created_at),
                "action": event.action,
                "label": event_label(event.action),
                "text": text,
                "agency": event_agency(event),
            }
        )
    return entries


def staff_timeline(report, *, may_see_identity, user):
    """Every event, internal notes included, for staff in scope (the merge entries as
    reports.timeline.readable_staff_events allows `user`); the reporter named only to those who may see
    their identity."""
    entries = []
    events = readable_staff_events(
        user,
        report,
        report.events.select_related("actor", "disposition")
        .prefetch_related("attachments")
        .order_by("created_at", "pk"),
    )
    for event in events:
        who = staff_actor(event, reporter_name=report.reporter_display_name if may_see_identity else None)
        entries.append(
            {
                "id": event.pk,
                "at": when(event.created_at),
                "action": event.action,
                "label": event_label(event.action),
                "actor": who,
                "actor_role": event.actor_role,
                "visibility": event.visibility,
                "status_before": event.status_before,
                "status_after": event.status_after,
                "text": text_for_viewer(event.text, may_see_identity=may_see_identity),
                "data": event.data or {},
                "disposition": event.disposition_id,
                "attachments": [a.pk for a in event.attachments.all()],
            }
        )
    return entries
