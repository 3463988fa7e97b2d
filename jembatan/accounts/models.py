"""People and their roles. Who may do what is answered in access.py, never here."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jembatan.notify.phones import normalize_phone


class User(AbstractUser):
    """A citizen or an officer. Citizens log in with e-mail or phone; staff with a username too.

    NIK is deliberately not collected: a complaint does not need it, UU 27/2022 (Pelindungan Data
    Pribadi) asks for data minimisation, and a leaked NIK is the most abused Indonesian identifier.
    """

    full_name = models.CharField(_("nama lengkap"), max_length=150, blank=True)
    email = models.EmailField(_("alamat e-mail"), blank=True)
    phone = models.CharField(_("nomor ponsel"), max_length=20, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail terverifikasi"), null=True, blank=True)
    phone_verified_at = models.DateTimeField(_("ponsel terverifikasi"), null=True, blank=True)
    preferred_language = models.CharField(
        _("bahasa"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    notify_by_email = models.BooleanField(_("kabari lewat e-mail"), default=True)
    notify_by_sms = models.BooleanField(_("kabari lewat SMS"), default=False)
    notify_by_whatsapp = models.BooleanField(_("kabari lewat WhatsApp"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"), condition=~models.Q(email=""), name="user_unique_email_ci"
            ),
            models.UniqueConstraint(
                fields=["phone"], condition=~models.Q(phone=""), name="user_unique_phone"
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.phone = normalize_phone(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        return self.full_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN_NASIONAL = "admin_nasional", _("Admin Nasional")
    ADMIN_INSTANSI = "admin_instansi", _("Admin Instansi / Koordinator")
    PENGHUBUNG = "penghubung", _("Penghubung")
    PIMPINAN = "pimpinan", _("Pimpinan")
    AUDITOR = "auditor", _("Auditor (Inspektorat/Ombudsman)")
    SYSADMIN = "sysadmin", _("Sysadmin")


class StaffRole(models.Model):
    """One role of one officer, scoped to an agency and everything below it."""

    user = models.ForeignKey(
        User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("instansi"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_(
            "Cakupan peran: instansi ini dan seluruh unit di bawahnya. Kosong hanya untuk peran nasional."
        ),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("peran petugas")
        verbose_name_plural = _("peran petugas")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "agency"], name="staff_role_unique"),
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False)
                | models.Q(role__in=["admin_nasional", "sysadmin", "auditor"]),
                name="staff_role_scoped_needs_agency",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} — {self.agency or _('Nasional')}"


class OneTimeCode(models.Model):
    """A short code sent to an e-mail address or phone to prove the citizen holds it.

    Only an HMAC of the code is stored (see actions.py): six digits are a million values, so a plain
    hash would be reversed in a second by anyone holding a database dump.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", _("Verifikasi e-mail")
        VERIFY_PHONE = "verify_phone", _("Verifikasi ponsel")
        RESET_PASSWORD = "reset_password", _("Atur ulang kata sandi")

    LIFETIME = timedelta(minutes=10)
    MAX_ATTEMPTS = 5
    # Each code costs an SMS and can be aimed at someone else's number: space them out and cap them.
    RESEND_INTERVAL = timedelta(seconds=60)
    MAX_PER_HOUR = 5

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kode sekali pakai")
        verbose_name_plural = _("kode sekali pakai")
        indexes = [models.Index(fields=["user", "purpose", "created_at"])]

    def is_expired(self, now):
        return self.expires_at <= now


class LoginAttempt(models.Model):
    """A failed login, counted per username and per IP to throttle guessing."""

    username = models.CharField(_("nama pengguna"), max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(_("alamat IP"), null=True, db_index=True)
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("percobaan masuk gagal")
        verbose_name_plural = _("percobaan masuk gagal")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.username} @ {self.ip_address}"


