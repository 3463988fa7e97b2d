"""The lifecycle rules of a report, in one place: which move is legal now, and for whom.

Every rule answers with a Verdict: truthy when the move is allowed, otherwise falsy with the
reason in the user's language and whether the refusal is about the person (forbidden: a 403) or
about the report's state (an illegal transition: a 400/409). The actions in reports/actions/
enforce the rules (`_require(lifecycle.may_x(...))`); the portal, the workbench, the API and the
templates ask the same functions whether to offer the move. Nobody restates a list of statuses.

Who is the reporter: logged in as them, or a guest holding the report's access code. The caller
decides that once (access.acts_as_reporter) and passes `reporter=True/False`: a page asks several
rules and the access-code check need not run for each of them.
"""

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.reports.events import EventAction
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    VERIFICATION_STATUSES,
    Channel,
    DispositionStatus,
    Status,
    Support,
)
from jembatan.reports.sla import WorkingCalendar, policy

# The statuses in which a move is legal; the rules below are the only readers.
REPLY_STATUSES = (Status.BELUM_TERVERIFIKASI, Status.TERDISPOSISI, Status.DIPROSES, Status.SELESAI)
REPORTER_CLOSE_STATUSES = (Status.TERDISPOSISI, Status.DIPROSES, Status.SELESAI)
VERIFY_STATUSES = (Status.BELUM_TERVERIFIKASI, Status.TERDISPOSISI, Status.DIPROSES)
DISPOSE_STATUSES = VERIFY_STATUSES
RATE_STATUSES = (Status.SELESAI, *CLOSED_STATUSES)

# PermenPANRB 62/2018 lets the reporter reopen a closed report; the instance allows it once.
MAX_REOPENS = 1


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer of a rule: allowed, or refused with a reason (forbidden: about the person)."""

    allowed: bool
    reason: str = ""
    forbidden: bool = False

    def __bool__(self):
        return self.allowed


ALLOWED = Verdict(True)


def _refused(reason):
    return Verdict(False, reason)


def _forbidden(reason=None):
    return Verdict(False, reason or _("Anda tidak berwenang melakukan tindakan ini."), forbidden=True)


def _not_reporter():
    return _forbidden(_("Hanya pelapor yang dapat melakukan tindakan ini."))


def _status_refusal(report):
    return _refused(
        _("Tindakan ini tidak dapat dilakukan pada laporan berstatus “%(status)s”.")
        % {"status": report.get_status_display()}
    )


def _in(report, statuses, reason=None):
    if report.status in statuses:
        return ALLOWED
    return _refused(reason) if reason else _status_refusal(report)


# --- The reporter's moves ----------------------------------------------------------------------------


def may_complete(report, *, reporter):
    """Give the information the verifier asked for."""
    if not reporter:
        return _not_reporter()
    return _in(report, (Status.MENUNGGU_KELENGKAPAN,))


def may_reply(report, *, reporter):
    """Reply to the handling officers (a reply to an answered report sends it back to the agency)."""
    if not reporter:
        return _not_reporter()
    return _in(report, REPLY_STATUSES)


def may_rate(report, *, reporter):
    """Rate the agency's answer, once per answer."""
    if not reporter:
        return _not_reporter()
    if report.duplicate_of_id:
        return _may_rate_merged(report)
    verdict = _in(report, RATE_STATUSES, _("Laporan baru dapat dinilai setelah ada tindak lanjut."))
    if not verdict:
        return verdict
    if (
        report.answered_at is None
        and not report.dispositions.filter(status=DispositionStatus.SELESAI).exists()
    ):
        return _refused(_("Laporan ini ditutup tanpa tindak lanjut; tidak ada yang dapat dinilai."))
    if report.rated_at and (report.answered_at is None or report.rated_at >= report.answered_at):
        return _refused(_("Anda sudah menilai tindak lanjut ini."))
    return ALLOWED


