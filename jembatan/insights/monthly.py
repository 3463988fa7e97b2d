"""The monthly report (Laporan Bulanan): one printable page per instance or per agency.

Built from the month cubes like the dashboards: volume against the month before, where the
reports came from, the league table of the agencies below, and the categories that rose against
the three months before (emerging.py's statistic, on months). A task stores it on the 1st of each
month for the instance and every agency that has a pimpinan; anyone in scope can also build it now.
"""

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jembatan.accounts.models import Role, StaffRole
from jembatan.insights import dashboards, emerging, headline
from jembatan.insights.models import NATIONAL, Grain, MonthlyReport
from jembatan.insights.queries import Catalog, Filters, Period, Scope, fetch


def rising_categories(scopes, month, catalog):
    """Categories of `month` that rose against the three months before (emerging.assess)."""
    start = month
    for _i in range(3):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    span = Period(start, Period.month(month).end, Grain.MONTH)
    rows = fetch("topic", scopes, Filters(period=span), ["period", "category"], catalog=catalog)
    months = span.keys()[::-1]  # newest first, as emerging.rising expects
    series = {}
    for row in rows:
        series.setdefault(row["category"], [0] * len(months))[months.index(row["period"])] += row["reports"]
    rises = emerging.rising(series, len(months) - 1)
    names = dashboards.category_names([r.key for r in rises])
    table = dashboards.Table(
        "naik-kategori",
        _("Kategori yang naik dibanding tiga bulan sebelumnya"),
        [_("Kategori"), _("Bulan ini"), _("Rata-rata 3 bulan sebelumnya"), _("Rasio"), _("p")],
    )
    for rise in rises:
        table.rows.append(
            [
                dashboards.label(names.get(rise.key, _("Tanpa kategori"))),
                dashboards.Cell(rise.count),
                dashboards.Cell(round(rise.baseline, 2)),
                dashboards.Cell(round(rise.ratio, 2)),
                dashboards.Cell(rise.p_value, text=dashboards.format_p(rise.p_value)),
            ]
        )
    return table


def _join(items):
    """ "A, B dan C" in the current language."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s dan %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def narrative(ctx):
    """The report's opening paragraph in the current language: volume and on-time share against
    the month before, the three agencies with most dispositions late, the three rising categories,
    and satisfaction. Plain sentences built from the same tables the report prints below."""
    numbers = dashboards.NumberFormat()
    compared = headline.comparison(ctx["overview"]["kpis"])

    def part(key):
        return [text for text, _url, k in compared if k == key]

    late = []
    for table in ctx["league"]["tables"]:
        for row in table.rows:
            if row[1].value:
                late.append((row[1].value, row[0].value))
    late.sort(key=lambda item: (-item[0], item[1]))
    if late:
        listed = _join(f"{name} ({numbers.format(n)})" for n, name in late[:3])
        late_text = [
            _("Disposisi terlambat terbanyak saat laporan ini dibuat: %(agencies)s.") % {"agencies": listed}
        ]
    else:
        late_text = [_("Tidak ada disposisi yang terlambat saat laporan ini dibuat.")]
    rising = ctx["rising"].rows[:3]
    if rising:
        listed = _join(
            _("%(name)s (%(n)s laporan, biasanya %(usual)s)")
            % {
                "name": row[0].value,
                "n": numbers.format(row[1].value),
                "usual": headline.usual(row[2].value),
            }
            for row in rising
        )
        rising_text = [_("Naik dibanding tiga bulan sebelumnya: %(topics)s.") % {"topics": listed}]
    else:
        rising_text = [_("Tidak ada kategori yang naik jauh di atas tiga bulan sebelumnya.")]
    return part("volume") + part("on_time") + late_text + rising_text + part("satisfaction")


def context(scopes, month):
    catalog = Catalog()
    filters = Filters(period=Period.calendar_month(month))
    ctx = {
        "month": month,
        "scope_names": [dashboards.scope_name(s) for s in scopes],
        "overview": dashboards.overview(scopes, filters, catalog),
        "places": dashboards.places(scopes, filters, catalog, drill=False),
        "league": dashboards.league(scopes, filters, catalog),
        "rising": rising_categories(scopes, month, catalog),
        "generated_at": timezone.now(),
    }
    # In Bahasa Indonesia and in English, whatever the reader's language: the stored report is
    # written once (on the 1st, by a task) and read by both.
    ctx["narrative"] = []
    for code, name in (("id", "Bahasa Indonesia"), ("en", "English")):
        with translation.override(code):
            ctx["narrative"].append({"lang": code, "name": name, "sentences": narrative(ctx)})
    return ctx


def render_report(scopes, month, request=None):
    return render_to_string("insights/monthly_report.html", context(scopes, month), request=request)


def store_report(agency, month):
    """Build and keep the monthly report of `agency` (None: the whole instance) for `month`."""
    html = render_report([Scope(agency)], month)
    report, _created = MonthlyReport.objects.update_or_create(
        scope=agency.pk if agency else NATIONAL, month=month, defaults={"html": html}
    )
    return report


def store_all(month):
    """The 1st-of-the-month run: the instance, and every agency with an active pimpinan."""
    agencies = {
        r.agency
        for r in StaffRole.objects.filter(
            role=Role.PIMPINAN, is_active=True, agency__isnull=False
        ).select_related("agency")
    }
    stored = [store_report(None, month)]
    for agency in sorted(agencies, key=lambda a: a.path):
        stored.append(store_report(agency, month))
    return stored
