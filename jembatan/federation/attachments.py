"""Attachments travelling with a forwarded report: packed by the origin, checked by the holder.

Transport: inline, base64 inside the signed `report_forwarded` message, up to
FEDERATION_MAX_ATTACHMENT_BYTES in all. Why not a signed URL the holder pulls back:
- one message is one unit: the files arrive, are checked and are stored in the same transaction
  as the copy, so "exactly once" is the message's own dedupe (message id, stream position), with
  no second request that could fail, be replayed, or leave a copy without its files;
- the origin needs no new public endpoint and the holder no outgoing fetch (no SSRF surface, no
  long-lived URL to a confidential report's files, nothing to expire or revoke);
- the cost is the size of the outbox row and of the request, hence the cap; the files were
  already cleaned at intake (images re-encoded from their pixels), so they are small.
What does not fit under the cap is listed (name, size, SHA-256) but not sent: the copy's timeline
says how many stayed at the origin.

The holder trusts nothing in the list: each file's SHA-256 must match its bytes, and the files go
through reports.attachments (type from the bytes, images decoded and re-encoded, PDFs checked,
10 MB and 5 files at most) when the copy is submitted, like any citizen's upload. They are stored
with the "reporter" visibility: officers of the copy and its reporter (the origin) only, never
on a public page, and a confidential report's files never leave the access checks either.
"""

import base64
import binascii
import hashlib

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from jembatan.reports.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from jembatan.reports.models import Visibility


class BadAttachment(ValueError):
    """A file in a forwarded report is malformed, too large, or not the file its hash names."""


def pack(report):
    """The report's files a holder may see, as (sent, withheld): dicts for the message payload."""
    sent, withheld, total, seen = [], [], 0, set()
    items = report.attachments.exclude(visibility=Visibility.INTERNAL).order_by("pk")
    for item in items:
        if item.sha256 in seen:
            continue  # the same bytes twice: send them once
        seen.add(item.sha256)
        meta = {"name": item.original_name, "content_type": item.content_type, "size": item.size,
                "sha256": item.sha256}  # fmt: skip
        if len(sent) >= MAX_ATTACHMENTS or total + item.size > settings.FEDERATION_MAX_ATTACHMENT_BYTES:
            withheld.append(meta)
            continue
        with item.file.open("rb") as handle:
            content = handle.read(MAX_ATTACHMENT_BYTES + 1)
        if hashlib.sha256(content).hexdigest() != item.sha256:
            withheld.append(meta)  # the stored file is not what was recorded: never send it on
            continue
        total += len(content)
        sent.append({**meta, "data": base64.b64encode(content).decode("ascii")})
    return sent, withheld


def unpack(items):
    """Uploaded-file objects for reports.actions.submit_report, or raise BadAttachment."""
    if not isinstance(items, list) or len(items) > MAX_ATTACHMENTS:
        raise BadAttachment("too many attachments")
    uploads, total, seen = [], 0, set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("data"), str):
            raise BadAttachment("malformed attachment")
        if len(item["data"]) > (MAX_ATTACHMENT_BYTES * 4) // 3 + 4:
            raise BadAttachment("attachment too large")
        try:
            content = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise BadAttachment("attachment is not base64") from None
        total += len(content)
        if len(content) > MAX_ATTACHMENT_BYTES or total > settings.FEDERATION_MAX_ATTACHMENT_BYTES:
            raise BadAttachment("attachments too large")
        digest = hashlib.sha256(content).hexdigest()
        if digest != item.get("sha256"):
            raise BadAttachment("attachment does not match its SHA-256")
        if digest in seen:
            continue
        seen.add(digest)
        name = str(item.get("name") or "lampiran")
        # The claimed type is ignored: reports.attachments sniffs the bytes (and submit_report
        # cleans them again, as every upload).
        uploads.append(SimpleUploadedFile(name, content, content_type="application/octet-stream"))
    return uploads
