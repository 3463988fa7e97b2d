"""Keeping the cubes current: incrementally from the timeline, or rebuilt from scratch.

Incremental refresh (the `refresh_rollups_task`, every few minutes):
1. Every state change writes a timeline Event in its own transaction (house style), so the reports
   touched since the last run are the `report_id`s of the events after the stored cursor
   (`Event.pk`, indexed). PostgreSQL may commit a lower id after a higher one, so each run also
   re-reads the events of the last LAG minutes (`Event.created_at`, indexed): re-reading is
   harmless, the facts of an unchanged report compare equal and nothing is written.
2. Their facts are recomputed; the changed ones are written together with the periods they touch
   (DirtyPeriod), in one transaction.
3. Each dirty period is re-aggregated from the facts (DELETE + INSERT … SELECT … GROUP BY) in one
   transaction per chunk, which then forgets those periods.

A change to the agency tree (moved agency, new child) changes which hubs a fact fans out to: the
scope cubes are then re-aggregated from the facts (ScopeLink is rebuilt first).
"""

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from jembatan.directory.models import Agency
from jembatan.insights import facts as factlib
from jembatan.insights.models import (
    NATIONAL,
    AgencyDispositionCube,
    AgencyReportCube,
    AgencyTotalDispositionCube,
    AgencyVerifierCube,
    DirtyPeriod,
    DispositionCube,
    DispositionFact,
    Grain,
    ReportCube,
    ReportFact,
    RollupState,
    ScopeDispositionCube,
    ScopeLink,
    ScopePlaceCube,
    ScopeRegionDispositionCube,
    ScopeRegionReportCube,
    ScopeRegionTopicCube,
    ScopeRegionVerifierCube,
    ScopeRegionWordCube,
    ScopeReportCube,
    ScopeTopicCube,
    ScopeTopicDispositionCube,
    ScopeVerifierCube,
    ScopeWordCube,
)
from jembatan.reports.models import Event
from jembatan.reports.sla import WorkingCalendar

LAG = dt.timedelta(minutes=10)  # longer than any transaction that writes an event
FACT_BATCH = 1000
PERIOD_CHUNK = 200
WORD_DAYS = 120  # emerging words look back at most 112 days (a 28-day window + 3 baselines)


def _flag(column):
    return f"SUM(CASE WHEN f.{column} THEN 1 ELSE 0 END)"


REPORT_MEASURES = {
    "reports": "COUNT(*)",
    "verified": _flag("verified"),
    "verified_on_time": _flag("verified_on_time"),
    "verify_overdue": _flag("verify_overdue"),
    "verify_wd_sum": "SUM(CASE WHEN f.verified THEN f.verify_wd ELSE 0 END)",
    "answered": _flag("answered"),
    "answered_on_time": _flag("answered_on_time"),
    "answer_wd_sum": "SUM(CASE WHEN f.answered THEN f.answer_wd ELSE 0 END)",
    "rated": "SUM(CASE WHEN f.rating > 0 THEN 1 ELSE 0 END)",
    "rating_sum": "SUM(f.rating)",
}
DISPOSITION_MEASURES = {
    "dispositions": "COUNT(*)",
    "responded": _flag("responded"),
    "responded_on_time": _flag("responded_on_time"),
    "response_overdue": _flag("response_overdue"),
    "completed": _flag("completed"),
    "completed_on_time": _flag("completed_on_time"),
    "completion_overdue": _flag("completion_overdue"),
    "returned": _flag("returned"),
    "wd_sum": "SUM(CASE WHEN f.completed THEN f.wd ELSE 0 END)",
}


@dataclass(frozen=True)
class CubeSpec:
    model: type
    family: str  # "r" (ReportFact) or "d" (DispositionFact)
    dims: tuple  # fact columns copied into the cube
    fan_out: str | None = None  # fact column fanned out to its hubs (the cube's `scope`)
    cluster: str = "region"  # without a fan-out: the column a question reads one value of

    @property
    def fact(self):
        return ReportFact if self.family == "r" else DispositionFact

    @property
    def measures(self):
        return REPORT_MEASURES if self.family == "r" else DISPOSITION_MEASURES


