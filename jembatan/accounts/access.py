"""Every "may actor X see / do Y on Z?" question is answered here, and only here.

Roles are scoped to an agency subtree (StaffRole.agency and everything below it); admin nasional,
auditor without an agency, and sysadmin are national. Entry points and actions call these helpers;
nobody re-implements them.

Who verifies a report: its `verifying_agency` (the government it was addressed to or the one
serving its region) and the agencies above it; admin nasional everywhere.
Who works a disposition: the disposed agency's liaisons, and the admins above that agency.
Who sees an anonymous reporter's identity: only those who may verify the report, and the reporter.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from jembatan.accounts.models import Role
from jembatan.directory.models import Agency


class Action(StrEnum):
    VERIFY = "verify"  # verify, request info, archive, dispose, close as admin, mark duplicate
    ENTER_REPORT = "enter_report"  # record a report for a citizen (officer-entered)
    ASSIGN_LIAISON = "assign_liaison"
    FOLLOW_UP = "follow_up"  # start, post follow-up, return (bukan wewenang), forward
    ADD_NOTE = "add_note"
    VIEW_REPORTS = "view_reports"  # the workbench view of reports in scope, internal notes included
    VIEW_DASHBOARD = "view_dashboard"
    MANAGE_DIRECTORY = "manage_directory"
    MANAGE_TEMPLATES = "manage_templates"


# What each role may do, inside its scope.
ROLE_ACTIONS = {
    Role.ADMIN_NASIONAL: {
        Action.VERIFY,
        Action.ENTER_REPORT,
        Action.ADD_NOTE,
        Action.VIEW_REPORTS,
        Action.VIEW_DASHBOARD,
        Action.MANAGE_TEMPLATES,
    },
    Role.ADMIN_INSTANSI: {
        Action.VERIFY,
        Action.ENTER_REPORT,
        Action.ASSIGN_LIAISON,
        Action.FOLLOW_UP,
        Action.ADD_NOTE,
        Action.VIEW_REPORTS,
        Action.VIEW_DASHBOARD,
        Action.MANAGE_TEMPLATES,
    },
    Role.PENGHUBUNG: {Action.FOLLOW_UP, Action.ADD_NOTE, Action.VIEW_REPORTS},
    Role.PIMPINAN: {Action.VIEW_REPORTS, Action.VIEW_DASHBOARD},
    Role.AUDITOR: {Action.VIEW_REPORTS, Action.VIEW_DASHBOARD},
    Role.SYSADMIN: {Action.MANAGE_DIRECTORY},
}

# The roles that may be held without an agency, and then cover every agency.
NATIONAL_ROLES = {Role.ADMIN_NASIONAL, Role.AUDITOR, Role.SYSADMIN}


def roles_of(user):
    """The user's active StaffRoles (with agencies), cached on the user object for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_jembatan_roles", None)
    if cached is None:
        cached = list(user.staff_roles.filter(is_active=True).select_related("agency"))
        user._jembatan_roles = cached
    return cached


def forget_roles(user):
    # delattr, not user.__dict__: request.user is a lazy proxy (OTPMiddleware wraps it), and the
    # proxy's own __dict__ is not the user's, so popping from it left the stale roles in place.
    try:
        del user._jembatan_roles
    except AttributeError:
        pass


def is_staff_member(user):
    return bool(roles_of(user))


def _covers(staff_role, agency):
    """Does this role's scope contain `agency`? A national role (no agency) covers everything."""
    if staff_role.agency_id is None:
        return staff_role.role in NATIONAL_ROLES
    if agency is None:
        return False
    return agency.path.startswith(staff_role.agency.path)


def can(user, action, agency=None):
    """May `user` take `action` on something belonging to `agency` (None = national)?"""
    return any(action in ROLE_ACTIONS[r.role] and _covers(r, agency) for r in roles_of(user))


def scopes_for(user, action):
    """The agencies whose subtrees `user` may take `action` in; None inside means everywhere."""
    result = []
    for r in roles_of(user):
        if action in ROLE_ACTIONS[r.role]:
            result.append(None if r.agency_id is None else r.agency)
    return result


# --- Reports -----------------------------------------------------------------------------------------


def _report_agencies(report):
    """The verifying agency and every agency the report was ever disposed to."""
    agencies = [report.verifying_agency] if report.verifying_agency_id else [None]
    agencies.extend(d.agency for d in report.dispositions.all())
    return agencies