class RateCount(models.Model):
    """Events counted for a rate limit in one time bucket (see accounts/ratelimit.py, the one
    counter every limit uses). `key` is a hash of what is counted (an address, an account and an
    address, an API key); `bucket` the bucket's start in seconds since the epoch."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=40)
    bucket = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("hitungan batas")
        verbose_name_plural = _("hitungan batas")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "bucket"], name="accounts_ratecount_unique_bucket")
        ]


class AccountEvent(models.Model):
    """One line of an account's security log (registration, verified contact, 2FA, login).

    Written by the actions in the same transaction as the change it records; never updated.
    """

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Mendaftar")
        CONTACT_VERIFIED = "contact_verified", _("Kontak terverifikasi")
        PROFILE_UPDATED = "profile_updated", _("Profil diubah")
        LOGGED_IN = "logged_in", _("Masuk")
        TOTP_STARTED = "totp_started", _("Mulai mendaftarkan autentikator")
        TOTP_CONFIRMED = "totp_confirmed", _("Verifikasi dua langkah aktif")
        RESET_REQUESTED = "reset_requested", _("Minta atur ulang kata sandi")
        PASSWORD_RESET = "password_reset", _("Kata sandi diatur ulang")

    user = models.ForeignKey(
        User, verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="account_events"
    )
    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    data = models.JSONField(_("rincian"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("alamat IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("riwayat akun")
        verbose_name_plural = _("riwayat akun")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user_id} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Account events are append-only.")
        super().save(*args, **kwargs)


class AuditRecord(models.Model):
    """One change of who may do what: a staff role, an agency, a category, a routing rule, a
    response template or a calendar correction, with who made it and the values before and after.

    Written by the action that makes the change, in the same transaction; never updated or deleted.
    `agency` is the agency whose subtree the change concerns (empty for national data), so a scoped
    auditor sees the changes of their own subtree.
    """

    class Kind(models.TextChoices):
        ROLE_GRANTED = "role_granted", _("Peran diberikan")
        ROLE_REVOKED = "role_revoked", _("Peran dicabut")
        AGENCY_CREATED = "agency_created", _("Instansi dibuat")
        AGENCY_CHANGED = "agency_changed", _("Instansi diubah")
        AGENCY_MOVED = "agency_moved", _("Instansi dipindah")
        AGENCY_DEACTIVATED = "agency_deactivated", _("Instansi dinonaktifkan")
        CATEGORY_CREATED = "category_created", _("Kategori dibuat")
        CATEGORY_CHANGED = "category_changed", _("Kategori diubah")
        RULE_CREATED = "rule_created", _("Aturan penerusan dibuat")
        RULE_CHANGED = "rule_changed", _("Aturan penerusan diubah")
        RULE_DELETED = "rule_deleted", _("Aturan penerusan dihapus")
        TEMPLATE_CREATED = "template_created", _("Templat jawaban dibuat")
        TEMPLATE_CHANGED = "template_changed", _("Templat jawaban diubah")
        CALENDAR_SET = "calendar_set", _("Koreksi kalender disimpan")
        CALENDAR_DELETED = "calendar_deleted", _("Koreksi kalender dihapus")
        ADMIN_ACCESS_CHANGED = "admin_access_changed", _("Hak akses admin diubah")
        REGION_RENAMED = "region_renamed", _("Nama wilayah diubah")

    actor = models.ForeignKey(
        User,
        verbose_name=_("pelaku"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept beside the foreign key: the record must still name the actor after the account is gone.
    actor_name = models.CharField(_("nama pelaku"), max_length=150)
    kind = models.CharField(_("jenis"), max_length=24, choices=Kind.choices, db_index=True)
    object_type = models.CharField(_("jenis objek"), max_length=40)
    object_id = models.CharField(_("ID objek"), max_length=40)
    object_repr = models.CharField(_("objek"), max_length=250)
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("instansi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    before = models.JSONField(_("sebelum"), default=dict, blank=True)
    after = models.JSONField(_("sesudah"), default=dict, blank=True)
    created_at = models.DateTimeField(_("waktu"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("catatan audit")
        verbose_name_plural = _("catatan audit")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit records are append-only.")
        super().save(*args, **kwargs)
