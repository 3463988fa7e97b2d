"""The portal's own bookkeeping: submission tokens (no double reports) and rate-limit hits."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubmissionToken(models.Model):
    """A submit form's one-time token and the report it created.

    The form carries a random token; the first POST with it claims this row in the same
    transaction that creates the report, so a double click, a refresh or a retry on a flaky
    connection finds the row and is sent to the first report instead of creating a second one.
    """

    token = models.UUIDField(unique=True)
    # Null only inside the submitting transaction: the token is claimed first, so a concurrent
    # repeat waits on the unique index instead of doing the whole submission a second time.
    report = models.OneToOneField(
        "reports.Report",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("laporan"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("token pengiriman")
        verbose_name_plural = _("token pengiriman")
        indexes = [
            models.Index(fields=["ip_address", "created_at"]),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self):
        return str(self.token)