def is_reporter(user, report):
    return bool(user is not None and user.is_authenticated and report.reporter_id == user.pk)


def can_verify(user, report):
    return can(user, Action.VERIFY, report.verifying_agency if report.verifying_agency_id else None)


def can_manage_webhooks(user, agency):
    """Whoever may read an agency's reports may have them announced to a URL (outgoing webhooks)."""
    return can(user, Action.VIEW_REPORTS, agency)


def can_view_report_internal(user, report):
    """The workbench view: full text, timeline with internal notes, attachments."""
    if can_verify(user, report):
        return True
    for r in roles_of(user):
        if Action.VIEW_REPORTS not in ROLE_ACTIONS[r.role]:
            continue
        if r.agency_id is None and r.role in (Role.ADMIN_NASIONAL, Role.AUDITOR):
            return True
        if r.agency_id is not None and any(a is not None and _covers(r, a) for a in _report_agencies(report)):
            return True
    return False


def acts_as_reporter(user, report, access_code=None):
    """The reporter acts either logged in, or as a guest holding the report's access code."""
    if is_reporter(user, report):
        return True
    return report.reporter_id is None and holds_access_code(report, access_code)


def holds_access_code(report, access_code):
    """Does `access_code` open this report? (Constant-time, case-insensitive, blank never matches.)"""
    return (
        bool(access_code)
        and bool(report.access_code)
        and _constant_time_equal(access_code, report.access_code)
    )


def can_track_report(user, report, access_code=None):
    """The tracking page: the 9 random digits of the tracking number are enough for a
    non-confidential report; a confidential one needs its access code, its reporter, or staff."""
    return not report.is_confidential or can_view_report(user, report, access_code=access_code)


def can_view_report(user, report, access_code=None):
    """The citizen-facing view: public reports to anyone; a confidential one to its reporter,
    to whoever holds its access code, and to staff in scope."""
    if report.is_public:
        return True
    if is_reporter(user, report):
        return True
    if holds_access_code(report, access_code):
        return True
    return can_view_report_internal(user, report)


def can_see_identity(user, report):
    """May `user` see who reported? Anonymous reporters are known only to verifiers."""
    if is_reporter(user, report):
        return True
    if report.is_anonymous:
        return can_verify(user, report)
    return can_view_report_internal(user, report)


def can_work_disposition(user, disposition):
    """Start, answer, return or forward a disposition: its agency's liaisons and admins above it."""
    return can(user, Action.FOLLOW_UP, disposition.agency)


def can_assign_liaison(user, disposition):
    return can(user, Action.ASSIGN_LIAISON, disposition.agency)


def can_add_note(user, report):
    if not any(Action.ADD_NOTE in ROLE_ACTIONS[r.role] for r in roles_of(user)):
        return False
    return can_verify(user, report) or any(
        can(user, Action.ADD_NOTE, a) for a in _report_agencies(report) if a is not None
    )


def is_eligible_liaison(user, agency):
    """Can this user be assigned as liaison of `agency`'s disposition?"""
    return any(r.role == Role.PENGHUBUNG and r.agency_id and _covers(r, agency) for r in roles_of(user))


EVERYWHERE = None


def report_scope(user):
    """Where `user` may see reports in the workbench: EVERYWHERE, or the agency subtrees (querysets of
    agency ids) whose reports they may see, to verify or to follow up (an empty list: nowhere).

    reports.models.visible_reports_q turns it into a filter; access knows agencies, not reports.
    """
    subtrees = []
    for r in roles_of(user):
        if Action.VIEW_REPORTS not in ROLE_ACTIONS[r.role] and Action.VERIFY not in ROLE_ACTIONS[r.role]:
            continue
        if r.agency_id is None:
            if r.role in (Role.ADMIN_NASIONAL, Role.AUDITOR):
                return EVERYWHERE
            continue
        subtrees.append(Agency.objects.subtree(r.agency).values("pk"))
    return subtrees


def require(allowed, message=None):
    """Raise PermissionDenied with a message in the user's language unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message or _("Anda tidak berwenang melakukan tindakan ini."))


def _constant_time_equal(a, b):
    import hmac

    return hmac.compare_digest(str(a).strip().upper().encode(), str(b).encode())
