"""The outbox in Django admin: read-only, searchable, with "kirim ulang" (resend) for failed rows.

A row about a report is listed only to those who may read that report (access.py), and its
recipient only to those who may also know who reported it: a sysadmin, who has no report scope,
sees the messages that belong to no report (codes, account mail) and nothing else. Rows are
excluded rather than masked (an anonymous report's rows too, for whoever may read it but not know
who sent it), so a search by recipient and tracking number cannot link the two.
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jembatan.accounts import access
from jembatan.accounts.adminaccess import (
    AccessModelAdmin,
    reads_reports,
    reads_reports_nationally,
    visible_report_ids,
)
from jembatan.notify import actions
from jembatan.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(AccessModelAdmin):
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

    def may_view(self, request):
        return access.can_manage_accounts(request.user) or reads_reports(request.user)

    def get_queryset(self, request):
        user = request.user
        q = Q(report__in=visible_report_ids(user, identity=True))
        if access.can_manage_accounts(user) or reads_reports_nationally(user):
            q |= Q(report__isnull=True)
        return super().get_queryset(request).filter(q)

    # Until a message is sent, its one-time code or access code is still in the row; the admin
    # never shows it.
    @admin.display(description=_("subjek"))
    def masked_subject(self, obj):
        return obj.mask(obj.subject)

    @admin.display(description=_("isi"))
    def masked_body(self, obj):
        return obj.mask(obj.body)

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
