"""API keys, agencies' webhooks and their delivery log in Django admin.

Keys and webhooks are created through api/actions.py (the key or signing secret is shown once,
in a message) and are otherwise read-only here: revoke or stop them with the list actions.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jembatan.accounts.adminaccess import ReadOnlyAdmin, ReportReadersOnly, visible_report_ids
from jembatan.accounts.models import Role
from jembatan.api import actions
from jembatan.api.models import ApiKey, KeyKind, WebhookDelivery, WebhookEvent, WebhookSubscription
from jembatan.reports.actions import ReportError


def _adopt(obj, created):
    # Admin's add view saves through save_model() and then redirects to obj.pk; the row was made
    # by an action, so the unsaved form instance takes over the saved row's identity.
    obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
    obj._state.adding = False


class ApiKeyAddForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("jenis"),
        choices=[(KeyKind.OPEN311, KeyKind.OPEN311.label), (KeyKind.AGENCY, KeyKind.AGENCY.label)],
    )
    role = forms.ChoiceField(
        label=_("peran (integrasi instansi)"),
        choices=[(r.value, r.label) for r in Role if r != Role.SYSADMIN],
        initial=Role.PENGHUBUNG,
        required=False,
    )

    class Meta:
        model = ApiKey
        fields = ["name", "kind", "agency", "rate_limit"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "prefix",
        "agency",
        "user",
        "is_active",
        "rate_limit",
        "last_used_at",
        "created_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "prefix", "user__username", "agency__name"]
    list_select_related = ["agency", "user"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "kind",
        "prefix",
        "user",
        "agency",
        "created_by",
        "is_active",
        "last_used_at",
        "created_at",
        "revoked_at",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        # An issued key changes only in its own limit (and is revoked by the action).
        if obj is not None:
            return [*self.readonly_fields, "rate_limit"]
        return ["name", "kind", "agency", "role", "rate_limit"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                actions.set_api_key_rate_limit(
                    api_key=obj, rate_limit=data.get("rate_limit"), actor=request.user
                )
                return
            if data["kind"] == KeyKind.OPEN311:
                created, raw = actions.issue_open311_key(
                    name=data["name"], actor=request.user, rate_limit=data.get("rate_limit")
                )
            else:
                created, raw = actions.issue_agency_key(
                    name=data["name"],
                    role=data.get("role") or Role.PENGHUBUNG,
                    agency=data.get("agency"),
                    actor=request.user,
                    rate_limit=data.get("rate_limit"),
                )
        except ReportError as exc:
            raise PermissionDenied(exc.message) from None
        _adopt(obj, created)
        messages.warning(
            request, _("Kunci API (simpan sekarang, tidak akan ditampilkan lagi): %(key)s") % {"key": raw}
        )

    def log_change(self, request, obj, message):
        pass  # set_api_key_rate_limit writes its own LogEntry

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cabut kunci terpilih"))
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(is_active=True):
            actions.revoke_api_key(api_key=key, actor=request.user)
            count += 1
        self.message_user(request, ngettext("%d kunci dicabut.", "%d kunci dicabut.", count) % count)


class WebhookAddForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("peristiwa"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["agency", "url", "events"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["agency", "url", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "agency__name", "agency__code"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]
    actions = ["stop"]
    readonly_fields = ["agency", "url", "events", "is_active", "created_by", "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = WebhookAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["agency", "url", "events"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            created, secret = actions.subscribe_webhook(
                actor=request.user,
                agency=data["agency"],
                url=data["url"],
                events=data["events"],
                by_admin=True,
            )
        except ReportError as exc:
            raise PermissionDenied(exc.message) from None
        _adopt(obj, created)
        messages.warning(
            request,
            _("Rahasia penandatanganan (simpan sekarang, tidak akan ditampilkan lagi): %(secret)s")
            % {"secret": secret},
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("Hentikan webhook terpilih"))
    def stop(self, request, queryset):
        count = 0
        for subscription in queryset.filter(is_active=True):
            actions.unsubscribe_webhook(actor=request.user, subscription=subscription, by_admin=True)
            count += 1
        self.message_user(
            request, ngettext("%d webhook dihentikan.", "%d webhook dihentikan.", count) % count
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReportReadersOnly, ReadOnlyAdmin):
    """The delivery log: what went where, how often it was tried, what came back."""

    list_display = [
        "created_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "sent_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["subscription__url", "subscription__agency__name", "event__report__tracking_number"]
    list_select_related = ["subscription", "subscription__agency"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "subscription",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "last_error",
        "sent_at",
        "created_at",
    ]
    readonly_fields = fields

    # The payload carries the report (title, text, status): a delivery is listed only to those
    # who may read its report (access.py); a sysadmin, with no report scope, sees none.
    def get_queryset(self, request):
        return super().get_queryset(request).filter(event__report__in=visible_report_ids(request.user))

    @admin.action(description=_("Kirim ulang pengiriman yang gagal"))
    def resend(self, request, queryset):
        count = actions.resend_webhook_deliveries(deliveries=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext("%d pengiriman diantrikan ulang.", "%d pengiriman diantrikan ulang.", count) % count,
        )
