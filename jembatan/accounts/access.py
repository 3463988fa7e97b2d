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
from django.db.models import Q
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
    MANAGE_AGENCIES = "manage_agencies"  # create, rename, move, deactivate agencies; routing rules
    MANAGE_ROLES = "manage_roles"  # grant and revoke staff roles
    VIEW_AUDIT = "view_audit"  # the record of who changed who may do what


# What each role may do, inside its scope.
ROLE_ACTIONS = {
    Role.ADMIN_NASIONAL: {
        Action.VERIFY,
        Action.ENTER_REPORT,
        Action.ADD_NOTE,
        Action.VIEW_REPORTS,
        Action.VIEW_DASHBOARD,
        Action.MANAGE_TEMPLATES,
        Action.MANAGE_DIRECTORY,
        Action.MANAGE_AGENCIES,
        Action.MANAGE_ROLES,
        Action.VIEW_AUDIT,
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
        Action.MANAGE_AGENCIES,
        Action.MANAGE_ROLES,
    },
    Role.PENGHUBUNG: {Action.FOLLOW_UP, Action.ADD_NOTE, Action.VIEW_REPORTS},
    Role.PIMPINAN: {Action.VIEW_REPORTS, Action.VIEW_DASHBOARD},
    Role.AUDITOR: {Action.VIEW_REPORTS, Action.VIEW_DASHBOARD, Action.VIEW_AUDIT},
    # Directory and accounts, nationwide; no report scope at all (see can_view_report_internal).
    Role.SYSADMIN: {Action.MANAGE_DIRECTORY, Action.MANAGE_AGENCIES, Action.MANAGE_ROLES, Action.VIEW_AUDIT},
}

# Roles whose holders open the admin or hold power over other officers: their accounts must use
# a second factor (settings.ACCOUNTS_REQUIRE_TOTP).
SECOND_FACTOR_ROLES = {Role.ADMIN_NASIONAL, Role.ADMIN_INSTANSI, Role.SYSADMIN}

# The roles that may be held without an agency, and then cover every agency.
NATIONAL_ROLES = {Role.ADMIN_NASIONAL, Role.AUDITOR, Role.SYSADMIN}

# Roles that watch and never work a queue: they land on the dashboards (accounts.views.landing_url).
READ_ONLY_ROLES = {Role.PIMPINAN, Role.AUDITOR}


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
    return bool(access_code) and report.check_access_code(access_code)


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


def can_see_merge_entry(user, report, other):
    """May `user` read `report`'s internal timeline entry about merging `other` (a duplicate) into it,
    or undoing that? The entry names another complaint: this report's verifiers, and whoever may
    open `other` itself, read it; a liaison reading the report for their disposition does not
    learn of other complaints (`other` None: it is not on this instance, verifiers only)."""
    return can_verify(user, report) or (other is not None and can_view_report_internal(user, other))


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


# --- Who may do what: roles, the agency tree, national reference data ----------------------------------
#
# An admin instansi administers their own subtree only: they may change an agency inside it but not
# the root of their scope itself (moving or deactivating it would change their own power), never
# move an agency out of the subtree or above it, and never give anyone a power they lack themselves.
# The national reference data (regions, categories, the calendar, national routing rules) belong to
# admin nasional and the sysadmin. A Django superuser counts as a sysadmin here, never as more: the
# report-scope questions above ignore is_superuser, so the admin shows them no report content.


def _is_superuser(user):
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def can_manage_national_data(user):
    """Categories, regions, the working-day calendar and national routing rules."""
    return _is_superuser(user) or can(user, Action.MANAGE_DIRECTORY, None)


def admin_scopes(user, action):
    """The agencies whose strict subtrees `user` may take `action` in; None inside means everywhere."""
    if _is_superuser(user):
        return [None]
    return scopes_for(user, action)


def can_change_agency(user, agency):
    """Rename an agency or edit its contact details: inside the actor's subtree, its root included."""
    return any(
        scope is None or agency.is_within(scope) for scope in admin_scopes(user, Action.MANAGE_AGENCIES)
    )


def can_restructure_agency(user, agency):
    """Move or deactivate an agency: strictly below the root of one of the actor's scopes."""
    return any(
        scope is None or (agency.pk != scope.pk and agency.is_within(scope))
        for scope in admin_scopes(user, Action.MANAGE_AGENCIES)
    )


def can_place_agency_under(user, parent):
    """May `user` put an agency (new or moved) below `parent`? A root (no parent) is national."""
    for scope in admin_scopes(user, Action.MANAGE_AGENCIES):
        if scope is None:
            return True
        if parent is not None and parent.is_within(scope):
            return True
    return False


