"""Checking and cleaning an uploaded attachment before it is stored.

The type is recognised from the file's first bytes, never from its name or the browser's claim.
Images are decoded and re-encoded from their pixels alone: EXIF (with the GPS position of a
citizen's phone, which would locate their home), XMP, ICC profiles, JPEG comment segments and PNG
text chunks are all dropped (Pillow would otherwise copy a JPEG comment, and a PNG's ICC profile,
from the decoded image into the new file), and so is anything smuggled behind the image data.
"""

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# A 10 MB file may still decode to a huge bitmap (a "decompression bomb"); 40 megapixels is more
# than any phone camera and small enough to re-encode on a small server.
MAX_PIXELS = 40_000_000
MAX_SIDE = 4096

_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


class AttachmentRejected(ValueError):
    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanFile:
    name: str
    content: bytes
    content_type: str


def sniff(head):
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _save_pixels_only(image, out, fmt, **options):
    """Save `image` as `fmt` with nothing but its pixels: no metadata the decoder kept in .info."""
    image.info.clear()
    image.save(out, fmt, exif=b"", **options)


def _reencode(content, content_type, name):
    try:
        with Image.open(io.BytesIO(content)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise AttachmentRejected(
                    _("Gambar “%(name)s” terlalu besar resolusinya.") % {"name": name}, "too_large"
                )
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the picture upright once the EXIF is gone
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if content_type == "image/jpeg":
                _save_pixels_only(image.convert("RGB"), out, "JPEG", quality=85, optimize=True)
            elif content_type == "image/png":
                _save_pixels_only(image.copy(), out, "PNG", optimize=True)
            elif content_type == "image/webp":
                rgb = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                _save_pixels_only(rgb, out, "WEBP", quality=85)
            else:  # GIFs become PNG: one clean frame, no comments or extensions
                _save_pixels_only(image.convert("RGBA"), out, "PNG", optimize=True)
                content_type = "image/png"
                name = name.rsplit(".", 1)[0] + ".png"
    except AttachmentRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise AttachmentRejected(
            _("Berkas “%(name)s” rusak atau bukan gambar yang sah.") % {"name": name}, "bad_type"
        ) from None
    return CleanFile(name=name, content=out.getvalue(), content_type=content_type)


def clean_upload(upload):
    """Return a CleanFile for an uploaded file, or raise AttachmentRejected with a message."""
    name = (getattr(upload, "name", "") or "lampiran").replace("\\", "/").rsplit("/", 1)[-1][
        -200:
    ] or "lampiran"
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(_("Berkas “%(name)s” lebih dari 10 MB.") % {"name": name}, "too_large")
    upload.seek(0)
    content = upload.read(MAX_ATTACHMENT_BYTES + 1)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(_("Berkas “%(name)s” lebih dari 10 MB.") % {"name": name}, "too_large")
    content_type = sniff(content[:16])
    if content_type is None:
        raise AttachmentRejected(
            _("Berkas “%(name)s” bukan gambar (JPEG, PNG, WebP, GIF) atau PDF.") % {"name": name}, "bad_type"
        )
    if content_type == "application/pdf":
        if b"%%EOF" not in content[-2048:]:
            raise AttachmentRejected(
                _("Berkas PDF “%(name)s” rusak atau terpotong.") % {"name": name}, "bad_type"
            )
        return CleanFile(name=name, content=content, content_type=content_type)
    return _reencode(content, content_type, name)
