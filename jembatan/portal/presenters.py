"""How a report reads to a citizen: plain-word statuses, timeline lines, deadlines, numbers.

Only presentation: nothing here decides who may see what (accounts/access.py does).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jembatan.reports.events import EventAction, citizen_actor, citizen_label
from jembatan.reports.models import (
    ARCHIVED_STATUSES,
    CLOSED_STATUSES,
    DispositionStatus,
    Report,
    Status,
    Visibility,
)
from jembatan.reports.pii import redact
from jembatan.reports.sla import WorkingCalendar

STATUS_PLAIN = {
    Status.BELUM_TERVERIFIKASI: gettext_lazy(
        "Laporan sudah diterima dan menunggu verifikasi admin, paling lama 3 hari kerja."
    ),
    Status.MENUNGGU_KELENGKAPAN: gettext_lazy(
        "Admin membutuhkan keterangan tambahan dari pelapor sebelum laporan dapat diteruskan."
    ),
    Status.TERDISPOSISI: gettext_lazy(
        "Laporan sudah diverifikasi dan diteruskan ke instansi yang berwenang; menunggu tindak lanjut."
    ),
    Status.DIPROSES: gettext_lazy("Instansi sedang menindaklanjuti laporan ini."),
    Status.SELESAI: gettext_lazy(
        "Instansi sudah memberi tindak lanjut. Pelapor dapat menanggapi, menilai, atau menutup laporan."
    ),
    Status.DITUTUP_PELAPOR: gettext_lazy("Laporan ditutup oleh pelapor."),
    Status.DITUTUP_ADMIN: gettext_lazy("Laporan ditutup oleh admin."),
    Status.DITUTUP_SISTEM: gettext_lazy(
        "Laporan ditutup otomatis karena tidak ada tanggapan setelah tindak lanjut."
    ),
    Status.DIARSIPKAN_ADMIN: gettext_lazy("Laporan diarsipkan oleh admin dan tidak ditindaklanjuti."),
    Status.DIARSIPKAN_SISTEM: gettext_lazy(
        "Laporan diarsipkan otomatis karena keterangan yang diminta tidak dilengkapi."
    ),
    Status.DIARSIPKAN_PELAPOR: gettext_lazy("Laporan ditarik oleh pelapor."),
}


# Reports that wait on their reporter, first on /saya/: the verifier asked for more details, or the
# agency answered and the reporter may rate, close or reply (an unanswered answer is closed by the
# system after a while, so it must not sink among the older reports).
AWAITING_REPORTER_STATUSES = (Status.MENUNGGU_KELENGKAPAN, Status.SELESAI)


def awaiting_reporter(report):
    """What the reporter is asked to do next on `report` ("" when nothing)."""
    if report.status == Status.MENUNGGU_KELENGKAPAN:
        return _("lengkapi keterangan yang diminta admin agar laporan dapat diteruskan.")
    if report.status == Status.SELESAI:
        if report.rated_at and (report.answered_at is None or report.rated_at >= report.answered_at):
            return _("instansi sudah menjawab; tutup laporan bila masalahnya selesai, atau tanggapi.")
        return _("instansi sudah menjawab; beri nilai, lalu tutup laporan bila masalahnya selesai.")
    return ""


def status_plain(report):
    """The status in plain words; a report merged into a similar one says so (and links to it when
    anyone may read it) instead of "archived and not acted on"."""
    if report.duplicate_of_id and report.status in ARCHIVED_STATUSES:
        original = report.duplicate_of
        if original.is_public:
            return format_html(
                _(
                    "Laporan ini digabungkan dengan laporan serupa {} yang sedang ditangani; "
                    "ikuti perkembangannya di sana."
                ),
                format_html(
                    '<a href="{}">#{}</a>',
                    reverse("portal:report", args=[original.tracking_number]),
                    original.tracking_number,
                ),
            )
        return _("Laporan ini digabungkan dengan laporan serupa yang sedang ditangani.")
    if (
        report.status == Status.SELESAI
        and report.rated_at
        and (report.answered_at is None or report.rated_at >= report.answered_at)
    ):
        return _(
            "Instansi sudah memberi tindak lanjut dan pelapor sudah menilainya. Pelapor dapat menutup "
            "laporan, atau menanggapi bila belum puas."
        )
    return STATUS_PLAIN.get(report.status, "")


def status_tone(status):
    """A CSS modifier for the status badge."""
    if status in (Status.SELESAI, *CLOSED_STATUSES):
        return "done"
    if status in ARCHIVED_STATUSES:
        return "muted"
    if status == Status.MENUNGGU_KELENGKAPAN:
        return "warn"
    return "open"


@dataclass
class TimelineItem:
    at: dt.datetime
    label: str
    text: str = ""
    who: str = ""
    is_follow_up: bool = False
    attachments: list = field(default_factory=list)
    expected_completion: dt.date | None = None  # a progress update's "perkiraan selesai"


def _expected_completion(event):
    if event.action != EventAction.PROGRESS_POSTED:
        return None
    try:
        return dt.date.fromisoformat((event.data or {}).get("expected_completion") or "")
    except ValueError:
        return None


def timeline(report, *, for_reporter):
    """The report's timeline as the citizen may read it, oldest first.

    The public sees public events with personal data redacted; the reporter also sees the
    exchanges meant for them (visibility "reporter"), unredacted: it is their own conversation.
    """
    events = report.events.for_reporter() if for_reporter else report.events.public()
    events = events.prefetch_related("attachments").order_by("created_at", "pk")
    items = []
    for event in events:
        attachments = [
            a for a in event.attachments.all() if for_reporter or a.visibility == Visibility.PUBLIC
        ]
        text = event.text if for_reporter else event.public_text
        items.append(
            TimelineItem(
                at=event.created_at,
                label=citizen_label(event),
                text=text,
                who=citizen_actor(event),
                is_follow_up=event.action == EventAction.FOLLOW_UP_POSTED,
                attachments=attachments,
                expected_completion=_expected_completion(event),
            )
        )
    return items


@dataclass
class Deadline:
    label: str
    due: dt.datetime
    working_days_left: int
    overdue: bool


def deadline(report, now=None):
    """The deadline that runs now, as the citizen reads it, or None."""
    due = report.sla_due_at
    if due is None:
        return None
    now = now or timezone.now()
    # Before disposal the verification clock runs; after it, the completion deadline (each office's
    # first-response deadline is shown with the office).
    label = _("Batas verifikasi") if report.status == Status.BELUM_TERVERIFIKASI else _("Batas penyelesaian")
    return Deadline(
        label=label,
        due=due,
        working_days_left=WorkingCalendar.load().working_days_between(now, due),
        overdue=due < now,
    )


def handling_agencies(report):
    """Dispositions the public may know of: who handles it, its state and deadline."""
    shown = (
        DispositionStatus.TERDISPOSISI,
        DispositionStatus.DIPROSES,
        DispositionStatus.SELESAI,
    )
    return list(report.dispositions.filter(status__in=shown).select_related("agency").order_by("disposed_at"))


def public_name(report):
    """What public pages say about the reporter: "Anonim", or a first name, nothing more."""
    if report.is_anonymous:
        return _("Anonim")
    full = report.reporter.full_name if report.reporter_id else report.reporter_name
    first = redact((full or "").split(" ")[0].strip()) if full else ""
    if not first or "[" in first or "@" in first:
        return _("Warga")
    return first[:30]


EXCERPT_LENGTH = 200


def public_excerpt(text, length=EXCERPT_LENGTH):
    """The start of a report's text for a public list: personal data hidden first, then cut.

    In that order: cutting first could leave half a phone number that the detector no longer
    recognises.
    """
    return Truncator(" ".join(redact(text or "").split())).chars(length)


def similar_item(report):
    """A public report as the "Laporan serupa" lookup returns it: public fields only, redacted.

    Nothing about the reporter (not even the public first name): the list is about the problem.
    """
    return {
        "number": report.tracking_number,
        "title": redact(report.title),
        "excerpt": public_excerpt(report.description),
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "submitted_at": timezone.localdate(report.submitted_at).isoformat(),
        "supports": report.support_count,
        "region": report.region.name if report.region_id else "",
        "url": reverse("portal:report", args=[report.tracking_number]),
    }


def month_numbers(now=None):
    """This month's reports received, and the share of answers given before their deadline."""
    now = timezone.localtime(now or timezone.now())
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    received = Report.objects.filter(submitted_at__gte=start).count()
    answered = Report.objects.filter(answered_at__gte=start, completion_due_at__isnull=False)
    total = answered.count()
    on_time = answered.filter(Q(answered_at__lte=F("completion_due_at"))).count()
    return {
        "month": start,
        "received": received,
        "answered": total,
        "on_time_percent": round(100 * on_time / total) if total else None,
    }
