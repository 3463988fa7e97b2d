"""The verifier's moves: ask for information, verify, archive, dispose, merge, note; auto-routing."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.reports import lifecycle, search
from jembatan.reports import notifications as notify
from jembatan.reports.actions._common import (
    MIN_TITLE_LENGTH,
    IllegalTransition,
    ReportError,
    _clean_text,
    _dispose_locked,
    _finish,
    _lock,
    _now,
    _record,
    _require,
    _save,
    _schedule_report,
)
from jembatan.reports.actions.followers import add_follower_locked, merge_followers_locked
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import (
    ArchiveReason,
    Classification,
    FollowerSource,
    Report,
    ReportType,
    Status,
    Support,
    Visibility,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- Verifier side -----------------------------------------------------------------------------------


def request_information(*, report, actor, message, expected_version=None):
    """Ask the reporter for missing details; the verification clock pauses."""
    message = _clean_text(message, field="message", minimum=10, maximum=5000, label=_("Pesan untuk pelapor"))
    with transaction.atomic():
        report = _lock(report, expected_version)
        _require(lifecycle.may_request_information(report, actor))
        before = report.status
        report.status = Status.MENUNGGU_KELENGKAPAN
        report.paused_at = _now()
        _schedule_report(report, WorkingCalendar.load(), policy())
        _save(report, "status", "paused_at", "next_check_at")
        event = _record(
            report,
            actor=actor,
            action=EventAction.INFORMATION_REQUESTED,
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
        _require(lifecycle.may_verify(report, actor))
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
            action=EventAction.VERIFIED if first else "reclassified",
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
            _require(lifecycle.may_archive(report, actor))
            report.status = Status.DIARSIPKAN_ADMIN
            role = None
        elif access.acts_as_reporter(actor, report, access_code):
            _require(lifecycle.may_withdraw(report, reporter=True))
            report.status = Status.DIARSIPKAN_PELAPOR
            role = ActorRole.REPORTER
        else:
            raise PermissionDenied(_("Anda tidak berwenang mengarsipkan laporan ini."))
        _finish(
            report,
            before=before,
            actor=actor,
            action=EventAction.ARCHIVED,
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
        _require(lifecycle.may_dispose(report, actor))
        return _dispose_locked(report, actor=actor, agencies=agencies, instruction=instruction)


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
        if not lifecycle.may_auto_route(report):
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
            action=EventAction.VERIFIED,
            visibility=Visibility.INTERNAL,
            data={"changes": changes, "classification": report.classification, **basis},
        )
        return _dispose_locked(report, actor=None, agencies=[agency], data=basis)


def find_original(*, number, actor):
    """The report numbered `number` (a leading "#" allowed), if `actor` may see it: a duplicate's original.

    Every entry point that merges asks here, so a number out of scope and an unknown one get the
    same answer (nobody learns that a report they may not see exists).
    """
    number = str(number).strip().lstrip("#").strip()
    original = Report.objects.filter(tracking_number=number).select_related("verifying_agency").first()
    if original is None or not access.can_view_report_internal(actor, original):
        raise ReportError(
            _("Laporan asal #%(number)s tidak ditemukan di cakupan Anda.") % {"number": number},
            field="original",
            code="not_found",
        )
    return original


def mark_duplicate(*, report, original, actor, note="", expected_version=None):
    """Mark a report as a duplicate of another; its supporters and reporter back the original."""
    while original.duplicate_of_id:
        original = original.duplicate_of
    if original.pk == report.pk:
        raise ReportError(_("Laporan tidak dapat menjadi duplikat dirinya sendiri."), field="original")
    with transaction.atomic():
        report = _lock(report, expected_version)
        original = _lock(original)
        _require(lifecycle.may_mark_duplicate(report, actor))
        # The end of the chain is the report that gains the supporters: the actor must be able to
        # see it, not only the link they chose.
        access.require(access.can_view_report_internal(actor, original))
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
        for user_id in sorted(new):
            if user_id != report.reporter_id:  # the reporter follows as the merged report's voice
                add_follower_locked(original, source=FollowerSource.SUPPORT, user_id=user_id)
        merge_followers_locked(duplicate=report, original=original)
        # Every row lock first (_finish locks the duplicate's open dispositions), the timeline entries
        # last: the first entry takes the public version's row (reports/publication.py), which
        # must be the last lock a transaction waits for, or two actions could wait on each other.
        _finish(
            report,
            before=before,
            actor=actor,
            action=EventAction.MARKED_DUPLICATE,
            # The reporter reads this note: the original's number only when anyone may read it.
            note=note
            or (
                _("Laporan serupa sudah ada: #%(number)s") % {"number": original.tracking_number}
                if original.is_public
                else _("Laporan serupa sudah ada dan sedang ditangani.")
            ),
            reason=reason,
        )
        _record(
            original,
            actor=actor,
            action=EventAction.DUPLICATE_MERGED,
            visibility=Visibility.INTERNAL,
            data={"duplicate": report.tracking_number, "supporters_added": len(new)},
        )
    return report


def unmerge_report(*, report, actor, expected_version=None):
    """Undo merging a report into another (shortly after): it is verified again, its backers return."""
    with transaction.atomic():
        report = _lock(report, expected_version)
        _require(lifecycle.may_unmerge(report, actor))
        original = _lock(report.duplicate_of)
        merged = (
            report.events.filter(action=EventAction.MARKED_DUPLICATE).order_by("-created_at", "-pk").first()
        )
        before = report.status
        report.status = merged.status_before
        report.duplicate_of = None
        report.archive_reason = None
        report.closed_at = None
        _schedule_report(report, WorkingCalendar.load(), policy())
        _save(report, "status", "duplicate_of", "archive_reason", "closed_at", "next_check_at")
        # The backers the merge gave the original (those who had not backed it before) go back.
        backers = set(Support.objects.filter(report=report).values_list("user_id", flat=True))
        if report.reporter_id:
            backers.add(report.reporter_id)
        removed, _count = Support.objects.filter(
            report=original, user_id__in=backers, created_at__gte=merged.created_at
        ).delete()
        original.support_count = Support.objects.filter(report=original).count()
        _save(original, "support_count")
        _record(
            original,
            actor=actor,
            action=EventAction.DUPLICATE_UNMERGED,
            visibility=Visibility.INTERNAL,
            data={"duplicate": report.tracking_number, "supporters_removed": removed},
        )
        event = _record(
            report,
            actor=actor,
            action=EventAction.DUPLICATE_UNMERGED,
            before=before,
            visibility=Visibility.PUBLIC,
            data={"original": original.tracking_number},
        )
        # The reporter was told it was merged (report_archived): told now that it is not.
        notify.notify_reporter(report=report, template="merge_undone", event=event)
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
            action=EventAction.NOTE,
            text=text,
            visibility=Visibility.INTERNAL,
            disposition=disposition,
        )
