"""What each dashboard shows, as tables (and the charts drawn from them), built from the cubes.

Views, the monthly report and the public statistics page all call these; each returns plain data
(Table objects), so a table on a page, in a CSV and in an XLSX is the same table. Every number
that can be traced to reports carries the URL of the drill-down list behind it.
"""

import datetime as dt
import functools
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import quote_plus, urlencode

from django.db import connections
from django.db.models import Avg, Count, FloatField, Q, Sum
from django.db.models.functions import Cast, Floor
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from jembatan.directory.models import Category, Region
from jembatan.insights import emerging, queries
from jembatan.insights.models import (
    OPEN_STATUSES,
    Grain,
    ReportFact,
    RollupState,
    ScopeRegionWordCube,
    ScopeWordCube,
    TopicSnapshot,
    WordSnapshot,
)
from jembatan.insights.queries import Catalog, Period, Scope, fetch, fetch_by_child, total
from jembatan.insights.svg import bar_chart, choropleth, has_kabkota_map, hotspots, line_chart
from jembatan.reports.models import ACTIVE_STATUSES, Channel, ReportType, Status
from jembatan.reports.sla import WorkingCalendar

BACKLOG_BUCKETS = [(0, 5), (6, 10), (11, 20), (21, None)]  # working days since disposal
OPEN_DISPOSITION = OPEN_STATUSES  # the partial index insights_dispcube_open holds exactly these
DISPOSITION_TOTALS = [
    "dispositions",
    "responded",
    "responded_on_time",
    "response_overdue",
    "completed",
    "completed_on_time",
    "completion_overdue",
    "returned",
]


# --- Tables ------------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object
    url: str = ""
    text: str | None = None
    numeric: bool = True
    band: str = ""  # "ok" | "warn" | "bad": an on-time share against the targets (on_time_band)

    def display(self, numbers=None):
        if self.text is not None:
            return self.text
        if self.value is None:
            return "–"
        if isinstance(self.value, int | float):
            return (numbers or NumberFormat()).format(self.value)
        return str(self.value)


class NumberFormat:
    """The current language's separators, looked up once per table (formats.number_format per cell
    costs more than the whole query behind a dashboard)."""

    def __init__(self):
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")

    def format(self, value):
        if isinstance(value, float):
            whole, _dot, fraction = f"{value:,.1f}".partition(".")
            return whole.replace(",", self.thousands) + self.decimal + fraction
        return f"{value:,}".replace(",", self.thousands)


def label(text):
    return Cell(text, numeric=False)


P_FLOOR = 0.001  # below this a p-value reads "< 0,001": more digits say nothing a reader can use


def format_p(p_value, numbers=None):
    """A p-value as readers know it: "< 0,001" or three decimals, in the current language."""
    decimal = (numbers or NumberFormat()).decimal
    if p_value < P_FLOOR:
        return "< 0" + decimal + "001"
    return f"{p_value:.3f}".replace(".", decimal)


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""
    sort_keys: list | None = None  # the ?urut= key of each column, when the table sorts by them
    sorted_by: tuple | None = None  # (key, descending)

    def export_rows(self):
        yield list(self.columns)
        for row in self.rows:
            yield [c.value if c.text is None or c.numeric else c.text for c in row]

    def html(self, *, links=True, downloads=True, query=""):
        """The table as HTML, built here rather than in a template loop: a league table has a
        thousand cells, and Django's template engine takes longer to render them than the cubes
        take to answer."""
        numbers = NumberFormat()
        # A wide table scrolls sideways on a phone: the scrolling box takes the keyboard focus (so
        # arrow keys scroll it) and is named by the table's caption.
        key = escape(self.key)
        out = [
            f'<div class="dash-table" id="tabel-{key}" tabindex="0" role="region" '
            f'aria-labelledby="tabel-{key}-judul">'
        ]
        out.append(f'<table><caption id="tabel-{key}-judul">{escape(self.title)}</caption>')
        out.append("<thead><tr>")
        bands = {
            "ok": ("✓", _("memenuhi target")),
            "warn": ("!", _("di bawah target")),
            "bad": ("✗", _("jauh di bawah target")),
        }
        for i, column in enumerate(self.columns):
            out.append(self._header(i, column, query if links else None))
        out.append("</tr></thead><tbody>")
        for row in self.rows:
            out.append("<tr>")
            for i, cell in enumerate(row):
                text = escape(cell.display(numbers))
                if links and cell.url and cell.value is not None:
                    text = f'<a href="{escape(cell.url)}">{text}</a>'
                if i == 0:
                    out.append(f'<th scope="row">{text}</th>')
                elif cell.band:
                    mark, words = bands[cell.band]
                    out.append(
                        f'<td class="num band-{cell.band}">{text} <span class="band" title="{escape(words)}">'
                        f'{mark}<span class="visually-hidden"> {escape(words)}</span></span></td>'
                    )
                else:
                    out.append(f"<td{' class=num' if cell.numeric else ''}>{text}</td>")
            out.append("</tr>")
        if not self.rows:
            empty = escape(_("Tidak ada data untuk pilihan ini."))
            out.append(f'<tr><td colspan="{len(self.columns)}">{empty}</td></tr>')
        out.append("</tbody></table>")
        if self.note:
            out.append(f'<p class="note">{escape(self.note)}</p>')
        prefix = f"?{escape(query)}&amp;" if query else "?"
        if not downloads:
            out.append("</div>")
            return mark_safe("".join(out))
        label = _("Unduh tabel")  # outside the f-string, where makemessages can find it
        out.append(
            f'<p class="downloads">{escape(label)}: '
            f'<a href="{prefix}unduh=csv&amp;tabel={escape(self.key)}">CSV</a> · '
            f'<a href="{prefix}unduh=xlsx&amp;tabel={escape(self.key)}">XLSX</a></p></div>'
        )
        return mark_safe("".join(out))

    def _header(self, i, column, query):
        """A column title; a link that sorts by the column when the table sorts (worst first on the
        first click, the other way on the second), with aria-sort on the sorted column."""
        cls = "" if i == 0 else " class=num"
        if not self.sort_keys or query is None:
            return f'<th scope="col"{cls}>{escape(column)}</th>'
        key = self.sort_keys[i]
        current, descending = self.sorted_by or (None, True)
        aria, arrow = "", ""
        if key == current:
            aria = f' aria-sort="{"descending" if descending else "ascending"}"'
            arrow = " ▼" if descending else " ▲"
            direction = "naik" if descending else "turun"
        else:
            direction = ""
        params = f"{query}&urut={key}" if query else f"urut={key}"
        if direction:
            params += f"&arah={direction}"
        return (
            f'<th scope="col"{cls}{aria}><a href="?{escape(params)}#tabel-{escape(self.key)}">'
            f"{escape(column)}{arrow}</a></th>"
        )


