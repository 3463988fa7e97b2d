"""The citizen portal: home, submit, track and answer, my reports, public reports.

Views parse input, ask accounts.access, call one action, and render. Pages where a citizen
submits or reads work without JavaScript; portal.js only makes them nicer.
"""

import datetime as dt
import functools
import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jembatan.accounts import access, throttle
from jembatan.accounts.guards import guarded
from jembatan.accounts.throttle import client_ip
from jembatan.directory.models import Agency, Region, prefix_q
from jembatan.federation import actions as federated
from jembatan.observability import cached_or_computed
from jembatan.portal import actions as portal_actions
from jembatan.portal import limits, presenters, voices
from jembatan.portal.forms import (
    REGION_LEVELS,
    AccessCodeForm,
    CloseForm,
    CompleteInformationForm,
    PublicFilterForm,
    RateForm,
    ReopenForm,
    ReplyForm,
    SubmitForm,
    TrackForm,
    new_token,
    region_label,
    region_labels,
    search_regions,
)
from jembatan.portal.models import SubmissionToken
from jembatan.reports import actions, lifecycle, publication, thumbnails
from jembatan.reports.actions import MIN_DESCRIPTION_LENGTH
from jembatan.reports.models import (
    CLOSED_STATUSES,
    Attachment,
    Channel,
    Disposition,
    Report,
    Visibility,
)
from jembatan.reports.search import search_reports
from jembatan.reports.submission import NewReport
from jembatan.triage import services as triage
from jembatan.triage.services import find_duplicates

PAGE_SIZE = 20
SESSION_CODES = "portal_access_codes"  # tracking number -> access code the visitor proved
SESSION_NEW_CODE = "portal_new_access_code"  # shown once on the "terkirim" page
CONFIRM_FIELD = "tetap_kirim"  # "1": the citizen saw the similar reports and sends anyway
SIMILAR_LIMIT = 5
SIMILAR_MAX_TEXT = 10000  # the description's own cap
SIMILAR_MAX_REGION = 20  # longer than any Kemendagri code ("13.71.01.1001")


# PermissionDenied becomes the 403 page in the visitor's language.
portal_errors = guarded()


# --- Home --------------------------------------------------------------------------------------------


def home(request):
    ids = list(Report.objects.public().order_by("-submitted_at", "-pk").values_list("pk", flat=True)[:5])
    rows = Report.objects.select_related("category", "region").in_bulk(ids)
    recent = [rows[pk] for pk in ids if pk in rows]
    return render(
        request,
        "portal/home.html",
        {"recent": recent, "numbers": _month_numbers(), "track_form": TrackForm()},
    )


def _month_numbers():
    # Two counts over the whole table (no index on answered_at): a few hundred milliseconds on
    # 100,000 reports, for numbers that may well be five minutes old on the home page.
    key = "portal:month-numbers:" + timezone.localtime().strftime("%Y-%m")
    return cached_or_computed(key, presenters.month_numbers, 300)


# --- Submit ------------------------------------------------------------------------------------------


def _initial_from(data):
    """A step of the region picker re-renders the form unbound with what was typed, no errors yet."""
    initial = {}
    for name in SubmitForm.base_fields:
        if name == "attachments":
            continue
        value = data.get(name)
        if value is not None:
            initial[name] = value
    for name, *_rest in REGION_LEVELS:
        initial[name] = data.get(name, "")
    for flag in ("is_anonymous", "is_confidential", "ombudsman_consent"):
        initial[flag] = flag in data
    return initial


def _region_step(request, data):
    """Handle the no-JavaScript region picker buttons; returns the initial values to re-render."""
    step = data.get("step")
    initial = _initial_from(data)
    results = None
    if step == "region_pick" and data.get("region_pick"):
        region = Region.objects.filter(code=data["region_pick"]).first()
        if region is not None:
            for (name, *_rest), code in zip(REGION_LEVELS, region.ancestor_codes, strict=False):
                initial[name] = code
            for name, *_rest in REGION_LEVELS[len(region.ancestor_codes) :]:
                initial[name] = ""
    elif step == "region_search":
        results = search_regions(data.get("region_q", ""))
    return initial, results


