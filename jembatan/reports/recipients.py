"""Who, among staff, should hear about something that happened to a report."""

from jembatan.accounts.models import Role, User


def _users_with_role_at(role, agency):
    return list(
        User.objects.filter(
            is_active=True, staff_roles__is_active=True, staff_roles__role=role, staff_roles__agency=agency
        ).distinct()
    )


def coordinators_of(agency):
    """The admin instansi / koordinator responsible for `agency`: its own, or the nearest above."""
    node = agency
    while node is not None:
        users = _users_with_role_at(Role.ADMIN_INSTANSI, node)
        if users:
            return users
        node = node.parent
    return national_admins()


def parent_coordinators_of(agency):
    """One rung up the ladder: the coordinators of the agency above `agency`."""
    if agency is None or agency.parent_id is None:
        return national_admins()
    return coordinators_of(agency.parent)


def liaisons_of(agency):
    return _users_with_role_at(Role.PENGHUBUNG, agency)


def national_admins():
    return list(
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role=Role.ADMIN_NASIONAL,
        ).distinct()
    )


def verifiers_of(report):
    if report.verifying_agency_id:
        return coordinators_of(report.verifying_agency)
    return national_admins()


def ombudsman_auditors():
    return list(
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role=Role.AUDITOR,
            staff_roles__agency__kind="ombudsman",
        ).distinct()
    ) + list(
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role=Role.AUDITOR,
            staff_roles__agency=None,
        ).distinct()
    )
