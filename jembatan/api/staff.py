"""REST API v1 for agency systems and officers: list and read reports in scope, every workbench action.

An agency integration key acts as its staff user; accounts.access scopes everything it sees
and does (a key for agency A never reads agency B's reports: they answer 404, as if they did not
exist). Each action endpoint calls one function in reports/actions.py; `expected_version` makes a
stale write answer 409 instead of overwriting someone else's work.
"""

from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from jembatan.accounts import access
from jembatan.api import actions as api_actions
from jembatan.api import serializers as s
from jembatan.api.decorators import api_endpoint
from jembatan.api.models import WebhookSubscription
from jembatan.api.permissions import IsStaffMember
from jembatan.api.views import (
    IDEMPOTENCY_PARAMETER,
    NUMBER_PARAMETER,
    error_responses,
    paginate,
    report_queryset,
    validated,
)
from jembatan.directory.models import Agency
from jembatan.federation import actions as federated
from jembatan.reports import actions
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    Attachment,
    Channel,
    Disposition,
    Report,
    Status,
)
from jembatan.reports.search import search_reports
from jembatan.reports.submission import NewReport

DISPOSITION_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("ID disposisi."))
ACTION_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 429)


def visible_reports(user):
    """The reports `user` may read, fetched for StaffSummarySerializer."""
    open_dispositions = Disposition.objects.filter(status__in=OPEN_DISPOSITION_STATUSES).select_related(
        "agency"
    )
    return (
        Report.objects.visible_to(user)
        .select_related("category", "region", "verifying_agency")
        .prefetch_related(Prefetch("dispositions", queryset=open_dispositions))
    )


def load_staff_report(request, number):
    """The report if the caller may read it in the workbench view, else 404."""
    report = report_queryset().filter(tracking_number=str(number)).first()
    if report is None or not access.can_view_report_internal(request.user, report):
        raise Http404
    return report


def load_disposition(request, pk):
    disposition = (
        Disposition.objects.select_related("agency", "report").filter(pk=pk).first() if pk < 2**62 else None
    )
    if disposition is None or not access.can_view_report_internal(request.user, disposition.report):
        raise Http404
    return disposition


def report_response(request, number, status=200):
    report = load_staff_report(request, number)
    context = {
        "may_see_identity": access.can_see_identity(request.user, report),
        "now": timezone.now(),
        "user": request.user,
    }
    return Response(s.StaffReportSerializer(report, context=context).data, status=status)


def action_schema(operation_id, summary, request_serializer, *, disposition=False, description=""):
    path = DISPOSITION_PARAMETER if disposition else NUMBER_PARAMETER
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=["petugas"],
        request=request_serializer,
        parameters=[path, IDEMPOTENCY_PARAMETER],
        responses={200: s.StaffReportSerializer, **ACTION_ERRORS},
    )


# --- Reading -----------------------------------------------------------------------------------------


@extend_schema(
    operation_id="staff_reports_list",
    summary=_("Daftar laporan dalam cakupan"),
    description=_(
        "Laporan yang boleh dilihat pemanggil (instansi verifikator atau disposisi dalam cakupannya). "
        "`status` boleh diulang. `updated_after` untuk sinkronisasi berkala."
    ),
    tags=["petugas"],
    parameters=[s.StaffQuerySerializer],
    responses={200: s.StaffReportPageSerializer, **error_responses(400, 401, 403, 429)},
)
@api_endpoint(["GET"], permission=IsStaffMember)
def report_list(request):
    query = validated(s.StaffQuerySerializer, request.query_params)
    now = timezone.now()
    reports = visible_reports(request.user)
    if query.get("status"):
        reports = reports.filter(status__in=query["status"])
    if query.get("category"):
        reports = reports.filter(
            Q(category__code=query["category"]) | Q(category__parent__code=query["category"])
        )
    if query.get("region"):
        code = query["region"]
        reports = reports.filter(Q(region_id=code) | Q(region__code__startswith=code + "."))
    if query.get("agency"):
        agency = Agency.objects.filter(code=query["agency"]).first()
        if agency is None:
            reports = reports.none()
        else:
            # A subquery, not a join: a report disposed to two offices in the subtree must not
            # come back twice (and DISTINCT over every selected column is slow).
            disposed = Disposition.objects.filter(agency__path__startswith=agency.path).values("report_id")
            reports = reports.filter(pk__in=disposed)
    for field, lookup in (
        ("submitted_after", "submitted_at__gte"),
        ("submitted_before", "submitted_at__lt"),
        ("updated_after", "updated_at__gt"),
    ):
        if query.get(field):
            reports = reports.filter(**{lookup: query[field]})
    if query.get("overdue") is not None:
        overdue = Q(
            status__in=(Status.BELUM_TERVERIFIKASI,), verification_due_at__lt=now, paused_at__isnull=True
        ) | Q(status__in=(Status.TERDISPOSISI, Status.DIPROSES), completion_due_at__lt=now)
        reports = reports.filter(overdue if query["overdue"] else ~overdue)
    reports = search_reports(reports, query.get("q", ""))
    order = query["ordering"]
    reports = reports.order_by(order, "-pk" if order.startswith("-") else "pk")
    context = {"now": now, "viewer": request.user}
    return Response(paginate(request, reports, s.StaffSummarySerializer, query, context))


