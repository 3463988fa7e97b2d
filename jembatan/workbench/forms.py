"""The workbench's forms. They parse and check the shape of input; the rules live in the actions,
whose errors (ReportError.field) are put back next to the field they name."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.models import Role, StaffRole, User
from jembatan.directory.models import Agency, Category, Region, RegionLevel, prefix_q
from jembatan.reports.attachments import MAX_ATTACHMENTS
from jembatan.reports.models import (
    ArchiveReason,
    Channel,
    Classification,
    Disposition,
    ReceivedVia,
    Report,
    ReportType,
)
from jembatan.reports.search import search_reports
from jembatan.workbench.models import PLACEHOLDERS, ResponseTemplate, TemplatePurpose

# Reasons only the system or the reporter use; an officer picks from the rest (duplicates have
# their own form, which links the original).
SYSTEM_ARCHIVE_REASONS = ("duplikat", "kedaluwarsa", "ditarik-pelapor")
MAX_AGENCY_CHOICES = 500


def category_choices(blank_label):
    """Categories grouped under their group, from one query; a group itself is selectable too."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent").order_by("name"))
    groups = [c for c in rows if c.parent_id is None]
    children = {}
    for c in rows:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append((c.pk, c.name))
    choices = [("", blank_label)]
    for group in groups:
        choices.append(
            (
                group.name,
                [(group.pk, _("%(name)s (semua)") % {"name": group.name})] + children.get(group.pk, []),
            )
        )
    return choices


def leaf_category_choices(blank_label):
    rows = Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")
    grouped = {}
    for c in rows.order_by("parent__name", "name"):
        grouped.setdefault(c.parent.name, []).append((c.pk, c.name))
    return [("", blank_label)] + [(group, items) for group, items in grouped.items()]


def scope_agencies(user, *actions):
    """Active agencies inside the user's scopes for any of `actions` (all of them for a national role)."""
    scopes = []
    for action in actions:
        scopes += access.scopes_for(user, action)
    qs = Agency.objects.active().order_by("path")
    if not scopes:
        return qs.none()
    if None not in scopes:
        q = Q(pk__in=[])
        for agency in scopes:
            q |= prefix_q(qs, "path", agency.path)
        qs = qs.filter(q)
    return qs


def agency_choices(queryset, *, extra=()):
    """(pk, indented name) for a <select>, the tree shown by indentation; `extra` agencies first."""
    agencies = list(queryset[:MAX_AGENCY_CHOICES])
    seen = {a.pk for a in agencies}
    first = [a for a in extra if a is not None and a.pk not in seen]
    base = min((a.path.count("/") for a in agencies), default=0)
    choices = [(a.pk, a.name) for a in first]
    choices += [(a.pk, "\u2003" * (a.path.count("/") - base) + a.name) for a in agencies]
    return choices


def remote_agency_choices(*, exclude=()):
    """The agencies hosted on other instances of the network, as one <select> group: disposing to one
    forwards the report there (federation), so every verifier may pick them, whatever their scope."""
    remote = (
        Agency.objects.active()
        .filter(federation_host__isnull=False, federation_host__instance__is_active=True)
        .exclude(pk__in=list(exclude))
        .select_related("federation_host__instance")
        .order_by("name")
    )
    options = [
        (
            a.pk,
            _("%(agency)s — di %(instance)s")
            % {"agency": a.name, "instance": a.federation_host.instance.name},
        )
        for a in remote
    ]
    return [(_("Instansi di instans lain"), options)] if options else []


def region_choices(user):
    """The province(s) of the user's scopes and their kabupaten/kota (more for a national role)."""
    provinces = set()
    national = False
    for r in access.roles_of(user):
        if r.agency_id is None or r.agency.region_id is None:
            national = True
        else:
            provinces.add(r.agency.region_id.split(".")[0])
    if national:
        # Every province, and the kabupaten/kota of the provinces this instance has agencies in (all
        # 514 of Indonesia would bloat every queue page of a national admin).
        served = Agency.objects.active().filter(region__isnull=False).values_list("region_id", flat=True)
        provinces |= {code.split(".")[0] for code in served.distinct()}
    qs = Region.objects.order_by("code")
    if national:
        qs = qs.filter(Q(level=RegionLevel.PROVINSI) | Q(code__in=provinces) | Q(parent_id__in=provinces))
    else:
        qs = qs.filter(Q(code__in=provinces) | Q(parent_id__in=provinces))
    return [(r.code, ("" if r.level == RegionLevel.PROVINSI else "\u2003") + r.name) for r in qs]


