"""The reporter's moves: complete, reply, rate, close, reopen; and a citizen's support."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.reports import lifecycle, recipients
from jembatan.reports import notifications as notify
from jembatan.reports.actions._common import (
    ReportError,
    _clean_text,
    _FileGuard,
    _finish,
    _lock,
    _now,
    _read_uploads,
    _record,
    _reporter_allowed,
    _require,
    _reschedule_disposition,
    _save,
    _schedule_report,
    _store_attachments,
)
from jembatan.reports.actions.followers import add_follower_locked
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    DispositionStatus,
    FollowerSource,
    Status,
    Support,
    Visibility,
)
from jembatan.reports.sla import WorkingCalendar, policy


def _record_reporter_message(report, *, actor, action, before, text, files):
    """The reporter's words and files on the timeline, for the reporter and the staff to read."""
    uploads, guard = files
    event = _record(
        report,
        actor=actor,
        action=action,
        before=before,
        text=text,
        visibility=Visibility.REPORTER,
        actor_role=ActorRole.REPORTER,
    )
    _store_attachments(
        report, uploads, uploaded_by=actor, event=event, visibility=Visibility.REPORTER, guard=guard
    )


def complete_information(
    *, report, actor, text, attachments=(), access_code=None, expected_version=None, sender_verified=False
):
    """Give the information the verifier asked for; the report returns to verification."""
    text = _clean_text(text, field="text", minimum=5, maximum=10000, label=_("Keterangan tambahan"))
    uploads = _read_uploads(attachments)
    with _FileGuard() as guard, transaction.atomic():
        report = _lock(report, expected_version)
        _require(
            lifecycle.may_complete(
                report, reporter=_reporter_allowed(report, actor, access_code, sender_verified)
            )
        )
        before = report.status
        now = _now()
        cal = WorkingCalendar.load()
        report.status = Status.BELUM_TERVERIFIKASI
        # PermenPANRB 62/2018: the verification clock stops while the reporter is asked for more;
        # it resumes with the working days it had left (at least one).
        if report.paused_at and report.verification_due_at:
            report.verification_due_at = cal.extend_after_pause(
                report.verification_due_at, report.paused_at, now
            )
        report.paused_at = None
        _schedule_report(report, cal, policy())
        _save(report, "status", "verification_due_at", "paused_at", "next_check_at")
        _record_reporter_message(
            report,
            actor=actor,
            action=EventAction.INFORMATION_COMPLETED,
            before=before,
            text=text,
            files=(uploads, guard),
        )
        notify.notify_staff(
            users=recipients.verifiers_of(report),
            template="reply_received",
            report=report,
            extra={"text": text},
        )
    return report


def reply_as_reporter(
    *, report, actor, text, attachments=(), access_code=None, expected_version=None, sender_verified=False
):
    """Reply as the reporter; a reply to an answered report sends it back to the agency."""
    text = _clean_text(text, field="text", minimum=2, maximum=10000, label=_("Balasan"))
    reporter = _reporter_allowed(report, actor, access_code, sender_verified)
    if not reporter:
        _require(lifecycle.may_reply(report, reporter=False))
    if report.status == Status.MENUNGGU_KELENGKAPAN:
        return complete_information(
            report=report,
            actor=actor,
            text=text,
            attachments=attachments,
            access_code=access_code,
            expected_version=expected_version,
            sender_verified=sender_verified,
        )
    uploads = _read_uploads(attachments)
    with _FileGuard() as guard, transaction.atomic():
        report = _lock(report, expected_version)
        _require(lifecycle.may_reply(report, reporter=reporter))
        before = report.status
        now = _now()
        cal = WorkingCalendar.load()
        pol = policy()
        reopened = []
        if report.status == Status.SELESAI:
            # The reporter is not satisfied: the answering agencies work on it again, with at least
            # the first-response time to answer the reply.
            for disposition in report.dispositions.select_for_update().filter(
                status=DispositionStatus.SELESAI
            ):
                disposition.status = DispositionStatus.DIPROSES
                disposition.answered_at = None
                floor = cal.add_working_days(now, pol.first_response_days)
                disposition.completion_due_at = max(disposition.completion_due_at or floor, floor)
                disposition.breached_at = None
                disposition.escalation_level = 0
                disposition.reminder_sent_at = None
                disposition.save()
                _reschedule_disposition(disposition, cal)
                reopened.append(disposition)
            report.status = Status.DIPROSES
            report.answered_at = None
            _schedule_report(report, cal, pol)
            _save(report, "status", "answered_at", "next_check_at")
        else:
            _save(report)
        _record_reporter_message(
            report,
            actor=actor,
            action=EventAction.REPORTER_REPLIED,
            before=before,
            text=text,
            files=(uploads, guard),
        )
        targets = reopened or list(report.dispositions.filter(status__in=OPEN_DISPOSITION_STATUSES))
        users = []
        for disposition in targets:
            users += (
                [disposition.liaison]
                if disposition.liaison_id
                else recipients.liaisons_of(disposition.agency)
            )
        if not users:
            users = recipients.verifiers_of(report)
        notify.notify_staff(users=users, template="reply_received", report=report, extra={"text": text})
    return report


