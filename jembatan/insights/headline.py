"""The first screen of the dashboards: which agencies are late now, what is rising, and how the
period compares with the one before, in words a leader reads in 30 seconds.

Built from the same cubes and the same statistic as the other pages (emerging.py for rises), and
every number links to the reports behind it. The statistics themselves (z, p) stay on the "Tren &
isu baru" page, behind "cara menghitung".
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.directory.models import Agency
from jembatan.insights import emerging
from jembatan.insights.dashboards import (
    OPEN_DISPOSITION,
    Cell,
    Links,
    NumberFormat,
    Table,
    category_names,
    label,
    region_names,
)
from jembatan.insights.models import NATIONAL, Grain, RollupState, SignalSnapshot
from jembatan.insights.queries import Catalog, Filters, Period, Scope, fetch

TOP_AGENCIES = 5
TOP_SIGNALS = 3
# An office with two open dispositions, both late, is "100% late" and says little: the ranking by
# share counts only offices holding at least this many open dispositions.
MIN_OPEN_FOR_SHARE = 5
SHARP_RATIO = 3  # "naik tajam" from three times the usual count, "naik" below
EVER = dt.date(2000, 1, 1)  # the backlog of "now" counts open dispositions of any age
EVER_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # "never refreshed": any stored series is fresh


@dataclass
class LateAgency:
    name: str
    short: str  # the short name where there is one ("Disdik Padang"): the first screen is narrow
    code: str
    overdue: int
    open: int
    url: str

    @property
    def share(self):
        return round(100 * self.overdue / self.open) if self.open else 0


def late_now(scopes, filters, catalog=None, today=None):
    """Open dispositions past their deadline today, in total and per agency holding them.

    The period of the filters does not apply (late is a fact of today, whenever the report came
    in); region and category do.
    """
    catalog = catalog or Catalog()
    today = today or timezone.localdate()
    rows = fetch(
        "disposition",
        scopes,
        filters,
        ["agency"],
        period=Period(EVER, today, Grain.MONTH),
        extra={"status": OPEN_DISPOSITION},
        catalog=catalog,
        measures=["dispositions", "response_overdue", "completion_overdue"],
    )
    per_agency = {}
    for row in rows:
        entry = per_agency.setdefault(row["agency"], [0, 0])
        entry[0] += (row["response_overdue"] or 0) + (row["completion_overdue"] or 0)
        entry[1] += row["dispositions"] or 0
    # Drill-down links without dates: "now" spans every disposal day.
    links = Links(filters)
    # Plain tuples: the whole instance's first screen names several hundred agencies.
    agencies = {
        pk: (name, short, code)
        for pk, name, short, code in Agency.objects.filter(pk__in=list(per_agency)).values_list(
            "pk", "name", "short_name", "code"
        )
    }
    entries = []
    for pk, (overdue, open_count) in per_agency.items():
        if pk not in agencies:
            continue
        name, short, code = agencies[pk]
        url = links(dari="", sampai="", fakta="disposisi", ukuran="overdue", instansi=code, langsung=1)
        entries.append(LateAgency(name, short or name, code, overdue, open_count, url))
    late = [e for e in entries if e.overdue]
    by_count = sorted(late, key=lambda e: (-e.overdue, -e.share, e.name))[:TOP_AGENCIES]
    by_share = sorted(
        (e for e in late if e.open >= MIN_OPEN_FOR_SHARE), key=lambda e: (-e.share, -e.overdue, e.name)
    )[:TOP_AGENCIES]
    total_overdue = sum(e.overdue for e in entries)
    total_open = sum(e.open for e in entries)
    table = Table(
        "terlambat",
        _("Terlambat sekarang menurut instansi"),
        [_("Instansi"), _("Terlambat"), _("Masih terbuka"), _("% terlambat")],
    )
    for e in sorted(late, key=lambda e: (-e.overdue, e.name)):
        table.rows.append(
            [
                label(e.name),
                Cell(e.overdue, e.url),
                Cell(
                    e.open,
                    links(dari="", sampai="", fakta="disposisi", ukuran="open", instansi=e.code, langsung=1),
                ),
                Cell(e.share),
            ]
        )
    return {
        "overdue": total_overdue,
        "open": total_open,
        "share": round(100 * total_overdue / total_open) if total_open else None,
        "url": links(dari="", sampai="", fakta="disposisi", ukuran="overdue"),
        "by_count": by_count,
        "by_share": by_share,
        "min_open": MIN_OPEN_FOR_SHARE,
        "table": table,
    }


@dataclass
class Signal:
    text: str
    url: str
    rise: emerging.Rise


def window_end(filters, today):
    """The rising window ends where the chosen period ends (today for the presets)."""
    return min(filters.period.end, today)


def usual(baseline):
    """A baseline mean as a reader says it: a whole number, or "hampir tidak ada" below one half."""
    if baseline < 0.5:
        return _("hampir tidak ada")
    return NumberFormat().format(round(baseline))


def signal_text(topic, place, rise, window_text):
    """One rise as a sentence: "Adminduk di Kota Padang naik tajam: 11 laporan minggu ini, biasanya 2"."""
    values = {
        "topic": topic,
        "place": place,
        "n": rise.count,
        "window": window_text,
        "usual": usual(rise.baseline),
    }
    sharp = rise.ratio >= SHARP_RATIO
    if topic and place:
        if sharp:
            return (
                _("%(topic)s di %(place)s naik tajam: %(n)d laporan %(window)s, biasanya %(usual)s") % values
            )
        return _("%(topic)s di %(place)s naik: %(n)d laporan %(window)s, biasanya %(usual)s") % values
    if place:
        if sharp:
            return (
                _("Laporan dari %(place)s naik tajam: %(n)d laporan %(window)s, biasanya %(usual)s") % values
            )
        return _("Laporan dari %(place)s naik: %(n)d laporan %(window)s, biasanya %(usual)s") % values
    if sharp:
        return _("%(topic)s naik tajam: %(n)d laporan %(window)s, biasanya %(usual)s") % values
    return _("%(topic)s naik: %(n)d laporan %(window)s, biasanya %(usual)s") % values


def window_text(window, end, today):
    if end == today:
        return _("minggu ini") if window == "minggu" else _("dalam 28 hari terakhir")
    day = end.strftime("%d-%m-%Y")
    if window == "minggu":
        return _("dalam 7 hari sampai %(day)s") % {"day": day}
    return _("dalam 28 hari sampai %(day)s") % {"day": day}


def rising_signals(scopes, filters, catalog=None, today=None, window="minggu", limit=TOP_SIGNALS):
    """The strongest rises of categories in a kabupaten/kota, of categories, and of places, as
    sentences, one per topic: a category's rise in one city is told once, as that city's."""
    catalog = catalog or Catalog()
    today = today or timezone.localdate()
    end = window_end(filters, today)
    bounds = emerging.window_bounds(end, window)
    k = len(bounds) - 1
    rows = _signal_rows(scopes, filters, catalog, window, bounds, today)
    pairs, by_category, by_region = {}, {}, {}
    for row in rows:
        counts = [row[f"reports__{i}"] or 0 for i in range(k + 1)]
        cat, region = row["category"], row["region"]
        for target, key in ((pairs, (cat, region)), (by_category, cat), (by_region, region)):
            into = target.setdefault(key, [0] * (k + 1))
            for i, n in enumerate(counts):
                into[i] += n
    # A place is a kabupaten/kota ("13.71"): a province-only code says no more than the scope does.
    pair_rises = [r for r in emerging.rising(pairs, k) if r.key[0] and "." in r.key[1]]
    covered_cats = {r.key[0] for r in pair_rises}
    covered_regions = {r.key[1] for r in pair_rises}
    candidates = [("pair", r) for r in pair_rises]
    candidates += [
        ("category", r) for r in emerging.rising(by_category, k) if r.key and r.key not in covered_cats
    ]
    candidates += [
        ("region", r)
        for r in emerging.rising(by_region, k)
        if "." in (r.key or "") and r.key not in covered_regions
    ]
    candidates.sort(key=lambda c: (c[1].p_value, -(c[1].count - c[1].expected), str(c[1].key)))
    chosen = candidates[:limit]
    cats = category_names(
        [r.key[0] if kind == "pair" else r.key for kind, r in chosen if kind in ("pair", "category")]
    )
    regions = region_names(
        [r.key[1] if kind == "pair" else r.key for kind, r in chosen if kind in ("pair", "region")]
    )
    links = Links(filters.with_period(Period(bounds[0][0], bounds[0][1])))
    when = window_text(window, end, today)
    result = []
    for kind, rise in chosen:
        if kind == "pair":
            cat, region = rise.key
            text = signal_text(cats.get(cat, ""), regions.get(region, region), rise, when)
            url = links(kategori=cat, wilayah=region)
        elif kind == "category":
            text = signal_text(cats.get(rise.key, ""), "", rise, when)
            url = links(kategori=rise.key)
        else:
            text = signal_text("", regions.get(rise.key, rise.key), rise, when)
            url = links(wilayah=rise.key)
        result.append(Signal(text, url, rise))
    return result


SIGNAL_KEYS = ["category", "category_group", "province", "region"]


def _signal_rows(scopes, filters, catalog, window, bounds, today):
    """[{category, region, reports__0, …}] of the windows: from a hub's stored series when the
    windows end today (the presets), else from the full report cube."""
    k = len(bounds) - 1
    span = Period(bounds[-1][0], bounds[0][1], Grain.DAY)
    rows, fresh_after = [], None
    for scope in scopes:
        if bounds[0][1] == today and catalog.is_hub(scope):
            if fresh_after is None:
                fresh_after = _last_change()
            wanted = {}
            if filters.region_column:
                wanted[SIGNAL_KEYS.index(filters.region_column)] = filters.region
            if filters.category_column:
                wanted[SIGNAL_KEYS.index(filters.category_column)] = filters.category.pk
            for entry in signal_snapshot(scope, window, today, fresh_after, catalog):
                if all(entry[i] == value for i, value in wanted.items()):
                    row = {"category": entry[0], "region": entry[3]}
                    row.update({f"reports__{i}": entry[4 + i] for i in range(k + 1)})
                    rows.append(row)
            continue
        rows += fetch(
            "report",
            [scope],
            filters,
            ["category", "region"],
            period=span,
            catalog=catalog,
            measures=["reports"],
            windows=bounds,
        )
    return rows


def _last_change():
    """When the cubes last changed (a refresh or a rebuild): a series computed before is stale."""
    state = RollupState.objects.values_list("last_run_at", "rebuilt_at").first() or (None, None)
    return max((t for t in state if t is not None), default=EVER_AT)


def signal_series(scope, window, today, catalog=None):
    """[[category, group, province, region, count per window…]] of a scope, unfiltered."""
    bounds = emerging.window_bounds(today, window)
    span = Period(bounds[-1][0], bounds[0][1], Grain.DAY)
    rows = fetch(
        "report",
        [scope],
        Filters(period=span),
        SIGNAL_KEYS,
        catalog=catalog or Catalog(),
        measures=["reports"],
        windows=bounds,
    )
    return [
        [*(row[key] for key in SIGNAL_KEYS), *(row[f"reports__{i}"] or 0 for i in range(len(bounds)))]
        for row in rows
    ]


def signal_snapshot(scope, window, today, fresh_after=None, catalog=None):
    """The stored series of a hub scope for today's windows (emerging.stored_series)."""
    return emerging.stored_series(
        SignalSnapshot,
        scope.key,
        window,
        today,
        lambda: signal_series(scope, window, today, catalog),
        fresh_after,
    )


