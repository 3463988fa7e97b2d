"""The outbox in Django admin: read-only, searchable, with "kirim ulang" (resend) for failed rows."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jembatan.notify import actions
from jembatan.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient",
        "template",
        "tracking_number",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template", "language"]
    search_fields = ["recipient", "report__tracking_number"]
    list_select_related = ["report"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = [
        "channel",
        "recipient",
        "template",
        "language",
        "tracking_number",
        "user",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "provider_message_id",
        "last_error",
        "masked_subject",
        "masked_body",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("nomor pelacakan"), ordering="report__tracking_number")
    def tracking_number(self, obj):
        return obj.report.tracking_number if obj.report_id else "—"

    # Until a message is sent, its one-time code or access code is still in the row; the admin
    # never shows it.
    @admin.display(description=_("subjek"))
    def masked_subject(self, obj):
        return obj.mask(obj.subject)

    @admin.display(description=_("isi"))
    def masked_body(self, obj):
        return obj.mask(obj.body)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notify.change_notification")

    @admin.action(description=_("Kirim ulang notifikasi yang gagal"), permissions=["resend"])
    def resend(self, request, queryset):
        count = actions.resend_notifications(notifications=queryset, actor=request.user)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d notifikasi dijadwalkan untuk dikirim ulang.",
                "%(count)d notifikasi dijadwalkan untuk dikirim ulang.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notifikasi dilewati karena tidak berstatus gagal.",
                    "%(count)d notifikasi dilewati karena tidak berstatus gagal.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
