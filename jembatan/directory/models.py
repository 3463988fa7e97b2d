"""The map of government: regions (Kemendagri codes), agencies, categories and routing rules."""

from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from jembatan.directory.names import normalize_region_name


class RegionLevel(models.TextChoices):
    PROVINSI = "provinsi", _("Provinsi")
    KABUPATEN_KOTA = "kabupaten_kota", _("Kabupaten/Kota")
    KECAMATAN = "kecamatan", _("Kecamatan")
    DESA_KELURAHAN = "desa_kelurahan", _("Desa/Kelurahan")


# Kemendagri codes nest by dots: 13 / 13.71 / 13.71.01 / 13.71.01.1001, one segment per level.
LEVEL_BY_DEPTH = [
    RegionLevel.PROVINSI,
    RegionLevel.KABUPATEN_KOTA,
    RegionLevel.KECAMATAN,
    RegionLevel.DESA_KELURAHAN,
]


def region_ancestor_codes(code):
    """Return the codes from the province down to `code` itself, e.g. 13, 13.71, 13.71.01."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def prefix_q(queryset, field, prefix):
    """A Q for "`field` starts with `prefix`" that each database answers from a B-tree index.

    SQLite's LIKE is case-insensitive, so it cannot use a plain index: a range (>= prefix,
    < prefix + U+FFFF) can, and is exact because these columns hold ASCII only. PostgreSQL
    compares ranges with the database collation, and under a linguistic one (en_US.UTF-8 ignores
    punctuation) "13.71" is not between "13." and "13/"; its LIKE 'prefix%' is exact and uses the
    varchar_pattern_ops "_like" index Django creates beside every indexed CharField.
    """
    if connections[queryset.db].vendor == "postgresql":
        return models.Q(**{f"{field}__startswith": prefix})
    return models.Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})


def is_kelurahan(code):
    """A desa/kelurahan code's last segment starts with 1 for a kelurahan, 2 for a desa (Kemendagri)."""
    return code.rsplit(".", 1)[-1].startswith("1")


def region_level_name(code, name):
    """The name with its level spelled out the way people write an address: "Kec. Kuranji"."""
    depth = code.count(".")
    if depth == 3:
        return (_("Kel. %(name)s") if is_kelurahan(code) else _("Desa %(name)s")) % {"name": name}
    if depth == 2:
        return _("Kec. %(name)s") % {"name": name}
    return name  # provinces and "Kota Padang" / "Kabupaten Agam" already say what they are


def region_place_labels(regions, *, with_province=False):
    """{code: "Kel. Kuranji, Kec. Kuranji, Kota Padang"} for `regions`, nearest first, one query."""
    codes = {code for r in regions for code in r.ancestor_codes}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    labels = {}
    for region in regions:
        chain = region.ancestor_codes if with_province else region.ancestor_codes[1:] or region.ancestor_codes
        labels[region.code] = ", ".join(region_level_name(c, names[c]) for c in reversed(chain) if c in names)
    return labels


class RegionQuerySet(models.QuerySet):
    def name_prefix(self, text):
        """Regions whose normalized name starts with `text` ("padang" finds Kota Padang), indexed."""
        prefix = normalize_region_name(text)
        if not prefix:
            return self.none()
        return self.filter(prefix_q(self, "search_name", prefix))

    def within(self, code):
        """Regions inside `code` (its descendants, not the region itself)."""
        return self.filter(prefix_q(self, "code", code + "."))


