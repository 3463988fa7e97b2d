"""SMS intake: the LAPOR / STATUS grammar on real-looking Indonesian texts, dedupe, auth, limits."""

import hashlib
import hmac
import json
import threading

import pytest
from django.db import connection
from django.test import Client

from jembatan.intake.actions import purge_inbound_log
from jembatan.intake.grammar import Command, parse
from jembatan.intake.models import InboundMessage, Outcome
from jembatan.intake.tests.conftest import SMS_SECRET
from jembatan.reports.models import Channel, Report
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

PHONE = "081266554433"


def sms(text, *, message_id="m-1", sender=PHONE, as_json=False, secret=SMS_SECRET):
    client = Client()
    if as_json:
        body = json.dumps({"id": message_id, "from": sender, "text": text})
        signature = "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        return client.post(
            "/kanal/sms/", body, content_type="application/json", HTTP_X_JEMBATAN_SIGNATURE=signature
        )
    return client.post(
        "/kanal/sms/",
        {"MessageSid": message_id, "From": sender, "Body": text},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("LAPOR jalan rusak di depan SDN 12 Padang", Command("lapor", "jalan rusak di depan SDN 12 Padang")),
        ("LAPOR#Sampah menumpuk di Pasar Raya", Command("lapor", "Sampah menumpuk di Pasar Raya")),
        ("lapor: air PDAM mati 3 hari", Command("lapor", "air PDAM mati 3 hari")),
        ("Lapor\nlampu jalan padam", Command("lapor", "lampu jalan padam")),
        ("STATUS 123456789", Command("status", "123456789")),
        ("status#123456789", Command("status", "123456789")),
        ("cek #123456789", Command("status", "123456789")),
        ("STATUS", Command("status", "")),
        ("LAPORAN saya belum dibalas", Command("help")),
        ("Selamat pagi pak", Command("help")),
        ("", Command("help")),
    ],
)
def test_the_grammar_reads_indonesian_texts(text, expected):
    assert parse(text) == expected


def test_lapor_creates_a_report_and_replies_with_its_tracking_number(w):
    response = sms("LAPOR jalan rusak di depan SDN 12 Padang")
    assert response.status_code == 200
    body = response.json()
    report = Report.objects.get(tracking_number=body["tracking_number"])
    assert body["outcome"] == Outcome.REPORT_CREATED
    assert report.tracking_number in body["reply"]
    assert (report.channel, report.reporter_phone) == (Channel.SMS, "6281266554433")
    assert report.description == "jalan rusak di depan SDN 12 Padang"
    assert report.title == "jalan rusak di depan SDN 12 Padang"


def test_a_long_text_gets_a_title_of_its_first_words(w):
    text = (
        "LAPOR#Sudah tiga minggu sampah di TPS Jalan Veteran tidak diangkut petugas, baunya menyengat "
        "dan banyak lalat, mohon segera ditindaklanjuti"
    )
    body = sms(text, as_json=True).json()
    report = Report.objects.get(tracking_number=body["tracking_number"])
    assert report.title == "Sudah tiga minggu sampah di TPS Jalan Veteran tidak diangkut"
    assert len(report.title) <= 60


def test_a_report_too_short_gets_a_friendly_explanation_and_no_report(w):
    body = sms("LAPOR jalan rusak").json()
    assert body["outcome"] == Outcome.REJECTED
    assert "terlalu pendek" in body["reply"] and "LAPOR jalan rusak di depan SDN 12 Padang" in body["reply"]
    assert not Report.objects.exists()


def test_a_sender_that_is_not_a_phone_number_is_told_why(w):
    body = sms("LAPOR jalan rusak di depan SDN 12 Padang", sender="INFO").json()
    assert body["outcome"] == Outcome.REJECTED and "ponsel" in body["reply"]
    assert not Report.objects.exists()


def test_status_answers_for_a_public_report(w):
    report = rf.disposed(w)
    body = sms(f"STATUS {report.tracking_number}", message_id="m-2").json()
    assert body["outcome"] == Outcome.STATUS
    assert "Terverifikasi & Terdisposisi" in body["reply"]


