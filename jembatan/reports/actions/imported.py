"""Reports imported from another system (SP4N-LAPOR! exports): their state applied as one change."""

from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.reports import search
from jembatan.reports.actions._common import (
    ReportError,
    _clean_text,
    _lock,
    _record,
    _save,
)
from jembatan.reports.events import EventAction
from jembatan.reports.models import (
    Channel,
    Classification,
    Disposition,
    DispositionStatus,
    ReportType,
    Status,
)

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
    _check_imported_codes(kind=kind, channel=channel, status=status, classification=classification)
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
        changes, to_create, to_update = _import_changes(report, wanted_values, agencies, wanted)
        if not changes:
            return report, False
        if report.events.exclude(action__in=_IMPORT_OWN_ACTIONS).exists():
            _keep_worked_report(report, wanted_values, source_instance=source_instance, actor=actor)
            return report, IMPORT_KEPT
        _apply_import(report, wanted_values, changes, (to_create, to_update, wanted), source_instance, actor)
    return report, True


def _check_imported_codes(*, kind, channel, status, classification):
    """A ReportError for a code this system does not know."""
    if kind not in ReportType.values:
        raise ReportError(_("Jenis laporan tidak dikenal."), field="kind")
    if channel not in Channel.values:
        raise ReportError(_("Kanal tidak dikenal."), field="channel")
    if status not in Status.values:
        raise ReportError(_("Status tidak dikenal."), field="status")
    if classification and classification not in Classification.values:
        raise ReportError(_("Klasifikasi tidak dikenal."), field="classification")


def _apply_import(report, wanted_values, changes, dispositions, source_instance, actor):
    """Set the report and its dispositions as the source system has them, with the clock off, and
    record the import (inside the import's transaction, on the locked row)."""
    before = report.status
    for name, value in wanted_values.items():
        setattr(report, name, value)
    report.next_check_at = None
    report.paused_at = None
    _save(report, *_IMPORTED_FIELDS, "next_check_at", "paused_at")
    _set_imported_dispositions(report, *dispositions, source_instance=source_instance)
    if "title" in changes or "description" in changes:
        search.index_report(report)
    _record(
        report,
        actor=actor,
        action=EventAction.IMPORTED,
        before=before,
        data={"source": source_instance, "external_id": report.external_id, "changes": changes},
    )


def _import_changes(report, wanted_values, agencies, wanted):
    """({field: [old, new]}, dispositions to create, dispositions to update) against the locked report."""
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
    to_update = [d for pk, d in current.items() if wanted.get(pk, DispositionStatus.DIBATALKAN) != d.status]
    if to_create or to_update:
        changes["dispositions"] = {
            "before": {str(pk): d.status for pk, d in current.items()},
            "after": {str(pk): s for pk, s in wanted.items()},
        }
    return changes, to_create, to_update


def _set_imported_dispositions(report, to_create, to_update, wanted, *, source_instance):
    """The dispositions follow the imported status (inside the import's transaction)."""
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


def _keep_worked_report(report, wanted_values, *, source_instance, actor):
    """Officers have worked it here since it was imported: the export's older view of it must not
    undo that (cancel their dispositions, reset the status). Only more protection for the reporter
    is taken from it: a report the source now marks Rahasia or Anonim becomes so here too (never the
    other way). Called inside the import's transaction, on the locked row.
    """
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
            action=EventAction.IMPORTED,
            data={"source": source_instance, "external_id": report.external_id, "changes": raised},
        )
