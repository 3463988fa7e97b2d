"""The agency's moves on a disposition: assign a penghubung (liaison), tindak lanjut, return, forward."""

from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.reports import lifecycle, recipients
from jembatan.reports import notifications as notify
from jembatan.reports.actions._common import (
    IllegalTransition,
    ReportError,
    _clean_text,
    _derive_status,
    _FileGuard,
    _lock_disposition,
    _now,
    _read_uploads,
    _record,
    _require,
    _reschedule_disposition,
    _save,
    _schedule_report,
    _store_attachments,
)
from jembatan.reports.events import EventAction
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    Disposition,
    DispositionStatus,
    Status,
    Visibility,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- Agency side -------------------------------------------------------------------------------------


def assign_liaison(*, disposition, actor, liaison, expected_version=None):
    """Assign a liaison officer (penghubung) to work a disposition."""
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_assign_liaison(disposition, actor))
        access.forget_roles(liaison)
        if not access.is_eligible_liaison(liaison, disposition.agency):
            raise ReportError(
                _("Petugas ini bukan penghubung %(agency)s.") % {"agency": disposition.agency.name},
                field="liaison",
            )
        disposition.liaison = liaison
        disposition.save(update_fields=["liaison", "updated_at"])
        _save(report)
        _record(
            report,
            actor=actor,
            action=EventAction.LIAISON_ASSIGNED,
            disposition=disposition,
            data={"liaison": liaison.display_name, "liaison_id": liaison.pk},
        )
        notify.notify_staff(
            users=[liaison], template="liaison_assigned", report=report, disposition=disposition
        )
    return disposition


def start_follow_up(*, disposition, actor, expected_version=None):
    """Start working a disposition: the report is now "Sedang Diproses"."""
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_start_follow_up(disposition, actor))
        before = report.status
        now = _now()
        disposition.status = DispositionStatus.DIPROSES
        disposition.started_at = now
        disposition.first_response_at = disposition.first_response_at or now
        if disposition.liaison_id is None and access.is_eligible_liaison(actor, disposition.agency):
            disposition.liaison = actor
        disposition.breached_at = None
        disposition.escalation_level = 0
        disposition.reminder_sent_at = None
        disposition.save()
        _reschedule_disposition(disposition, WorkingCalendar.load())
        report.status = _derive_status(report)
        _save(report, "status")
        _record(
            report,
            actor=actor,
            action=EventAction.FOLLOW_UP_STARTED,
            before=before,
            disposition=disposition,
            visibility=Visibility.PUBLIC,
            data={"agency": disposition.agency.name},
        )
    return disposition


def post_follow_up(*, disposition, actor, text, attachments=(), expected_version=None):
    """Post the agency's answer (tindak lanjut), public, with attachments."""
    text = _clean_text(text, field="text", minimum=20, maximum=20000, label=_("Tindak lanjut"))
    uploads = _read_uploads(attachments)
    with _FileGuard() as guard, transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_work_disposition(disposition, actor))
        before = report.status
        now = _now()
        disposition.status = DispositionStatus.SELESAI
        disposition.started_at = disposition.started_at or now
        disposition.first_response_at = disposition.first_response_at or now
        disposition.answered_at = now
        disposition.next_check_at = None
        if disposition.liaison_id is None and access.is_eligible_liaison(actor, disposition.agency):
            disposition.liaison = actor
        disposition.save()
        report.status = _derive_status(report)
        if report.status == Status.SELESAI:
            report.answered_at = now
        _schedule_report(report, WorkingCalendar.load(), policy())
        _save(report, "status", "answered_at", "next_check_at")
        event = _record(
            report,
            actor=actor,
            action=EventAction.FOLLOW_UP_POSTED,
            before=before,
            disposition=disposition,
            text=text,
            visibility=Visibility.PUBLIC,
            data={"agency": disposition.agency.name},
        )
        _store_attachments(
            report, uploads, uploaded_by=actor, event=event, visibility=Visibility.PUBLIC, guard=guard
        )
        notify.notify_reporter(
            report=report,
            template="follow_up_posted",
            event=event,
            extra={"text": text, "agency": disposition.agency.name},
        )
        notify.notify_voices(
            report=report,
            template="voice_follow_up",
            event=event,
            extra={"text": text, "agency": disposition.agency.name},
        )
    return disposition


def _hand_back(disposition, *, status, reason, at):
    """The agency gives the locked disposition up (returned or forwarded): its clock stops."""
    disposition.status = status
    disposition.returned_at = at
    disposition.return_reason = reason
    disposition.next_check_at = None
    disposition.save()


