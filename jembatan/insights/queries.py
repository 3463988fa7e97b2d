"""The read side: scopes, filters, periods, and which cube answers a question.

Every dashboard number is a sum over cube rows. `fetch()` picks the cube:

- a *scope* cube (pre-summed per hub) when the scope is a hub and every dimension the question
  needs (its grouping and its filters) is in that cube;
- otherwise the *full* cube, restricted to the scope's agencies (`agency IN subtree`), which the
  filter itself keeps small (one kabupaten/kota or one category is an indexed equality).

A viewer with several scopes (say, pimpinan of two offices) gets the sum of their disjoint
subtrees; a scope inside another one is dropped first, so nothing is counted twice.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, replace

from django.db import connections
from django.db.models import Q, Sum

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.directory.models import Agency
from jembatan.insights.models import (
    NATIONAL,
    AgencyDispositionCube,
    AgencyReportCube,
    AgencyTotalDispositionCube,
    AgencyVerifierCube,
    DispositionCube,
    Grain,
    ReportCube,
    RollupState,
    ScopeDispositionCube,
    ScopeLink,
    ScopePlaceCube,
    ScopeRegionDispositionCube,
    ScopeRegionReportCube,
    ScopeRegionTopicCube,
    ScopeRegionVerifierCube,
    ScopeReportCube,
    ScopeTopicCube,
    ScopeTopicDispositionCube,
    ScopeVerifierCube,
)
from jembatan.insights.rollups import CUBES, DISPOSITION_MEASURES, REPORT_MEASURES

MAX_DAY_GRAIN_DAYS = 92  # longer periods are read from the month cubes, in whole months


# --- Periods -----------------------------------------------------------------------------------------


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    grain: str = Grain.DAY
    compare_to: "Period | None" = None  # the period to compare with, when not simply the one before

    @classmethod
    def between(cls, start, end):
        """A period from start to end; longer than MAX_DAY_GRAIN_DAYS it is widened to whole months."""
        if end < start:
            start, end = end, start
        if (end - start).days + 1 > MAX_DAY_GRAIN_DAYS:
            return cls(start.replace(day=1), month_end(end), Grain.MONTH)
        return cls(start, end, Grain.DAY)

    @classmethod
    def month(cls, day):
        return cls(day.replace(day=1), month_end(day), Grain.MONTH)

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def months(self):
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def previous(self):
        """The period to compare with: by default the one of the same length just before."""
        if self.compare_to is not None:
            return self.compare_to
        if self.grain == Grain.MONTH:
            start = _add_months(self.start, -self.months)
            return Period(start, self.start - dt.timedelta(days=1), Grain.MONTH)
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1), Grain.DAY)

    @property
    def first_key(self):
        return self.start

    @property
    def last_key(self):
        return self.end.replace(day=1) if self.grain == Grain.MONTH else self.end

    def keys(self):
        """The cube period values inside this period, in order."""
        result, key = [], self.first_key
        while key <= self.last_key:
            result.append(key)
            key = _add_months(key, 1) if self.grain == Grain.MONTH else key + dt.timedelta(days=1)
        return result

    def covering(self, other):
        """A period from the earlier start to the later end (same grain)."""
        return Period(min(self.start, other.start), max(self.end, other.end), self.grain)

    @classmethod
    def calendar_month(cls, day):
        """A month by day (a daily chart), compared with the calendar month before it."""
        start = day.replace(day=1)
        before = (start - dt.timedelta(days=1)).replace(day=1)
        return cls(start, month_end(start), Grain.DAY, cls(before, month_end(before), Grain.DAY))


# --- Scopes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One subtree the viewer may see: an agency, or the whole instance (agency None)."""

    agency: Agency | None

    @property
    def key(self):
        return self.agency.pk if self.agency else NATIONAL

    @property
    def is_national(self):
        return self.agency is None

    def contains(self, agency):
        return self.agency is None or (agency is not None and agency.path.startswith(self.agency.path))


def viewer_scopes(user):
    """The disjoint subtrees `user` may see on the dashboards ([] for nobody)."""
    agencies = access.scopes_for(user, Action.VIEW_DASHBOARD)
    if not agencies:
        return []
    if None in agencies:
        return [Scope(None)]
    agencies = sorted(set(agencies), key=lambda a: len(a.path))
    kept = []
    for agency in agencies:
        if not any(agency.path.startswith(k.path) for k in kept):
            kept.append(agency)
    return [Scope(a) for a in sorted(kept, key=lambda a: a.path)]