@extend_schema(
    operation_id="staff_reports_read",
    summary=_("Satu laporan dengan riwayat lengkap"),
    description=_(
        "Isi, disposisi, lampiran dan seluruh riwayat (termasuk catatan internal). Identitas pelapor "
        "hanya untuk yang berhak (`reporter` bernilai null bila tidak)."
    ),
    tags=["petugas"],
    parameters=[NUMBER_PARAMETER],
    responses={200: s.StaffReportSerializer, **error_responses(401, 403, 404, 429)},
)
@api_endpoint(["GET"], permission=IsStaffMember)
def report_detail(request, number):
    return report_response(request, number)


@extend_schema(
    operation_id="staff_attachment",
    summary=_("Unduh lampiran"),
    tags=["petugas"],
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    responses={(200, "application/octet-stream"): bytes, **error_responses(401, 403, 404, 429)},
)
@api_endpoint(["GET"], permission=IsStaffMember)
def attachment(request, pk):
    item = Attachment.objects.select_related("report").filter(pk=pk).first() if pk < 2**62 else None
    if item is None or not access.can_view_report_internal(request.user, item.report):
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="lampiran-{item.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Entering a report for a citizen -----------------------------------------------------------------


@extend_schema(
    operation_id="staff_reports_enter",
    summary=_("Catat laporan atas nama warga"),
    tags=["petugas"],
    request={"multipart/form-data": s.EnterReportSerializer, "application/json": s.EnterReportSerializer},
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.StaffReportSerializer, **ACTION_ERRORS},
)
@api_endpoint(["POST"], permission=IsStaffMember)
def enter_report(request):
    data = validated(s.EnterReportSerializer, request.data)
    new = NewReport.from_data(data, channel=Channel.OFFICER)
    report = actions.submit_report(new=new, actor=request.user)
    return report_response(request, report.tracking_number, status=201)


# --- The verifier's actions --------------------------------------------------------------------------


