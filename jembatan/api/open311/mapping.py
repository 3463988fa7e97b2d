"""Jembatan in Open311's words: categories as services, reports as service requests.

| Open311            | Jembatan                                                             |
|--------------------|----------------------------------------------------------------------|
| service            | an active category without active sub-categories; group = its parent |
| service_request_id | the tracking number                                                  |
| status             | open / closed (presenters.OPEN311_CLOSED: answered, closed, archived) |
| status_notes       | the latest public follow-up (else the public note that closed it)   |
| agency_responsible | the agencies the report is disposed to (working it, else answered)   |
| service_notice     | the verification promise (PermenPANRB 62/2018: 3 working days)       |
| expected_datetime  | the SLA deadline that currently runs                                 |
| address_id         | the Kemendagri region code                                           |
| media_url          | the first public attachment (an agency's follow-up photo)            |
| extensions=true    | notes = the public timeline; extended_attributes                     |

The reporter never appears in any of it; free text goes through the PII filter.
"""

import time

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jembatan.api import presenters
from jembatan.directory.models import Category
from jembatan.reports.events import CLOSING_ACTIONS, EventAction
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    Attachment,
    Disposition,
    DispositionStatus,
    Event,
    Report,
    ReportType,
    Visibility,
)
from jembatan.reports.pii import public_form
from jembatan.reports.sla import policy

DESCRIPTION_LIMIT = 4000  # GeoReport v2: "free form text limited to 4,000 characters"


def services():
    """The active leaf categories, grouped."""
    children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    rows = (
        Category.objects.filter(is_active=True)
        .filter(~Exists(children))
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    return [s for s in rows if s.parent_id is None or s.parent.is_active]


# The service of a POST: an active leaf whose group (if any) is active, by its unique code. Plain
# SQL through Category.objects.raw: the ORM spent longer building the query (Exists, Q,
# select_related: 1.9 ms of CPU) than SQLite spent answering it, on every POST.
_SERVICE_SQL = """
    SELECT c.* FROM directory_category c
    LEFT JOIN directory_category g ON g.id = c.parent_id
    WHERE c.code = %s AND c.is_active AND (c.parent_id IS NULL OR g.is_active)
      AND NOT EXISTS (SELECT 1 FROM directory_category k WHERE k.parent_id = c.id AND k.is_active)
    LIMIT 1
"""


# Services found, per process: {code: (expiry in epoch seconds, Category)}. Every POST names one of a few
# dozen services, which an admin changes a few times a year; a service deactivated (or moved under
# an inactive group, or given sub-services) in any process stops being used within
# settings.LOOKUP_CACHE_SECONDS. Unknown codes are asked every time: a new service works at once.
_services_by_code = {}
MAX_CACHED_SERVICES = 1000


def forget_services():
    """Drop this process's copies of the services (a test, or after changing categories here)."""
    _services_by_code.clear()


def service_by_code(code):
    """The service with this code: an active leaf whose group (if any) is active. One indexed query
    (code is unique), not the whole service list, and reused for LOOKUP_CACHE_SECONDS."""
    code = str(code)
    ttl = settings.LOOKUP_CACHE_SECONDS
    now = time.time()
    cached = _services_by_code.get(code) if ttl else None
    if cached is not None and now < cached[0] <= now + ttl:  # (a clock set back: read again)
        return cached[1]
    category = next(iter(Category.objects.raw(_SERVICE_SQL, [code])), None)
    if category is None or not ttl:
        _services_by_code.pop(code, None)
    else:
        if len(_services_by_code) >= MAX_CACHED_SERVICES:
            _services_by_code.clear()
        _services_by_code[code] = (now + ttl, category)
    return category


def service(category):
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (f"{category.parent.name}: {category.name}" if category.parent_id else category.name),
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords or None,
        "group": category.parent.name if category.parent_id else None,
    }


# Every service takes the same extra fields; all optional.
ATTRIBUTES = (
    (
        "title",
        "string",
        gettext_lazy("Judul laporan"),
        gettext_lazy("Paling sedikit 5 karakter; bila kosong, diambil dari awal deskripsi."),
    ),
    (
        "incident_date",
        "datetime",
        gettext_lazy("Tanggal kejadian"),
        gettext_lazy("Tanggal ISO 8601, tidak di masa depan."),
    ),
    ("report_type", "singlevaluelist", gettext_lazy("Jenis laporan"), None),
    ("anonymous", "singlevaluelist", gettext_lazy("Rahasiakan identitas pelapor dari instansi"), None),
)


