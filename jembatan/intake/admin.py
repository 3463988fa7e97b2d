"""The intake log in Django admin, read-only.

A message holds a report's text and its sender's number or address: it is listed only to those
who may read the report and know who sent it (access.py); a message that made no report (held,
refused) only to national report readers. A sysadmin, with no report scope, sees none.
"""

from django.contrib import admin
from django.db.models import Q

from jembatan.accounts.adminaccess import ReportReadersOnly, reads_reports_nationally, visible_report_ids
from jembatan.intake.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(ReportReadersOnly, admin.ModelAdmin):
    list_display = ["created_at", "channel", "sender", "outcome", "report", "message_id"]
    list_filter = ["channel", "outcome"]
    search_fields = ["message_id", "sender", "report__tracking_number"]
    list_select_related = ["report"]
    date_hierarchy = "created_at"
    fields = ["channel", "message_id", "sender", "text", "outcome", "reply", "report", "note", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        q = Q(report__in=visible_report_ids(request.user, identity=True))
        if reads_reports_nationally(request.user):
            q |= Q(report__isnull=True)
        return super().get_queryset(request).filter(q)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
