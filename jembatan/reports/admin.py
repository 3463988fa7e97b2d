"""The working-day calendar's corrections in the Django admin: national data, changed through
reports.actions.set_calendar_override / delete_calendar_override (checked and audited)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from jembatan.accounts import access
from jembatan.accounts.adminaccess import AccessModelAdmin, adopt, refuse
from jembatan.reports import actions
from jembatan.reports.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AccessModelAdmin):
    list_display = ["date", "is_working_day", "note", "created_at"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    fields = ["date", "is_working_day", "note"]
    ordering = ["-date"]

    def may_view(self, request):
        return access.can_manage_national_data(request.user)

    def may_change(self, request, obj=None):
        return access.can_manage_national_data(request.user)

    def may_delete(self, request, obj=None):
        return access.can_manage_national_data(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = actions.set_calendar_override(
                actor=request.user,
                date=data["date"],
                is_working_day=data["is_working_day"],
                note=data["note"],
                override=obj if change else None,
            )
        except (PermissionDenied, actions.ReportError) as exc:
            refuse(exc)
        if not change:
            adopt(obj, saved)

    def delete_model(self, request, obj):
        try:
            actions.delete_calendar_override(actor=request.user, override=obj)
        except PermissionDenied as exc:
            refuse(exc)
