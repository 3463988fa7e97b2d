"""Admin for people and roles, the audit record, and the two-factor rule for the admin site itself.

Roles are granted and revoked only through accounts/actions.py (checked against the actor's own
power, audited); the people list is the sysadmin's alone, since it shows every citizen's contacts.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jembatan.accounts import access, actions, twofactor
from jembatan.accounts.access import Action
from jembatan.accounts.adminaccess import (
    AccessModelAdmin,
    ReadOnlyAdmin,
    ScopedAgencyChoices,
    adopt,
    refuse,
    saved_through_actions,
)
from jembatan.accounts.models import AccountEvent, AuditRecord, LoginAttempt, StaffRole, User
from jembatan.directory.models import Agency


class JembatanAdminSite(AdminSite):
    """The admin, for those who administer something in it (access.opens_admin), and only in a
    session that proved its second factor when the account has one or must have one.

    Logging in always goes through /akun/masuk/, so the login throttle and the token step cannot
    be sidestepped through the admin's own login form.
    """

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and (user.is_staff or access.opens_admin(user))):
            return False
        verified = getattr(user, "is_verified", None)
        if verified is not None and verified():
            return True
        return not (twofactor.has_confirmed_device(user) or access.needs_second_factor(user))

    def login(self, request, extra_context=None):
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(
            f"{reverse('accounts:login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
        )


# The documented way (django-otp, "admin.site.__class__ = OTPAdminSite") to change the behaviour of
# the default site every app registers with, without touching INSTALLED_APPS or urls.py.
admin.site.__class__ = JembatanAdminSite


class StaffRoleInline(admin.TabularInline):
    """A user's roles; saved by UserAdmin.save_formset through grant_staff_role/revoke_staff_role."""

    model = StaffRole
    extra = 0
    fields = ["role", "agency", "is_active", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["agency"]
    can_delete = False  # revoked by unticking "aktif": the role stays in the history
    verbose_name = _("peran petugas")
    verbose_name_plural = _("peran petugas (cakupan: instansi dan seluruh unit di bawahnya)")

    def get_readonly_fields(self, request, obj=None):
        # An existing role is revoked (untick "aktif") and a new one granted, never re-scoped in place.
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return access.can_manage_accounts(request.user)

    def has_add_permission(self, request, obj=None):
        return access.can_manage_accounts(request.user)

    def has_view_permission(self, request, obj=None):
        return access.can_manage_accounts(request.user)


class JembatanUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "full_name", "email", "phone"]


class JembatanUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class _VerifiedFilter(admin.SimpleListFilter):
    """Verified, or not yet (a user without that contact is neither)."""

    contact = ""  # the User field: "email" or "phone"

    def lookups(self, request, model_admin):
        return [("yes", _("Ya")), ("no", _("Belum"))]

    def queryset(self, request, queryset):
        unverified = f"{self.contact}_verified_at__isnull"
        if self.value() == "yes":
            return queryset.filter(**{unverified: False})
        if self.value() == "no":
            return queryset.exclude(**{self.contact: ""}).filter(**{unverified: True})
        return queryset


class EmailVerifiedFilter(_VerifiedFilter):
    title = _("e-mail terverifikasi")
    parameter_name = "email_verified"
    contact = "email"


class PhoneVerifiedFilter(_VerifiedFilter):
    title = _("ponsel terverifikasi")
    parameter_name = "phone_verified"
    contact = "phone"


