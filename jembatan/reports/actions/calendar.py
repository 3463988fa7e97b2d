"""Corrections to the working-day calendar (CalendarOverride): national data, audited.

A correction moves every SLA deadline that crosses its date, in every agency, so only admin
nasional and the sysadmin make one; each change leaves an AuditRecord in the same transaction.
Deadlines already stored are not recomputed here: the sweep reads the calendar afresh.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.audit import changed_fields, record_change, snapshot
from jembatan.accounts.models import AuditRecord
from jembatan.reports.actions._common import ReportError
from jembatan.reports.models import CalendarOverride
from jembatan.reports.sla import forget_overrides

_FIELDS = ["date", "is_working_day", "note"]


def _require(actor):
    access.require(
        actor is None or access.can_manage_national_data(actor),
        _("Kalender kerja berlaku nasional: hanya admin nasional dan sysadmin yang dapat mengubahnya."),
    )


def set_calendar_override(*, actor, date, is_working_day, note, override=None):
    """Declare `date` a working day or a day off (creating or changing a correction); return it."""
    _require(actor)
    note = (note or "").strip()
    if not note:
        raise ReportError(_("Tulis keterangan koreksi kalender (mis. cuti bersama)."), field="note")
    with transaction.atomic():
        if override is None:
            current, before = CalendarOverride(), {}
        else:
            current = CalendarOverride.objects.select_for_update().get(pk=override.pk)
            before = snapshot(current, _FIELDS)
        current.date, current.is_working_day, current.note = date, bool(is_working_day), note[:200]
        try:
            current.validate_unique()
        except ValidationError:
            raise ReportError(_("Tanggal ini sudah punya koreksi; ubah yang itu."), field="date") from None
        current.save()
        transaction.on_commit(forget_overrides)  # this process's copy (reports/sla.py)
        after = snapshot(current, _FIELDS)
        if override is not None:
            before, after = changed_fields(before, after)
            if not after:
                return current
        record_change(
            actor=actor, kind=AuditRecord.Kind.CALENDAR_SET, obj=current, before=before, after=after
        )
    return current


def delete_calendar_override(*, actor, override):
    """Remove a correction: the date follows the national holidays again."""
    _require(actor)
    with transaction.atomic():
        current = CalendarOverride.objects.select_for_update().get(pk=override.pk)
        record_change(
            actor=actor,
            kind=AuditRecord.Kind.CALENDAR_DELETED,
            obj=current,
            before=snapshot(current, _FIELDS),
        )
        current.delete()
        transaction.on_commit(forget_overrides)
