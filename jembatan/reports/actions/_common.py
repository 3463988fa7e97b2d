"""Shared internals of the report actions: errors, locking, the timeline record, SLA scheduling."""

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.models import Role
from jembatan.directory.models import Agency, AgencyKind
from jembatan.reports import notifications as notify
from jembatan.reports import publication, recipients
from jembatan.reports.attachments import MAX_ATTACHMENTS, AttachmentRejected, clean_upload
from jembatan.reports.errors import (  # noqa: F401  (re-exported to the actions)
    STALE_MESSAGE,
    IllegalTransition,
    ReportConflict,
    ReportError,
)
from jembatan.reports.errors import clean_text as _clean_text  # noqa: F401  (used by the actions)
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    OPEN_DISPOSITION_STATUSES,
    Attachment,
    Disposition,
    DispositionStatus,
    Event,
    Report,
    ReportType,
    Status,
    Visibility,
)
from jembatan.reports.sla import WorkingCalendar, policy
from jembatan.reports.submission import MIN_DESCRIPTION_LENGTH, MIN_TITLE_LENGTH  # noqa: F401

# Escalation ladder: after a breach the agency's coordinators are told at once (level 1); if the
# work is still not done this many working days later, the coordinators one agency up (level 2).
# Not fixed by PermenPANRB 62/2018; chosen so a breach reaches a second desk within a working week.
ESCALATION_STEP_WORKING_DAYS = 2


# --- Internals ---------------------------------------------------------------------------------------


def _now():
    return timezone.now()


def _lock(report, expected_version=None):
    """Re-read the report under a write lock and check the caller saw the latest version."""
    fresh = Report.objects.select_for_update().get(pk=report.pk)
    if expected_version is not None and int(expected_version) != fresh.version:
        raise ReportConflict(STALE_MESSAGE)
    return fresh


def _lock_disposition(disposition, expected_version=None):
    report = _lock(disposition.report, expected_version)
    fresh = Disposition.objects.select_for_update().select_related("agency").get(pk=disposition.pk)
    fresh.report = report
    return report, fresh


def _require(verdict):
    """Enforce a lifecycle rule (reports/lifecycle.py): 403 about the person, else an illegal move."""
    if verdict:
        return
    if verdict.forbidden:
        raise PermissionDenied(verdict.reason)
    raise IllegalTransition(verdict.reason)


def _actor_role(actor, report):
    if actor is None:
        return ActorRole.SYSTEM
    if report is not None and report.reporter_id and report.reporter_id == actor.pk:
        return ActorRole.REPORTER
    order = [
        Role.ADMIN_NASIONAL,
        Role.ADMIN_INSTANSI,
        Role.PENGHUBUNG,
        Role.AUDITOR,
        Role.PIMPINAN,
        Role.SYSADMIN,
    ]
    held = {r.role for r in access.roles_of(actor)}
    for role in order:
        if role in held:
            return ActorRole(role)
    return ActorRole.CITIZEN


def _record(
    report,
    *,
    actor,
    action,
    text="",
    visibility=Visibility.INTERNAL,
    before=None,
    disposition=None,
    data=None,
    actor_role=None,
    at=None,
):
    # The one place every action passes: cached public answers die with this transaction.
    publication.note_change(report, action)
    return Event.objects.create(
        report=report,
        disposition=disposition,
        actor=actor,
        actor_role=actor_role or _actor_role(actor, report),
        action=action,
        status_before=before if before is not None else report.status,
        status_after=report.status,
        text=text,
        visibility=visibility,
        data=data or {},
        created_at=at or _now(),
    )


def _save(report, *fields):
    report.version = F("version") + 1
    report.save(update_fields=[*fields, "version", "updated_at"])
    report.refresh_from_db(fields=["version"])


def _reporter_allowed(report, actor, access_code, sender_verified=False):
    """The reporter acts either logged in, or as a guest holding the report's access code, or as
    a guest whose intake channel proved the message came from the reporter's own address
    (`sender_verified`: an authenticated e-mail from the address the guest gave)."""
    if access.is_reporter(actor, report):
        return True
    if report.reporter_id is not None:
        return False
    return sender_verified or access.holds_access_code(report, access_code)


def _require_reporter(report, actor, access_code, sender_verified=False):
    if not _reporter_allowed(report, actor, access_code, sender_verified):
        raise PermissionDenied(_("Hanya pelapor yang dapat melakukan tindakan ini."))