CUBES = [
    CubeSpec(
        ReportCube,
        "r",
        (
            "province",
            "region",
            "agency",
            "verifier",
            "category",
            "category_group",
            "channel",
            "kind",
            "status",
        ),
    ),
    # The full cubes without the fine dimensions, per leaf agency (a league's offices).
    CubeSpec(AgencyReportCube, "r", ("province", "region", "agency"), cluster="agency"),
    CubeSpec(AgencyVerifierCube, "r", ("province", "region", "verifier"), cluster="verifier"),
    CubeSpec(ScopeReportCube, "r", ("province", "channel", "kind", "status"), fan_out="agency"),
    CubeSpec(ScopeVerifierCube, "r", ("province",), fan_out="verifier"),
    CubeSpec(ScopePlaceCube, "r", ("province", "region"), fan_out="agency"),
    CubeSpec(ScopeTopicCube, "r", ("province", "category", "category_group"), fan_out="agency"),
    # The same fan-out with the kabupaten/kota: read only under a kabupaten/kota filter, which would
    # otherwise send these questions to the full cubes (about a row per report of that place).
    CubeSpec(
        ScopeRegionReportCube, "r", ("province", "region", "channel", "kind", "status"), fan_out="agency"
    ),
    CubeSpec(
        ScopeRegionTopicCube, "r", ("province", "region", "category", "category_group"), fan_out="agency"
    ),
    CubeSpec(ScopeRegionVerifierCube, "r", ("province", "region"), fan_out="verifier"),
    CubeSpec(
        DispositionCube,
        "d",
        ("province", "region", "agency", "category", "category_group", "status", "wd"),
    ),
    CubeSpec(AgencyDispositionCube, "d", ("province", "region", "agency", "wd"), cluster="agency"),
    CubeSpec(AgencyTotalDispositionCube, "d", ("province", "agency", "status", "wd"), cluster="agency"),
    CubeSpec(ScopeDispositionCube, "d", ("province", "status", "wd"), fan_out="agency"),
    CubeSpec(ScopeRegionDispositionCube, "d", ("province", "region", "status", "wd"), fan_out="agency"),
    CubeSpec(
        ScopeTopicDispositionCube, "d", ("province", "category_group", "status", "wd"), fan_out="agency"
    ),
]


# --- Aggregation -------------------------------------------------------------------------------------


def _q(name):
    return connection.ops.quote_name(name)


def _aggregate_days(spec, periods=None):
    """Replace the day rows of these days (all days when None) by a fresh aggregation of the facts."""
    grain = Grain.DAY
    table = _q(spec.model._meta.db_table)
    fact_table = _q(spec.fact._meta.db_table)
    period_column = "day"
    group = [f"f.{period_column}"]
    columns = ["grain", "period"]
    source = f"{fact_table} f"
    if spec.fan_out:
        source += f" JOIN {_q(ScopeLink._meta.db_table)} l ON l.agency = f.{spec.fan_out}"
        group.append("l.hub")
        columns.append("scope")
    group += [f"f.{d}" for d in spec.dims]
    columns += list(spec.dims)
    columns += list(spec.measures)
    select = ["%s", *group, *spec.measures.values()]
    chunks = (
        [None]
        if periods is None
        else [periods[i : i + PERIOD_CHUNK] for i in range(0, len(periods), PERIOD_CHUNK)]
    )
    with connection.cursor() as cursor:
        for chunk in chunks:
            params, where, delete_where = [grain], "", "WHERE grain = %s"
            if chunk is not None:
                marks = ", ".join(["%s"] * len(chunk))
                where = f"WHERE f.{period_column} IN ({marks})"
                delete_where += f" AND period IN ({marks})"
                params += list(chunk)
            cursor.execute(f"DELETE FROM {table} {delete_where}", [grain, *(chunk or [])])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "
                f"SELECT {', '.join(select)} FROM {source} {where} GROUP BY {', '.join(group)} "
                f"ORDER BY {_cluster(spec, 'l.hub', 'f', 'f.day')}",
                params,
            )


