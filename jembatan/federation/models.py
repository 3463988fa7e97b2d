"""The directory of instances, the agencies they host, and the two halves of the wire.

- `Instance`: a Jembatan (or the national hub) this one talks to, with the HMAC key the pair
  shares; `is_self` marks this instance's own row. `user` is the service account through which
  the peer acts here: every effect a peer asks for goes through reports.actions as that user, so
  accounts.access decides what the peer may do (a peer is liaison only of the agencies it hosts).
- `RemoteAgency`: an agency of the local directory that lives on another instance.
- `Link`: one report shared between this instance and one peer, seen from this end (origin or
  holder), with the outgoing sequence counter of its stream.
- `FederationMessage`: the outbox (jobs.outbox claims, leases, retries, dead-letters it).
- `ReceivedMessage` + `InboundCursor`: the receiver's dedupe table and per-stream cursor; a
  message past a gap waits ("buffered") until the gap is filled.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jembatan.jobs.models import OPEN_OUTBOX_STATUSES, OutboxItem


class Protocol(models.TextChoices):
    """How a peer is spoken to: the signed Jembatan wire, or the SP4N-LAPOR! integration API."""

    JEMBATAN = "jembatan", _("Jembatan (federasi)")
    LAPOR = "sp4n-lapor", _("SP4N-LAPOR!")


class Instance(models.Model):
    """A Jembatan instance (a province, a ministry, the national hub), or the SP4N-LAPOR! system.

    A LAPOR! peer (protocol `sp4n-lapor`, see federation/lapor.py) keeps the key token its
    administrators issued in `shared_secret` and the integration endpoint in `base_url`; it only
    receives reports (no signed wire, hosts no agency here).
    """

    slug = models.SlugField(_("id"), max_length=60, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    base_url = models.URLField(_("URL dasar"), blank=True)
    # HMAC-SHA256 key this pair of instances shares (empty on the own row).
    shared_secret = models.CharField(_("kunci bersama"), max_length=200, blank=True)
    is_self = models.BooleanField(_("instansi ini"), default=False)
    protocol = models.CharField(
        _("protokol"), max_length=20, choices=Protocol.choices, default=Protocol.JEMBATAN
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("akun layanan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="federation_instance",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("instans Jembatan")
        verbose_name_plural = _("instans Jembatan")
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_self"], condition=models.Q(is_self=True), name="federation_one_self"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.slug})"

    @classmethod
    def jembatan_peers(cls):
        """The other instances this one speaks the signed Jembatan wire with (not LAPOR!, not off)."""
        return cls.objects.filter(is_self=False, is_active=True, protocol=Protocol.JEMBATAN)


class RemoteAgency(models.Model):
    """An agency of the local directory hosted on another instance: disposing to it goes there."""

    agency = models.OneToOneField(
        "directory.Agency",
        verbose_name=_("instansi"),
        on_delete=models.CASCADE,
        related_name="federation_host",
    )
    instance = models.ForeignKey(
        Instance, verbose_name=_("dikelola di"), on_delete=models.PROTECT, related_name="agencies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instansi jarak jauh")
        verbose_name_plural = _("instansi jarak jauh")
        ordering = ["agency__code"]

    def __str__(self):
        return f"{self.agency.code} → {self.instance.slug}"


class LinkRole(models.TextChoices):
    ORIGIN = "origin", _("Asal")  # the report was submitted here and disposed to the peer
    HOLDER = "holder", _("Pemegang")  # the peer disposed the report to an agency hosted here


class Link(models.Model):
    """One report shared with one peer, from this end; the stream key is (origin, number)."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="federation_links")
    peer = models.ForeignKey(Instance, on_delete=models.PROTECT, related_name="links")
    role = models.CharField(max_length=10, choices=LinkRole.choices)
    origin_instance = models.SlugField(max_length=60)
    origin_number = models.CharField(max_length=40)
    # Origin side: the disposition to the remote agency, which the peer's answers act on.
    disposition = models.ForeignKey(
        "reports.Disposition", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_seq = models.PositiveIntegerField(default=1)  # of the next message this end sends
    # SP4N-LAPOR! peer: the tracking id and status label its answer gave (empty if it gave none).
    remote_id = models.CharField(_("ID pelacakan di mitra"), max_length=60, blank=True)
    remote_status = models.CharField(_("status di mitra"), max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tautan federasi")
        verbose_name_plural = _("tautan federasi")
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "origin_instance", "origin_number"], name="federation_link_once"
            ),
        ]

    def __str__(self):
        return f"{self.origin_instance}/{self.origin_number} ↔ {self.peer.slug} ({self.role})"


