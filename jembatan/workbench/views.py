"""The officer workbench (meja kerja petugas): queues, the report page, and one POST view per action.

Views parse, authorize through accounts/access.py, call reports/actions.py (or workbench/actions.py
for the workbench's own data and bulk loops), and render. They never save a report model.
"""

import csv
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import resolve, reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.guards import guarded
from jembatan.accounts.models import Role, StaffRole, User
from jembatan.directory.models import Agency
from jembatan.directory.routing import propose_agency
from jembatan.federation import actions as federated
from jembatan.observability import cached_or_computed
from jembatan.reports import actions, lifecycle, thumbnails
from jembatan.reports.events import EventAction, staff_actor, staff_label
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    VERIFICATION_STATUSES,
    Attachment,
    Channel,
    Classification,
    Disposition,
    Event,
    ReceivedVia,
    Report,
    Status,
    Visibility,
)
from jembatan.reports.pii import text_for_viewer
from jembatan.reports.sla import WorkingCalendar
from jembatan.reports.submission import NewReport
from jembatan.reports.timeline import readable_staff_events
from jembatan.reports.voices import voices_of
from jembatan.triage import services as triage
from jembatan.workbench import actions as wb_actions
from jembatan.workbench import forms as wf
from jembatan.workbench.clock import Clocks, outcome, sla_clock
from jembatan.workbench.models import ResponseTemplate, SavedFilter, TemplatePurpose
from jembatan.workbench.performance import month_start, performance
from jembatan.workbench.queues import (
    QUEUES_BY_SLUG,
    count_rows,
    decode_cursor,
    format_count,
    iterate,
    loader,
    paginate,
    queues_for,
    with_related,
)
from jembatan.workbench.similar import MERGE_OTHER, MERGE_THIS, similar_reports

logger = logging.getLogger(__name__)

CSV_MAX_ROWS = 10_000
MAX_FAILURES_SHOWN = 20


# --- Guards ------------------------------------------------------------------------------------------


# The paging words in the queue's URL (Indonesian, like the rest of the URLs): rows after or before
# a cursor.
AFTER_PARAM = "setelah"
BEFORE_PARAM = "sebelum"


workbench_view = guarded(
    allow=access.is_staff_member,
    refusal=gettext_lazy("Meja kerja hanya untuk petugas instansi."),
    back=(reverse_lazy("workbench:index"), gettext_lazy("Kembali ke meja kerja")),
)


# --- Menu --------------------------------------------------------------------------------------------


def _menu(user, now, current=None):
    """The queues that apply to `user`, each with its (capped) count."""
    queues, counts = _menu_counts(user, now)
    return [
        {
            "queue": queue,
            "count": counts.get(queue.slug, ""),
            "current": queue.slug == current,
            "url": reverse("workbench:queue", args=[queue.slug]),
        }
        for queue in queues
    ]


# The menu's counts are 8-10 capped COUNT queries on every workbench page: about half of a queue
# page's database time at 1,000,000 reports (docs/scale.md). They are kept per officer until the
# timeline moves (every state change writes a timeline row in its own transaction, so the newest
# row's id changes with any action by anyone) or the officer's roles change (both are in the key).
# Only the overdue queue grows with the clock alone: its count is kept for the current minute, on
# its own, so the turn of a minute recounts its 2-3 streams rather than the whole menu (that
# recount was the queue pages' slowest request at 1,000,000 reports). What else can move a count
# without a timeline row, an agency moved in the tree, shows within MENU_STEADY_SECONDS.
# The kept entry also names the queues that apply: which ones do follows from the roles alone (in
# the key), and building every queue's queryset to learn it again was 1-3 ms of each page.
MENU_COUNT_SECONDS = 60
MENU_STEADY_SECONDS = 600
CLOCK_QUEUES = frozenset({"terlambat"})


def _menu_counts(user, now):
    """([Queue] that apply to `user`, in menu order; {slug: count})."""
    newest = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    roles = ";".join(sorted(f"{r.role}@{r.agency_id or ''}" for r in access.roles_of(user)))
    key = f"workbench:menu:{user.pk}:{newest}:{hashlib.blake2b(roles.encode(), digest_size=8).hexdigest()}"

    def counted(queues):
        return {queue.slug: format_count(count_rows(queue, qs, user)) for queue, qs in queues}

    def steady():
        queues = queues_for(user, now)
        counts = counted([(q, qs) for q, qs in queues if q.slug not in CLOCK_QUEUES])
        return [q.slug for q, _qs in queues], counts

    slugs, counts = cached_or_computed(f"{key}:steady", steady, MENU_STEADY_SECONDS)
    counts = dict(counts)
    ticking = [QUEUES_BY_SLUG[slug] for slug in slugs if slug in CLOCK_QUEUES]
    if ticking:
        minute = int(now.timestamp()) // MENU_COUNT_SECONDS

        def clocked():
            return counted([(q, q.base(user, now)) for q in ticking])

        part = ",".join(q.slug for q in ticking)
        counts |= cached_or_computed(f"{key}:{minute}:{part}", clocked, MENU_COUNT_SECONDS)
    return [QUEUES_BY_SLUG[slug] for slug in slugs], counts


def _common(request, now, current=None):
    user = request.user
    return {
        "menu": _menu(user, now, current),
        "may_enter": bool(access.scopes_for(user, Action.ENTER_REPORT)),
        "may_manage_templates": bool(access.scopes_for(user, Action.MANAGE_TEMPLATES)),
    }


# --- Index and quick find ----------------------------------------------------------------------------


@workbench_view
@require_GET
def index(request):
    now = timezone.now()
    context = _common(request, now)
    context["performance"] = _cached_performance(request.user, now)
    context["scopes"] = [r for r in access.roles_of(request.user)]
    # The month's on-time share counts work done; the late queue counts work still open past its
    # deadline. Shown together so "97%" beside "Terlambat 39" reads as two facts, not a contradiction.
    context["late"] = next((item for item in context["menu"] if item["queue"].slug == "terlambat"), None)
    return render(request, "workbench/index.html", context)


PERFORMANCE_CACHE_SECONDS = 300


def _cached_performance(user, now):
    # A month's on-time rate moves slowly, and counting it reads every answer and verification of
    # the month in the officer's scope: computed at most every five minutes per officer.
    key = f"workbench:performance:{user.pk}:{month_start(now):%Y%m}"
    return cached_or_computed(key, lambda: performance(user, now), PERFORMANCE_CACHE_SECONDS)


@workbench_view
@require_GET
def find(request):
    number = (request.GET.get("nomor") or "").strip().lstrip("#")
    report = Report.objects.filter(tracking_number=number).select_related("verifying_agency").first()
    if report is not None and access.can_view_report_internal(request.user, report):
        return redirect("workbench:report", tracking_number=report.tracking_number)
    messages.error(request, _("Laporan #%(number)s tidak ditemukan di cakupan Anda.") % {"number": number})
    return redirect("workbench:index")


# --- Queues ------------------------------------------------------------------------------------------


