"""What a notification says: the template catalogue, the one safe context, and rendering.

Every message about a report is built from `report_context`, the only place that turns a report
into template variables. It hands templates plain strings, never the Report object, so no
template can reach the reporter's name, e-mail or phone by accident. Staff messages are run
through `redact_identity` as well, because free text (a title, a reply, a note) may still name
the reporter.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from jembatan.notify.models import NotifyChannel
from jembatan.reports.models import OPEN_DISPOSITION_STATUSES


class Audience(StrEnum):
    REPORTER = "reporter"  # the citizen who filed the report (anonymous or not)
    STAFF = "staff"  # officers: verifiers, coordinators, penghubung (liaisons), auditors
    DIRECT = "direct"  # a message to one address with its own context (a one-time code)


@dataclass(frozen=True)
class MessageKind:
    audiences: frozenset
    has_sms: bool = False  # reporter messages may go by SMS/WhatsApp; staff ones only by e-mail
    sensitive_keys: tuple = ()  # context values masked in the outbox once the message is sent


_REPORTER = frozenset({Audience.REPORTER})
_STAFF = frozenset({Audience.STAFF})

KINDS = {
    "report_received": MessageKind(_REPORTER, has_sms=True),
    "information_needed": MessageKind(_REPORTER, has_sms=True),
    "report_verified": MessageKind(_REPORTER, has_sms=True),
    "report_disposed": MessageKind(_REPORTER, has_sms=True),
    "follow_up_posted": MessageKind(_REPORTER, has_sms=True),
    "report_closed": MessageKind(_REPORTER, has_sms=True),
    "report_archived": MessageKind(_REPORTER, has_sms=True),
    # Worded neutrally, so it can tell the reporter and the officers alike.
    "report_reopened": MessageKind(frozenset({Audience.REPORTER, Audience.STAFF}), has_sms=True),
    "reply_received": MessageKind(_STAFF),
    "disposition_new": MessageKind(_STAFF),
    "liaison_assigned": MessageKind(_STAFF),
    "disposition_returned": MessageKind(_STAFF),
    "sla_reminder": MessageKind(_STAFF),
    "sla_escalation": MessageKind(_STAFF),
    "ombudsman_flag": MessageKind(_STAFF),
    "one_time_code": MessageKind(frozenset({Audience.DIRECT}), has_sms=True, sensitive_keys=("code",)),
    "password_reset_code": MessageKind(frozenset({Audience.DIRECT}), has_sms=True, sensitive_keys=("code",)),
    # To the sysadmins: a periodic task has fallen behind (ops/watch.py).
    "work_late": MessageKind(frozenset({Audience.DIRECT})),
    # Someone registered with a contact that already has an account: its owner is told, the one
    # registering is not (accounts.actions.register_citizen).
    "registration_attempt": MessageKind(frozenset({Audience.DIRECT}), has_sms=True),
}

# Keys report_context owns; `extra` may not override them (it could otherwise smuggle in, say,
# an access code or a different URL).
RESERVED_KEYS = frozenset(
    {
        "site_name",
        "audience",
        "tracking_number",
        "title",
        "title_short",
        "status",
        "category",
        "region",
        "agencies",
        "deadline",
        "url",
        "access_code",
        "is_confidential",
        "disposition_agency",
        "disposition_deadline",
        "disposition_instruction",
        "disposition_return_reason",
        "liaison",
    }
)

SMS_MAX_CHARS = 320  # two concatenated GSM-7 segments (2 × 160)
TITLE_SHORT_CHARS = 60


def kind_for(template, audience):
    """The MessageKind of `template`, or ValueError if it does not exist or is not for `audience`."""
    kind = KINDS.get(template)
    if kind is None:
        raise ValueError(f"Unknown notification template {template!r}.")
    if audience not in kind.audiences:
        raise ValueError(f"Template {template!r} is not meant for the {audience} audience.")
    return kind


def shorten(text, limit):
    """`text` cut to `limit` characters at a word, with an ASCII "..." (keeps an SMS in GSM-7)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0] or text[: limit - 3]
    return cut.rstrip(" ,.;:") + "..."


def format_day(moment):
    """A deadline as a date in the instance's time zone (WIB for Sumatera Barat): "12 Mar 2026"."""
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)), "j M Y")


def report_url(report, audience):
    if audience == Audience.STAFF:
        path = f"/kerja/laporan/{report.tracking_number}/"
    else:
        path = f"/lacak/{report.tracking_number}/"
    return settings.SITE_URL + path


