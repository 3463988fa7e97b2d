"""The map of government in the Django admin, for sysadmins and agency administrators.

Who sees and changes what is asked of accounts/access.py (see accounts/adminaccess.py): an admin
instansi sees and picks only the agencies of their own subtree and the routing rules of those
agencies; regions and categories change only for admin nasional and the sysadmin. Every change
goes through backoffice/actions.py, which checks again and writes the audit record.

The region table holds 91,599 rows: its list never counts the whole table, never computes facets,
and searches through the indexed code and name prefixes instead of LIKE '%…%' scans.
"""

import re

from django import forms
from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.adminaccess import (
    AccessModelAdmin,
    ScopedAgencyChoices,
    adopt,
    refuse,
    saved_through_actions,
)
from jembatan.backoffice import actions
from jembatan.directory.models import Agency, Category, Region, RoutingRule, prefix_q

_CODE_PREFIX = re.compile(r"[\d.]+")


def _administers_agencies(request):
    return access.opens_admin(request.user) and bool(
        access.admin_scopes(request.user, Action.MANAGE_AGENCIES)
    )


@admin.register(Region)
class RegionAdmin(AccessModelAdmin):
    """Kemendagri regions: loaded by `manage.py load_regions`, only names are corrected here."""

    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", "search_name"]  # the lookups themselves are in get_search_results
    search_help_text = _("Cari dengan awal nama (mis. 'padang') atau awal kode (mis. '13.71').")
    readonly_fields = ["code", "level", "parent"]
    fields = ["code", "name", "level", "parent"]
    ordering = ["code"]
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if _CODE_PREFIX.fullmatch(term):
            return queryset.filter(prefix_q(queryset, "code", term)), False
        return queryset.name_prefix(term), False

    def may_view(self, request):
        # Anyone who places agencies picks regions (the autocomplete reads this admin's queryset).
        return _administers_agencies(request) or access.can_manage_national_data(request.user)

    def may_change(self, request, obj=None):
        return access.can_manage_national_data(request.user)

    def may_add(self, request):
        # New codes come only from a Kemendagri decree, through load_regions.
        return False

    def save_model(self, request, obj, form, change):
        try:
            actions.rename_region(region=obj, name=form.cleaned_data["name"], actor=request.user)
        except (PermissionDenied, actions.AgencyError) as exc:
            refuse(exc)