def rate_report(*, report, actor, rating, comment="", access_code=None):
    """Rate the agency's answer from 1 to 5, once per answer."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ReportError(_("Penilaian harus antara 1 dan 5."), field="rating")
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        report = _lock(report)
        _require(lifecycle.may_rate(report, reporter=access.acts_as_reporter(actor, report, access_code)))
        report.rating, report.rating_comment, report.rated_at = rating, comment, _now()
        _save(report, "rating", "rating_comment", "rated_at")
        _record(
            report,
            actor=actor,
            action=EventAction.RATED,
            text=comment,
            visibility=Visibility.PUBLIC,
            data={"rating": rating},
            actor_role=ActorRole.REPORTER,
        )
    return report


def close_report(*, report, actor, note="", access_code=None, expected_version=None):
    """Close the report as its reporter (satisfied) or as an admin."""
    with transaction.atomic():
        report = _lock(report, expected_version)
        before = report.status
        if access.acts_as_reporter(actor, report, access_code):
            _require(lifecycle.may_close_as_reporter(report, reporter=True))
            report.status = Status.DITUTUP_PELAPOR
            role = ActorRole.REPORTER
        else:
            _require(lifecycle.may_close_as_admin(report, actor))
            note = _clean_text(note, field="note", minimum=5, label=_("Alasan penutupan"))
            report.status = Status.DITUTUP_ADMIN
            role = None
        _finish(report, before=before, actor=actor, action=EventAction.CLOSED, note=note, actor_role=role)
    return report


def reopen_report(*, report, actor, reason, access_code=None):
    """Reopen a closed report, once, within 10 working days of its closing."""
    reason = _clean_text(reason, field="reason", minimum=5, maximum=5000, label=_("Alasan membuka kembali"))
    with transaction.atomic():
        report = _lock(report)
        now = _now()
        reporter = access.acts_as_reporter(actor, report, access_code)
        _require(lifecycle.may_reopen(report, reporter=reporter, now=now))
        cal = WorkingCalendar.load()
        pol = policy()
        last = report.dispositions.exclude(
            status__in=(DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN)
        )
        last = last.order_by("-disposed_at", "-pk")
        before = report.status
        revived = []
        for disposition in last.filter(status__in=(DispositionStatus.SELESAI, DispositionStatus.DIBATALKAN)):
            if any(d.agency_id == disposition.agency_id for d in revived):
                continue
            disposition.status = DispositionStatus.DIPROSES
            disposition.answered_at = None
            disposition.completion_due_at = cal.add_working_days(now, pol.first_response_days)
            disposition.breached_at = None
            disposition.reminder_sent_at = None
            disposition.escalation_level = 0
            disposition.save()
            _reschedule_disposition(disposition, cal)
            revived.append(disposition)
        report.status = Status.DIPROSES if revived else Status.BELUM_TERVERIFIKASI
        if not revived:
            report.verification_due_at = cal.add_working_days(now, pol.verification_days)
            report.reminder_sent_at = None
            report.escalation_level = 0
        report.reopen_count += 1
        report.closed_at = None
        report.answered_at = None
        _schedule_report(report, cal, pol)
        _save(
            report,
            "status",
            "reopen_count",
            "closed_at",
            "answered_at",
            "next_check_at",
            "verification_due_at",
            "reminder_sent_at",
            "escalation_level",
        )
        event = _record(
            report,
            actor=actor,
            action=EventAction.REOPENED,
            before=before,
            text=reason,
            visibility=Visibility.PUBLIC,
            actor_role=ActorRole.REPORTER,
        )
        notify.notify_reporter(report=report, template="report_reopened", event=event)
        users = []
        for disposition in revived:
            users += (
                [disposition.liaison]
                if disposition.liaison_id
                else recipients.liaisons_of(disposition.agency)
            )
        notify.notify_staff(
            users=users or recipients.verifiers_of(report),
            template="reply_received",
            report=report,
            extra={"text": reason},
        )
    return report


def support_report(*, report, actor):
    """Add a citizen's support ("Dukung") to a public report, once per citizen."""
    with transaction.atomic():
        report = _lock(report)
        _require(lifecycle.may_support(report, actor))
        Support.objects.create(report=report, user=actor)
        report.support_count = F("support_count") + 1
        report.save(update_fields=["support_count"])
        report.refresh_from_db(fields=["support_count"])
        # "Dukung dan ikuti": a supporter hears the outcome.
        add_follower_locked(report, source=FollowerSource.SUPPORT, user_id=actor.pk)
        _record(
            report,
            actor=actor,
            action=EventAction.SUPPORTED,
            visibility=Visibility.INTERNAL,
            actor_role=ActorRole.CITIZEN,
        )
    return report
