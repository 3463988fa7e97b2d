"""The timeline's vocabulary: what happened (EventAction) and in which role (ActorRole).

Every map that depends on an event (labels, webhooks, Open311, dashboards) is keyed by these
members, so a new action is added here once. Each action has two wordings: the staff one (its
label, read in the workbench and the staff API) and the citizen one (the tracking page, the
citizen API and Open311, which never show internal events).
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EventAction(models.TextChoices):
    SUBMITTED = "submitted", _("Laporan diterima")
    IMPORTED = "imported", _("Diimpor dari SP4N-LAPOR!")
    INFORMATION_REQUESTED = "information_requested", _("Meminta kelengkapan informasi")
    INFORMATION_COMPLETED = "information_completed", _("Pelapor melengkapi informasi")
    REPORTER_REPLIED = "reporter_replied", _("Pelapor membalas")
    VERIFIED = "verified", _("Diverifikasi")
    RECLASSIFIED = "reclassified", _("Klasifikasi diubah")
    DISPOSED = "disposed", _("Didisposisikan")
    FORWARDED_TO_AGENCY = "forwarded_to_agency", _("Diteruskan ke instansi")
    LIAISON_ASSIGNED = "liaison_assigned", _("Penghubung ditetapkan")
    FOLLOW_UP_STARTED = "follow_up_started", _("Tindak lanjut dimulai")
    FOLLOW_UP_POSTED = "follow_up_posted", _("Tindak lanjut")
    PROGRESS_POSTED = "progress_posted", _("Perkembangan tindak lanjut")
    DISPOSITION_RETURNED = "disposition_returned", _("Dikembalikan: bukan wewenang")
    DISPOSITION_FORWARDED = "disposition_forwarded", _("Dilimpahkan")
    NOTE = "note", _("Catatan internal")
    CLOSED = "closed", _("Ditutup")
    ARCHIVED = "archived", _("Diarsipkan")
    MARKED_DUPLICATE = "marked_duplicate", _("Ditandai duplikat")
    DUPLICATE_MERGED = "duplicate_merged", _("Duplikat digabungkan")
    DUPLICATE_UNMERGED = "duplicate_unmerged", _("Penggabungan dibatalkan")
    REOPENED = "reopened", _("Dibuka kembali")
    RATED = "rated", _("Penilaian pelapor")
    SUPPORTED = "supported", _("Dukungan warga")
    FOLLOWED = "followed", _("Warga mengikuti laporan")
    UNFOLLOWED = "unfollowed", _("Warga berhenti mengikuti")
    SLA_REMINDER = "sla_reminder", _("Pengingat SLA")
    SLA_ESCALATED = "sla_escalated", _("Eskalasi SLA")
    CLOSED_BY_SYSTEM = "closed_by_system", _("Ditutup oleh sistem")
    ARCHIVED_BY_SYSTEM = "archived_by_system", _("Diarsipkan oleh sistem")
    OMBUDSMAN_FLAGGED = "ombudsman_flagged", _("Ditandai untuk Ombudsman")
    OMBUDSMAN_CONSENT = "ombudsman_consent", _("Persetujuan Ombudsman")


class ActorRole(models.TextChoices):
    """The role an actor acted in, frozen on the event (a person's roles change later)."""

    SYSTEM = "sistem", _("Sistem")
    REPORTER = "pelapor", _("Pelapor")
    # A supporter, or a guest reporter from a channel without an account: never named.
    CITIZEN = "warga", _("Warga")
    # An officer typing in a report received by phone or at the counter.
    OFFICER = "petugas", _("Petugas")
    # The staff roles of accounts.Role, same values (a test keeps the two in step).
    ADMIN_NASIONAL = "admin_nasional", _("Admin Nasional")
    ADMIN_INSTANSI = "admin_instansi", _("Admin Instansi / Koordinator")
    PENGHUBUNG = "penghubung", _("Penghubung")
    PIMPINAN = "pimpinan", _("Pimpinan")
    AUDITOR = "auditor", _("Auditor (Inspektorat/Ombudsman)")
    SYSADMIN = "sysadmin", _("Sysadmin")


# The reporter's side of the conversation (a guest reporter acts as "warga").
REPORTER_SIDE = (ActorRole.REPORTER, ActorRole.CITIZEN)

# Events that end a report; their public note is the last word Open311 shows.
CLOSING_ACTIONS = (
    EventAction.CLOSED,
    EventAction.ARCHIVED,
    EventAction.MARKED_DUPLICATE,
    EventAction.CLOSED_BY_SYSTEM,
    EventAction.ARCHIVED_BY_SYSTEM,
)

# The agency's own moves: the citizen sees the agency's name as who acted.
AGENCY_ACTIONS = (EventAction.FOLLOW_UP_STARTED, EventAction.FOLLOW_UP_POSTED, EventAction.PROGRESS_POSTED)


CITIZEN_WORDING = {
    EventAction.SUBMITTED: _("Laporan diterima"),
    EventAction.INFORMATION_REQUESTED: _("Admin meminta keterangan tambahan"),
    EventAction.INFORMATION_COMPLETED: _("Pelapor melengkapi keterangan"),
    EventAction.REPORTER_REPLIED: _("Tanggapan pelapor"),
    EventAction.CLOSED: _("Laporan ditutup"),
    EventAction.CLOSED_BY_SYSTEM: _("Laporan ditutup otomatis"),
    EventAction.ARCHIVED: _("Laporan diarsipkan"),
    EventAction.ARCHIVED_BY_SYSTEM: _("Laporan diarsipkan otomatis"),
    EventAction.MARKED_DUPLICATE: _("Ditandai sama dengan laporan lain"),
    EventAction.REOPENED: _("Laporan dibuka kembali"),
    EventAction.DUPLICATE_UNMERGED: _("Laporan dipisahkan lagi dan diproses kembali"),
    EventAction.OMBUDSMAN_CONSENT: _("Persetujuan penerusan ke Ombudsman diubah"),
}


def staff_label(action):
    """The staff wording of an action (the raw value for an action this version does not know)."""
    try:
        return str(EventAction(action).label)
    except ValueError:
        return str(action)


def citizen_label(event):
    """The citizen wording of a public or reporter event, with the agency, rating, … filled in."""
    data = event.data or {}
    action = event.action
    if action == EventAction.FORWARDED_TO_AGENCY:
        return gettext("Diteruskan ke %(agencies)s") % {"agencies": ", ".join(data.get("agencies") or [])}
    if action == EventAction.FOLLOW_UP_STARTED:
        return gettext("%(agency)s mulai menindaklanjuti") % {"agency": data.get("agency") or ""}
    if action == EventAction.FOLLOW_UP_POSTED:
        return gettext("Tindak lanjut dari %(agency)s") % {"agency": data.get("agency") or ""}
    if action == EventAction.PROGRESS_POSTED:
        return gettext("Perkembangan dari %(agency)s") % {"agency": data.get("agency") or ""}
    if action == EventAction.RATED:
        return gettext("Pelapor memberi nilai %(rating)s dari 5") % {"rating": data.get("rating", "?")}
    return str(CITIZEN_WORDING.get(action, _("Perubahan status")))


def citizen_actor(event):
    """Who acted, as the citizen reads it: the reporter, the system, the agency or "an officer"."""
    if event.actor_role in REPORTER_SIDE:
        return gettext("Pelapor")
    if event.actor_role == ActorRole.SYSTEM or event.actor_id is None:
        return gettext("Sistem")
    if event.action in AGENCY_ACTIONS:
        return (event.data or {}).get("agency", "")
    return gettext("Petugas")


def staff_actor(event, *, reporter_name=None):
    """Who acted, as staff read it; the reporter is named only when `reporter_name` is given
    (the reader may see the identity)."""
    if event.actor_role == ActorRole.REPORTER:
        who = gettext("Pelapor")
        return f"{who} ({reporter_name})" if reporter_name else who
    if event.actor_role == ActorRole.CITIZEN:
        return gettext("Warga")  # a supporter, or a guest reporter: never named here
    if event.actor_id is None:
        return gettext("Sistem") if event.actor_role == ActorRole.SYSTEM else event.actor_role
    return event.actor.display_name
