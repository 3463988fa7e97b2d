"""One new row, inserted the way Model.save() would, without rebuilding its SQL every time.

Every new report writes three rows (the report, its SUBMITTED event, the acknowledgement in the
outbox), and Django's save() compiles a fresh INSERT for each: the compiler, quoting every column,
the field list — more CPU than SQLite spends storing them (issue 15). `insert(obj)` does what
save() does for a new row of a plain model — pre_save() of every field (auto_now_add, …),
get_db_prep_save(), the unsaved-related-object check, RETURNING the primary key, marking the
instance saved — with the statement built once per model and database.

`on_conflict_do_nothing=("column",)` adds `ON CONFLICT (column) DO NOTHING`: a row that would
break that unique column is not written and insert() returns False instead of raising, so the
caller needs no savepoint to survive it (a failed statement aborts a PostgreSQL transaction).

Only for plain models: no parent model, no generated or database-default columns, the primary
key the only column the database returns, and no pre_save / post_save receivers (this project
has none; a receiver added later makes insert() fall back to save(), so it is never skipped).
Anything else — and a value that is an expression — goes through the ORM's save_base() unchanged.
A model's own save() logic is not run here: call insert() from it (or after doing that work).
"""

from django.db import IntegrityError, connections, router, transaction
from django.db.models import NOT_PROVIDED, signals
from django.db.models import fields as model_fields
from django.db.models.fields.json import JSONField
from django.db.models.fields.related import ForeignKey

_statements = {}  # (model, alias, conflict columns) -> (sql, plan) or None when not plain

# Django's own field classes (exactly these: a subclass may override what follows), for which
# get_db_prep_save(None) is None on SQLite and PostgreSQL: every adapt_*_value passes None through.
# A new report's row is mostly NULLs (its 14 timestamps, its agencies, its rating…), and the full
# call chain costs ~2 µs a column (issue 15).
_NONE_IS_NULL = frozenset(
    {
        model_fields.BigIntegerField,
        model_fields.BooleanField,
        model_fields.CharField,
        model_fields.DateField,
        model_fields.DateTimeField,
        model_fields.DecimalField,
        model_fields.EmailField,
        model_fields.FloatField,
        model_fields.IntegerField,
        model_fields.PositiveBigIntegerField,
        model_fields.PositiveIntegerField,
        model_fields.PositiveSmallIntegerField,
        model_fields.SlugField,
        model_fields.SmallIntegerField,
        model_fields.TextField,
        model_fields.URLField,
        model_fields.UUIDField,
        ForeignKey,
        JSONField,
    }
)
# Text fields whose get_db_prep_save(a str) is that str: get_prep_value() is to_python(), which
# returns a str (or a TextChoices member) as it is, and no backend adapts text.
_STR_AS_IS = frozenset(
    {
        model_fields.CharField,
        model_fields.EmailField,
        model_fields.SlugField,
        model_fields.TextField,
        model_fields.URLField,
    }
)


def _plain_fields(model, connection):
    meta = model._meta
    if meta.parents or meta.proxy or not connection.features.can_return_columns_from_insert:
        return None
    if list(meta.db_returning_fields) != [meta.pk]:
        return None
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    if meta.auto_field is None or any(
        getattr(f, "generated", False) or getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
        for f in fields
    ):
        return None
    if any(hasattr(f, "get_placeholder") for f in fields):  # geometry and the like: their own SQL
        return None
    return fields


def _statement(model, alias, conflict):
    key = (model, alias, conflict)
    if key not in _statements:
        connection = connections[alias]
        fields = _plain_fields(model, connection)
        if fields is None:
            _statements[key] = None
        else:
            qn = connection.ops.quote_name
            columns = ", ".join(qn(f.column) for f in fields)
            values = ", ".join(["%s"] * len(fields))
            on_conflict = (
                f" ON CONFLICT ({', '.join(qn(c) for c in conflict)}) DO NOTHING" if conflict else ""
            )
            sql = (
                f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values})"
                f"{on_conflict} RETURNING {qn(model._meta.pk.column)}"
            )
            _statements[key] = (sql, [_plan(f) for f in fields])
    return _statements[key]


def _plan(field):
    """(field, attname to read when pre_save() is Field's plain getattr else None, None → NULL
    without the prep chain, a str as it is)."""
    kind = type(field)
    plain_read = kind.pre_save is model_fields.Field.pre_save
    return (field, field.attname if plain_read else None, kind in _NONE_IS_NULL, kind in _STR_AS_IS)


def insert(obj, *, on_conflict_do_nothing=()):
    """INSERT the new `obj` (no primary key yet); True when written, False when a row with the same
    `on_conflict_do_nothing` column exists (nothing written). Falls back to obj.save()."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    conflict = tuple(on_conflict_do_nothing)
    statement = _statement(model, alias, conflict)
    if (
        statement is None
        or obj.pk is not None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        return _save(obj, alias, conflict)
    sql, plan = statement
    obj._prepare_related_fields_for_save(operation_name="save")
    connection = connections[alias]
    params = []
    for field, attname, none_is_null, str_as_is in plan:
        value = getattr(obj, attname) if attname is not None else field.pre_save(obj, True)
        if value is None and none_is_null:
            params.append(None)
        elif str_as_is and isinstance(value, str):
            params.append(value)
        elif hasattr(value, "resolve_expression"):
            return _save(obj, alias, conflict)
        else:
            params.append(field.get_db_prep_save(value, connection=connection))
    with transaction.mark_for_rollback_on_error(alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = alias
    return True


def _save(obj, alias, conflict):
    """The ORM's way (what Model.save() does for a new row, after the model's own save() logic),
    with a savepoint standing in for ON CONFLICT DO NOTHING."""
    obj._prepare_related_fields_for_save(operation_name="save")
    if not conflict:
        obj.save_base(using=alias)
        return True
    model = type(obj)
    try:
        with transaction.atomic(using=alias):
            obj.save_base(using=alias)
        return True
    except IntegrityError:
        lookup = {
            f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields if f.column in conflict
        }
        if model._default_manager.using(alias).filter(**lookup).exists():
            obj.pk = None
            obj._state.adding = True
            return False
        raise
