"""Every state change of a report, one function each (the SP4N-LAPOR! lifecycle).

Each action: asks accounts.access, refuses an illegal transition with a ReportError, changes state
inside transaction.atomic() on a freshly locked row, writes the timeline Event in the same
transaction, and queues notifications (outbox rows in the same transaction, delivery on commit).

Concurrency: `_lock` re-reads the report with SELECT … FOR UPDATE (PostgreSQL) or inside an
IMMEDIATE transaction (SQLite, see settings), so two officers acting at once are serialised; the
second one then finds the report changed (a different `version`, or a status that no longer
allows the move) and gets ReportConflict instead of overwriting the first one's work.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.models import Role
from jembatan.accounts.phones import normalize_phone
from jembatan.directory.models import Agency, AgencyKind
from jembatan.notify import actions as notify
from jembatan.reports import recipients, search
from jembatan.reports.attachments import MAX_ATTACHMENTS, AttachmentRejected, clean_upload
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    OPEN_DISPOSITION_STATUSES,
    VERIFICATION_STATUSES,
    ArchiveReason,
    Attachment,
    Channel,
    Classification,
    Disposition,
    DispositionStatus,
    Escalation,
    EscalationKind,
    Event,
    ReceivedVia,
    Report,
    ReportType,
    Status,
    Support,
    Visibility,
    new_access_code,
    new_tracking_number,
)
from jembatan.reports.sla import WorkingCalendar, policy

# Escalation ladder: after a breach the agency's coordinators are told at once (level 1); if the
# work is still not done this many working days later, the coordinators one agency up (level 2).
# Not fixed by PermenPANRB 62/2018; chosen so a breach reaches a second desk within a working week.
ESCALATION_STEP_WORKING_DAYS = 2

MIN_TITLE_LENGTH = 5
MIN_DESCRIPTION_LENGTH = 20


class ReportError(Exception):
    """An illegal move or bad input; the message is in the user's language."""

    code = "invalid"

    def __init__(self, message, *, field=None, code=None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code:
            self.code = code


class IllegalTransition(ReportError):
    code = "illegal_transition"


class ReportConflict(ReportError):
    code = "conflict"


STALE_MESSAGE = gettext_lazy(
    "Laporan ini sudah diubah oleh orang lain sejak Anda membukanya. Muat ulang halaman dan periksa lagi; "
    "tindakan Anda belum diterapkan."
)


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


def _require_status(report, allowed, message=None):
    if report.status not in allowed:
        raise IllegalTransition(
            message
            or _("Tindakan ini tidak dapat dilakukan pada laporan berstatus “%(status)s”.")
            % {"status": report.get_status_display()}
        )


def _actor_role(actor, report):
    if actor is None:
        return "sistem"
    if report is not None and report.reporter_id and report.reporter_id == actor.pk:
        return "pelapor"
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
            return str(role)
    return "warga"


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


def _clean_text(value, *, field, minimum=1, maximum=None, label=None):
    text = (value or "").strip()
    if len(text) < minimum:
        if minimum <= 1:
            raise ReportError(_("%(label)s wajib diisi.") % {"label": label or field}, field=field)
        raise ReportError(
            _("%(label)s terlalu pendek: paling sedikit %(n)d karakter.")
            % {"label": label or field, "n": minimum},
            field=field,
        )
    if maximum and len(text) > maximum:
        raise ReportError(
            _("%(label)s terlalu panjang: paling banyak %(n)d karakter.")
            % {"label": label or field, "n": maximum},
            field=field,
        )
    return text


def _reporter_allowed(report, actor, access_code):
    """The reporter acts either logged in, or as a guest holding the report's access code."""
    if access.is_reporter(actor, report):
        return True
    return report.reporter_id is None and access.holds_access_code(report, access_code)


def _require_reporter(report, actor, access_code):
    if not _reporter_allowed(report, actor, access_code):
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


# --- Citizen side ------------------------------------------------------------------------------------


def submit_report(
    *,
    kind,
    title,
    description,
    actor=None,
    channel=Channel.WEB,
    region=None,
    category=None,
    target_agency=None,
    incident_date=None,
    address="",
    latitude=None,
    longitude=None,
    is_anonymous=False,
    is_confidential=False,
    reporter=None,
    reporter_name="",
    reporter_email="",
    reporter_phone="",
    attachments=(),
    ombudsman_consent=False,
    source_instance="",
    external_id="",
    submitted_at=None,
    received_via="",
):
    """Receive a new report from a citizen (or from an officer recording it for one; `received_via`
    then says how it reached them: ReceivedVia, required for Channel.OFFICER)."""

    if kind not in ReportType.values:
        raise ReportError(_("Jenis laporan tidak dikenal."), field="kind")
    if channel not in Channel.values:
        raise ReportError(_("Kanal tidak dikenal."), field="channel")
    # A report imported from another system keeps the text its source accepted, however short:
    # its history must not be lost to this instance's intake rule (an empty text is still refused).
    imported = channel == Channel.IMPORT
    title = _clean_text(
        title, field="title", minimum=1 if imported else MIN_TITLE_LENGTH, maximum=200, label=_("Judul")
    )
    description = _clean_text(
        description,
        field="description",
        minimum=1 if imported else MIN_DESCRIPTION_LENGTH,
        maximum=10000,
        label=_("Isi laporan"),
    )
    now = _now()
    if incident_date and incident_date > timezone.localdate(now):
        raise ReportError(_("Tanggal kejadian tidak boleh di masa depan."), field="incident_date")
    if channel == Channel.OFFICER:
        if actor is None or not access.scopes_for(actor, Action.ENTER_REPORT):
            raise PermissionDenied(_("Hanya petugas yang dapat mencatat laporan atas nama warga."))
        if received_via not in ReceivedVia.values:
            raise ReportError(_("Pilih bagaimana laporan ini diterima."), field="received_via")
    elif received_via:
        raise ReportError(
            _("Cara penerimaan hanya untuk laporan yang dicatat petugas."), field="received_via"
        )
    elif actor is not None and actor.is_authenticated and reporter is None:
        reporter = actor
    if reporter is None:
        reporter_email = (reporter_email or "").strip().lower()
        if reporter_phone:
            try:
                reporter_phone = normalize_phone(reporter_phone)
            except ValidationError:
                raise ReportError(
                    _("Nomor ponsel tidak valid. Contoh: 0812 3456 7890."), field="reporter_phone"
                ) from None
        if not reporter_email and not reporter_phone and channel not in (Channel.IMPORT,):
            raise ReportError(
                _("Isi alamat e-mail atau nomor ponsel agar kami dapat mengabari perkembangan laporan Anda."),
                field="reporter_email",
            )
    if latitude is not None and not (-90 <= float(latitude) <= 90):
        raise ReportError(_("Lintang di luar rentang."), field="latitude")
    if longitude is not None and not (-180 <= float(longitude) <= 180):
        raise ReportError(_("Bujur di luar rentang."), field="longitude")

    uploads = _read_uploads(attachments)
    cal = WorkingCalendar.load()
    pol = policy()
    submitted = submitted_at or now
    with _FileGuard() as guard, transaction.atomic():
        report = Report(
            kind=kind,
            title=title,
            description=description,
            incident_date=incident_date,
            region=region,
            address=(address or "").strip()[:300],
            latitude=latitude,
            longitude=longitude,
            category=category,
            target_agency=target_agency,
            verifying_agency=_verifying_agency_for(target_agency, region),
            channel=channel,
            source_instance=source_instance or getattr(settings, "INSTANCE_NAME", ""),
            external_id=external_id,
            reporter=reporter,
            reporter_name=(reporter_name or "").strip()[:150] if reporter is None else "",
            reporter_email=reporter_email if reporter is None else "",
            reporter_phone=reporter_phone if reporter is None else "",
            is_anonymous=bool(is_anonymous),
            is_confidential=bool(is_confidential),
            ombudsman_consent=bool(ombudsman_consent),
            submitted_at=submitted,
            verification_due_at=cal.add_working_days(submitted, pol.verification_days),
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
            action="submitted",
            before="",
            text="",
            visibility=Visibility.PUBLIC,
            data={"channel": channel, **({"received_via": received_via} if received_via else {})},
            actor_role="petugas" if channel == Channel.OFFICER else ("pelapor" if reporter else "warga"),
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


def complete_information(*, report, actor, text, attachments=(), access_code=None, expected_version=None):
    """Give the information the verifier asked for; the report returns to verification."""
    text = _clean_text(text, field="text", minimum=5, maximum=10000, label=_("Keterangan tambahan"))
    uploads = _read_uploads(attachments)
    with _FileGuard() as guard, transaction.atomic():
        report = _lock(report, expected_version)
        _require_reporter(report, actor, access_code)
        _require_status(report, [Status.MENUNGGU_KELENGKAPAN])
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
        event = _record(
            report,
            actor=actor,
            action="information_completed",
            before=before,
            text=text,
            visibility=Visibility.REPORTER,
            actor_role="pelapor",
        )
        _store_attachments(
            report, uploads, uploaded_by=actor, event=event, visibility=Visibility.REPORTER, guard=guard
        )
        notify.notify_staff(
            users=recipients.verifiers_of(report),
            template="reply_received",
            report=report,
            extra={"text": text},
        )
    return report


def reply_as_reporter(*, report, actor, text, attachments=(), access_code=None, expected_version=None):
    """Reply as the reporter; a reply to an answered report sends it back to the agency."""
    text = _clean_text(text, field="text", minimum=2, maximum=10000, label=_("Balasan"))
    _require_reporter(report, actor, access_code)
    if report.status == Status.MENUNGGU_KELENGKAPAN:
        return complete_information(
            report=report,
            actor=actor,
            text=text,
            attachments=attachments,
            access_code=access_code,
            expected_version=expected_version,
        )
    uploads = _read_uploads(attachments)
    with _FileGuard() as guard, transaction.atomic():
        report = _lock(report, expected_version)
        _require_status(
            report, [Status.BELUM_TERVERIFIKASI, Status.TERDISPOSISI, Status.DIPROSES, Status.SELESAI]
        )
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
        event = _record(
            report,
            actor=actor,
            action="reporter_replied",
            before=before,
            text=text,
            visibility=Visibility.REPORTER,
            actor_role="pelapor",
        )
        _store_attachments(
            report, uploads, uploaded_by=actor, event=event, visibility=Visibility.REPORTER, guard=guard
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
        _require_reporter(report, actor, access_code)
        _require_status(
            report,
            [Status.SELESAI, *CLOSED_STATUSES],
            _("Laporan baru dapat dinilai setelah ada tindak lanjut."),
        )
        if (
            report.answered_at is None
            and not report.dispositions.filter(status=DispositionStatus.SELESAI).exists()
        ):
            raise IllegalTransition(
                _("Laporan ini ditutup tanpa tindak lanjut; tidak ada yang dapat dinilai.")
            )
        if report.rated_at and (report.answered_at is None or report.rated_at >= report.answered_at):
            raise IllegalTransition(_("Anda sudah menilai tindak lanjut ini."))
        report.rating, report.rating_comment, report.rated_at = rating, comment, _now()
        _save(report, "rating", "rating_comment", "rated_at")
        _record(
            report,
            actor=actor,
            action="rated",
            text=comment,
            visibility=Visibility.PUBLIC,
            data={"rating": rating},
            actor_role="pelapor",
        )
    return report


def close_report(*, report, actor, note="", access_code=None, expected_version=None):
    """Close the report as its reporter (satisfied) or as an admin."""
    with transaction.atomic():
        report = _lock(report, expected_version)
        before = report.status
        if _reporter_allowed(report, actor, access_code):
            _require_status(report, [Status.TERDISPOSISI, Status.DIPROSES, Status.SELESAI])
            report.status = Status.DITUTUP_PELAPOR
            role = "pelapor"
        else:
            access.require(access.can_verify(actor, report))
            _require_status(report, ACTIVE_STATUSES)
            if before in VERIFICATION_STATUSES:
                raise IllegalTransition(_("Laporan yang belum diverifikasi diarsipkan, bukan ditutup."))
            note = _clean_text(note, field="note", minimum=5, label=_("Alasan penutupan"))
            report.status = Status.DITUTUP_ADMIN
            role = None
        _finish(report, before=before, actor=actor, action="closed", note=note, actor_role=role)
    return report


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
    return event


def reopen_report(*, report, actor, reason, access_code=None):
    """Reopen a closed report, once, within 10 working days of its closing."""
    reason = _clean_text(reason, field="reason", minimum=5, maximum=5000, label=_("Alasan membuka kembali"))
    with transaction.atomic():
        report = _lock(report)
        _require_reporter(report, actor, access_code)
        _require_status(
            report, CLOSED_STATUSES, _("Hanya laporan yang sudah ditutup yang dapat dibuka kembali.")
        )
        if report.reopen_count >= 1:
            raise IllegalTransition(_("Laporan hanya dapat dibuka kembali satu kali."))
        cal = WorkingCalendar.load()
        pol = policy()
        now = _now()
        if report.closed_at and now > cal.add_working_days(report.closed_at, pol.reopen_days):
            raise IllegalTransition(
                _("Batas membuka kembali laporan (%(n)d hari kerja setelah ditutup) sudah lewat.")
                % {"n": pol.reopen_days}
            )
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
            action="reopened",
            before=before,
            text=reason,
            visibility=Visibility.PUBLIC,
            actor_role="pelapor",
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
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Masuk terlebih dahulu untuk mendukung laporan."))
    with transaction.atomic():
        report = _lock(report)
        if not report.is_public:
            raise IllegalTransition(_("Laporan ini tidak dapat didukung."))
        if report.reporter_id == actor.pk:
            raise IllegalTransition(_("Anda tidak dapat mendukung laporan Anda sendiri."))
        if Support.objects.filter(report=report, user=actor).exists():
            raise IllegalTransition(_("Anda sudah mendukung laporan ini."))
        Support.objects.create(report=report, user=actor)
        report.support_count = F("support_count") + 1
        report.save(update_fields=["support_count"])
        report.refresh_from_db(fields=["support_count"])
        _record(report, actor=actor, action="supported", visibility=Visibility.INTERNAL, actor_role="warga")
    return report


def set_ombudsman_consent(*, report, actor, consent, access_code=None):
    """Record whether the reporter agrees that an unresolved complaint goes to the Ombudsman."""
    with transaction.atomic():
        report = _lock(report)
        _require_reporter(report, actor, access_code)
        report.ombudsman_consent = bool(consent)
        _save(report, "ombudsman_consent")
        _record(
            report,
            actor=actor,
            action="ombudsman_consent",
            visibility=Visibility.REPORTER,
            data={"consent": bool(consent)},
            actor_role="pelapor",
        )
    return report


# --- Verifier side -----------------------------------------------------------------------------------


def request_information(*, report, actor, message, expected_version=None):
    """Ask the reporter for missing details; the verification clock pauses."""
    message = _clean_text(message, field="message", minimum=10, maximum=5000, label=_("Pesan untuk pelapor"))
    with transaction.atomic():
        report = _lock(report, expected_version)
        access.require(access.can_verify(actor, report))
        _require_status(report, [Status.BELUM_TERVERIFIKASI])
        before = report.status
        report.status = Status.MENUNGGU_KELENGKAPAN
        report.paused_at = _now()
        _schedule_report(report, WorkingCalendar.load(), policy())
        _save(report, "status", "paused_at", "next_check_at")
        event = _record(
            report,
            actor=actor,
            action="information_requested",
            before=before,
            text=message,
            visibility=Visibility.REPORTER,
        )
        notify.notify_reporter(
            report=report, template="information_needed", event=event, extra={"text": message}
        )
    return report


def verify_report(
    *,
    report,
    actor,
    classification,
    category=None,
    title=None,
    is_anonymous=None,
    is_confidential=None,
    expected_version=None,
):
    """Verify a report: set its classification and category, tidy the title, confirm its flags."""
    if classification not in Classification.values:
        raise ReportError(_("Pilih klasifikasi laporan."), field="classification")
    with transaction.atomic():
        report = _lock(report, expected_version)
        access.require(access.can_verify(actor, report))
        _require_status(report, [Status.BELUM_TERVERIFIKASI, Status.TERDISPOSISI, Status.DIPROSES])
        changes = {}
        if title is not None:
            title = _clean_text(title, field="title", minimum=MIN_TITLE_LENGTH, maximum=200, label=_("Judul"))
            if title != report.title:
                changes["title"] = [report.title, title]
                report.title = title
        if classification != report.classification:
            changes["classification"] = [report.classification, classification]
            report.classification = classification
        if category is not None and category.pk != report.category_id:
            changes["category"] = [report.category_id, category.pk]
            report.category = category
        for flag, value in (("is_anonymous", is_anonymous), ("is_confidential", is_confidential)):
            if value is not None and bool(value) != getattr(report, flag):
                changes[flag] = [getattr(report, flag), bool(value)]
                setattr(report, flag, bool(value))
        first = report.verified_at is None
        if first:
            report.verified_at = _now()
        _save(report, "title", "classification", "category", "is_anonymous", "is_confidential", "verified_at")
        if "title" in changes:
            # -- search index (portal): the tidied title replaces the old one in the index.
            search.index_report(report)
        _record(
            report,
            actor=actor,
            action="verified" if first else "reclassified",
            visibility=Visibility.INTERNAL,
            data={"changes": changes, "classification": classification},
        )
    return report


def archive_report(*, report, actor, reason, note="", access_code=None, expected_version=None):
    """Archive a report as an admin (out of scope, unclear, …) or withdraw it as its reporter."""
    if not isinstance(reason, ArchiveReason):
        raise ReportError(_("Pilih alasan pengarsipan."), field="reason")
    with transaction.atomic():
        report = _lock(report, expected_version)
        before = report.status
        if access.can_verify(actor, report):
            _require_status(
                report,
                VERIFICATION_STATUSES,
                _("Hanya laporan yang belum diverifikasi yang dapat diarsipkan."),
            )
            report.status = Status.DIARSIPKAN_ADMIN
            role = None
        elif _reporter_allowed(report, actor, access_code):
            _require_status(
                report,
                VERIFICATION_STATUSES,
                _("Laporan yang sudah didisposisikan tidak dapat ditarik; tutup laporan bila sudah selesai."),
            )
            report.status = Status.DIARSIPKAN_PELAPOR
            role = "pelapor"
        else:
            raise PermissionDenied(_("Anda tidak berwenang mengarsipkan laporan ini."))
        _finish(
            report,
            before=before,
            actor=actor,
            action="archived",
            note=(note or "").strip(),
            reason=reason,
            actor_role=role,
        )
    return report


def dispose_report(*, report, actor, agencies, instruction="", expected_version=None):
    """Dispose (disposisi) a verified report to one or more agencies."""
    agencies = list(dict.fromkeys(agencies or []))
    if not agencies:
        raise ReportError(_("Pilih paling sedikit satu instansi tujuan."), field="agencies")
    if any(not a.is_active for a in agencies):
        raise ReportError(_("Instansi tujuan tidak aktif."), field="agencies")
    with transaction.atomic():
        report = _lock(report, expected_version)
        access.require(access.can_verify(actor, report))
        return _dispose_locked(report, actor=actor, agencies=agencies, instruction=instruction)


def _dispose_locked(report, *, actor, agencies, instruction="", data=None):
    """The disposal itself, on a report already locked (inside the caller's transaction)."""
    _require_status(report, [Status.BELUM_TERVERIFIKASI, Status.TERDISPOSISI, Status.DIPROSES])
    if not report.classification:
        raise IllegalTransition(_("Verifikasi laporan (klasifikasi) sebelum mendisposisikannya."))
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
            action="disposed",
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
        action="forwarded_to_agency",
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


# A report routed without a verifier gets the classification its type implies; a complaint is taken
# as not involving misconduct by officials (berkadar pengawasan is a verifier's judgement, who can
# reclassify it afterwards).
AUTO_ROUTE_CLASSIFICATION = {
    ReportType.PENGADUAN: Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    ReportType.ASPIRASI: Classification.ASPIRASI,
    ReportType.PERMINTAAN_INFORMASI: Classification.PERMINTAAN_INFORMASI,
}


def auto_route_report(*, report, agency, category=None, confidence, model_version):
    """Verify and dispose a new report without a verifier, on the routing model's word.

    Only the triage auto-router calls this, when the instance switched TRIAGE_AUTO_ROUTE on and the
    model is sure enough. It acts only on a report nobody has touched yet (unverified, no
    disposition, not waiting for the reporter), never on a confidential or an imported one;
    otherwise it returns None and changes nothing. The
    citizen's own category is kept; the model's fills it only when there is none. The events say
    that the system routed it, with the model version and its confidence, and verifiers can still
    reclassify or dispose further as usual.
    """
    if agency is None or not agency.is_active:
        return None
    with transaction.atomic():
        report = _lock(report)
        if (
            report.status != Status.BELUM_TERVERIFIKASI
            or report.verified_at is not None
            or report.is_confidential
            or report.channel == Channel.IMPORT
            or report.events.filter(action="imported").exists()  # keeps the source's channel
            or report.dispositions.exists()
        ):
            return None
        basis = {"auto": True, "model_version": model_version, "confidence": round(float(confidence), 4)}
        changes = {"classification": [report.classification, AUTO_ROUTE_CLASSIFICATION[report.kind]]}
        report.classification = AUTO_ROUTE_CLASSIFICATION[report.kind]
        if report.category_id is None and category is not None and category.is_active:
            changes["category"] = [None, category.pk]
            report.category = category
        report.verified_at = _now()
        _save(report, "classification", "category", "verified_at")
        _record(
            report,
            actor=None,
            action="verified",
            visibility=Visibility.INTERNAL,
            data={"changes": changes, "classification": report.classification, **basis},
        )
        return _dispose_locked(report, actor=None, agencies=[agency], data=basis)


def mark_duplicate(*, report, original, actor, note="", expected_version=None):
    """Mark a report as a duplicate of another; its supporters and reporter back the original."""
    while original.duplicate_of_id:
        original = original.duplicate_of
    if original.pk == report.pk:
        raise ReportError(_("Laporan tidak dapat menjadi duplikat dirinya sendiri."), field="original")
    with transaction.atomic():
        report = _lock(report, expected_version)
        original = _lock(original)
        access.require(access.can_verify(actor, report))
        # The end of the chain is the report that gains the supporters: the actor must be able to
        # see it, not only the link they chose.
        access.require(access.can_view_report_internal(actor, original))
        _require_status(report, ACTIVE_STATUSES)
        if original.is_archived:
            raise IllegalTransition(_("Laporan asal sudah diarsipkan."))
        if original.is_confidential and not report.is_confidential:
            # A public report must not disappear into a confidential one (its reporter and
            # supporters would follow a report nobody may read); merge the other way instead.
            raise ReportError(
                _(
                    "Laporan asal bersifat rahasia: laporan yang tidak rahasia tidak dapat digabungkan "
                    "ke dalamnya. Gabungkan ke arah sebaliknya."
                ),
                field="original",
            )
        reason, _created = ArchiveReason.objects.get_or_create(code="duplikat", defaults={"name": "Duplikat"})
        before = report.status
        report.status = Status.DIARSIPKAN_ADMIN
        report.duplicate_of = original
        _save(report, "duplicate_of")
        # Merge supporters: everyone who backed the duplicate (and its reporter) backs the original.
        backers = set(Support.objects.filter(report=report).values_list("user_id", flat=True))
        if report.reporter_id:
            backers.add(report.reporter_id)
        backers.discard(original.reporter_id)
        already = set(Support.objects.filter(report=original).values_list("user_id", flat=True))
        new = backers - already
        Support.objects.bulk_create([Support(report=original, user_id=uid) for uid in sorted(new)])
        original.support_count = Support.objects.filter(report=original).count()
        _save(original, "support_count")
        _record(
            original,
            actor=actor,
            action="duplicate_merged",
            visibility=Visibility.INTERNAL,
            data={"duplicate": report.tracking_number, "supporters_added": len(new)},
        )
        _finish(
            report,
            before=before,
            actor=actor,
            action="marked_duplicate",
            # The reporter reads this note: the original's number only when anyone may read it.
            note=note
            or (
                _("Laporan serupa sudah ada: #%(number)s") % {"number": original.tracking_number}
                if original.is_public
                else _("Laporan serupa sudah ada dan sedang ditangani.")
            ),
            reason=reason,
        )
    return report


def add_note(*, report, actor, text, disposition=None):
    """Add an internal note for staff."""
    text = _clean_text(text, field="text", minimum=2, maximum=10000, label=_("Catatan"))
    with transaction.atomic():
        report = _lock(report)
        access.require(access.can_add_note(actor, report))
        _save(report)
        return _record(
            report,
            actor=actor,
            action="note",
            text=text,
            visibility=Visibility.INTERNAL,
            disposition=disposition,
        )


# --- Agency side -------------------------------------------------------------------------------------


def assign_liaison(*, disposition, actor, liaison, expected_version=None):
    """Assign a liaison officer (penghubung) to work a disposition."""
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        access.require(access.can_assign_liaison(actor, disposition))
        if not disposition.is_open:
            raise IllegalTransition(_("Disposisi ini sudah tidak aktif."))
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
            action="liaison_assigned",
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
        access.require(access.can_work_disposition(actor, disposition))
        if disposition.status != DispositionStatus.TERDISPOSISI:
            raise IllegalTransition(_("Tindak lanjut disposisi ini sudah dimulai atau selesai."))
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
            action="follow_up_started",
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
        access.require(access.can_work_disposition(actor, disposition))
        if not disposition.is_open:
            raise IllegalTransition(_("Disposisi ini sudah tidak aktif."))
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
            action="follow_up_posted",
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
    return disposition


def return_disposition(*, disposition, actor, reason, expected_version=None):
    """Return a disposition as not this agency's authority (bukan wewenang); the verifier re-disposes."""
    reason = _clean_text(reason, field="reason", minimum=10, maximum=5000, label=_("Alasan pengembalian"))
    with transaction.atomic():
        report, disposition = _lock_disposition(disposition, expected_version)
        access.require(access.can_work_disposition(actor, disposition))
        if not disposition.is_open:
            raise IllegalTransition(_("Disposisi ini sudah tidak aktif."))
        before = report.status
        disposition.status = DispositionStatus.BUKAN_WEWENANG
        disposition.returned_at = _now()
        disposition.return_reason = reason
        disposition.next_check_at = None
        disposition.save()
        report.status = _derive_status(report)
        _save(report, "status")
        _record(
            report,
            actor=actor,
            action="disposition_returned",
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
        access.require(access.can_work_disposition(actor, disposition))
        if not disposition.is_open:
            raise IllegalTransition(_("Disposisi ini sudah tidak aktif."))
        if agency.pk == disposition.agency_id:
            raise ReportError(_("Pilih instansi lain."), field="agency")
        if report.dispositions.filter(agency=agency, status__in=OPEN_DISPOSITION_STATUSES).exists():
            raise IllegalTransition(_("Laporan sudah didisposisikan ke %(name)s.") % {"name": agency.name})
        before = report.status
        now = _now()
        cal = WorkingCalendar.load()
        disposition.status = DispositionStatus.DIALIHKAN
        disposition.returned_at = now
        disposition.return_reason = reason
        disposition.next_check_at = None
        disposition.save()
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
            action="disposition_forwarded",
            before=before,
            disposition=new,
            text=reason,
            data={"from": disposition.agency.name, "to": agency.name, "to_id": agency.pk},
        )
        _record(
            report,
            actor=actor,
            action="forwarded_to_agency",
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
                action="archived_by_system",
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
                action="closed_by_system",
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
                action="ombudsman_flagged",
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
        _record(report, actor=None, action="sla_reminder", data={"kind": "verification"})
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
        action="sla_escalated",
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
                report, actor=None, action="sla_reminder", disposition=disposition, data={"kind": str(kind)}
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


# --- Reports imported from another system (SP4N-LAPOR! exports) --------------------------------------

# The disposition status implied by an imported report's status (absent: it never reached an agency).
_IMPORTED_DISPOSITION_STATUS = {
    Status.TERDISPOSISI: DispositionStatus.TERDISPOSISI,
    Status.DIPROSES: DispositionStatus.DIPROSES,
    Status.SELESAI: DispositionStatus.SELESAI,
    Status.DITUTUP_PELAPOR: DispositionStatus.SELESAI,
    Status.DITUTUP_SISTEM: DispositionStatus.SELESAI,  # closed by the system 10 days after an answer
    Status.DITUTUP_ADMIN: DispositionStatus.DIBATALKAN,
}
_IMPORTED_FIELDS = (
    "title",
    "description",
    "kind",
    "classification",
    "category",
    "region",
    "is_anonymous",
    "is_confidential",
    "channel",
    "status",
    "archive_reason",
    "reporter_name",
)
_IMPORTED_FOREIGN_KEYS = {"category", "region", "archive_reason"}


# Timeline entries that do not count as work done here on an imported report.
_IMPORT_OWN_ACTIONS = ("submitted", "imported", "supported")


# What apply_imported_report returns instead of changed=True/False when officers have worked the
# report here since it was imported: the row did not overwrite it.
IMPORT_KEPT = "kept"


def apply_imported_report(
    *,
    report,
    source_instance,
    title,
    description,
    kind,
    classification,
    category,
    region,
    is_anonymous,
    is_confidential,
    channel,
    status,
    archive_reason,
    agencies,
    reporter_name="",
    actor=None,
):
    """Bring an imported report to the state its source system reports now, in one timeline event.

    An export (SP4N-LAPOR!) holds each report's current state but not its history, so the state is
    set as it is rather than replayed through the lifecycle actions (which would invent dates and
    SLA results): verified_at, answered_at and closed_at stay empty, and the SLA clock is off
    (next_check_at empty) because the source system owns the report's lifecycle. `agencies` are
    where it was disposed; their dispositions follow the report's status.

    Returns (report, changed). Writes nothing at all when nothing differs, so importing the same file
    again leaves every report (its version, updated_at and timeline) untouched. Once officers have
    worked the report here (any timeline entry beyond submission, import and citizens' support), a
    differing row returns (report, IMPORT_KEPT): Jembatan's state wins, except that a report the
    source now marks confidential or anonymous becomes so.
    """
    if kind not in ReportType.values:
        raise ReportError(_("Jenis laporan tidak dikenal."), field="kind")
    if channel not in Channel.values:
        raise ReportError(_("Kanal tidak dikenal."), field="channel")
    if status not in Status.values:
        raise ReportError(_("Status tidak dikenal."), field="status")
    if classification and classification not in Classification.values:
        raise ReportError(_("Klasifikasi tidak dikenal."), field="classification")
    wanted_values = {
        # The source system's text, however short (see submit_report); never empty.
        "title": _clean_text(title, field="title", minimum=1, maximum=200, label=_("Judul")),
        "description": _clean_text(
            description, field="description", minimum=1, maximum=10000, label=_("Isi laporan")
        ),
        "kind": kind,
        "classification": classification or "",
        "category": category,
        "region": region,
        "is_anonymous": bool(is_anonymous),
        "is_confidential": bool(is_confidential),
        "channel": channel,
        "status": status,
        "archive_reason": archive_reason,
        "reporter_name": (reporter_name or "").strip()[:150],
    }
    disposition_status = _IMPORTED_DISPOSITION_STATUS.get(status)
    wanted = {agency.pk: disposition_status for agency in agencies} if disposition_status else {}
    with transaction.atomic():
        report = _lock(report)
        if not report.external_id or report.source_instance != source_instance:
            raise ReportError(_("Laporan ini bukan impor dari %(source)s.") % {"source": source_instance})
        changes = {}
        for name in _IMPORTED_FIELDS:
            if name in _IMPORTED_FOREIGN_KEYS:  # by id: reading report.category costs a query per row
                old, new = getattr(report, f"{name}_id"), getattr(wanted_values[name], "pk", None)
            else:
                old, new = getattr(report, name), wanted_values[name]
            if old != new:
                changes[name] = [str(old) if old is not None else None, str(new) if new is not None else None]
        current = {d.agency_id: d for d in report.dispositions.all()}
        to_create = [a for a in agencies if a.pk not in current and a.pk in wanted]
        to_update = [
            d for pk, d in current.items() if wanted.get(pk, DispositionStatus.DIBATALKAN) != d.status
        ]
        if to_create or to_update:
            changes["dispositions"] = {
                "before": {str(pk): d.status for pk, d in current.items()},
                "after": {str(pk): s for pk, s in wanted.items()},
            }
        if not changes:
            return report, False
        if report.events.exclude(action__in=_IMPORT_OWN_ACTIONS).exists():
            # Officers have worked it here since it was imported: the export's older view of it
            # must not undo that (cancel their dispositions, reset the status). Only more
            # protection for the reporter is taken from it: a report the source now marks Rahasia
            # or Anonim becomes so here too (never the other way).
            raised = {
                flag: [False, True]
                for flag in ("is_confidential", "is_anonymous")
                if wanted_values[flag] and not getattr(report, flag)
            }
            if raised:
                for flag in raised:
                    setattr(report, flag, True)
                _save(report, *raised)
                _record(
                    report,
                    actor=actor,
                    action="imported",
                    data={"source": source_instance, "external_id": report.external_id, "changes": raised},
                )
            return report, IMPORT_KEPT
        before = report.status
        for name, value in wanted_values.items():
            setattr(report, name, value)
        report.next_check_at = None
        report.paused_at = None
        _save(report, *_IMPORTED_FIELDS, "next_check_at", "paused_at")
        for agency in to_create:
            Disposition.objects.create(
                report=report,
                agency=agency,
                status=wanted[agency.pk],
                disposed_at=report.submitted_at,  # the export does not say when it was disposed
                instruction=_("Diimpor dari %(source)s.") % {"source": source_instance},
            )
        for disposition in to_update:
            disposition.status = wanted.get(disposition.agency_id, DispositionStatus.DIBATALKAN)
            disposition.next_check_at = None
            disposition.save(update_fields=["status", "next_check_at", "updated_at"])
        if "title" in changes or "description" in changes:
            search.index_report(report)
        _record(
            report,
            actor=actor,
            action="imported",
            before=before,
            data={"source": source_instance, "external_id": report.external_id, "changes": changes},
        )
    return report, True
