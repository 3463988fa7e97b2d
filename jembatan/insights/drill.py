"""The reports behind a number: the same terms as the cube row it came from, applied to the facts.

A dashboard number is a sum over cube rows that were aggregated from facts; the drill-down applies
the same conditions to the same facts, so the list holds exactly the reports that were counted.
Every listed report is then checked with access.can_view_report_internal (belt and braces: the
scope already only admits reports the viewer may see).

Query parameters (Indonesian, as in the URLs): dari, sampai, wilayah ("-" unknown), instansi (an
agency code; with langsung=1 the agency itself, not its subtree), kategori ("0" none), kanal,
jenis, status ("terbuka" = still active), kata (a title word), fakta (laporan | verifikasi |
disposisi), ukuran (a measure, below).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.directory.models import Agency, Category, Region
from jembatan.insights.models import DispositionFact, Grain, ReportFact
from jembatan.insights.queries import Catalog, Filters, Period, Scope, fetch, total, viewer_scopes
from jembatan.reports.models import ACTIVE_STATUSES, Channel, Report, ReportType, Status

REPORT_MEASURES = {
    "verified": Q(verified=True),
    "verified_on_time": Q(verified_on_time=True),
    "verified_late": Q(verified=True, verified_on_time=False) | Q(verify_overdue=True),
    "verify_overdue": Q(verify_overdue=True),
    "answered": Q(answered=True),
    "answered_on_time": Q(answered_on_time=True),
    "answered_late": Q(answered=True, answered_on_time=False),
    "rated": Q(rating__gt=0),
}
DISPOSITION_MEASURES = {
    "responded": Q(responded=True),
    "responded_on_time": Q(responded_on_time=True),
    "responded_late": Q(responded=True, responded_on_time=False) | Q(response_overdue=True),
    "completed": Q(completed=True),
    "completed_on_time": Q(completed_on_time=True),
    "completed_late": Q(completed=True, completed_on_time=False) | Q(completion_overdue=True),
    "returned": Q(returned=True),
    "open": Q(status__in=["terdisposisi", "diproses"]),
    "overdue": Q(response_overdue=True) | Q(completion_overdue=True),
}
MEASURE_LABELS = {
    "verified": gettext_lazy("sudah diverifikasi"),
    "verified_on_time": gettext_lazy("diverifikasi tepat waktu"),
    "verified_late": gettext_lazy("verifikasi terlambat atau lewat batas"),
    "verify_overdue": gettext_lazy("belum diverifikasi dan lewat batas"),
    "answered": gettext_lazy("sudah ditindaklanjuti"),
    "answered_on_time": gettext_lazy("ditindaklanjuti tepat waktu"),
    "answered_late": gettext_lazy("ditindaklanjuti terlambat"),
    "rated": gettext_lazy("sudah dinilai pelapor"),
    "responded": gettext_lazy("sudah ada tindak lanjut pertama"),
    "responded_on_time": gettext_lazy("tindak lanjut pertama tepat waktu"),
    "responded_late": gettext_lazy("tindak lanjut pertama terlambat atau lewat batas"),
    "completed": gettext_lazy("selesai"),
    "completed_on_time": gettext_lazy("selesai tepat waktu"),
    "completed_late": gettext_lazy("selesai terlambat atau lewat batas"),
    "returned": gettext_lazy("dikembalikan (bukan wewenang)"),
    "open": gettext_lazy("masih terbuka"),
    "overdue": gettext_lazy("masih terbuka dan lewat batas waktu"),
}


class DrillError(ValueError):
    """A parameter that makes no sense; shown to the user as a 400."""


@dataclass
class Drill:
    fact: str  # laporan | verifikasi | disposisi
    facts: object  # the fact queryset
    terms: list  # [(label, value)] for the page heading
    user: object = None
    # (scopes, Filters) when the terms are a cube question (see _cube_question), else None.
    question: tuple | None = None

    def count(self):
        """How many reports (or dispositions) the list holds.

        Counting the facts of a kabupaten/kota since the beginning reads a row per report (Kota
        Padang's 1.4 million at 5,000,000 reports: a sequential scan of every fact); when the terms
        are a cube question, the cubes that were summed from those facts answer it instead."""
        if self.question is not None:
            scopes, filters = self.question
            return total(fetch("report", scopes, filters, measures=["reports"]), "reports")
        if self.fact == "disposisi":
            return self.facts.count()
        return self.report_ids().count()

    def report_ids(self):
        """The matching report ids, newest first (a report once, however many dispositions)."""
        if self.fact == "disposisi":
            return self.facts.order_by("-report_id").values_list("report_id", flat=True).distinct()
        return self.facts.order_by("-day", "-report_id").values_list("report_id", flat=True)

    def reports(self, ids):
        """These reports in this order, each one checked with access.py: belt and braces, the scope
        of the facts already only admits what the viewer may see."""
        found = (
            Report.objects.filter(pk__in=list(ids))
            .select_related("category", "region", "verifying_agency")
            .prefetch_related("dispositions__agency")
        )
        by_id = {r.pk: r for r in found if access.can_view_report_internal(self.user, r)}
        return [by_id[pk] for pk in ids if pk in by_id]


def _date(params, name):
    value = params.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DrillError(_("Tanggal tidak valid: %(value)s") % {"value": value}) from None


def _day(day):
    return date_format(day, "j M Y") if day else "…"


def _word_q(word):
    return (
        Q(words=word)
        | Q(words__startswith=word + " ")
        | Q(words__endswith=" " + word)
        | Q(words__contains=f" {word} ")
    )


def build(user, params):
    """The Drill for these query parameters, or PermissionDenied / DrillError."""
    fact = params.get("fakta") or "laporan"
    if fact not in ("laporan", "verifikasi", "disposisi"):
        raise DrillError(_("Jenis data tidak dikenal."))
    model = DispositionFact if fact == "disposisi" else ReportFact
    column = "verifier" if fact == "verifikasi" else "agency"
    scopes = viewer_scopes(user)
    if not scopes:
        raise PermissionDenied(_("Anda tidak berwenang membuka dasbor."))
    terms = []  # (label, value): what the list is filtered by, shown above it
    qs = model.objects.all()

    start, end = _date(params, "dari"), _date(params, "sampai")
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    if start or end:
        terms.append((_("Periode"), f"{_day(start)} – {_day(end)}"))
    qs = _by_agency(qs, params, terms, user=user, scopes=scopes, column=column)
    qs = _by_region(qs, params, terms)
    qs = _by_coordinates(qs, params, terms)
    qs = _by_category(qs, params, terms)
    if model is ReportFact:
        qs = _by_report_fields(qs, params, terms)
    measure = params.get("ukuran")
    if measure:
        measures = DISPOSITION_MEASURES if model is DispositionFact else REPORT_MEASURES
        if measure not in measures:
            raise DrillError(_("Ukuran tidak dikenal."))
        qs = qs.filter(measures[measure])
        terms.append((_("Ukuran"), str(MEASURE_LABELS[measure])))
    question = _cube_question(params, scopes, start, end)
    return Drill(fact=fact, facts=qs, terms=terms, user=user, question=question)


# Terms a cube question has: the period, a region (not "unknown"), an agency's subtree, a category.
CUBE_TERMS = frozenset({"dari", "sampai", "wilayah", "instansi", "kategori", "fakta", "halaman"})


def _cube_question(params, scopes, start, end):
    """(scopes, Filters) asking the cubes for the number of reports these terms list, or None when
    a term is not a cube dimension (a measure, a channel, a word, coordinates, "langsung")."""
    if (params.get("fakta") or "laporan") != "laporan" or any(
        value and name not in CUBE_TERMS for name, value in params.items()
    ):
        return None
    region, category = params.get("wilayah") or "", None
    if region == "-" or params.get("kategori") == "0":
        return None
    if params.get("kategori"):
        category = Category.objects.get(pk=int(params["kategori"]))  # checked by _by_category
    if params.get("instansi"):
        scopes = [Scope(Agency.objects.get(code=params["instansi"]))]  # checked by _by_agency
    period = Period(start or dt.date(1, 1, 1), end or dt.date(9999, 12, 31), Grain.DAY)
    return scopes, Filters(period=period, region=region, category=category)


def _by_agency(qs, params, terms, *, user, scopes, column):
    """An agency's subtree (or only its own, "langsung"), always inside the viewer's scopes."""
    catalog = Catalog()
    code = params.get("instansi")
    direct = params.get("langsung") == "1"
    if code:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise DrillError(_("Instansi tidak dikenal."))
        if not access.can(user, Action.VIEW_DASHBOARD, agency):
            raise PermissionDenied(_("Instansi ini di luar cakupan Anda."))
        if direct:
            qs = qs.filter(**{column: agency.pk})
        else:
            qs = qs.filter(**{f"{column}__in": catalog.subtree_ids(agency)})
        terms.append((_("Instansi"), agency.name + (_(" (langsung)") if direct else "")))
    elif direct:
        if not scopes[0].is_national:
            raise PermissionDenied(_("Hanya pengguna nasional yang melihat laporan tanpa instansi."))
        qs = qs.filter(**{column: 0})
        terms.append((_("Instansi"), _("(tanpa instansi)")))
    elif not scopes[0].is_national:
        ids = set()
        for scope in scopes:
            ids.update(catalog.subtree_ids(scope.agency))
        qs = qs.filter(**{f"{column}__in": sorted(ids)})
    return qs


def _by_region(qs, params, terms):
    region = params.get("wilayah")
    if not region:
        return qs
    if region == "-":
        qs = qs.filter(province="")
    elif "." in region:
        qs = qs.filter(region=region)
    else:
        qs = qs.filter(province=region)
    if region == "-":
        terms.append((_("Wilayah"), _("Tidak diketahui")))
    else:
        name = Region.objects.filter(code=region).values_list("name", flat=True).first()
        terms.append((_("Wilayah"), f"{name} ({region})" if name else region))
    return qs


def _by_coordinates(qs, params, terms):
    """A hotspot: reports whose coordinates fall in [min, max) of latitude and longitude."""
    for name, field, label in (("lintang", "latitude", _("Lintang")), ("bujur", "longitude", _("Bujur"))):
        value = params.get(name)
        if not value:
            continue
        try:
            low, high = (Decimal(part) for part in value.split(":"))
        except (ValueError, ArithmeticError):
            raise DrillError(_("Koordinat tidak valid: %(value)s") % {"value": value}) from None
        # A report's fact carries its coordinates; a disposition's is read from its report.
        column = field if qs.model is ReportFact else f"report__{field}"
        qs = qs.filter(**{f"{column}__gte": low, f"{column}__lt": high})
        terms.append((label, f"{low} – {high}"))
    return qs


def _by_category(qs, params, terms):
    category = params.get("kategori")
    if not category:
        return qs
    if category == "0":
        terms.append((_("Kategori"), _("Tanpa kategori")))
        return qs.filter(category=0)
    try:
        cat = Category.objects.get(pk=int(category))
    except (ValueError, Category.DoesNotExist):
        raise DrillError(_("Kategori tidak dikenal.")) from None
    terms.append((_("Kategori"), cat.name))
    return qs.filter(**({"category": cat.pk} if cat.parent_id else {"category_group": cat.pk}))


def _by_report_fields(qs, params, terms):
    """Channel, type, status and a word: facts of reports only (dispositions have none of them)."""
    for name, field, label, names in (
        ("kanal", "channel", _("Kanal"), dict(Channel.choices)),
        ("jenis", "kind", _("Jenis"), dict(ReportType.choices)),
    ):
        if params.get(name):
            qs = qs.filter(**{field: params[name]})
            terms.append((label, names.get(params[name], params[name])))
    status = params.get("status")
    if status == "terbuka":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
        terms.append((_("Status"), _("masih terbuka")))
    elif status:
        qs = qs.filter(status=status)
        terms.append((_("Status"), dict(Status.choices).get(status, status)))
    if params.get("kata"):
        qs = qs.filter(_word_q(params["kata"].lower()))
        terms.append((_("Kata"), params["kata"]))
    return qs
