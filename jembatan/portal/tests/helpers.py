"""Small builders for portal tests: a valid submit form, uploads, reports driven through actions."""

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

XSS_PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">klik</a>',
    "{{ 7*7 }}{% csrf_token %}",
    "</textarea><script>alert(2)</script>",
]


def form_data(**overrides):
    data = {
        "token": str(uuid.uuid4()),
        "kind": "pengaduan",
        "title": "Jalan berlubang di depan SDN 12",
        "description": "Jalan di depan SDN 12 Padang berlubang besar sejak dua minggu, berbahaya.",
        "prov": "13",
        "kab": "13.71",
        "kec": "13.71.01",
        "desa": "13.71.01.1001",
        "reporter_email": "tamu@example.id",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def png_bytes(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def upload(name="foto.png", content=None, content_type="image/png"):
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type=content_type)
