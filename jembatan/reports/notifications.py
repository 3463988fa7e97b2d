"""The messages about a report: to its reporter on the channels they chose, to officers by e-mail.

Built here, above the generic outbox (notify), which only stores, renders and delivers them: the
report's fields, who is told, and the identity guard that keeps the reporter unnamed to officers.

    notify_reporter(report=…, template="report_received", event=…)          → [Notification, …]
    notify_staff(users=[…], template="sla_reminder", report=…, disposition=…) → [Notification, …]
"""

import logging
import re

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape

from jembatan.notify import actions as notify
from jembatan.notify.models import NotifyChannel
from jembatan.notify.phones import normalize_phone
from jembatan.notify.rendering import (
    RESERVED_KEYS,
    TITLE_SHORT_CHARS,
    Audience,
    deferred_renderer,
    format_day,
    kind_for,
    redact_rendered,
    render_message,
    shorten,
)
from jembatan.reports.models import OPEN_DISPOSITION_STATUSES, Channel, Follower
from jembatan.reports.pii import redact

logger = logging.getLogger(__name__)


def report_url(report, audience):
    if audience == Audience.STAFF:
        path = f"/kerja/laporan/{report.tracking_number}/"
    elif audience == Audience.FOLLOWER:
        path = f"/laporan/{report.tracking_number}/"
    else:
        path = f"/lacak/{report.tracking_number}/"
    return settings.SITE_URL + path


def _access_code_for(report, *, audience, template, access_code=None):
    """The access code a message carries: only the reporter's acknowledgement, only when needed.

    The code opens a confidential report on the tracking page, and lets a guest (who has no login)
    reply, rate or close. It travels once, in the acknowledgement; later messages carry only the
    tracking number. Only the new report's own instance knows the code (the table keeps a hash of
    it), or the acknowledgement's outbox row until it is sent (`access_code`, in the worker).
    """
    needs_code = report.is_confidential or report.reporter_id is None
    if audience != Audience.REPORTER or not needs_code or template != "report_received":
        return ""
    return access_code or report.access_code or ""


def report_context(report, *, audience, template, disposition=None, extra=None, new=False, access_code=None):
    """The template variables for a message about `report`: only fields safe for `audience`.

    Call it inside translation.override(language): labels and dates come out in that language.
    `new`: the report was created in this transaction (no dispositions yet: nothing to ask).
    `access_code`: the code of a new report whose acknowledgement the worker renders.
    Returns (context, sensitive_values).
    """
    extra = dict(extra or {})
    clash = RESERVED_KEYS.intersection(extra)
    if clash:
        raise ValueError(f"extra may not set {', '.join(sorted(clash))}.")
    agencies = (
        []
        if new
        else [
            d.agency.name
            for d in report.dispositions.filter(status__in=OPEN_DISPOSITION_STATUSES)
            .select_related("agency")
            .order_by("pk")
        ]
    )
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
    code = _access_code_for(report, audience=audience, template=template, access_code=access_code)
    if code:
        context["access_code"] = code
        sensitive.append(code)
    if disposition is not None:
        context.update(
            disposition_agency=disposition.agency.name,
            disposition_deadline=format_day(disposition.sla_due_at),
            disposition_instruction=disposition.instruction,
            disposition_return_reason=disposition.return_reason,
            liaison=disposition.liaison.display_name if disposition.liaison_id else "",
        )
    return context, sensitive


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


def _clean_phone(raw):
    try:
        return normalize_phone(raw) if raw else ""
    except ValidationError:
        logger.warning("Not sending to an invalid phone number on a report.")
        return ""


def reporter_routes(report):
    """(channel, address) pairs on which the reporter of `report` is told about it.

    A registered reporter gets what they chose: e-mail, and WhatsApp or SMS on their phone. A guest
    (no account) gets e-mail if they left an address. Whoever would otherwise hear nothing (a guest
    who left only a phone, a user whose chosen channel has no address) gets SMS (a guest who wrote
    in on WhatsApp: WhatsApp), else e-mail; only
    someone who switched every channel off is left alone. Anonymity changes none of this: it hides
    the reporter from officers, not the report's news from the reporter.
    """
    email = (report.contact_email or "").strip()
    phone = _clean_phone(report.contact_phone)
    user = report.reporter if report.reporter_id else None
    routes = []
    if user is None:
        if email:
            routes.append((NotifyChannel.EMAIL, email))
        wants_something = True
    else:
        if email and user.notify_by_email:
            routes.append((NotifyChannel.EMAIL, email))
        if phone and user.notify_by_whatsapp:
            routes.append((NotifyChannel.WHATSAPP, phone))
        elif phone and user.notify_by_sms:
            routes.append((NotifyChannel.SMS, phone))
        wants_something = user.notify_by_email or user.notify_by_sms or user.notify_by_whatsapp
    if not routes and wants_something:
        if phone:
            # A guest who wrote in on WhatsApp is answered on WhatsApp, not by SMS.
            by_whatsapp = user is None and report.channel == Channel.WHATSAPP
            routes.append((NotifyChannel.WHATSAPP if by_whatsapp else NotifyChannel.SMS, phone))
        elif email:
            routes.append((NotifyChannel.EMAIL, email))
    return routes