@portal_errors
@never_cache
def submit(request):
    user = request.user
    results = None
    confirmed = request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "1"
    render_submit = functools.partial(_render_submit, confirmed=confirmed)
    if request.method == "POST" and request.POST.get("step"):
        initial, results = _region_step(request, request.POST)
        form = SubmitForm(initial=initial, user=user)
        if request.FILES:
            messages.warning(
                request, _("Lampiran belum tersimpan: pilih ulang berkas Anda sebelum mengirim.")
            )
    elif request.method == "POST":
        form = SubmitForm(request.POST, request.FILES, user=user)
        ip = client_ip(request)
        first = _report_for_token(request.POST.get("token"))
        if first is not None:
            # A repeat of a form that already created its report (double click, refresh, retry).
            return redirect("portal:submitted", number=first.tracking_number)
        if limits.submission_throttled(user=user, ip_address=ip):
            form.is_valid()
            form.add_error(
                None,
                _("Terlalu banyak laporan dikirim dalam satu jam terakhir. Coba lagi nanti."),
            )
            return render_submit(request, form, results, status=429)
        if form.is_valid():
            d = form.cleaned_data
            similar = []
            # The look-up counts against the same per-address limit as portal.js's; past it the
            # report is simply sent (the prompt is a courtesy, the lookup costs the server).
            if not confirmed and not limits.similar_lookup_throttled(ip_address=ip):
                if ip:
                    limits.count_similar_lookup(ip_address=ip)
                similar = similar_public_reports(d["description"], d["region"])
            if similar:
                # "Laporan serupa sudah ada: dukung saja?" Nothing is saved and the token stays
                # unclaimed, so "Tetap kirim" (same token) still creates exactly one report.
                lost_files = len(request.FILES.getlist("attachments"))
                return _render_submit(
                    request, form, results, confirmed=True, similar=similar, lost_files=lost_files
                )
            new = NewReport.from_data(d, channel=Channel.WEB)
            if not form.is_guest:  # an account holder is reached through their account
                new = new.replace(reporter_name="", reporter_email="", reporter_phone="")
            try:
                report, created = portal_actions.submit_report_once(
                    token=d["token"], ip_address=ip, actor=user, new=new
                )
            except actions.ReportError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if created and (report.reporter_id is None or report.is_confidential):
                    # A guest needs the code to act as reporter; a confidential report to be opened.
                    request.session[SESSION_NEW_CODE] = {report.tracking_number: report.access_code}
                    _remember_code(request, report.tracking_number, report.access_code)
                return redirect("portal:submitted", number=report.tracking_number)
        if form.has_error("attachments") or request.FILES:
            messages.error(
                request, _("Isian Anda tetap tersimpan di formulir ini, tetapi lampiran perlu dipilih ulang.")
            )
        return render_submit(request, form, results, status=400)
    else:
        form = SubmitForm(initial={"token": new_token()}, user=user)
    return render_submit(request, form, results)


def _report_for_token(token):
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    claim = SubmissionToken.objects.filter(token=token, report__isnull=False).select_related("report").first()
    return claim.report if claim else None


def _render_submit(request, form, results, status=200, confirmed=False, similar=None, lost_files=0):
    context = {
        "confirmed": confirmed,
        "similar": similar or [],
        "lost_files": lost_files,
        "form": form,
        "region_levels": form.chain.choices(),
        "region_chain_label": region_label(form.chain.region) if form.chain.region else "",
        "region_results": results,
        "region_result_labels": region_labels(results) if results else {},
        "region_query": (form.data if form.is_bound else form.initial).get("region_q", ""),
        **voices.nearby_context(form, with_text=_nearby_text_allowed(request)),
    }
    return render(request, "portal/submit.html", context, status=status)


def _nearby_text_allowed(request):
    """The "Lihat laporan di sekitar" step may look the words up too, within the look-up limit."""
    if request.method != "POST" or request.POST.get("step") != "nearby":
        return False
    ip = client_ip(request)
    if limits.similar_lookup_throttled(ip_address=ip):
        return False
    if ip:
        limits.count_similar_lookup(ip_address=ip)
    return True