def post_progress(*, disposition, actor, text, expected_completion=None, public=True, expected_version=None):
    """Report how the work goes (not the answer): the disposition stays open, its clock runs on.

    PermenPANRB 62/2018 counts the first tindak lanjut within 5 working days of the disposition: a
    progress update is one, so it starts the work and meets that deadline. The completion deadline
    is only met by the answer (post_follow_up); the optional expected date is the agency's word to
    the reporter, not a new deadline.
    """
    text = _clean_text(text, field="text", minimum=10, maximum=5000, label=_("Perkembangan"))
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_post_progress(disposition, actor))
        if expected_completion is not None and expected_completion < _now().date():
            raise ReportError(
                _("Perkiraan selesai tidak boleh sebelum hari ini."), field="expected_completion"
            )
        before = report.status
        now = _now()
        if disposition.status == DispositionStatus.TERDISPOSISI:
            disposition.status = DispositionStatus.DIPROSES
            disposition.started_at = now
        if disposition.first_response_at is None:
            disposition.first_response_at = now
            disposition.breached_at = None
            disposition.escalation_level = 0
            disposition.reminder_sent_at = None
        if disposition.liaison_id is None and access.is_eligible_liaison(actor, disposition.agency):
            disposition.liaison = actor
        disposition.save()
        _reschedule_disposition(disposition, WorkingCalendar.load())
        report.status = _derive_status(report)
        _save(report, "status")
        data = {"agency": disposition.agency.name}
        if expected_completion is not None:
            data["expected_completion"] = expected_completion.isoformat()
        return _record(
            report,
            actor=actor,
            action=EventAction.PROGRESS_POSTED,
            before=before,
            disposition=disposition,
            text=text,
            visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
            data=data,
        )


def return_disposition(*, disposition, actor, reason, expected_version=None):
    """Return a disposition as not this agency's authority (bukan wewenang); the verifier re-disposes."""
    reason = _clean_text(reason, field="reason", minimum=10, maximum=5000, label=_("Alasan pengembalian"))
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_work_disposition(disposition, actor))
        before = report.status
        _hand_back(disposition, status=DispositionStatus.BUKAN_WEWENANG, reason=reason, at=_now())
        report.status = _derive_status(report)
        _save(report, "status")
        _record(
            report,
            actor=actor,
            action=EventAction.DISPOSITION_RETURNED,
            before=before,
            disposition=disposition,
            text=reason,
            data={"agency": disposition.agency.name},
        )
        notify.notify_staff(
            users=recipients.verifiers_of(report),
            template="disposition_returned",
            report=report,
            disposition=disposition,
            extra={"text": reason},
        )
    return disposition


def forward_disposition(*, disposition, actor, agency, reason, expected_version=None):
    """Forward a disposition to the agency that holds the authority (pelimpahan)."""
    reason = _clean_text(reason, field="reason", minimum=10, maximum=5000, label=_("Alasan pelimpahan"))
    if not agency.is_active:
        raise ReportError(_("Instansi tujuan tidak aktif."), field="agency")
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        _require(lifecycle.may_work_disposition(disposition, actor))
        if agency.pk == disposition.agency_id:
            raise ReportError(_("Pilih instansi lain."), field="agency")
        if report.dispositions.filter(agency=agency, status__in=OPEN_DISPOSITION_STATUSES).exists():
            raise IllegalTransition(_("Laporan sudah didisposisikan ke %(name)s.") % {"name": agency.name})
        before = report.status
        now = _now()
        cal = WorkingCalendar.load()
        _hand_back(disposition, status=DispositionStatus.DIALIHKAN, reason=reason, at=now)
        new = Disposition.objects.create(
            report=report,
            agency=agency,
            instruction=reason,
            disposed_by=actor,
            disposed_at=now,
            first_response_due_at=min(
                cal.add_working_days(now, policy().first_response_days),
                report.completion_due_at or cal.add_working_days(now, 5),
            ),
            completion_due_at=report.completion_due_at,
        )
        _reschedule_disposition(new, cal)
        report.status = _derive_status(report)
        _save(report, "status")
        _record(
            report,
            actor=actor,
            action=EventAction.DISPOSITION_FORWARDED,
            before=before,
            disposition=new,
            text=reason,
            data={"from": disposition.agency.name, "to": agency.name, "to_id": agency.pk},
        )
        _record(
            report,
            actor=actor,
            action=EventAction.FORWARDED_TO_AGENCY,
            before=before,
            visibility=Visibility.PUBLIC,
            data={"agencies": [agency.name]},
        )
        notify.notify_staff(
            users=recipients.coordinators_of(agency) + recipients.liaisons_of(agency),
            template="disposition_new",
            report=report,
            disposition=new,
            extra={"text": reason},
        )
    return new
