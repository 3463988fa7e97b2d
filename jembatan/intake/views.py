"""Inbound webhooks for SMS gateways, WhatsApp gateways and e-mail (raw MIME).

Every webhook:
- is off (404) until its secret is set: CHANNELS_SMS_SECRET, CHANNELS_WHATSAPP_SECRET,
  CHANNELS_EMAIL_SECRET;
- is authenticated with that secret, either as an HMAC of the raw body
  (`X-Jembatan-Signature: sha256=<hex HMAC-SHA256(secret, body)>`) or, for gateways that can only
  send a fixed credential, as `Authorization: Bearer <secret>`, `X-Webhook-Secret: <secret>` or
  `?secret=<secret>` (the last ends up in access logs: prefer the others);
- is rate-limited per address (429) and per sender (429, the message is not recorded, so a
  retry after the wait goes through);
- answers a payload it cannot read with a 400 and a log line, never a 500.

SMS and WhatsApp fields read (form-encoded or JSON; the first present wins):

| meaning     | fields                                                          |
|-------------|-----------------------------------------------------------------|
| message id  | message_id, id, messageId, MessageSid, SmsSid, sms_id            |
| sender      | from, From, sender, msisdn, phone, phone_number                 |
| text        | text (a string, or {"body": …}), Body, body, message, content, caption |
| media (WA)  | media: [{"url": …} or "…"], media_urls: ["…"], MediaUrl0…MediaUrl4 |

The answer is JSON {"outcome", "reply", "tracking_number", "duplicate"}: a gateway that replies
synchronously sends `reply` back to the sender. A retry with the same message id gets the same
answer and creates nothing.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jembatan.accounts.throttle import client_ip
from jembatan.api.errors import body as error_body
from jembatan.api.throttles import hit
from jembatan.intake import actions
from jembatan.intake.mail import MalformedEmail
from jembatan.intake.models import InboundChannel, InboundMessage
from jembatan.reports import media

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Jembatan-Signature"
MAX_TEXT_BODY = 1024 * 1024  # below DATA_UPLOAD_MAX_MEMORY_SIZE: read through request.body
MAX_MAIL_BODY = 30 * 1024 * 1024
MAX_MEDIA = 5
SECRETS = {
    InboundChannel.SMS: "CHANNELS_SMS_SECRET",
    InboundChannel.WHATSAPP: "CHANNELS_WHATSAPP_SECRET",
    InboundChannel.EMAIL: "CHANNELS_EMAIL_SECRET",
}
ID_FIELDS = ("message_id", "id", "messageId", "MessageSid", "SmsSid", "sms_id")
SENDER_FIELDS = ("from", "From", "sender", "msisdn", "phone", "phone_number")
TEXT_FIELDS = ("text", "Body", "body", "message", "content", "caption")


class Malformed(ValueError):
    pass


def _error(status, code, message, headers=None):
    response = JsonResponse(error_body(code, message), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _authentic(request, raw, secret):
    signature = request.headers.get(SIGNATURE_HEADER)
    if signature:
        expected = "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature.strip().encode(), expected.encode())
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        given = authorization[7:]
    else:
        given = request.headers.get("X-Webhook-Secret") or request.GET.get("secret") or ""
    return bool(given) and hmac.compare_digest(given.strip().encode(), secret.encode())


def inbound(channel, limit):
    """POST only, secret set and given, address not over its rate; hands the view the raw body."""

    def decorator(view):
        @csrf_exempt
        def wrapper(request):
            secret = getattr(settings, SECRETS[channel])
            if not secret:
                return _error(404, "not_found", _("Kanal ini belum diaktifkan."))
            if request.method != "POST":
                response = _error(405, "method_not_allowed", _("Gunakan POST."))
                response["Allow"] = "POST"
                return response
            ip = client_ip(request) or "unknown"
            wait = hit("inbound_ip", f"{channel}:{ip}")
            if wait:
                return _error(429, "throttled", _("Terlalu banyak permintaan."), {"Retry-After": str(wait)})
            try:
                # request.body keeps the bytes for the HMAC and still lets request.POST parse a
                # form; a raw e-mail may be larger than DATA_UPLOAD_MAX_MEMORY_SIZE, so it is read
                # from the stream with its own limit.
                raw = (
                    request.read(limit + 1) if limit > settings.DATA_UPLOAD_MAX_MEMORY_SIZE else request.body
                )
            except RequestDataTooBig:
                return _error(400, "too_large", _("Isi permintaan terlalu besar."))
            if not _authentic(request, raw, secret):
                logger.warning("Inbound %s webhook from %s: bad secret or signature", channel, ip)
                return _error(401, "not_authenticated", _("Rahasia atau tanda tangan webhook salah."))
            if len(raw) > limit:
                return _error(400, "too_large", _("Isi permintaan terlalu besar."))
            try:
                return view(request, raw)
            except (Malformed, MalformedEmail) as exc:
                logger.warning("Malformed inbound %s webhook from %s: %s", channel, ip, exc)
                return _error(400, "malformed", _("Isi webhook tidak dapat dibaca."))

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorator


def _payload(request, raw):
    """The body as a dict (JSON object or form fields)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    if request.content_type == "application/json":
        try:
            data = json.loads(text or "null")
        except ValueError:
            raise Malformed("invalid JSON") from None
        if not isinstance(data, dict):
            raise Malformed("JSON body is not an object")
        return data
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = request.POST
        except (MultiPartParserError, ValueError) as exc:
            raise Malformed(f"unreadable form: {exc}") from None
        return {key: form.get(key) for key in form}
    if request.content_type in ("text/plain", ""):
        form = QueryDict(text)
        return {key: form.get(key) for key in form}
    raise Malformed(f"unsupported content type {request.content_type}")


