from django.urls import path

from jembatan.accounts import views

app_name = "accounts"

urlpatterns = [
    path("masuk/", views.login_view, name="login"),
    path("masuk/token/", views.login_token_view, name="login-token"),
    path("keluar/", views.logout_view, name="logout"),
    path("daftar/", views.register_view, name="register"),
    path("lupa-sandi/", views.password_reset_request_view, name="password-reset"),
    path("lupa-sandi/kode/", views.password_reset_confirm_view, name="password-reset-confirm"),
    path("verifikasi/", views.verify_view, name="verify"),
    path("verifikasi/kirim/", views.resend_code_view, name="resend-code"),
    path("profil/", views.profile_view, name="profile"),
    path("dua-langkah/", views.totp_setup_view, name="totp-setup"),
    path("dua-langkah/mulai/", views.totp_start_view, name="totp-start"),
]
