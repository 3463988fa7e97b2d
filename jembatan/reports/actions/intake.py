"""A report comes in: the citizen's (or an officer's, or a channel's) submission."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.jobs import deferred
from jembatan.reports import notifications as notify
from jembatan.reports.actions._common import (
    _FileGuard,
    _now,
    _read_uploads,
    _record,
    _schedule_report,
    _store_attachments,
    _verifying_agency_for,
)
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import (
    ACCESS_CODE_FAST_ALGORITHM,
    Channel,
    Report,
    Visibility,
    harden_access_code_hash,
    new_access_code,
    new_tracking_number,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- Citizen side ------------------------------------------------------------------------------------


def _save_with_new_tracking_number(report):
    """Insert the report under a fresh random tracking number, drawing again on a collision.

    A taken number is skipped by the INSERT itself (ON CONFLICT DO NOTHING, see fastinsert), so no
    savepoint is needed around it; any other broken constraint raises as before."""
    for _attempt in range(5):
        report.tracking_number = new_tracking_number()
        if report.insert_new(unless_tracking_number_taken=True):
            return
    # pragma: no cover - 900 million numbers; five collisions in a row means a bug
    raise RuntimeError("could not allocate a tracking number")


def submit_report(*, new, actor=None):
    """Receive a new report (a NewReport) from a citizen, a channel, or an officer recording it for one."""
    if new.channel == Channel.OFFICER:
        if actor is None or not access.scopes_for(actor, Action.ENTER_REPORT):
            raise PermissionDenied(_("Hanya petugas yang dapat mencatat laporan atas nama warga."))
    elif actor is not None and actor.is_authenticated and new.reporter is None and not new.received_via:
        new = new.replace(reporter=actor)
    new = new.validated(today=timezone.localdate(_now()))
    channel, reporter, received_via = new.channel, new.reporter, new.received_via
    uploads = _read_uploads(new.attachments)
    cal = WorkingCalendar.load()
    pol = policy()
    submitted = new.submitted_at or _now()
    # The new row is built, scheduled and redacted before the transaction: on SQLite the
    # transaction holds the one write lock of the database (IMMEDIATE), which every other web
    # worker's write waits for, so only the writes belong inside it.
    report = Report(
        kind=new.kind,
        title=new.title,
        description=new.description,
        incident_date=new.incident_date,
        region=new.region,
        address=new.address,
        latitude=new.latitude,
        longitude=new.longitude,
        category=new.category,
        target_agency=new.target_agency,
        verifying_agency=_verifying_agency_for(new.target_agency, new.region),
        channel=channel,
        source_instance=new.source_instance or settings.INSTANCE_NAME,
        external_id=new.external_id,
        reporter=reporter,
        reporter_name=new.reporter_name,
        reporter_email=new.reporter_email,
        reporter_phone=new.reporter_phone,
        is_anonymous=new.is_anonymous,
        is_confidential=new.is_confidential,
        ombudsman_consent=new.ombudsman_consent,
        submitted_at=submitted,
        verification_due_at=cal.add_working_days(submitted, pol.verification_days),
        completion_due_at=new.completion_due_at,
        access_code=new_access_code(),
    )
    _schedule_report(report, cal, pol)
    report.derive_public_texts()
    with _FileGuard() as guard, transaction.atomic():
        # The search index row is written with it (Report.insert_new), in this transaction: it
        # commits or rolls back with the report.
        _save_with_new_tracking_number(report)
        event = _record(
            report,
            actor=actor,
            action=EventAction.SUBMITTED,
            before="",
            text="",
            visibility=Visibility.PUBLIC,
            data={"channel": channel, **({"received_via": received_via} if received_via else {})},
            actor_role=_submitter_role(channel, reporter),
            at=submitted,
        )
        _store_attachments(
            report,
            uploads,
            uploaded_by=reporter or actor,
            event=event,
            visibility=Visibility.REPORTER,
            guard=guard,
        )
        if channel != Channel.IMPORT:
            notify.notify_reporter(report=report, template="report_received", event=event, new=True)
        if report.access_code_hash.startswith(ACCESS_CODE_FAST_ALGORITHM + "$"):
            deferred.defer(HARDEN_ACCESS_CODES, report.pk)
    return report


HARDEN_ACCESS_CODES = "reports.harden_access_codes"  # jobs.deferred: done by reports.tasks
HARDEN_SWEEP_WINDOW = timedelta(days=7)


def harden_access_codes(*, report_ids=None, now=None):
    """Stretch new reports' access-code hashes with PBKDF2 (the worker's half of submit_report).

    The request stored a keyed HMAC of the code (models.fast_access_code_hash, microseconds); this
    replaces it with PBKDF2 over that HMAC, which needs no code. Without ids: every report of the
    last HARDEN_SWEEP_WINDOW still in the fast form (the sweep for a lost batch). Each row is
    updated only if it still holds the hash read, so two workers cannot undo each other. Returns
    how many rows were hardened.
    """
    rows = Report.objects.filter(access_code_hash__startswith=ACCESS_CODE_FAST_ALGORITHM + "$")
    if report_ids is not None:
        rows = rows.filter(pk__in=list(report_ids))
    else:
        rows = rows.filter(submitted_at__gte=(now or _now()) - HARDEN_SWEEP_WINDOW)
    done = 0
    for pk, stored in rows.values_list("pk", "access_code_hash").iterator():
        done += Report.objects.filter(pk=pk, access_code_hash=stored).update(
            access_code_hash=harden_access_code_hash(stored)
        )
    return done


def _submitter_role(channel, reporter):
    """An officer typing it in, its reporter with an account, or a guest (never named)."""
    if channel == Channel.OFFICER:
        return ActorRole.OFFICER
    return ActorRole.REPORTER if reporter else ActorRole.CITIZEN