def reporter_language(report):
    if report.reporter_id and report.reporter.preferred_language:
        return report.reporter.preferred_language
    return settings.LANGUAGE_CODE


REPORTER_RENDERER = "reports.reporter"  # notify.rendering.deferred_renderer: see render_for_reporter


def notify_reporter(*, report, template, event=None, extra=None, dedupe=None, new=False):
    """Queue `template` about `report` to its reporter on every channel they are reached by.

    `new`: the report was created in this transaction: its acknowledgement is rendered by the
    worker (render_for_reporter), not in the request; the row keeps the access code until sent."""
    kind_for(template, Audience.REPORTER)
    routes = reporter_routes(report)
    if not routes:
        return []
    language = reporter_language(report)
    if new and not extra:
        # The worker writes the words at the send (render_for_reporter); the row keeps the code.
        code = _access_code_for(report, audience=Audience.REPORTER, template=template)
        render, sensitive = (lambda channel: None), [code]
    else:
        with translation.override(language):
            context, sensitive = report_context(
                report, audience=Audience.REPORTER, template=template, extra=extra, new=new
            )

        def render(channel):
            return render_message(template, channel, language, context)

    created = []
    for channel, recipient in routes:
        rendered = render(channel)
        notification = notify.write_message(
            channel=channel,
            recipient=recipient,
            template=template,
            language=language,
            rendered=rendered,
            renderer=REPORTER_RENDERER if rendered is None else "",
            sensitive=sensitive,
            scope=notify.message_scope(event, dedupe),
            report=report,
            event=event,
            user=report.reporter if report.reporter_id else None,
        )
        if notification is not None:
            created.append(notification)
    return created


@deferred_renderer(REPORTER_RENDERER)
def render_for_reporter(notification):
    """Render a reporter's message in the worker, from the report as it stands now.

    The access code, if the message carries one, comes from the row's sensitive values: the only
    place the plaintext code lives between the request and the send (masked and dropped then).
    """
    report = notification.report
    code = next(iter(notification.sensitive_values or []), None)
    with translation.override(notification.language):
        context, _sensitive = report_context(
            report, audience=Audience.REPORTER, template=notification.template, access_code=code
        )
    return render_message(notification.template, notification.channel, notification.language, context)


# Context values a citizen may have written, in staff messages.
STAFF_FREE_TEXT = ("title", "title_short", "text")


def notify_staff(*, users, template, report, disposition=None, extra=None, event=None, dedupe=None):
    """Queue `template` about `report` by e-mail to each active officer in `users` who has an address."""
    kind_for(template, Audience.STAFF)
    patterns = identity_patterns(report)
    rendered_by_language = {}
    created = []
    seen = set()
    for user in users:
        email = (user.email or "").strip()
        if not user.is_active or not email or user.pk in seen:
            continue
        seen.add(user.pk)
        language = user.preferred_language or settings.LANGUAGE_CODE
        if language not in rendered_by_language:
            with translation.override(language):
                context, _sensitive = report_context(
                    report, audience=Audience.STAFF, template=template, disposition=disposition, extra=extra
                )
                # Personal data the reporter typed (a NIK, a phone, "nama saya …") leaves by e-mail
                # to nobody: the same detector as the public pages.
                for key in STAFF_FREE_TEXT:
                    if context.get(key):
                        context[key] = redact(str(context[key]))
                # Officers never learn who the reporter is from a notification, whatever the report.
                rendered_by_language[language] = redact_rendered(
                    render_message(template, NotifyChannel.EMAIL, language, context), patterns
                )
        notification = notify.write_message(
            channel=NotifyChannel.EMAIL,
            recipient=email,
            template=template,
            language=language,
            rendered=rendered_by_language[language],
            sensitive=(),
            scope=notify.message_scope(event, dedupe),
            report=report,
            event=event,
            user=user,
        )
        if notification is not None:
            created.append(notification)
    return created


# --- The other voices of a problem: followers, supporters, reporters of merged reports -------------

UNFOLLOW_SALT = "jembatan.reports.unfollow"


def unfollow_token(follower):
    """The signed token of the "Berhenti mengikuti" link in every message to `follower`.

    Signed, not stored: it only names the follower row, and it never expires (an old message's
    link must still work). Whoever holds the message may stop it, which is the point.
    """
    return signing.dumps(follower.pk, salt=UNFOLLOW_SALT, compress=True)


def follower_for_token(token):
    """The Follower an unfollow token names, or None for a bad or foreign token."""
    try:
        pk = signing.loads(str(token), salt=UNFOLLOW_SALT)
    except signing.BadSignature:
        return None
    return Follower.objects.select_related("report").filter(pk=pk).first() if isinstance(pk, int) else None


