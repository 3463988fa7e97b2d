"""Forms for the account pages. They parse and check syntax; the rules live in actions.py."""

import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jembatan.accounts.models import OneTimeCode

# The codes a logged-in citizen enters on the verification page (not the password-reset code).
VERIFY_PURPOSES = [
    (OneTimeCode.Purpose.VERIFY_EMAIL, OneTimeCode.Purpose.VERIFY_EMAIL.label),
    (OneTimeCode.Purpose.VERIFY_PHONE, OneTimeCode.Purpose.VERIFY_PHONE.label),
]


def _attrs(autocomplete, **extra):
    return {"autocomplete": autocomplete, **extra}


def _name_field():
    return forms.CharField(
        label=_("Nama lengkap"), max_length=150, widget=forms.TextInput(attrs=_attrs("name"))
    )


def _email_field():
    return forms.EmailField(
        label=_("Alamat e-mail"),
        required=False,
        widget=forms.EmailInput(attrs=_attrs("email")),
        error_messages={"invalid": _("Alamat e-mail tidak valid.")},
    )


def _phone_field(help_text):
    return forms.CharField(
        label=_("Nomor ponsel"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs=_attrs("tel", type="tel", inputmode="tel")),
        help_text=help_text,
    )


def _six_digits(value):
    """A code of six digits, spaces allowed in between (as the message and the SMS show it)."""
    code = re.sub(r"\s", "", value)
    if not re.fullmatch(r"\d{6}", code):
        raise forms.ValidationError(_("Kode terdiri dari 6 angka."))
    return code


class _NewPassword(forms.Form):
    """A form with a new password typed twice (fields `password` and `password_confirm`)."""

    def clean(self):
        data = super().clean()
        if (
            data.get("password")
            and data.get("password_confirm")
            and data["password"] != data["password_confirm"]
        ):
            self.add_error("password_confirm", _("Kedua kata sandi tidak sama."))
        return data


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("E-mail, nomor ponsel, atau nama pengguna"),
        max_length=254,
        widget=forms.TextInput(attrs=_attrs("username", autocapitalize="none", spellcheck="false")),
    )
    password = forms.CharField(
        label=_("Kata sandi"), strip=False, widget=forms.PasswordInput(attrs=_attrs("current-password"))
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Kode dari aplikasi autentikator"),
        max_length=12,
        widget=forms.TextInput(attrs=_attrs("one-time-code", inputmode="numeric")),
        help_text=_("Enam angka yang tampil di aplikasi autentikator Anda."),
    )

    def clean_token(self):
        token = re.sub(r"\s", "", self.cleaned_data["token"])
        if not re.fullmatch(r"\d{6,8}", token):
            raise forms.ValidationError(_("Kode terdiri dari 6 angka."))
        return token


class RegistrationForm(_NewPassword):
    full_name = _name_field()
    email = _email_field()
    phone = _phone_field(_("Isi e-mail atau nomor ponsel, boleh keduanya. Contoh: 0812 3456 7890."))
    password = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("new-password")),
        help_text=_("Minimal 10 karakter, bukan kata sandi yang umum, dan tidak hanya angka."),
    )
    password_confirm = forms.CharField(
        label=_("Ulangi kata sandi"), strip=False, widget=forms.PasswordInput(attrs=_attrs("new-password"))
    )


class VerifyCodeForm(forms.Form):
    purpose = forms.ChoiceField(choices=VERIFY_PURPOSES, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Kode verifikasi"),
        max_length=12,
        widget=forms.TextInput(attrs=_attrs("one-time-code", inputmode="numeric")),
    )

    def clean_code(self):
        return _six_digits(self.cleaned_data["code"])


class ResendCodeForm(forms.Form):
    purpose = forms.ChoiceField(choices=VERIFY_PURPOSES)


class PasswordResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("E-mail atau nomor ponsel akun Anda"),
        max_length=254,
        widget=forms.TextInput(attrs=_attrs("username", autocapitalize="none", spellcheck="false")),
        help_text=_("Yang sudah terverifikasi di akun Anda. Contoh: nama@contoh.id atau 0812 3456 7890."),
    )


class PasswordResetForm(_NewPassword):
    code = forms.CharField(
        label=_("Kode yang kami kirim"),
        max_length=12,
        widget=forms.TextInput(attrs=_attrs("one-time-code", inputmode="numeric")),
    )
    password = forms.CharField(
        label=_("Kata sandi baru"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("new-password")),
        help_text=_("Minimal 10 karakter, bukan kata sandi yang umum, dan tidak hanya angka."),
    )
    password_confirm = forms.CharField(
        label=_("Ulangi kata sandi baru"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("new-password")),
    )

    def clean_code(self):
        return _six_digits(self.cleaned_data["code"])


class ProfileForm(forms.Form):
    full_name = _name_field()
    email = _email_field()
    phone = _phone_field(_("Kontak yang diubah harus diverifikasi lagi dengan kode."))
    preferred_language = forms.ChoiceField(
        label=_("Bahasa"), choices=settings.LANGUAGES, widget=forms.Select(attrs=_attrs("language"))
    )
    notify_by_email = forms.BooleanField(label=_("Kabari saya lewat e-mail"), required=False)
    notify_by_sms = forms.BooleanField(label=_("Kabari saya lewat SMS"), required=False)
    notify_by_whatsapp = forms.BooleanField(label=_("Kabari saya lewat WhatsApp"), required=False)

    @classmethod
    def for_user(cls, user, data=None):
        initial = {name: getattr(user, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class TotpStartForm(forms.Form):
    password = forms.CharField(
        label=_("Kata sandi Anda"),
        strip=False,
        widget=forms.PasswordInput(attrs=_attrs("current-password")),
        help_text=_("Demi keamanan, konfirmasi dengan kata sandi sebelum mendaftarkan autentikator."),
    )


class TotpConfirmForm(TokenForm):
    pass
