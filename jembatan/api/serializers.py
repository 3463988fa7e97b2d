"""Input checks and output shapes of REST API v1.

Input serializers only check types and sizes; every rule about reports (lengths, who may act,
which transitions are legal) stays in reports/actions.py, whose ReportError becomes a 400/409.
Output serializers are the documented shapes; the ones a citizen reads never carry the
reporter's identity, and their free text is passed through the PII filter unless the reader is
the reporter.
"""

from decimal import ROUND_HALF_UP

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jembatan.accounts import access
from jembatan.accounts.models import User
from jembatan.api import presenters
from jembatan.api.models import WebhookEvent
from jembatan.directory.models import Agency, Category, Region
from jembatan.reports import lifecycle
from jembatan.reports.actions import MIN_DESCRIPTION_LENGTH, MIN_TITLE_LENGTH
from jembatan.reports.attachments import MAX_ATTACHMENTS
from jembatan.reports.models import ArchiveReason, Classification, ReceivedVia, ReportType, Status
from jembatan.reports.pii import public_form, text_for_viewer

MAX_VERSION = 2**31 - 1


# --- Errors (documentation only: errors.py builds the body) -------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Kode galat yang stabil, mis. invalid, illegal_transition."))
    message = serializers.CharField(help_text=_("Pesan dalam bahasa permintaan (Accept-Language)."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Galat per isian: {isian: [pesan, …]}."),
    )


# --- Small pieces -------------------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    group = serializers.SerializerMethodField()
    keywords = serializers.CharField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_group(self, category):
        return category.parent.name if category.parent_id else None


class AgencySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.CharField()
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)
    region = serializers.CharField(source="region_id", allow_null=True)


class ArchiveReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def status_label(status):
    # Status(…).label, not get_status_display(): Django rebuilds a dict of every choice on each
    # call of the latter, which showed up in the list benchmarks.
    return str(Status(status).label)


def _code_name(obj, code_attr="code"):
    if obj is None:
        return None
    return {"code": getattr(obj, code_attr), "name": obj.name}


# --- Reports as citizens read them ----------------------------------------------------------------------


class ReportSummarySerializer(serializers.Serializer):
    """A report in a list: public fields only, the title through the PII filter."""

    tracking_number = serializers.CharField()
    title = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=ReportType.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.SerializerMethodField()
    open311_status = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sla_due_at = serializers.DateTimeField(allow_null=True)
    support_count = serializers.IntegerField()

    def _reader_is_reporter(self, report):
        return self.context.get("reporter_view", False)

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_label(self, report):
        return status_label(report.status)

    @extend_schema_field(OpenApiTypes.STR)
    def get_title(self, report):
        return report.title if self._reader_is_reporter(report) else report.public("title")

    @extend_schema_field(serializers.ChoiceField(choices=["open", "closed"]))
    def get_open311_status(self, report):
        return presenters.open_or_closed(report.status)

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_category(self, report):
        return _code_name(report.category)

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_region(self, report):
        return _code_name(report.region)


# The same items as ReportSummarySerializer, from values() rows: a page of 50 was 50 report, category
# and region instances and a serializer pass per field (bench/README.md, "REST API").
SUMMARY_FIELDS = (
    "tracking_number",
    "title",
    "title_public",
    "kind",
    "status",
    "submitted_at",
    "updated_at",
    "verification_due_at",
    "completion_due_at",
    "paused_at",
    "support_count",
    "category__code",
    "category__name",
    "region__code",
    "region__name",
)
_when = presenters.when


def summary_items(rows, *, reporter_view=False):
    """ReportSummarySerializer(…, many=True).data for rows of queryset.values(*SUMMARY_FIELDS)."""
    items = []
    for row in rows:
        status = row["status"]
        title = row["title"] if reporter_view else public_form(row["title"], row["title_public"])
        items.append(
            {
                "tracking_number": row["tracking_number"],
                "title": title,
                "kind": row["kind"],
                "status": status,
                "status_label": status_label(status),
                "open311_status": presenters.open_or_closed(status),
                "category": _code_name_of(row, "category"),
                "region": _code_name_of(row, "region"),
                "submitted_at": _when(row["submitted_at"]),
                "updated_at": _when(row["updated_at"]),
                "sla_due_at": _when(presenters.due_of_row(row)),
                "support_count": row["support_count"],
            }
        )
    return items


def _code_name_of(row, relation):
    code = row[f"{relation}__code"]
    return None if code is None else {"code": code, "name": row[f"{relation}__name"]}


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    label = serializers.CharField()
    text = serializers.CharField()
    agency = serializers.CharField()


class ReportDetailSerializer(ReportSummarySerializer):
    """One report as the tracking page shows it (context: reporter_view)."""

    description = serializers.SerializerMethodField()
    incident_date = serializers.DateField(allow_null=True)
    address = serializers.SerializerMethodField()
    is_anonymous = serializers.BooleanField()
    is_confidential = serializers.BooleanField()
    agencies = serializers.SerializerMethodField()
    rating = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    is_reporter = serializers.SerializerMethodField()
    reporter_actions = serializers.SerializerMethodField(
        help_text=_(
            "Tindakan yang dapat dilakukan pelapor sekarang: complete dan reply (POST …/reply/), "
            "rate, close, reopen (di portal)."
        )
    )
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_description(self, report):
        if self._reader_is_reporter(report):
            return report.description
        return report.public("description")

    @extend_schema_field(OpenApiTypes.STR)
    def get_address(self, report):
        if self._reader_is_reporter(report):
            return report.address
        return presenters.public_location(report)[0] or ""

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_agencies(self, report):
        return [agency.name for agency in presenters.handling_agencies(report)]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_reporter(self, report):
        return self._reader_is_reporter(report)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(list(lifecycle.REPORTER_MOVES))))
    def get_reporter_actions(self, report):
        return lifecycle.reporter_moves(report, reporter=self._reader_is_reporter(report))

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, report):
        return presenters.citizen_timeline(report, for_reporter=self._reader_is_reporter(report))