def unfollow_url(follower):
    return f"{settings.SITE_URL}/ikuti/berhenti/{unfollow_token(follower)}/"


def account_routes(user):
    """(channel, address) pairs on which an account holder who follows a report is told."""
    email = (user.email or "").strip()
    phone = _clean_phone(user.phone)
    routes = []
    if email and user.notify_by_email:
        routes.append((NotifyChannel.EMAIL, email))
    if phone and user.notify_by_whatsapp:
        routes.append((NotifyChannel.WHATSAPP, phone))
    elif phone and user.notify_by_sms:
        routes.append((NotifyChannel.SMS, phone))
    wants_something = user.notify_by_email or user.notify_by_sms or user.notify_by_whatsapp
    if not routes and wants_something:
        routes = [(NotifyChannel.SMS, phone)] if phone else [(NotifyChannel.EMAIL, email)] if email else []
    return routes


def follower_routes(follower):
    """(channel, address, language, user) for one follower: each on their own channel and language."""
    if follower.duplicate_id:
        duplicate = follower.duplicate
        user = duplicate.reporter if duplicate.reporter_id else None
        language = reporter_language(duplicate)
        return [(channel, address, language, user) for channel, address in reporter_routes(duplicate)]
    if follower.user_id:
        user = follower.user
        if not user.is_active:
            return []
        language = user.preferred_language or settings.LANGUAGE_CODE
        return [(channel, address, language, user) for channel, address in account_routes(user)]
    language = follower.language or settings.LANGUAGE_CODE
    if follower.email:
        return [(NotifyChannel.EMAIL, follower.email, language, None)]
    phone = _clean_phone(follower.phone)
    return [(NotifyChannel.SMS, phone, language, None)] if phone else []


def _voice_context(report, follower, *, template, language, extra, cache):
    """The context for one follower: a merged reporter reads about their own report (its number,
    its tracking page), everyone else about the public original. Built once per report and
    language (`cache`); only the unfollow link is the follower's own."""
    key = (follower.duplicate_id, language)
    if key not in cache:
        cache[key] = _voice_base_context(report, follower, template=template, language=language, extra=extra)
    link = unfollow_url(follower)
    return {**cache[key], "unfollow_url": link}, [link]


def _voice_base_context(report, follower, *, template, language, extra):
    with translation.override(language):
        if follower.duplicate_id:
            about = follower.duplicate
            audience = Audience.REPORTER
            # The original's words travel only when anyone may read them.
            extra = {**extra, "text": "" if report.is_confidential else extra.get("text", ""), "merged": True}
        else:
            about, audience = report, Audience.FOLLOWER
        context, _sensitive = report_context(about, audience=audience, template=template, extra=extra)
        # Followers are the public: what the public pages redact (a NIK, a phone, a name typed into
        # a title or an answer) is redacted here too. A merged reporter's own title is theirs.
        for key in ("text",) if follower.duplicate_id else STAFF_FREE_TEXT:
            if context.get(key):
                context[key] = redact(str(context[key]))
    with translation.override(language):
        # The problem's live status, not the merged report's own "archived".
        context["status"] = str(report.get_status_display())
    return context


def notify_voices(*, report, template, event, extra=None):
    """Queue `template` about `report` to its other voices, each once per event.

    Once: the outbox's unique dedupe key (event, channel, address, template) keeps a person who
    follows twice (supporter and merged reporter, on the same address) to one message, and a
    retried call to none. The reporter of `report` itself is told by notify_reporter, not here.
    """
    kind_for(template, Audience.FOLLOWER)
    own = {address for _channel, address in reporter_routes(report)}
    followers = (
        Follower.objects.active()
        .filter(report=report)
        .select_related("user", "duplicate", "duplicate__reporter")
        .order_by("pk")
    )
    created, cache = [], {}
    for follower in followers:
        if follower.user_id and follower.user_id == report.reporter_id:
            continue
        if not follower.duplicate_id and report.is_confidential:
            continue  # only a merged reporter hears about a report nobody else may read
        for channel, address, language, user in follower_routes(follower):
            if address in own:
                continue
            context, sensitive = _voice_context(
                report, follower, template=template, language=language, extra=dict(extra or {}), cache=cache
            )
            notification = notify.write_message(
                channel=channel,
                recipient=address,
                template=template,
                language=language,
                rendered=render_message(template, channel, language, context),
                sensitive=sensitive,
                scope=notify.message_scope(event, None),
                report=follower.duplicate if follower.duplicate_id else report,
                event=event,
                user=user,
            )
            if notification is not None:
                created.append(notification)
    return created


def notify_follow_code(*, follower, code, minutes):
    """Send the one-time code that proves a guest follower holds the address they gave."""
    channel = NotifyChannel.EMAIL if follower.email else NotifyChannel.SMS
    return notify.queue_message(
        channel=channel,
        recipient=follower.email or follower.phone,
        template="one_time_code",
        context={"code": code, "minutes": minutes},
        language=follower.language or settings.LANGUAGE_CODE,
    )
