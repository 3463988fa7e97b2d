"""The Django admin asks accounts/access.py, never Django's model permissions, who may see and change
what: a sysadmin is a Django superuser, and "superuser may do everything" would let the directory's
administrator read every report's notifications and rewrite every agency. Each ModelAdmin that
holds report content, reporter contacts or "who may do what" says here, through access.py, whose
rows the user sees and what they may change; the changes themselves go through actions.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q


def adopt(obj, created):
    """Let the admin's unsaved form instance take over the row an action created.

    The add view saves through save_model() and then redirects to obj.pk and logs obj.
    """
    obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
    obj._state.adding = False
    obj._state.db = created._state.db


def saved_through_actions(formset):
    """Mark an inline formset as handled: its rows were saved by actions, not by formset.save(),
    and the admin's change message finds nothing it saved itself."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def refuse(exc):
    """An action's refusal as the admin shows it: a 403 page with the action's message."""
    if isinstance(exc, PermissionDenied):
        raise exc
    message = getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [])) or str(exc)
    raise PermissionDenied(message) from None


class AccessModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose permissions come from access.py: override may_view and may_change."""

    def may_view(self, request):
        return False

    def may_change(self, request, obj=None):
        return False

    def may_add(self, request):
        return self.may_change(request)

    def may_delete(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.may_view(request)

    def has_view_permission(self, request, obj=None):
        return self.may_view(request)

    def has_change_permission(self, request, obj=None):
        return self.may_view(request) and self.may_change(request, obj)

    def has_add_permission(self, request):
        return self.may_view(request) and self.may_add(request)

    def has_delete_permission(self, request, obj=None):
        return self.may_view(request) and self.may_delete(request, obj)

    def delete_queryset(self, request, queryset):
        # One at a time through delete_model, so that a deletion a subclass routes through an
        # action (its check and its audit row) is not bypassed by a bulk delete.
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the system writes (logs, attempts, deliveries): listed and read, never added,
    changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReportReadersOnly:
    """A ModelAdmin mixin for rows that carry report content: only for those who read reports in
    the workbench (access.py); the admin's get_queryset narrows the rows to those reports."""

    def has_module_permission(self, request):
        return reads_reports(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return reads_reports(request.user) and super().has_view_permission(request, obj)


class ScopedAgencyChoices:
    """A ModelAdmin mixin for a form that picks agencies (`agency_fields`): only the agencies the
    signed-in user manages are offered, and the form knows that user as `request_user`."""

    agency_fields = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.agency_fields:
            from jembatan.accounts import access
            from jembatan.directory.models import Agency

            kwargs["queryset"] = access.manageable_agencies(request.user, Agency.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})


def visible_report_ids(user, *, identity=False):
    """A subquery of the ids of the reports `user` may read in the workbench (access.py); with
    `identity`, only those whose reporter `user` may also know (access.can_see_identity)."""
    from django.apps import apps

    from jembatan.accounts import access

    Report = apps.get_model("reports", "Report")
    reports = Report.objects.visible_to(user)
    if identity:
        reports = reports.filter(Q(is_anonymous=False) | access.verifiable_reports_filter(user))
    return reports.values("pk")


def reads_reports_nationally(user):
    from jembatan.accounts import access

    return None in access.scopes_for(user, access.Action.VIEW_REPORTS)


def reads_reports(user):
    from jembatan.accounts import access

    return bool(access.scopes_for(user, access.Action.VIEW_REPORTS))
