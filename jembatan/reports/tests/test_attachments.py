"""Attachments: type from the content, images re-encoded without EXIF/GPS, nothing half-saved."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from jembatan.reports import actions
from jembatan.reports.actions import _common
from jembatan.reports.models import Attachment, Report
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def jpeg_with_gps():
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "KameraWarga"  # Make
    exif[0x8825] = {1: "S", 2: (0.0, 57.0, 0.0), 3: "E", 4: (100.0, 21.0, 0.0)}  # GPS: Padang
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def w():
    return f.build_world()


def test_photo_is_stored_without_its_exif_and_gps(w):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    report = f.submit(w, attachments=[upload("IMG_2041.jpg", original, "image/jpeg")])
    attachment = report.attachments.get()
    stored = attachment.file.read()
    image = Image.open(io.BytesIO(stored))
    assert attachment.content_type == "image/jpeg" and image.size == (64, 48)
    assert not image.getexif()  # no Make, no GPS: nothing that locates the citizen
    assert attachment.original_name == "IMG_2041.jpg"
    assert "IMG_2041" not in attachment.file.name  # stored under a random name


SECRET = "Rumah Budi Santoso, Jl. Melati 12"


def with_metadata(fmt):
    """An image carrying a comment / text chunk, XMP, an ICC profile and EXIF, all naming SECRET."""
    image = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = SECRET  # ImageDescription
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>{SECRET}</rdf:Description></x:xmpmeta>'
    icc = b"\x00" * 128 + SECRET.encode()  # not a valid profile: only what is copied matters here
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", comment=SECRET.encode(), exif=exif, xmp=xmp.encode(), icc_profile=icc)
    elif fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", SECRET)
        info.add_itxt("XML:com.adobe.xmp", xmp)
        image.save(out, "PNG", pnginfo=info, exif=exif, icc_profile=icc)
    else:
        image.save(out, "WEBP", exif=exif, xmp=xmp.encode(), icc_profile=icc)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_every_kind_of_image_metadata_is_stripped(w, fmt, content_type):
    # Finding 11 of issue 12: a JPEG comment segment survived the re-encoding.
    original = with_metadata(fmt)
    assert SECRET.encode() in original
    report = f.submit(w, attachments=[upload(f"foto.{fmt.lower()}", original)])
    attachment = report.attachments.get()
    stored = attachment.file.read()
    assert attachment.content_type == content_type
    assert SECRET.encode() not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.size == (40, 30)
    assert not image.getexif() and "comment" not in image.info and "icc_profile" not in image.info
    assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info


def test_pdf_is_kept_as_sent(w):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    report = f.submit(w, attachments=[upload("surat.pdf", pdf)])
    assert report.attachments.get().file.read() == pdf


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("foto.jpg", b"<script>alert(1)</script>", "bad_type"),  # the name lies
        ("dokumen.pdf", b"MZ\x90\x00 an executable", "bad_type"),
        ("rusak.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "bad_type"),
        ("potong.pdf", b"%PDF-1.4 truncated", "bad_type"),
        ("besar.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024), "too_large"),
    ],
)
def test_fake_or_oversized_file_is_refused_and_no_report_is_created(w, name, content, code):
    before = Report.objects.count()
    with pytest.raises(actions.ReportError) as refused:
        f.submit(w, attachments=[upload(name, content)])
    assert refused.value.field == "attachments" and refused.value.code == code
    assert name in refused.value.message
    assert Report.objects.count() == before and not Attachment.objects.exists()


def test_more_than_five_files_are_refused(w):
    files = [upload(f"{i}.pdf", b"%PDF-1.4\n%%EOF\n") for i in range(6)]
    with pytest.raises(actions.ReportError, match="5 lampiran"):
        f.submit(w, attachments=files)


def test_files_written_inside_a_failed_transaction_are_removed(w):
    from django.db import transaction

    report = f.submit(w)
    uploads = _common._read_uploads([upload("foto.jpg", jpeg_with_gps())])
    with pytest.raises(RuntimeError), _common._FileGuard() as guard, transaction.atomic():
        (attachment,) = _common._store_attachments(
            report, uploads, uploaded_by=None, event=None, visibility="public", guard=guard
        )
        storage, name = attachment.file.storage, attachment.file.name
        assert storage.exists(name)
        raise RuntimeError("the action failed after writing the file")
    assert not storage.exists(name)
    assert not Attachment.objects.exists()