@admin.register(User)
class UserAdmin(AccessModelAdmin, DjangoUserAdmin):
    form = JembatanUserChangeForm
    add_form = JembatanUserCreationForm
    inlines = [StaffRoleInline]
    list_display = ["username", "full_name", "email", "phone", "is_staff", "is_active", "date_joined"]
    list_filter = [
        "is_staff",
        "is_active",
        "staff_roles__role",
        EmailVerifiedFilter,
        PhoneVerifiedFilter,
        "preferred_language",
        "date_joined",
    ]
    search_fields = ["username", "full_name", "email", "phone", "staff_roles__agency__name"]
    ordering = ["full_name", "username"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at", "phone_verified_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Data diri dan kontak"),
            {"fields": ["full_name", "email", "email_verified_at", "phone", "phone_verified_at"]},
        ),
        (
            _("Kabar"),
            {"fields": ["preferred_language", "notify_by_email", "notify_by_sms", "notify_by_whatsapp"]},
        ),
        (
            _("Hak akses sistem"),
            {
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
                "description": _(
                    "Peran petugas (admin instansi, penghubung, pimpinan, auditor) diatur di bagian "
                    "'peran petugas' di bawah; centang 'status staf' hanya untuk yang perlu membuka "
                    "halaman admin ini."
                ),
            },
        ),
        (_("Waktu"), {"fields": ["last_login", "date_joined", "updated_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "full_name",
                    "email",
                    "phone",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def may_view(self, request):
        return access.can_manage_accounts(request.user)

    def may_change(self, request, obj=None):
        return access.can_manage_accounts(request.user)

    def save_model(self, request, obj, form, change):
        # Names, contacts and the password are saved as the form has them; the admin-access flags
        # go through change_admin_access in save_related, checked and audited.
        # Kept on the form (one per request), not on this ModelAdmin, which every request shares.
        form.access_flags = {
            name: form.cleaned_data[name] for name in actions.ADMIN_ACCESS_FIELDS if name in form.cleaned_data
        }
        if change:
            stored = User.objects.filter(pk=obj.pk).values(*actions.ADMIN_ACCESS_FIELDS).get()
            for name, value in stored.items():
                setattr(obj, name, value)
        else:
            obj.is_staff = obj.is_superuser = False
            obj.is_active = form.access_flags.get("is_active", True)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        m2m = {name: form.cleaned_data.pop(name, None) for name in ("groups", "user_permissions")}
        super().save_related(request, form, formsets, change)
        try:
            actions.change_admin_access(
                actor=request.user,
                user=form.instance,
                groups=m2m["groups"],
                user_permissions=m2m["user_permissions"],
                **getattr(form, "access_flags", {}),
            )
        except PermissionDenied as exc:
            refuse(exc)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffRole:
            return super().save_formset(request, form, formset, change)
        user = form.instance
        saved_through_actions(formset)
        try:
            for role_form in formset.forms:
                if not role_form.has_changed():
                    continue
                role = role_form.instance
                if role.pk is None:
                    data = role_form.cleaned_data
                    if data.get("is_active", True):
                        actions.grant_staff_role(
                            actor=request.user, user=user, role=data["role"], agency=data.get("agency")
                        )
                    continue
                stored = StaffRole.objects.get(pk=role.pk)
                if "is_active" in role_form.changed_data:
                    if role_form.cleaned_data["is_active"]:
                        actions.grant_staff_role(
                            actor=request.user, user=user, role=stored.role, agency=stored.agency
                        )
                    else:
                        actions.revoke_staff_role(actor=request.user, staff_role=stored)
                if {"role", "agency"} & set(role_form.changed_data):
                    actions.revoke_staff_role(actor=request.user, staff_role=stored)
                    actions.grant_staff_role(
                        actor=request.user,
                        user=user,
                        role=role_form.cleaned_data["role"],
                        agency=role_form.cleaned_data.get("agency"),
                    )
        except (PermissionDenied, ValidationError) as exc:
            refuse(exc)


class StaffRoleGrantForm(forms.ModelForm):
    """Grant a role to an existing account, named by its username (the people list is not shown)."""

    username = forms.CharField(label=_("nama pengguna"), max_length=150)

    class Meta:
        model = StaffRole
        fields = ["role", "agency"]

    def clean(self):
        cleaned = super().clean()
        username = (cleaned.get("username") or "").strip()
        user = User.objects.filter(username=username, is_active=True).first() if username else None
        if user is None:
            self.add_error("username", _("Tidak ada akun aktif dengan nama pengguna ini."))
            return cleaned
        cleaned["user"] = user
        role, agency = cleaned.get("role"), cleaned.get("agency")
        if role and not access.can_grant_role(self.request_user, role, agency):
            self.add_error(None, _("Anda tidak dapat memberikan peran ini pada instansi ini."))
        return cleaned

    def _post_clean(self):
        # The action validates the role's shape and uniqueness; the model's own checks would
        # refuse the re-grant of a revoked role that the action turns back on.
        pass


@admin.register(StaffRole)
class StaffRoleAdmin(ScopedAgencyChoices, AccessModelAdmin):
    """Roles of officers in the actor's subtree: grant (add) and revoke (list action) only."""

    agency_fields = ("agency",)

    form = StaffRoleGrantForm
    list_display = ["user", "role", "agency", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__full_name", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["agency"]
    actions = ["revoke"]
    ordering = ["agency__path", "role", "user__username"]

    def get_fields(self, request, obj=None):
        return (
            ["username", "role", "agency"]
            if obj is None
            else ["user", "role", "agency", "is_active", "created_at"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "role", "agency", "is_active", "created_at"]

    def may_view(self, request):
        return access.opens_admin(request.user) and bool(
            access.admin_scopes(request.user, Action.MANAGE_ROLES)
        )

    def may_change(self, request, obj=None):
        return obj is None  # roles are granted and revoked, never edited in place

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if access.can_manage_accounts(request.user):
            return queryset
        scopes = access.admin_scopes(request.user, Action.MANAGE_ROLES)
        if None in scopes:
            return queryset
        agencies = access.manageable_agencies(request.user, Agency.objects)
        return queryset.filter(agency__in=agencies.values("pk"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            granted = actions.grant_staff_role(
                actor=request.user, user=data["user"], role=data["role"], agency=data.get("agency")
            )
        except (PermissionDenied, ValidationError) as exc:
            refuse(exc)
        adopt(obj, granted)

    @admin.action(description=_("Cabut peran terpilih"))
    def revoke(self, request, queryset):
        count = 0
        for staff_role in queryset.filter(is_active=True):
            try:
                actions.revoke_staff_role(actor=request.user, staff_role=staff_role)
            except PermissionDenied as exc:
                self.message_user(request, f"{staff_role}: {exc}", messages.ERROR)
                continue
            count += 1
        self.message_user(request, ngettext("%d peran dicabut.", "%d peran dicabut.", count) % count)


class AuditKindFilter(admin.SimpleListFilter):
    title = _("jenis objek")
    parameter_name = "objek"

    def lookups(self, request, model_admin):
        return [
            ("accounts.staffrole", _("peran petugas")),
            ("accounts.user", _("pengguna")),
            ("directory.agency", _("instansi")),
            ("directory.category", _("kategori")),
            ("directory.routingrule", _("aturan penerusan")),
            ("directory.region", _("wilayah")),
            ("workbench.responsetemplate", _("templat jawaban")),
            ("reports.calendaroverride", _("koreksi kalender")),
        ]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditRecord)
class AuditRecordAdmin(AccessModelAdmin):
    """Who changed who may do what, when, and from what to what: read-only, for sysadmins, admin
    nasional and auditors (a scoped auditor sees the changes of their own subtree)."""

    list_display = ["created_at", "actor_name", "kind", "object_repr", "agency", "changes"]
    list_filter = ["kind", AuditKindFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_name", "object_repr", "object_id"]
    list_select_related = ["agency"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "created_at",
        "actor_name",
        "kind",
        "object_type",
        "object_id",
        "object_repr",
        "agency",
        "before",
        "after",
    ]
    readonly_fields = fields

    @admin.display(description=_("perubahan"))
    def changes(self, obj):
        keys = list(dict.fromkeys([*obj.before, *obj.after]))
        return "; ".join(f"{k}: {obj.before.get(k, '—')} → {obj.after.get(k, '—')}" for k in keys)

    def may_view(self, request):
        return access.can_view_audit(request.user) or any(
            Action.VIEW_AUDIT in access.ROLE_ACTIONS[r.role] for r in access.roles_of(request.user)
        )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(access.audit_filter(request.user))


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    """Read-only: failures are written by the login page and expire from the throttle by themselves."""

    list_display = ["created_at", "username", "ip_address"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "ip_address"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "user__full_name", "user__email", "ip_address"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