@dataclass
class Filters:
    period: Period
    region: str = ""  # province (2 characters) or kabupaten/kota code
    agency: Agency | None = None
    category: object = None  # a Category: a group (no parent) or a category

    @property
    def region_column(self):
        if not self.region:
            return None
        return "province" if "." not in self.region else "region"

    @property
    def category_column(self):
        if self.category is None:
            return None
        return "category" if self.category.parent_id else "category_group"

    def with_period(self, period):
        return replace(self, period=period)


def effective_scopes(user, filters):
    """The scopes a question is asked in: the chosen agency, else all of the viewer's."""
    if filters.agency is not None:
        return [Scope(filters.agency)]
    return viewer_scopes(user)


# --- Cubes -------------------------------------------------------------------------------------------


# Each cube's dimensions, as rollups builds it (a fan-out cube's `scope` column is not among them).
CUBE_DIMS = {spec.model: frozenset(spec.dims) for spec in CUBES}


@dataclass(frozen=True)
class Kind:
    hub_model: type
    full_model: type
    scope_column: str  # the full cube's column that the scope restricts
    measures: tuple
    # Other kinds whose hub cube holds the same measures of the same facts fanned out the same way:
    # a question that needs a dimension this hub cube lacks (a kabupaten/kota, a category) asks
    # theirs before the full cube, which holds about a row per report.
    alternates: tuple = ()
    # The full cube without its fine dimensions (per leaf agency, not fanned out), the coarsest
    # first: the first that has every dimension a question needs (its `scope_column` included) is
    # read instead of the full cube, by the same column.
    leaves: tuple = ()

    @property
    def hub_dims(self):
        """The hub cube's dimensions (its fan-out `scope` column aside), as rollups.CUBES builds it."""
        return CUBE_DIMS[self.hub_model]

    def hub_model_for(self, needed, unbuilt=frozenset()):
        """The hub cube that has every dimension in `needed`, or None (then the full cube).

        `unbuilt`: cube tables not filled yet (RollupState.unbuilt), never asked."""
        for kind in (self, *(KINDS[name] for name in self.alternates)):
            if needed <= kind.hub_dims and kind.hub_model._meta.db_table not in unbuilt:
                return kind.hub_model
        return None

    def full_model_for(self, needed, unbuilt=frozenset()):
        """The cube summed per agency: the first leaf cube that has every dimension (and is
        filled), else the full one."""
        for model in self.leaves:
            if needed <= CUBE_DIMS[model] and model._meta.db_table not in unbuilt:
                return model
        return self.full_model


KINDS = {
    "report": Kind(
        ScopeReportCube,
        ReportCube,
        "agency",
        tuple(REPORT_MEASURES),
        alternates=("place", "topic", "region_report", "region_topic"),
        leaves=(AgencyReportCube,),
    ),
    "verifier": Kind(
        ScopeVerifierCube,
        ReportCube,
        "verifier",
        tuple(REPORT_MEASURES),
        alternates=("region_verifier",),
        leaves=(AgencyVerifierCube,),
    ),
    "place": Kind(
        ScopePlaceCube,
        ReportCube,
        "agency",
        tuple(REPORT_MEASURES),
        leaves=(AgencyReportCube,),
    ),
    "topic": Kind(
        ScopeTopicCube,
        ReportCube,
        "agency",
        tuple(REPORT_MEASURES),
        alternates=("region_topic",),
    ),
    "disposition": Kind(
        ScopeDispositionCube,
        DispositionCube,
        "agency",
        tuple(DISPOSITION_MEASURES),
        alternates=("region_disposition", "topic_disposition"),
        leaves=(
            AgencyTotalDispositionCube,
            AgencyDispositionCube,
        ),
    ),
    # Only asked as alternates: the kabupaten/kota hub cubes, for questions under that filter.
    "region_report": Kind(
        ScopeRegionReportCube,
        ReportCube,
        "agency",
        tuple(REPORT_MEASURES),
    ),
    "region_topic": Kind(
        ScopeRegionTopicCube,
        ReportCube,
        "agency",
        tuple(REPORT_MEASURES),
    ),
    "region_verifier": Kind(
        ScopeRegionVerifierCube,
        ReportCube,
        "verifier",
        tuple(REPORT_MEASURES),
    ),
    "region_disposition": Kind(
        ScopeRegionDispositionCube,
        DispositionCube,
        "agency",
        tuple(DISPOSITION_MEASURES),
    ),
    # Only asked as an alternate: the dispositions under a category group filter.
    "topic_disposition": Kind(
        ScopeTopicDispositionCube,
        DispositionCube,
        "agency",
        tuple(DISPOSITION_MEASURES),
    ),
}