class ChildAgencyInline(admin.TabularInline):
    model = Agency
    fk_name = "parent"
    fields = ["name", "code", "kind", "region", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("unit di bawahnya")
    verbose_name_plural = _("unit di bawahnya")

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _administers_agencies(request)

    def has_change_permission(self, request, obj=None):
        return False


class AgencyAdminForm(forms.ModelForm):
    """Asks access.py before the save, so a refusal is a form error next to the field concerned."""

    class Meta:
        model = Agency
        fields = ["name", "short_name", "code", "kind", "is_active", "parent", "region"]

    def clean(self):
        cleaned = super().clean()
        user, agency = self.request_user, self.instance
        parent = cleaned.get("parent")
        region = cleaned.get("region")
        if agency.pk is None:
            if not access.can_place_agency_under(user, parent):
                self.add_error(
                    "parent", _("Anda hanya dapat menambah instansi di bawah instansi yang Anda kelola.")
                )
            elif parent is not None and not access.can_assign_region(user, parent, region):
                self.add_error(
                    "region", _("Wilayah layanan harus berada di dalam wilayah instansi yang Anda kelola.")
                )
            return cleaned
        structural = {"parent", "region", "kind", "is_active"} & set(self.changed_data)
        if structural and not access.can_restructure_agency(user, agency):
            self.add_error(
                None,
                _(
                    "Hanya pengelola di atas instansi ini yang dapat memindah, menonaktifkan, atau mengubah "
                    "jenis dan wilayahnya."
                ),
            )
        elif "parent" in self.changed_data and (
            parent is None or not access.can_place_agency_under(user, parent)
        ):
            self.add_error("parent", _("Induk baru harus berada di dalam cakupan Anda."))
        elif "region" in self.changed_data and not access.can_assign_region(user, agency, region):
            self.add_error(
                "region", _("Wilayah layanan harus berada di dalam wilayah instansi yang Anda kelola.")
            )
        return cleaned


@admin.register(Agency)
class AgencyAdmin(ScopedAgencyChoices, AccessModelAdmin):
    agency_fields = ("parent",)
    form = AgencyAdminForm
    list_display = ["tree_name", "code", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["region"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent", "region"]
    readonly_fields = ["path", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "code", "kind", "is_active"]}),
        (_("Letak"), {"fields": ["parent", "region", "path"]}),
        (_("Kontak"), {"fields": ["email", "phone", "address", "website"]}),
        (_("Riwayat"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    prepopulated_fields = {"code": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # .go.id sites are https
    inlines = [ChildAgencyInline]
    ordering = ["path"]  # a parent sorts before its own units, so the indented list reads as a tree
    list_per_page = 100

    @admin.display(description=_("nama"), ordering="path")
    def tree_name(self, obj):
        depth = obj.path.count("/") - 2
        return format_html(
            '<span style="padding-left: {}em">{}{}</span>', depth * 1.5, "└ " if depth else "", obj
        )

    def get_prepopulated_fields(self, request, obj=None):
        # A code is referenced by rules, seeds and exports: it is set once, never re-derived.
        return {} if obj else self.prepopulated_fields

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def may_view(self, request):
        return _administers_agencies(request)

    def may_change(self, request, obj=None):
        return obj is None or access.can_change_agency(request.user, obj)

    def get_queryset(self, request):
        return access.manageable_agencies(request.user, super().get_queryset(request))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                changes = {
                    name: data[name]
                    for name in form.changed_data
                    if name in actions.AGENCY_FIELDS and name != "code"
                }
                actions.change_agency(agency=obj, actor=request.user, **changes)
            else:
                created = actions.create_agency(
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    parent=data.get("parent"),
                    region=data.get("region"),
                    short_name=data.get("short_name", ""),
                    is_active=data.get("is_active", True),
                    contact={k: data.get(k, "") for k in ("email", "phone", "address", "website")},
                    actor=request.user,
                )
                adopt(obj, created)
        except (PermissionDenied, actions.AgencyError) as exc:
            refuse(exc)

    def save_related(self, request, form, formsets, change):
        # The only inline lists the children read-only; nothing of it is saved.
        for formset in formsets:
            saved_through_actions(formset)


class CategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "default_agency_kind", "default_agency_keyword", "is_active"]
    extra = 0
    show_change_link = True
    verbose_name = _("kategori dalam kelompok ini")
    verbose_name_plural = _("kategori dalam kelompok ini")
    can_delete = False  # categories are deactivated, never deleted: reports point at them

    def has_view_permission(self, request, obj=None):
        return _administers_agencies(request) or access.can_manage_national_data(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_manage_national_data(request.user)

    def has_add_permission(self, request, obj=None):
        return access.can_manage_national_data(request.user)


class GroupFilter(admin.SimpleListFilter):
    title = _("tingkat")
    parameter_name = "tingkat"

    def lookups(self, request, model_admin):
        return [("kelompok", _("Kelompok")), ("kategori", _("Kategori"))]

    def queryset(self, request, queryset):
        if self.value() == "kelompok":
            return queryset.filter(parent__isnull=True)
        if self.value() == "kategori":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(AccessModelAdmin):
    list_display = ["name", "code", "parent", "default_agency_kind", "default_agency_keyword", "is_active"]
    list_filter = [GroupFilter, ("parent", admin.RelatedOnlyFieldListFilter), "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "code", "keywords"]
    fields = actions.CATEGORY_FIELDS  # what the form shows is what save_category audits
    ordering = ["parent__name", "name"]

    def get_inlines(self, request, obj):
        # Only a group has categories below it; the two-level rule is enforced in Category.clean.
        return [CategoryInline] if obj is not None and obj.parent_id is None else []

    def may_view(self, request):
        return _administers_agencies(request) or access.can_manage_national_data(request.user)

    def may_change(self, request, obj=None):
        return access.can_manage_national_data(request.user)

    def save_model(self, request, obj, form, change):
        values = {
            name: form.cleaned_data[name] for name in form.changed_data if name in actions.CATEGORY_FIELDS
        }
        try:
            if change:
                actions.save_category(actor=request.user, category=obj, **values)
            else:
                values = {name: form.cleaned_data.get(name) for name in actions.CATEGORY_FIELDS}
                adopt(obj, actions.save_category(actor=request.user, **values))
        except (PermissionDenied, actions.AgencyError) as exc:
            refuse(exc)

    def save_formset(self, request, form, formset, change):
        # The categories of a group, edited inline: each one through the action, like the group.
        saved_through_actions(formset)
        try:
            for inline_form in formset.forms:
                if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                    continue
                instance = inline_form.instance
                values = {name: inline_form.cleaned_data.get(name) for name in CategoryInline.fields}
                values["parent"] = form.instance
                if instance.pk:
                    values = {k: v for k, v in values.items() if k in inline_form.changed_data}
                    actions.save_category(actor=request.user, category=instance, **values)
                else:
                    actions.save_category(actor=request.user, **values)
        except (PermissionDenied, actions.AgencyError) as exc:
            refuse(exc)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAgencyChoices, AccessModelAdmin):
    agency_fields = ("agency",)
    list_display = ["category", "region_or_national", "agency", "note", "updated_at"]
    list_select_related = ["category__parent", "region", "agency"]
    list_filter = [("category__parent", admin.RelatedOnlyFieldListFilter), "agency__kind"]
    search_fields = ["category__name", "category__code", "agency__name", "region__code", "region__name"]
    autocomplete_fields = ["category", "region", "agency"]
    fields = ["category", "region", "agency", "note"]
    ordering = ["category__parent__name", "category__name", "region_id"]

    @admin.display(description=_("wilayah"), ordering="region_id")
    def region_or_national(self, obj):
        return obj.region if obj.region_id else _("Nasional")

    def may_view(self, request):
        return _administers_agencies(request) or access.can_manage_national_data(request.user)

    def may_change(self, request, obj=None):
        if obj is None:
            return True
        return access.can_manage_routing_rule(request.user, region=obj.region, agency=obj.agency)

    def may_delete(self, request, obj=None):
        return self.may_change(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if access.can_manage_national_data(request.user):
            return queryset
        agencies = access.manageable_agencies(request.user, Agency.objects.all())
        return queryset.filter(agency__in=agencies.values("pk"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = actions.save_routing_rule(
                actor=request.user,
                category=data["category"],
                region=data.get("region"),
                agency=data["agency"],
                note=data.get("note", ""),
                rule=obj if change else None,
            )
        except (PermissionDenied, actions.AgencyError) as exc:
            refuse(exc)
        if not change:
            adopt(obj, saved)

    def delete_model(self, request, obj):
        try:
            actions.delete_routing_rule(actor=request.user, rule=obj)
        except PermissionDenied as exc:
            refuse(exc)
