"""Dashboards (/data/…) for pimpinan, admins and auditors, the drill-down lists, exports, the
monthly report, and the public statistics and open data pages.

Views parse the filters, ask access.py (through queries.viewer_scopes and access.can), call the
dashboards module, and render. The only writes are export jobs and on-demand monthly snapshots.
"""

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.guards import guarded
from jembatan.directory.models import Agency
from jembatan.insights import dashboards, drill, exports, headline, monthly, opendata
from jembatan.insights.forms import FilterForm
from jembatan.insights.models import ExportJob, ExportStatus, MonthlyReport
from jembatan.insights.queries import Catalog, Scope, effective_scopes, viewer_scopes

PAGE_SIZE = 50


# Signed-in viewers with dashboard rights only; numbers are internal, so never cached.
dashboard_view = guarded(
    allow=lambda user: bool(viewer_scopes(user)),
    refusal=gettext_lazy("Dasbor hanya untuk pimpinan, admin dan auditor."),
)


def _form(request):
    form = FilterForm(request.GET, user=request.user)
    if not form.is_valid():
        if "instansi" in form.errors:
            raise PermissionDenied(form.errors["instansi"][0])
        return form, None
    return form, form.filters()


def _download(table, fmt, filename):
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest(_("Format unduhan tidak dikenal."))
    response = HttpResponse(
        exports.render(table.export_rows(), fmt, table.title), content_type=exports.FORMATS[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _file_name(page, key, period):
    """kinerja-8-2026-10-01-2026-10-31, not kinerja-kinerja-8-…: a table key may start with its page."""
    page = slugify(page)
    name = key if key == page or key.startswith(page + "-") else f"{page}-{key}"
    return f"{name}-{period.start}-{period.end}"


def _page(request, template, form, filters, data, active):
    """Render a dashboard page, or one of its tables as CSV/XLSX when ?unduh=csv|xlsx&tabel=…"""
    fmt, key = request.GET.get("unduh"), request.GET.get("tabel")
    if fmt and data is not None:
        for table in data["tables"]:
            if table.key == key:
                return _download(table, fmt, _file_name(active, table.key, filters.period))
        raise Http404(_("Tabel tidak ditemukan."))
    scopes = effective_scopes(request.user, filters) if filters else viewer_scopes(request.user)
    context = {
        "form": form,
        "filters": filters,
        "data": data,
        "active": active,
        "scope_names": [dashboards.scope_name(s) for s in scopes],
        "query": form.query(),
    }
    return render(request, template, context, status=200 if filters else 400)


@dashboard_view
@require_GET
def overview(request):
    form, filters = _form(request)
    data = None
    if filters:
        catalog = Catalog()
        scopes = effective_scopes(request.user, filters)
        data = dashboards.overview(scopes, filters, catalog)
        data["late"] = headline.late_now(scopes, filters, catalog)
        data["signals"] = headline.rising_signals(scopes, filters, catalog)
        data["comparison"] = headline.comparison(data["kpis"])
        data["tables"] = [data["late"]["table"], *data["tables"]]
    return _page(request, "insights/overview.html", form, filters, data, "ringkasan")


@dashboard_view
@require_GET
def map_view(request):
    form, filters = _form(request)
    data = dashboards.places(effective_scopes(request.user, filters), filters) if filters else None
    return _page(request, "insights/map.html", form, filters, data, "peta")


@dashboard_view
@require_GET
def league(request):
    form, filters = _form(request)
    data = None
    if filters:
        arah = request.GET.get("arah")
        data = dashboards.league(
            viewer_scopes(request.user),
            filters,
            sort=request.GET.get("urut"),
            descending={"turun": True, "naik": False}.get(arah),
        )
    return _page(request, "insights/league.html", form, filters, data, "kinerja")


@dashboard_view
@require_GET
def trends(request):
    form, filters = _form(request)
    window = request.GET.get("jendela", "minggu")
    if window not in ("minggu", "bulan"):
        window = "minggu"
    data = None
    if filters:
        catalog = Catalog()
        scopes = effective_scopes(request.user, filters)
        data = dashboards.trends(scopes, filters, window, catalog=catalog)
        data["signals"] = headline.rising_signals(scopes, filters, catalog, window=window, limit=10)
        # The clusters are computed ahead per scope over the last 30 days: shown only where the
        # region and category filters are not set (they could not honour them).
        data["clusters"] = None
        if not filters.region and filters.category is None:
            data["clusters"] = _clusters(dashboards.topic_clusters(scopes, catalog=catalog), request.user)
    response = _page(request, "insights/trends.html", form, filters, data, "tren")
    return response


def _clusters(snapshots, user):
    """Clusters with their example reports (only those the viewer may see)."""
    from jembatan.reports.models import Report

    ids = {pk for _s, snap in snapshots for c in snap.clusters for pk in c["examples"]}
    reports = {
        r.pk: r
        for r in Report.objects.visible_to(user, among=sorted(ids)).only(
            "pk", "tracking_number", "title", "is_anonymous", "verifying_agency"
        )
    }
    from jembatan.insights.topics import label_words, region_words

    places = region_words()
    for report in reports.values():
        report.shown_title = exports.title_for(user, report)
    result = []
    for scope, snapshot in snapshots:
        clusters = [
            {
                **c,
                "words": label_words(c["words"], places),
                "reports": [reports[pk] for pk in c["examples"] if pk in reports],
            }
            for c in snapshot.clusters
        ]
        result.append({"scope": dashboards.scope_name(scope), "snapshot": snapshot, "clusters": clusters})
    return result


# --- Drill-down and exports --------------------------------------------------------------------------


@dashboard_view
@require_GET
def reports(request):
    params = request.GET.dict()
    try:
        result = drill.build(request.user, params)
    except drill.DrillError as exc:
        return HttpResponseBadRequest(str(exc))
    fmt = params.pop("unduh", None)
    if fmt:
        if fmt not in exports.FORMATS:
            return HttpResponseBadRequest(_("Format unduhan tidak dikenal."))
        ids = result.report_ids()
        count = ids.count()
        if count > exports.SYNC_LIMIT:
            job = exports.start_job(
                user=request.user, title=_("Daftar laporan"), fmt=fmt, params=params, total=count
            )
            return redirect("insights:export-job", token=job.token)
        names = dict(Agency.objects.values_list("pk", "name"))
        rows = [
            exports.report_list_header(),
            *exports.report_list_rows(result.reports(list(ids)), names, request.user),
        ]
        response = HttpResponse(
            exports.render(rows, fmt, pgettext("jamak", "Laporan")), content_type=exports.FORMATS[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="laporan-{timezone.localdate()}.{fmt}"'
        return response
    paginator = Paginator(result.report_ids(), PAGE_SIZE)
    counted = result.count()
    if result.fact != "disposisi":
        paginator.count = counted  # the same number, from the cubes when they can answer it
    page = paginator.get_page(request.GET.get("halaman"))
    reports = result.reports(list(page))
    for report in reports:
        report.shown_title = exports.title_for(request.user, report)
    context = {
        "result": result,
        "page": page,
        "reports": reports,
        "counted": counted,
        "query": urlencode({k: v for k, v in params.items() if k != "halaman"}),
        "active": "laporan",
    }
    return render(request, "insights/reports.html", context)


@dashboard_view
@require_GET
def export_job(request, token):
    job = get_object_or_404(ExportJob, token=token, user=request.user)
    return render(
        request,
        "insights/export_job.html",
        {"job": job, "running": job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)},
    )


@dashboard_view
@require_GET
def export_download(request, token):
    job = get_object_or_404(ExportJob, token=token, user=request.user, status=ExportStatus.DONE)
    path = exports.export_dir() / job.file_name
    if not path.exists():
        raise Http404(_("Berkas ekspor sudah tidak ada."))
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=f"laporan-{job.created_at:%Y%m%d}.{job.format}",
        content_type=exports.FORMATS[job.format],
    )


# --- Monthly report ----------------------------------------------------------------------------------


def _month(value, default):
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise Http404(_("Bulan tidak valid.")) from None


@dashboard_view
@require_GET
def monthly_index(request):
    scopes = viewer_scopes(request.user)
    keys = [s.key for s in scopes]
    if scopes[0].is_national:
        stored = MonthlyReport.objects.all()[:60]
    else:
        allowed = set()
        catalog = Catalog()
        for scope in scopes:
            allowed.update(catalog.subtree_ids(scope.agency))
        stored = MonthlyReport.objects.filter(scope__in=allowed | set(keys))[:60]
    names = dict(Agency.objects.filter(pk__in=[m.scope for m in stored]).values_list("pk", "name"))
    items = [{"report": m, "name": names.get(m.scope, _("Seluruh instansi"))} for m in stored]
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    form = FilterForm(None, user=request.user)
    return render(
        request,
        "insights/monthly_index.html",
        {
            "items": items,
            "default_month": last_month.strftime("%Y-%m"),
            "agency_choices": form.options["instansi"],
            "active": "bulanan",
        },
    )


@dashboard_view
@require_GET
def monthly_view(request):
    today = timezone.localdate()
    month = _month(request.GET.get("bulan"), (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    code = request.GET.get("instansi")
    if code:
        agency = get_object_or_404(Agency, code=code)
        if not access.can(request.user, Action.VIEW_DASHBOARD, agency):
            raise PermissionDenied(_("Instansi ini di luar cakupan Anda."))
        scopes = [Scope(agency)]
    else:
        scopes = viewer_scopes(request.user)
    html = monthly.render_report(scopes, month, request=request)
    return HttpResponse(html)


@dashboard_view
@require_GET
def monthly_snapshot(request, pk):
    report = get_object_or_404(MonthlyReport, pk=pk)
    agency = Agency.objects.filter(pk=report.scope).first() if report.scope else None
    if not access.can(request.user, Action.VIEW_DASHBOARD, agency):
        raise PermissionDenied(_("Laporan bulanan ini di luar cakupan Anda."))
    return HttpResponse(report.html)


@dashboard_view
@require_POST
def monthly_generate(request):
    """Store the monthly report of a scope now (the task does it on the 1st for everyone)."""
    today = timezone.localdate()
    month = _month(request.POST.get("bulan"), (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    code = request.POST.get("instansi")
    agency = None
    if code:
        agency = get_object_or_404(Agency, code=code)
    if not access.can(request.user, Action.VIEW_DASHBOARD, agency):
        raise PermissionDenied(_("Instansi ini di luar cakupan Anda."))
    report = monthly.store_report(agency, month)
    return redirect("insights:monthly-snapshot", pk=report.pk)


# --- Public pages ------------------------------------------------------------------------------------


def _public(response, seconds=600):
    patch_cache_control(response, public=True, max_age=seconds)
    return response


@require_GET
def public_stats(request):
    """Aggregate numbers of the whole instance for everyone: the last 12 complete months."""
    period = dashboards.last_complete_months(timezone.localdate(), 12)
    from jembatan.insights.queries import Filters

    filters = Filters(period=period)
    scopes = [Scope(None)]
    catalog = Catalog()
    data = dashboards.public_overview(scopes, filters, catalog)
    fmt, key = request.GET.get("unduh"), request.GET.get("tabel")
    if fmt:
        for table in data["tables"]:
            if table.key == key:
                return _public(_download(table, fmt, f"statistik-{table.key}"))
        raise Http404(_("Tabel tidak ditemukan."))
    return _public(render(request, "insights/public_stats.html", {"data": data, "period": period}))


@require_GET
def open_data(request):
    context = {
        "metadata": opendata.metadata(),
        "dictionary": opendata.dictionary(),
        "licence": opendata.licence(),
    }
    return _public(render(request, "insights/open_data.html", context))


OPEN_FILES = {
    "laporan.csv": "text/csv; charset=utf-8",
    "laporan.json": "application/json",
    "kamus-data.json": "application/json",
}


@require_GET
def open_data_file(request, name):
    if name not in OPEN_FILES:
        raise Http404()
    path = opendata.open_data_dir() / name
    if not path.exists():
        if name == "kamus-data.json":
            import json

            return _public(
                HttpResponse(
                    json.dumps(opendata.dictionary(), ensure_ascii=False), content_type=OPEN_FILES[name]
                )
            )
        response = render(request, "insights/open_data_pending.html", status=503)
        response["Retry-After"] = "3600"
        return response
    return _public(FileResponse(open(path, "rb"), content_type=OPEN_FILES[name], filename=name), 3600)