class SubmittedReportSerializer(ReportDetailSerializer):
    access_code = serializers.SerializerMethodField(
        help_text=_("Hanya untuk pelapor tamu: simpan untuk membalas, menilai atau menutup laporan.")
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_access_code(self, report):
        return self.context.get("access_code") if report.reporter_id is None else None


def page_serializer(item, name):
    """A documented page of `item`s: {page, page_size, next, results}."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "page": serializers.IntegerField(),
            "page_size": serializers.IntegerField(),
            "next": serializers.CharField(allow_null=True),
            "results": item(many=True),
        },
    )


ReportPageSerializer = page_serializer(ReportSummarySerializer, "ReportPage")


# --- Reports as staff read them -------------------------------------------------------------------------


class StaffDispositionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.SerializerMethodField()
    status = serializers.CharField()
    liaison = serializers.CharField(source="liaison.username", allow_null=True, default=None)
    instruction = serializers.CharField()
    disposed_at = serializers.DateTimeField()
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    completion_due_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField()
    sla_due_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(CodeNameSerializer)
    def get_agency(self, disposition):
        return _code_name(disposition.agency)


class StaffSummarySerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    title = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=ReportType.choices)
    classification = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.SerializerMethodField()
    channel = serializers.CharField()
    category = serializers.SerializerMethodField()
    region = serializers.SerializerMethodField()
    verifying_agency = serializers.SerializerMethodField()
    agencies = serializers.SerializerMethodField()
    is_anonymous = serializers.BooleanField()
    is_confidential = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sla_due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.SerializerMethodField()
    version = serializers.IntegerField()

    def may_see_identity(self, report):
        """Whether the caller may know who reported: given for one report, else asked per report
        (only an anonymous report can hide its reporter from staff who may read it)."""
        if "may_see_identity" in self.context:
            return self.context["may_see_identity"]
        return not report.is_anonymous or access.can_see_identity(self.context["viewer"], report)

    @extend_schema_field(OpenApiTypes.STR)
    def get_title(self, report):
        return text_for_viewer(report.title, may_see_identity=self.may_see_identity(report))

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_category(self, report):
        return _code_name(report.category)

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_region(self, report):
        return _code_name(report.region)

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_label(self, report):
        return status_label(report.status)

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_verifying_agency(self, report):
        return _code_name(report.verifying_agency)

    @extend_schema_field(CodeNameSerializer(many=True))
    def get_agencies(self, report):
        return [_code_name(d.agency) for d in presenters.open_dispositions(report)]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, report):
        return report.is_overdue(self.context.get("now"))


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    is_registered = serializers.BooleanField()


class StaffTimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    label = serializers.CharField()
    actor = serializers.CharField()
    actor_role = serializers.CharField()
    visibility = serializers.CharField()
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    text = serializers.CharField()
    data = serializers.DictField()
    disposition = serializers.IntegerField(allow_null=True)
    attachments = serializers.ListField(child=serializers.IntegerField())


class StaffAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    visibility = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, attachment):
        return reverse("api:staff-attachment", args=[attachment.pk])


class StaffReportSerializer(StaffSummarySerializer):
    """One report for staff in scope: text, identity when allowed, dispositions, full timeline.
    Personal data in the text is redacted for those who may not know who reported."""

    description = serializers.SerializerMethodField()
    incident_date = serializers.DateField(allow_null=True)
    address = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    target_agency = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()
    verification_due_at = serializers.DateTimeField(allow_null=True)
    completion_due_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    support_count = serializers.IntegerField()
    duplicate_of = serializers.CharField(source="duplicate_of.tracking_number", allow_null=True, default=None)
    dispositions = StaffDispositionSerializer(many=True, source="dispositions.all")
    attachments = StaffAttachmentSerializer(many=True, source="attachments.all")
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_description(self, report):
        return text_for_viewer(report.description, may_see_identity=self.may_see_identity(report))

    @extend_schema_field(CodeNameSerializer(allow_null=True))
    def get_target_agency(self, report):
        return _code_name(report.target_agency)

    @extend_schema_field(ReporterSerializer(allow_null=True))
    def get_reporter(self, report):
        if not self.context["may_see_identity"]:
            return None
        user = report.reporter if report.reporter_id else None
        return {
            "name": str(report.reporter_display_name),
            "email": report.contact_email,
            "phone": report.contact_phone,
            "is_registered": user is not None,
        }

    @extend_schema_field(StaffTimelineEntrySerializer(many=True))
    def get_timeline(self, report):
        return presenters.staff_timeline(
            report, may_see_identity=self.context["may_see_identity"], user=self.context["user"]
        )


StaffReportPageSerializer = page_serializer(StaffSummarySerializer, "StaffReportPage")


# --- Input ------------------------------------------------------------------------------------------------


def _version_field():
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("Versi laporan yang Anda lihat; bila sudah berubah, jawabannya 409."),
    )


def _attachments_field():
    return serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_ATTACHMENTS,
        help_text=_("Gambar (JPEG, PNG, GIF) atau PDF, paling banyak 5 berkas @ 10 MB (multipart)."),
    )


class SubmitReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportType.choices, default=ReportType.PENGADUAN)
    title = serializers.CharField(min_length=MIN_TITLE_LENGTH, max_length=200)
    description = serializers.CharField(min_length=MIN_DESCRIPTION_LENGTH, max_length=10000)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    target_agency = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.active(), required=False, allow_null=True
    )
    incident_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        rounding=ROUND_HALF_UP,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
        rounding=ROUND_HALF_UP,
    )
    is_anonymous = serializers.BooleanField(required=False, default=False)
    is_confidential = serializers.BooleanField(required=False, default=False)
    ombudsman_consent = serializers.BooleanField(required=False, default=False)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    reporter_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    attachments = _attachments_field()


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(min_length=2, max_length=10000)
    attachments = _attachments_field()
    access_code = serializers.CharField(required=False, allow_blank=True, max_length=16)
    expected_version = _version_field()


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    access_code = serializers.CharField(required=False, allow_blank=True, max_length=16)


class ReporterCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    access_code = serializers.CharField(required=False, allow_blank=True, max_length=16)
    expected_version = _version_field()


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text=_("Nama pengguna, e-mail atau nomor ponsel."))
    password = serializers.CharField(max_length=200, style={"input_type": "password"})
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=80, help_text=_("Nama perangkat, mis. “Ponsel Siti”.")
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Ditampilkan sekali ini saja."))
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


class EnterReportSerializer(SubmitReportSerializer):
    """A report an officer records for a citizen (walk-in, phone call, letter)."""

    received_via = serializers.ChoiceField(
        choices=ReceivedVia.choices, help_text=_("Bagaimana laporan sampai ke petugas.")
    )


class VerifySerializer(serializers.Serializer):
    classification = serializers.ChoiceField(choices=Classification.choices)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    title = serializers.CharField(required=False, min_length=MIN_TITLE_LENGTH, max_length=200)
    is_anonymous = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_confidential = serializers.BooleanField(required=False, allow_null=True, default=None)
    expected_version = _version_field()


class RequestInformationSerializer(serializers.Serializer):
    message = serializers.CharField(min_length=10, max_length=5000)
    expected_version = _version_field()


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=ArchiveReason.objects.filter(is_active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    expected_version = _version_field()


class DisposeSerializer(serializers.Serializer):
    agencies = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.all(), many=True, allow_empty=False
    )
    instruction = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    expected_version = _version_field()


class StaffCloseSerializer(serializers.Serializer):
    note = serializers.CharField(min_length=5, max_length=5000)
    expected_version = _version_field()


class DuplicateSerializer(serializers.Serializer):
    original = serializers.RegexField(r"^\d{6,12}$", help_text=_("Nomor pelacakan laporan asal."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    expected_version = _version_field()


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=2, max_length=10000)
    disposition = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)


class AssignLiaisonSerializer(serializers.Serializer):
    liaison = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    expected_version = _version_field()


class StartFollowUpSerializer(serializers.Serializer):
    expected_version = _version_field()


class FollowUpSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=20, max_length=20000)
    attachments = _attachments_field()
    expected_version = _version_field()


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=10, max_length=5000)
    expected_version = _version_field()


class ReturnToOriginSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=10, max_length=5000)
    expected_version = _version_field()


class ForwardSerializer(serializers.Serializer):
    agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.all())
    reason = serializers.CharField(min_length=10, max_length=5000)
    expected_version = _version_field()


class WebhookInputSerializer(serializers.Serializer):
    agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.active())
    url = serializers.URLField(max_length=500)
    events = serializers.MultipleChoiceField(choices=WebhookEvent.choices, allow_empty=False)


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.CharField(source="agency.code")
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class NewWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(
        help_text=_("Kunci penandatanganan HMAC-SHA256; ditampilkan sekali ini saja.")
    )


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=10000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class PublicQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, max_length=20)
    region = serializers.CharField(required=False, allow_blank=True, max_length=13)
    status = serializers.ChoiceField(choices=["open", "closed"], required=False)


class StaffQuerySerializer(PageQuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.MultipleChoiceField(choices=Status.choices, required=False)
    category = serializers.CharField(required=False, allow_blank=True, max_length=20)
    region = serializers.CharField(required=False, allow_blank=True, max_length=13)
    agency = serializers.CharField(required=False, allow_blank=True, max_length=60)
    submitted_after = serializers.DateTimeField(required=False)
    submitted_before = serializers.DateTimeField(required=False)
    updated_after = serializers.DateTimeField(
        required=False, help_text=_("Untuk sinkronisasi: hanya laporan yang berubah setelah waktu ini.")
    )
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(
        choices=["-submitted_at", "submitted_at", "-updated_at", "updated_at"],
        required=False,
        default="-submitted_at",
    )
