"""Hide personal data in text shown on public pages: NIK, phone numbers, e-mail addresses.

A stop-gap until the triage issue's PII detector replaces it; keep the signature `redact(text) -> str`.
UU 27/2022 (Pelindungan Data Pribadi): a citizen who pastes their NIK or a neighbour's phone number
into a complaint must not see it published. Redaction happens at display time only: officers
still read the original text in the workbench.
"""

import re

from django.utils.translation import gettext as _

# NIK: 16 digits, sometimes typed in groups ("1371 0123 4567 8901" or with dots).
_NIK = re.compile(r"(?<![\d])\d{4}(?:[ .\-]?\d{4}){3}(?![\d])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Indonesian phone numbers: +62 / 62 / 0 then 8–12 more digits, spaces, dots, dashes or brackets
# between groups ("0812-3456-7890", "+62 812 3456 7890", "(0751) 123456"). Amounts of money do not
# start with 0 or 62 and are left alone.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|\(?0)[ \-]?\d{1,4}\)?(?:[ .\-]?\d{2,5}){1,4}(?![\d])")


def _phone(match):
    digits = re.sub(r"\D", "", match.group(0))
    if 9 <= len(digits) <= 15:
        return _("[nomor telepon disembunyikan]")
    return match.group(0)


def redact(text):
    """Return `text` with NIK, phone numbers and e-mail addresses replaced by a placeholder."""
    if not text:
        return ""
    text = str(text)
    text = _NIK.sub(_("[NIK disembunyikan]"), text)
    text = _EMAIL.sub(_("[e-mail disembunyikan]"), text)
    return _PHONE.sub(_phone, text)