def report_context(report, *, audience, template, disposition=None, extra=None):
    """The template variables for a message about `report`: only fields safe for `audience`.

    Call it inside translation.override(language): labels and dates come out in that language.
    Returns (context, sensitive_values).
    """
    extra = dict(extra or {})
    clash = RESERVED_KEYS.intersection(extra)
    if clash:
        raise ValueError(f"extra may not set {', '.join(sorted(clash))}.")
    agencies = [
        d.agency.name
        for d in report.dispositions.filter(status__in=OPEN_DISPOSITION_STATUSES)
        .select_related("agency")
        .order_by("pk")
    ]
    context = {
        **extra,
        "site_name": settings.INSTANCE_NAME,
        "audience": str(audience),
        "tracking_number": report.tracking_number,
        "title": report.title,
        "title_short": shorten(report.title, TITLE_SHORT_CHARS),
        "status": report.get_status_display(),
        "category": report.category.name if report.category_id else "",
        "region": report.region.name if report.region_id else "",
        "agencies": ", ".join(agencies),
        "deadline": format_day(report.sla_due_at),
        "url": report_url(report, audience),
        "access_code": "",
        "is_confidential": report.is_confidential,
    }
    sensitive = []
    # The access code opens a confidential report on the tracking page, and lets a guest (who has no
    # login) reply, rate or close. It travels once, in the acknowledgement; later messages carry
    # only the tracking number.
    needs_code = report.is_confidential or report.reporter_id is None
    # Only the new report's own instance knows the code (the table keeps a hash of it).
    if audience == Audience.REPORTER and needs_code and template == "report_received" and report.access_code:
        context["access_code"] = report.access_code
        sensitive.append(report.access_code)
    if disposition is not None:
        context.update(
            disposition_agency=disposition.agency.name,
            disposition_deadline=format_day(disposition.sla_due_at),
            disposition_instruction=disposition.instruction,
            disposition_return_reason=disposition.return_reason,
            liaison=disposition.liaison.display_name if disposition.liaison_id else "",
        )
    return context, sensitive


# --- Rendering ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    body_html: str = ""


def _render_text(name, context):
    # Plain-text templates must not HTML-escape ("Jalan & Jembatan" is not "Jalan &amp; Jembatan"),
    # so they are rendered with autoescape off; body.html keeps Django's escaping.
    return get_template(name).template.render(Context(context, autoescape=False))


def _tidy(text):
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


_SMS_REPLACEMENTS = str.maketrans({"…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _sms_text(text):
    # Typographic characters outside GSM-7 would switch the whole SMS to UCS-2 (70 characters a
    # segment instead of 160), so they are replaced; the tracking number comes first in every SMS
    # template, so a last-resort cut at the end never loses it.
    text = "\n".join(line.strip() for line in text.translate(_SMS_REPLACEMENTS).splitlines() if line.strip())
    if len(text) > SMS_MAX_CHARS:
        text = text[: SMS_MAX_CHARS - 3].rstrip() + "..."
    return text


def render_message(template, channel, language, context):
    """Render `template` for `channel` in `language`: subject, text body and (e-mail) HTML body."""
    with translation.override(language):
        if channel == NotifyChannel.EMAIL:
            base = f"notify/emails/{template}"
            subject = " ".join(_render_text(f"{base}/subject.txt", context).split())
            return Rendered(
                subject=shorten(subject, 300),
                body=_tidy(_render_text(f"{base}/body.txt", context)),
                body_html=render_to_string(f"{base}/body.html", context).strip(),
            )
        return Rendered(subject="", body=_sms_text(_render_text(f"notify/sms/{template}.txt", context)))


# --- The identity guard for staff messages ------------------------------------------------------------


def _phone_pattern(phone):
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("62"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if len(digits) < 7:
        return None
    separators = r"[\s.\-]*"
    # 0812…, 62812…, +62 812-…: any prefix and any spacing of the same subscriber number.
    return r"(?:\+?62|0)?" + separators + separators.join(digits)


def identity_patterns(report):
    """Regexes matching the reporter's name (and its parts), e-mail addresses and phone numbers."""
    names, emails, phones = {report.reporter_name}, {report.reporter_email}, {report.reporter_phone}
    words = set()
    user = report.reporter if report.reporter_id else None
    if user is not None:
        names.update({user.full_name, user.get_full_name()})
        emails.add(user.email)
        phones.add(user.phone)
        # A login name ("budisantoso88") identifies as well, but only as a whole: its pieces are not names.
        words.add(user.username)
    for name in filter(None, names):
        name = " ".join(name.split())
        words.add(name)
        # Parts too: "Pak Budi" names the reporter as surely as "Budi Santoso" does.
        words.update(part for part in re.split(r"[\s,.]+", name) if len(part) >= 3)
    words.discard("")
    # body.html holds the HTML-escaped form ("O&#x27;Brien"), so both spellings are looked for.
    words |= {escape(word) for word in words}
    patterns = [re.escape(email) for email in filter(None, emails)]
    patterns += [p for p in map(_phone_pattern, filter(None, phones)) if p]
    # Longest first, so "Budi Santoso" is replaced whole rather than word by word.
    patterns += [r"(?<!\w)" + re.escape(word) + r"(?!\w)" for word in sorted(words, key=len, reverse=True)]
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def redact_identity(text, patterns, replacement):
    for pattern in patterns:
        text = pattern.sub(replacement, text)
    return text


def redact_rendered(rendered, patterns):
    """`rendered` with every trace of the reporter's identity replaced (call inside the language)."""
    if not patterns:
        return rendered
    marker = _("[disamarkan]")
    return Rendered(
        subject=redact_identity(rendered.subject, patterns, marker),
        body=redact_identity(rendered.body, patterns, marker),
        body_html=redact_identity(rendered.body_html, patterns, marker),
    )
