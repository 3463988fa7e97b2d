"""REST API v1 for citizens and the public: submit, track, reply, rate, close, my reports, search.

Each view parses (serializers), authorizes (accounts.access), calls one function in
reports/actions.py and renders. A guest acts on their report with its access code, sent in the
body (`access_code`) or the `X-Access-Code` header.
"""

from django.contrib.auth import authenticate
from django.db.models import Prefetch, Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from jembatan.accounts import access
from jembatan.accounts import actions as account_actions
from jembatan.accounts import throttle as login_throttle
from jembatan.api import actions as api_actions
from jembatan.api import presenters
from jembatan.api import serializers as s
from jembatan.api.decorators import api_endpoint
from jembatan.api.models import ApiKey, KeyKind
from jembatan.api.permissions import IsCitizenCaller
from jembatan.directory.models import Agency, Category
from jembatan.federation import actions as federated
from jembatan.reports import actions, publication
from jembatan.reports.models import ArchiveReason, Channel, Disposition, Report
from jembatan.reports.search import search_reports
from jembatan.reports.submission import NewReport

ACCESS_CODE_HEADER = "X-Access-Code"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        "Kunci unik per permintaan; pengulangan dengan kunci yang sama mengembalikan hasil pertama."
    ),
)
ACCESS_CODE_PARAMETER = OpenApiParameter(
    ACCESS_CODE_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_("Kode akses laporan, untuk pelapor tamu dan laporan rahasia."),
)
NUMBER_PARAMETER = OpenApiParameter("number", str, OpenApiParameter.PATH, description=_("Nomor pelacakan."))


def error_responses(*codes):
    return {code: OpenApiResponse(s.ErrorSerializer) for code in codes}


def actor_of(request):
    """The user acting, or None for a guest (actions record None, never AnonymousUser)."""
    return request.user if request.user.is_authenticated else None


def report_queryset():
    """One report with everything its detail shows."""
    return Report.objects.select_related(
        "category", "category__parent", "region", "reporter", "verifying_agency", "target_agency"
    ).prefetch_related(
        Prefetch("dispositions", queryset=Disposition.objects.select_related("agency", "liaison"))
    )


def summary_queryset():
    """Reports for a list: only what ReportSummarySerializer reads."""
    return Report.objects.select_related("category", "region")


def load_report(number):
    # get(), not first(): the tracking number is unique, and first() added an ORDER BY and LIMIT
    # to compile and run (about a millisecond of CPU per read of a report).
    try:
        return report_queryset().get(tracking_number=str(number))
    except Report.DoesNotExist:
        raise Http404 from None


def _as_received(report):
    """The report submit_report returned, ready for its detail serializer without reading it back.

    The action's instance holds every column it inserted and the category, region and agencies it
    was given; a report just received has no disposition yet (dispositions are made by a verifier,
    later), so none is looked up. Its timeline (the "submitted" entry) is read as for any report."""
    none = Disposition.objects.none()
    none._result_cache, none._prefetch_done = [], True  # as a prefetch leaves it: read without a query
    report._prefetched_objects_cache = {"dispositions": none}
    return report


def validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def paginate(request, queryset, serializer_class, query, context=None, present=None):
    """One page of `queryset`: {page, page_size, next, results}; no COUNT(*) on big tables.

    `present(rows)`: the items of a page of values() rows, instead of `serializer_class`."""
    page, size = query["page"], query["page_size"]
    rows = list(queryset[(page - 1) * size : page * size + 1])
    has_next = len(rows) > size
    url = request.build_absolute_uri()
    results = (
        present(rows[:size])
        if present
        else serializer_class(rows[:size], many=True, context=context or {}).data
    )
    return {
        "page": page,
        "page_size": size,
        "next": replace_query_param(url, "page", page + 1) if has_next else None,
        "results": results,
    }


def _summaries(reports, *, reporter_view=False):
    """(values() rows of `reports`, the function that presents a page of them)."""
    rows = reports.values(*s.SUMMARY_FIELDS)
    return rows, lambda page: s.summary_items(page, reporter_view=reporter_view)