def service_definition(category):
    values = {
        "report_type": [{"key": value, "name": str(label)} for value, label in ReportType.choices],
        "anonymous": [{"key": "false", "name": _("Tidak")}, {"key": "true", "name": _("Ya")}],
    }
    attributes = []
    for order, (code, datatype, description, hint) in enumerate(ATTRIBUTES, start=1):
        attribute = {
            "variable": True,
            "code": code,
            "datatype": datatype,
            "required": False,
            "datatype_description": str(hint) if hint else None,
            "order": order,
            "description": str(description),
        }
        if code in values:
            attribute["values"] = values[code]
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


def service_notice():
    return _(
        "Laporan diverifikasi paling lambat %(n)d hari kerja setelah diterima, lalu diteruskan ke "
        "instansi yang berwenang."
    ) % {"n": policy().verification_days}


def requests_queryset(*, extensions=False):
    """Reports as Open311 may show them: never a confidential one; relations fetched in bulk."""
    return with_relations(base_queryset(), extensions=extensions)


def with_relations(reports, *, extensions=False):
    """`reports` with what request() reads fetched in bulk.

    Without extensions only the public events status_notes can come from are fetched: the whole
    public timeline of a thousand reports is most of the cost of a list.
    """
    events = Event.objects.filter(visibility=Visibility.PUBLIC)
    if not extensions:
        events = events.filter(action__in=(EventAction.FOLLOW_UP_POSTED, *CLOSING_ACTIONS)).exclude(text="")
    return reports.select_related("category", "region").prefetch_related(
        Prefetch("dispositions", queryset=Disposition.objects.select_related("agency").order_by("pk")),
        Prefetch("events", queryset=events.order_by("created_at", "pk"), to_attr="public_events"),
        Prefetch(
            "attachments",
            queryset=Attachment.objects.filter(visibility=Visibility.PUBLIC).order_by("pk"),
            to_attr="public_attachments",
        ),
    )


def _status_notes(report, status):
    events = [e for e in report.public_events if e.text]
    answers = [e for e in events if e.action == EventAction.FOLLOW_UP_POSTED]
    if answers:
        return answers[-1].public_text
    closing = [e for e in events if e.action in CLOSING_ACTIONS]
    if closing and status == "closed":
        return closing[-1].public_text
    return None


def _updated(report, status):
    if status == "closed":
        return report.closed_at or report.answered_at or report.updated_at
    return report.updated_at


def _note(event):
    text = presenters.event_label(event.action)
    agency = presenters.event_agency(event)
    if agency:
        text = f"{text} ({agency})"
    if event.text:
        text = f"{text}: {event.public_text}"
    return text


def request(report, *, extensions=False, notice=None):
    """One service request (a report fetched through requests_queryset)."""
    status = presenters.open_or_closed(report.status)
    agencies = presenters.handling_agencies(report)
    media = report.public_attachments[0] if report.public_attachments else None
    address, latitude, longitude = presenters.public_location(report)
    item = {
        "service_request_id": report.tracking_number,
        "status": status,
        "status_notes": _status_notes(report, status),
        "service_name": report.category.name if report.category_id else None,
        "service_code": report.category.code if report.category_id else "",
        "description": report.public("description")[:DESCRIPTION_LIMIT],
        "agency_responsible": ", ".join(a.name for a in agencies) or None,
        "service_notice": notice,
        "requested_datetime": report.submitted_at,
        "updated_datetime": _updated(report, status),
        "expected_datetime": report.sla_due_at,
        "address": address,
        "address_id": report.region_id,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": settings.SITE_URL + reverse("portal:attachment", args=[media.pk]) if media else None,
    }
    if extensions:
        item["extended_attributes"] = {
            "tracking_number": report.tracking_number,
            "title": report.public("title"),
            "report_type": report.kind,
            "jembatan_status": report.status,
            "support_count": report.support_count,
        }
        item["notes"] = [
            {
                "datetime": event.created_at,
                "description": _note(event),
                "type": event.action,
            }
            for event in report.public_events
        ]
    # GeoReport v2 lets a server leave out an optional field it has no value for: no nulls.
    return {key: value for key, value in item.items() if value is not None}


# --- The lean path: lists and single requests without extensions ----------------------------------
# Rows from values() and three tuple queries instead of model instances and prefetches: a page of
# a hundred built 400 model instances and ran every text through the PII filter on every read.

