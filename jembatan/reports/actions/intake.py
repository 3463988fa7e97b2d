"""A report comes in: the citizen's (or an officer's, or a channel's) submission."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.reports import notifications as notify
from jembatan.reports import search
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
    Channel,
    Report,
    Visibility,
    new_access_code,
    new_tracking_number,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- Citizen side ------------------------------------------------------------------------------------


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
    with _FileGuard() as guard, transaction.atomic():
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
        for _attempt in range(5):
            report.tracking_number = new_tracking_number()
            try:
                with transaction.atomic():
                    report.save()
                break
            except IntegrityError:
                if Report.objects.filter(tracking_number=report.tracking_number).exists():
                    report.pk = None
                    continue
                raise
        else:  # pragma: no cover - 900 million numbers; five collisions in a row means a bug
            raise RuntimeError("could not allocate a tracking number")
        # -- search index (portal): written in this transaction, so it commits or rolls back with the report.
        search.index_report(report)
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
            notify.notify_reporter(report=report, template="report_received", event=event)
    return report


def _submitter_role(channel, reporter):
    """An officer typing it in, its reporter with an account, or a guest (never named)."""
    if channel == Channel.OFFICER:
        return ActorRole.OFFICER
    return ActorRole.REPORTER if reporter else ActorRole.CITIZEN
