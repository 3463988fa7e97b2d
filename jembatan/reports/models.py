"""The complaint (laporan) and everything that happens to it.

State changes live in actions.py; this module only holds facts about one object (properties) and
filters (QuerySet methods).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from jembatan import fastinsert
from jembatan.accounts import access
from jembatan.reports import pii
from jembatan.reports.events import ActorRole, EventAction  # noqa: F401  (re-exported beside the models)
from jembatan.reports.pii import public_form, stored_redaction


class ReportType(models.TextChoices):
    PENGADUAN = "pengaduan", _("Pengaduan")
    ASPIRASI = "aspirasi", _("Aspirasi")
    PERMINTAAN_INFORMASI = "permintaan_informasi", _("Permintaan Informasi")


class Classification(models.TextChoices):
    PENGADUAN_BERKADAR_PENGAWASAN = "pengaduan_berkadar_pengawasan", _("Pengaduan Berkadar Pengawasan")
    PENGADUAN_TIDAK_BERKADAR_PENGAWASAN = (
        "pengaduan_tidak_berkadar_pengawasan",
        _("Pengaduan Tidak Berkadar Pengawasan"),
    )
    ASPIRASI = "aspirasi", _("Aspirasi")
    PERMINTAAN_INFORMASI = "permintaan_informasi", _("Permintaan Informasi")


class ReceivedVia(models.TextChoices):
    """How a report an officer records reached them (kept in the "submitted" event's data)."""

    TELEPON = "telepon", _("Telepon")
    DATANG_LANGSUNG = "datang_langsung", _("Datang langsung")
    SURAT = "surat", _("Surat")
    MEDIA_SOSIAL = "media_sosial", _("Media sosial")
    LAINNYA = "lainnya", _("Lainnya")


class Channel(models.TextChoices):
    WEB = "web", _("Situs web")
    ANDROID = "android", _("Android")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    OPEN311 = "open311", _("Open311")
    API = "api", _("API")
    OFFICER = "officer", _("Dicatat petugas")
    IMPORT = "import", _("Impor")


class Status(models.TextChoices):
    """Statuses as the national SP4N-LAPOR! system shows them."""

    BELUM_TERVERIFIKASI = "belum_terverifikasi", _("Belum Terverifikasi")
    MENUNGGU_KELENGKAPAN = "menunggu_kelengkapan", _("Menunggu Kelengkapan Informasi")
    TERDISPOSISI = "terdisposisi", _("Terverifikasi & Terdisposisi (belum ditindaklanjuti)")
    DIPROSES = "diproses", _("Sedang Diproses")
    SELESAI = "selesai", _("Selesai Ditindaklanjuti")
    DITUTUP_PELAPOR = "ditutup_pelapor", _("Ditutup oleh Pelapor")
    DITUTUP_ADMIN = "ditutup_admin", _("Ditutup oleh Admin")
    DITUTUP_SISTEM = "ditutup_sistem", _("Ditutup oleh Sistem")
    DIARSIPKAN_ADMIN = "diarsipkan_admin", _("Diarsipkan oleh Admin")
    DIARSIPKAN_SISTEM = "diarsipkan_sistem", _("Diarsipkan oleh Sistem")
    DIARSIPKAN_PELAPOR = "diarsipkan_pelapor", _("Diarsipkan oleh Pelapor")


VERIFICATION_STATUSES = (Status.BELUM_TERVERIFIKASI, Status.MENUNGGU_KELENGKAPAN)
ACTIVE_STATUSES = (
    Status.BELUM_TERVERIFIKASI,
    Status.MENUNGGU_KELENGKAPAN,
    Status.TERDISPOSISI,
    Status.DIPROSES,
    Status.SELESAI,
)
CLOSED_STATUSES = (Status.DITUTUP_PELAPOR, Status.DITUTUP_ADMIN, Status.DITUTUP_SISTEM)
ARCHIVED_STATUSES = (Status.DIARSIPKAN_ADMIN, Status.DIARSIPKAN_SISTEM, Status.DIARSIPKAN_PELAPOR)
FINAL_STATUSES = CLOSED_STATUSES + ARCHIVED_STATUSES


class ArchiveReason(models.Model):
    """A managed reason for archiving (Tidak Jelas, Duplikat, Kedaluwarsa, …)."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("alasan arsip")
        verbose_name_plural = _("alasan arsip")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CalendarOverride(models.Model):
    """A correction to the working-day calendar: an extra day off, or a cancelled one.

    Read by reports.sla.WorkingCalendar; nothing in the product writes it yet (no admin screen):
    a row is added in the database or a data migration when the government moves a holiday.
    """

    date = models.DateField(_("tanggal"), unique=True)
    is_working_day = models.BooleanField(
        _("hari kerja"), help_text=_("Centang bila tanggal ini tetap hari kerja (libur dibatalkan).")
    )
    note = models.CharField(_("keterangan"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("koreksi kalender")
        verbose_name_plural = _("koreksi kalender")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date}: {self.note}"


def new_tracking_number():
    # 9 random digits, first one non-zero: 900 million values, so guessing a live number is
    # hopeless, and a confidential report still needs its access code on top.
    return str(secrets.randbelow(900_000_000) + 100_000_000)


def new_access_code():
    # Crockford-style alphabet without look-alikes, easy to read out over the phone.
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


ACCESS_CODE_HASH_ALGORITHM = "pbkdf2_sha256"
# A new report's code is stored at once as a keyed HMAC (microseconds, in the request), and the
# worker then stretches that HMAC with PBKDF2 (harden_access_code_hash): the slow part, several
# milliseconds of CPU, is not paid by the request that submits the report.
ACCESS_CODE_FAST_ALGORITHM = "hmac_sha256"
ACCESS_CODE_HARDENED_ALGORITHM = "pbkdf2_hmac_sha256"
_ACCESS_CODE_HMAC_SALT = "jembatan.reports.access_code"


def _normalized_code(raw):
    return str(raw).strip().upper()


def hash_access_code(raw, *, salt=None, iterations=None):
    """The stored form of an access code: PBKDF2-SHA256 with a salt of its own.

    A code is 10 characters from 30 (about 2^49 values), so a stolen table is not worth guessing
    at ACCESS_CODE_HASH_ITERATIONS rounds a try; the rounds stay low enough that a portal page
    which re-checks the code in the visitor's session costs milliseconds.
    """
    salt = salt or secrets.token_hex(8)
    iterations = iterations or settings.ACCESS_CODE_HASH_ITERATIONS
    digest = hashlib.pbkdf2_hmac("sha256", _normalized_code(raw).encode(), salt.encode(), iterations)
    return f"{ACCESS_CODE_HASH_ALGORITHM}${iterations}${salt}${digest.hex()}"


def _keyed_digest(raw, salt, secret):
    return salted_hmac(
        _ACCESS_CODE_HMAC_SALT, f"{salt}${_normalized_code(raw)}", secret=secret, algorithm="sha256"
    ).hexdigest()


def fast_access_code_hash(raw, *, salt=None):
    """The form a new report's code is stored in until the worker hardens it: HMAC-SHA256 keyed
    with SECRET_KEY and a salt of its own (a stolen table without the key tells nothing)."""
    salt = salt or secrets.token_hex(8)
    return f"{ACCESS_CODE_FAST_ALGORITHM}${salt}${_keyed_digest(raw, salt, settings.SECRET_KEY)}"


def _stretched(keyed_hex, salt, iterations):
    return hashlib.pbkdf2_hmac("sha256", keyed_hex.encode(), salt.encode(), iterations).hex()


def harden_access_code_hash(stored, *, iterations=None):
    """PBKDF2 over a fast (HMAC) hash, without the code; other forms are returned unchanged."""
    parts = (stored or "").split("$")
    if len(parts) != 3 or parts[0] != ACCESS_CODE_FAST_ALGORITHM:
        return stored
    _algorithm, salt, keyed = parts
    iterations = iterations or settings.ACCESS_CODE_HASH_ITERATIONS
    return f"{ACCESS_CODE_HARDENED_ALGORITHM}${iterations}${salt}${_stretched(keyed, salt, iterations)}"


def _secrets():
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


def access_code_matches(raw, stored):
    """Does the typed code `raw` open the code stored as `stored`? Constant time; blank never does."""
    if not raw or not stored:
        return False
    parts = stored.split("$")
    if parts[0] == ACCESS_CODE_FAST_ALGORITHM and len(parts) == 3:
        salt, digest = parts[1], parts[2]
        return any(constant_time_compare(_keyed_digest(raw, salt, key), digest) for key in _secrets())
    if len(parts) != 4 or not parts[1].isdigit():
        return False
    algorithm, iterations, salt, digest = parts[0], int(parts[1]), parts[2], parts[3]
    if algorithm == ACCESS_CODE_HARDENED_ALGORITHM:
        return any(
            constant_time_compare(_stretched(_keyed_digest(raw, salt, key), salt, iterations), digest)
            for key in _secrets()
        )
    if algorithm != ACCESS_CODE_HASH_ALGORITHM:
        return False
    return constant_time_compare(hash_access_code(raw, salt=salt, iterations=iterations), stored)


def visible_reports_q(user, among=None):
    """A Q for the reports `user` may see in the workbench (Q(pk__in=[]) for nobody).

    `among`: the ids of a few reports to check (say, a page's examples); the Q then admits only
    those, and the dispositions it reads are theirs. Without it, PostgreSQL plans the dispositions
    of the whole scope as a hashed subplan (3.8 million rows for a province at 5,000,000 reports),
    whose cost estimate alone makes it compile the query (JIT: 0.6 s) to check two dozen reports.
    """
    scope = access.report_scope(user)
    if scope is access.EVERYWHERE:
        return Q() if among is None else Q(pk__in=among)
    # A subquery, not a join on dispositions: a report disposed to two offices in scope would
    # otherwise come back twice, and every count and page built on this filter would be off.
    # Agency ids of the subtree first (an indexed prefix scan on the small agency table), so the
    # big tables are filtered by indexed foreign keys instead of a join and a LIKE per row.
    dispositions = (
        Disposition.objects.all() if among is None else Disposition.objects.filter(report_id__in=among)
    )
    q = Q(pk__in=[])
    for subtree in scope:
        q |= Q(verifying_agency_id__in=subtree)
        q |= Q(pk__in=dispositions.filter(agency_id__in=subtree).values("report_id"))
    return q if among is None else q & Q(pk__in=among)


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user, among=None):
        """The reports `user` may see in the workbench (accounts.access.report_scope); with `among`
        (a few report ids), only those of them (see visible_reports_q)."""
        return self.filter(visible_reports_q(user, among))

    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def public(self):
        """What anyone may read: not confidential, verified, not archived."""
        return self.filter(is_confidential=False).exclude(
            status__in=(*VERIFICATION_STATUSES, *ARCHIVED_STATUSES)
        )

    def awaiting_verification(self):
        return self.filter(status__in=VERIFICATION_STATUSES)

    def for_agency(self, agency):
        """Reports disposed to `agency` or anything below it."""
        return self.filter(dispositions__agency__path__startswith=agency.path).distinct()

    def due_for_sweep(self, now):
        return self.filter(next_check_at__isnull=False, next_check_at__lte=now)


class Report(models.Model):
    tracking_number = models.CharField(_("nomor pelacakan"), max_length=12, unique=True, editable=False)
    # Only the hash is kept (see hash_access_code); the code itself is shown to the guest once.
    access_code_hash = models.CharField(_("kode akses (hash)"), max_length=128, editable=False)
    kind = models.CharField(_("jenis laporan"), max_length=24, choices=ReportType.choices)
    classification = models.CharField(
        _("klasifikasi"), max_length=40, choices=Classification.choices, blank=True
    )
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("isi laporan"))
    incident_date = models.DateField(_("tanggal kejadian"), null=True, blank=True)
    region = models.ForeignKey(
        "directory.Region", verbose_name=_("wilayah"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.CharField(_("alamat/lokasi"), max_length=300, blank=True)
    # The three texts with personal data redacted (pii.stored_redaction), derived in save() so
    # lists and public pages do not run the detector on every read; NULL: not derived yet (read
    # with pii.public_form, which then redacts). `manage.py store_public_texts` fills them.
    title_public = models.TextField(null=True, blank=True, editable=False)
    description_public = models.TextField(null=True, blank=True, editable=False)
    address_public = models.TextField(null=True, blank=True, editable=False)
    # pii.DETECTOR_VERSION the three were derived with; NULL or older: stale, derived again by the
    # next save of a text and by `manage.py store_public_texts --apply`.
    public_texts_version = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    latitude = models.DecimalField(_("lintang"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("bujur"), max_digits=9, decimal_places=6, null=True, blank=True)
    category = models.ForeignKey(
        "directory.Category", verbose_name=_("kategori"), null=True, blank=True, on_delete=models.PROTECT
    )
    target_agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("instansi tujuan (pilihan pelapor)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verifying_agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("instansi verifikator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports_to_verify",
        help_text=_("Kosong: diverifikasi oleh admin nasional."),
    )
    channel = models.CharField(_("kanal"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    source_instance = models.CharField(_("instansi sumber"), max_length=100, blank=True)
    external_id = models.CharField(_("ID asal"), max_length=64, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pelapor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    # A guest's contact, kept on the report itself (a logged-in reporter's lives on the user).
    reporter_name = models.CharField(_("nama pelapor"), max_length=150, blank=True)
    reporter_email = models.EmailField(_("e-mail pelapor"), blank=True)
    reporter_phone = models.CharField(_("ponsel pelapor"), max_length=20, blank=True)
    is_anonymous = models.BooleanField(_("anonim"), default=False)
    is_confidential = models.BooleanField(_("rahasia"), default=False)

    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.BELUM_TERVERIFIKASI, db_index=True
    )
    archive_reason = models.ForeignKey(
        ArchiveReason, verbose_name=_("alasan arsip"), null=True, blank=True, on_delete=models.PROTECT
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplikat dari"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    support_count = models.PositiveIntegerField(_("jumlah dukungan"), default=0)
    rating = models.PositiveSmallIntegerField(_("penilaian"), null=True, blank=True)
    rating_comment = models.TextField(_("komentar penilaian"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    # The SLA clock (see sla.py). Deadlines are stored, not derived, so the sweep and the queues
    # can sort and filter on an index; `next_check_at` is when the sweep must look at it next.
    submitted_at = models.DateTimeField(_("diterima"), default=timezone.now)
    verification_due_at = models.DateTimeField(_("batas verifikasi"), null=True, blank=True)
    paused_at = models.DateTimeField(_("jam SLA dijeda sejak"), null=True, blank=True)
    verified_at = models.DateTimeField(_("diverifikasi"), null=True, blank=True)
    completion_due_at = models.DateTimeField(_("batas penyelesaian"), null=True, blank=True)
    answered_at = models.DateTimeField(_("ditindaklanjuti"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ditutup"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    ombudsman_consent = models.BooleanField(_("setuju diteruskan ke Ombudsman"), default=False)
    ombudsman_flagged_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("laporan")
        verbose_name_plural = _("laporan")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["status", "verification_due_at"]),
            # With the id in the index, a queue stream (`status = S AND completion_due_at IS NOT
            # NULL`) joined to a short list of ids (escalations, late dispositions) is an
            # index-only scan: the escalation queue read 40,000 reports from the heap (16,000
            # blocks, 173 ms at 1,000,000 reports) to keep 51 (docs/scale.md).
            models.Index(
                fields=["status", "completion_due_at"], include=["id"], name="report_status_completion"
            ),
            # The "waiting for the reporter" queue's two streams, in the order it lists them:
            # without them each page read every answered (or paused) report in scope and sorted
            # them (75,000 rows, 1.1 s at 5,000,000 reports → 0.1 ms; docs/scale.md). Partial:
            # only the reports in that status, a small share of the table.
            models.Index(
                fields=["answered_at", "id"],
                condition=models.Q(status=Status.SELESAI),
                name="report_waiting_answered",
            ),
            models.Index(
                fields=["paused_at", "id"],
                condition=models.Q(status=Status.MENUNGGU_KELENGKAPAN),
                name="report_waiting_paused",
            ),
            # The unverified reports whose clock runs, in deadline order, and the paused ones in id
            # order (the verification queue lists them last): partial, so both are small and a
            # stream joined to a list of ids (escalations) is an index-only walk. Through the
            # (status, deadline) index each entry was a heap fetch (140-198 ms for the escalation
            # queue's stream at 5,000,000 reports); the paused ones were all read through the
            # agency index and sorted (103-340 ms) for a page of 51 (docs/scale.md).
            models.Index(
                fields=["verification_due_at", "id"],
                condition=models.Q(status=Status.BELUM_TERVERIFIKASI, paused_at__isnull=True),
                name="report_unverified_running",
            ),
            models.Index(
                fields=["id"],
                condition=models.Q(status=Status.MENUNGGU_KELENGKAPAN),
                name="report_paused_by_id",
            ),
            models.Index(fields=["verifying_agency", "status"]),
            models.Index(fields=["is_confidential", "status", "-submitted_at"]),
            models.Index(fields=["source_instance", "external_id"]),
            # The public list: newest first among non-confidential reports (163 ms → 0.07 ms on
            # PostgreSQL at 100,000 reports).
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=models.Q(is_confidential=False),
                name="report_public_recent",
            ),
            # Exactly what `public()` reads: the public list's capped count and its page of ids are
            # index-only scans that stop after 1,001 / 20 entries. With the index above the count
            # had to step over the 240,000 unverified and archived entries first (183 ms at
            # 1,000,000 reports → under 1 ms; docs/scale.md).
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=models.Q(is_confidential=False)
                & ~models.Q(status__in=[*VERIFICATION_STATUSES, *ARCHIVED_STATUSES]),
                name="report_public_listing",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="report_rating_1_to_5",
            ),
        ]

    def __str__(self):
        return f"#{self.tracking_number} {self.title}"

    PUBLIC_TEXT_FIELDS = ("title", "description", "address")

    def save(self, *args, **kwargs):
        # The redacted forms follow their texts: derived here, the one place every write of a
        # report passes (a bulk path that skips save() leaves NULL, which reads redact).
        update_fields = kwargs.get("update_fields")
        fields = self.PUBLIC_TEXT_FIELDS
        if update_fields is not None:
            fields = [name for name in fields if name in update_fields]
        fields = self._derive_public_texts(fields)
        if update_fields is not None and fields:
            kwargs["update_fields"] = {
                *update_fields,
                *(f"{name}_public" for name in fields),
                "public_texts_version",
            }
        super().save(*args, **kwargs)
        if fields:
            self._index_public_texts(kwargs.get("using") or self._state.db)

    def insert_new(self, *, unless_tracking_number_taken=False):
        """Insert this new report (what save() does for a new row, through fastinsert: the hot path
        of every submission). With `unless_tracking_number_taken`, a report already holding this
        tracking number means nothing is written and False is returned (no savepoint needed)."""
        self._derive_public_texts(self.PUBLIC_TEXT_FIELDS)
        inserted = fastinsert.insert(
            self, on_conflict_do_nothing=("tracking_number",) if unless_tracking_number_taken else ()
        )
        if inserted:
            # Its search index row, both documents at once (search.index_new_report).
            from jembatan.reports import search

            search.index_new_report(self, self._state.db)
        return inserted

    def derive_public_texts(self):
        """Derive the redacted forms of a new report's texts now; insert_new() keeps them while the
        texts are unchanged (an action does this before its transaction: no lock held for it)."""
        self._derive_public_texts(self.PUBLIC_TEXT_FIELDS)

    def _derive_public_texts(self, fields):
        """Derive the redacted forms of `fields` (all three when the row's were made by an older
        detector: they carry one version); returns the fields derived."""
        stale = self.public_texts_version != pii.DETECTOR_VERSION
        if fields and stale:
            fields = self.PUBLIC_TEXT_FIELDS
        for name in fields:
            self._store_public(name, force=stale)
        if fields:
            self.public_texts_version = pii.DETECTOR_VERSION
        return fields

    def _index_public_texts(self, using):
        # The public search reads the redacted texts: SQLite's index of them is written where they
        # are derived, in the caller's transaction (PostgreSQL's column is generated).
        from jembatan.reports import search

        search.index_public_texts(
            [(self.pk, self.title_public, self.description_public)], using=using or "default"
        )

    @property
    def access_code(self):
        """The code itself, known only on the instance that was given it (the new report, to show
        the guest once on the receipt and in the acknowledgement); None once reloaded."""
        return getattr(self, "_access_code", None)

    @access_code.setter
    def access_code(self, raw):
        # Report(access_code=…) and report.access_code = … store the hash and keep the code on
        # this instance only.
        self._access_code = raw or None
        # The fast form; reports.tasks hardens it after the commit (see fast_access_code_hash).
        self.access_code_hash = fast_access_code_hash(raw) if raw else ""

    def check_access_code(self, raw):
        """Does the typed code open this report? (Case-insensitive, constant time.)"""
        return access_code_matches(raw, self.access_code_hash)

    def _store_public(self, name, force=False):
        text = getattr(self, name)
        derived = getattr(self, "_public_of", {})
        if not force and derived.get(name) == text and getattr(self, f"{name}_public") is not None:
            return  # unchanged since this instance derived it
        setattr(self, f"{name}_public", stored_redaction(text))
        self._public_of = {**derived, name: text}

    def public(self, name):
        """`title`, `description` or `address` with personal data redacted, in the active language."""
        return public_form(
            getattr(self, name), getattr(self, f"{name}_public"), self.public_texts_version or 0
        )

    @property
    def is_public(self):
        return not self.is_confidential and self.status not in (*VERIFICATION_STATUSES, *ARCHIVED_STATUSES)

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    @property
    def is_archived(self):
        return self.status in ARCHIVED_STATUSES

    @property
    def contact_email(self):
        return (self.reporter.email if self.reporter_id else "") or self.reporter_email

    @property
    def contact_phone(self):
        return (self.reporter.phone if self.reporter_id else "") or self.reporter_phone

    @property
    def contact_phone_display(self):
        from jembatan.notify.phones import display_phone

        return display_phone(self.contact_phone)

    @property
    def reporter_display_name(self):
        """The reporter's name as staff with the right to see it would read it."""
        if self.reporter_id:
            return self.reporter.display_name
        return self.reporter_name or _("Tamu")

    @property
    def sla_due_at(self):
        """The deadline that currently runs: verification before disposal, completion after."""
        if self.status in VERIFICATION_STATUSES:
            return None if self.paused_at else self.verification_due_at
        if self.status in (Status.TERDISPOSISI, Status.DIPROSES):
            return self.completion_due_at
        return None

    def is_overdue(self, now=None):
        due = self.sla_due_at
        return bool(due and due < (now or timezone.now()))


class DispositionStatus(models.TextChoices):
    TERDISPOSISI = "terdisposisi", _("Terdisposisi (belum ditindaklanjuti)")
    DIPROSES = "diproses", _("Sedang Diproses")
    SELESAI = "selesai", _("Selesai Ditindaklanjuti")
    BUKAN_WEWENANG = "bukan_wewenang", _("Dikembalikan: Bukan Wewenang")
    DIALIHKAN = "dialihkan", _("Dilimpahkan ke instansi lain")
    DIBATALKAN = "dibatalkan", _("Dibatalkan")


OPEN_DISPOSITION_STATUSES = (DispositionStatus.TERDISPOSISI, DispositionStatus.DIPROSES)


class DispositionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_DISPOSITION_STATUSES)

    def for_agency(self, agency):
        return self.filter(agency__path__startswith=agency.path)


class Disposition(models.Model):
    """A report disposed (disposisi) to one agency, with its own liaison, deadlines and follow-ups."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="dispositions")
    agency = models.ForeignKey(
        "directory.Agency", verbose_name=_("instansi"), on_delete=models.PROTECT, related_name="dispositions"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DispositionStatus.choices, default=DispositionStatus.TERDISPOSISI
    )
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("penghubung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    instruction = models.TextField(_("instruksi"), blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    disposed_at = models.DateTimeField(_("didisposisikan"), default=timezone.now)
    first_response_due_at = models.DateTimeField(_("batas tindak lanjut pertama"), null=True, blank=True)
    completion_due_at = models.DateTimeField(_("batas penyelesaian"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("alasan pengembalian"), blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DispositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("disposisi")
        verbose_name_plural = _("disposisi")
        ordering = ["disposed_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "status"]),
            # The workbench inbox / in-progress queues read dispositions in deadline order per status.
            models.Index(fields=["status", "first_response_due_at"]),
            models.Index(fields=["status", "completion_due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "agency"],
                condition=models.Q(status__in=["terdisposisi", "diproses"]),
                name="disposition_one_open_per_agency",
            ),
        ]

    def __str__(self):
        return f"{self.report.tracking_number} → {self.agency}"

    @property
    def is_open(self):
        return self.status in OPEN_DISPOSITION_STATUSES

    @property
    def sla_due_at(self):
        if self.status == DispositionStatus.TERDISPOSISI and self.first_response_at is None:
            return self.first_response_due_at
        if self.is_open:
            return self.completion_due_at
        return None


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Publik")
    INTERNAL = "internal", _("Internal petugas")
    REPORTER = "reporter", _("Hanya pelapor dan petugas")


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only.")

    def delete(self):
        raise TypeError("Timeline events are append-only.")

    def public(self):
        return self.filter(visibility=Visibility.PUBLIC)

    def for_reporter(self):
        return self.filter(visibility__in=(Visibility.PUBLIC, Visibility.REPORTER))


class Event(models.Model):
    """One line of a report's timeline, which is also its audit log. Never updated or deleted.

    A database trigger (migration 0002) backs the model-level guard, so not even a raw query can
    rewrite history.
    """

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(_("peran pelaku"), max_length=20, choices=ActorRole.choices)
    action = models.CharField(_("tindakan"), max_length=40, db_index=True, choices=EventAction.choices)
    status_before = models.CharField(max_length=24, blank=True)
    status_after = models.CharField(max_length=24, blank=True)
    text = models.TextField(_("isi"), blank=True)
    # `text` with personal data redacted (pii.stored_redaction), written with the event (events
    # are never updated, so it cannot go stale); NULL on events older than the column.
    text_public = models.TextField(null=True, blank=True, editable=False)
    # pii.DETECTOR_VERSION text_public was made with: an older form is redacted again when read.
    text_public_version = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("riwayat")
        verbose_name_plural = _("riwayat")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["report", "created_at"])]

    def __str__(self):
        return f"{self.report_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Timeline events are append-only.")
        self.text_public = stored_redaction(self.text)
        self.text_public_version = pii.DETECTOR_VERSION
        # Every action writes one (Event.objects.create(): force_insert, the default database): a
        # prepared INSERT, not a freshly compiled one.
        if not args and set(kwargs) <= {"using", "force_insert"} and kwargs.get("using") in (None, "default"):
            fastinsert.insert(self)
        else:
            super().save(*args, **kwargs)

    @property
    def public_text(self):
        """`text` with personal data redacted, in the active language."""
        return public_form(self.text, self.text_public, self.text_public_version or 0)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only.")


def attachment_path(instance, filename):
    # Random names: the original file name may itself be personal data, and must not be guessable.
    return f"attachments/{instance.report.submitted_at:%Y/%m}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.REPORTER)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")


class Support(models.Model):
    """A citizen's "Dukung" on a report; one per citizen."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="support_once_per_user")]


class EscalationKind(models.TextChoices):
    VERIFICATION = "verification", _("Verifikasi")
    FIRST_RESPONSE = "first_response", _("Tindak lanjut pertama")
    COMPLETION = "completion", _("Penyelesaian")


class Escalation(models.Model):
    """A breached deadline pushed up the ladder to an agency's coordinators (one row per step).

    The markers on the report/disposition (breached_at, escalation_level), changed under the row
    lock, keep a step from running twice; a deadline extended by a reporter's reply may breach,
    and escalate, again.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="escalations")
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.CASCADE, related_name="escalations"
    )
    kind = models.CharField(max_length=20, choices=EscalationKind.choices)
    level = models.PositiveSmallIntegerField()
    to_agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("eskalasi")
        verbose_name_plural = _("eskalasi")


class FollowerSource(models.TextChoices):
    FOLLOW = "follow", _("Mengikuti")
    SUPPORT = "support", _("Mendukung")
    MERGED = "merged", _("Laporannya digabungkan")


class FollowerQuerySet(models.QuerySet):
    def active(self):
        """Followers who hear the report's news: confirmed and not unfollowed."""
        return self.filter(confirmed_at__isnull=False, ended_at__isnull=True)


class Follower(models.Model):
    """Someone who hears a report's outcome ("Ikuti laporan ini"): one voice of the problem.

    Exactly one of: an account (`user`, who also follows by supporting), an e-mail address or a
    phone number proved by a one-time code (a guest), or a merged report (`duplicate`: its reporter
    is reached on the routes of that report, so their own choices and anonymity still hold). The
    contact is never shown on any page; only the count is.
    """

    CODE_LIFETIME_MINUTES = 10
    MAX_CODE_ATTEMPTS = 5

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers")
    source = models.CharField(max_length=10, choices=FollowerSource.choices, default=FollowerSource.FOLLOW)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    duplicate = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="merged_into_followers"
    )
    language = models.CharField(max_length=10, blank=True)
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowerQuerySet.as_manager()

    class Meta:
        verbose_name = _("pengikut laporan")
        verbose_name_plural = _("pengikut laporan")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "user"], condition=Q(user__isnull=False), name="follower_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["report", "email"], condition=~Q(email=""), name="follower_once_per_email"
            ),
            models.UniqueConstraint(
                fields=["report", "phone"], condition=~Q(phone=""), name="follower_once_per_phone"
            ),
            models.UniqueConstraint(
                fields=["report", "duplicate"],
                condition=Q(duplicate__isnull=False),
                name="follower_once_per_duplicate",
            ),
        ]

    def __str__(self):
        return f"{self.report_id} {self.source}"

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.ended_at is None


class PublicVersion(models.Model):
    """Which state of the public data the public reads now: one row whose token changes, in the
    same transaction, with every action that may change a public answer (reports/publication.py).
    Cached public pages are kept under the token they were built from."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.BigIntegerField()

    class Meta:
        verbose_name = _("versi data publik")
