"""Reading an incoming e-mail: sender, subject, the text the person wrote, attachments.

Only what the standard library's e-mail parser (policy.default, RFC 6532) gives; a message it
cannot make sense of raises MalformedEmail, which the webhook answers with a 400.
"""

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags

from jembatan.reports.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, sniff

MAX_RAW_BYTES = 30 * 1024 * 1024  # five 10 MB attachments, base64-encoded, fit with room to spare
TRACKING = re.compile(r"#\s?([1-9]\d{8})\b")
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|bls|balas|tr|aw)\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE)
# Where the quoted original starts in a reply, in the clients Indonesians use (Gmail, Outlook,
# Yahoo, in Indonesian and English).
_QUOTE_HEADER = re.compile(
    r"^\s*(On .{1,200} wrote:|Pada .{1,200} menulis:|-{2,}\s*(Original Message|Pesan Asli|Pesan Asal)\s*-{2,}"
    r"|From:\s.+|Dari:\s.+)\s*$",
    re.IGNORECASE,
)


class MalformedEmail(ValueError):
    pass


@dataclass
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    attachments: list = field(default_factory=list)  # (name, bytes, content type)

    @property
    def clean_subject(self):
        return " ".join(_SUBJECT_PREFIX.sub("", self.subject).split())

    @property
    def tracking_number(self):
        """A tracking number quoted as "#123456789" in the subject, else in the text."""
        for source in (self.subject, self.text):
            match = TRACKING.search(source or "")
            if match:
                return match.group(1)
        return None

    @property
    def reply_text(self):
        """The text above the quoted original and the signature."""
        kept = []
        for line in self.text.splitlines():
            if _QUOTE_HEADER.match(line) or line.rstrip() == "--":
                break
            if line.lstrip().startswith(">"):
                continue
            kept.append(line)
        return "\n".join(kept).strip()


def _body_text(message):
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html.unescape(strip_tags(re.sub(r"(?i)<br\s*/?>|</p>", "\n", content)))
    return content.replace("\r\n", "\n").strip()


def _attachments(message):
    found = []
    for part in message.iter_attachments():
        if len(found) >= MAX_ATTACHMENTS:
            break
        try:
            content = part.get_payload(decode=True)
        except (ValueError, TypeError):
            continue
        # Only what reports/attachments.py would keep: the rest (a .docx, a signature logo as
        # SVG) would make the whole report fail, so it is left out here.
        if not content or len(content) > MAX_ATTACHMENT_BYTES or sniff(content[:16]) is None:
            continue
        name = part.get_filename() or "lampiran"
        found.append((name[-200:], content, part.get_content_type()))
    return found


def parse(raw):
    """A ParsedEmail from the raw RFC 5322 bytes, or MalformedEmail."""
    if not raw or len(raw) > MAX_RAW_BYTES:
        raise MalformedEmail("empty or too large")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        addresses = getaddresses([str(message.get("From", ""))])
        subject = str(message.get("Subject", "") or "")
        message_id = str(message.get("Message-ID", "") or "").strip().strip("<>")
        text = _body_text(message)
        attachments = _attachments(message)
    except (ValueError, TypeError, LookupError, IndexError, AttributeError) as exc:
        raise MalformedEmail(f"{type(exc).__name__}: {exc}") from None
    name, sender = addresses[0] if addresses else ("", "")
    sender = sender.strip().lower()
    try:
        validate_email(sender)
    except ValidationError:
        raise MalformedEmail("no valid From address") from None
    if not message_id:
        # No Message-ID (rare, but allowed): the bytes themselves identify a re-delivery.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    return ParsedEmail(
        message_id=message_id[:255],
        sender=sender,
        sender_name=(name or "").strip()[:150],
        subject=" ".join(subject.split())[:300],
        text=text[:20000],
        attachments=attachments,
    )