class _FileGuard:
    """Delete the files an action wrote if its transaction fails (Django has no on-rollback hook)."""

    def __init__(self):
        self.written = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for fieldfile in self.written:
                fieldfile.storage.delete(fieldfile.name)
        return False


def _read_uploads(files):
    """Validate and clean uploads before anything is saved (see reports/attachments.py)."""
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ReportError(_("Paling banyak %(n)d lampiran.") % {"n": MAX_ATTACHMENTS}, field="attachments")
    cleaned = []
    for upload in files:
        try:
            clean = clean_upload(upload)
        except AttachmentRejected as exc:
            raise ReportError(exc.message, field="attachments", code=exc.code) from None
        cleaned.append((clean.name, clean.content, clean.content_type))
    return cleaned


def _store_attachments(report, uploads, *, uploaded_by, event, visibility, guard):
    """Save validated uploads (from _read_uploads) as the report's attachments."""
    attachments = []
    for name, content, content_type in uploads:
        attachment = Attachment(
            report=report,
            event=event,
            original_name=name,
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            visibility=visibility,
            uploaded_by=uploaded_by,
        )
        attachment.file.save("upload", ContentFile(content), save=False)
        guard.written.append(attachment.file)
        attachment.save()
        attachments.append(attachment)
    return attachments


def _verifying_agency_for(target_agency, region):
    """The government that verifies a report: the one it was addressed to, else the most local
    government serving its region, else nobody below the national admins."""
    government_kinds = (
        AgencyKind.PEMKAB_PEMKOT,
        AgencyKind.PEMPROV,
        AgencyKind.KEMENTERIAN_LEMBAGA,
        AgencyKind.BUMN,
    )
    if target_agency is not None:
        node = target_agency
        while node is not None:
            if node.kind in government_kinds:
                return node
            node = node.parent
        return target_agency
    if region is not None:
        candidates = (
            Agency.objects.active()
            .filter(kind__in=(AgencyKind.PEMKAB_PEMKOT, AgencyKind.PEMPROV), region__isnull=False)
            .serving_region(region.code)
        )
        best = max(candidates, key=lambda a: len(a.region_id.split(".")), default=None)
        return best
    return None


# --- The SLA schedule --------------------------------------------------------------------------------


def _schedule_report(report, cal, pol):
    """Set report.next_check_at: the next moment the sweep has something to do for it."""
    moments = []
    if report.status == Status.BELUM_TERVERIFIKASI and report.verification_due_at:
        start = report.submitted_at
        if report.reminder_sent_at is None:
            moments.append(
                cal.point_in_working_time(start, report.verification_due_at, pol.reminder_fraction)
            )
        elif report.escalation_level == 0:
            moments.append(report.verification_due_at)
        elif report.escalation_level == 1:
            moments.append(cal.add_working_days(report.verification_due_at, ESCALATION_STEP_WORKING_DAYS))
    if report.status == Status.MENUNGGU_KELENGKAPAN and report.paused_at:
        moments.append(report.paused_at + dt.timedelta(days=pol.incomplete_archive_calendar_days))
    if report.status == Status.SELESAI and report.answered_at:
        moments.append(cal.add_working_days(report.answered_at, pol.auto_close_days))
    if (
        report.kind == ReportType.PENGADUAN
        and report.status in ACTIVE_STATUSES
        and report.ombudsman_flagged_at is None
    ):
        moments.append(report.submitted_at + dt.timedelta(days=pol.ombudsman_calendar_days))
    report.next_check_at = min(moments) if moments else None


def _schedule_disposition(disposition, cal, pol):
    """Set disposition.next_check_at: 80% reminder (before any response), breach, next rung."""
    due = disposition.sla_due_at if disposition.is_open else None
    if due is None:
        disposition.next_check_at = None
    elif disposition.reminder_sent_at is None and disposition.first_response_at is None:
        disposition.next_check_at = cal.point_in_working_time(
            disposition.disposed_at, due, pol.reminder_fraction
        )
    elif disposition.breached_at is None:
        disposition.next_check_at = due
    elif disposition.escalation_level == 1:
        disposition.next_check_at = cal.add_working_days(
            disposition.breached_at, ESCALATION_STEP_WORKING_DAYS
        )
    else:
        disposition.next_check_at = None


def _reschedule(report, cal=None):
    cal = cal or WorkingCalendar.load()
    _schedule_report(report, cal, policy())
    Report.objects.filter(pk=report.pk).update(next_check_at=report.next_check_at)


def _reschedule_disposition(disposition, cal):
    _schedule_disposition(disposition, cal, policy())
    Disposition.objects.filter(pk=disposition.pk).update(next_check_at=disposition.next_check_at)