def _cluster(spec, scope, table, period):
    """The order rows are written in: a question reads one scope (or, in the full cubes, one
    kabupaten/kota; in the agency cubes, one agency) over consecutive periods, and finds them on
    neighbouring pages."""
    return f"{scope}, {period}" if spec.fan_out else f"{table}.{spec.cluster}, {period}"


def _month_of(column):
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _aggregate_months(spec, months=None):
    """Replace the month rows of these months (all when None) by the sum of the cube's day rows.

    Summing a month's day rows is exact (every measure is a count or a sum) and reads fewer rows
    than re-joining the month's facts to their hubs; the day rows must be current first.
    """
    table = _q(spec.model._meta.db_table)
    dims = (["scope"] if spec.fan_out else []) + list(spec.dims)
    month = _month_of("c.period")
    columns = ["grain", "period", *dims, *spec.measures]
    select = ["%s", month, *(f"c.{d}" for d in dims), *(f"SUM(c.{m})" for m in spec.measures)]
    group = [month, *(f"c.{d}" for d in dims)]
    months = None if months is None else sorted(months)
    chunks = (
        [None]
        if months is None
        else [months[i : i + PERIOD_CHUNK] for i in range(0, len(months), PERIOD_CHUNK)]
    )
    with connection.cursor() as cursor:
        for chunk in chunks:
            delete_where, where, params = "WHERE grain = %s", "WHERE c.grain = %s", [Grain.MONTH, Grain.DAY]
            if chunk is not None:
                delete_where += f" AND period IN ({', '.join(['%s'] * len(chunk))})"
                where += " AND (" + " OR ".join(["(c.period >= %s AND c.period <= %s)"] * len(chunk)) + ")"
                for first in chunk:
                    params += [first, _month_last(first)]
            cursor.execute(f"DELETE FROM {table} {delete_where}", [Grain.MONTH, *(chunk or [])])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "
                f"SELECT {', '.join(select)} FROM {table} c {where} GROUP BY {', '.join(group)} "
                f"ORDER BY {_cluster(spec, 'c.scope', 'c', month)}",
                params,
            )


def _month_last(first):
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


WORD_CUBES = (ScopeWordCube, ScopeRegionWordCube)


def _aggregate_words(days, links=None):
    """Recount the word cubes for these days (from ReportFact.words), fanned out to hubs: per hub,
    and per hub and kabupaten/kota."""
    links = links if links is not None else hub_map()
    days = sorted(days)
    for start in range(0, len(days), PERIOD_CHUNK):
        chunk = days[start : start + PERIOD_CHUNK]
        counts, by_region = Counter(), Counter()
        for day, agency, region, words in ReportFact.objects.filter(day__in=chunk).values_list(
            "day", "agency", "region", "words"
        ):
            if not words:
                continue
            hubs = links.get(agency, (NATIONAL,))
            for word in words.split():
                for hub in hubs:
                    counts[(day, hub, word)] += 1
                    by_region[(day, hub, region, word)] += 1
        for model in WORD_CUBES:
            model.objects.filter(day__in=chunk).delete()
        factlib.insert_rows(
            ScopeWordCube, ("day", "scope", "word", "reports"), ((*key, n) for key, n in counts.items())
        )
        factlib.insert_rows(
            ScopeRegionWordCube,
            ("day", "scope", "region", "word", "reports"),
            ((*key, n) for key, n in by_region.items()),
        )


def _recount_words(today=None):
    """Empty the word cubes and count the days any window still reaches again."""
    for model in WORD_CUBES:
        model.objects.all().delete()
    days = ReportFact.objects.filter(day__gte=word_window_start(today)).values_list("day", flat=True)
    _aggregate_words(set(days.distinct()))


