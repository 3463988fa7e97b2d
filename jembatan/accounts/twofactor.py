"""Facts about a user's second factor (TOTP, via django-otp) and how to show a new secret.

Enrolment and confirmation are actions (actions.py); this module only reads and renders.
"""

import re
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts import access


def may_enrol(user):
    """Only officers get an authenticator: their accounts open the workbench and the admin."""
    return bool(user.is_authenticated and (user.is_staff or access.is_staff_member(user)))


def has_confirmed_device(user):
    if not user.is_authenticated:
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user):
    """The unconfirmed device of an enrolment in progress, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def secret_text(device):
    """The secret as authenticator apps expect it typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(data):
    """An inline SVG QR code of `data`, drawn here: the secret never leaves the server."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    # Let the page's CSS size it (the library writes a fixed size in millimetres).
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="100%" height="100%"', svg, count=1)
    label = format_html('<svg role="img" aria-label="{}"', _("Kode QR untuk aplikasi autentikator"))
    # Safe: the library writes only numeric path data; the label went through format_html.
    return mark_safe(svg.replace("<svg", label, 1))