def similar_public_reports(text, region):
    """Public reports that look like `text` sent in `region`, most similar first (at most 5).

    Only Report.objects.public(): never a confidential, unverified or archived report, whoever
    asks, so neither the submit page nor its JSON endpoint can be used to probe hidden texts. The
    description alone is compared: the duplicate index holds descriptions, and adding the title
    would only add word pairs the stored texts lack and push real duplicates under the threshold.
    The citizen is asked only from the higher threshold (TRIAGE_DUPLICATE_CITIZEN_PERCENT).
    """
    if region is None or len((text or "").strip()) < MIN_DESCRIPTION_LENGTH:
        return []
    public = Report.objects.public().select_related("region")
    found = find_duplicates(
        text=text, region=region, queryset=public, limit=SIMILAR_LIMIT, audience="citizen"
    )
    return [report for report, _score in found]


@require_POST
@never_cache
def similar(request):
    """The similar public reports for portal.js while the citizen types (POST: the text is long).

    Bad input is answered, never a 500: an unknown region or a short text finds nothing, an
    over-long text is a 400. Lookups per address are limited; a throttled page only loses the
    inline hint, since the submit view asks again before saving.
    """
    text = request.POST.get("teks", "")
    code = request.POST.get("wilayah", "").strip()
    if len(text) > SIMILAR_MAX_TEXT:
        message = _("Isi laporan terlalu panjang: paling banyak %(n)d karakter.") % {"n": SIMILAR_MAX_TEXT}
        return JsonResponse({"results": [], "html": "", "error": message}, status=400)
    # Only a code's characters reach the database (a NUL byte would make PostgreSQL raise).
    valid = 0 < len(code) <= SIMILAR_MAX_REGION and re.fullmatch(r"[0-9.]+", code)
    region = Region.objects.filter(code=code).first() if valid else None
    if region is None or len(text.strip()) < MIN_DESCRIPTION_LENGTH:
        return JsonResponse({"results": [], "html": ""})
    ip = client_ip(request)
    if limits.similar_lookup_throttled(ip_address=ip):
        message = _("Terlalu banyak pencarian laporan serupa. Coba lagi beberapa menit lagi.")
        return JsonResponse({"results": [], "html": "", "error": message}, status=429)
    if ip:
        limits.count_similar_lookup(ip_address=ip)
    reports = similar_public_reports(text, region)
    html = (
        render_to_string("portal/_similar_inline.html", {"similar": reports}, request=request)
        if reports
        else ""
    )
    return JsonResponse({"results": [presenters.similar_item(r) for r in reports], "html": html})


SUGGEST_MIN_TEXT = 40


@require_POST
def suggest_category(request):
    """Category suggestions for portal.js while the citizen types: the triage model's top
    categories (leaf categories a citizen can choose) with their percentages, from 10 % up.

    An empty list when there is no active model, the text is short or the input is bad; limited
    per address like the similar-report look-up. Only category names leave the server.
    """
    text = request.POST.get("teks", "")
    code = request.POST.get("wilayah", "").strip()
    if len(text) > SIMILAR_MAX_TEXT:
        message = _("Isi laporan terlalu panjang: paling banyak %(n)d karakter.") % {"n": SIMILAR_MAX_TEXT}
        return JsonResponse({"categories": [], "error": message}, status=400)
    if len(text.strip()) < SUGGEST_MIN_TEXT:
        return JsonResponse({"categories": []})
    ip = client_ip(request)
    if limits.similar_lookup_throttled(ip_address=ip, kind="suggest"):
        message = _("Terlalu banyak permintaan saran. Coba lagi beberapa menit lagi.")
        return JsonResponse({"categories": [], "error": message}, status=429)
    if ip:
        limits.count_similar_lookup(ip_address=ip, kind="suggest")
    valid = 0 < len(code) <= SIMILAR_MAX_REGION and re.fullmatch(r"[0-9.]+", code)
    choices = triage.suggest_categories(text, region=code if valid else None, channel=Channel.WEB)
    # A citizen gets a chip only when the model is fairly sure, in the model's order, and without
    # its percentage (a number the citizen cannot act on; officers still see it).
    sure = [choice for choice in choices if choice.percent >= CITIZEN_SUGGESTION_MIN_PERCENT]
    return JsonResponse({"categories": [{"id": c.pk, "name": c.item.name} for c in sure]})


CITIZEN_SUGGESTION_MIN_PERCENT = 30