def _change(current, previous):
    if not previous:
        return None
    return round(100 * (current - previous) / previous, 1)


def _pct(part, whole):
    return round(100 * part / whole, 1) if whole else None


# --- Drill-down links --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _quoted(text):
    # The same few hundred values (agency codes, measure names, dates) are quoted thousands of
    # times a page: the first screen's late-agency table alone links two numbers per agency.
    return quote_plus(text)


class Links:
    """Builds the drill-down URL of a number from the dashboard's filters plus the number's own terms.

    Hundreds of numbers per page: the filters' part of the query string is encoded once, and a
    number's own terms are appended (QueryDict.dict() keeps the last value, so they override).
    """

    _path = None

    def __init__(self, filters, period=None):
        if Links._path is None:
            Links._path = reverse("insights:reports")
        period = period or filters.period
        base = {"dari": period.start.isoformat(), "sampai": period.end.isoformat()}
        if filters.region:
            base["wilayah"] = filters.region
        if filters.agency is not None:
            base["instansi"] = filters.agency.code
        if filters.category is not None:
            base["kategori"] = filters.category.pk
        self.prefix = self._path + "?" + urlencode(base)

    def __call__(self, **terms):
        extra = "&".join(f"{k}={_quoted(str(v))}" for k, v in terms.items() if v is not None)
        return f"{self.prefix}&{extra}" if extra else self.prefix

    def for_period(self, start, end, **terms):
        return self(dari=start.isoformat(), sampai=end.isoformat(), **terms)


# --- Names -------------------------------------------------------------------------------------------


def region_names(codes):
    codes = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def category_names(ids):
    return {c.pk: c.name for c in Category.objects.filter(pk__in={i for i in ids if i})}


CHANNELS = dict(Channel.choices)
KINDS = dict(ReportType.choices)
STATUSES = dict(Status.choices)


def _bucket_label(period, start, end):
    if period.grain == Grain.MONTH:
        return formats.date_format(start, "M Y")
    if start == end:
        return formats.date_format(start, "j M")
    return f"{formats.date_format(start, 'j M')}–{formats.date_format(end, 'j M')}"


def _buckets(period):
    """[(start, end)] display buckets: days, weeks (periods over 45 days) or months."""
    if period.grain == Grain.MONTH:
        return [(k, queries.month_end(k)) for k in period.keys()]
    step = 7 if period.days > 45 else 1
    result, day = [], period.start
    while day <= period.end:
        end = min(day + dt.timedelta(days=step - 1), period.end)
        result.append((day, end))
        day = end + dt.timedelta(days=1)
    return result


def _bucket_map(period, buckets):
    """{cube period key: index of its display bucket}."""
    result = {}
    for key in period.keys():
        for i, (start, end) in enumerate(buckets):
            if start <= key <= end:
                result[key] = i
                break
    return result


# --- Overview (volume) -------------------------------------------------------------------------------


def overview(scopes, filters, catalog=None):
    """Volume against the previous period: KPIs, the line over time, by channel, type, status, category."""
    catalog = catalog or Catalog()
    period, previous = filters.period, filters.period.previous
    links = Links(filters)
    prev_links = Links(filters, previous)
    cover = period.covering(previous)
    windows = [(period.first_key, period.last_key), (previous.first_key, previous.last_key)]
    # Several narrow queries rather than one wide one: one row per period for the line and the
    # KPIs, then one row per channel (type, status) with both periods side by side. Turning rows
    # into Python objects is what costs, and these return a few hundred at most.
    measures = ["reports", "answered", "answered_on_time", "rated", "rating_sum"]
    rows = fetch("report", scopes, filters, ["period"], period=cover, catalog=catalog, measures=measures)
    verification = ["verified", "verified_on_time", "verify_overdue"]
    both = fetch(
        "verifier", scopes, filters, period=cover, catalog=catalog, measures=verification, windows=windows
    )
    verifier = [[{m: sum(r.get(f"{m}__{i}") or 0 for r in both) for m in verification}] for i in (0, 1)]
    # Channel, type and status in one pass (a few hundred rows), both periods side by side.
    combined = fetch(
        "report",
        scopes,
        filters,
        ["channel", "kind", "status"],
        period=cover,
        catalog=catalog,
        measures=["reports"],
        windows=windows,
    )
    splits = {column: _split(combined, column) for column in ("channel", "kind", "status")}
    kpis = _overview_kpis(filters, rows, verifier, splits["status"][0], links, prev_links)
    time_table, chart = _over_time(period, previous, rows, links)
    by_channel = _breakdown(
        "kanal", _("Menurut kanal"), splits["channel"], CHANNELS, "kanal", links, prev_links
    )
    by_kind = _breakdown(
        "jenis", _("Menurut jenis laporan"), splits["kind"], KINDS, "jenis", links, prev_links
    )
    by_status = _breakdown(
        "status", _("Menurut status saat ini"), splits["status"], STATUSES, "status", links, prev_links
    )
    by_category = categories_table(scopes, filters, catalog, links)
    return {
        "kpis": kpis,
        "chart": chart,
        "time": time_table,
        "channel": by_channel,
        "channel_chart": bar_chart(
            [(r[0].display(), r[1].value, r[2].value) for r in by_channel.rows], title=_("Menurut kanal")
        ),
        "kind": by_kind,
        "kind_chart": bar_chart(
            [(r[0].display(), r[1].value, r[2].value) for r in by_kind.rows], title=_("Menurut jenis laporan")
        ),
        "status": by_status,
        "category": by_category,
        "tables": [kpis, time_table, by_channel, by_kind, by_status, by_category],
    }