_LEAN_FIELDS = (
    "pk",
    "tracking_number",
    "status",
    "description",
    "submitted_at",
    "updated_at",
    "closed_at",
    "answered_at",
    "verification_due_at",
    "completion_due_at",
    "paused_at",
    "region_id",
    "latitude",
    "longitude",
    "is_anonymous",
    "address",
    "address_public",
    "description_public",
    "category_id",
    "category__name",
    "category__code",
)
_NOTE_ACTIONS = (EventAction.FOLLOW_UP_POSTED, *CLOSING_ACTIONS)


def base_queryset():
    """Reports Open311 may show (never a confidential one), without relations: for lean_requests."""
    return Report.objects.filter(is_confidential=False)


def _agencies_by_report(ids):
    working, answered = {}, {}
    rows = (
        Disposition.objects.filter(report_id__in=ids)
        .order_by("pk")
        .values_list("report_id", "status", "agency__name")
    )
    for report_id, status, agency in rows:
        if status in OPEN_DISPOSITION_STATUSES:
            working.setdefault(report_id, []).append(agency)
        elif status == DispositionStatus.SELESAI:
            answered.setdefault(report_id, []).append(agency)
    return {i: ", ".join(working.get(i) or answered.get(i) or []) for i in ids}


def _notes_by_report(ids):
    """(latest public follow-up text, latest closing note) of each report."""
    answers, closings = {}, {}
    rows = (
        Event.objects.filter(report_id__in=ids, visibility=Visibility.PUBLIC, action__in=_NOTE_ACTIONS)
        .exclude(text="")
        .order_by("created_at", "pk")
        .values_list("report_id", "action", "text", "text_public")
    )
    for report_id, action, text, stored in rows:
        (answers if action == EventAction.FOLLOW_UP_POSTED else closings)[report_id] = (text, stored)
    return answers, closings


def _media_by_report(ids):
    rows = (
        Attachment.objects.filter(report_id__in=ids, visibility=Visibility.PUBLIC)
        .values("report_id")
        .annotate(first=Min("pk"))
        .values_list("report_id", "first")
    )
    return dict(rows)


_due = presenters.due_of_row


def _lean_item(row, agencies, answers, closings, media):
    pk = row["pk"]
    status = presenters.open_or_closed(row["status"])
    notes = answers.get(pk) or (closings.get(pk) if status == "closed" else None)
    latitude = float(row["latitude"]) if row["latitude"] is not None else None
    longitude = float(row["longitude"]) if row["longitude"] is not None else None
    address = None
    if row["is_anonymous"]:  # as presenters.public_location: no address, coordinates coarse
        if latitude is not None:
            latitude = round(latitude, presenters.PUBLIC_COORDINATE_DECIMALS)
            longitude = round(longitude, presenters.PUBLIC_COORDINATE_DECIMALS)
    else:
        address = public_form(row["address"], row["address_public"]) or None
    updated = row["updated_at"]
    if status == "closed":
        updated = row["closed_at"] or row["answered_at"] or updated
    item = {
        "service_request_id": row["tracking_number"],
        "status": status,
        "status_notes": public_form(*notes) if notes else None,
        "service_name": row["category__name"],
        "service_code": row["category__code"] or "",
        "description": public_form(row["description"], row["description_public"])[:DESCRIPTION_LIMIT],
        "agency_responsible": agencies.get(pk) or None,
        "requested_datetime": row["submitted_at"],
        "updated_datetime": updated,
        "expected_datetime": _due(row),
        "address": address,
        "address_id": row["region_id"],
        "lat": latitude,
        "long": longitude,
        "media_url": f"{settings.SITE_URL}{_attachment_path(media[pk])}" if pk in media else None,
    }
    # GeoReport v2 lets a server leave out an optional field it has no value for: no nulls.
    return {key: value for key, value in item.items() if value is not None}


def _attachment_path(pk):
    return reverse("portal:attachment", args=[pk])


def lean_requests(reports, *, notice=None):
    """Service requests (without extensions) of a base_queryset(): four queries for any page."""
    rows = list(reports.values(*_LEAN_FIELDS))
    if not rows:
        return []
    ids = [row["pk"] for row in rows]
    agencies = _agencies_by_report(ids)
    answers, closings = _notes_by_report(ids)
    media = _media_by_report(ids)
    items = [_lean_item(row, agencies, answers, closings, media) for row in rows]
    if notice:
        for item in items:
            item["service_notice"] = notice
    return items
