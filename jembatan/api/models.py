"""What the API keeps: client keys, idempotency records, and agencies' outgoing webhooks.

Keys are stored as a SHA-256 of the key: a key is 32 random bytes, so a plain hash cannot be
reversed, and looking a key up by its hash means the database comparison never sees the secret.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jembatan.jobs.models import OPEN_OUTBOX_STATUSES, OutboxItem, OutboxStatus


def hash_key(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class KeyKind(models.TextChoices):
    # An agency's system: acts as the linked staff user, scoped by that user's StaffRoles.
    AGENCY = "agency", _("Integrasi instansi")
    # A third-party Open311 client app: may post service requests, acts as nobody.
    OPEN311 = "open311", _("Aplikasi Open311")
    # A citizen's personal token (a mobile app): acts as that citizen.
    CITIZEN = "citizen", _("Token warga")


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ApiKey(models.Model):
    name = models.CharField(_("nama"), max_length=120)
    kind = models.CharField(_("jenis"), max_length=10, choices=KeyKind.choices)
    prefix = models.CharField(
        _("awalan"), max_length=12, editable=False, help_text=_("Untuk mengenali kunci.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bertindak sebagai"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    agency = models.ForeignKey(
        "directory.Agency", verbose_name=_("instansi"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("batas permintaan per menit"),
        null=True,
        blank=True,
        help_text=_("Kosong: batas bawaan jenis kunci ini (API_THROTTLE_RATES)."),
    )
    last_used_at = models.DateTimeField(_("terakhir dipakai"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("dicabut"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("kunci API")
        verbose_name_plural = _("kunci API")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="open311") | models.Q(user__isnull=False),
                name="api_key_user_unless_open311",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed to its retries."""

    # "key:12", "user:5", "open311:3", or "guest" for every guest (scoped by key + request
    # fingerprint, see idempotency.py).
    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    location = models.CharField(max_length=500, blank=True, default="")  # replayed with a 201
    # A guest's per-browser token, hashed: a replay shows the access code only to the same browser.
    client_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("catatan idempotensi")
        verbose_name_plural = _("catatan idempotensi")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")]


class WebhookEvent(models.TextChoices):
    DISPOSED = "report.disposed", _("Laporan didisposisikan ke instansi")
    REPORTER_REPLIED = "report.reporter_replied", _("Balasan pelapor")
    SLA_BREACHED = "report.sla_breached", _("Batas waktu SLA terlampaui")


class WebhookSubscription(models.Model):
    """An agency's URL that is told about events on reports in its subtree."""

    agency = models.ForeignKey(
        "directory.Agency", verbose_name=_("instansi"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=500)
    # Kept readable: signing needs the secret itself (as GitHub and Stripe keep theirs).
    secret = models.CharField(_("rahasia penandatanganan"), max_length=100, editable=False)
    events = models.JSONField(_("peristiwa"), default=list)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("webhook instansi")
        verbose_name_plural = _("webhook instansi")
        ordering = ["agency__path", "pk"]

    def __str__(self):
        return f"{self.agency} → {self.url}"


# The outbox's states (jobs.models), shared with the notification outbox.
DeliveryStatus = OutboxStatus
OPEN_DELIVERY_STATUSES = OPEN_OUTBOX_STATUSES


class WebhookDelivery(OutboxItem):
    """One event to one subscription: the outbox row, and afterwards the delivery log."""

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey("reports.Event", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(_("peristiwa"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    response_status = models.PositiveSmallIntegerField(_("status HTTP"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengiriman webhook")
        verbose_name_plural = _("pengiriman webhook")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One event reaches one subscription once, however often the poller sees it.
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="webhook_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.subscription.url}"


class WebhookCursor(models.Model):
    """How far the poller has read the reports timeline (one row)."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
