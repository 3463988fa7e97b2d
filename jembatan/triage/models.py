"""Stored triage state: versioned routing models and the duplicate index.

The model itself is a pickled learning.Bundle in a BinaryField, not a file under VAR_DIR: the web
processes that suggest and the worker that trains may run on different machines, a database backup
then holds the models with the history they were trained on, and switching the active version is one
row update inside a transaction. A bundle is a few MB for a province (float32 weights, capped
vocabularies); `triage prune` can drop the payloads of old versions and keep their metrics.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageModelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def without_payload(self):
        return self.defer("payload")


class TriageModel(models.Model):
    """One trained version of the routing model (agency, category and archive classifiers)."""

    version = models.PositiveIntegerField(_("versi"), unique=True)
    is_active = models.BooleanField(_("aktif"), default=False)
    payload = models.BinaryField(_("model"), null=True, editable=False)
    fingerprint = models.CharField(_("sidik SHA-256"), max_length=64, editable=False)
    size_bytes = models.PositiveIntegerField(_("ukuran (bita)"), default=0)
    library_version = models.CharField(_("versi scikit-learn"), max_length=20)
    # What it was trained on, and how well it did on a held-out, most recent part of that history.
    trained_on = models.JSONField(_("data latih"), default=dict)
    metrics = models.JSONField(_("hasil uji"), default=dict)
    train_seconds = models.FloatField(_("lama latih (detik)"), default=0)
    note = models.CharField(_("catatan"), max_length=200, blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TriageModelQuerySet.as_manager()

    class Meta:
        verbose_name = _("model triase")
        verbose_name_plural = _("model triase")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="triage_one_active_model"
            ),
        ]

    def __str__(self):
        return f"v{self.version}{' *' if self.is_active else ''}"


class DuplicateKey(models.Model):
    """One LSH band of one report's MinHash signature (duplicates.py): reports sharing a key are candidates.

    `submitted_at` is copied here so the window ("recently") is part of the index range scan and
    old look-alike reports cost nothing. No index on `report`: a report is never deleted (its
    timeline protects it) and its text never changes after submission, so keys are only ever
    added; `triage reindex` rebuilds the whole table.
    """

    key = models.IntegerField()
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, db_index=False, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "submitted_at"], name="triage_dupkey_key_time")]


class IndexedReport(models.Model):
    """A report in the duplicate index (a report with no words has keys = 0).

    `signature` is its MinHash signature (uint32, little-endian): comparing signatures estimates the
    similarity of a candidate without reading and normalizing its text, so only the close ones are
    checked exactly. The rest is copied from the report when it is indexed, so a look-up finds its
    candidates by place and time in this table alone (indexed range scans, newest first) and scores
    them without reading or re-analysing their text: `village` (desa/kelurahan code), `district` (the
    kecamatan, or the kab/kota for a report known only to it), `city`, the pin, the category and its
    group, and `analysis` (wording.analyse: word vector, char sketch, concepts, place names). A row
    indexed before these fields existed has them empty: `triage reindex` fills them.
    """

    report = models.OneToOneField(
        "reports.Report", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    keys = models.PositiveSmallIntegerField(default=0)
    signature = models.BinaryField(null=True)
    indexed_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True)
    village = models.CharField(max_length=13, null=True)
    district = models.CharField(max_length=8, null=True)
    city = models.CharField(max_length=5, null=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    category_id = models.IntegerField(null=True)
    category_group_id = models.IntegerField(null=True)
    analysis = models.JSONField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["village", "submitted_at"], name="triage_idx_village_time"),
            models.Index(fields=["district", "submitted_at"], name="triage_idx_district_time"),
            models.Index(fields=["city", "submitted_at"], name="triage_idx_city_time"),
            models.Index(fields=["city", "latitude"], name="triage_idx_city_lat"),
        ]


class IndexCursor(models.Model):
    """How far the duplicate index is complete: every report with id ≤ `position` is indexed."""

    name = models.CharField(max_length=40, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
