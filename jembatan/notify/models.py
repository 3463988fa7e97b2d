"""The notification outbox: one row per message to one recipient on one channel.

A row is written in the same transaction as the state change that caused it, usually with its text
already rendered, so the outbox shows exactly what was (or will be) sent, and a rolled-back change
leaves nothing behind. A row with a `renderer` is rendered by the worker just before its first send
(and the rendered text written to the row before it goes out). Delivery (delivery.py) claims rows
one at a time with a conditional UPDATE (the shared outbox, jobs/outbox.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jembatan.jobs.models import OPEN_OUTBOX_STATUSES, OutboxItem, OutboxStatus

MASK = "******"


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


# The outbox's states (jobs.models): pending → sending → sent, or failed after the last attempt.
NotificationStatus = OutboxStatus
OPEN_STATUSES = OPEN_OUTBOX_STATUSES


class Notification(OutboxItem):
    channel = models.CharField(_("kanal"), max_length=10, choices=NotifyChannel.choices)
    recipient = models.CharField(_("penerima"), max_length=254)
    template = models.CharField(_("templat"), max_length=40)
    language = models.CharField(_("bahasa"), max_length=5)
    subject = models.CharField(_("subjek"), max_length=300, blank=True)
    body = models.TextField(_("isi"))
    body_html = models.TextField(_("isi HTML"), blank=True)
    # Values that must not stay readable in the outbox once delivered (a one-time code, an access
    # code): kept while the row may still need sending, masked in subject/body when it is sent.
    sensitive_values = models.JSONField(default=list, blank=True, editable=False)
    # Empty: subject and body were rendered when the row was written. Otherwise the name of the
    # renderer (rendering.deferred_renderer) that writes them in the worker, just before the first
    # send (the acknowledgement of a new report: rendering is a third of a POST). Until then the
    # row's sensitive_values hold what the renderer needs and nobody else may read (the access
    # code), masked and dropped at the send as before.
    renderer = models.CharField(max_length=60, blank=True, default="", editable=False)

    report = models.ForeignKey(
        "reports.Report",
        verbose_name=_("laporan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        "reports.Event",
        verbose_name=_("riwayat"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )

    provider_message_id = models.CharField(_("ID pesan penyedia"), max_length=200, blank=True)
    # e.g. "event-42:email:a@b.id:report_verified". Unique, so one event never queues the same
    # message twice, even if an action is retried. Empty (NULL) for messages that are never deduplicated.
    dedupe_key = models.CharField(max_length=400, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("notifikasi")
        verbose_name_plural = _("notifikasi")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep's query: small, because sent and failed rows (nearly all) are left out.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notify_due_idx",
            ),
            models.Index(fields=["report", "created_at"], name="notify_report_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient} ({self.template})"

    def mask(self, text):
        """`text` with this row's sensitive values hidden, for display to anyone but the recipient."""
        for value in self.sensitive_values:
            if value:
                text = text.replace(value, MASK)
        return text
