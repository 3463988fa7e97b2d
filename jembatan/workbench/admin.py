"""Response templates in the Django admin (the workbench also has its own small page for them)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jembatan.workbench.models import ResponseTemplate, unknown_placeholders


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
class ResponseTemplateAdmin(admin.ModelAdmin):
    form = ResponseTemplateAdminForm
    list_display = ["name", "purpose", "agency", "is_active", "updated_at"]
    list_filter = ["purpose", "is_active"]
    list_select_related = ["agency"]
    search_fields = ["name", "body"]
    raw_id_fields = ["agency"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