@never_cache
def submitted(request, number):
    report = get_object_or_404(Report, tracking_number=number)
    codes = request.session.get(SESSION_NEW_CODE) or {}
    shown_code = codes.get(number)
    session_code = _session_code(request, number)
    if shown_code is None and not (
        access.is_reporter(request.user, report) or access.holds_access_code(report, session_code)
    ):
        raise Http404
    if shown_code is not None:
        # Shown once: a reload of this page no longer carries the access code.
        request.session[SESSION_NEW_CODE] = {}
    context = {
        "report": report,
        "access_code": shown_code,
        # A summary of what was sent, for the reporter to check (they typed it a moment ago).
        "region_label": region_label(report.region) if report.region_id else "",
        "attachment_count": report.attachments.count(),
    }
    return render(request, "portal/submitted.html", context)


# --- Track -------------------------------------------------------------------------------------------


def _session_code(request, number):
    return (request.session.get(SESSION_CODES) or {}).get(number)


def _remember_code(request, number, code):
    codes = dict(request.session.get(SESSION_CODES) or {})
    codes[number] = code
    request.session[SESSION_CODES] = codes


def _may_track(user, report, code):
    return access.can_track_report(user, report, access_code=code)


def _is_reporter_here(request, report):
    """Is the visitor the reporter: logged in as them, or a guest who proved the access code?"""
    return access.acts_as_reporter(request.user, report, _session_code(request, report.tracking_number))


def track_lookup(request):
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        number = form.cleaned_data["nomor"]
        if Report.objects.filter(tracking_number=number).exists():
            return redirect("portal:track", number=number)
        form.add_error("nomor", _("Laporan dengan nomor ini tidak ditemukan. Periksa kembali nomornya."))
    return render(request, "portal/track_lookup.html", {"form": form}, status=404 if form.errors else 200)


def _report_or_404(number):
    return get_object_or_404(
        Report.objects.select_related("category", "region", "reporter", "target_agency"),
        tracking_number=number,
    )


@portal_errors
@never_cache
def track(request, number, forms=None, status=200):
    report = _report_or_404(number)
    code = _session_code(request, number)
    if not _may_track(request.user, report, code):
        return render(
            request, "portal/track_code.html", {"report_number": number, "form": AccessCodeForm()}, status=200
        )
    is_reporter = _is_reporter_here(request, report)
    forms = forms or {}

    def offered(key, rule):
        # A form sent back with an error stays on the page even if its move is no longer legal.
        return is_reporter and (key in forms or bool(rule(report, reporter=True)))

    context = {
        "report": report,
        "is_reporter": is_reporter,
        "status_plain": presenters.status_plain(report),
        "status_tone": presenters.status_tone(report.status),
        "deadline": presenters.deadline(report),
        "agencies": presenters.handling_agencies(report),
        "timeline": presenters.timeline(report, for_reporter=is_reporter),
        "region_label": region_label(report.region) if report.region_id else "",
        "description": report.description if is_reporter else report.public("description"),
        "public_name": presenters.public_name(report),
        "can_reply": offered("reply", lifecycle.may_reply),
        "can_complete": offered("complete", lifecycle.may_complete),
        "can_rate": offered("rate", lifecycle.may_rate),
        "can_close": offered("close", lifecycle.may_close_as_reporter),
        "can_reopen": offered("reopen", lifecycle.may_reopen),
        "needs_login": bool(report.reporter_id) and not is_reporter,
        "reply_form": forms.get("reply") or ReplyForm(initial={"version": report.version}),
        "complete_form": forms.get("complete")
        or CompleteInformationForm(initial={"version": report.version}),
        "rate_form": forms.get("rate") or RateForm(),
        "close_form": forms.get("close") or CloseForm(initial={"version": report.version}),
        "reopen_form": forms.get("reopen") or ReopenForm(),
        **voices.merged_context(report),
    }
    return render(request, "portal/track.html", context, status=status)


@require_POST
def track_code(request, number):
    report = _report_or_404(number)
    form = AccessCodeForm(request.POST)
    ip = client_ip(request)
    if form.is_valid():
        code = form.cleaned_data["kode"].strip().upper()
        matches, refused = throttle.try_access_code(report=report, code=code, ip_address=ip)
        if refused:
            form.add_error(
                "kode",
                _("Terlalu banyak percobaan kode akses. Coba lagi %(seconds)d detik lagi.")
                % {"seconds": refused.retry_after},
            )
            response = render(
                request, "portal/track_code.html", {"report_number": number, "form": form}, status=429
            )
            response["Retry-After"] = str(refused.retry_after)
            response._has_been_logged = True  # expected, possibly many: no WARNING line each
            return response
        if matches:
            _remember_code(request, number, code)
            return redirect("portal:track", number=number)
        form.add_error("kode", _("Kode akses tidak cocok dengan nomor pelacakan ini."))
    return render(request, "portal/track_code.html", {"report_number": number, "form": form}, status=400)