def _active_category(pk):
    """The active category chosen by `pk` (None: none chosen); a form error for an unknown one."""
    if pk is None:
        return None
    category = Category.objects.filter(pk=pk, is_active=True).first()
    if category is None:
        raise forms.ValidationError(_("Kategori tidak dikenal."))
    return category


class AgencyMultipleChoiceField(forms.TypedMultipleChoiceField):
    """Agency ids chosen from a list built for the officer; cleaned into Agency objects."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value):
        # The list shows the officer's usual targets; any active agency is a legal target.
        return True

    def clean(self, value):
        ids = super().clean(value)
        if not ids:
            return []
        agencies = list(Agency.objects.filter(pk__in=ids, is_active=True))
        if len(agencies) != len(set(ids)):
            raise forms.ValidationError(_("Instansi tujuan tidak dikenal atau tidak aktif."))
        by_id = {a.pk: a for a in agencies}
        return [by_id[i] for i in dict.fromkeys(ids)]


class AgencyChoiceField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, empty_value=None, **kwargs)

    def valid_value(self, value):
        return True

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        agency = Agency.objects.filter(pk=pk, is_active=True).first()
        if agency is None:
            raise forms.ValidationError(_("Instansi tujuan tidak dikenal atau tidak aktif."))
        return agency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("Paling banyak %(n)d lampiran.") % {"n": MAX_ATTACHMENTS})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def text_area(rows=4, **attrs):
    return forms.Textarea(attrs={"rows": rows, **attrs})


# --- Report actions ----------------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every action form carries the version of the report the officer saw (stale-form guard)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class VerifyForm(VersionedForm):
    THEN_VERIFY = "verify"
    THEN_DISPOSE = "dispose"

    classification = forms.ChoiceField(label=_("Klasifikasi"), choices=[("", "—")] + Classification.choices)
    category = forms.TypedChoiceField(label=_("Kategori"), coerce=int, empty_value=None, required=False)
    title = forms.CharField(label=_("Judul"), max_length=200)
    is_anonymous = forms.BooleanField(label=_("Anonim (identitas pelapor dirahasiakan)"), required=False)
    is_confidential = forms.BooleanField(label=_("Rahasia (tidak tampil untuk publik)"), required=False)
    agencies = AgencyMultipleChoiceField(
        label=_("Disposisikan ke"),
        required=False,
        help_text=_("Hanya dipakai bila Anda memilih “Verifikasi & disposisikan”."),
    )
    instruction = forms.CharField(label=_("Instruksi untuk instansi"), required=False, widget=text_area(3))
    # Set by the submit button the officer pressed (never rendered as a field of its own).
    then = forms.ChoiceField(
        choices=[(THEN_VERIFY, _("Verifikasi")), (THEN_DISPOSE, _("Verifikasi & disposisikan"))],
        widget=forms.HiddenInput,
        required=False,
    )

    def __init__(self, *args, agency_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = leaf_category_choices(_("— tetap —"))
        self.fields["agencies"].choices = agency_options

    def clean_category(self):
        return _active_category(self.cleaned_data.get("category"))

    def clean(self):
        data = super().clean()
        data["then"] = data.get("then") or self.THEN_VERIFY
        if data["then"] == self.THEN_DISPOSE and not data.get("agencies"):
            self.add_error("agencies", _("Pilih paling sedikit satu instansi tujuan."))
        return data


class RequestInformationForm(VersionedForm):
    message = forms.CharField(
        label=_("Pesan untuk pelapor"),
        min_length=10,
        max_length=5000,
        widget=text_area(4),
        help_text=_("Pelapor menerima pesan ini; jam SLA verifikasi berhenti sampai pelapor menjawab."),
    )


class ArchiveForm(VersionedForm):
    reason = forms.ModelChoiceField(label=_("Alasan"), queryset=ArchiveReason.objects.none())
    note = forms.CharField(label=_("Keterangan untuk pelapor"), required=False, widget=text_area(2))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ArchiveReason.objects.filter(is_active=True).exclude(
            code__in=SYSTEM_ARCHIVE_REASONS
        )


class DisposeForm(VersionedForm):
    agencies = AgencyMultipleChoiceField(label=_("Instansi tujuan"))
    instruction = forms.CharField(label=_("Instruksi untuk instansi"), required=False, widget=text_area(3))

    def __init__(self, *args, agency_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = agency_options


class CloseForm(VersionedForm):
    note = forms.CharField(label=_("Alasan penutupan"), min_length=5, max_length=5000, widget=text_area(2))


class ReturnToOriginForm(VersionedForm):
    reason = forms.CharField(
        label=_("Alasan pengembalian"),
        min_length=10,
        max_length=5000,
        widget=text_area(2),
        help_text=_("Laporan kembali ke instans asalnya sebagai bukan wewenang; salinan di sini diarsipkan."),
    )


class SendToLaporForm(forms.Form):
    """Nothing to fill in: the report goes as it is (its stored fields, identity rules applied)."""


class DuplicateForm(VersionedForm):
    original = forms.CharField(
        label=_("Nomor laporan asal"),
        max_length=13,
        help_text=_("Laporan ini diarsipkan sebagai duplikat; dukungannya pindah ke laporan asal."),
    )
    note = forms.CharField(label=_("Keterangan"), required=False, widget=text_area(2))

    def clean_original(self):
        return self.cleaned_data["original"].strip().lstrip("#")


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Catatan internal"), max_length=10000, widget=text_area(3))


# --- Disposition actions -----------------------------------------------------------------------------


def eligible_liaisons(agency):
    """Liaisons (penghubung) of `agency` or of an agency above it: who is_eligible_liaison allows."""
    ids = [int(part) for part in agency.path.strip("/").split("/") if part]
    return User.objects.filter(
        is_active=True,
        pk__in=StaffRole.objects.filter(role=Role.PENGHUBUNG, is_active=True, agency_id__in=ids).values(
            "user_id"
        ),
    ).order_by("full_name", "username")


class AssignLiaisonForm(VersionedForm):
    liaison = forms.ModelChoiceField(label=_("Penghubung"), queryset=User.objects.none())

    def __init__(self, *args, liaisons=None, **kwargs):
        super().__init__(*args, **kwargs)
        if liaisons is not None:
            self.fields["liaison"].queryset = liaisons


class StartFollowUpForm(VersionedForm):
    pass


class FollowUpForm(VersionedForm):
    text = forms.CharField(
        label=_("Tindak lanjut (jawaban untuk publik)"),
        min_length=20,
        max_length=20000,
        widget=text_area(6),
        help_text=_("Jawaban ini tampil untuk pelapor dan publik. Jangan menulis data pribadi pelapor."),
    )
    attachments = MultipleFileField(label=_("Lampiran (foto atau PDF)"))


class ProgressForm(VersionedForm):
    text = forms.CharField(
        label=_("Perkembangan"),
        min_length=10,
        max_length=5000,
        widget=text_area(3),
        help_text=_("Misalnya: sedang dikerjakan, material sudah dipesan. Ini bukan jawaban akhir."),
    )
    expected_completion = forms.DateField(
        label=_("Perkiraan selesai (tidak wajib)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    public = forms.BooleanField(
        label=_("Tampilkan ke pelapor dan publik"),
        required=False,
        initial=True,
        help_text=_("Tanpa centang: catatan perkembangan hanya untuk petugas."),
    )


class UnmergeForm(VersionedForm):
    pass


class ReturnForm(VersionedForm):
    reason = forms.CharField(
        label=_("Alasan (bukan wewenang)"), min_length=10, max_length=5000, widget=text_area(3)
    )


class ForwardForm(VersionedForm):
    agency = AgencyChoiceField(label=_("Limpahkan ke"))
    reason = forms.CharField(
        label=_("Alasan pelimpahan"), min_length=10, max_length=5000, widget=text_area(3)
    )

    def __init__(self, *args, agency_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "—")] + list(agency_options)


# --- Entering a report for a citizen -----------------------------------------------------------------


class EnterReportForm(forms.Form):
    received_via = forms.ChoiceField(label=_("Diterima melalui"), choices=[("", "—"), *ReceivedVia.choices])
    kind = forms.ChoiceField(label=_("Jenis laporan"), choices=ReportType.choices)
    title = forms.CharField(label=_("Judul"), max_length=200)
    description = forms.CharField(label=_("Isi laporan"), widget=text_area(6), max_length=10000)
    category = forms.TypedChoiceField(label=_("Kategori"), coerce=int, empty_value=None, required=False)
    region = forms.ChoiceField(label=_("Wilayah"), required=False)
    address = forms.CharField(label=_("Alamat/lokasi"), max_length=300, required=False)
    incident_date = forms.DateField(
        label=_("Tanggal kejadian"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reporter_name = forms.CharField(label=_("Nama pelapor"), max_length=150, required=False)
    reporter_email = forms.EmailField(label=_("E-mail pelapor"), required=False)
    reporter_phone = forms.CharField(label=_("Ponsel pelapor"), max_length=20, required=False)
    is_anonymous = forms.BooleanField(
        label=_("Pelapor minta identitasnya dirahasiakan (anonim)"), required=False
    )
    is_confidential = forms.BooleanField(
        label=_("Laporan rahasia (tidak tampil untuk publik)"), required=False
    )
    attachments = MultipleFileField(label=_("Lampiran (foto atau PDF)"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = leaf_category_choices("—")
        self.fields["region"].choices = [("", "—")] + region_choices(user)

    def clean_category(self):
        return _active_category(self.cleaned_data.get("category"))

    def clean_region(self):
        code = self.cleaned_data.get("region")
        return Region.objects.filter(code=code).first() if code else None

    def clean(self):
        data = super().clean()
        if not data.get("reporter_email") and not data.get("reporter_phone"):
            self.add_error(
                "reporter_email",
                _("Isi e-mail atau nomor ponsel pelapor agar ia dapat dikabari perkembangan laporannya."),
            )
        return data


# --- Queue filters and saved filters -----------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The filters of a queue page (GET). Every field is optional; a bad value is simply ignored."""

    FIELDS = ("q", "category", "region", "agency", "channel", "classification", "date_from", "date_to")

    q = forms.CharField(
        label=_("Cari"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "accesskey": "s", "placeholder": _("kata atau nomor")}
        ),
    )
    category = forms.TypedChoiceField(label=_("Kategori"), coerce=int, empty_value=None, required=False)
    region = forms.ChoiceField(label=_("Wilayah"), required=False)
    agency = forms.TypedChoiceField(label=_("Instansi"), coerce=int, empty_value=None, required=False)
    channel = forms.ChoiceField(
        label=_("Kanal"), required=False, choices=[("", _("Semua"))] + Channel.choices
    )
    classification = forms.ChoiceField(
        label=_("Klasifikasi"),
        required=False,
        choices=[("", _("Semua")), ("none", _("Belum diklasifikasi"))] + Classification.choices,
    )
    date_from = forms.DateField(
        label=_("Diterima dari"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(_("Semua"))
        self.fields["region"].choices = [("", _("Semua"))] + region_choices(user)
        agencies = scope_agencies(user, Action.VIEW_REPORTS, Action.VERIFY, Action.FOLLOW_UP)
        self.fields["agency"].choices = [("", _("Semua"))] + agency_choices(agencies)

    @property
    def active(self):
        """The valid, non-empty filters (an invalid field counts as not set)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "", [])}

    def apply(self, queryset, *, of_dispositions):
        """Filter a queue's rows (reports, or dispositions via their report)."""
        f = self.active
        p = "report__" if of_dispositions else ""
        if f.get("q"):
            matching = search_reports(Report.objects.all(), f["q"]).values("pk")
            queryset = queryset.filter(**{("report_id__in" if of_dispositions else "pk__in"): matching})
        if f.get("category"):
            queryset = queryset.filter(
                Q(**{f"{p}category_id": f["category"]}) | Q(**{f"{p}category__parent_id": f["category"]})
            )
        if f.get("region"):
            code = f["region"]
            queryset = queryset.filter(
                Q(**{f"{p}region_id": code}) | prefix_q(queryset, f"{p}region__code", code + ".")
            )
        if f.get("agency"):
            agency = Agency.objects.filter(pk=f["agency"]).first()
            if agency is not None:
                subtree = Agency.objects.subtree(agency).values("pk")
                if of_dispositions:
                    queryset = queryset.filter(agency_id__in=subtree)
                else:
                    disposed = Disposition.objects.filter(agency_id__in=subtree).values("report_id")
                    queryset = queryset.filter(Q(verifying_agency_id__in=subtree) | Q(pk__in=disposed))
        if f.get("channel"):
            queryset = queryset.filter(**{f"{p}channel": f["channel"]})
        if f.get("classification"):
            value = "" if f["classification"] == "none" else f["classification"]
            queryset = queryset.filter(**{f"{p}classification": value})
        if f.get("date_from"):
            queryset = queryset.filter(**{f"{p}submitted_at__gte": _start_of(f["date_from"])})
        if f.get("date_to"):
            queryset = queryset.filter(
                **{f"{p}submitted_at__lt": _start_of(f["date_to"] + dt.timedelta(days=1))}
            )
        return queryset

    def querystring(self):
        """The active filters as a query string (what a saved filter stores)."""
        from urllib.parse import urlencode

        items = []
        for name in self.FIELDS:
            value = self.active.get(name)
            if value not in (None, ""):
                items.append((name, value.isoformat() if isinstance(value, dt.date) else value))
        return urlencode(items)


def _start_of(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class SaveFilterForm(forms.Form):
    name = forms.CharField(label=_("Nama filter"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


# --- Bulk actions ------------------------------------------------------------------------------------


class SelectionField(forms.MultipleChoiceField):
    """The ticked rows of a queue page: "pk:version" values, checked in clean_items, not against choices."""

    def valid_value(self, value):
        return True


class BulkForm(forms.Form):
    VERIFY_DISPOSE = "verify_dispose"
    DUPLICATE = "duplicate"
    ASSIGN_LIAISON = "assign_liaison"
    MAX_ITEMS = 100

    action = forms.ChoiceField(
        label=_("Tindakan"),
        choices=[
            (VERIFY_DISPOSE, _("Verifikasi & disposisikan")),
            (DUPLICATE, _("Arsipkan sebagai duplikat")),
            (ASSIGN_LIAISON, _("Tetapkan penghubung")),
        ],
    )
    items = SelectionField(label=_("Pilihan"))
    classification = forms.ChoiceField(
        label=_("Klasifikasi"), required=False, choices=[("", "—")] + Classification.choices
    )
    agencies = AgencyMultipleChoiceField(
        label=_("Disposisikan ke"),
        required=False,
        help_text=_("Kosongkan untuk mengirim tiap laporan ke instansi usulan sistem."),
    )
    instruction = forms.CharField(label=_("Instruksi"), required=False, widget=text_area(2))
    original = forms.CharField(label=_("Nomor laporan asal"), required=False, max_length=13)
    liaison = forms.ModelChoiceField(label=_("Penghubung"), required=False, queryset=User.objects.none())

    def __init__(self, *args, allowed_actions=(), agency_options=(), liaisons=None, **kwargs):
        # The queue's filter form has fields of the same names (classification, …): its own ids.
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [c for c in self.fields["action"].choices if c[0] in allowed_actions]
        self.fields["agencies"].choices = agency_options
        if liaisons is not None:
            self.fields["liaison"].queryset = liaisons

    def clean_items(self):
        items = []
        for raw in self.cleaned_data["items"][: self.MAX_ITEMS + 1]:
            try:
                pk, version = (int(x) for x in raw.split(":"))
            except ValueError:
                raise forms.ValidationError(_("Pilihan tidak valid.")) from None
            items.append((pk, version))
        if len(items) > self.MAX_ITEMS:
            raise forms.ValidationError(_("Paling banyak %(n)d baris sekaligus.") % {"n": self.MAX_ITEMS})
        return items

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.VERIFY_DISPOSE and not data.get("classification"):
            self.add_error("classification", _("Pilih klasifikasi laporan."))
        if action == self.DUPLICATE and not (data.get("original") or "").strip("# "):
            self.add_error("original", _("Isi nomor laporan asal."))
        if action == self.ASSIGN_LIAISON and not data.get("liaison"):
            self.add_error("liaison", _("Pilih penghubung."))
        return data


# --- Response templates ------------------------------------------------------------------------------


class ResponseTemplateForm(forms.Form):
    name = forms.CharField(label=_("Nama"), max_length=120)
    purpose = forms.ChoiceField(label=_("Kegunaan"), choices=TemplatePurpose.choices)
    agency = forms.TypedChoiceField(label=_("Instansi"), coerce=int, empty_value=None, required=False)
    body = forms.CharField(
        label=_("Isi"),
        widget=text_area(8),
        help_text=format_lazy(
            "{} {}", _("Penanda yang dapat dipakai:"), ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        ),
    )
    is_active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        national = None in access.scopes_for(user, Action.MANAGE_TEMPLATES)
        choices = [("", _("Semua instansi (nasional)"))] if national else []
        choices += agency_choices(scope_agencies(user, Action.MANAGE_TEMPLATES))
        self.fields["agency"].choices = choices
        self.fields["agency"].required = not national

    def clean_agency(self):
        pk = self.cleaned_data.get("agency")
        return Agency.objects.filter(pk=pk).first() if pk else None

    @classmethod
    def initial_for(cls, template):
        return {
            "name": template.name,
            "purpose": template.purpose,
            "agency": template.agency_id,
            "body": template.body,
            "is_active": template.is_active,
        }


def templates_for(agency, purpose):
    return list(ResponseTemplate.objects.usable_for(agency, purpose))