@dataclass
class Row:
    obj: object  # the Report or Disposition the row is
    report: Report
    disposition: Disposition | None
    clock: object
    reporter: str  # what the officer may read in the reporter column
    may_see_identity: bool
    voices: object = None  # reports.voices.Voices: how many people reported and support it
    checked: bool = False  # still ticked after a bulk action that failed for it
    error: str = ""  # why the bulk action failed for this row
    claim: object = None  # the colleague (or oneself) who said "saya tangani"
    # What the queue page shows, written once per page by _present (not by the CSV export).
    url: str = ""  # the report page, with the way back to this queue page
    agencies: str = ""  # the offices it was disposed to, else its verifying agency
    status_label: str = ""
    submitted: object = None  # Moment
    due: object = None  # Moment, or None for a row without a running deadline

    @property
    def title(self):
        return text_for_viewer(self.report.title, may_see_identity=self.may_see_identity)

    @property
    def selection(self):
        return f"{self.obj.pk}:{self.report.version}"


@dataclass(frozen=True)
class Moment:
    """A date as the queue page writes it: `iso` for <time datetime>, `text` for the reader."""

    iso: str
    text: str


class _Moments:
    """The page's dates as the `date` filter writes them (`|date:'c'` and `|date:"j M Y"`, in the
    current time zone and language), each day's text formatted once.

    A queue page shows three dates a row; through the template filter they were 150 date
    formattings (and as many localtime conversions) of a 50-row page, most of them of a few days.
    """

    def __init__(self):
        self.days = {}

    def __call__(self, moment):
        if moment is None:
            return None
        local = timezone.localtime(moment)
        day = local.date()
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = date_format(local, "j M Y")
        return Moment(local.isoformat(), text)


def _present(rows, *, back):
    """Set what the queue page shows of each row, computed once per page rather than in the template.

    Per-row template work (a `get_status_display` that builds the choices' dict and translates
    all of them, three date filters, a `{% url %}`, a loop over the dispositions) was most of a
    queue page's rendering time (bench/profile_workbench_queue.py).
    """
    moments = _Moments()
    statuses = {value: str(label) for value, label in Status.choices}
    way_back = "?dari=" + quote(back, safe="/")  # what `back|urlencode` writes
    # One reverse() for the page rather than one a row (~0.1 ms each): a number of letters and
    # digits stands in the URL as it is, anything else goes through reverse().
    marker = "0"
    before, after = reverse("workbench:report", args=[marker]).rsplit(marker, 1)
    for row in rows:
        report = row.report
        number = report.tracking_number
        if number.isascii() and number.isalnum():
            row.url = f"{before}{number}{after}{way_back}"
        else:
            row.url = reverse("workbench:report", args=[number]) + way_back
        row.status_label = statuses.get(report.status, report.status)
        row.submitted = moments(report.submitted_at)
        row.due = moments(row.obj.due)
        if row.disposition is None:
            disposed = [d.agency.short_name or d.agency.name for d in report.dispositions.all()]
            agency = report.verifying_agency
            row.agencies = ", ".join(disposed) or (agency.short_name or agency.name if agency else "—")


def _row(queue, obj, user, clocks):
    """The row of a queue page or export; `clocks` is a Clocks for the page's moment."""
    report = obj.report if queue.of_dispositions else obj
    disposition = obj if queue.of_dispositions else None
    if not queue.shows_clock:
        clock = None
    elif disposition is not None:
        clock = clocks(disposition.sla_due_at)
    else:
        clock = clocks(report.sla_due_at)
    may_see = access.can_see_identity(user, report)
    if may_see:
        reporter = str(report.reporter_display_name)
    else:
        reporter = _("Anonim") if report.is_anonymous else "—"
    return Row(obj, report, disposition, clock, reporter, may_see)


def _queue_or_403(request, slug, now):
    queue = QUEUES_BY_SLUG.get(slug)
    if queue is None:
        raise Http404
    base = queue.base(request.user, now)
    if base is None:
        raise PermissionDenied(_("Antrean ini bukan untuk peran Anda."))
    return queue, base


def _liaison_choices(user):
    """Liaisons an officer may assign: penghubung roles inside their ASSIGN_LIAISON scopes."""
    scopes = access.scopes_for(user, Action.ASSIGN_LIAISON)
    if not scopes:
        return User.objects.none()
    roles = StaffRole.objects.filter(role=Role.PENGHUBUNG, is_active=True)
    if None not in scopes:
        roles = roles.filter(agency_id__in=wf.scope_agencies(user, Action.ASSIGN_LIAISON).values("pk"))
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id")).order_by(
        "full_name", "username"
    )


def _bulk_actions_for(queue, user):
    allowed = []
    for action in queue.bulk:
        if action in (wf.BulkForm.VERIFY_DISPOSE, wf.BulkForm.DUPLICATE):
            if access.scopes_for(user, Action.VERIFY):
                allowed.append(action)
        elif action == wf.BulkForm.ASSIGN_LIAISON and access.scopes_for(user, Action.ASSIGN_LIAISON):
            allowed.append(action)
    return allowed


def _bulk_form(queue, user, data=None):
    allowed = _bulk_actions_for(queue, user)
    if not allowed:
        return None
    options = []
    if wf.BulkForm.VERIFY_DISPOSE in allowed:
        options = wf.agency_choices(wf.scope_agencies(user, Action.VERIFY))
    liaisons = _liaison_choices(user) if wf.BulkForm.ASSIGN_LIAISON in allowed else None
    return wf.BulkForm(data, allowed_actions=allowed, agency_options=options, liaisons=liaisons)


@workbench_view
@require_GET
def queue_view(request, slug):
    return _queue_page(request, slug, request.GET)


def _queue_page(
    request, slug, query_data, *, back=None, bulk_form=None, selected=(), row_errors=None, status=200
):
    """The queue page; after a failed bulk action, with the form as sent and the rows still ticked."""
    user, now = request.user, timezone.now()
    queue, base = _queue_or_403(request, slug, now)
    filters = wf.QueueFilterForm(query_data or None, user=user)
    filtered = filters.apply(base, of_dispositions=queue.of_dispositions)
    page = paginate(
        queue.streams(filtered, user),
        load=loader(queue, page=True),
        after=decode_cursor(query_data.get(AFTER_PARAM)),
        before=decode_cursor(query_data.get(BEFORE_PARAM)),
    )
    clocks = Clocks(now, WorkingCalendar.load())
    rows = [_row(queue, obj, user, clocks) for obj in page.rows]
    weights = voices_of(row.report for row in rows)
    errors = row_errors or {}
    for row in rows:
        row.voices = weights[row.report.pk]
        row.claim = wb_actions.loaded_claim(row.report, now=now)
        row.checked = row.selection in selected or row.report.tracking_number in errors
        row.error = errors.get(row.report.tracking_number, "")
    back = back or request.get_full_path()
    _present(rows, back=back)
    query = filters.querystring()
    context = {
        **_common(request, now, current=slug),
        "queue": queue,
        "filters": filters,
        "filter_count": format_count(count_rows(queue, filtered, user)) if filters.active else None,
        "rows": rows,
        "page": page,
        "query": query,
        "next_url": _page_url(filters, AFTER_PARAM, page.next_cursor),
        "prev_url": _page_url(filters, BEFORE_PARAM, page.prev_cursor),
        "first_url": _page_url(filters, None, None),
        "csv_url": reverse("workbench:queue-csv", args=[slug]) + (f"?{query}" if query else ""),
        "saved_filters": list(SavedFilter.objects.filter(user=user)),
        "save_form": wf.SaveFilterForm(initial={"query": query}),
        "bulk_form": (bulk_form or _bulk_form(queue, user)) if rows else None,
        "back": back,
    }
    return render(request, "workbench/queue.html", context, status=status)


