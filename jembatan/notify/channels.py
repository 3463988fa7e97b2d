"""How a rendered notification leaves the building: e-mail, SMS and WhatsApp.

E-mail goes through Django's e-mail backend (SMTP in production, a file or memory in development
and tests). SMS and WhatsApp go through a provider chosen in settings:

- "file": appends one JSON line per message to VAR_DIR/outbox/<channel>.jsonl (development);
- "http": POSTs JSON {to, text, channel, reference, template, language} to a gateway URL with a
  bearer token. Any SMS/WhatsApp aggregator can sit behind a small adapter speaking this.

Every sender raises on failure and returns the provider's message id; retries are delivery.py's job.
"""

import json
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives

from jembatan.notify.models import NotifyChannel

PROVIDER_KINDS = ("file", "http")
DEFAULT_HTTP_TIMEOUT = 10  # seconds; below the outbox lease (OUTBOX_LEASE_SECONDS), which is renewed anyway


class DeliveryError(Exception):
    """The provider refused or could not take the message."""


@dataclass(frozen=True)
class TextMessage:
    to: str
    text: str
    channel: str
    # Stable per notification: a gateway can use it to drop a repeat after a worker crash.
    reference: str
    template: str = ""
    language: str = ""


class FileProvider:
    """Development provider: one JSON object per line in a file, readable with `tail -f`."""

    def __init__(self, path):
        self.path = Path(path)

    def send(self, message):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(message), ensure_ascii=False) + "\n"
        # One write() on an O_APPEND descriptor: lines from concurrent workers never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return f"file:{message.reference}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would replay a redirected POST as a bodiless GET and report success; a gateway that
    # redirects is misconfigured, so the 3xx surfaces as an HTTPError instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpProvider:
    """Production provider: POST the message as JSON to a gateway; anything but 2xx is an error."""

    def __init__(self, url, token="", timeout=DEFAULT_HTTP_TIMEOUT):
        if urlsplit(url or "").scheme not in ("http", "https"):
            raise ImproperlyConfigured(f"The HTTP provider needs an http(s) URL, not {url!r}.")
        self.url = url
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, message):
        payload = json.dumps(asdict(message), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": message.reference,
            "User-Agent": "Jembatan-notify/1",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise DeliveryError(f"HTTP {exc.code} from {self.url}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"Cannot reach {self.url}: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status} from {self.url}")
        return _message_id_from(body) or message.reference


def _message_id_from(body):
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or "")[:200]


def provider_for(channel):
    """The configured provider for "sms" or "whatsapp" (settings are read on every call)."""
    prefix = f"NOTIFY_{channel.upper()}"
    kind = getattr(settings, f"{prefix}_PROVIDER")
    if kind == "file":
        return FileProvider(Path(settings.VAR_DIR) / "outbox" / f"{channel}.jsonl")
    if kind == "http":
        return HttpProvider(
            getattr(settings, f"{prefix}_HTTP_URL"),
            getattr(settings, f"{prefix}_HTTP_TOKEN"),
            timeout=settings.NOTIFY_HTTP_TIMEOUT,
        )
    raise ImproperlyConfigured(f"{prefix}_PROVIDER must be one of {', '.join(PROVIDER_KINDS)}, not {kind!r}.")


def reference_for(notification):
    return f"jembatan-notify-{notification.pk}"


def _message_id_header(notification):
    """The same Message-ID on every attempt of one notification: a re-sent copy (after a worker
    crash) is recognisable, and mail stores merge it. The creation time keeps ids unique across
    databases that reuse primary keys (a restored backup, a second instance)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    stamp = int(notification.created_at.timestamp() * 1000) if notification.created_at else 0
    return f"<{reference_for(notification)}.{stamp}@{domain}>"


def send_email(notification):
    message_id = _message_id_header(notification)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if message.send(fail_silently=False) != 1:
        raise DeliveryError("The e-mail backend did not accept the message.")
    return message_id


def send(notification):
    """Send one notification on its channel; return the provider's message id or raise."""
    if notification.channel == NotifyChannel.EMAIL:
        return send_email(notification)
    message = TextMessage(
        to=notification.recipient,
        text=notification.body,
        channel=notification.channel,
        reference=reference_for(notification),
        template=notification.template,
        language=notification.language,
    )
    return provider_for(notification.channel).send(message)
