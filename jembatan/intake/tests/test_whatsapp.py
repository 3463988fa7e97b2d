"""WhatsApp intake: the same grammar, and media fetched only from allowed hosts, within a size limit."""

import io
import json

import pytest
from django.test import Client
from PIL import Image

from jembatan.intake.models import Outcome
from jembatan.intake.tests.conftest import WA_SECRET
from jembatan.reports.models import Channel, Report

pytestmark = pytest.mark.django_db


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(out, "JPEG")
    return out.getvalue()


def whatsapp(payload):
    return Client().post(
        "/kanal/whatsapp/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=WA_SECRET,
    )


@pytest.fixture
def media_host(server, settings):
    settings.CHANNELS_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    server.files["/media/foto.jpg"] = ("image/jpeg", jpeg())
    return server


def test_a_whatsapp_report_with_a_photo_from_an_allowed_host_gets_the_attachment(w, media_host):
    body = whatsapp(
        {
            "id": "wamid.1",
            "from": "6281266554433",
            "text": {"body": "LAPOR pohon tumbang menutup jalan di Lubuk Begalung"},
            "media": [{"url": media_host.base_url + "/media/foto.jpg", "content_type": "image/jpeg"}],
        }
    ).json()
    assert body["outcome"] == Outcome.REPORT_CREATED
    report = Report.objects.get(tracking_number=body["tracking_number"])
    assert report.channel == Channel.WHATSAPP
    attachment = report.attachments.get()
    assert attachment.content_type == "image/jpeg" and attachment.original_name == "foto.jpg"


def test_media_from_a_host_not_on_the_list_is_not_fetched_but_the_report_is_kept(w, media_host, settings):
    settings.CHANNELS_MEDIA_ALLOWED_HOSTS = ["media.gateway.example"]
    body = whatsapp(
        {
            "id": "wamid.2",
            "from": "6281266554433",
            "text": "LAPOR pohon tumbang menutup jalan di Lubuk Begalung",
            "media_urls": [media_host.base_url + "/media/foto.jpg"],
        }
    ).json()
    assert body["outcome"] == Outcome.REPORT_CREATED and "lampiran" in body["reply"]
    assert not Report.objects.get().attachments.exists()
    assert media_host.fetched == []  # the host not on the list was never even asked


def test_media_over_the_size_limit_is_refused(w, media_host, settings):
    settings.CHANNELS_MEDIA_MAX_BYTES = 100
    body = whatsapp(
        {
            "id": "wamid.3",
            "from": "6281266554433",
            "text": "LAPOR pohon tumbang menutup jalan di Lubuk Begalung",
            "media": [media_host.base_url + "/media/foto.jpg"],
        }
    ).json()
    assert body["outcome"] == Outcome.REPORT_CREATED
    assert not Report.objects.get().attachments.exists()


def test_a_file_that_is_not_an_image_does_not_cost_the_report(w, media_host):
    media_host.files["/media/virus.exe"] = ("application/octet-stream", b"MZ\x90\x00" * 100)
    body = whatsapp(
        {
            "id": "wamid.4",
            "from": "6281266554433",
            "text": "LAPOR pohon tumbang menutup jalan di Lubuk Begalung",
            "media": [media_host.base_url + "/media/virus.exe"],
        }
    ).json()
    assert body["outcome"] == Outcome.REPORT_CREATED and "Lampiran tidak dapat diterima" in body["reply"]


def test_whatsapp_status_and_help_follow_the_sms_grammar(w):
    assert (
        whatsapp({"id": "wamid.5", "from": "6281266554433", "text": "halo"}).json()["outcome"] == Outcome.HELP
    )
    answer = whatsapp({"id": "wamid.6", "from": "6281266554433", "text": "STATUS 999999999"}).json()
    assert "tidak ditemukan" in answer["reply"]


def test_a_retried_whatsapp_message_does_not_fetch_or_create_again(w, media_host):
    payload = {
        "id": "wamid.7",
        "from": "6281266554433",
        "text": "LAPOR pohon tumbang menutup jalan di Lubuk Begalung",
        "media": [media_host.base_url + "/media/foto.jpg"],
    }
    first = whatsapp(payload).json()
    again = whatsapp(payload).json()
    assert again["duplicate"] and again["tracking_number"] == first["tracking_number"]
    assert Report.objects.count() == 1
    assert media_host.fetched == ["/media/foto.jpg"]


def test_a_media_list_that_is_not_a_list_is_malformed(w):
    response = whatsapp({"id": "wamid.8", "from": "6281266554433", "text": "LAPOR x", "media": "foto.jpg"})
    assert response.status_code == 400
