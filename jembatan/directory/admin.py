"""The map of government in the Django admin, for sysadmins and agency administrators.

The region table holds 91,599 rows: its list never counts the whole table, never computes facets,
and searches through the indexed code and name prefixes instead of LIKE '%…%' scans.
"""

import re

from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jembatan.directory.models import Agency, Category, Region, RoutingRule, prefix_q

_CODE_PREFIX = re.compile(r"[\d.]+")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        # New codes come only from a Kemendagri decree, through load_regions.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
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


class CategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "default_agency_kind", "default_agency_keyword", "is_active"]
    extra = 0
    show_change_link = True
    verbose_name = _("kategori dalam kelompok ini")
    verbose_name_plural = _("kategori dalam kelompok ini")


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
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "default_agency_kind", "default_agency_keyword", "is_active"]
    list_filter = [GroupFilter, ("parent", admin.RelatedOnlyFieldListFilter), "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "code", "keywords"]
    fields = [
        "code",
        "name",
        "parent",
        "default_agency_kind",
        "default_agency_keyword",
        "keywords",
        "is_active",
    ]
    ordering = ["parent__name", "name"]

    def get_inlines(self, request, obj):
        # Only a group has categories below it; the two-level rule is enforced in Category.clean.
        return [CategoryInline] if obj is not None and obj.parent_id is None else []


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
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
