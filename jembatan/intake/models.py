"""The intake log: every message that came in through SMS, WhatsApp or e-mail, and what it became.

A row is also the deduplication key: gateways retry a webhook they think failed, and a mailbox
may be read twice; the provider's message id (or the e-mail's Message-ID) is unique per channel,
so a retry finds the row and gets the first answer back instead of creating a second report.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Sedang diproses")
    REPORT_CREATED = "report_created", _("Laporan dibuat")
    REPLY_ATTACHED = "reply_attached", _("Balasan pelapor dicatat")
    STATUS = "status", _("Status dijawab")
    HELP = "help", _("Petunjuk dikirim")
    REJECTED = "rejected", _("Ditolak (dijelaskan ke pengirim)")
    HELD = "held", _("Ditahan untuk petugas (pengirim tidak terbukti)")


class InboundMessage(models.Model):
    channel = models.CharField(_("kanal"), max_length=10, choices=InboundChannel.choices)
    message_id = models.CharField(_("ID pesan penyedia"), max_length=255)
    sender = models.CharField(_("pengirim"), max_length=254)
    text = models.TextField(_("isi"), blank=True)
    outcome = models.CharField(_("hasil"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reply = models.TextField(_("balasan"), blank=True)
    report = models.ForeignKey(
        "reports.Report",
        verbose_name=_("laporan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("diterima"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("pesan masuk")
        verbose_name_plural = _("pesan masuk")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "message_id"], name="inbound_message_once"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.message_id} ({self.outcome})"