@action_schema("staff_verify", _("Verifikasi laporan"), s.VerifySerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def verify(request, number):
    report = load_staff_report(request, number)
    data = validated(s.VerifySerializer, request.data)
    actions.verify_report(
        report=report,
        actor=request.user,
        classification=data["classification"],
        category=data.get("category"),
        title=data.get("title"),
        is_anonymous=data.get("is_anonymous"),
        is_confidential=data.get("is_confidential"),
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


@action_schema("staff_request_information", _("Minta kelengkapan informasi"), s.RequestInformationSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def request_information(request, number):
    report = load_staff_report(request, number)
    data = validated(s.RequestInformationSerializer, request.data)
    actions.request_information(
        report=report,
        actor=request.user,
        message=data["message"],
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


@action_schema("staff_archive", _("Arsipkan laporan"), s.ArchiveSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def archive(request, number):
    report = load_staff_report(request, number)
    data = validated(s.ArchiveSerializer, request.data)
    actions.archive_report(
        report=report,
        actor=request.user,
        reason=data["reason"],
        note=data.get("note", ""),
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


@action_schema("staff_dispose", _("Disposisikan ke instansi"), s.DisposeSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def dispose(request, number):
    report = load_staff_report(request, number)
    data = validated(s.DisposeSerializer, request.data)
    federated.dispose_report(
        report=report,
        actor=request.user,
        agencies=data["agencies"],
        instruction=data.get("instruction", ""),
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


@action_schema("staff_close", _("Tutup laporan sebagai admin"), s.StaffCloseSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def close(request, number):
    report = load_staff_report(request, number)
    data = validated(s.StaffCloseSerializer, request.data)
    # close_report would treat a caller who is neither reporter nor verifier as a failed reporter;
    # here the question is only whether they may close it as an admin.
    access.require(access.can_verify(request.user, report))
    federated.close_report(
        report=report, actor=request.user, note=data["note"], expected_version=data.get("expected_version")
    )
    return report_response(request, number)


@action_schema("staff_mark_duplicate", _("Tandai duplikat"), s.DuplicateSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def mark_duplicate(request, number):
    report = load_staff_report(request, number)
    data = validated(s.DuplicateSerializer, request.data)
    original = actions.find_original(number=data["original"], actor=request.user)
    actions.mark_duplicate(
        report=report,
        original=original,
        actor=request.user,
        note=data.get("note", ""),
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


@action_schema("staff_add_note", _("Tambah catatan internal"), s.NoteSerializer)
@api_endpoint(["POST"], permission=IsStaffMember)
def add_note(request, number):
    report = load_staff_report(request, number)
    data = validated(s.NoteSerializer, request.data)
    disposition = None
    if data.get("disposition"):
        disposition = report.dispositions.filter(pk=data["disposition"]).first()
        if disposition is None:
            raise actions.ReportError(_("Disposisi tidak ditemukan pada laporan ini."), field="disposition")
    actions.add_note(report=report, actor=request.user, text=data["text"], disposition=disposition)
    return report_response(request, number)


# --- The agency's actions on a disposition -------------------------------------------------------------


@action_schema("staff_assign_liaison", _("Tetapkan penghubung"), s.AssignLiaisonSerializer, disposition=True)
@api_endpoint(["POST"], permission=IsStaffMember)
def assign_liaison(request, pk):
    disposition = load_disposition(request, pk)
    data = validated(s.AssignLiaisonSerializer, request.data)
    actions.assign_liaison(
        disposition=disposition,
        actor=request.user,
        liaison=data["liaison"],
        expected_version=data.get("expected_version"),
    )
    return report_response(request, disposition.report.tracking_number)


@action_schema("staff_start_follow_up", _("Mulai tindak lanjut"), s.StartFollowUpSerializer, disposition=True)
@api_endpoint(["POST"], permission=IsStaffMember)
def start_follow_up(request, pk):
    disposition = load_disposition(request, pk)
    data = validated(s.StartFollowUpSerializer, request.data)
    federated.start_follow_up(
        disposition=disposition, actor=request.user, expected_version=data.get("expected_version")
    )
    return report_response(request, disposition.report.tracking_number)


@extend_schema(
    operation_id="staff_post_follow_up",
    summary=_("Kirim tindak lanjut (jawaban instansi)"),
    tags=["petugas"],
    request={"multipart/form-data": s.FollowUpSerializer, "application/json": s.FollowUpSerializer},
    parameters=[DISPOSITION_PARAMETER, IDEMPOTENCY_PARAMETER],
    responses={200: s.StaffReportSerializer, **ACTION_ERRORS},
)
@api_endpoint(["POST"], permission=IsStaffMember)
def post_follow_up(request, pk):
    disposition = load_disposition(request, pk)
    data = validated(s.FollowUpSerializer, request.data)
    federated.post_follow_up(
        disposition=disposition,
        actor=request.user,
        text=data["text"],
        attachments=data.get("attachments", []),
        expected_version=data.get("expected_version"),
    )
    return report_response(request, disposition.report.tracking_number)


@action_schema("staff_return", _("Kembalikan: bukan wewenang"), s.ReturnSerializer, disposition=True)
@api_endpoint(["POST"], permission=IsStaffMember)
def return_disposition(request, pk):
    disposition = load_disposition(request, pk)
    data = validated(s.ReturnSerializer, request.data)
    actions.return_disposition(
        disposition=disposition,
        actor=request.user,
        reason=data["reason"],
        expected_version=data.get("expected_version"),
    )
    return report_response(request, disposition.report.tracking_number)


@action_schema("staff_forward", _("Limpahkan ke instansi lain"), s.ForwardSerializer, disposition=True)
@api_endpoint(["POST"], permission=IsStaffMember)
def forward(request, pk):
    disposition = load_disposition(request, pk)
    data = validated(s.ForwardSerializer, request.data)
    federated.forward_disposition(
        disposition=disposition,
        actor=request.user,
        agency=data["agency"],
        reason=data["reason"],
        expected_version=data.get("expected_version"),
    )
    return report_response(request, disposition.report.tracking_number)


@action_schema(
    "staff_return_to_origin",
    _("Kembalikan ke instans asal: bukan wewenang"),
    s.ReturnToOriginSerializer,
    description=_(
        "Untuk laporan yang diteruskan dari instans Jembatan lain: verifikator laporan ini "
        "mengembalikannya ke instans asal, yang mendisposisikannya kembali."
    ),
)
@api_endpoint(["POST"], permission=IsStaffMember)
def return_to_origin(request, number):
    report = load_staff_report(request, number)
    data = validated(s.ReturnToOriginSerializer, request.data)
    federated.return_to_origin(
        report=report,
        actor=request.user,
        reason=data["reason"],
        expected_version=data.get("expected_version"),
    )
    return report_response(request, number)


# --- Webhooks ------------------------------------------------------------------------------------------


def _webhooks_of(user):
    scopes = access.scopes_for(user, access.Action.VIEW_REPORTS)
    rows = WebhookSubscription.objects.select_related("agency").filter(is_active=True)
    if None in scopes:
        return rows
    q = Q(pk__in=[])
    for agency in scopes:
        q |= Q(agency__path__startswith=agency.path)
    return rows.filter(q)


@extend_schema(
    methods=["GET"],
    operation_id="staff_webhooks_list",
    summary=_("Webhook instansi"),
    tags=["webhook"],
    responses={200: s.WebhookSerializer(many=True), **error_responses(401, 403, 429)},
)
@extend_schema(
    methods=["POST"],
    operation_id="staff_webhooks_create",
    summary=_("Daftarkan webhook"),
    description=_(
        "Setiap pengiriman ditandatangani: header `X-Jembatan-Signature: t=<detik unix>,v1=<hex>` dengan "
        'v1 = HMAC-SHA256(rahasia, "<t>." + badan permintaan). Gagal dikirim ulang dengan jeda bertahap.'
    ),
    tags=["webhook"],
    request=s.WebhookInputSerializer,
    parameters=[IDEMPOTENCY_PARAMETER],
    responses={201: s.NewWebhookSerializer, **error_responses(400, 401, 403, 422, 429)},
)
@api_endpoint(["GET", "POST"], permission=IsStaffMember)
def webhooks(request):
    if request.method == "GET":
        rows = _webhooks_of(request.user).order_by("pk")
        return Response(s.WebhookSerializer(rows, many=True).data)
    data = validated(s.WebhookInputSerializer, request.data)
    subscription, secret = api_actions.subscribe_webhook(
        actor=request.user, agency=data["agency"], url=data["url"], events=data["events"]
    )
    body = {**s.WebhookSerializer(subscription).data, "secret": secret}
    return Response(body, status=201)


@extend_schema(
    operation_id="staff_webhooks_delete",
    summary=_("Hentikan webhook"),
    tags=["webhook"],
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    responses={204: None, **error_responses(401, 403, 404, 429)},
)
@api_endpoint(["DELETE"], permission=IsStaffMember)
def webhook_delete(request, pk):
    subscription = _webhooks_of(request.user).filter(pk=pk).first() if pk < 2**62 else None
    if subscription is None:
        raise Http404
    api_actions.unsubscribe_webhook(actor=request.user, subscription=subscription)
    return Response(status=204)