def _access_code(request, report, data=None):
    """The access code the caller sent, checked under the portal's throttle (one shared count).

    A wrong code counts against (report, address); too many and the call is refused with 429
    before the code is compared."""
    code = ((data or {}).get("access_code") or request.headers.get(ACCESS_CODE_HEADER) or "").strip()
    if code:
        _matches, refused = login_throttle.try_access_code(
            report=report, code=code, ip_address=login_throttle.client_ip(request)
        )
        if refused:
            raise exceptions.Throttled(
                wait=refused.retry_after, detail=_("Terlalu banyak percobaan kode akses. Coba lagi nanti.")
            )
    return code


def _is_reporter_here(request, report, code):
    return access.acts_as_reporter(request.user, report, code)


def _trackable(request, report, code):
    """Like the portal's tracking page: the 9 random digits open a non-confidential report; a
    confidential one needs its reporter, its access code or staff in scope."""
    if access.can_track_report(actor_of(request), report, access_code=code):
        return
    raise exceptions.PermissionDenied(
        _("Laporan ini rahasia. Masuk sebagai pelapor atau sertakan kode aksesnya (X-Access-Code)."),
        code="access_code_required",
    )


def _track_response(request, report, code, status=200, *, fresh=False):
    """The report as tracked; loaded again unless `fresh` (an action may just have changed it)."""
    if not fresh:
        report = load_report(report.tracking_number)
    context = {"reporter_view": _is_reporter_here(request, report, code)}
    return Response(s.ReportDetailSerializer(report, context=context).data, status=status)


# --- Citizens ----------------------------------------------------------------------------------------


@extend_schema(
    operation_id="reports_submit",
    summary=_("Kirim laporan"),
    description=_(
        "Laporan baru dari warga. Tamu wajib mengisi e-mail atau nomor ponsel; jawaban memuat kode "
        "akses yang diperlukan tamu untuk menindaklanjuti laporannya."
    ),
    tags=["warga"],
    request={
        "multipart/form-data": s.SubmitReportSerializer,
        "application/json": s.SubmitReportSerializer,
    },
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.SubmittedReportSerializer, **error_responses(400, 401, 403, 422, 429)},
)
@api_endpoint(["POST"], permission=IsCitizenCaller)
def submit(request):
    data = validated(s.SubmitReportSerializer, request.data)
    new = NewReport.from_data(data, channel=Channel.API)
    report = actions.submit_report(new=new, actor=actor_of(request))
    code = report.access_code  # only this instance knows it: the stored form is a hash
    body = s.SubmittedReportSerializer(
        _as_received(report), context={"reporter_view": True, "access_code": code}
    ).data
    location = reverse("api:report", args=[report.tracking_number])
    return Response(body, status=201, headers={"Location": location})


def _public_track(request):
    """Whether this track reads what anyone holding the number reads (cacheable): a caller who is
    not signed in and sends no access code (either may make them the reporter, who sees more)."""
    return not request.user.is_authenticated and not request.headers.get(ACCESS_CODE_HEADER)


@extend_schema(
    operation_id="reports_track",
    summary=_("Lacak laporan"),
    tags=["warga"],
    parameters=[NUMBER_PARAMETER, ACCESS_CODE_PARAMETER],
    responses={200: s.ReportDetailSerializer, **error_responses(401, 403, 404, 429)},
)
@api_endpoint(["GET"])
def track(request, number):
    lookup = None
    if publication.enabled() and _public_track(request):
        lookup = publication.Lookup(publication.key("api-track", str(number), publication.language()))
        if lookup.hit is not None:
            return Response(lookup.hit)
    report = load_report(number)
    code = _access_code(request, report)
    _trackable(request, report, code)
    response = _track_response(request, report, code, fresh=True)
    # Only the public form of a report that needs no code: a confidential one is never kept (its
    # answer to a caller without a code is a 403, decided again on every request).
    if lookup is not None and not report.is_confidential and not response.data["is_reporter"]:
        lookup.store(response.data)
    return response


def _reporter_action(request, number, serializer_class):
    report = load_report(number)
    data = validated(serializer_class, request.data)
    code = _access_code(request, report, data)
    _trackable(request, report, code)
    if not _is_reporter_here(request, report, code):
        raise exceptions.PermissionDenied(_("Hanya pelapor yang dapat melakukan tindakan ini."))
    return report, data, code