def test_status_of_a_confidential_report_answers_only_the_reporters_own_phone(w):
    report = rf.submit(w, actor=None, reporter_phone="0812 6655 4433", is_confidential=True)
    mine = sms(f"STATUS {report.tracking_number}", message_id="m-3", sender="+62 812-6655-4433").json()
    assert "Belum Terverifikasi" in mine["reply"]
    other = sms(f"STATUS {report.tracking_number}", message_id="m-4", sender="081399990000").json()
    assert "tidak ditemukan" in other["reply"]
    missing = sms("STATUS 111111111", message_id="m-5", sender="081399990000").json()
    assert other["reply"].replace(report.tracking_number, "#") == missing["reply"].replace("111111111", "#")


def test_anything_else_gets_the_help_text(w):
    body = sms("Pak, jalan di kampung saya rusak").json()
    assert body["outcome"] == Outcome.HELP and "LAPOR" in body["reply"] and "STATUS" in body["reply"]


def test_a_gateway_retry_with_the_same_message_id_creates_nothing_new(w):
    first = sms("LAPOR jalan rusak di depan SDN 12 Padang", message_id="gw-77").json()
    again = sms("LAPOR jalan rusak di depan SDN 12 Padang", message_id="gw-77").json()
    assert again["duplicate"] is True and again["reply"] == first["reply"]
    assert Report.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_wrong_secret_or_signature_is_refused(w):
    assert sms("LAPOR jalan rusak di depan SDN 12 Padang", secret="salah").status_code == 401
    assert sms("LAPOR jalan rusak di depan SDN 12 Padang", secret="salah", as_json=True).status_code == 401
    assert not InboundMessage.objects.exists()


def test_the_webhook_is_off_until_its_secret_is_set(w, settings):
    settings.CHANNELS_SMS_SECRET = ""
    assert sms("LAPOR jalan rusak di depan SDN 12 Padang").status_code == 404


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{bukan json", "application/json"),
        ('["daftar"]', "application/json"),
        ('{"id": "x1", "text": "LAPOR tanpa pengirim"}', "application/json"),
        ('{"id": "x1", "from": {"nomor": 1}, "text": "LAPOR"}', "application/json"),
        ("<xml/>", "application/xml"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_a_malformed_payload_is_a_logged_400_never_a_500(w, body, content_type, caplog):
    response = Client().post(
        "/kanal/sms/", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {SMS_SECRET}"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"
    assert "Malformed inbound sms webhook" in caplog.text


def test_one_sender_flooding_the_gateway_is_throttled(w, settings):
    settings.API_THROTTLE_RATES = {"inbound_sender": "2/hour"}
    statuses = [sms("halo", message_id=f"f-{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert sms("halo", message_id="f-9", sender="081300000001").status_code == 200


def test_get_is_not_allowed(w):
    assert Client().get("/kanal/sms/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_a_gateway_retrying_while_the_first_delivery_is_still_running_makes_one_report(settings):
    settings.CHANNELS_SMS_SECRET = SMS_SECRET
    rf.build_world()
    barrier = threading.Barrier(2)
    answers = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            answers.append(sms("LAPOR jalan rusak di depan SDN 12 Padang", message_id="gw-race").json())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 2
    assert {a["tracking_number"] for a in answers} == {Report.objects.get().tracking_number}
    assert sorted(a["duplicate"] for a in answers) == [False, True]


def test_the_intake_log_is_forgotten_after_its_retention(w, time_machine, settings):
    settings.CHANNELS_LOG_RETENTION_DAYS = 30
    time_machine.move_to("2026-03-02 09:00 +07:00")
    sms("LAPOR jalan rusak di depan SDN 12 Padang", message_id="lama")
    time_machine.move_to("2026-03-31 09:00 +07:00")
    sms("halo", message_id="baru")
    assert purge_inbound_log() == 0
    time_machine.move_to("2026-04-02 09:00 +07:00")
    assert purge_inbound_log() == 1
    assert list(InboundMessage.objects.values_list("message_id", flat=True)) == ["baru"]
    assert Report.objects.count() == 1  # the report itself stays
