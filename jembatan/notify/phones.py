"""Indonesian phone numbers, normalised to E.164 without the plus: 6281234567890."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_phone(raw):
    """Return the number as 62…, or raise ValidationError for something that is not a phone number."""
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not re.fullmatch(r"62\d{8,13}", digits):
        raise ValidationError(_("Nomor ponsel tidak valid. Contoh: 0812 3456 7890."), code="invalid_phone")
    return digits


def display_phone(number):
    """A stored number (6281234567890) as people read it: +62 812-3456-7890. Anything else as is."""
    if not number or not re.fullmatch(r"62\d{8,13}", number):
        return number or ""
    rest = number[2:]
    return f"+62 {rest[:3]}-{rest[3:7]}-{rest[7:]}" if len(rest) > 7 else f"+62 {rest}"