class Region(models.Model):
    code = models.CharField(_("kode"), max_length=13, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.CharField(_("tingkat"), max_length=16, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    search_name = models.CharField(max_length=120, db_index=True, editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.search_name = normalize_region_name(self.name)
        super().save(*args, **kwargs)

    @property
    def ancestor_codes(self):
        return region_ancestor_codes(self.code)

    def contains(self, code):
        return code == self.code or code.startswith(self.code + ".")

    def contains_code_of(self, ancestor):
        """Is this region `ancestor` or inside it?"""
        return self.code == ancestor or self.code.startswith(ancestor + ".")

    @property
    def place_label(self):
        """ "Kel. Kuranji, Kec. Kuranji, Kota Padang": where it is, for a reader, without codes."""
        return region_place_labels([self])[self.code]


class AgencyKind(models.TextChoices):
    KEMENTERIAN_LEMBAGA = "kementerian_lembaga", _("Kementerian/Lembaga")
    BUMN = "bumn", _("BUMN/BPJS")
    PEMPROV = "pemprov", _("Pemerintah Provinsi")
    PEMKAB_PEMKOT = "pemkab_pemkot", _("Pemerintah Kabupaten/Kota")
    DINAS = "dinas", _("Dinas")
    BADAN = "badan", _("Badan")
    SATPOL_PP = "satpol_pp", _("Satpol PP")
    INSPEKTORAT = "inspektorat", _("Inspektorat")
    SEKRETARIAT = "sekretariat", _("Sekretariat/Bagian")
    KECAMATAN = "kecamatan", _("Kecamatan")
    KELURAHAN = "kelurahan", _("Kelurahan/Desa")
    PUSKESMAS = "puskesmas", _("Puskesmas")
    RUMAH_SAKIT = "rumah_sakit", _("Rumah Sakit Daerah")
    BUMD = "bumd", _("BUMD")
    OMBUDSMAN = "ombudsman", _("Ombudsman")
    LAINNYA = "lainnya", _("Lainnya")


class AgencyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subtree(self, agency):
        """The agency and everything below it (materialized path prefix, indexed)."""
        return self.filter(prefix_q(self, "path", agency.path))

    def serving_region(self, code):
        """Agencies whose service area contains the region `code` (or that serve the whole country)."""
        return self.filter(
            models.Q(region__isnull=True) | models.Q(region_id__in=region_ancestor_codes(code))
        )


class Agency(models.Model):
    """An instansi: a ministry, a government, one of its offices (OPD), a BUMN/BUMD.

    Agencies form a tree. Kabupaten/kota governments sit under their province: the governor, as the
    central government's representative, supervises them (UU 23/2014 Pasal 91), so a provincial
    pimpinan or admin sees their subtree.
    """

    code = models.SlugField(_("kode"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    short_name = models.CharField(_("nama singkat"), max_length=60, blank=True)
    kind = models.CharField(_("jenis"), max_length=24, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("wilayah layanan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Kosongkan untuk instansi yang melayani seluruh Indonesia."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telepon"), max_length=40, blank=True)
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    website = models.URLField(_("situs web"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    path = models.CharField(max_length=255, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The materialized path ("/3/17/") makes subtree checks one indexed prefix query. It is
        # derived from the parent chain as stored in the database, not from this instance or its
        # cached parent: either may be stale after an ancestor moved. When the agency moves, its
        # descendants' paths are rewritten in the same transaction (each keeps its tail after the
        # moved prefix), so no reader ever sees a subtree split between old and new paths.
        with transaction.atomic():
            old_path = self._stored_path()
            parent_path = self._check_parent(old_path)
            if old_path is not None:
                self.path = old_path
            super().save(*args, **kwargs)
            new_path = f"{parent_path}{self.pk}/"
            if new_path != old_path:
                Agency.objects.filter(pk=self.pk).update(path=new_path)
                if old_path:
                    Agency.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                        path=Concat(models.Value(new_path), Substr("path", len(old_path) + 1))
                    )
            self.path = new_path

    def clean(self):
        self._check_parent(self._stored_path())

    def _stored_path(self):
        if self.pk is None:
            return None
        return Agency.objects.filter(pk=self.pk).values_list("path", flat=True).first()

    def _check_parent(self, own_path):
        """Return the parent's path ("/" for a root); refuse a parent inside this agency's subtree."""
        if not self.parent_id:
            return "/"
        parent_path = Agency.objects.values_list("path", flat=True).get(pk=self.parent_id)
        if own_path and parent_path.startswith(own_path):
            raise ValidationError({"parent": _("Instansi tidak boleh menjadi induk dari dirinya sendiri.")})
        return parent_path

    def is_within(self, other):
        """True when this agency is `other` or below it."""
        return self.path.startswith(other.path)

    def ancestors(self):
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Agency.objects.filter(pk__in=ids).order_by("path")


class Category(models.Model):
    """A LAPOR! category, in two levels: a group (parent is empty) and its categories."""

    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("kelompok"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    default_agency_kind = models.CharField(
        _("jenis instansi bawaan"), max_length=24, choices=AgencyKind.choices, blank=True
    )
    default_agency_keyword = models.CharField(
        _("kata kunci instansi bawaan"),
        max_length=60,
        blank=True,
        help_text=_("Dicocokkan dengan nama instansi, misalnya 'Kesehatan' atau 'Pekerjaan Umum'."),
    )
    keywords = models.CharField(_("kata kunci"), max_length=300, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("kategori")
        verbose_name_plural = _("kategori")
        ordering = ["parent__name", "name"]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Kategori hanya dua tingkat: kelompok dan kategori.")})


class RoutingRule(models.Model):
    """(category, region) → agency: who handles this kind of report in this place.

    Modelled on FixMyStreet's body × category × area contacts. An empty region means national.
    """

    category = models.ForeignKey(Category, verbose_name=_("kategori"), on_delete=models.CASCADE)
    region = models.ForeignKey(
        Region, verbose_name=_("wilayah"), null=True, blank=True, on_delete=models.CASCADE
    )
    agency = models.ForeignKey(Agency, verbose_name=_("instansi"), on_delete=models.CASCADE)
    note = models.CharField(_("catatan"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("aturan penerusan")
        verbose_name_plural = _("aturan penerusan")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region"], name="routing_rule_unique_category_region"
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(region__isnull=True),
                name="routing_rule_unique_national",
            ),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else _("Nasional")
        return f"{self.category} @ {where} → {self.agency}"
