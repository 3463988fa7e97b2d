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
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from jembatan.notify.models import NotifyChannel


class Audience(StrEnum):
    REPORTER = "reporter"  # the citizen who filed the report (anonymous or not)
    STAFF = "staff"  # officers: verifiers, coordinators, penghubung (liaisons), auditors
    DIRECT = "direct"  # a message to one address with its own context (a one-time code)
    FOLLOWER = "follower"  # a citizen who follows or supports a public report, or whose report was merged


@dataclass(frozen=True)
class MessageKind:
    audiences: frozenset
    has_sms: bool = False  # reporter messages may go by SMS/WhatsApp; staff ones only by e-mail
    sensitive_keys: tuple = ()  # context values masked in the outbox once the message is sent


_REPORTER = frozenset({Audience.REPORTER})
_STAFF = frozenset({Audience.STAFF})
_FOLLOWER = frozenset({Audience.FOLLOWER})

KINDS = {
    "report_received": MessageKind(_REPORTER, has_sms=True),
    "information_needed": MessageKind(_REPORTER, has_sms=True),
    "report_verified": MessageKind(_REPORTER, has_sms=True),
    "report_disposed": MessageKind(_REPORTER, has_sms=True),
    "follow_up_posted": MessageKind(_REPORTER, has_sms=True),
    "report_closed": MessageKind(_REPORTER, has_sms=True),
    "report_archived": MessageKind(_REPORTER, has_sms=True),
    # A merge undone within its window (reports.actions.unmerge_report): the "merged" message the
    # reporter already has is taken back.
    "merge_undone": MessageKind(_REPORTER, has_sms=True),
    # Worded neutrally, so it can tell the reporter and the officers alike.
    "report_reopened": MessageKind(frozenset({Audience.REPORTER, Audience.STAFF}), has_sms=True),
    # The original's news to its other voices: followers, supporters, reporters of merged reports.
    # The unfollow link is masked in the outbox once sent (reports/notifications.notify_voices).
    "voice_follow_up": MessageKind(_FOLLOWER, has_sms=True),
    "voice_closed": MessageKind(_FOLLOWER, has_sms=True),
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


# --- Rendering in the worker: rows written with a `renderer` -----------------------------------------

_DEFERRED_RENDERERS = {}


def deferred_renderer(name):
    """Register `function(notification) → Rendered` as the renderer of outbox rows named `name`.

    The apps above the outbox register theirs in their notifications.py (reports: the
    acknowledgement of a new report); the worker finds them by that module name.
    """

    def register(function):
        _DEFERRED_RENDERERS[name] = function
        return function

    return register


def render_deferred(notification):
    """The Rendered text of a row written with a renderer (in the worker, before its first send)."""
    if notification.renderer not in _DEFERRED_RENDERERS:
        autodiscover_modules("notifications")
    function = _DEFERRED_RENDERERS.get(notification.renderer)
    if function is None:
        raise LookupError(f"no renderer {notification.renderer!r} for notification {notification.pk}")
    return function(notification)


# --- The identity guard for staff messages (the patterns: reports/notifications.py) ------------------


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