def _page_url(filters, key, cursor):
    """The queue URL with the current filters and a cursor (None when there is no such page)."""
    items = parse_qsl(filters.querystring())
    if key and cursor:
        items.append((key, cursor))
    elif key:
        return None
    return "?" + urlencode(items) if items else "?"


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    # Spreadsheet formula injection: a cell a citizen wrote that starts with = + - @ would run.
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@workbench_view
@require_GET
def queue_csv(request, slug):
    user, now = request.user, timezone.now()
    queue, base = _queue_or_403(request, slug, now)
    filters = wf.QueueFilterForm(request.GET or None, user=user)
    rows = iterate(
        queue.streams(filters.apply(base, of_dispositions=queue.of_dispositions), user),
        load=loader(queue),
        limit=CSV_MAX_ROWS,
    )
    clocks = Clocks(now, WorkingCalendar.load())
    header = [
        _("Nomor"),
        _("Judul"),
        _("Status"),
        _("Klasifikasi"),
        _("Kategori"),
        _("Wilayah"),
        _("Kanal"),
        _("Diterima"),
        _("Instansi"),
        _("Batas waktu"),
        _("SLA"),
        _("Anonim"),
        _("Nama pelapor"),
        _("E-mail pelapor"),
        _("Ponsel pelapor"),
    ]

    # Labels resolved once, here, in the request's language: the body is written after the view
    # returns, and per-row translation lookups were most of the export's time.
    statuses = {value: str(label) for value, label in Status.choices}
    classifications = {value: str(label) for value, label in Classification.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    yes, no = _("ya"), _("tidak")
    local = timezone.get_current_timezone()

    def stamp(moment):
        return moment.astimezone(local).strftime("%Y-%m-%d %H:%M") if moment else ""

    def lines():
        writer = csv.writer(_Echo())
        yield "\ufeff"  # so spreadsheet programs open the file as UTF-8
        yield writer.writerow(header)
        for obj in rows:
            row = _row(queue, obj, user, clocks)
            report = row.report
            if row.disposition is not None:
                agency = row.disposition.agency.name
                due = row.disposition.sla_due_at
            else:
                agency = ", ".join(d.agency.name for d in report.dispositions.all() if d.is_open) or (
                    report.verifying_agency.name if report.verifying_agency_id else ""
                )
                due = report.sla_due_at
            identity = ("", "", "")
            if row.may_see_identity:
                identity = (report.reporter_display_name, report.contact_email, report.contact_phone)
            values = [
                report.tracking_number,
                row.title,
                statuses.get(report.status, report.status),
                classifications.get(report.classification, ""),
                str(report.category) if report.category_id else "",
                report.region.name if report.region_id else "",
                channels.get(report.channel, report.channel),
                stamp(report.submitted_at),
                agency,
                stamp(due),
                row.clock.label if row.clock else "",
                yes if report.is_anonymous else no,
                *identity,
            ]
            yield writer.writerow([_csv_cell(v) for v in values])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="antrean-{slug}-{stamp(now)[:10]}.csv"'
    return response


def _safe_back(request, slug):
    back = request.POST.get("back") or ""
    if not back.startswith(reverse("workbench:queue", args=[slug])):
        back = reverse("workbench:queue", args=[slug])
    return back


@workbench_view
@require_POST
def queue_bulk(request, slug):
    """Run one action over the ticked rows; what failed comes back ticked, with the reason per row."""
    user, now = request.user, timezone.now()
    queue, base = _queue_or_403(request, slug, now)
    back = _safe_back(request, slug)
    query_data = QueryDict(back.partition("?")[2])
    form = _bulk_form(queue, user, request.POST)
    if form is None:
        raise PermissionDenied(_("Tidak ada tindakan massal yang boleh Anda lakukan di antrean ini."))
    selected = set(request.POST.getlist("items"))

    def again(row_errors=None, status=400):
        return _queue_page(
            request,
            slug,
            query_data,
            back=back,
            bulk_form=form,
            selected=selected,
            row_errors=row_errors,
            status=status,
        )

    if not form.is_valid():
        messages.error(request, _("Tindakan massal belum dijalankan: periksa isian di bawah."))
        return again()
    data = form.cleaned_data
    versions = dict(data["items"])
    found = {obj.pk: obj for obj in with_related(queue, base.filter(pk__in=list(versions)))}
    items = []
    result = wb_actions.BulkResult()
    for pk, version in data["items"]:
        obj = found.get(pk)
        if obj is None:
            result.failed.append((f"id {pk}", _("Tidak ada lagi di antrean ini.")))
            continue
        report = obj.report if queue.of_dispositions else obj
        items.append((obj, version, report.tracking_number))
    action = data["action"]
    if action == wf.BulkForm.VERIFY_DISPOSE:
        outcome_ = wb_actions.bulk_verify_and_dispose(
            actor=user,
            items=items,
            classification=data["classification"],
            agencies=data["agencies"] or None,
            instruction=data["instruction"],
        )
    elif action == wf.BulkForm.DUPLICATE:
        try:
            original = actions.find_original(number=data["original"], actor=user)
        except actions.ReportError as exc:
            form.add_error("original", exc.message)
            return again()
        outcome_ = wb_actions.bulk_mark_duplicate(actor=user, items=items, original=original)
    else:
        outcome_ = wb_actions.bulk_assign_liaison(actor=user, items=items, liaison=data["liaison"])
    result.done += outcome_.done
    result.failed += outcome_.failed
    if result.done:
        messages.success(
            request,
            _("%(n)d laporan berhasil diproses; setiap laporan dicatat di riwayatnya.")
            % {"n": len(result.done)},
        )
    if not result.failed:
        return redirect(back)
    for number, message in result.failed[:MAX_FAILURES_SHOWN]:
        messages.error(request, _("#%(number)s gagal: %(message)s") % {"number": number, "message": message})
    if len(result.failed) > MAX_FAILURES_SHOWN:
        messages.error(
            request, _("… dan %(n)d kegagalan lain.") % {"n": len(result.failed) - MAX_FAILURES_SHOWN}
        )
    messages.info(request, _("Laporan yang gagal tetap dicentang, dengan alasannya di barisnya."))
    selected = set()  # only the failed rows stay ticked
    return again(row_errors=dict(result.failed), status=200)


# --- Saved filters -----------------------------------------------------------------------------------


@workbench_view
@require_POST
def filter_save(request):
    slug = request.POST.get("queue", "")
    if slug not in QUEUES_BY_SLUG:
        raise Http404
    form = wf.SaveFilterForm(request.POST)
    target = reverse("workbench:queue", args=[slug])
    if not form.is_valid():
        messages.error(request, _("Beri nama filter ini."))
        return redirect(target)
    # Re-parse the query through the filter form, so only known filters are stored.
    from django.http import QueryDict

    parsed = wf.QueueFilterForm(QueryDict(form.cleaned_data["query"]), user=request.user)
    query = parsed.querystring()
    try:
        wb_actions.save_filter(user=request.user, name=form.cleaned_data["name"], queue=slug, query=query)
    except actions.ReportError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Filter “%(name)s” disimpan.") % {"name": form.cleaned_data["name"]})
    return redirect(target + (f"?{query}" if query else ""))


@workbench_view
@require_POST
def filter_delete(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    wb_actions.delete_filter(user=request.user, saved_filter=saved)
    messages.success(request, _("Filter “%(name)s” dihapus.") % {"name": saved.name})
    return redirect("workbench:queue", slug=saved.queue if saved.queue in QUEUES_BY_SLUG else "verifikasi")


# --- The report page ---------------------------------------------------------------------------------


def _load_report(tracking_number):
    return get_object_or_404(
        Report.objects.select_related(
            "category__parent",
            "region",
            "verifying_agency",
            "target_agency",
            "reporter",
            "archive_reason",
            "duplicate_of",
        ).prefetch_related(
            Prefetch(
                "dispositions",
                queryset=Disposition.objects.select_related("agency", "liaison", "disposed_by").order_by(
                    "disposed_at", "pk"
                ),
            )
        ),
        tracking_number=tracking_number,
    )


def _get_report(request, tracking_number):
    report = _load_report(tracking_number)
    access.require(
        access.can_view_report_internal(request.user, report),
        _("Laporan ini di luar cakupan instansi Anda."),
    )
    return report


def _get_disposition(request, pk):
    disposition = get_object_or_404(Disposition.objects.select_related("agency", "report"), pk=pk)
    report = _get_report(request, disposition.report.tracking_number)
    disposition = next(d for d in report.dispositions.all() if d.pk == disposition.pk)
    disposition.report = report
    return report, disposition


def _suggestion(report):
    """The triage model's proposal for `report`: None without an active model.

    A hint, not part of the work: a model that cannot be read (say, saved by another library
    version) is logged and the page is shown without it.
    """
    try:
        return triage.suggest(report)
    except Exception:
        logger.exception("triage suggestion failed for report %s", report.pk)
        return None


def _flags(report):
    try:
        return triage.flags(report)
    except Exception:
        logger.exception("triage flags failed for report %s", report.pk)
        return []


def _proposals(report):
    """The routing rule's proposal and the triage model's suggestion, for a verifier's forms."""
    return propose_agency(category=report.category, region_code=report.region_id), _suggestion(report)


def _dispose_options(user, report, proposal, suggestion=None):
    """Agencies in the verifier's scope, with the rule's and the model's proposals first, then the
    agencies other instances host."""
    agencies = wf.scope_agencies(user, Action.VERIFY)
    extra = [proposal.agency] if proposal else []
    if suggestion is not None:
        extra += [choice.item for choice in suggestion.agencies]
    unique = list({a.pk: a for a in extra if a is not None}.values())
    choices = wf.agency_choices(agencies, extra=unique)
    if federated.held_for(report) is not None:
        return choices  # a copy held for another instance goes back there, never on to a third
    return choices + wf.remote_agency_choices(exclude=[pk for pk, _label in choices])


def _proposed_agencies(proposal, suggestion):
    """What the dispose forms preselect: the rule's agency, else the model's first; never acted on."""
    if proposal is not None:
        return [proposal.agency.pk]
    if suggestion is not None and suggestion.agency is not None:
        return [suggestion.agency.pk]
    return []


def _forward_options(report):
    if report.verifying_agency_id:
        government = report.verifying_agency
        agencies = Agency.objects.active().subtree(government).order_by("path")
    else:
        agencies = Agency.objects.active().order_by("path")
    return wf.agency_choices(agencies)


def _template_options(templates, report, agency, now):
    return [
        {"id": t.pk, "name": t.name, "text": t.render(report=report, agency=agency, now=now)}
        for t in templates
    ]


def _prefill(request, key, templates):
    """The text of the template chosen with ?templat=…&untuk=key (the no-JavaScript insert)."""
    if request.GET.get("untuk") != key:
        return None
    try:
        chosen = int(request.GET.get("templat", ""))
    except ValueError:
        return None
    return next((t["text"] for t in templates if t["id"] == chosen), None)


CLASSIFICATIONS = Classification.choices


def _timeline(report, may_see_identity, user):
    events = readable_staff_events(
        user,
        report,
        report.events.select_related("actor", "disposition__agency")
        .prefetch_related("attachments")
        .order_by("created_at", "pk"),
    )
    entries = []
    for event in events:
        who = staff_actor(event, reporter_name=report.reporter_display_name if may_see_identity else None)
        entries.append(
            {
                "event": event,
                "detail": _event_detail(event),
                "label": staff_label(event.action),
                "who": who,
                "text": text_for_viewer(event.text, may_see_identity=may_see_identity),
                "is_internal": event.visibility == Visibility.INTERNAL,
                "visibility": event.get_visibility_display(),
                "attachments": list(event.attachments.all()),
            }
        )
    return entries


def _event_detail(event):
    """One line from the event's data: where it went, to whom, what changed."""
    data = event.data or {}
    action = event.action
    if action in (
        EventAction.DISPOSED,
        EventAction.FOLLOW_UP_STARTED,
        EventAction.FOLLOW_UP_POSTED,
        EventAction.DISPOSITION_RETURNED,
    ):
        return data.get("agency", "")
    if action == EventAction.FORWARDED_TO_AGENCY:
        return ", ".join(data.get("agencies", []))
    if action == EventAction.DISPOSITION_FORWARDED:
        return f"{data.get('from', '')} → {data.get('to', '')}"
    if action == EventAction.LIAISON_ASSIGNED:
        return data.get("liaison", "")
    if action in (EventAction.VERIFIED, EventAction.RECLASSIFIED):
        return str(dict(CLASSIFICATIONS).get(data.get("classification"), ""))
    if action == EventAction.SLA_ESCALATED:
        return _("tingkat %(level)s → %(agency)s") % {
            "level": data.get("level", ""),
            "agency": data.get("to_agency") or _("admin nasional"),
        }
    if action == EventAction.RATED:
        return f"{data.get('rating', '')}/5"
    if action in (EventAction.DUPLICATE_MERGED, EventAction.DUPLICATE_UNMERGED):
        return f"#{data.get('duplicate') or data.get('original') or ''}"
    if action == EventAction.PROGRESS_POSTED:
        return _progress_detail(data)
    return ""


def _progress_detail(data):
    """ "Dinas PUPR · perkiraan selesai 20 Desember 2026" from a progress event's data."""
    detail = data.get("agency", "")
    try:
        expected = dt.date.fromisoformat(data.get("expected_completion") or "")
    except ValueError:
        return detail
    return _("%(agency)s · perkiraan selesai %(date)s") % {
        "agency": detail,
        "date": date_format(expected, "j F Y"),
    }


def _report_context(request, report, bound=None, now=None):
    user = request.user
    bound = bound or {}
    now = now or timezone.now()
    cal = WorkingCalendar.load()
    version = {"version": report.version}

    def form(key, cls, **kwargs):
        if key in bound:
            return bound[key]
        initial = {**version, **kwargs.pop("initial", {})}
        return cls(prefix=key, initial=initial, **kwargs)

    may_verify = access.can_verify(user, report)
    may_see_identity = access.can_see_identity(user, report)
    proposal, suggestion = _proposals(report) if may_verify else (None, None)
    ctx = {
        "report": report,
        "now": now,
        "may_verify": may_verify,
        "may_see_identity": may_see_identity,
        # Personal data typed into an anonymous report's text only for those who may know who wrote it.
        "title": text_for_viewer(report.title, may_see_identity=may_see_identity),
        "description": text_for_viewer(report.description, may_see_identity=may_see_identity),
        "report_clock": sla_clock(report.sla_due_at, now, cal),
        "verification_outcome": outcome(report.verification_due_at, report.verified_at),
        "proposal": proposal,
        "suggestion": suggestion,
        "timeline": _timeline(report, may_see_identity, user),
        "attachments": list(report.attachments.order_by("created_at", "pk")),
        "similar": similar_reports(report, user=user) if may_verify else [],
        "merge_this": MERGE_THIS,
        "merge_other": MERGE_OTHER,
        "open_key": next(iter(bound), None) or request.GET.get("untuk"),
    }
    if may_verify:
        _add_verifier_forms(request, report, ctx, form, now)
        ctx.update(_return_origin_form(report, user, form))
        if federated.may_send_to_lapor(report, user):
            ctx["lapor_form"] = form("lapor", wf.SendToLaporForm)
    if access.can_add_note(user, report):
        ctx["note_form"] = bound.get("note") or wf.NoteForm(prefix="note")
    ctx["dispositions"] = _disposition_panels(request, report, bound, now, cal, form, ctx["open_key"])
    ctx.update(_desk_context(request, report, now))
    timeline = [entry["event"] for entry in ctx["timeline"]]
    submitted = next((e for e in timeline if e.action == EventAction.SUBMITTED), None)
    via = (submitted.data or {}).get("received_via") if submitted else None
    ctx["received_via"] = ReceivedVia(via).label if via in ReceivedVia.values else ""
    return ctx


def _return_origin_form(report, user, form):
    """A report another instance forwarded here can go back to it ("bukan wewenang")."""
    if not federated.may_return_to_origin(report, user):
        return {}
    return {
        "held_for": federated.held_for(report),
        "return_origin_form": form("return_origin", wf.ReturnToOriginForm),
    }


def _desk_context(request, report, now):
    """Where the officer came from and goes next, who holds the report, undo of a merge."""
    user = request.user
    came_from = _queue_from(request.GET.get(CAME_FROM_PARAM) or request.POST.get(CAME_FROM_PARAM))
    previous = Report.objects.filter(tracking_number=request.GET.get(PREVIOUS_PARAM) or "").first()
    if previous is not None and not access.can_view_report_internal(user, previous):
        previous = None
    ctx = {
        "came_from": came_from.url if came_from else "",
        "previous": previous,
        # The next report of the queue the officer came from ("n" on the keyboard, or the link).
        "next_report": _next_in_queue(user, came_from, report, now, after_current=True)
        if came_from
        else None,
        "claim": wb_actions.active_claims([report], now=now).get(report.pk),
        "claim_minutes": settings.WORKBENCH_CLAIM_MINUTES,
        "region_label": report.region.place_label if report.region_id else "",
        # A copy another instance forwarded here: where it came from, and the number the citizen has.
        "forwarded_from": federated.held_for(report) if report.source_instance else None,
    }
    if lifecycle.may_unmerge(report, user, now=now):
        ctx["unmerge_until"] = lifecycle.unmerge_deadline(report)
    return ctx


def _add_verifier_forms(request, report, ctx, form, now):
    """The verifier's hints and forms (verify, request, archive, dispose, close, merge) into `ctx`."""
    user, status = request.user, report.status
    proposal, suggestion = ctx["proposal"], ctx["suggestion"]
    options = _dispose_options(user, report, proposal, suggestion)
    proposed = _proposed_agencies(proposal, suggestion)
    # Hints for the verifier; nothing is hidden, archived or sent because of them.
    if status in ACTIVE_STATUSES:
        ctx["flags"] = _flags(report)
    if status in VERIFICATION_STATUSES:
        ctx["completeness"] = triage.completeness(report)
    if lifecycle.may_verify(report, user):
        ctx["verify_form"] = form(
            "verify",
            wf.VerifyForm,
            agency_options=options,
            initial={
                "classification": report.classification,
                "category": report.category_id if report.category and report.category.parent_id else None,
                "title": report.title,
                "is_anonymous": report.is_anonymous,
                "is_confidential": report.is_confidential,
                "agencies": proposed,
            },
        )
    if lifecycle.may_request_information(report, user):
        templates = _template_options(
            wf.templates_for(report.verifying_agency, TemplatePurpose.REQUEST_INFORMATION),
            report,
            report.verifying_agency,
            now,
        )
        ctx["request_templates"] = templates
        # A chosen template wins; otherwise what triage found missing, ready to send.
        missing = ctx["completeness"].message
        ctx["request_form"] = form(
            "request",
            wf.RequestInformationForm,
            initial={"message": _prefill(request, "request", templates) or missing},
        )
    if lifecycle.may_archive(report, user):
        ctx["archive_form"] = form("archive", wf.ArchiveForm)
    if lifecycle.may_dispose(report, user):
        open_agencies = {d.agency_id for d in report.dispositions.all() if d.is_open}
        ctx["dispose_form"] = form(
            "dispose",
            wf.DisposeForm,
            agency_options=options,
            initial={"agencies": [pk for pk in proposed if pk not in open_agencies]},
        )
    if lifecycle.may_close_as_admin(report, user):
        ctx["close_form"] = form("close", wf.CloseForm)
    if lifecycle.may_mark_duplicate(report, user):
        ctx["duplicate_form"] = form("duplicate", wf.DuplicateForm)


def _disposition_panels(request, report, bound, now, cal, form, open_key):
    user = request.user
    panels = []
    forward_options = None
    for d in report.dispositions.all():
        panel = {
            "d": d,
            "key": f"d{d.pk}",
            "clock": sla_clock(d.sla_due_at, now, cal) if d.is_open else None,
            "hosted_on": federated.host_of(d.agency),  # the agency answers from another instance
            "first_response_outcome": outcome(d.first_response_due_at, d.first_response_at),
            "completion_outcome": outcome(d.completion_due_at, d.answered_at),
            "open": (open_key or "").removeprefix(f"d{d.pk}-")
            if (open_key or "").startswith(f"d{d.pk}-")
            else None,
        }
        if d.is_open:
            if lifecycle.may_assign_liaison(d, user):
                panel["assign_form"] = form(
                    f"d{d.pk}-assign",
                    wf.AssignLiaisonForm,
                    liaisons=wf.eligible_liaisons(d.agency),
                    initial={"liaison": d.liaison_id},
                )
            if lifecycle.may_work_disposition(d, user):
                if lifecycle.may_start_follow_up(d, user):
                    panel["start_form"] = form(f"d{d.pk}-start", wf.StartFollowUpForm)
                templates = _template_options(
                    wf.templates_for(d.agency, TemplatePurpose.FOLLOW_UP), report, d.agency, now
                )
                panel["templates"] = templates
                panel["followup_form"] = form(
                    f"d{d.pk}-followup",
                    wf.FollowUpForm,
                    initial={"text": _prefill(request, f"d{d.pk}-followup", templates) or ""},
                )
                panel["progress_form"] = form(f"d{d.pk}-progress", wf.ProgressForm)
                panel["return_form"] = form(f"d{d.pk}-return", wf.ReturnForm)
                if forward_options is None:
                    forward_options = _forward_options(report)
                panel["forward_form"] = form(
                    f"d{d.pk}-forward", wf.ForwardForm, agency_options=forward_options
                )
        panels.append(panel)
    return panels


def _report_page(request, report, *, bound=None, status=200):
    now = timezone.now()
    context = {**_common(request, now), **_report_context(request, report, bound, now)}
    shown = [v for v in context.values() if isinstance(v, forms.Form)]
    shown += [v for panel in context["dispositions"] for v in panel.values() if isinstance(v, forms.Form)]
    for form in (bound or {}).values():
        if not any(form is s for s in shown):
            # The report changed so that this form is no longer offered: say why it failed anyway.
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    return render(request, "workbench/report.html", context, status=status)


@workbench_view
@require_GET
def report_view(request, tracking_number):
    return _report_page(request, _get_report(request, tracking_number))


@workbench_view
@require_GET
def attachment_view(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("report"), pk=pk)
    _get_report(request, attachment.report.tracking_number)
    inline = attachment.content_type.startswith("image/")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@workbench_view
@require_GET
def attachment_thumbnail_view(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("report"), pk=pk)
    _get_report(request, attachment.report.tracking_number)
    data = thumbnails.thumbnail(attachment)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- Actions on a report -----------------------------------------------------------------------------


def _add_error(form, exc):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _perform(request, report, key, form, call, success, *, advance=True):
    """Validate, call the action, and either redirect (success) or re-render the page with the form.

    A stale form (ReportConflict) re-renders with 409, the officer's input kept and the hidden
    version moved to the current one: they read the fresh page, then decide to send it again.
    """
    if not form.is_valid():
        return _report_page(request, report, bound={key: form}, status=400)
    try:
        call(form.cleaned_data)
    except actions.ReportConflict as exc:
        fresh = _load_report(report.tracking_number)
        data = form.data.copy()
        data[form.add_prefix("version")] = str(fresh.version)
        form.data = data
        form.add_error(None, exc.message)
        return _report_page(request, fresh, bound={key: form}, status=409)
    except actions.ReportError as exc:
        _add_error(form, exc)
        fresh = _load_report(report.tracking_number)
        return _report_page(request, fresh, bound={key: form}, status=400)
    messages.success(request, success)
    wb_actions.release_claim(report=report, actor=request.user)  # acted on: free for colleagues
    came_from = _queue_from(request.POST.get(CAME_FROM_PARAM))
    # Only a move that ends the officer's part goes on to the next report; after a note, a start
    # or a progress update they are still working on this one.
    following = _next_in_queue(request.user, came_from, report) if came_from and advance else None
    if following is not None:
        query = urlencode({CAME_FROM_PARAM: came_from.url, PREVIOUS_PARAM: report.tracking_number})
        return redirect(reverse("workbench:report", args=[following.tracking_number]) + "?" + query)
    fresh = Report.objects.select_related("verifying_agency").get(pk=report.pk)
    if access.can_view_report_internal(request.user, fresh):
        return redirect("workbench:report", tracking_number=report.tracking_number)
    if came_from is not None:
        return redirect(came_from.url)
    return redirect("workbench:index")


# "Next in queue": the report page remembers the queue page it was opened from (?dari=…), every
# action form sends it back, and after the action the officer lands on the next report of that
# queue with the same filters (?sebelumnya=… offers the way back for a moment).
CAME_FROM_PARAM = "dari"
PREVIOUS_PARAM = "sebelumnya"


@dataclass
class CameFrom:
    url: str
    slug: str
    query: QueryDict


def _queue_from(value):
    """The queue page an officer came from, when `value` is one (anything else is ignored)."""
    path, _sep, query = (value or "").partition("?")
    try:
        match = resolve(path)
    except Http404:
        return None
    if match.view_name != "workbench:queue" or match.kwargs.get("slug") not in QUEUES_BY_SLUG:
        return None
    return CameFrom(url=value, slug=match.kwargs["slug"], query=QueryDict(query))


def _next_in_queue(user, came_from, current, now=None, *, after_current=False):
    """The first report of that queue page (same filters) other than `current` and not held by a
    colleague; None when the queue is done. With `after_current` (browsing, nothing done), the
    first such report below `current` when `current` is on the page."""
    now = now or timezone.now()
    queue = QUEUES_BY_SLUG[came_from.slug]
    base = queue.base(user, now)
    if base is None:
        return None
    filters = wf.QueueFilterForm(came_from.query or None, user=user)
    page = paginate(
        queue.streams(filters.apply(base, of_dispositions=queue.of_dispositions), user),
        load=loader(queue),
        after=None,
        before=None,
    )
    reports = [obj.report if queue.of_dispositions else obj for obj in page.rows]
    if after_current:
        position = next((i for i, r in enumerate(reports) if r.pk == current.pk), None)
        if position is not None:
            reports = reports[position + 1 :]
    claims = wb_actions.active_claims(reports, now=now)
    for candidate in reports:
        claim = claims.get(candidate.pk)
        if candidate.pk != current.pk and (claim is None or claim.user_id == user.pk):
            return candidate
    return None


def _verifier_report(request, tracking_number):
    report = _get_report(request, tracking_number)
    access.require(
        access.can_verify(request.user, report), _("Hanya verifikator laporan ini yang dapat melakukannya.")
    )
    return report


@workbench_view
@require_POST
def verify_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.VerifyForm(
        request.POST,
        prefix="verify",
        agency_options=_dispose_options(request.user, report, *_proposals(report)),
    )

    def call(data):
        common = dict(
            report=report,
            actor=request.user,
            classification=data["classification"],
            category=data["category"],
            title=data["title"],
            is_anonymous=data["is_anonymous"],
            is_confidential=data["is_confidential"],
            expected_version=data["version"],
        )
        if data["then"] == wf.VerifyForm.THEN_DISPOSE:
            wb_actions.verify_and_dispose(
                **common, agencies=data["agencies"], instruction=data["instruction"]
            )
        else:
            actions.verify_report(**common)

    dispose = request.POST.get("verify-then") == wf.VerifyForm.THEN_DISPOSE
    return _perform(
        request,
        report,
        "verify",
        form,
        call,
        _("Laporan diverifikasi dan didisposisikan.") if dispose else _("Laporan diverifikasi."),
        advance=dispose,
    )


@workbench_view
@require_POST
def request_information_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.RequestInformationForm(request.POST, prefix="request")
    return _perform(
        request,
        report,
        "request",
        form,
        lambda data: actions.request_information(
            report=report, actor=request.user, message=data["message"], expected_version=data["version"]
        ),
        _("Permintaan kelengkapan informasi dikirim ke pelapor."),
    )


@workbench_view
@require_POST
def archive_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.ArchiveForm(request.POST, prefix="archive")
    return _perform(
        request,
        report,
        "archive",
        form,
        lambda data: actions.archive_report(
            report=report,
            actor=request.user,
            reason=data["reason"],
            note=data["note"],
            expected_version=data["version"],
        ),
        _("Laporan diarsipkan."),
    )


@workbench_view
@require_POST
def dispose_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.DisposeForm(
        request.POST,
        prefix="dispose",
        agency_options=_dispose_options(request.user, report, *_proposals(report)),
    )
    return _perform(
        request,
        report,
        "dispose",
        form,
        lambda data: federated.dispose_report(
            report=report,
            actor=request.user,
            agencies=data["agencies"],
            instruction=data["instruction"],
            expected_version=data["version"],
        ),
        _("Laporan didisposisikan."),
    )


@workbench_view
@require_POST
def close_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.CloseForm(request.POST, prefix="close")
    return _perform(
        request,
        report,
        "close",
        form,
        lambda data: federated.close_report(
            report=report, actor=request.user, note=data["note"], expected_version=data["version"]
        ),
        _("Laporan ditutup."),
    )


@workbench_view
@require_POST
def return_origin_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.ReturnToOriginForm(request.POST, prefix="return_origin")
    return _perform(
        request,
        report,
        "return_origin",
        form,
        lambda data: federated.return_to_origin(
            report=report, actor=request.user, reason=data["reason"], expected_version=data["version"]
        ),
        _("Laporan dikembalikan ke instans asal."),
    )


@workbench_view
@require_POST
def send_lapor_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.SendToLaporForm(request.POST, prefix="lapor")
    return _perform(
        request,
        report,
        "lapor",
        form,
        lambda data: federated.send_to_lapor(report=report, actor=request.user),
        _("Laporan diantrekan untuk dikirim ke SP4N-LAPOR!."),
        advance=False,
    )


@workbench_view
@require_POST
def duplicate_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.DuplicateForm(request.POST, prefix="duplicate")

    def call(data):
        original = actions.find_original(number=data["original"], actor=request.user)
        actions.mark_duplicate(
            report=report,
            original=original,
            actor=request.user,
            note=data["note"],
            expected_version=data["version"],
        )
        merged.append(original)

    merged = []
    done = _(
        "Laporan #%(number)s ditandai sebagai duplikat; dapat dibatalkan dari halamannya selama %(n)d menit."
    ) % {
        "number": report.tracking_number,
        "n": settings.WORKBENCH_UNMERGE_MINUTES,
    }
    response = _perform(request, report, "duplicate", form, call, done)
    # Merged from the original's page ("Laporan serupa" offers a newer report as the duplicate of
    # the one being read): go back to that page, not to the report just archived.
    if merged and request.POST.get("kembali") == "asal":
        return redirect("workbench:report", tracking_number=merged[0].tracking_number)
    return response


@workbench_view
@require_POST
def note_view(request, tracking_number):
    report = _get_report(request, tracking_number)
    access.require(access.can_add_note(request.user, report))
    form = wf.NoteForm(request.POST, prefix="note")
    return _perform(
        request,
        report,
        "note",
        form,
        lambda data: actions.add_note(report=report, actor=request.user, text=data["text"]),
        _("Catatan ditambahkan."),
        advance=False,
    )


@workbench_view
@require_GET
def merge_confirm_view(request, tracking_number, original):
    """Both reports side by side before one is merged into the other (archived as its duplicate)."""
    report = _verifier_report(request, tracking_number)
    other = _get_report(request, original)
    may_see = access.can_see_identity(request.user, report)
    may_see_other = access.can_see_identity(request.user, other)
    context = {
        **_common(request, timezone.now()),
        "report": report,
        "original": other,
        "sides": [
            {
                "role": _("Diarsipkan sebagai duplikat"),
                "report": report,
                "title": text_for_viewer(report.title, may_see_identity=may_see),
                "description": text_for_viewer(report.description, may_see_identity=may_see),
            },
            {
                "role": _("Laporan asal (tetap berjalan)"),
                "report": other,
                "title": text_for_viewer(other.title, may_see_identity=may_see_other),
                "description": text_for_viewer(other.description, may_see_identity=may_see_other),
            },
        ],
        "back_to": request.GET.get("kembali") == "asal",
        "came_from": request.GET.get(CAME_FROM_PARAM, ""),
        "undo_minutes": settings.WORKBENCH_UNMERGE_MINUTES,
        "may_merge": lifecycle.may_mark_duplicate(report, request.user),
    }
    return render(request, "workbench/merge_confirm.html", context)


@workbench_view
@require_POST
def unmerge_view(request, tracking_number):
    report = _verifier_report(request, tracking_number)
    form = wf.UnmergeForm(request.POST, prefix="unmerge")
    return _perform(
        request,
        report,
        "unmerge",
        form,
        lambda data: actions.unmerge_report(
            report=report, actor=request.user, expected_version=data["version"]
        ),
        _("Penggabungan dibatalkan; laporan kembali ke antrean verifikasi."),
        advance=False,
    )


@workbench_view
@require_POST
def claim_view(request, tracking_number):
    report = _get_report(request, tracking_number)
    try:
        wb_actions.claim_report(report=report, actor=request.user)
    except actions.ReportError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Anda menangani laporan ini selama %(n)d menit; petugas lain melihatnya di antrean.")
            % {"n": settings.WORKBENCH_CLAIM_MINUTES},
        )
    return _back_to_report(request, report)


@workbench_view
@require_POST
def release_view(request, tracking_number):
    report = _get_report(request, tracking_number)
    if wb_actions.release_claim(report=report, actor=request.user):
        messages.success(request, _("Laporan dilepas; petugas lain dapat menanganinya."))
    return _back_to_report(request, report)


def _back_to_report(request, report):
    url = reverse("workbench:report", args=[report.tracking_number])
    came_from = _queue_from(request.POST.get(CAME_FROM_PARAM))
    return redirect(url + ("?" + urlencode({CAME_FROM_PARAM: came_from.url}) if came_from else ""))


# --- Actions on a disposition ------------------------------------------------------------------------


@workbench_view
@require_POST
def assign_liaison_view(request, pk):
    report, disposition = _get_disposition(request, pk)
    access.require(access.can_assign_liaison(request.user, disposition))
    key = f"d{pk}-assign"
    form = wf.AssignLiaisonForm(request.POST, prefix=key, liaisons=wf.eligible_liaisons(disposition.agency))
    return _perform(
        request,
        report,
        key,
        form,
        lambda data: actions.assign_liaison(
            disposition=disposition,
            actor=request.user,
            liaison=data["liaison"],
            expected_version=data["version"],
        ),
        _("Penghubung ditetapkan."),
    )


def _worker_disposition(request, pk):
    report, disposition = _get_disposition(request, pk)
    access.require(
        access.can_work_disposition(request.user, disposition),
        _("Hanya penghubung atau admin %(agency)s yang dapat menindaklanjuti disposisi ini.")
        % {"agency": disposition.agency.name},
    )
    return report, disposition


@workbench_view
@require_POST
def start_follow_up_view(request, pk):
    report, disposition = _worker_disposition(request, pk)
    key = f"d{pk}-start"
    return _perform(
        request,
        report,
        key,
        wf.StartFollowUpForm(request.POST, prefix=key),
        lambda data: federated.start_follow_up(
            disposition=disposition, actor=request.user, expected_version=data["version"]
        ),
        _("Tindak lanjut dimulai; laporan kini Sedang Diproses."),
        advance=False,
    )


@workbench_view
@require_POST
def follow_up_view(request, pk):
    report, disposition = _worker_disposition(request, pk)
    key = f"d{pk}-followup"
    form = wf.FollowUpForm(request.POST, request.FILES, prefix=key)
    return _perform(
        request,
        report,
        key,
        form,
        lambda data: federated.post_follow_up(
            disposition=disposition,
            actor=request.user,
            text=data["text"],
            attachments=data["attachments"],
            expected_version=data["version"],
        ),
        _("Tindak lanjut dikirim ke pelapor."),
    )


@workbench_view
@require_POST
def progress_view(request, pk):
    report, disposition = _worker_disposition(request, pk)
    key = f"d{pk}-progress"
    form = wf.ProgressForm(request.POST, prefix=key)
    return _perform(
        request,
        report,
        key,
        form,
        lambda data: actions.post_progress(
            disposition=disposition,
            actor=request.user,
            text=data["text"],
            expected_completion=data["expected_completion"],
            public=data["public"],
            expected_version=data["version"],
        ),
        _("Perkembangan dicatat; disposisi tetap berjalan sampai jawaban akhir dikirim."),
        advance=False,
    )


@workbench_view
@require_POST
def return_view(request, pk):
    report, disposition = _worker_disposition(request, pk)
    key = f"d{pk}-return"
    return _perform(
        request,
        report,
        key,
        wf.ReturnForm(request.POST, prefix=key),
        lambda data: actions.return_disposition(
            disposition=disposition,
            actor=request.user,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        _("Disposisi dikembalikan ke verifikator."),
    )


@workbench_view
@require_POST
def forward_view(request, pk):
    report, disposition = _worker_disposition(request, pk)
    key = f"d{pk}-forward"
    form = wf.ForwardForm(request.POST, prefix=key, agency_options=_forward_options(report))
    return _perform(
        request,
        report,
        key,
        form,
        lambda data: federated.forward_disposition(
            disposition=disposition,
            actor=request.user,
            agency=data["agency"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        _("Disposisi dilimpahkan."),
    )


# --- Entering a report for a citizen -----------------------------------------------------------------


@workbench_view
@require_POST
def enter_report_suggest(request):
    """Category suggestions for the officer writing down a citizen's report (suggest.js)."""
    access.require(bool(access.scopes_for(request.user, Action.ENTER_REPORT)))
    text = request.POST.get("teks", "")[:10000]
    code = request.POST.get("wilayah", "").strip()
    region = code if re.fullmatch(r"[0-9.]{1,20}", code) else None
    choices = (
        triage.suggest_categories(text, region=region, channel=Channel.OFFICER) if len(text) >= 40 else []
    )
    return JsonResponse({"categories": [choice.hint() for choice in choices]})


@workbench_view
def enter_report_view(request):
    user = request.user
    access.require(
        bool(access.scopes_for(user, Action.ENTER_REPORT)),
        _("Hanya admin instansi yang dapat mencatat laporan atas nama warga."),
    )
    now = timezone.now()
    form = wf.EnterReportForm(request.POST or None, request.FILES or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = NewReport.from_data(data, channel=Channel.OFFICER)
                report = actions.submit_report(new=new, actor=user)
            except actions.ReportError as exc:
                _add_error(form, exc)
            else:
                code = report.access_code  # only the new instance knows it: the table holds a hash
                report = Report.objects.select_related("verifying_agency").get(pk=report.pk)
                context = {
                    **_common(request, now),
                    "report": report,
                    "access_code": code,
                    "may_open": access.can_view_report_internal(user, report),
                }
                # The access code is shown once, here, for the officer to give to the citizen.
                return render(request, "workbench/entered.html", context)
        status = 400
    context = {**_common(request, now), "form": form}
    return render(request, "workbench/enter_report.html", context, status=status)


# --- Response templates ------------------------------------------------------------------------------


def _manageable_templates(user):
    scopes = access.scopes_for(user, Action.MANAGE_TEMPLATES)
    qs = ResponseTemplate.objects.select_related("agency").order_by("agency__path", "name", "pk")
    if None in scopes:
        return qs
    return qs.filter(agency_id__in=wf.scope_agencies(user, Action.MANAGE_TEMPLATES).values("pk"))


@workbench_view
def templates_view(request, pk=None):
    user = request.user
    access.require(
        bool(access.scopes_for(user, Action.MANAGE_TEMPLATES)),
        _("Hanya admin instansi yang dapat mengelola templat jawaban."),
    )
    template = get_object_or_404(_manageable_templates(user), pk=pk) if pk else None
    initial = wf.ResponseTemplateForm.initial_for(template) if template else None
    form = wf.ResponseTemplateForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = wb_actions.save_response_template(
                    actor=user,
                    template=template,
                    agency=data["agency"],
                    name=data["name"],
                    purpose=data["purpose"],
                    body=data["body"],
                    is_active=data["is_active"],
                )
            except actions.ReportError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, _("Templat “%(name)s” disimpan.") % {"name": saved.name})
                return redirect("workbench:templates")
        status = 400
    context = {
        **_common(request, timezone.now()),
        "form": form,
        "template": template,
        "templates": list(_manageable_templates(user)),
    }
    return render(request, "workbench/templates.html", context, status=status)
