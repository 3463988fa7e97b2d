"""The workbench's own data: an officer's saved queue filters and the agencies' response templates.

Reports themselves are never stored here; state changes go through reports/actions.py, and the
changes to these two models go through workbench/actions.py.
"""

import re

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A named set of queue filters (the query string of a queue page), private to one officer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        on_delete=models.CASCADE,
        related_name="workbench_filters",
    )
    name = models.CharField(_("nama"), max_length=80)
    queue = models.CharField(_("antrean"), max_length=30)
    query = models.CharField(_("filter"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("filter tersimpan")
        verbose_name_plural = _("filter tersimpan")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")]

    def __str__(self):
        return self.name


class TemplatePurpose(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Tindak lanjut")
    REQUEST_INFORMATION = "request_information", _("Permintaan kelengkapan informasi")


# The placeholders an officer may use; anything else in braces is refused when the template is saved,
# so a typo ({nomer}) is caught by the author instead of reaching a citizen verbatim.
PLACEHOLDERS = {
    "nomor": _("nomor pelacakan laporan"),
    "judul": _("judul laporan"),
    "instansi": _("nama instansi yang menjawab"),
    "tanggal": _("tanggal hari ini"),
}
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


class ResponseTemplateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def usable_for(self, agency, purpose):
        """Templates of `agency`, of the agencies above it, and the national ones (agency empty)."""
        ids = [int(part) for part in agency.path.strip("/").split("/") if part] if agency else []
        return (
            self.active()
            .filter(purpose=purpose)
            .filter(models.Q(agency__isnull=True) | models.Q(agency_id__in=ids))
            .order_by("name", "pk")
        )


class ResponseTemplate(models.Model):
    """A reusable text for answers and information requests, with {nomor}, {judul}, {instansi}, {tanggal}."""

    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("instansi"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_templates",
        help_text=_("Berlaku untuk instansi ini dan seluruh unit di bawahnya. Kosong: semua instansi."),
    )
    name = models.CharField(_("nama"), max_length=120)
    purpose = models.CharField(_("kegunaan"), max_length=24, choices=TemplatePurpose.choices)
    body = models.TextField(_("isi"))
    is_active = models.BooleanField(_("aktif"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResponseTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("templat jawaban")
        verbose_name_plural = _("templat jawaban")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["purpose", "agency"])]

    def __str__(self):
        return self.name

    def render(self, *, report, agency=None, now=None):
        """The body with its placeholders filled in for `report` (answered by `agency`)."""
        today = timezone.localdate(now or timezone.now())
        values = {
            "nomor": report.tracking_number,
            "judul": report.title,
            "instansi": agency.name if agency is not None else "",
            "tanggal": formats.date_format(today, "j F Y"),
        }
        return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), self.body)


def unknown_placeholders(text):
    """The placeholder names in `text` that are not in PLACEHOLDERS."""
    return sorted({name for name in PLACEHOLDER_RE.findall(text or "") if name not in PLACEHOLDERS})


class Claim(models.Model):
    """ "Saya tangani": an officer holds a report for a while, so a second one does not open it too.

    A hint between colleagues, not a lock: it expires by itself (WORKBENCH_CLAIM_MINUTES), is
    released when its holder acts on the report, and never stops anyone with the right to act.
    """

    report = models.OneToOneField(
        "reports.Report", verbose_name=_("laporan"), on_delete=models.CASCADE, related_name="workbench_claim"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("petugas"),
        on_delete=models.CASCADE,
        related_name="workbench_claims",
    )
    claimed_at = models.DateTimeField(_("diambil"))
    expires_at = models.DateTimeField(_("berlaku sampai"), db_index=True)

    class Meta:
        verbose_name = _("laporan yang sedang ditangani")
        verbose_name_plural = _("laporan yang sedang ditangani")

    def __str__(self):
        return f"{self.report_id} · {self.user_id}"

    def is_active(self, now=None):
        return self.expires_at > (now or timezone.now())