def _reporter_action(form_class, form_key):
    """A POST on the track page by the reporter: validate, call the action, show errors in place."""

    def decorator(call):
        @functools.wraps(call)
        @require_POST
        @portal_errors
        def view(request, number):
            report = _report_or_404(number)
            code = _session_code(request, number)
            if not _may_track(request.user, report, code):
                raise Http404
            if not _is_reporter_here(request, report):
                raise PermissionDenied(_("Hanya pelapor yang dapat melakukan tindakan ini."))
            form = form_class(request.POST, request.FILES)
            if form.is_valid():
                actor = request.user if request.user.is_authenticated else None
                try:
                    message = call(
                        actor, report, form.cleaned_data, code if report.reporter_id is None else None
                    )
                except actions.ReportError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(request, message)
                    # The confirmation is the first thing on the screen (and focused): the anchor
                    # is the message list itself, not the status below it.
                    return redirect(reverse("portal:track", args=[number]) + "#pesan")
            return track(request, number, forms={form_key: form}, status=400)

        return view

    return decorator


@_reporter_action(ReplyForm, "reply")
def reply(actor, report, data, code):
    federated.reply_as_reporter(
        report=report,
        actor=actor,
        text=data["text"],
        attachments=data["attachments"],
        access_code=code,
        expected_version=data.get("version"),
    )
    return _("Tanggapan Anda sudah terkirim.")


@_reporter_action(CompleteInformationForm, "complete")
def complete(actor, report, data, code):
    actions.complete_information(
        report=report,
        actor=actor,
        text=data["text"],
        attachments=data["attachments"],
        access_code=code,
        expected_version=data.get("version"),
    )
    return _("Terima kasih. Keterangan tambahan sudah terkirim dan laporan kembali diverifikasi.")


@_reporter_action(RateForm, "rate")
def rate(actor, report, data, code):
    federated.rate_report(
        report=report, actor=actor, rating=data["rating"], comment=data["comment"], access_code=code
    )
    return _("Terima kasih atas penilaian Anda.")


@_reporter_action(CloseForm, "close")
def close(actor, report, data, code):
    federated.close_report(
        report=report, actor=actor, note=data["note"], access_code=code, expected_version=data.get("version")
    )
    return _("Laporan sudah ditutup. Terima kasih.")


@_reporter_action(ReopenForm, "reopen")
def reopen(actor, report, data, code):
    actions.reopen_report(report=report, actor=actor, reason=data["reason"], access_code=code)
    return _("Laporan dibuka kembali dan diteruskan lagi kepada petugas.")


@portal_errors
def _readable_attachment(request, pk):
    """The attachment, when this visitor may read it (else 404: its existence is not confirmed)."""
    item = get_object_or_404(Attachment.objects.select_related("report"), pk=pk)
    report = item.report
    code = _session_code(request, report.tracking_number)
    if not _may_track(request.user, report, code):
        raise Http404
    allowed = (
        item.visibility == Visibility.PUBLIC
        or _is_reporter_here(request, report)
        or access.can_view_report_internal(request.user, report)
    )
    if not allowed:
        raise Http404
    return item


def attachment(request, pk):
    """Serve an attachment to whoever may read it; never a public URL to the file itself."""
    item = _readable_attachment(request, pk)
    response = FileResponse(
        item.file.open("rb"),
        content_type=item.content_type,
        as_attachment=item.content_type == "application/pdf",
        filename=item.original_name,
    )
    # The bytes were checked and images re-encoded, but still never let a file run as a page.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_GET
def attachment_thumbnail(request, pk):
    """A small copy of an image attachment, for the same readers as the file itself."""
    data = thumbnails.thumbnail(_readable_attachment(request, pk))
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- My reports --------------------------------------------------------------------------------------


