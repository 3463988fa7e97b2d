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
    # What our receiving server recorded in Authentication-Results: the aligned method that passed
    # ("dkim", "spf" or "dmarc"), or "" when the From address is not proven.
    authenticated_by: str = ""

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


def _domain(value):
    value = (value or "").strip().strip("<>").lower().rstrip(".")
    return value.rsplit("@", 1)[-1]


def _aligned(domain, from_domain):
    """Relaxed alignment (RFC 7489 §3.1): the same domain, or one is a subdomain of the other."""
    if not domain or not from_domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def authentication(headers, sender, authserv_id):
    """Which aligned check passed for `sender` by the Authentication-Results `headers`, or "".

    Only headers our own receiving server wrote count (RFC 8601 §5: its authserv-id; a sender can
    write any header, and relays on the way may have added others). A pass counts when it is
    aligned with the From domain: DKIM's header.d (or header.i), SPF's smtp.mailfrom, or DMARC's
    header.from. No authserv-id configured means nothing is trusted.
    """
    authserv_id = (authserv_id or "").strip().lower()
    from_domain = _domain(sender)
    if not authserv_id or not from_domain:
        return ""
    for header in headers:
        parts = [part.strip() for part in str(header).split(";")]
        if not parts or (parts[0].split() or [""])[0].lower() != authserv_id:
            continue
        for resinfo in parts[1:]:
            tokens = re.sub(r"\([^)]*\)", " ", resinfo).split()  # drop (comments)
            if not tokens or "=" not in tokens[0]:
                continue
            method, result = (t.lower() for t in tokens[0].split("=", 1))
            if result != "pass":
                continue
            props = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
            props = {k.lower(): v for k, v in props.items()}
            if method == "dkim":
                domain = _domain(props.get("header.d") or props.get("header.i", ""))
            elif method == "spf":
                domain = _domain(props.get("smtp.mailfrom", ""))
            elif method == "dmarc":
                domain = _domain(props.get("header.from", ""))
            else:
                continue
            if _aligned(domain, from_domain):
                return method
    return ""


def parse(raw, *, authserv_id=""):
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
        results = message.get_all("Authentication-Results") or []
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
        authenticated_by=authentication(results, sender, authserv_id),
    )