def can_assign_region(user, agency, region):
    """May `user` make `agency` (in their subtree) serve `region`? Only inside the region of the
    actor's scope: a region decides which reports a government verifies, so an agency serving a
    region outside it would draw in another government's reports. No region (national): national only."""
    for scope in admin_scopes(user, Action.MANAGE_AGENCIES):
        if scope is None:
            return True
        if region is None or not scope.region_id or not agency.is_within(scope):
            continue
        if scope.region.contains(region.code):
            return True
    return False


def manageable_agencies(user, agencies):
    """The agencies of the queryset `agencies` that `user` may administer (its subtree only)."""
    scopes = admin_scopes(user, Action.MANAGE_AGENCIES)
    if None in scopes:
        return agencies
    q = Q(pk__in=[])
    for scope in scopes:
        q |= Q(path__startswith=scope.path)
    return agencies.filter(q)


def can_manage_routing_rule(user, *, region, agency):
    """A routing rule (category, region) → agency: national rules are national data; a regional
    rule needs the agency in the actor's subtree and the region inside its scope's region."""
    if can_manage_national_data(user):
        return True
    if region is None or agency is None:
        return False
    for scope in admin_scopes(user, Action.MANAGE_AGENCIES):
        if scope is None:
            return True
        if scope.region_id and agency.is_within(scope) and scope.region.contains(region.code):
            return True
    return False


def can_grant_role(user, role, agency):
    """May `user` give (or take away) `role` scoped to `agency` (None = national)?

    Only within the actor's own scope, and never a power the actor lacks there: an admin instansi
    may appoint penghubung, pimpinan and fellow admins in their subtree, not auditors (they read
    the audit record of the very admins who would appoint them) nor an admin nasional; admin
    nasional appoints anyone but a sysadmin; only a sysadmin appoints a sysadmin.
    """
    role = Role(role)
    if _is_superuser(user) or any(r.role == Role.SYSADMIN for r in roles_of(user)):
        return True
    if role == Role.SYSADMIN:
        return False
    if any(r.role == Role.ADMIN_NASIONAL for r in roles_of(user)):
        return True  # the national administrator appoints anyone but a sysadmin
    granted = ROLE_ACTIONS[role]
    for r in roles_of(user):
        if Action.MANAGE_ROLES not in ROLE_ACTIONS[r.role]:
            continue
        if r.agency_id is not None and (agency is None or not agency.is_within(r.agency)):
            continue
        if granted <= ROLE_ACTIONS[r.role]:
            return True
    return False


def can_manage_accounts(user):
    """The Django admin's accounts: every user's contacts, flags, groups. Sysadmins only."""
    return _is_superuser(user) or any(r.role == Role.SYSADMIN for r in roles_of(user))


def can_view_audit(user, agency=None):
    """The record of changes: sysadmins, admin nasional and auditors (a scoped auditor: their subtree)."""
    return _is_superuser(user) or can(user, Action.VIEW_AUDIT, agency)


def audit_filter(user):
    """A Q for the audit records `user` may read."""
    q = Q(pk__in=[])
    if _is_superuser(user):
        return Q()
    for scope in scopes_for(user, Action.VIEW_AUDIT):
        if scope is None:
            return Q()
        q |= Q(agency__path__startswith=scope.path)
    return q


def opens_admin(user):
    """May `user` open the Django admin at all? Only those who administer something there."""
    admin_work = {
        Action.MANAGE_DIRECTORY,
        Action.MANAGE_AGENCIES,
        Action.MANAGE_ROLES,
        Action.MANAGE_TEMPLATES,
        Action.VIEW_AUDIT,
    }
    return _is_superuser(user) or any(ROLE_ACTIONS[r.role] & admin_work for r in roles_of(user))


def needs_second_factor(user):
    """Must this account prove a TOTP device before it may use the site (settings.ACCOUNTS_REQUIRE_TOTP)?"""
    from django.conf import settings

    if not settings.ACCOUNTS_REQUIRE_TOTP:
        return False
    return _is_superuser(user) or any(r.role in SECOND_FACTOR_ROLES for r in roles_of(user))


def verifiable_reports_filter(user):
    """A Q for the reports `user` may verify (can_verify), e.g. to know an anonymous reporter."""
    q = Q(pk__in=[])
    for scope in scopes_for(user, Action.VERIFY):
        if scope is None:
            return Q()
        q |= Q(verifying_agency_id__in=Agency.objects.subtree(scope).values("pk"))
    return q


def require(allowed, message=None):
    """Raise PermissionDenied with a message in the user's language unless `allowed`."""
    if not allowed:
        raise PermissionDenied(message or _("Anda tidak berwenang melakukan tindakan ini."))