def refresh_signal_snapshots(scope_keys, today=None):
    """Recompute the stored series of these hub scopes (the refresh task, after the rollups)."""
    today = today or timezone.localdate()
    catalog = Catalog()
    agencies = Agency.objects.in_bulk([key for key in scope_keys if key != NATIONAL])
    for key in scope_keys:
        if key != NATIONAL and key not in agencies:
            continue
        scope = Scope(agencies.get(key))
        for window in emerging.WINDOWS:
            SignalSnapshot.objects.filter(scope=key, window=window).delete()
            signal_snapshot(scope, window, today, catalog=catalog)


def comparison(kpis):
    """The overview's key figures against the previous period: [(sentence, url, key)], key one of
    "volume", "on_time", "satisfaction"."""
    numbers = NumberFormat()
    result = []
    reports = kpis.rows[0]
    now, before, change = reports[1].value, reports[2].value, reports[3].value
    if change is None:
        text = _("Laporan masuk: %(n)s (periode sebelumnya: %(before)s).")
    elif change > 0:
        text = _("Laporan masuk: %(n)s, naik %(change)s%% dari %(before)s pada periode sebelumnya.")
    elif change < 0:
        text = _("Laporan masuk: %(n)s, turun %(change)s%% dari %(before)s pada periode sebelumnya.")
    else:
        text = _("Laporan masuk: %(n)s, sama dengan periode sebelumnya.")
    values = {"n": numbers.format(now), "before": numbers.format(before or 0)}
    values["change"] = numbers.format(round(abs(change))) if change is not None else ""
    result.append((text % values, reports[1].url, "volume"))
    on_time = kpis.rows[2]
    if on_time[1].value is not None:
        values = {"pct": numbers.format(on_time[1].value)}
        delta = on_time[3].value
        if delta is None:
            text = _("Selesai sebelum batas waktu: %(pct)s%%.")
        elif delta > 0:
            text = _("Selesai sebelum batas waktu: %(pct)s%%, naik %(delta)s poin.")
        elif delta < 0:
            text = _("Selesai sebelum batas waktu: %(pct)s%%, turun %(delta)s poin.")
        else:
            text = _("Selesai sebelum batas waktu: %(pct)s%%, tidak berubah.")
        values["delta"] = numbers.format(round(abs(delta))) if delta is not None else ""
        result.append((text % values, on_time[1].url, "on_time"))
    rating = kpis.rows[3]
    if rating[1].value is not None:
        values = {"avg": numbers.format(float(rating[1].value))}
        delta = rating[3].value
        if delta is None or delta == 0:
            text = _("Kepuasan pelapor: %(avg)s dari 5.")
        elif delta > 0:
            text = _("Kepuasan pelapor: %(avg)s dari 5, naik %(delta)s.")
        else:
            text = _("Kepuasan pelapor: %(avg)s dari 5, turun %(delta)s.")
        values["delta"] = numbers.format(abs(float(delta))) if delta is not None else ""
        result.append((text % values, rating[1].url, "satisfaction"))
    return result
