"""A report comes in: the citizen's (or an officer's, or a channel's) submission."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.notify.phones import normalize_phone
from jembatan.reports import notifications as notify
from jembatan.reports import search
from jembatan.reports.actions._common import (
    MIN_DESCRIPTION_LENGTH,
    MIN_TITLE_LENGTH,
    ReportError,
    _clean_text,
    _FileGuard,
    _now,
    _read_uploads,
    _record,
    _schedule_report,
    _store_attachments,
    _verifying_agency_for,
)
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import (
    Channel,
    ReceivedVia,
    Report,
    ReportType,
    Visibility,
    new_access_code,
    new_tracking_number,
)
from jembatan.reports.sla import WorkingCalendar, policy

# --- Citizen side ------------------------------------------------------------------------------------


def submit_report(
    *,
    kind,
    title,
    description,
    actor=None,
    channel=Channel.WEB,
    region=None,
    category=None,
    target_agency=None,
    incident_date=None,
    address="",
    latitude=None,
    longitude=None,
    is_anonymous=False,
    is_confidential=False,
    reporter=None,
    reporter_name="",
    reporter_email="",
    reporter_phone="",
    attachments=(),
    ombudsman_consent=False,
    source_instance="",
    external_id="",
    submitted_at=None,
    received_via="",
):
    """Receive a new report from a citizen (or from an officer recording it for one; `received_via`
    then says how it reached them: ReceivedVia, required for Channel.OFFICER)."""

    if kind not in ReportType.values:
        raise ReportError(_("Jenis laporan tidak dikenal."), field="kind")
    if channel not in Channel.values:
        raise ReportError(_("Kanal tidak dikenal."), field="channel")
    # A report imported from another system keeps the text its source accepted, however short:
    # its history must not be lost to this instance's intake rule (an empty text is still refused).
    imported = channel == Channel.IMPORT
    title = _clean_text(
        title, field="title", minimum=1 if imported else MIN_TITLE_LENGTH, maximum=200, label=_("Judul")
    )
    description = _clean_text(
        description,
        field="description",
        minimum=1 if imported else MIN_DESCRIPTION_LENGTH,
        maximum=10000,
        label=_("Isi laporan"),
    )
    now = _now()
    if incident_date and incident_date > timezone.localdate(now):
        raise ReportError(_("Tanggal kejadian tidak boleh di masa depan."), field="incident_date")
    if channel == Channel.OFFICER:
        if actor is None or not access.scopes_for(actor, Action.ENTER_REPORT):
            raise PermissionDenied(_("Hanya petugas yang dapat mencatat laporan atas nama warga."))
        if received_via not in ReceivedVia.values:
            raise ReportError(_("Pilih bagaimana laporan ini diterima."), field="received_via")
    elif received_via:
        raise ReportError(
            _("Cara penerimaan hanya untuk laporan yang dicatat petugas."), field="received_via"
        )
    elif actor is not None and actor.is_authenticated and reporter is None:
        reporter = actor
    if reporter is None:
        reporter_email = (reporter_email or "").strip().lower()
        if reporter_phone:
            try:
                reporter_phone = normalize_phone(reporter_phone)
            except ValidationError:
                raise ReportError(
                    _("Nomor ponsel tidak valid. Contoh: 0812 3456 7890."), field="reporter_phone"
                ) from None
        if not reporter_email and not reporter_phone and channel not in (Channel.IMPORT,):
            raise ReportError(
                _("Isi alamat e-mail atau nomor ponsel agar kami dapat mengabari perkembangan laporan Anda."),
                field="reporter_email",
            )
    if latitude is not None and not (-90 <= float(latitude) <= 90):
        raise ReportError(_("Lintang di luar rentang."), field="latitude")
    if longitude is not None and not (-180 <= float(longitude) <= 180):
        raise ReportError(_("Bujur di luar rentang."), field="longitude")

    uploads = _read_uploads(attachments)
    cal = WorkingCalendar.load()
    pol = policy()
    submitted = submitted_at or now
    with _FileGuard() as guard, transaction.atomic():
        report = Report(
            kind=kind,
            title=title,
            description=description,
            incident_date=incident_date,
            region=region,
            address=(address or "").strip()[:300],
            latitude=latitude,
            longitude=longitude,
            category=category,
            target_agency=target_agency,
            verifying_agency=_verifying_agency_for(target_agency, region),
            channel=channel,
            source_instance=source_instance or getattr(settings, "INSTANCE_NAME", ""),
            external_id=external_id,
            reporter=reporter,
            reporter_name=(reporter_name or "").strip()[:150] if reporter is None else "",
            reporter_email=reporter_email if reporter is None else "",
            reporter_phone=reporter_phone if reporter is None else "",
            is_anonymous=bool(is_anonymous),
            is_confidential=bool(is_confidential),
            ombudsman_consent=bool(ombudsman_consent),
            submitted_at=submitted,
            verification_due_at=cal.add_working_days(submitted, pol.verification_days),
            access_code=new_access_code(),
        )
        _schedule_report(report, cal, pol)
        for _attempt in range(5):
            report.tracking_number = new_tracking_number()
            try:
                with transaction.atomic():
                    report.save()
                break
            except IntegrityError:
                if Report.objects.filter(tracking_number=report.tracking_number).exists():
                    report.pk = None
                    continue
                raise
        else:  # pragma: no cover - 900 million numbers; five collisions in a row means a bug
            raise RuntimeError("could not allocate a tracking number")
        # -- search index (portal): written in this transaction, so it commits or rolls back with the report.
        search.index_report(report)
        event = _record(
            report,
            actor=actor,
            action=EventAction.SUBMITTED,
            before="",
            text="",
            visibility=Visibility.PUBLIC,
            data={"channel": channel, **({"received_via": received_via} if received_via else {})},
            actor_role=_submitter_role(channel, reporter),
            at=submitted,
        )
        _store_attachments(
            report,
            uploads,
            uploaded_by=reporter or actor,
            event=event,
            visibility=Visibility.REPORTER,
            guard=guard,
        )
        if channel != Channel.IMPORT:
            notify.notify_reporter(report=report, template="report_received", event=event)
    return report


def _submitter_role(channel, reporter):
    """An officer typing it in, its reporter with an account, or a guest (never named)."""
    if channel == Channel.OFFICER:
        return ActorRole.OFFICER
    return ActorRole.REPORTER if reporter else ActorRole.CITIZEN
