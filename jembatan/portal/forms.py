"""Forms of the citizen portal. They parse and check input; the actions decide and change state."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from jembatan.directory.models import Agency, Category, Region, RegionLevel, prefix_q, region_place_labels
from jembatan.notify.phones import normalize_phone
from jembatan.reports.actions import MIN_DESCRIPTION_LENGTH, MIN_TITLE_LENGTH
from jembatan.reports.attachments import MAX_ATTACHMENTS
from jembatan.reports.models import ReportType, Status

REGION_LEVELS = [
    ("prov", RegionLevel.PROVINSI, _("Provinsi")),
    ("kab", RegionLevel.KABUPATEN_KOTA, _("Kabupaten/Kota")),
    ("kec", RegionLevel.KECAMATAN, _("Kecamatan")),
    ("desa", RegionLevel.DESA_KELURAHAN, _("Desa/Kelurahan")),
]
REGION_SEARCH_LIMIT = 20


def region_label(region):
    """ "Kel. X, Kec. Y, Kota Padang, Sumatera Barat": a region with its ancestors, nearest first."""
    codes = region.ancestor_codes
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return ", ".join(names.get(code, code) for code in reversed(codes))


def region_labels(regions):
    """ "Kel. Kuranji, Kec. Kuranji, Kota Padang, Sumatera Barat" for many regions, one query: each
    level named, so two places of the same name read apart."""
    return region_place_labels(regions, with_province=True)


def search_regions(text, limit=REGION_SEARCH_LIMIT):
    """Regions whose name starts with `text`: the instance's own province first (INSTANCE_PROVINCE),
    then the larger ones (fewer code segments)."""
    home = settings.INSTANCE_PROVINCE
    found = list(
        Region.objects.name_prefix(text).filter(prefix_q(Region.objects.all(), "code", home))[:limit]
    )
    if len(found) < limit:
        found += list(Region.objects.name_prefix(text).exclude(code__in=[r.code for r in found])[: limit * 5])
    found.sort(key=lambda r: (not r.contains_code_of(home), r.code.count("."), r.search_name, r.code))
    return found[:limit]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked from its content by the submit action."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                _("Paling banyak %(n)d lampiran.") % {"n": MAX_ATTACHMENTS}, code="too_many"
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _lazy_format(message, **values):
    """`message % values`, translated when shown, not when the form class is defined."""
    return lazy(
        lambda: str(message) % {k: str(v) if isinstance(v, Promise) else v for k, v in values.items()}, str
    )()


def _length_messages(label, minimum, maximum):
    return {
        "required": _lazy_format(_("%(label)s wajib diisi."), label=label),
        "min_length": _lazy_format(
            _("%(label)s terlalu pendek: paling sedikit %(n)d karakter."), label=label, n=minimum
        ),
        "max_length": _lazy_format(
            _("%(label)s terlalu panjang: paling banyak %(n)d karakter."), label=label, n=maximum
        ),
    }


class RegionChain:
    """The four region selects, provinsi → kabupaten/kota → kecamatan → desa/kelurahan.

    Works without JavaScript: each select only offers the children of the one above, and the
    form is sent back (a "step") to fill the next one. A value that is not a child of the level
    above (the citizen changed the province after picking a kecamatan) is dropped with its
    descendants rather than reported as an error.
    """

    def __init__(self, values):
        self.selected = []  # Region objects, province first
        parent = None
        for name, level, _label in REGION_LEVELS:
            code = (values.get(name) or "").strip()
            if not code:
                break
            region = Region.objects.filter(code=code, level=level, parent=parent).first()
            if region is None:
                break
            self.selected.append(region)
            parent = region

    @property
    def region(self):
        return self.selected[-1] if self.selected else None

    def values(self):
        return {
            name: (self.selected[i].code if i < len(self.selected) else "")
            for i, (name, *_) in enumerate(REGION_LEVELS)
        }

    def choices(self):
        """For each level: (field name, label, [(code, name)…] or None when not reachable yet)."""
        result = []
        for i, (name, _level, label) in enumerate(REGION_LEVELS):
            if i == 0:
                options = list(
                    Region.objects.filter(parent=None).order_by("name").values_list("code", "name")
                )
            elif i <= len(self.selected):
                options = list(self.selected[i - 1].children.order_by("name").values_list("code", "name"))
            else:
                options = None
            result.append((name, label, options))
        return result


class SubmitForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Jenis laporan"),
        choices=ReportType.choices,
        initial=ReportType.PENGADUAN,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Pilih jenis laporan."),
            "invalid_choice": _("Pilih jenis laporan dari daftar."),
        },
    )
    title = forms.CharField(
        label=_("Judul laporan"),
        min_length=MIN_TITLE_LENGTH,
        max_length=200,
        help_text=_("Singkat dan jelas, misalnya “Jalan berlubang di depan SDN 12 Padang”."),
        error_messages=_length_messages(_("Judul"), MIN_TITLE_LENGTH, 200),
    )
    description = forms.CharField(
        label=_("Isi laporan"),
        min_length=MIN_DESCRIPTION_LENGTH,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Ceritakan apa yang terjadi, di mana tepatnya, dan kapan. Laporan yang lengkap lebih cepat "
            "ditindaklanjuti. Jangan tulis NIK atau data pribadi orang lain."
        ),
        error_messages=_length_messages(_("Isi laporan"), MIN_DESCRIPTION_LENGTH, 10000),
    )
    incident_date = forms.DateField(
        label=_("Tanggal kejadian"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Tanggal tidak valid. Contoh: 2026-03-12.")},
    )
    region_q = forms.CharField(label=_("Cari wilayah menurut nama"), required=False, max_length=80)
    address = forms.CharField(
        label=_("Alamat atau patokan lokasi (opsional)"),
        required=False,
        max_length=300,
        error_messages={"max_length": _("Alamat terlalu panjang: paling banyak 300 karakter.")},
    )
    latitude = forms.DecimalField(
        label=_("Lintang"),
        required=False,
        min_value=-90,
        max_value=90,
        decimal_places=6,
        max_digits=9,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Bujur"),
        required=False,
        min_value=-180,
        max_value=180,
        decimal_places=6,
        max_digits=9,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    category = forms.ChoiceField(
        label=_("Kategori (opsional)"),
        required=False,
        error_messages={"invalid_choice": _("Pilih kategori dari daftar.")},
    )
    target_agency = forms.ChoiceField(
        label=_("Instansi tujuan (opsional)"),
        required=False,
        error_messages={"invalid_choice": _("Pilih instansi dari daftar.")},
    )
    attachments = MultipleFileField(
        label=_("Lampiran (opsional)"),
        required=False,
        help_text=_(
            "Foto (JPEG, PNG, GIF) atau PDF, paling banyak 5 berkas, masing-masing paling besar 10 MB."
        ),
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}
        ),
    )
    is_anonymous = forms.BooleanField(
        label=_("Anonim: sembunyikan identitas saya"),
        required=False,
        help_text=_(
            "Nama dan kontak Anda tidak ditampilkan kepada publik dan tidak dapat dilihat oleh instansi "
            "yang menindaklanjuti. Hanya admin yang memverifikasi laporan yang dapat melihatnya. "
            "Isi laporan tetap dapat dibaca publik."
        ),
    )
    is_confidential = forms.BooleanField(
        label=_("Rahasia: sembunyikan isi laporan dari publik"),
        required=False,
        help_text=_(
            "Laporan tidak muncul di daftar laporan publik dan tidak dapat dicari. Hanya Anda (dengan "
            "nomor pelacakan dan kode akses) dan petugas yang berwenang yang dapat membacanya."
        ),
    )
    ombudsman_consent = forms.BooleanField(
        label=_("Teruskan ke Ombudsman bila pengaduan tidak tuntas"),
        required=False,
        help_text=_("Bila pengaduan belum tuntas dalam 60 hari, Ombudsman RI boleh menerima salinannya."),
    )
    reporter_name = forms.CharField(label=_("Nama (opsional)"), required=False, max_length=150)
    reporter_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        error_messages={"invalid": _("Alamat e-mail tidak valid. Contoh: nama@contoh.id.")},
    )
    reporter_phone = forms.CharField(
        label=_("Nomor ponsel"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )

    GUEST_FIELDS = ("reporter_name", "reporter_email", "reporter_phone")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_guest = not (user and user.is_authenticated)
        if not self.is_guest:
            for name in self.GUEST_FIELDS:
                del self.fields[name]
            # Logged in, the reporter opens their confidential report with their account.
            self.fields["is_confidential"].help_text = _(
                "Laporan tidak muncul di daftar laporan publik dan tidak dapat dicari. Hanya Anda (lewat "
                "akun Anda) dan petugas yang berwenang yang dapat membacanya."
            )
        else:
            self.fields["reporter_email"].help_text = _(
                "Isi e-mail atau nomor ponsel (salah satu wajib) agar kami dapat mengabari perkembangan "
                "laporan Anda. Kontak ini tidak pernah ditampilkan kepada publik."
            )
            self.fields["reporter_email"].widget.attrs["autocomplete"] = "email"
        values = self.data if self.is_bound else self.initial
        self.chain = RegionChain(values)
        self.fields["category"].choices = self._category_choices()
        self.fields["target_agency"].choices = self._agency_choices()
        self.fields["title"].widget.attrs.update(maxlength=200, minlength=MIN_TITLE_LENGTH)
        self.fields["description"].widget.attrs.update(
            maxlength=10000, minlength=MIN_DESCRIPTION_LENGTH, **{"data-counter": MIN_DESCRIPTION_LENGTH}
        )
        self.fields["incident_date"].widget.attrs["max"] = timezone.localdate().isoformat()

    @staticmethod
    def _category_choices():
        groups = {}
        for category in Category.objects.filter(is_active=True).select_related("parent").order_by("name"):
            if category.parent_id:
                groups.setdefault(category.parent.name, []).append((str(category.pk), category.name))
        return [("", _("Tidak tahu / biarkan admin memilih"))] + sorted(groups.items())

    @staticmethod
    def _agency_choices():
        choices = [("", _("Biarkan admin memilih"))]
        for agency in Agency.objects.active().order_by("path").only("pk", "name", "path"):
            depth = agency.path.count("/") - 2
            choices.append((str(agency.pk), "\u00a0\u00a0" * depth + agency.name))
        return choices

    def clean_incident_date(self):
        day = self.cleaned_data.get("incident_date")
        if day and day > timezone.localdate():
            raise ValidationError(_("Tanggal kejadian tidak boleh di masa depan."), code="future")
        return day

    def clean_reporter_phone(self):
        phone = (self.cleaned_data.get("reporter_phone") or "").strip()
        if phone:
            normalize_phone(phone)  # raises the message in Bahasa Indonesia
        return phone

    def clean_category(self):
        pk = self.cleaned_data.get("category")
        if not pk:
            return None
        category = Category.objects.filter(pk=pk, is_active=True, parent__isnull=False).first()
        if category is None:
            raise ValidationError(_("Pilih kategori dari daftar."), code="invalid_choice")
        return category

    def clean_target_agency(self):
        pk = self.cleaned_data.get("target_agency")
        if not pk:
            return None
        agency = Agency.objects.active().filter(pk=pk).first()
        if agency is None:
            raise ValidationError(_("Pilih instansi dari daftar."), code="invalid_choice")
        return agency

    def clean(self):
        cleaned = super().clean()
        if self.is_guest and not cleaned.get("reporter_email") and not cleaned.get("reporter_phone"):
            if "reporter_email" not in self.errors and "reporter_phone" not in self.errors:
                self.add_error(
                    "reporter_email",
                    _(
                        "Isi alamat e-mail atau nomor ponsel agar kami dapat mengabari perkembangan "
                        "laporan Anda."
                    ),
                )
        if self.chain.region is None:
            self.add_error(
                None, ValidationError(_("Pilih wilayah kejadian, paling tidak provinsinya."), code="region")
            )
        cleaned["region"] = self.chain.region
        return cleaned

    @property
    def region_error(self):
        return [e for e in self.non_field_errors().as_data() if e.code == "region"]

    @property
    def region_messages(self):
        """The region errors as the summary prints them: it links them to the region picker."""
        return [message for error in self.region_error for message in error.messages]


def new_token():
    return uuid.uuid4()


class TrackForm(forms.Form):
    nomor = forms.CharField(
        label=_("Nomor pelacakan"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Isi nomor pelacakan.")},
    )

    def clean_nomor(self):
        number = "".join(ch for ch in self.cleaned_data["nomor"] if ch.isdigit())
        if not 6 <= len(number) <= 12:
            raise ValidationError(_("Nomor pelacakan terdiri dari 9 angka."), code="invalid")
        return number


class AccessCodeForm(forms.Form):
    kode = forms.CharField(
        label=_("Kode akses"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": _("Isi kode akses.")},
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Balasan Anda"),
        min_length=2,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_length_messages(_("Balasan"), 2, 10000),
    )
    attachments = MultipleFileField(
        label=_("Lampiran (opsional)"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,application/pdf"}
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CompleteInformationForm(ReplyForm):
    text = forms.CharField(
        label=_("Keterangan tambahan yang diminta"),
        min_length=5,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=_length_messages(_("Keterangan tambahan"), 5, 10000),
    )


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Penilaian"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Pilih nilai 1 sampai 5."),
            "invalid_choice": _("Pilih nilai 1 sampai 5."),
        },
    )
    comment = forms.CharField(
        label=_("Komentar (opsional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("Catatan (opsional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Mengapa laporan perlu dibuka kembali?"),
        min_length=5,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_length_messages(_("Alasan membuka kembali"), 5, 5000),
    )


PUBLIC_STATUSES = [
    (Status.TERDISPOSISI, _("Diteruskan ke instansi")),
    (Status.DIPROSES, _("Sedang diproses")),
    (Status.SELESAI, _("Sudah ditindaklanjuti")),
    ("ditutup", _("Ditutup")),
]
SORTS = [("baru", _("Terbaru")), ("dukungan", _("Paling banyak didukung"))]


class PublicFilterForm(forms.Form):
    q = forms.CharField(label=_("Kata kunci"), required=False, max_length=100)
    kategori = forms.ChoiceField(label=_("Kategori"), required=False)
    wilayah = forms.ChoiceField(label=_("Wilayah"), required=False)
    instansi = forms.ChoiceField(label=_("Instansi"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Semua status")), *PUBLIC_STATUSES]
    )
    dari = forms.DateField(
        label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sampai = forms.DateField(
        label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    urut = forms.ChoiceField(label=_("Urutkan"), required=False, choices=SORTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kategori"].choices = [("", _("Semua kategori"))] + self._category_choices()
        self.fields["instansi"].choices = [("", _("Semua instansi"))] + SubmitForm._agency_choices()[1:]
        self.fields["wilayah"].choices = [("", _("Semua wilayah"))] + self._region_choices()

    @staticmethod
    def _category_choices():
        """Each group (it finds all its categories), then its categories indented."""
        choices = []
        categories = Category.objects.filter(is_active=True).order_by("name")
        children = {}
        for category in categories:
            children.setdefault(category.parent_id, []).append(category)
        for group in children.get(None, []):
            choices.append((str(group.pk), group.name))
            choices += [(str(c.pk), "\u00a0\u00a0" + c.name) for c in children.get(group.pk, [])]
        return choices

    @staticmethod
    def _region_choices():
        """The provinces the instance's agencies serve, each with its kabupaten/kota."""
        served = {
            code.split(".")[0]
            for code in Agency.objects.active().exclude(region=None).values_list("region_id", flat=True)
        }
        choices = []
        for province in Region.objects.filter(code__in=served).order_by("name"):
            choices.append((province.code, province.name))
            for child in province.children.order_by("name"):
                choices.append((child.code, "\u00a0\u00a0" + child.name))
        return choices
