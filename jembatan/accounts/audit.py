"""The record of changes to who may do what (AuditRecord), written by the actions that make them.

Only actions call `record_change`, inside their own transaction, so a change and its record are
saved together or not at all. `snapshot` turns a model's fields into the JSON the record keeps.
"""

from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _

from jembatan.accounts.models import AuditRecord


def snapshot(obj, fields):
    """The values of `fields` of `obj` as JSON: foreign keys as "id: name", dates as ISO text."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            related = getattr(obj, name)
            values[name] = None if related is None else f"{related.pk}: {related}"
        else:
            value = getattr(obj, name)
            if isinstance(value, date | datetime):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            values[name] = value
    return values


def changed_fields(before, after):
    """Keep only the keys whose values differ, in both snapshots (the record shows the change)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record_change(*, actor, kind, obj, before=None, after=None, agency=None, object_id=None):
    """Write one audit row; `actor` None is the command line (an operator on the server)."""
    return AuditRecord.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None else _("sistem (baris perintah)"))[:150],
        kind=kind,
        object_type=obj._meta.label_lower,
        object_id=str(object_id if object_id is not None else obj.pk),
        object_repr=str(obj)[:250],
        agency=agency,
        before=before or {},
        after=after or {},
    )