class MessageKind(models.TextChoices):
    REPORT_FORWARDED = "report_forwarded", _("Laporan diteruskan")
    FOLLOW_UP_STARTED = "follow_up_started", _("Tindak lanjut dimulai")
    FOLLOW_UP_POSTED = "follow_up_posted", _("Tindak lanjut dikirim")
    RETURNED = "returned", _("Dikembalikan (bukan wewenang)")
    REPORTER_REPLIED = "reporter_replied", _("Pelapor membalas")
    RATED = "rated", _("Dinilai")
    CLOSED = "closed", _("Ditutup pelapor")
    LAPOR_REPORT = "lapor_report", _("Laporan dikirim ke SP4N-LAPOR!")


class FederationMessageQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status__in=OPEN_OUTBOX_STATUSES, next_attempt_at__lte=now)

    def undelivered(self):
        return self.filter(status__in=(*OPEN_OUTBOX_STATUSES, "failed"))


class FederationMessage(OutboxItem):
    """One message to one peer: the outbox row, written in the transaction of the local action."""

    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    destination = models.ForeignKey(Instance, on_delete=models.PROTECT, related_name="outgoing")
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    payload = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The receiver's verdict when it acknowledged: applied, buffered, duplicate or rejected (+ why).
    outcome = models.CharField(max_length=20, blank=True)

    objects = FederationMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("pesan federasi keluar")
        verbose_name_plural = _("pesan federasi keluar")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["link", "seq"], name="federation_message_seq_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="federation_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.seq} → {self.destination.slug}"


class InboundState(models.TextChoices):
    APPLIED = "applied", _("Diterapkan")
    BUFFERED = "buffered", _("Menunggu urutan")
    REJECTED = "rejected", _("Ditolak")


class ReceivedMessage(models.Model):
    """A message received from a peer: applied once, or held until the messages before it arrive."""

    message_id = models.UUIDField(unique=True)
    sender = models.ForeignKey(Instance, on_delete=models.PROTECT, related_name="incoming")
    origin_instance = models.SlugField(max_length=60)
    origin_number = models.CharField(max_length=40)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=InboundState.choices)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pesan federasi masuk")
        verbose_name_plural = _("pesan federasi masuk")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "origin_instance", "origin_number", "seq"],
                name="federation_inbound_seq_once",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.seq} ← {self.sender.slug}"


class InboundCursor(models.Model):
    """The last sequence number applied in one stream (sender, origin, number)."""

    sender = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="+")
    origin_instance = models.SlugField(max_length=60)
    origin_number = models.CharField(max_length=40)
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "origin_instance", "origin_number"], name="federation_cursor_once"
            ),
        ]


class NetworkPeriod(models.Model):
    """The hub's copy of one instance's figures for one month, as of the time it computed them.

    One row per (instance, month): a resend replaces the month's figures (NetworkFigure rows), a
    report computed earlier than the stored one (`as_of`) is refused as stale (actions.record_figures).
    """

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="network_periods")
    period = models.DateField(_("bulan"))  # the first day of the month the reports were received in
    as_of = models.DateTimeField(_("per"))  # when the instance's rollups were last refreshed
    received_at = models.DateTimeField(_("diterima"))  # when the hub last accepted it

    class Meta:
        verbose_name = _("angka jaringan")
        verbose_name_plural = _("angka jaringan")
        ordering = ["instance__slug", "-period"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "period"], name="federation_network_period_once"),
        ]

    def __str__(self):
        return f"{self.instance.slug} {self.period:%Y-%m} @ {self.as_of:%Y-%m-%d %H:%M}"


class NetworkFigure(models.Model):
    """One agency's aggregate figures for one month, as its instance reported them (no report data).

    `agency_code` is empty for the instance's reports no agency has taken yet.
    """

    period = models.ForeignKey(NetworkPeriod, on_delete=models.CASCADE, related_name="figures")
    agency_code = models.CharField(max_length=60, blank=True)
    received = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    verified_on_time = models.PositiveIntegerField(default=0)
    followed_up = models.PositiveIntegerField(default=0)
    followed_up_on_time = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    open_backlog = models.PositiveIntegerField(default=0)
    oldest_unverified = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "agency_code"], name="federation_network_figure_once"),
        ]