def _scalar(data, names, *, required, what):
    for name in names:
        value = data.get(name)
        if isinstance(value, dict):
            value = value.get("body")
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Malformed(f"{what} is not a string")
        return str(value).strip()
    if required:
        raise Malformed(f"missing {what}")
    return ""


def _media_urls(data):
    urls = []
    items = data.get("media") or data.get("media_urls") or []
    if not isinstance(items, list):
        raise Malformed("media is not a list")
    for item in items:
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str):
            raise Malformed("media url is not a string")
        urls.append(url)
    urls += [data[f"MediaUrl{i}"] for i in range(MAX_MEDIA) if isinstance(data.get(f"MediaUrl{i}"), str)]
    return urls[:MAX_MEDIA]


def _answer(message, is_new):
    return JsonResponse(
        {
            "outcome": message.outcome,
            "reply": message.reply,
            "tracking_number": message.report.tracking_number if message.report_id else None,
            "duplicate": not is_new,
        }
    )


def _text_message(request, raw, channel):
    data = _payload(request, raw)
    message_id = _scalar(data, ID_FIELDS, required=True, what="message id")[:255]
    sender = _scalar(data, SENDER_FIELDS, required=True, what="sender")[:40]
    text = _scalar(data, TEXT_FIELDS, required=False, what="text")[:10000]
    existing = (
        InboundMessage.objects.filter(channel=channel, message_id=message_id).select_related("report").first()
    )
    if existing is not None:
        return _answer(existing, False)  # a retry: the first answer, without fetching media again
    wait = hit("inbound_sender", f"{channel}:{sender}")
    if wait:
        return _error(
            429, "throttled", _("Terlalu banyak pesan dari pengirim ini."), {"Retry-After": str(wait)}
        )
    uploads, problems = [], []
    if channel == InboundChannel.WHATSAPP and text.lower().startswith("lapor"):
        for url in _media_urls(data):
            try:
                uploads.append(media.fetch(url))
            except media.MediaRejected as exc:
                logger.info("WhatsApp media %s not fetched: %s", url[:200], exc.message)
                problems.append(exc.message)
    note = _("sebagian lampiran tidak dapat diambil") if problems else ""
    message, is_new = actions.receive_text_message(
        channel=channel, message_id=message_id, sender=sender, text=text, media=uploads, media_note=note
    )
    return _answer(message, is_new)


@inbound(InboundChannel.SMS, MAX_TEXT_BODY)
def sms(request, raw):
    """An SMS from a gateway."""
    return _text_message(request, raw, InboundChannel.SMS)


@inbound(InboundChannel.WHATSAPP, MAX_TEXT_BODY)
def whatsapp(request, raw):
    """A WhatsApp message from a gateway (generic JSON), with media URLs."""
    return _text_message(request, raw, InboundChannel.WHATSAPP)


@inbound(InboundChannel.EMAIL, MAX_MAIL_BODY)
def email(request, raw):
    """One e-mail as raw MIME in the body (the alternative to fetch_mail's IMAP)."""
    message, is_new = actions.receive_email(raw=raw)
    return _answer(message, is_new)