@login_required
def my_reports(request):
    """The citizen's reports, those waiting on them first (with what they are asked to do)."""
    waiting = Q(status__in=presenters.AWAITING_REPORTER_STATUSES)
    reports = (
        request.user.reports.select_related("category")
        .annotate(waits=Case(When(waiting, then=Value(0)), default=Value(1)))
        .order_by("waits", "-submitted_at", "-pk")
    )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("halaman"))
    rows = [(report, presenters.awaiting_reporter(report)) for report in page.object_list]
    awaiting = request.user.reports.filter(waiting).count()
    return render(request, "portal/my_reports.html", {"page": page, "rows": rows, "awaiting": awaiting})


# --- Public reports ----------------------------------------------------------------------------------


def filtered_public_reports(data):
    """The public reports matching the filter form `data`; returns (form, queryset)."""
    form = PublicFilterForm(data)
    reports = Report.objects.public()
    if not form.is_valid():
        # Say what is wrong (next to the field) and list nothing, rather than everything.
        return form, reports.none()
    f = form.cleaned_data
    if f["q"]:
        reports = search_reports(reports, f["q"], public=True)
    if f["kategori"]:
        reports = reports.filter(Q(category_id=f["kategori"]) | Q(category__parent_id=f["kategori"]))
    if f["wilayah"]:
        code = f["wilayah"]
        reports = reports.filter(Q(region_id=code) | prefix_q(reports, "region__code", code + "."))
    if f["instansi"]:
        agency = Agency.objects.filter(pk=f["instansi"]).first()
        if agency is not None:
            # A subquery, not a join: a report disposed to two offices of the agency counts once.
            dispositions = Disposition.objects.all()
            dispositions = dispositions.filter(prefix_q(dispositions, "agency__path", agency.path))
            reports = reports.filter(pk__in=dispositions.values("report_id"))
    if f["status"] == "ditutup":
        reports = reports.filter(status__in=CLOSED_STATUSES)
    elif f["status"]:
        reports = reports.filter(status=f["status"])
    tz = timezone.get_current_timezone()
    if f["dari"]:
        reports = reports.filter(submitted_at__gte=timezone.make_aware(_start_of(f["dari"]), tz))
    if f["sampai"]:
        reports = reports.filter(
            submitted_at__lt=timezone.make_aware(_start_of(f["sampai"]), tz) + dt.timedelta(days=1)
        )
    if f["urut"] == "dukungan":
        reports = reports.order_by("-support_count", "-submitted_at", "-pk")
    else:
        reports = reports.order_by("-submitted_at", "-pk")
    return form, reports


def _start_of(day):
    return dt.datetime.combine(day, dt.time.min)


