"""Response templates in the Django admin (the workbench also has its own small page for them).

An admin sees and writes the templates of their own subtree (access: MANAGE_TEMPLATES); every save
goes through workbench.actions.save_response_template, which checks again and writes the audit row.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.adminaccess import AccessModelAdmin, adopt, refuse
from jembatan.directory.models import Agency
from jembatan.workbench import actions
from jembatan.workbench.models import ResponseTemplate, unknown_placeholders


def _template_agencies(user):
    """(agencies whose templates `user` manages, whether the national ones too)."""
    scopes = access.scopes_for(user, Action.MANAGE_TEMPLATES)
    if None in scopes:
        return Agency.objects.all(), True
    q = Q(pk__in=[])
    for scope in scopes:
        q |= Q(path__startswith=scope.path)
    return Agency.objects.filter(q), False


class ResponseTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = ResponseTemplate
        fields = ["name", "purpose", "agency", "body", "is_active"]

    def clean_body(self):
        body = self.cleaned_data["body"]
        unknown = unknown_placeholders(body)
        if unknown:
            raise forms.ValidationError(
                _("Penanda tidak dikenal: %(names)s. Yang tersedia: {nomor}, {judul}, {instansi}, {tanggal}.")
                % {"names": ", ".join(f"{{{n}}}" for n in unknown)}
            )
        return body


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(AccessModelAdmin):
    form = ResponseTemplateAdminForm
    list_display = ["name", "purpose", "agency", "is_active", "updated_at"]
    list_filter = ["purpose", "is_active"]
    list_select_related = ["agency"]
    search_fields = ["name", "body"]
    autocomplete_fields = ["agency"]

    def may_view(self, request):
        return bool(access.scopes_for(request.user, Action.MANAGE_TEMPLATES))

    def may_change(self, request, obj=None):
        return obj is None or access.can(request.user, Action.MANAGE_TEMPLATES, obj.agency)

    def get_queryset(self, request):
        agencies, national = _template_agencies(request.user)
        q = Q(agency__in=agencies.values("pk"))
        if national:
            q |= Q(agency__isnull=True)
        return super().get_queryset(request).filter(q)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = _template_agencies(request.user)[0]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = actions.save_response_template(
                actor=request.user,
                name=data["name"],
                purpose=data["purpose"],
                body=data["body"],
                agency=data.get("agency"),
                is_active=data.get("is_active", True),
                template=ResponseTemplate.objects.get(pk=obj.pk) if change else None,
            )
        except (PermissionDenied, actions.WorkbenchError) as exc:
            refuse(exc)
        if not change:
            adopt(obj, saved)