def _may_rate_merged(report):
    """A merged report's reporter rates the outcome of the problem: the original's answer."""
    original = report.duplicate_of
    while original.duplicate_of_id:
        original = original.duplicate_of
    if original.status not in RATE_STATUSES:
        return _refused(_("Laporan baru dapat dinilai setelah ada tindak lanjut."))
    answered = original.answered_at
    if answered is None and not original.dispositions.filter(status=DispositionStatus.SELESAI).exists():
        return _refused(_("Laporan ini ditutup tanpa tindak lanjut; tidak ada yang dapat dinilai."))
    if report.rated_at and (answered is None or report.rated_at >= answered):
        return _refused(_("Anda sudah menilai tindak lanjut ini."))
    return ALLOWED


def may_follow(report):
    """Follow a report ("Ikuti laporan ini"): any public report, by anyone."""
    if not report.is_public:
        return _refused(_("Laporan ini tidak dapat diikuti."))
    return ALLOWED


def reopen_deadline(report):
    """The last moment the reporter may reopen the closed report (None: not closed)."""
    if report.closed_at is None:
        return None
    return WorkingCalendar.load().add_working_days(report.closed_at, policy().reopen_days)


def may_reopen(report, *, reporter, now=None):
    """Reopen a closed report, once, within the reopen window after its closing."""
    if not reporter:
        return _not_reporter()
    verdict = _in(report, CLOSED_STATUSES, _("Hanya laporan yang sudah ditutup yang dapat dibuka kembali."))
    if not verdict:
        return verdict
    if report.reopen_count >= MAX_REOPENS:
        return _refused(_("Laporan hanya dapat dibuka kembali satu kali."))
    deadline = reopen_deadline(report)
    if deadline is not None and (now or timezone.now()) > deadline:
        return _refused(
            _("Batas membuka kembali laporan (%(n)d hari kerja setelah ditutup) sudah lewat.")
            % {"n": policy().reopen_days}
        )
    return ALLOWED


def may_withdraw(report, *, reporter):
    """Withdraw (archive) one's own report while it is still being verified."""
    if not reporter:
        return _not_reporter()
    return _in(
        report,
        VERIFICATION_STATUSES,
        _("Laporan yang sudah didisposisikan tidak dapat ditarik; tutup laporan bila sudah selesai."),
    )


def may_close_as_reporter(report, *, reporter):
    """Close the report as its reporter, satisfied, once an agency has it."""
    if not reporter:
        return _not_reporter()
    return _in(report, REPORTER_CLOSE_STATUSES)


def may_support(report, user):
    """Back a public report ("Dukung"); not one's own."""
    if user is None or not user.is_authenticated:
        return _forbidden(_("Masuk terlebih dahulu untuk mendukung laporan."))
    if not report.is_public:
        return _refused(_("Laporan ini tidak dapat didukung."))
    if report.reporter_id == user.pk:
        return _refused(_("Anda tidak dapat mendukung laporan Anda sendiri."))
    if Support.objects.filter(report=report, user=user).exists():
        return _refused(_("Anda sudah mendukung laporan ini."))
    return ALLOWED


# --- The verifier's moves ----------------------------------------------------------------------------


def _verifier(report, user):
    return ALLOWED if access.can_verify(user, report) else _forbidden()


def may_request_information(report, user):
    """Ask the reporter for missing details (the verification clock pauses)."""
    return _verifier(report, user) and _in(report, (Status.BELUM_TERVERIFIKASI,))


def may_verify(report, user):
    """Verify or reclassify the report."""
    return _verifier(report, user) and _in(report, VERIFY_STATUSES)


def may_dispose(report, user):
    """Dispose (disposisi) the report to agencies: verified first."""
    verdict = _verifier(report, user) and _in(report, DISPOSE_STATUSES)
    if verdict and not report.classification:
        return _refused(_("Verifikasi laporan (klasifikasi) sebelum mendisposisikannya."))
    return verdict


def may_archive(report, user):
    """Archive the report as an admin (out of scope, unclear, …) while it is being verified."""
    return _verifier(report, user) and _in(
        report, VERIFICATION_STATUSES, _("Hanya laporan yang belum diverifikasi yang dapat diarsipkan.")
    )


