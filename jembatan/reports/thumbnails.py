"""Small copies of image attachments, for the pages that list them (the officer's and the citizen's).

The original was already checked and re-encoded on upload (reports/attachments.py); the copy is
made from it on first request, as a JPEG at most THUMBNAIL_WIDTH wide, and kept in the cache so a
queue of reports with photos does not decode every photo on every page. Who may see it is the
caller's question, asked exactly as for the full file.
"""

import io

from django.core.cache import cache
from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_WIDTH = 320
THUMBNAIL_CACHE_SECONDS = 7 * 24 * 3600


def is_image(attachment):
    return attachment.content_type.startswith("image/")


def thumbnail(attachment):
    """JPEG bytes of a small copy of an image attachment (None: not an image, or unreadable)."""
    if not is_image(attachment):
        return None
    key = f"thumbnail:v1:{attachment.pk}:{THUMBNAIL_WIDTH}"
    data = cache.get(key)
    if data is None:
        try:
            with attachment.file.open("rb") as handle, Image.open(handle) as image:
                image.draft("RGB", (THUMBNAIL_WIDTH * 2, THUMBNAIL_WIDTH * 2))  # JPEG: decode smaller
                small = ImageOps.exif_transpose(image)
                small.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
                out = io.BytesIO()
                small.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return None
        data = out.getvalue()
        cache.set(key, data, THUMBNAIL_CACHE_SECONDS)
    return data
