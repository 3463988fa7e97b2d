"""Redaction of free text for open data: NIK, phone numbers and e-mail addresses.

The triage app owns PII detection (`jembatan.triage`, being written alongside). Until its
`redact(text)` can be imported, this minimal version stands in, with the same signature; when it
exists it is used instead, so open data always gets the better detector. UU 27/2022 (Pelindungan
Data Pribadi): what a citizen typed about themselves or a neighbour must not be published.
"""

import functools
import importlib
import re

from django.utils.translation import gettext as _

# NIK: 16 digits, sometimes typed in groups of four ("1371 0123 4567 8901", dots, dashes).
_NIK = re.compile(r"(?<!\d)\d{4}(?:[ .\-]?\d{4}){3}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# +62 / 62 / 0 then groups of digits; a number must have 9–15 digits to count as a phone number,
# so amounts of money and years are left alone.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|\(?0)[ \-]?\d{1,4}\)?(?:[ .\-]?\d{2,5}){1,4}(?!\d)")


def _phone(match):
    digits = re.sub(r"\D", "", match.group(0))
    return _("[telepon]") if 9 <= len(digits) <= 15 else match.group(0)


def minimal_redact(text):
    """Replace NIK, e-mail addresses and phone numbers by placeholders."""
    if not text:
        return ""
    text = _NIK.sub(_("[NIK]"), str(text))
    text = _EMAIL.sub(_("[e-mail]"), text)
    return _PHONE.sub(_phone, text)


@functools.cache
def _triage_redact():
    for module in ("jembatan.triage", "jembatan.triage.pii", "jembatan.triage.redaction"):
        try:
            found = getattr(importlib.import_module(module), "redact", None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


def redact(text):
    """Redact personal data from `text` with the best detector available."""
    implementation = _triage_redact() or minimal_redact
    # Belt and braces: whatever the detector, the three patterns above never reach open data.
    return minimal_redact(implementation(text or ""))