def _split(combined, column):
    """({value: reports this period}, {value: reports the previous period}) for one column."""
    now_counts, prev_counts = {}, {}
    for row in combined:
        now_counts[row[column]] = now_counts.get(row[column], 0) + (row["reports__0"] or 0)
        prev_counts[row[column]] = prev_counts.get(row[column], 0) + (row["reports__1"] or 0)
    return now_counts, prev_counts


def _overview_kpis(filters, rows, verifier, status_now, links, prev_links):
    """The overview's first table: received, verified on time, answered on time, rating, still open."""
    period, previous = filters.period, filters.period.previous
    now_rows = [r for r in rows if period.first_key <= r["period"] <= period.last_key]
    prev_rows = [r for r in rows if previous.first_key <= r["period"] <= previous.last_key]
    n_now, n_prev = total(now_rows, "reports"), total(prev_rows, "reports")
    kpis = Table(
        "ringkasan",
        _("Ringkasan"),
        [_("Ukuran"), _("Periode ini"), _("Periode sebelumnya"), _("Perubahan (%)")],
    )
    kpis.rows.append(
        [
            label(_("Laporan masuk")),
            Cell(n_now, links()),
            Cell(n_prev, prev_links()),
            Cell(_change(n_now, n_prev)),
        ]
    )

    def ratio_row(text, rows_now, rows_prev, part, whole_parts, fact, measure):
        whole_now = sum(total(rows_now, w) for w in whole_parts)
        whole_prev = sum(total(rows_prev, w) for w in whole_parts)
        pct_now = _pct(total(rows_now, part), whole_now)
        pct_prev = _pct(total(rows_prev, part), whole_prev)
        return [
            label(text),
            Cell(pct_now, links(fakta=fact, ukuran=measure)),
            Cell(pct_prev, prev_links(fakta=fact, ukuran=measure)),
            Cell(round(pct_now - pct_prev, 1) if pct_now is not None and pct_prev is not None else None),
        ]

    kpis.rows.append(
        ratio_row(
            _("% diverifikasi ≤ 3 hari kerja"),
            *verifier,
            "verified_on_time",
            ["verified", "verify_overdue"],
            "verifikasi",
            "verified_late",
        )
    )
    kpis.rows.append(
        ratio_row(
            _("% selesai sebelum batas waktu"),
            now_rows,
            prev_rows,
            "answered_on_time",
            ["answered"],
            "laporan",
            "answered_late",
        )
    )
    rated_now, rated_prev = total(now_rows, "rated"), total(prev_rows, "rated")
    avg_now = round(total(now_rows, "rating_sum") / rated_now, 2) if rated_now else None
    avg_prev = round(total(prev_rows, "rating_sum") / rated_prev, 2) if rated_prev else None
    kpis.rows.append(
        [
            label(_("Rata-rata kepuasan (1–5)")),
            Cell(avg_now, links(ukuran="rated")),
            Cell(avg_prev, prev_links(ukuran="rated")),
            Cell(round(avg_now - avg_prev, 2) if avg_now is not None and avg_prev is not None else None),
        ]
    )
    open_now = sum(n for status, n in status_now.items() if status in ACTIVE_STATUSES)
    kpis.rows.append(
        [
            label(_("Masih terbuka (dari laporan periode ini)")),
            Cell(open_now, links(status="terbuka")),
            Cell(None),
            Cell(None),
        ]
    )
    return kpis


def _over_time(period, previous, rows, links):
    """This period's buckets against the same buckets of the previous period: (table, line chart)."""
    buckets, prev_buckets = _buckets(period), _buckets(previous)
    series, prev_series = [0] * len(buckets), [0] * len(prev_buckets)
    where, prev_where = _bucket_map(period, buckets), _bucket_map(previous, prev_buckets)
    for row in rows:
        i = where.get(row["period"])
        if i is not None:
            series[i] += row["reports"]
        j = prev_where.get(row["period"])
        if j is not None:
            prev_series[j] += row["reports"]
    time_table = Table(
        "waktu",
        _("Laporan masuk menurut waktu"),
        [_("Periode ini"), _("Jumlah"), _("Periode sebelumnya"), _("Jumlah sebelumnya")],
    )
    labels = []
    for i, (start, end) in enumerate(buckets):
        text = _bucket_label(period, start, end)
        labels.append(text)
        row = [label(text), Cell(series[i], links.for_period(start, end))]
        if i < len(prev_buckets):
            pstart, pend = prev_buckets[i]
            row += [
                label(_bucket_label(previous, pstart, pend)),
                Cell(prev_series[i], links.for_period(pstart, pend)),
            ]
        else:
            row += [label(""), Cell(None)]
        time_table.rows.append(row)
    chart = line_chart(
        labels,
        series,
        prev_series[: len(series)],
        title=_("Laporan masuk menurut waktu"),
        current_label=_("Periode ini"),
        previous_label=_("Periode sebelumnya"),
    )
    return time_table, chart


def _breakdown(key, title, counts, names, param, links, prev_links):
    """One value a row (channel, type or status), this period against the previous one."""
    now_counts, prev_counts = counts
    table = Table(key, title, [_("Nilai"), _("Periode ini"), _("Periode sebelumnya"), _("Perubahan (%)")])
    order = sorted(set(now_counts) | set(prev_counts), key=lambda k: (-now_counts.get(k, 0), str(k)))
    for value in order:
        a, b = now_counts.get(value, 0), prev_counts.get(value, 0)
        table.rows.append(
            [
                label(str(names.get(value, value))),
                Cell(a, links(**{param: value})),
                Cell(b, prev_links(**{param: value})),
                Cell(_change(a, b)),
            ]
        )
    return table


