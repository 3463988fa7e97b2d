"""The system's own moves, called by the SLA sweep: reminders, breaches and escalation."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.reports import notifications as notify
from jembatan.reports import recipients
from jembatan.reports.actions._common import (
    ESCALATION_STEP_WORKING_DAYS,
    _finish,
    _lock,
    _lock_disposition,
    _now,
    _record,
    _reschedule,
    _reschedule_disposition,
    _save,
)
from jembatan.reports.events import EventAction
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    ArchiveReason,
    Escalation,
    EscalationKind,
    ReportType,
    Status,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- The system's own moves (called by the SLA sweep) ------------------------------------------------


def check_report_deadlines(*, report, now=None):
    """Apply every report-level rule that has come due: reminders, escalation, system close/archive,
    the Ombudsman flag. Idempotent: each rule marks what it did, so a second run does nothing."""
    now = now or _now()
    cal = WorkingCalendar.load()
    pol = policy()
    with transaction.atomic():
        report = _lock(report)
        if report.next_check_at is None or report.next_check_at > now:
            return report  # someone else's sweep already handled it
        if (
            report.status == Status.MENUNGGU_KELENGKAPAN
            and report.paused_at
            and (now >= report.paused_at + dt.timedelta(days=pol.incomplete_archive_calendar_days))
        ):
            reason, _c = ArchiveReason.objects.get_or_create(
                code="kedaluwarsa", defaults={"name": "Kedaluwarsa"}
            )
            before = report.status
            report.status = Status.DIARSIPKAN_SISTEM
            _finish(
                report,
                before=before,
                actor=None,
                action=EventAction.ARCHIVED_BY_SYSTEM,
                reason=reason,
                note=_("Tidak ada kelengkapan informasi dari pelapor dalam %(n)d hari.")
                % {"n": pol.incomplete_archive_calendar_days},
            )
            return report
        if (
            report.status == Status.SELESAI
            and report.answered_at
            and (now >= cal.add_working_days(report.answered_at, pol.auto_close_days))
        ):
            before = report.status
            report.status = Status.DITUTUP_SISTEM
            _finish(
                report,
                before=before,
                actor=None,
                action=EventAction.CLOSED_BY_SYSTEM,
                note=_("Tidak ada tanggapan pelapor dalam %(n)d hari kerja setelah tindak lanjut.")
                % {"n": pol.auto_close_days},
            )
            return report
        if report.status == Status.BELUM_TERVERIFIKASI and report.verification_due_at:
            _verification_ladder(report, now, cal, pol)
        if (
            report.kind == ReportType.PENGADUAN
            and report.status in ACTIVE_STATUSES
            and report.ombudsman_flagged_at is None
            and now >= report.submitted_at + dt.timedelta(days=pol.ombudsman_calendar_days)
        ):
            report.ombudsman_flagged_at = now
            _save(report, "ombudsman_flagged_at")
            _record(
                report,
                actor=None,
                action=EventAction.OMBUDSMAN_FLAGGED,
                data={"consent": report.ombudsman_consent},
                text=_("Pengaduan belum tuntas setelah %(n)d hari.") % {"n": pol.ombudsman_calendar_days},
            )
            if report.ombudsman_consent:
                notify.notify_staff(
                    users=recipients.ombudsman_auditors(), template="ombudsman_flag", report=report
                )
        _reschedule(report, cal)
    return report


def _verification_ladder(report, now, cal, pol):
    start, due = report.submitted_at, report.verification_due_at
    if report.reminder_sent_at is None and now >= cal.point_in_working_time(
        start, due, pol.reminder_fraction
    ):
        report.reminder_sent_at = now
        _save(report, "reminder_sent_at")
        _record(report, actor=None, action=EventAction.SLA_REMINDER, data={"kind": "verification"})
        notify.notify_staff(
            users=recipients.verifiers_of(report),
            template="sla_reminder",
            report=report,
            extra={"kind": "verification"},
        )
    if report.escalation_level == 0 and now >= due:
        _escalate(
            report,
            None,
            EscalationKind.VERIFICATION,
            1,
            report.verifying_agency,
            recipients.verifiers_of(report),
            now,
        )
        report.breached_at = now
        report.escalation_level = 1
        _save(report, "breached_at", "escalation_level")
    if report.escalation_level == 1 and now >= cal.add_working_days(due, ESCALATION_STEP_WORKING_DAYS):
        upper = report.verifying_agency.parent if report.verifying_agency_id else None
        _escalate(
            report,
            None,
            EscalationKind.VERIFICATION,
            2,
            upper,
            recipients.parent_coordinators_of(report.verifying_agency),
            now,
        )
        report.escalation_level = 2
        _save(report, "escalation_level")


def _escalate(report, disposition, kind, level, to_agency, users, now):
    Escalation.objects.create(
        report=report, disposition=disposition, kind=kind, level=level, to_agency=to_agency, created_at=now
    )
    _record(
        report,
        actor=None,
        action=EventAction.SLA_ESCALATED,
        disposition=disposition,
        data={"kind": str(kind), "level": level, "to_agency": to_agency.name if to_agency else None},
    )
    notify.notify_staff(
        users=users,
        template="sla_escalation",
        report=report,
        disposition=disposition,
        extra={"kind": str(kind), "level": level},
    )


def check_disposition_deadlines(*, disposition, now=None):
    """Apply the disposition's due rules: 80% reminder to its liaison, then the escalation ladder."""
    now = now or _now()
    cal = WorkingCalendar.load()
    pol = policy()
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition)
        if disposition.next_check_at is None or disposition.next_check_at > now or not disposition.is_open:
            return disposition
        due = disposition.sla_due_at
        kind = (
            EscalationKind.FIRST_RESPONSE
            if disposition.first_response_at is None
            else EscalationKind.COMPLETION
        )
        liaisons = (
            [disposition.liaison] if disposition.liaison_id else recipients.liaisons_of(disposition.agency)
        )
        if (
            disposition.reminder_sent_at is None
            and disposition.first_response_at is None
            and now >= cal.point_in_working_time(disposition.disposed_at, due, pol.reminder_fraction)
        ):
            disposition.reminder_sent_at = now
            disposition.save(update_fields=["reminder_sent_at", "updated_at"])
            _record(
                report,
                actor=None,
                action=EventAction.SLA_REMINDER,
                disposition=disposition,
                data={"kind": str(kind)},
            )
            notify.notify_staff(
                users=liaisons or recipients.coordinators_of(disposition.agency),
                template="sla_reminder",
                report=report,
                disposition=disposition,
                extra={"kind": str(kind)},
            )
        if disposition.breached_at is None and now >= due:
            disposition.breached_at = now
            disposition.escalation_level = 1
            disposition.save(update_fields=["breached_at", "escalation_level", "updated_at"])
            _escalate(
                report,
                disposition,
                kind,
                1,
                disposition.agency,
                recipients.coordinators_of(disposition.agency),
                now,
            )
        if (
            disposition.escalation_level == 1
            and disposition.breached_at is not None
            and now >= cal.add_working_days(disposition.breached_at, ESCALATION_STEP_WORKING_DAYS)
        ):
            disposition.escalation_level = 2
            disposition.save(update_fields=["escalation_level", "updated_at"])
            _escalate(
                report,
                disposition,
                kind,
                2,
                disposition.agency.parent,
                recipients.parent_coordinators_of(disposition.agency),
                now,
            )
        _reschedule_disposition(disposition, cal)
    return disposition
