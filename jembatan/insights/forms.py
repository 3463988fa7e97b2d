"""The dashboard filters (period, region, agency, category), read from the query string."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.directory.models import Agency, Category, Region, RegionLevel
from jembatan.insights.models import Grain, ScopePlaceCube
from jembatan.insights.queries import Filters, Period, viewer_scopes

PRESETS = [
    ("7", _("7 hari terakhir")),
    ("30", _("30 hari terakhir")),
    ("90", _("90 hari terakhir")),
    ("bulan-ini", _("Bulan ini")),
    ("bulan-lalu", _("Bulan lalu")),
    ("365", _("12 bulan terakhir")),
    ("atur", _("Atur sendiri")),
]
MAX_AGENCY_CHOICES = 600
MAX_RANGE_DAYS = 5 * 366


def _option(key, text, selected):
    chosen = " selected" if str(key) == selected else ""
    return f'<option value="{escape(key)}"{chosen}>{escape(text)}</option>'


def preset_period(preset, today):
    if preset == "bulan-ini":
        return Period.between(today.replace(day=1), today)
    if preset == "bulan-lalu":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return Period.between(last.replace(day=1), last)
    if preset == "365":
        return Period(_months_back(today, 11), Period.month(today).end, Grain.MONTH)
    days = int(preset)
    return Period.between(today - dt.timedelta(days=days - 1), today)


def _months_back(day, months):
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


class FilterForm(forms.Form):
    periode = forms.ChoiceField(label=_("Periode"), choices=PRESETS, required=False)
    dari = forms.DateField(label=_("Dari"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sampai = forms.DateField(
        label=_("Sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Plain fields with their options kept aside: a ChoiceField normalises hundreds of agency
    # choices on every request; the clean_ methods below check the values instead.
    wilayah = forms.CharField(label=_("Wilayah"), required=False, max_length=13)
    instansi = forms.CharField(label=_("Instansi"), required=False, max_length=60)
    kategori = forms.CharField(label=_("Kategori"), required=False, max_length=12)

    def __init__(self, data=None, *, user, today=None):
        if data is not None and not data.get("periode"):
            # Drill-down links carry only dates: show them as "Atur sendiri", else the default.
            data = data.copy()
            data["periode"] = "atur" if data.get("dari") or data.get("sampai") else "30"
        super().__init__(data)
        self.user = user
        self.today = today or timezone.localdate()
        self.scopes = viewer_scopes(user)
        self.options = {
            "periode": PRESETS,
            "wilayah": self._region_choices(),
            "instansi": self._agency_choices(),
            "kategori": self._category_choices(),
        }

    def _region_choices(self):
        provinces = list(Region.objects.filter(level=RegionLevel.PROVINSI).values_list("code", "name"))
        seen = set(
            ScopePlaceCube.objects.filter(scope__in=[s.key for s in self.scopes], grain=Grain.MONTH)
            .exclude(region="")
            .values_list("region", flat=True)
            .distinct()[:2000]
        )
        for scope in self.scopes:
            if scope.agency is not None and scope.agency.region_id:
                seen.add(".".join(scope.agency.region_id.split(".")[:2]))
        cities = list(
            Region.objects.filter(code__in={c for c in seen if "." in c}, level=RegionLevel.KABUPATEN_KOTA)
            .values_list("code", "name")
            .order_by("code")
        )
        choices = [("", _("Semua wilayah"))]
        choices.append((_("Provinsi"), provinces))
        if cities:
            choices.append((_("Kabupaten/kota"), cities))
        return choices

    def _agency_choices(self):
        agencies = []
        for scope in self.scopes:
            qs = Agency.objects.all() if scope.agency is None else Agency.objects.subtree(scope.agency)
            agencies += list(qs.order_by("path").values_list("code", "name", "path")[:MAX_AGENCY_CHOICES])
        base = min((len(p.strip("/").split("/")) for _c, _n, p in agencies), default=1)
        choices = [("", _("Semua dalam cakupan saya"))]
        for code, name, path in agencies[:MAX_AGENCY_CHOICES]:
            depth = len(path.strip("/").split("/")) - base
            choices.append((code, "\u00a0\u00a0" * depth + name))
        return choices

    def _category_choices(self):
        choices = [("", _("Semua kategori"))]
        groups = {}
        for pk, name, parent in Category.objects.order_by("name").values_list("pk", "name", "parent_id"):
            if parent is None:
                groups.setdefault(pk, [name, []])[0] = name
            else:
                groups.setdefault(parent, ["", []])[1].append((str(pk), name))
        for pk, (name, children) in sorted(groups.items(), key=lambda kv: kv[1][0]):
            choices.append((name, [(str(pk), _("Semua: %(name)s") % {"name": name}), *children]))
        return choices

    def clean_instansi(self):
        code = self.cleaned_data.get("instansi")
        if not code:
            return None
        agency = Agency.objects.filter(code=code).first()
        if agency is None or not access.can(self.user, Action.VIEW_DASHBOARD, agency):
            raise forms.ValidationError(_("Instansi ini di luar cakupan Anda."))
        return agency

    def clean_kategori(self):
        value = self.cleaned_data.get("kategori")
        if not value:
            return None
        category = Category.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if category is None:
            raise forms.ValidationError(_("Kategori tidak dikenal."))
        return category

    def clean_wilayah(self):
        value = self.cleaned_data.get("wilayah") or ""
        if (
            value
            and not Region.objects.filter(
                code=value, level__in=(RegionLevel.PROVINSI, RegionLevel.KABUPATEN_KOTA)
            ).exists()
        ):
            raise forms.ValidationError(_("Wilayah tidak dikenal."))
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("dari"), data.get("sampai")
        preset = data.get("periode") or ("atur" if start or end else "30")
        if preset == "atur":
            end = min(end or self.today, self.today)
            start = start or end - dt.timedelta(days=29)
            if start > end:
                raise forms.ValidationError(_("Tanggal awal harus sebelum tanggal akhir."))
            if (end - start).days > MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Rentang paling panjang lima tahun."))
            data["period"] = Period.between(start, end)
        else:
            data["period"] = preset_period(preset, self.today)
        return data

    def fast_fields(self):
        """[(field, html)]: the controls, built here because Django renders each <option> of a
        select through a template, and the agency list alone has hundreds of them."""
        result = []
        for name in self.fields:
            bound = self[name]
            value = bound.value()
            value = "" if value is None else str(value)
            attrs = f'name="{name}" id="{bound.id_for_label}"'
            if name in self.options:
                options = []
                for key, text in self.options[name]:
                    if isinstance(text, list | tuple):
                        inner = "".join(_option(k, t, value) for k, t in text)
                        options.append(f'<optgroup label="{escape(key)}">{inner}</optgroup>')
                    else:
                        options.append(_option(key, text, value))
                html = f"<select {attrs}>{''.join(options)}</select>"
            else:
                html = f'<input type="date" {attrs} value="{escape(value)}">'
            result.append((bound, mark_safe(html)))
        return result

    def filters(self):
        data = self.cleaned_data
        return Filters(
            period=data["period"],
            region=data.get("wilayah") or "",
            agency=data.get("instansi"),
            category=data.get("kategori"),
        )

    def query(self, **extra):
        """The filters as a query string (for links between dashboards and to exports)."""
        from urllib.parse import urlencode

        params = {k: v for k, v in (self.data or {}).items() if k in self.fields and v}
        params.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(params)