def categories_table(scopes, filters, catalog, links, limit=15):
    period, previous = filters.period, filters.period.previous
    windows = [(period.first_key, period.last_key), (previous.first_key, previous.last_key)]
    both = fetch(
        "topic",
        scopes,
        filters,
        ["category"],
        period=period.covering(previous),
        catalog=catalog,
        measures=["reports"],
        windows=windows,
    )
    now = [{"category": r["category"], "reports": r["reports__0"] or 0} for r in both if r["reports__0"]]
    prev = {r["category"]: r["reports__1"] or 0 for r in both}
    prev_links = Links(filters, previous)
    names = category_names([r["category"] for r in now])
    table = Table(
        "kategori",
        _("Kategori terbanyak"),
        [_("Kategori"), _("Periode ini"), _("Periode sebelumnya"), _("Perubahan (%)")],
    )
    for row in sorted(now, key=lambda r: -r["reports"])[:limit]:
        cat = row["category"]
        table.rows.append(
            [
                label(names.get(cat, _("Tanpa kategori"))),
                Cell(row["reports"], links(kategori=cat or "0")),
                Cell(prev.get(cat, 0), prev_links(kategori=cat or "0")),
                Cell(_change(row["reports"], prev.get(cat, 0))),
            ]
        )
    return table


# --- Map ---------------------------------------------------------------------------------------------


def places(scopes, filters, catalog=None, drill=True):
    """Where complaints come from: the province choropleth and the table by kabupaten/kota."""
    catalog = catalog or Catalog()
    links = Links(filters)
    rows = fetch("place", scopes, filters, ["province", "region"], catalog=catalog)
    prev = {
        r["region"]: r["reports"]
        for r in fetch("place", scopes, filters, ["region"], period=filters.period.previous, catalog=catalog)
    }
    by_province = {}
    for row in rows:
        by_province[row["province"]] = by_province.get(row["province"], 0) + row["reports"]
    names = region_names([r["region"] for r in rows] + list(by_province))
    province_table = Table(
        "provinsi", _("Menurut provinsi"), [_("Kode"), _("Provinsi"), pgettext("jamak", "Laporan")]
    )
    for code, n in sorted(by_province.items(), key=lambda kv: (-kv[1], kv[0])):
        province_table.rows.append(
            [
                label(code or "–"),
                label(names.get(code, _("Tidak diketahui") if not code else code)),
                Cell(n, links(wilayah=code or "-")),
            ]
        )
    region_table = Table(
        "kabkota",
        _("Menurut kabupaten/kota"),
        [
            _("Kode"),
            _("Kabupaten/kota"),
            _("Provinsi"),
            pgettext("jamak", "Laporan"),
            _("Periode sebelumnya"),
            _("Perubahan (%)"),
        ],
    )
    for row in sorted(rows, key=lambda r: (-r["reports"], r["region"])):
        code = row["region"]
        is_city = "." in code
        region_table.rows.append(
            [
                label(code or "–"),
                label(names.get(code, code) if is_city else _("(tanpa kabupaten/kota)")),
                label(names.get(row["province"], row["province"] or _("Tidak diketahui"))),
                Cell(row["reports"], links(wilayah=code or "-")),
                Cell(prev.get(code, 0)),
                Cell(_change(row["reports"], prev.get(code, 0))),
            ]
        )
    province = map_province(scopes, filters, by_province)
    svg = _places_map(filters, province, rows, by_province, names, links, drill)
    # Hotspots read the facts, not the cubes: for periods the day cubes cover (up to 92 days), where
    # a province's points cost a few milliseconds; a year of them would cost the page its budget.
    spots, spots_skipped = None, False
    if drill and province and has_kabkota_map(province):
        if filters.period.grain == Grain.DAY:
            spots = hotspot_map(scopes, filters, catalog, province, links)
        else:
            spots_skipped = True
    return {
        "map": svg,
        "hotspots": spots,
        "hotspots_skipped": spots_skipped,
        "province": province,
        "provinces": province_table,
        "regions": region_table,
        "tables": [province_table, region_table],
    }


def _places_map(filters, province, rows, by_province, names, links, drill):
    """The choropleth: the province's kabupaten/kota when it has such a map, else the provinces."""
    if province and has_kabkota_map(province):
        # A province's map is a map of its kabupaten/kota; a click lists that kab/kota's reports.
        by_region = {}
        for row in rows:
            if row["province"] == province and "." in row["region"]:
                by_region[row["region"]] = by_region.get(row["region"], 0) + row["reports"]
        name = names.get(province) or region_names([province]).get(province, province)
        svg = choropleth(
            by_region,
            title=_("Peta laporan menurut kabupaten/kota di %(province)s") % {"province": name},
            link=(lambda code: links(wilayah=code)) if drill else None,
            province=province,
            selected=filters.region if "." in filters.region else None,
        )
    else:
        # The whole country: a click on a province opens that province's own map.
        map_path = reverse("insights:map") + "?" + urlencode(_filter_params(filters))
        svg = choropleth(
            {k: v for k, v in by_province.items() if k},
            title=_("Peta laporan menurut provinsi"),
            link=(lambda code: f"{map_path}&wilayah={code}") if drill else None,
        )
    return svg


HOTSPOT_CELL = 0.05  # degrees, about 5.5 km: a cluster is the reports in one such square


def hotspot_cells(scopes, filters, catalog, province):
    """[(lat_min, lon_min, count, mean lat, mean lon)] of the reports with coordinates in the
    province, the period and the filters, by HOTSPOT_CELL squares.

    Coordinates are not in the cubes: read from the facts, which carry them with the scope, the
    period and the filters (the report is not looked up).
    """
    facts = ReportFact.objects.filter(
        day__gte=filters.period.start, day__lte=filters.period.end, province=province
    ).filter(latitude__isnull=False, longitude__isnull=False)
    if filters.region:
        facts = facts.filter(**{filters.region_column: filters.region})
    if filters.category is not None:
        facts = facts.filter(**{filters.category_column: filters.category.pk})
    if not any(scope.is_national for scope in scopes):
        ids = set()
        for scope in scopes:
            ids.update(catalog.subtree_ids(scope.agency) if catalog.is_hub(scope) else [scope.agency.pk])
        facts = facts.filter(agency__in=sorted(ids))
    # Counted per cell by the database: a year of a province is tens of thousands of points, and
    # turning each into Python (two Decimals) cost more than the rest of the page.
    lat = Cast("latitude", FloatField())
    lon = Cast("longitude", FloatField())
    rows = (
        facts.annotate(ci=Floor(lat / HOTSPOT_CELL), cj=Floor(lon / HOTSPOT_CELL))
        .values("ci", "cj")
        .annotate(n=Count("pk"), mean_lat=Avg(lat), mean_lon=Avg(lon))
        .order_by()
    )
    return [
        (
            round(row["ci"] * HOTSPOT_CELL, 4),
            round(row["cj"] * HOTSPOT_CELL, 4),
            row["n"],
            row["mean_lat"],
            row["mean_lon"],
        )
        for row in rows
    ]