class Catalog:
    """Per-request memo of the agency tree facts a query needs (hubs, subtrees)."""

    def __init__(self):
        self._hubs = None
        self._subtrees = {}
        self._children = {}
        self._paths = None
        self._unbuilt = None

    @property
    def unbuilt(self):
        """The cube tables a migration created and the rollup task has not filled yet."""
        if self._unbuilt is None:
            self._unbuilt = frozenset(RollupState.objects.values_list("unbuilt", flat=True).first() or ())
        return self._unbuilt

    @property
    def hubs(self):
        if self._hubs is None:
            self._hubs = set(ScopeLink.objects.values_list("hub", flat=True).distinct())
        return self._hubs

    def is_hub(self, scope):
        return scope.is_national or scope.agency.pk in self.hubs

    def subtree_ids(self, agency):
        if agency.pk not in self._subtrees:
            self._subtrees[agency.pk] = list(Agency.objects.subtree(agency).values_list("pk", flat=True))
        return self._subtrees[agency.pk]

    def children(self, parent):
        # A league asks for the same children once per cube it reads (seven times a page).
        key = parent.pk if parent else None
        if key not in self._children:
            qs = Agency.objects.filter(parent=parent) if parent else Agency.objects.filter(parent=None)
            self._children[key] = list(qs.order_by("name"))
        return self._children[key]

    def child_under(self, agency_id, depth):
        """The ancestor of `agency_id` at `depth` below the root ("self" for the parent itself,
        and for reports without an agency): which league row a leaf's numbers belong to."""
        if self._paths is None:
            self._paths = {
                pk: [int(p) for p in path.strip("/").split("/") if p]
                for pk, path in Agency.objects.values_list("pk", "path")
            }
        chain = self._paths.get(agency_id)
        return chain[depth] if chain and len(chain) > depth else "self"


def _filter_q(filters, extra=None):
    q = Q()
    if filters.region:
        q &= Q(**{filters.region_column: filters.region})
    if filters.category is not None:
        q &= Q(**{filters.category_column: filters.category.pk})
    for column, value in (extra or {}).items():
        # Plain columns are equalities (IN-lists are split by _expand); "wd__gte" is a lookup.
        q &= Q(**{f"{column}__in" if isinstance(value, list | tuple | set) else column: value})
    return q


def _expand(extra):
    """One {column: value} per combination of the IN-lists in `extra`.

    Each combination is queried as equalities: SQLite then picks the index that has the column
    (say, the backlog's status), where an IN-list let it fall back to scanning every period.
    """
    combos = [{}]
    for column, value in (extra or {}).items():
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        combos = [{**combo, column: v} for combo in combos for v in values]
    return combos


def _needed_dims(filters, group_by, extra):
    dims = {d for d in group_by if d != "period"} | {key.split("__")[0] for key in extra or {}}
    if filters.region_column:
        dims.add(filters.region_column)
    if filters.category_column:
        dims.add(filters.category_column)
    return dims


_DATES = {}


def _date(value):
    # SQLite hands dates back as text; a dashboard reads thousands of rows of a few hundred dates.
    if isinstance(value, str):
        parsed = _DATES.get(value)
        if parsed is None:
            parsed = _DATES[value] = dt.date.fromisoformat(value)
        return parsed
    return value


def _run(qs, group_by, measures, windows=None):
    """Execute the grouped sums and return plain dicts.

    The SQL is Django's, but the rows are read with a bare cursor: Django's per-value converters
    cost more than the query itself for the few thousand rows a long period returns. With
    `windows` [(start, end)], each measure is summed per window instead (`measure__0`, …), which
    keeps a comparison of periods to one row per group.
    """
    if windows:
        sums = {
            f"{m}__{i}": Sum(m, filter=Q(period__gte=start, period__lte=end))
            for i, (start, end) in enumerate(windows)
            for m in measures
        }
    else:
        sums = {m: Sum(m) for m in measures}
    if not group_by:
        row = qs.aggregate(**sums)
        return [row] if any(v for v in row.values()) else []
    qs = qs.values(*group_by).annotate(**sums).order_by()
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = [*group_by, *sums]
    dated = "period" in group_by
    result = []
    for row in rows:
        item = dict(zip(names, row, strict=True))
        if dated:
            item["period"] = _date(item["period"])
        result.append(item)
    return result


def _merge(rows, group_by, measures):
    merged = {}
    for row in rows:
        key = tuple(row[g] for g in group_by)
        target = merged.setdefault(key, {**{g: row[g] for g in group_by}, **dict.fromkeys(measures, 0)})
        for m in measures:
            target[m] += row[m] or 0
    return list(merged.values())


def _names(measures, windows):
    if not windows:
        return list(measures)
    return [f"{m}__{i}" for i in range(len(windows)) for m in measures]