def may_close_as_admin(report, user):
    """Close the report as an admin: only once it went to an agency (before that it is archived)."""
    verdict = _verifier(report, user) and _in(report, ACTIVE_STATUSES)
    if verdict and report.status in VERIFICATION_STATUSES:
        return _refused(_("Laporan yang belum diverifikasi diarsipkan, bukan ditutup."))
    return verdict


def may_mark_duplicate(report, user):
    """Merge the report into another one as its duplicate."""
    return _verifier(report, user) and _in(report, ACTIVE_STATUSES)


# Merging can be undone for a while (the verifier clicked the wrong one); after that the reporter
# and the supporters have been told, and a merge is undone by hand.
def unmerge_deadline(report):
    """Until when the merge of `report` into another may be undone (None: not merged)."""
    if not report.duplicate_of_id or report.closed_at is None:
        return None
    return report.closed_at + dt.timedelta(minutes=settings.WORKBENCH_UNMERGE_MINUTES)


def may_unmerge(report, user, *, now=None):
    """Undo the merge of `report` into another, shortly after, while it was still being verified."""
    verdict = _verifier(report, user)
    if not verdict:
        return verdict
    if not report.duplicate_of_id or report.status != Status.DIARSIPKAN_ADMIN:
        return _refused(_("Laporan ini tidak sedang digabungkan ke laporan lain."))
    if (now or timezone.now()) > unmerge_deadline(report):
        return _refused(
            _("Batas membatalkan penggabungan (%(n)d menit) sudah lewat.")
            % {"n": settings.WORKBENCH_UNMERGE_MINUTES}
        )
    merged = report.events.filter(action=EventAction.MARKED_DUPLICATE).order_by("-created_at", "-pk").first()
    if merged is None or merged.status_before not in VERIFICATION_STATUSES:
        # Merging a disposed report cancelled the agencies' dispositions: not undone by one click.
        return _refused(_("Hanya penggabungan laporan yang belum didisposisikan yang dapat dibatalkan."))
    return ALLOWED


def may_auto_route(report):
    """May the routing model verify and dispose this report alone? Only one nobody has touched."""
    return (
        report.status == Status.BELUM_TERVERIFIKASI
        and report.verified_at is None
        and not report.is_confidential
        and report.channel != Channel.IMPORT
        and not report.events.filter(action=EventAction.IMPORTED).exists()  # keeps the source's channel
        and not report.dispositions.exists()
    )


# --- The agency's moves on a disposition -------------------------------------------------------------


def _worker(disposition, user):
    return ALLOWED if access.can_work_disposition(user, disposition) else _forbidden()


def may_start_follow_up(disposition, user):
    """Start working a disposition."""
    verdict = _worker(disposition, user)
    if verdict and disposition.status != DispositionStatus.TERDISPOSISI:
        return _refused(_("Tindak lanjut disposisi ini sudah dimulai atau selesai."))
    return verdict


def may_post_progress(disposition, user):
    """Tell the reporter how the work goes (not the answer): while the disposition is open."""
    return may_work_disposition(disposition, user)


def may_work_disposition(disposition, user):
    """Post the follow-up, return or forward an open disposition."""
    verdict = _worker(disposition, user)
    if verdict and not disposition.is_open:
        return _refused(_("Disposisi ini sudah tidak aktif."))
    return verdict


def may_assign_liaison(disposition, user):
    """Assign the disposition to a liaison (penghubung) of its agency."""
    if not access.can_assign_liaison(user, disposition):
        return _forbidden()
    if not disposition.is_open:
        return _refused(_("Disposisi ini sudah tidak aktif."))
    return ALLOWED


REPORTER_MOVES = {
    "complete": may_complete,
    "reply": may_reply,
    "rate": may_rate,
    "close": may_close_as_reporter,
    "reopen": may_reopen,
}


def reporter_moves(report, *, reporter):
    """The names of the moves the reporter may make now (what a page or the API offers)."""
    if not reporter:
        return []
    return [name for name, rule in REPORTER_MOVES.items() if rule(report, reporter=True)]