def hotspot_map(scopes, filters, catalog, province, links):
    cells = hotspot_cells(scopes, filters, catalog, province)

    def link(lat_min, lon_min):
        return links(
            lintang=f"{lat_min}:{round(lat_min + HOTSPOT_CELL, 4)}",
            bujur=f"{lon_min}:{round(lon_min + HOTSPOT_CELL, 4)}",
        )

    return hotspots(cells, province=province, title=_("Titik panas laporan"), link=link)


def map_province(scopes, filters, by_province):
    """The province whose kabupaten/kota the map shows, or "" for the map of the provinces.

    The chosen region's province; else, for viewers below the national level, the one province
    all the shown reports come from (a governor's office sees its own province). A national viewer
    keeps the provinces until they pick one.
    """
    if filters.region:
        return filters.region.split(".")[0]
    if any(scope.is_national for scope in scopes):
        return ""
    provinces = {code for code, n in by_province.items() if code and n}
    if len(provinces) == 1:
        return provinces.pop()
    regions = {s.agency.region_id.split(".")[0] for s in scopes if s.agency and s.agency.region_id}
    return regions.pop() if len(regions) == 1 and not provinces else ""


# --- SLA league table --------------------------------------------------------------------------------


def _median_from_histogram(rows):
    """The median of working days from {wd, completed} rows (statistics.median, without expanding)."""
    counts = {}
    for row in rows:
        if row["wd"] >= 0 and row["completed"]:
            counts[row["wd"]] = counts.get(row["wd"], 0) + row["completed"]
    n = sum(counts.values())
    if not n:
        return None

    def nth(k):  # the k-th smallest value, from 0
        seen = 0
        for value in sorted(counts):
            seen += counts[value]
            if seen > k:
                return value
        raise IndexError(k)

    # Always a float, so every row of a column shows one decimal ("3,0" next to "3,5").
    if n % 2:
        return float(nth(n // 2))
    return (nth(n // 2 - 1) + nth(n // 2)) / 2


def _age_buckets(today, cal):
    """[(label, oldest day, newest day)] of disposal days aged 0–5, 6–10, 11–20, > 20 working days.

    A disposition's age is the number of working days after its day up to today (sla.py's rule).
    """
    ranges = {}
    day, age = today, 0
    last = len(BACKLOG_BUCKETS) - 1
    while True:
        index = next(i for i, (low, high) in enumerate(BACKLOG_BUCKETS) if high is None or age <= high)
        if index == last:
            ranges[last] = (dt.date(2000, 1, 1), day)
            break
        newest = ranges.get(index, (None, day))[1]
        ranges[index] = (day, newest)
        if cal.is_working_day(day):
            age += 1
        day -= dt.timedelta(days=1)
    result = []
    for i, (low, high) in enumerate(BACKLOG_BUCKETS):
        text = (
            _("> %(n)d hari kerja") % {"n": low - 1}
            if high is None
            else _("%(a)d–%(b)d hari kerja") % {"a": low, "b": high}
        )
        oldest, newest = ranges[i]
        result.append((text, oldest, newest))
    return result


# On-time shares against the instance's targets. PermenPANRB 62/2018 sets the deadlines (3, 5 and
# up to 60 working days), not a share to reach; 90% on time is the target the province's SP4N
# reviews use, and below 75% an agency is called out. The bands are shown as a symbol and a word
# as well as a colour, so they read in print and for colour-blind readers.
ON_TIME_TARGET = 90
ON_TIME_FLOOR = 75


def on_time_band(pct):
    """ "ok" at or above the target, "warn" between the floor and the target, "bad" below the floor."""
    if pct is None:
        return ""
    if pct >= ON_TIME_TARGET:
        return "ok"
    return "warn" if pct >= ON_TIME_FLOOR else "bad"


# League columns: (key in ?urut=, worst first when sorted descending?). The default order is the
# stated rule "worst first": most dispositions late now, then the lowest share completed on time.
LEAGUE_SORTS = {
    "instansi": False,
    "terlambat": True,
    "tren": False,
    "tunggakan-0": True,
    "tunggakan-1": True,
    "tunggakan-2": True,
    "tunggakan-3": True,
    "selesai": False,
    "respons": False,
    "verifikasi": False,
    "laporan": True,
    "disposisi": True,
    "median": True,
    "kembali": True,
    "kepuasan": False,
}
DEFAULT_SORT = "terlambat"


def league(viewer_scopes, filters, catalog=None, today=None, sort=None, descending=None):
    """One table per scope root: a row per child agency (and the root's own reports), worst first.

    `sort` is a key of LEAGUE_SORTS (default: late now, then the share completed on time);
    `descending` overrides the column's own worst-first direction.
    """
    catalog = catalog or Catalog()
    today = today or timezone.localdate()
    cal = WorkingCalendar.load()
    buckets = _age_buckets(today, cal)
    sort = sort if sort in LEAGUE_SORTS else DEFAULT_SORT
    if descending is None:
        descending = LEAGUE_SORTS[sort]
    roots = [Scope(filters.agency)] if filters.agency is not None else viewer_scopes
    tables = []
    for root in roots:
        tables.append(_league_table(root, filters, catalog, buckets, today, sort, descending))
    return {
        "tables": tables,
        "buckets": buckets,
        "sort": sort,
        "descending": descending,
        "target": ON_TIME_TARGET,
        "floor": ON_TIME_FLOOR,
    }


def _sort_value(cell, descending):
    """Sort key of a cell: empty cells last in either direction."""
    value = cell.value
    if value is None:
        return (1, 0)
    if isinstance(value, str):
        return (0, value.lower())
    return (0, -value if descending else value)


def _league_table(root, filters, catalog, buckets, today, sort, descending):
    """The league of one scope root: a row per child agency and one for the root's own reports."""
    links = Links(filters)
    league_path = reverse("insights:league") + "?" + urlencode(_filter_params(filters)) + "&instansi="
    children, facts = _league_facts(root, filters, catalog, buckets, today)
    root_name = root.agency.name if root.agency else _("Seluruh instansi")
    table = Table(
        f"kinerja-{root.key}",
        _("Kinerja instansi di bawah %(name)s") % {"name": root_name},
        _league_columns(buckets),
    )
    table.sort_keys = list(LEAGUE_SORTS)
    entries = [(c, c.pk) for c in children] + [(root.agency, "self")]
    for agency, key in entries:
        found = SimpleNamespace(**{name: by_key.get(key, []) for name, by_key in facts.items()})
        if not any((found.verif, found.reports, found.disp, found.backlog, found.late)):
            continue
        table.rows.append(_league_row(agency, key, found, buckets, links, league_path))
    index = list(LEAGUE_SORTS).index(sort)
    completed_index = list(LEAGUE_SORTS).index("selesai")
    table.rows.sort(
        key=lambda row: (
            _sort_value(row[index], descending),
            _sort_value(row[completed_index], False),
            row[0].value.lower(),
        )
    )
    table.sorted_by = (sort, descending)
    table.note = _(
        "hk: hari kerja. "
        "Urutan: yang paling banyak terlambat sekarang di atas, lalu yang paling rendah persentase "
        "selesai tepat waktunya (klik judul kolom untuk mengurutkan menurut kolom itu). "
        "Terlambat sekarang: disposisi yang masih terbuka dan sudah lewat batas waktu, berapa pun "
        "umurnya. Tren: perubahan persentase selesai tepat waktu dibanding periode sebelumnya, dalam "
        "poin. "
        "Laporan: yang ditangani instansi ini (disposisi utama, atau verifikasi bila belum didisposisikan); "
        "verifikasi: laporan yang diverifikasinya; disposisi: yang didisposisikan kepadanya pada periode "
        "ini. "
        "Persentase tepat waktu dihitung dari yang sudah selesai ditambah yang masih terbuka dan sudah "
        "melewati batas. Tunggakan: disposisi yang masih terbuka hari ini, menurut umurnya (hari kerja)."
    )
    return table


def _league_facts(root, filters, catalog, buckets, today):
    """(children of the root, {fact: {child pk or "self": rows}}): the cubes the league reads."""
    children, verif = fetch_by_child(
        "verifier",
        root,
        filters,
        catalog=catalog,
        measures=["verified", "verified_on_time", "verify_overdue"],
    )
    _children, reports = fetch_by_child(
        "report", root, filters, catalog=catalog, measures=["reports", "rated", "rating_sum"]
    )
    _children, disp = fetch_by_child(
        "disposition", root, filters, catalog=catalog, measures=DISPOSITION_TOTALS
    )
    # The trend: the share completed on time in the period before.
    _children, disp_before = fetch_by_child(
        "disposition",
        root,
        filters,
        period=filters.period.previous,
        catalog=catalog,
        measures=["completed_on_time", "completed", "completion_overdue"],
    )
    # The median needs the distribution: completed dispositions per number of working days.
    _children, hist = fetch_by_child(
        "disposition", root, filters, ["wd"], extra={"wd__gte": 0}, catalog=catalog, measures=["completed"]
    )
    # Backlog as of today: open dispositions per age bucket, summed per bucket by the database.
    _children, backlog = fetch_by_child(
        "disposition",
        root,
        filters,
        period=Period(buckets[-1][1], buckets[0][2], Grain.DAY),
        extra={"status": OPEN_DISPOSITION},
        catalog=catalog,
        measures=["dispositions"],
        windows=[(oldest, newest) for _text, oldest, newest in buckets],
    )
    # Late now: open dispositions past their deadline, whatever the day they were disposed.
    _children, late = fetch_by_child(
        "disposition",
        root,
        filters,
        period=Period(dt.date(2000, 1, 1), today, Grain.MONTH),
        extra={"status": OPEN_DISPOSITION},
        catalog=catalog,
        measures=["response_overdue", "completion_overdue"],
    )
    facts = {
        "verif": verif,
        "reports": reports,
        "disp": disp,
        "before": disp_before,
        "hist": hist,
        "backlog": backlog,
        "late": late,
    }
    return children, facts


def _league_columns(buckets):
    # Short titles: the name, the late count, the trend and the four backlog ages must fit a
    # 1280 px screen with the on-time shares beside them (the note below the table spells them out).
    return [
        _("Instansi"),
        _("Terlambat sekarang"),
        _("Tren tepat waktu (poin)"),
        *[_("Tunggakan %(age)s") % {"age": text} for text, _a, _b in buckets],
        # xgettext:no-python-format
        _("% selesai tepat waktu"),
        _("% tindak lanjut pertama ≤ 5 hk"),
        _("% verifikasi ≤ 3 hk"),
        pgettext("jamak", "Laporan"),
        _("Disposisi"),
        _("Median hk sampai selesai"),
        _("% dikembalikan (bukan wewenang)"),
        _("Rata-rata kepuasan"),
    ]


def _league_row(agency, key, found, buckets, links, league_path):
    """One agency's row (key "self": the root's own reports), each number linked to its reports."""
    v, r, d, b = found.verif, found.reports, found.disp, found.backlog
    if key == "self":
        name = (_("%(name)s (langsung)") % {"name": agency.name}) if agency else _("(tanpa instansi)")
        code = agency.code if agency else None
        own = {"instansi": code, "langsung": 1} if code else {"langsung": 1}
    else:
        name, code, own = agency.name, agency.code, {"instansi": agency.code}
    verified_whole = total(v, "verified") + total(v, "verify_overdue")
    responded_whole = total(d, "responded") + total(d, "response_overdue")
    completed_whole = total(d, "completed") + total(d, "completion_overdue")
    rated = total(r, "rated")
    completed_pct = _pct(total(d, "completed_on_time"), completed_whole)
    before_pct = _pct(
        total(found.before, "completed_on_time"),
        total(found.before, "completed") + total(found.before, "completion_overdue"),
    )
    trend = (
        round(completed_pct - before_pct, 1) if completed_pct is not None and before_pct is not None else None
    )
    responded_pct = _pct(total(d, "responded_on_time"), responded_whole)
    verified_pct = _pct(total(v, "verified_on_time"), verified_whole)
    row = [
        Cell(name, league_path + code if code and key != "self" else "", numeric=False),
        Cell(
            total(found.late, "response_overdue") + total(found.late, "completion_overdue"),
            links(fakta="disposisi", ukuran="overdue", dari="", sampai="", **own),
        ),
        Cell(trend, text=_trend_text(trend)),
    ]
    for i, (_text, oldest, newest) in enumerate(buckets):
        n = total(b, f"dispositions__{i}")
        row.append(
            Cell(
                n,
                links(
                    fakta="disposisi",
                    ukuran="open",
                    dari=oldest.isoformat(),
                    sampai=newest.isoformat(),
                    **own,
                ),
            )
        )
    row += [
        Cell(
            completed_pct,
            links(fakta="disposisi", ukuran="completed_late", **own),
            band=on_time_band(completed_pct),
        ),
        Cell(
            responded_pct,
            links(fakta="disposisi", ukuran="responded_late", **own),
            band=on_time_band(responded_pct),
        ),
        Cell(
            verified_pct,
            links(fakta="verifikasi", ukuran="verified_late", **own),
            band=on_time_band(verified_pct),
        ),
        Cell(total(r, "reports"), links(**own)),
        Cell(total(d, "dispositions"), links(fakta="disposisi", **own)),
        Cell(_median_from_histogram(found.hist), links(fakta="disposisi", ukuran="completed", **own)),
        Cell(
            _pct(total(d, "returned"), total(d, "dispositions")),
            links(fakta="disposisi", ukuran="returned", **own),
        ),
        Cell(round(total(r, "rating_sum") / rated, 2) if rated else None, links(ukuran="rated", **own)),
    ]
    return row


def _trend_text(points):
    if points is None:
        return "–"
    numbers = NumberFormat()
    if points > 0:
        return "▲ " + numbers.format(abs(points))
    if points < 0:
        return "▼ " + numbers.format(abs(points))
    return "= 0"


def _filter_params(filters):
    params = {"dari": filters.period.start.isoformat(), "sampai": filters.period.end.isoformat()}
    if filters.region:
        params["wilayah"] = filters.region
    if filters.category is not None:
        params["kategori"] = filters.category.pk
    return params


# --- Emerging issues ---------------------------------------------------------------------------------


def trends(scopes, filters, window="minggu", catalog=None, today=None):
    """Rising categories, regions and words (emerging.py's statistic), and topic clusters."""
    catalog = catalog or Catalog()
    today = today or timezone.localdate()
    # The window ends where the chosen period ends (today for the presets "7 hari terakhir" etc.,
    # the month's last day for "Bulan lalu"): the Periode filter applies here too.
    bounds = emerging.window_bounds(min(filters.period.end, today), window)
    k = len(bounds) - 1
    span = Period(bounds[-1][0], bounds[0][1], Grain.DAY)
    window_links = Links(filters.with_period(Period(bounds[0][0], bounds[0][1])))

    def series(kind, column):
        # One row per category (region), with its count in each window summed by the database.
        rows = fetch(
            kind,
            scopes,
            filters,
            [column],
            period=span,
            catalog=catalog,
            measures=["reports"],
            windows=bounds,
        )
        return {row[column]: [row[f"reports__{i}"] or 0 for i in range(k + 1)] for row in rows}

    cat_rises = emerging.rising(series("topic", "category"), k)
    reg_rises = [
        emerging.Rise(r.key or "-", r.count, r.baseline, r.expected, r.p_value, r.flagged)
        for r in emerging.rising(series("place", "region"), k)
    ]
    cat_names = category_names([r.key for r in cat_rises])
    reg_names = region_names([r.key for r in reg_rises])
    columns = [_("Topik"), _("Jumlah sekarang"), _("Rata-rata dasar"), _("Rasio"), _("z"), _("p")]

    numbers = NumberFormat()

    def rise_table(key, title, rises, name_of, param):
        table = Table(key, title, columns)
        for rise in rises:
            table.rows.append(
                [
                    label(name_of(rise.key)),
                    Cell(rise.count, window_links(**({param: rise.key} if param else {}))),
                    Cell(round(rise.baseline, 2)),
                    Cell(round(rise.ratio, 2)),
                    Cell(round(rise.z, 2)),
                    Cell(rise.p_value, text=format_p(rise.p_value, numbers)),
                ]
            )
        return table

    categories = rise_table(
        "naik-kategori",
        _("Kategori yang naik"),
        cat_rises,
        lambda c: cat_names.get(c, _("Tanpa kategori")),
        "kategori",
    )
    regions = rise_table(
        "naik-wilayah",
        _("Wilayah yang naik"),
        reg_rises,
        lambda c: reg_names.get(c, _("Tidak diketahui") if c == "-" else c),
        "wilayah",
    )
    word_rises = emerging.rising(_word_series(scopes, filters, window, bounds, catalog), k)
    words = rise_table("naik-kata", _("Kata yang naik (judul laporan)"), word_rises, lambda w: w, None)
    for row, rise in zip(words.rows, word_rises, strict=True):
        row[1].url = window_links(kata=rise.key)
    return {
        "window": window,
        "bounds": bounds,
        "categories": categories,
        "regions": regions,
        "words": words,
        "tables": [categories, regions, words],
    }


def hub_word_series(scope_key, bounds, region=None, minimum=emerging.MIN_COUNT):
    """{word: [count per window]} of a hub scope from the word cube, or from the kabupaten/kota
    word cube with `region` (words that reach `minimum` in the current window only: by default
    no other word can be flagged)."""
    start, end = bounds[-1][0], bounds[0][1]
    sums = {f"w{i}": Sum("reports", filter=Q(day__gte=s, day__lte=e)) for i, (s, e) in enumerate(bounds)}
    if region is None:
        rows = ScopeWordCube.objects.filter(scope=scope_key)
    else:
        rows = ScopeRegionWordCube.objects.filter(scope=scope_key, region=region)
    found = rows.filter(day__gte=start, day__lte=end).values("word").annotate(**sums).order_by()
    if minimum:
        found = found.filter(w0__gte=minimum)
    return {row["word"]: [row[f"w{i}"] or 0 for i in range(len(bounds))] for row in found}


def word_snapshot(scope_key, window, today, fresh_after=None):
    """The stored word series of a hub scope for today's windows (emerging.stored_series)."""
    return emerging.stored_series(
        WordSnapshot,
        scope_key,
        window,
        today,
        lambda: hub_word_series(scope_key, emerging.window_bounds(today, window)),
        fresh_after,
    )


def refresh_word_snapshots(scope_keys, today=None):
    """Recompute the word series of these hub scopes (the refresh task, after the rollups)."""
    today = today or timezone.localdate()
    for key in scope_keys:
        for window in emerging.WINDOWS:
            WordSnapshot.objects.filter(scope=key, window=window).delete()
            word_snapshot(key, window, today)


def _word_series(scopes, filters, window, bounds, catalog):
    k = len(bounds) - 1
    start, end = bounds[-1][0], bounds[0][1]
    result = {}

    plain = not filters.region and filters.category is None
    # Under a kabupaten/kota filter alone, a hub's words come from its kabupaten/kota word cube.
    by_region = (
        filters.region_column == "region"
        and filters.category is None
        and ScopeRegionWordCube._meta.db_table not in catalog.unbuilt
    )
    # One scope: a word short of the minimum in the current window cannot be flagged, so it
    # need not come back. Several scopes are summed first, so each keeps every word.
    minimum = emerging.MIN_COUNT if len(scopes) == 1 else 0
    fresh_after = RollupState.objects.values_list("last_run_at", flat=True).first()
    for scope in scopes:
        if (plain or by_region) and catalog.is_hub(scope):
            if plain:
                found = word_snapshot(scope.key, window, end, fresh_after)
            else:
                found = hub_word_series(scope.key, bounds, filters.region, minimum)
            for word, counts in found.items():
                target = result.setdefault(word, [0] * (k + 1))
                for i, n in enumerate(counts):
                    target[i] += n
            continue
        facts = ReportFact.objects.filter(day__gte=start, day__lte=end)
        if not scope.is_national:
            if catalog.is_hub(scope):
                facts = facts.filter(agency__in=catalog.subtree_ids(scope.agency))
            else:
                facts = facts.filter(agency=scope.agency.pk)
        if filters.region:
            facts = facts.filter(**{filters.region_column: filters.region})
        if filters.category is not None:
            facts = facts.filter(**{filters.category_column: filters.category.pk})
        for word, counts in _fact_word_counts(facts, bounds, minimum).items():
            target = result.get(word)
            if target is None:
                result[word] = counts
            else:
                for i, n in enumerate(counts):
                    target[i] += n
    return result


def _fact_word_counts(facts, bounds, minimum=0):
    """{word: [facts of `facts` whose title has it, per window of `bounds`]}, the words with fewer
    than `minimum` in the current window left out.

    PostgreSQL counts them itself (each fact's words unnested and grouped: only the words come
    back, not tens of thousands of titles for a kabupaten/kota or a category); elsewhere the titles
    are read with a bare cursor and counted here, each day's window found in a dict.
    """
    sql, params = facts.values_list("day", "words").query.sql_with_params()
    k = len(bounds) - 1
    if connections[facts.db].vendor == "postgresql":
        in_window = "COUNT(*) FILTER (WHERE f.day BETWEEN %s AND %s)"
        query = (
            f"SELECT w.word, {', '.join([in_window] * (k + 1))} FROM ({sql}) AS f(day, words) "
            "CROSS JOIN LATERAL unnest(string_to_array(f.words, ' ')) AS w(word) "
            f"WHERE w.word <> '' GROUP BY w.word HAVING {in_window} >= %s"
        )
        window_params = [day for first_last in bounds for day in first_last]
        with connections[facts.db].cursor() as cursor:
            cursor.execute(query, [*window_params, *params, *bounds[0], minimum])
            return {word: list(counts) for word, *counts in cursor.fetchall()}
    window_of = {}
    for index, (first, last) in enumerate(bounds):
        day = first
        while day <= last:
            window_of[day.isoformat()] = index
            day += dt.timedelta(days=1)
    result = {}
    with connections[facts.db].cursor() as cursor:
        cursor.execute(sql, params)
        for day, words in cursor.fetchall():
            index = window_of.get(day if isinstance(day, str) else day.isoformat())
            if index is None or not words:
                continue
            for word in words.split():
                counts = result.get(word)
                if counts is None:
                    counts = result[word] = [0] * (k + 1)
                counts[index] += 1
    if minimum:
        result = {word: counts for word, counts in result.items() if counts[0] >= minimum}
    return result


def topic_clusters(scopes, catalog=None):
    """The stored clusters of each scope (computed on first view when missing)."""
    from jembatan.insights import topics

    catalog = catalog or Catalog()
    result = []
    for scope in scopes:
        snapshot = TopicSnapshot.objects.filter(scope=scope.key).first()
        if snapshot is None:
            ids = None
            if not scope.is_national:
                ids = catalog.subtree_ids(scope.agency) if catalog.is_hub(scope) else [scope.agency.pk]
            snapshot = topics.compute_snapshot(scope.key, ids)
        result.append((scope, snapshot))
    return result


def last_complete_months(today, n):
    """The period of the n calendar months before today's month."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    for _i in range(n - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return Period(first, last, Grain.MONTH)


def public_overview(scopes, filters, catalog=None):
    """The public statistics page: volume, places and categories of the whole instance."""
    catalog = catalog or Catalog()
    summary = overview(scopes, filters, catalog)
    where = places(scopes, filters, catalog, drill=False)
    return {"overview": summary, "places": where, "tables": summary["tables"] + where["tables"]}


def scope_name(scope):
    return scope.agency.name if scope.agency else _("Seluruh instansi")