def word_window_start(today=None):
    return (today or timezone.localdate()) - dt.timedelta(days=WORD_DAYS)


# --- Scope links -------------------------------------------------------------------------------------


def desired_links():
    """{agency id: set of hubs} from the agency tree as it is now (0 → {0} included)."""
    rows = list(Agency.objects.values_list("pk", "parent_id", "path"))
    hubs = {parent for _pk, parent, _path in rows if parent}
    links = {NATIONAL: {NATIONAL}}
    for pk, _parent, path in rows:
        chain = [int(part) for part in path.strip("/").split("/") if part] or [pk]
        links[pk] = {NATIONAL, *(a for a in chain if a in hubs)}
    return links


def hub_map():
    """{agency id: tuple of hubs} as stored (what the cubes were built with)."""
    result = {}
    for agency, hub in ScopeLink.objects.values_list("agency", "hub"):
        result.setdefault(agency, []).append(hub)
    return {agency: tuple(hubs) for agency, hubs in result.items()}


def hubs():
    """The agencies that have scope-cube rows (every agency with children; 0 is national)."""
    return set(ScopeLink.objects.values_list("hub", flat=True).distinct())


def agency_signature():
    info = Agency.objects.aggregate(n=Count("pk"), last=Max("updated_at"), parents=Sum("parent_id"))
    text = f"{info['n'] or 0}:{info['last']}:{info['parents'] or 0}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def relink():
    """Bring ScopeLink in line with the agency tree; return True if facts now fan out differently."""
    wanted = desired_links()
    stored = {}
    for agency, hub in ScopeLink.objects.values_list("agency", "hub"):
        stored.setdefault(agency, set()).add(hub)
    changed = {a for a in set(wanted) | set(stored) if wanted.get(a, set()) != stored.get(a, set())}
    if not changed:
        return False
    ScopeLink.objects.all().delete()
    ScopeLink.objects.bulk_create(
        [ScopeLink(agency=a, hub=h) for a, hs in wanted.items() for h in sorted(hs)], batch_size=2000
    )
    changed = list(changed)
    return (
        ReportFact.objects.filter(Q(agency__in=changed) | Q(verifier__in=changed)).exists()
        or DispositionFact.objects.filter(agency__in=changed).exists()
    )


def reaggregate_scopes():
    """Rebuild every scope cube (and the word cube) from the facts."""
    for spec in CUBES:
        if spec.fan_out:
            _aggregate_days(spec)
            _aggregate_months(spec)
    _recount_words()


# --- Refresh -----------------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    reports: int = 0
    periods: int = 0
    relinked: bool = False


def _mark_dirty(touched):
    rows = []
    for family, days, months in (
        ("r", touched.report_days, touched.report_months),
        ("d", touched.disposition_days, touched.disposition_months),
    ):
        rows += [DirtyPeriod(family=family, grain=Grain.DAY, period=d) for d in days]
        rows += [DirtyPeriod(family=family, grain=Grain.MONTH, period=m) for m in months]
    floor = word_window_start()
    rows += [DirtyPeriod(family="w", grain=Grain.DAY, period=d) for d in touched.report_days if d >= floor]
    DirtyPeriod.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def refresh_facts_of(report_ids, cal=None, progress=None):
    """Recompute the facts of these reports in batches, marking the periods they change."""
    cal = cal or WorkingCalendar.load()
    report_ids = sorted(report_ids)
    for start in range(0, len(report_ids), FACT_BATCH):
        batch = report_ids[start : start + FACT_BATCH]
        with transaction.atomic():
            touched = factlib.refresh_facts(batch, cal)
            _mark_dirty(touched)
        if progress:
            progress(len(batch))
    return len(report_ids)


def aggregate_dirty():
    """Re-aggregate every dirty period, one chunk per transaction; return how many were done."""
    done = 0
    links = None
    for family in ("r", "d", "w"):
        for grain in Grain.values:
            while True:
                chunk = list(
                    DirtyPeriod.objects.filter(family=family, grain=grain)
                    .order_by("period")
                    .values_list("pk", "period")[:PERIOD_CHUNK]
                )
                if not chunk:
                    break
                periods = [p for _pk, p in chunk]
                # One transaction per cube, so that no write lock (SQLite) is held for long; the
                # periods are forgotten only once every cube has them, so a crash redoes them.
                if family == "w":
                    links = links or hub_map()
                    with transaction.atomic():
                        _aggregate_words(periods, links)
                else:
                    for spec in CUBES:
                        if spec.family == family:
                            with transaction.atomic():
                                if grain == Grain.DAY:
                                    _aggregate_days(spec, periods)
                                else:
                                    _aggregate_months(spec, periods)
                DirtyPeriod.objects.filter(pk__in=[pk for pk, _p in chunk]).delete()
                done += len(chunk)
    return done


def _state():
    state, _created = RollupState.objects.get_or_create(pk=1)
    return state


def build_unbuilt(state):
    """Fill the cubes a migration created on a database that already had facts (RollupState.unbuilt)
    from the stored facts, then let the read side use them. Run by the rollup task before its
    refresh, so the periods it re-aggregates next land in filled cubes."""
    pending = set(state.unbuilt or [])
    if not pending:
        return False
    with transaction.atomic():
        for spec in CUBES:
            if spec.model._meta.db_table in pending:
                _aggregate_days(spec)
                _aggregate_months(spec)
        if ScopeRegionWordCube._meta.db_table in pending:
            _recount_words()
        state.unbuilt = []
        state.save(update_fields=["unbuilt"])
    return True


def refresh(now=None):
    """Bring the facts and cubes up to date with everything the timeline recorded since last time."""
    now = now or timezone.now()
    result = RefreshResult()
    state = _state()
    build_unbuilt(state)
    signature = agency_signature()
    if signature != state.agency_signature:
        with transaction.atomic():
            if relink():
                reaggregate_scopes()
                result.relinked = True
            state.agency_signature = signature
            state.save(update_fields=["agency_signature"])
    high = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    touched = Q(pk__gt=state.last_event_id, pk__lte=high)
    if state.last_run_at:
        touched |= Q(created_at__gte=state.last_run_at - LAG)
    ids = set(Event.objects.filter(touched).values_list("report_id", flat=True).distinct())
    result.reports = refresh_facts_of(ids)
    result.periods = aggregate_dirty()
    # Words older than the longest look-back are never read again.
    for model in WORD_CUBES:
        model.objects.filter(day__lt=word_window_start(timezone.localdate(now))).delete()
    state.last_event_id = max(high, state.last_event_id)
    state.last_run_at = now
    state.save(update_fields=["last_event_id", "last_run_at"])
    return result


def rebuild(progress=None, now=None, facts=True):
    """Recompute every fact and every cube from the reports (manage.py rebuild_rollups).

    With facts=False only the cubes are rebuilt from the stored facts (after a change to the cube
    definitions or their indexes: much faster than recomputing a million facts)."""
    now = now or timezone.now()
    state = _state()
    high = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    relink()
    state.agency_signature = agency_signature()
    # Every fact is replaced, a batch of reports per transaction (facts of reports that no longer
    # exist, only possible after manual deletes, go too).
    count = factlib.rebuild_facts(WorkingCalendar.load(), progress=progress) if facts else 0
    with transaction.atomic():
        DirtyPeriod.objects.all().delete()
        for spec in CUBES:
            _aggregate_days(spec)
            _aggregate_months(spec)
        _recount_words(timezone.localdate(now))
    if facts:
        # Only a full rebuild may move the cursor: the cubes-only one did not look at the timeline.
        state.last_event_id = high
        state.last_run_at = now
    state.rebuilt_at = now
    state.unbuilt = []  # every cube of CUBES and both word cubes were just filled
    state.save()
    return count
