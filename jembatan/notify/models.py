"""The notification outbox: one row per message to one recipient on one channel.

A row is written in the same transaction as the state change that caused it, with its text already
rendered, so the outbox shows exactly what was (or will be) sent, and a rolled-back change leaves
nothing behind. Delivery (delivery.py) claims rows one at a time with a conditional UPDATE.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MASK = "******"


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu")
    SENDING = "sending", _("Sedang dikirim")
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal")


# Rows a worker may still have to pick up; the partial index below covers exactly these.
OPEN_STATUSES = (NotificationStatus.PENDING, NotificationStatus.SENDING)


class NotificationQuerySet(models.QuerySet):
    def due(self, now):
        """Rows to (re)try now: pending past their backoff, or "sending" past their lease (a dead worker)."""
        return self.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)


class Notification(models.Model):
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

    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    # For a pending row: not before this moment (backoff). For a "sending" row: the end of the
    # worker's lease; past it, the worker is presumed dead and another one may take the row over.
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)
    provider_message_id = models.CharField(_("ID pesan penyedia"), max_length=200, blank=True)
    # e.g. "event-42:email:a@b.id:report_verified". Unique, so one event never queues the same
    # message twice, even if an action is retried. Empty (NULL) for messages that are never deduplicated.
    dedupe_key = models.CharField(max_length=400, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationQuerySet.as_manager()

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
