"""Rows that let several workers on several machines share periodic work safely.

A `Lease` is a named, expiring hold: one worker may run the work at a time, the holder renews it
while it runs, and a holder that died (kill -9, power loss) loses it when it expires. A
`Heartbeat` says when a periodic task last finished, so a stopped task is noticed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lease(models.Model):
    """Who holds the named work, until when. No holder: `owner` is empty."""

    name = models.CharField(_("nama"), max_length=80, unique=True)
    # "host:pid:token" of the holding process; the token tells a restarted process with the same
    # pid (pid 1 in a container) from the dead one before it.
    owner = models.CharField(_("pemegang"), max_length=200, blank=True)
    acquired_at = models.DateTimeField(_("diambil"), null=True, blank=True)
    expires_at = models.DateTimeField(_("berakhir"), null=True, blank=True)

    class Meta:
        verbose_name = _("sewa tugas")
        verbose_name_plural = _("sewa tugas")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Heartbeat(models.Model):
    """When a periodic task last started, succeeded and failed."""

    name = models.CharField(_("tugas"), max_length=80, unique=True)
    last_started_at = models.DateTimeField(_("terakhir mulai"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("terakhir berhasil"), null=True, blank=True)
    last_failed_at = models.DateTimeField(_("terakhir gagal"), null=True, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    last_duration_ms = models.PositiveIntegerField(_("durasi terakhir (ms)"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("jumlah jalan"), default=0)

    class Meta:
        verbose_name = _("detak tugas berkala")
        verbose_name_plural = _("detak tugas berkala")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu")
    SENDING = "sending", _("Sedang dikirim")
    SENT = "sent", _("Terkirim")
    FAILED = "failed", _("Gagal")


# Rows a worker may still have to pick up; each outbox's partial index covers exactly these.
OPEN_OUTBOX_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class OutboxQuerySet(models.QuerySet):
    def due(self, now):
        """Rows to (re)try now: pending past their backoff, or "sending" past their lease (a dead worker)."""
        return self.filter(status__in=OPEN_OUTBOX_STATUSES, next_attempt_at__lte=now)


class OutboxItem(models.Model):
    """The fields every outbox row shares; `jobs.outbox.Outbox` claims, sends and records them."""

    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    # For a pending row: not before this moment (backoff). For a "sending" row: the end of the
    # worker's lease (renewed while it sends); past it, the worker is presumed dead.
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), null=True, blank=True)
    # Written with the claim, before anything leaves: the key the provider sees on every attempt
    # of this row, so a provider that honours it drops a repeat after a crash.
    idempotency_key = models.CharField(_("kunci idempotensi"), max_length=100, blank=True, editable=False)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        abstract = True