def _derive_status(report):
    """The report's status while it is with agencies, from its dispositions."""
    statuses = set(report.dispositions.values_list("status", flat=True))
    if DispositionStatus.DIPROSES in statuses:
        return Status.DIPROSES
    if DispositionStatus.TERDISPOSISI in statuses:
        return Status.TERDISPOSISI
    if DispositionStatus.SELESAI in statuses:
        return Status.SELESAI
    # Every disposition returned: back with the verifier for pelimpahan, still "terdisposisi".
    return Status.TERDISPOSISI


def _finish(report, *, before, actor, action, note, actor_role=None, reason=None):
    """Shared tail of closing and archiving: stamp, stop every clock, cancel open work, notify."""
    now = _now()
    report.closed_at = now
    report.next_check_at = None
    if reason is not None:
        report.archive_reason = reason
    _save(report, "status", "closed_at", "next_check_at", "archive_reason")
    for disposition in report.dispositions.select_for_update().filter(status__in=OPEN_DISPOSITION_STATUSES):
        disposition.status = DispositionStatus.DIBATALKAN
        disposition.next_check_at = None
        disposition.save(update_fields=["status", "next_check_at", "updated_at"])
    event = _record(
        report,
        actor=actor,
        action=action,
        before=before,
        text=note,
        visibility=Visibility.PUBLIC,
        actor_role=actor_role,
        data={"reason": reason.code} if reason else {},
    )
    template = "report_archived" if report.is_archived else "report_closed"
    notify.notify_reporter(
        report=report,
        template=template,
        event=event,
        extra={
            "text": note,
            "reason": reason.name if reason else "",
            # Merged into a similar report: not "archived and not acted on" (the original is).
            "merged": bool(report.duplicate_of_id),
        },
    )
    if not report.duplicate_of_id:
        # Everyone else who reported, supported or follows the problem hears how it ended.
        notify.notify_voices(
            report=report,
            template="voice_closed",
            event=event,
            extra={"text": note, "can_rate": report.is_closed},
        )
    return event


def _dispose_locked(report, *, actor, agencies, instruction="", data=None):
    """The disposal itself, on a report already locked (inside the caller's transaction).

    The caller has checked lifecycle.may_dispose (or may_auto_route for the system).
    """
    open_agencies = set(
        report.dispositions.filter(status__in=OPEN_DISPOSITION_STATUSES).values_list("agency_id", flat=True)
    )
    duplicates = [a for a in agencies if a.pk in open_agencies]
    if duplicates:
        raise IllegalTransition(_("Laporan sudah didisposisikan ke %(name)s.") % {"name": duplicates[0].name})
    now = _now()
    cal = WorkingCalendar.load()
    pol = policy()
    before = report.status
    if report.completion_due_at is None:
        # The completion clock starts at the first disposal and follows the report through
        # returns and pelimpahan, so a bounced report does not earn a fresh deadline.
        report.completion_due_at = cal.add_working_days(
            now, pol.completion_days(report.classification, report.kind)
        )
    created = []
    for agency in agencies:
        first_due = min(cal.add_working_days(now, pol.first_response_days), report.completion_due_at)
        disposition = Disposition.objects.create(
            report=report,
            agency=agency,
            instruction=(instruction or "").strip(),
            disposed_by=actor,
            disposed_at=now,
            first_response_due_at=first_due,
            completion_due_at=report.completion_due_at,
        )
        _reschedule_disposition(disposition, cal)
        created.append(disposition)
    report.status = _derive_status(report)
    _schedule_report(report, cal, pol)
    _save(report, "status", "completion_due_at", "next_check_at")
    for disposition in created:
        _record(
            report,
            actor=actor,
            action=EventAction.DISPOSED,
            before=before,
            disposition=disposition,
            text=disposition.instruction,
            visibility=Visibility.INTERNAL,
            data={"agency": disposition.agency.name, "agency_id": disposition.agency_id, **(data or {})},
        )
        notify.notify_staff(
            users=recipients.coordinators_of(disposition.agency) + recipients.liaisons_of(disposition.agency),
            template="disposition_new",
            report=report,
            disposition=disposition,
            extra={"text": disposition.instruction},
        )
    public_event = _record(
        report,
        actor=actor,
        action=EventAction.FORWARDED_TO_AGENCY,
        before=before,
        visibility=Visibility.PUBLIC,
        data={"agencies": [a.name for a in agencies]},
    )
    notify.notify_reporter(
        report=report,
        template="report_disposed",
        event=public_event,
    )
    return report