@extend_schema(
    operation_id="reports_reply",
    summary=_("Balas sebagai pelapor"),
    description=_(
        "Balasan pelapor. Bila admin meminta kelengkapan informasi, balasan ini melengkapinya; bila "
        "laporan sudah ditindaklanjuti, balasan mengembalikannya ke instansi."
    ),
    tags=["warga"],
    request={"multipart/form-data": s.ReplySerializer, "application/json": s.ReplySerializer},
    parameters=[NUMBER_PARAMETER, ACCESS_CODE_PARAMETER, IDEMPOTENCY_PARAMETER],
    responses={200: s.ReportDetailSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
)
@api_endpoint(["POST"], permission=IsCitizenCaller)
def reply(request, number):
    report, data, code = _reporter_action(request, number, s.ReplySerializer)
    report = federated.reply_as_reporter(
        report=report,
        actor=actor_of(request),
        text=data["text"],
        attachments=data.get("attachments", []),
        access_code=code,
        expected_version=data.get("expected_version"),
    )
    return _track_response(request, report, code)


@extend_schema(
    operation_id="reports_rate",
    summary=_("Nilai tindak lanjut"),
    tags=["warga"],
    request=s.RateSerializer,
    parameters=[NUMBER_PARAMETER, ACCESS_CODE_PARAMETER, IDEMPOTENCY_PARAMETER],
    responses={200: s.ReportDetailSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
)
@api_endpoint(["POST"], permission=IsCitizenCaller)
def rate(request, number):
    report, data, code = _reporter_action(request, number, s.RateSerializer)
    report = federated.rate_report(
        report=report,
        actor=actor_of(request),
        rating=data["rating"],
        comment=data.get("comment", ""),
        access_code=code,
    )
    return _track_response(request, report, code)


@extend_schema(
    operation_id="reports_close",
    summary=_("Tutup laporan (pelapor puas)"),
    tags=["warga"],
    request=s.ReporterCloseSerializer,
    parameters=[NUMBER_PARAMETER, ACCESS_CODE_PARAMETER, IDEMPOTENCY_PARAMETER],
    responses={200: s.ReportDetailSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
)
@api_endpoint(["POST"], permission=IsCitizenCaller)
def close(request, number):
    report, data, code = _reporter_action(request, number, s.ReporterCloseSerializer)
    report = federated.close_report(
        report=report,
        actor=actor_of(request),
        note=data.get("note", ""),
        access_code=code,
        expected_version=data.get("expected_version"),
    )
    return _track_response(request, report, code)


@extend_schema(
    operation_id="me_reports",
    summary=_("Laporan saya"),
    tags=["warga"],
    parameters=[s.PageQuerySerializer],
    responses={200: s.ReportPageSerializer, **error_responses(400, 401, 403, 429)},
)
@api_endpoint(["GET"], permission=IsAuthenticated)
def my_reports(request):
    query = validated(s.PageQuerySerializer, request.query_params)
    reports = summary_queryset().filter(reporter=request.user).order_by("-submitted_at", "-pk")
    rows, present = _summaries(reports, reporter_view=True)
    return Response(paginate(request, rows, s.ReportSummarySerializer, query, present=present))


@extend_schema(
    operation_id="public_reports",
    summary=_("Cari laporan publik"),
    description=_(
        "Laporan yang sudah diverifikasi, tidak rahasia dan tidak diarsipkan. `q` mencari kata (dengan "
        "kata dasar bahasa Indonesia) atau nomor pelacakan."
    ),
    tags=["publik"],
    parameters=[s.PublicQuerySerializer],
    responses={200: s.ReportPageSerializer, **error_responses(400, 429)},
)
@api_endpoint(["GET"])
def public_reports(request):
    # The same answer for every caller (nothing here reads who asks): kept under the full address
    # (its `next` link holds it) and the language.
    lookup = None
    if publication.enabled():
        lookup = publication.Lookup(
            publication.key("api-public-list", request.build_absolute_uri(), publication.language())
        )
        if lookup.hit is not None:
            return Response(lookup.hit)
    body = _public_page(request)
    if lookup is not None:
        lookup.store(body)
    return Response(body)


def _public_page(request):
    query = validated(s.PublicQuerySerializer, request.query_params)
    reports = summary_queryset().public()
    if query.get("category"):
        reports = reports.filter(
            Q(category__code=query["category"]) | Q(category__parent__code=query["category"])
        )
    if query.get("region"):
        code = query["region"]
        reports = reports.filter(Q(region_id=code) | Q(region__code__startswith=code + "."))
    if query.get("status"):
        closed = Q(status__in=presenters.OPEN311_CLOSED)
        reports = reports.filter(closed if query["status"] == "closed" else ~closed)
    reports = search_reports(reports, query.get("q", ""), public=True).order_by("-submitted_at", "-pk")
    rows, present = _summaries(reports)
    return paginate(request, rows, s.ReportSummarySerializer, query, present=present)


# --- Lookups ---------------------------------------------------------------------------------------


@extend_schema(
    operation_id="categories",
    summary=_("Kategori laporan"),
    tags=["publik"],
    responses={200: s.CategorySerializer(many=True), 429: OpenApiResponse(s.ErrorSerializer)},
)
@api_endpoint(["GET"])
def categories(request):
    rows = Category.objects.filter(is_active=True).select_related("parent").order_by("code")
    return Response(s.CategorySerializer(rows, many=True).data)


@extend_schema(
    operation_id="agencies",
    summary=_("Instansi"),
    tags=["publik"],
    parameters=[OpenApiParameter("q", str, description=_("Bagian dari nama atau kode instansi."))],
    responses={200: s.AgencySerializer(many=True), 429: OpenApiResponse(s.ErrorSerializer)},
)
@api_endpoint(["GET"])
def agencies(request):
    rows = Agency.objects.active().select_related("parent").order_by("path")
    text = (request.query_params.get("q") or "").strip()[:100]
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(short_name__icontains=text))
    return Response(s.AgencySerializer(rows[:500], many=True).data)


@extend_schema(
    operation_id="archive_reasons",
    summary=_("Alasan arsip"),
    tags=["publik"],
    responses={200: s.ArchiveReasonSerializer(many=True), 429: OpenApiResponse(s.ErrorSerializer)},
)
@api_endpoint(["GET"])
def archive_reasons(request):
    rows = ArchiveReason.objects.filter(is_active=True).order_by("name")
    return Response(s.ArchiveReasonSerializer(rows, many=True).data)


# --- Citizens' tokens ------------------------------------------------------------------------------


@extend_schema(
    operation_id="auth_token_create",
    summary=_("Minta token warga"),
    description=_(
        "Tukar nama pengguna (atau e-mail/ponsel) dan kata sandi dengan token pribadi untuk aplikasi. "
        "Petugas tidak dapat memakai ini: mereka masuk dengan verifikasi dua langkah atau memakai kunci "
        "integrasi."
    ),
    tags=["autentikasi"],
    request=s.TokenRequestSerializer,
    responses={201: s.TokenSerializer, **error_responses(400, 401, 403, 429)},
    auth=[],
)
@api_endpoint(["POST"], idempotency=False)
def token_create(request):
    data = validated(s.TokenRequestSerializer, request.data)
    key = login_throttle.throttle_key(data["username"])
    ip = login_throttle.client_ip(request)
    refused = login_throttle.refusal(scope="login", subject=key, ip_address=ip)
    if refused:
        raise exceptions.Throttled(
            wait=refused.retry_after, detail=_("Terlalu banyak percobaan masuk. Coba lagi nanti.")
        )
    user = authenticate(request._request, username=data["username"], password=data["password"])
    if user is None:
        account_actions.record_failed_login(username=key, ip_address=ip)
        raise exceptions.AuthenticationFailed(_("Nama pengguna atau kata sandi salah."))
    api_key, raw = api_actions.issue_citizen_token(user=user, name=data.get("name", ""))
    account_actions.record_successful_login(user=user, username=key, ip_address=ip)
    return Response({"token": raw, "name": api_key.name, "created_at": api_key.created_at}, status=201)


@extend_schema(
    operation_id="auth_token_delete",
    summary=_("Cabut token yang sedang dipakai"),
    tags=["autentikasi"],
    responses={204: None, **error_responses(400, 401, 429)},
)
@api_endpoint(["DELETE"], permission=IsAuthenticated)
def token_delete(request):
    if not isinstance(request.auth, ApiKey) or request.auth.kind != KeyKind.CITIZEN:
        raise exceptions.ValidationError(
            {"Authorization": [_("Hanya token warga yang dapat dicabut dengan cara ini.")]}
        )
    api_actions.revoke_api_key(api_key=request.auth, actor=request.user)
    return Response(status=204)
