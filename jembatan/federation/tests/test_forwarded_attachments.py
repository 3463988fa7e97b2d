"""Attachments forwarded with a report: packed inline in the signed message, checked and stored once.

This database plays "sumbar" (the fixture of test_federation): as the origin it disposes a report
with files to the ministry on "pu"; as the holder it receives the hub's report_forwarded with files.
"""

import base64
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jembatan.federation import actions as federated
from jembatan.federation.models import FederationMessage, ReceivedMessage
from jembatan.federation.tests.test_federation import HUB_KEY, envelope, forwarded, send, verified
from jembatan.federation.tests.test_federation import w as w  # noqa: F401  (the fixture)
from jembatan.reports.models import Attachment, Report, Visibility

pytestmark = pytest.mark.django_db


def png(color=(200, 30, 30), size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(content, name="foto.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def wired(content, name="foto.png", **changes):
    return {"name": name, "content_type": "image/png", "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "data": base64.b64encode(content).decode(),
            **changes}  # fmt: skip


# --- The origin ---------------------------------------------------------------------------------------------


def test_the_reporters_files_travel_inline_with_their_hash_and_internal_ones_stay(w):
    files = [upload(png()), upload(png((0, 90, 0)), "kedua.png"), upload(png((0, 0, 200)), "internal.png")]
    report = verified(w, attachments=files)
    # An officers-only file (as an internal note's would be) is never sent to another instance.
    Attachment.objects.filter(report=report, original_name="internal.png").update(
        visibility=Visibility.INTERNAL
    )
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    payload = FederationMessage.objects.get().payload
    stored = {a.sha256: a for a in report.attachments.exclude(visibility=Visibility.INTERNAL)}
    assert len(payload["attachments"]) == 2 and payload["attachments_withheld"] == []
    for item in payload["attachments"]:
        content = base64.b64decode(item["data"])
        assert hashlib.sha256(content).hexdigest() == item["sha256"] and item["sha256"] in stored
        assert content == stored[item["sha256"]].file.open("rb").read()
    assert "internal.png" not in str(payload)


def test_files_past_the_cap_are_listed_but_not_sent(w, settings):
    first, second = png(), png((0, 90, 0), size=(300, 200))
    report = verified(w, attachments=[upload(first), upload(second, "besar.png")])
    stored = list(report.attachments.order_by("pk"))
    settings.FEDERATION_MAX_ATTACHMENT_BYTES = stored[0].size  # room for the first one only
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    payload = FederationMessage.objects.get().payload
    assert [a["sha256"] for a in payload["attachments"]] == [stored[0].sha256]
    assert [(a["name"], a["sha256"]) for a in payload["attachments_withheld"]] == [
        ("besar.png", stored[1].sha256)
    ]
    assert "data" not in payload["attachments_withheld"][0]


# --- The holder ---------------------------------------------------------------------------------------------


def test_forwarded_files_are_stored_once_with_the_copy_whatever_the_redeliveries(w, client):
    content = png()
    message = envelope(
        "report_forwarded", 1, forwarded(w, attachments=[wired(content), wired(content, "sama.png")])
    )
    for _attempt in range(3):
        assert send(client, "hub", HUB_KEY, message).json()["result"] in ("applied", "duplicate")
    report = Report.objects.get()
    item = Attachment.objects.get()
    assert item.report == report and item.visibility == Visibility.REPORTER
    assert item.content_type == "image/png" and item.uploaded_by == w.hub.user
    with Image.open(item.file.open("rb")) as image:
        assert image.size == (40, 30)
    # The dedupe row keeps what arrived, not the bytes.
    kept = ReceivedMessage.objects.get().payload["attachments"]
    assert kept[0]["sha256"] == hashlib.sha256(content).hexdigest() and "data" not in kept[0]


@pytest.mark.parametrize(
    "bad",
    [
        lambda c: wired(c, sha256="0" * 64),  # not the file its hash names
        lambda c: wired(b"<html><script>alert(1)</script></html>"),  # not an image or a PDF
        lambda c: wired(c, data="bukan base64!"),
    ],
)
def test_a_bad_file_refuses_the_forward_and_stores_nothing(w, client, bad):
    message = envelope("report_forwarded", 1, forwarded(w, attachments=[bad(png())]))
    assert send(client, "hub", HUB_KEY, message).json()["result"] == "rejected"
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_a_message_larger_than_the_body_limit_is_refused_unread(w, client, settings):
    settings.FEDERATION_MAX_BODY_BYTES = 2000
    big = png((1, 2, 3), size=(200, 200)) + b"\0" * 3000
    message = envelope("report_forwarded", 1, forwarded(w, attachments=[wired(big)]))
    assert send(client, "hub", HUB_KEY, message).status_code == 413
    assert not ReceivedMessage.objects.exists()


def test_the_copys_files_are_for_its_officers_only_never_the_public(w, client):
    message = envelope("report_forwarded", 1, forwarded(w, attachments=[wired(png())], is_confidential=True))
    send(client, "hub", HUB_KEY, message)
    item = Attachment.objects.get()
    assert client.get(f"/lampiran/{item.pk}/").status_code == 404
    client.force_login(w.liaison_dinkes)  # an officer of another agency
    assert client.get(f"/lampiran/{item.pk}/").status_code == 404
    client.force_login(w.verifier)  # the copy's verifier (Pemkot Padang)
    response = client.get(f"/lampiran/{item.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def _png_claiming(width, height):
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb's shape)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_forwarded_image_claiming_huge_dimensions_is_refused_without_decoding(w, client):
    message = envelope("report_forwarded", 1, forwarded(w, attachments=[wired(_png_claiming(60000, 60000))]))
    assert send(client, "hub", HUB_KEY, message).json()["result"] == "rejected"
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_a_forwarded_file_name_cannot_choose_where_it_is_stored(w, client):
    hostile = "../../../../etc/" + "a" * 300 + "\\..\\passwd.png"
    message = envelope("report_forwarded", 1, forwarded(w, attachments=[wired(png(), name=hostile)]))
    assert send(client, "hub", HUB_KEY, message).json()["result"] == "applied"
    item = Attachment.objects.get()
    assert ".." not in item.file.name and "passwd" not in item.file.name
    assert item.file.name.startswith("attachments/")
    assert "/" not in item.original_name and "\\" not in item.original_name and len(item.original_name) <= 200