# The public list says "more than 1,000" rather than counting every public report on every view:
# at 1,000,000 reports the exact count (700,000 rows) took 340-430 ms of a 630 ms page, and a
# search for a common word ("jalan") 2.2 s counting to 10,001 (each row's text is stemmed again),
# 0.35 s to 1,001 (bench/bench_scale.py, docs/scale.md). The workbench's counts stop at 999 too.
PUBLIC_COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` + 1 rows; past the cap `capped` is true."""

    cap = PUBLIC_COUNT_CAP

    @cached_property
    def count(self):
        return self.object_list.order_by()[: self.cap + 1].count()  # no ORDER BY: any cap + 1 rows

    @property
    def capped(self):
        return self.count > self.cap


def page_of_reports(reports, number, size=PAGE_SIZE, paginator=Paginator):
    """One page of `reports`, sorted and cut on their ids first, then only those rows read.

    Sorting the full rows (long texts included) of 70,000 public reports to keep 20 took 0.6 s on
    SQLite; sorting the ids alone is answered from the (is_confidential, status, submitted_at)
    index. See bench/bench_public_list.py.
    """
    page = paginator(reports.values_list("pk", flat=True), size).get_page(number)
    ids = list(page.object_list)
    rows = Report.objects.select_related("category", "region").in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def public_list(request):
    # The list itself (filters, rows, pages) reads nothing of the visitor: it is built once per
    # public data version (reports/publication.py) and set in the page, whose header, language
    # form and CSRF token are the visitor's own and rendered each time.
    lookup = None
    if publication.enabled():
        parts = (request.get_full_path(), publication.language(), timezone.get_current_timezone_name())
        lookup = publication.Lookup(publication.key("portal-list", *parts))
    body = lookup.hit if lookup is not None else None
    if body is None:
        body = _public_list_body(request.GET)
        if lookup is not None:
            lookup.store(str(body), size=len(body))
    return render(request, "portal/public_list.html", {"body": mark_safe(body)})  # noqa: S308 (our own render)


def _public_list_body(data):
    form, reports = filtered_public_reports(data)
    page = page_of_reports(reports, data.get("halaman"), paginator=CappedPaginator)
    query = data.copy()
    query.pop("halaman", None)
    return render_to_string(
        "portal/_public_list_body.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(v for k, v in data.items() if k != "halaman"),
        },
    )


def public_report(request, number, follow_form=None, status=200):
    user = request.user
    if follow_form is None and not user.is_authenticated and publication.enabled():
        # A visitor who is not signed in reads what everyone reads: the report's parts are built
        # once per public data version (reports/publication.py); the support and follow forms
        # (CSRF tokens) are the visitor's own and rendered each time.
        parts = (str(number), publication.language(), timezone.get_current_timezone_name())
        lookup = publication.Lookup(publication.key("portal-report", *parts))
        context = lookup.hit
        if context is None:
            context, valid_until = _public_report_parts(_public_report_or_404(number))
            lookup.store(context, valid_until=valid_until)
        context = {**context, "supported": False, "own": False, "following": False}
        context["follow_form"] = voices.FollowForm()
        return render(request, "portal/public_report.html", context, status=status)
    report = _public_report_or_404(number)
    context, _valid_until = _public_report_parts(report)
    context.update(
        {
            "supported": user.is_authenticated and report.supports.filter(user=user).exists(),
            "own": access.is_reporter(user, report),
            **voices.public_report_context(request, report, follow_form),
        }
    )
    return render(request, "portal/public_report.html", context, status=status)


def _public_report_or_404(number):
    report = _report_or_404(number)
    # 404, never 403: a confidential or unverified report must not even be confirmed to exist.
    if not report.is_public:
        raise Http404
    return report


def _public_report_parts(report):
    """(what the report page shows everyone, until when it is right: the deadline's "n working
    days left" changes at midnight, and "overdue" at the deadline)."""
    deadline = presenters.deadline(report)
    head = render_to_string(
        "portal/_report_head.html",
        {
            "report": report,
            "redacted": True,
            "status_plain": presenters.status_plain(report),
            "status_tone": presenters.status_tone(report.status),
            "deadline": deadline,
            "agencies": presenters.handling_agencies(report),
            "region_label": region_label(report.region) if report.region_id else "",
            "description": report.public("description"),
            "public_name": presenters.public_name(report),
        },
    )
    timeline = render_to_string(
        "portal/_timeline.html", {"timeline": presenters.timeline(report, for_reporter=False)}
    )
    valid_until = None
    if deadline is not None:
        now = timezone.localtime()
        midnight = timezone.make_aware(dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time.min))
        valid_until = min(midnight, max(deadline.due, now)).timestamp()
        if deadline.due <= now:
            valid_until = midnight.timestamp()  # overdue already: only the day count can change
    parts = {
        "report": {"tracking_number": report.tracking_number, "support_count": report.support_count},
        "title": report.public("title"),
        "head": head,
        "timeline_html": timeline,
        "voices": voices.voice_counts(report),
        "can_follow": bool(lifecycle.may_follow(report)),
    }
    return parts, valid_until


@require_POST
@portal_errors
def support(request, number):
    report = _report_or_404(number)
    if not report.is_public:
        raise Http404
    target = reverse("portal:report", args=[number])
    if not request.user.is_authenticated:
        return redirect_to_login(target)
    try:
        actions.support_report(report=report, actor=request.user)
    except actions.ReportError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Terima kasih, dukungan Anda sudah tercatat."))
    return redirect(target + "#dukung")


# --- Region picker (JSON for portal.js; the form works without it) ------------------------------------


@require_GET
def region_search(request):
    regions = search_regions(request.GET.get("q", ""))
    labels = region_labels(regions)
    return JsonResponse(
        {
            "results": [
                {
                    "code": r.code,
                    "name": r.name,
                    "level": r.level,
                    "label": labels[r.code],
                    "path": r.ancestor_codes,
                }
                for r in regions
            ]
        }
    )


@require_GET
def region_children(request, code):
    region = get_object_or_404(Region, code=code)
    children = region.children.order_by("name").values_list("code", "name")
    return JsonResponse({"code": region.code, "results": [{"code": c, "name": n} for c, n in children]})
