"""Admin for people and roles, and the two-factor rule for the admin site itself."""

from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import twofactor
from jembatan.accounts.models import AccountEvent, LoginAttempt, StaffRole, User


class JembatanAdminSite(AdminSite):
    """The admin, but an officer with a confirmed authenticator must have used it this session.

    Officers without a device keep password-only access (enrolment is encouraged, not yet forced),
    so installing this breaks nobody's admin. Logging in always goes through /akun/masuk/, so the
    login throttle and the token step cannot be sidestepped through the admin's own login form.
    """

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        user = request.user
        verified = getattr(user, "is_verified", None)
        if verified is not None and verified():
            return True
        return not twofactor.has_confirmed_device(user)

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
    model = StaffRole
    extra = 0
    fields = ["role", "agency", "is_active", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["agency"]
    verbose_name = _("peran petugas")
    verbose_name_plural = _("peran petugas (cakupan: instansi dan seluruh unit di bawahnya)")


class JembatanUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", "full_name", "email", "phone"]


class JembatanUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class EmailVerifiedFilter(admin.SimpleListFilter):
    title = _("e-mail terverifikasi")
    parameter_name = "email_verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Ya")), ("no", _("Belum"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.exclude(email="").filter(email_verified_at__isnull=True)
        return queryset


class PhoneVerifiedFilter(admin.SimpleListFilter):
    title = _("ponsel terverifikasi")
    parameter_name = "phone_verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Ya")), ("no", _("Belum"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(phone_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.exclude(phone="").filter(phone_verified_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    """Read-only: failures are written by the login page and expire from the throttle by themselves."""

    list_display = ["created_at", "username", "ip_address"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "ip_address"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "user__full_name", "user__email", "ip_address"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
