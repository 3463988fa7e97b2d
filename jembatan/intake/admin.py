"""The intake log in Django admin, read-only."""

from django.contrib import admin

from jembatan.intake.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "sender", "outcome", "report", "message_id"]
    list_filter = ["channel", "outcome"]
    search_fields = ["message_id", "sender", "report__tracking_number"]
    list_select_related = ["report"]
    date_hierarchy = "created_at"
    fields = ["channel", "message_id", "sender", "text", "outcome", "reply", "report", "note", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