def fetch(
    kind_name,
    scopes,
    filters,
    group_by=(),
    period=None,
    extra=None,
    catalog=None,
    measures=None,
    windows=None,
):
    """Summed measures of `kind_name` in `scopes`, grouped by `group_by` (cube columns or "period").

    `period` defaults to the filters' period; `extra` adds equality / IN conditions on dimensions;
    `measures` picks fewer columns than all of the cube's (fewer values to turn into Python);
    `windows` [(start, end)] sums each measure per window (see _run), within `period`.
    """
    kind = KINDS[kind_name]
    measures = list(measures or kind.measures)
    period = period or filters.period
    catalog = catalog or Catalog()
    group_by = list(group_by)
    needed = _needed_dims(filters, group_by, extra)
    rows, parts = [], 0
    for combo in _expand(extra):
        base = Q(grain=period.grain, period__gte=period.first_key, period__lte=period.last_key)
        base &= _filter_q(filters, combo)
        hub_model = kind.hub_model_for(needed, catalog.unbuilt)
        for scope in scopes:
            if catalog.is_hub(scope) and hub_model is not None:
                qs = hub_model.objects.filter(base, scope=scope.key)
            else:
                qs = kind.full_model_for(needed, catalog.unbuilt).objects.filter(base)
                if not scope.is_national:
                    if catalog.is_hub(scope):
                        qs = qs.filter(**{f"{kind.scope_column}__in": catalog.subtree_ids(scope.agency)})
                    else:  # a leaf: its subtree is itself
                        qs = qs.filter(**{kind.scope_column: scope.agency.pk})
            rows += _run(qs, group_by, measures, windows)
            parts += 1
    return _merge(rows, group_by, _names(measures, windows)) if parts > 1 else rows


def fetch_by_child(
    kind_name,
    parent_scope,
    filters,
    group_by=(),
    period=None,
    extra=None,
    catalog=None,
    measures=None,
    windows=None,
):
    """Like fetch(), but one result per child agency of `parent_scope` (plus the parent's own, key
    "self"): the rows of a league table. Returns (children, {child id or "self": [rows]})."""
    kind = KINDS[kind_name]
    period = period or filters.period
    catalog = catalog or Catalog()
    group_by = list(group_by)
    measures = list(measures or kind.measures)
    names = _names(measures, windows)
    needed = _needed_dims(filters, group_by, extra)
    parent = parent_scope.agency
    children = catalog.children(parent)
    result = {c.pk: [] for c in children}
    result["self"] = []
    col = kind.scope_column
    combos = _expand(extra)
    if len(combos) > 1:
        for combo in combos:
            _c, part = fetch_by_child(
                kind_name, parent_scope, filters, group_by, period, combo, catalog, measures, windows
            )
            for key, rows in part.items():
                result[key] += rows
        return children, {key: _merge(rows, group_by, names) for key, rows in result.items()}
    base = Q(grain=period.grain, period__gte=period.first_key, period__lte=period.last_key)
    base &= _filter_q(filters, extra)
    hub_model = kind.hub_model_for(needed, catalog.unbuilt)
    if hub_model is not None:
        hub_children = [c.pk for c in children if c.pk in catalog.hubs]
        leaf_children = [c.pk for c in children if c.pk not in catalog.hubs]
        if hub_children:
            hub_rows = hub_model.objects.filter(base, scope__in=hub_children)
            for row in _run(hub_rows, ["scope", *group_by], measures, windows):
                result[row.pop("scope")].append(row)
        own = [parent.pk if parent else NATIONAL]
        leaf_rows = kind.full_model_for(needed, catalog.unbuilt).objects.filter(
            base, **{f"{col}__in": leaf_children + own}
        )
        for row in _run(leaf_rows, [col, *group_by], measures, windows):
            key = row.pop(col)
            result["self" if key in own else key].append(row)
        return children, result
    # Filtered by a kabupaten/kota or a category: sum the leaf rows of the full cube per child.
    qs = kind.full_model_for(needed, catalog.unbuilt).objects.filter(base)
    if parent is not None:
        qs = qs.filter(**{f"{col}__in": catalog.subtree_ids(parent)})
    parent_depth = len(parent.path.strip("/").split("/")) if parent else 0
    for row in _run(qs, [col, *group_by], measures, windows):
        key = row.pop(col)
        target = catalog.child_under(key, parent_depth)
        if target in result:
            result[target].append(row)
    return children, {key: _merge(rows, group_by, names) for key, rows in result.items()}


def total(rows, measure):
    return sum(row.get(measure) or 0 for row in rows)
