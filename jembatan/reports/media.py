"""Fetching a media file a gateway or an Open311 client points at, safely.

Only hosts an admin listed (CHANNELS_MEDIA_ALLOWED_HOSTS: "media.gateway.example" exactly, or
".gateway.example" for it and its subdomains) are ever contacted, so a message cannot make the
server fetch from inside its own network; redirects are refused (they could lead anywhere); the
body is read up to CHANNELS_MEDIA_MAX_BYTES and no further. What comes back is only a candidate:
reports/attachments.py still decides whether it is an image or a PDF worth keeping.
"""

import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

DEFAULT_TIMEOUT = 10


class MediaRejected(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


def allowed_hosts():
    return [h.strip().lower() for h in settings.CHANNELS_MEDIA_ALLOWED_HOSTS if h.strip()]


def max_bytes():
    return settings.CHANNELS_MEDIA_MAX_BYTES


def host_allowed(host):
    host = (host or "").lower().rstrip(".")
    for allowed in allowed_hosts():
        if allowed.startswith("."):
            if host == allowed[1:] or host.endswith(allowed):
                return True
        elif host == allowed:
            return True
    return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def fetch(url, *, timeout=DEFAULT_TIMEOUT):
    """Download `url` into an uploaded-file object, or raise MediaRejected with a reason."""
    parts = urlsplit((url or "").strip())
    allow_http = settings.CHANNELS_MEDIA_ALLOW_HTTP
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise MediaRejected(_("Alamat media harus memakai https."))
    if not host_allowed(parts.hostname):
        raise MediaRejected(_("Media dari host ini tidak diterima."))
    limit = max_bytes()
    request = urllib.request.Request(
        url, headers={"User-Agent": "Jembatan-media/1", "Accept": "image/*, application/pdf"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise MediaRejected(_("Media lebih besar dari batas yang diizinkan."))
            content = response.read(limit + 1)
            content_type = response.headers.get_content_type()
    except MediaRejected:
        raise
    except urllib.error.HTTPError as exc:
        raise MediaRejected(_("Media tidak dapat diambil (HTTP %(code)s).") % {"code": exc.code}) from None
    except (urllib.error.URLError, OSError, ValueError):
        raise MediaRejected(_("Media tidak dapat diambil.")) from None
    if len(content) > limit:
        raise MediaRejected(_("Media lebih besar dari batas yang diizinkan."))
    name = unquote(parts.path.rsplit("/", 1)[-1])[-100:] or "lampiran"
    return SimpleUploadedFile(name, content, content_type=content_type)
