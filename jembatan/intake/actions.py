"""Turning an incoming message into a report, a status answer or a reporter's reply.

Each function records the message in the intake log (InboundMessage) and calls reports/actions.py
in the same transaction. The log row is inserted first: a gateway's retry with the same message id
waits on the unique index until the first attempt commits, then gets its answer back.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jembatan.federation import actions as federated
from jembatan.intake import grammar
from jembatan.intake.mail import parse
from jembatan.intake.models import InboundChannel, InboundMessage, Outcome
from jembatan.notify.phones import normalize_phone
from jembatan.reports import actions
from jembatan.reports.actions import MIN_DESCRIPTION_LENGTH, MIN_TITLE_LENGTH, ReportError
from jembatan.reports.models import Channel, Report, ReportType
from jembatan.reports.submission import NewReport, first_words

EXAMPLE = "LAPOR jalan rusak di depan SDN 12 Padang"


def help_text():
    return _("Kirim LAPOR <isi laporan> untuk melapor, atau STATUS <nomor laporan> untuk cek status.")


def _claim(channel, message_id, sender, text):
    """Insert the log row, or return the existing one (a retry) with created=False."""
    existing = InboundMessage.objects.filter(channel=channel, message_id=message_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return (
                InboundMessage.objects.create(
                    channel=channel, message_id=message_id, sender=sender[:254], text=text[:20000]
                ),
                True,
            )
    except IntegrityError:
        return InboundMessage.objects.get(channel=channel, message_id=message_id), False


def _finish(message, outcome, reply="", report=None, note=""):
    message.outcome = outcome
    message.reply = reply
    message.report = report
    message.note = note[:500]
    message.save(update_fields=["outcome", "reply", "report", "note"])
    return message


def _same_phone(a, b):
    try:
        return bool(a and b) and normalize_phone(a) == normalize_phone(b)
    except ValidationError:
        return False


def _lapor(message, channel, sender, content, media, media_note):
    if len(content) < MIN_DESCRIPTION_LENGTH:
        reply = _(
            "Laporan terlalu pendek. Tulis paling sedikit %(n)d huruf tentang apa dan di mana, "
            "misalnya: %(example)s"
        ) % {"n": MIN_DESCRIPTION_LENGTH, "example": EXAMPLE}
        return _finish(message, Outcome.REJECTED, reply, note="too short")
    title = first_words(content)
    if len(title) < MIN_TITLE_LENGTH:
        title = content[:60]
    new = NewReport(
        kind=ReportType.PENGADUAN,
        title=title,
        description=content,
        channel=Channel.SMS if channel == InboundChannel.SMS else Channel.WHATSAPP,
        reporter_phone=sender,
        external_id=message.message_id[:64],
    )
    try:
        try:
            report = actions.submit_report(new=new.replace(attachments=tuple(media or ())))
        except ReportError as exc:
            if exc.field != "attachments" or not media:
                raise
            # A photo the attachment check refuses must not cost the citizen their report.
            media_note = _("Lampiran tidak dapat diterima: %(reason)s") % {"reason": exc.message}
            report = actions.submit_report(new=new)
    except ReportError as exc:
        reply = _("Laporan belum dapat diterima: %(reason)s") % {"reason": exc.message}
        return _finish(message, Outcome.REJECTED, reply, note=exc.message)
    reply = _(
        "Terima kasih. Laporan Anda tercatat dengan nomor %(number)s. Cek status: kirim STATUS %(number)s"
    ) % {"number": report.tracking_number}
    if media_note:
        reply = f"{reply} ({media_note})"
    return _finish(message, Outcome.REPORT_CREATED, reply, report=report, note=media_note)


def _status(message, sender, number):
    if not number:
        return _finish(message, Outcome.HELP, _("Format: STATUS <nomor laporan>, misalnya STATUS 123456789."))
    report = Report.objects.filter(tracking_number=number).first()
    # A confidential report answers only its reporter's own phone; anyone else, and a number
    # that does not exist, get the same words, so the reply does not confirm it exists.
    if report is None or (report.is_confidential and not _same_phone(sender, report.contact_phone)):
        reply = _("Laporan %(number)s tidak ditemukan. Periksa kembali nomornya.") % {"number": number}
        return _finish(message, Outcome.STATUS, reply)
    reply = _("Laporan %(number)s: %(status)s.") % {"number": number, "status": report.get_status_display()}
    due = report.sla_due_at
    if due:
        reply += " " + _("Batas waktu: %(date)s.") % {
            "date": formats.date_format(timezone.localtime(due), "j M Y")
        }
    return _finish(message, Outcome.STATUS, reply, report=report)


def receive_text_message(*, channel, message_id, sender, text, media=(), media_note=""):
    """Act on one SMS or WhatsApp message (LAPOR / STATUS / help); return (InboundMessage, is_new).

    `media`: already-fetched uploads (see channels/media.py); `media_note` says why some could not
    be fetched, for the reply.
    """
    text = (text or "").strip()
    with transaction.atomic():
        message, created = _claim(channel, message_id, sender, text)
        if not created:
            return message, False
        command = grammar.parse(text)
        if command.verb == "lapor":
            return _lapor(message, channel, sender, command.argument, list(media), media_note), True
        if command.verb == "status":
            return _status(message, sender, command.argument), True
        return _finish(message, Outcome.HELP, help_text()), True


def receive_email(*, raw):
    """Act on one raw e-mail: a new report, or a reply to the sender's own report; (InboundMessage, is_new).

    Raises mail.MalformedEmail for bytes that are not an e-mail with a sender.
    """
    parsed = parse(raw, authserv_id=settings.CHANNELS_EMAIL_AUTHSERV_ID)
    with transaction.atomic():
        message, created = _claim(InboundChannel.EMAIL, parsed.message_id, parsed.sender, parsed.text)
        if not created:
            return message, False
        uploads = [
            SimpleUploadedFile(name, content, content_type=ctype)
            for name, content, ctype in parsed.attachments
        ]
        number = parsed.tracking_number
        report = Report.objects.filter(tracking_number=number).first() if number else None
        if report is not None and (report.contact_email or "").lower() == parsed.sender:
            return _email_reply(message, report, parsed, uploads), True
        return _email_report(message, parsed, uploads), True


def _email_reply(message, report, parsed, uploads):
    # The sender's address matching the report's contact address is this channel's proof of
    # identity, as the access code is on the portal; but From: is whatever the sender typed, so it
    # counts only when our receiving server recorded an aligned DKIM, SPF or DMARC pass for it.
    # Otherwise the message waits in the intake log for an officer, attached to nothing.
    if not parsed.authenticated_by:
        return _finish(
            message, Outcome.HELD, note=f"reply to #{report.tracking_number}: sender not authenticated"
        )
    text = parsed.reply_text
    if not text:
        return _finish(message, Outcome.REJECTED, report=report, note="empty reply")
    registered = report.reporter if report.reporter_id else None
    try:
        federated.reply_as_reporter(
            report=report,
            actor=registered,
            text=text,
            attachments=uploads,
            sender_verified=registered is None,
        )
    except (ReportError, PermissionDenied) as exc:
        note = getattr(exc, "message", "") or str(exc)
        return _finish(message, Outcome.REJECTED, report=report, note=note)
    return _finish(message, Outcome.REPLY_ATTACHED, report=report)


def _email_report(message, parsed, uploads):
    title = parsed.clean_subject
    if len(title) < MIN_TITLE_LENGTH:
        title = first_words(parsed.text)
    new = NewReport(
        kind=ReportType.PENGADUAN,
        title=title[:200],
        description=parsed.text,
        channel=Channel.EMAIL,
        reporter_email=parsed.sender,
        reporter_name=parsed.sender_name,
        external_id=message.message_id[:64],
    )
    note = ""
    try:
        try:
            report = actions.submit_report(new=new.replace(attachments=tuple(uploads or ())))
        except ReportError as exc:
            if exc.field != "attachments" or not uploads:
                raise
            note = exc.message
            report = actions.submit_report(new=new)
    except ReportError as exc:
        return _finish(message, Outcome.REJECTED, note=exc.message)
    return _finish(message, Outcome.REPORT_CREATED, report=report, note=note)


def purge_inbound_log(*, now=None):
    """Delete intake-log rows older than CHANNELS_LOG_RETENTION_DAYS; return how many went.

    UU 27/2022 (Pelindungan Data Pribadi) asks for data minimisation: the log holds phone numbers,
    addresses and texts that are already on the reports they became, and deduplication only needs
    the days in which a gateway may still retry.
    """
    days = settings.CHANNELS_LOG_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _details = InboundMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted
