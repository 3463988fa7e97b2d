"""DRF permission classes; the questions themselves are answered by accounts.access."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission, IsAuthenticated

from jembatan.accounts import access


class IsStaffMember(IsAuthenticated):
    """A logged-in officer or an agency integration key (any active StaffRole)."""

    message = _("Hanya untuk petugas dan integrasi instansi.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and access.is_staff_member(request.user)


class IsCitizenCaller(BasePermission):
    """Anyone but an agency integration key: those act for an office, not for a citizen."""

    message = _("Kunci integrasi instansi memakai endpoint /staff/.")

    def has_permission(self, request, view):
        auth = getattr(request, "auth", None)
        return getattr(auth, "kind", None) != "agency"
