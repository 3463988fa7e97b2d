"""The SMS/WhatsApp providers against real files and a real HTTP server."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jembatan.notify import delivery
from jembatan.notify.channels import DeliveryError, FileProvider, HttpProvider, TextMessage, provider_for
from jembatan.notify.checks import check_text_providers
from jembatan.notify.models import NotificationStatus
from jembatan.notify.tests.factories import make_guest_report, make_report, make_user
from jembatan.reports import notifications

MESSAGE = TextMessage(to="6281277778888", text="Laporan #123 — “diterima”", channel="sms", reference="ref-1")


def test_the_file_provider_appends_one_json_line_per_message(tmp_path):
    provider = FileProvider(tmp_path / "outbox" / "sms.jsonl")

    provider.send(MESSAGE)
    provider.send(TextMessage(to="6281299990000", text="kedua", channel="sms", reference="ref-2"))

    lines = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["to"] for line in lines] == ["6281277778888", "6281299990000"]
    assert json.loads(lines[0])["text"] == "Laporan #123 — “diterima”"


def test_the_http_provider_posts_json_with_the_bearer_token(gateway):
    provider = HttpProvider(gateway.url, "rahasia-token", timeout=5)

    message_id = provider.send(MESSAGE)

    [request] = gateway.requests
    assert message_id == "gw-1"
    assert request["path"] == "/send"
    assert request["headers"]["Authorization"] == "Bearer rahasia-token"
    assert request["headers"]["Idempotency-Key"] == "ref-1"
    assert request["json"] == {
        "to": "6281277778888", "text": "Laporan #123 — “diterima”", "channel": "sms", "reference": "ref-1",
        "template": "", "language": "",
    }  # fmt: skip


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_the_http_provider_raises_on_an_error_status(gateway, status):
    gateway.statuses = [status]

    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        HttpProvider(gateway.url, "t").send(MESSAGE)


def test_the_http_provider_does_not_follow_a_redirect(gateway):
    gateway.statuses = [302]

    with pytest.raises(DeliveryError, match="HTTP 302"):
        HttpProvider(gateway.url, "t").send(MESSAGE)

    assert [r["json"] for r in gateway.requests] == [
        json.loads(json.dumps(MESSAGE.__dict__))
    ]  # no GET replay


def test_the_http_provider_raises_when_nobody_listens(gateway):
    url = gateway.url
    gateway.server.shutdown()
    gateway.server.server_close()

    with pytest.raises(DeliveryError, match="Cannot reach"):
        HttpProvider(url, "t", timeout=2).send(MESSAGE)


def test_the_http_provider_refuses_a_non_http_url():
    with pytest.raises(ImproperlyConfigured):
        HttpProvider("file:///etc/passwd")


def test_providers_are_chosen_by_settings(settings, tmp_path):
    settings.NOTIFY_SMS_PROVIDER = "file"
    settings.NOTIFY_WHATSAPP_PROVIDER = "http"
    settings.NOTIFY_WHATSAPP_HTTP_URL = "https://wa.contoh.id/kirim"
    settings.NOTIFY_WHATSAPP_HTTP_TOKEN = "wa"

    sms, whatsapp = provider_for("sms"), provider_for("whatsapp")

    assert isinstance(sms, FileProvider) and sms.path == settings.VAR_DIR / "outbox" / "sms.jsonl"
    assert isinstance(whatsapp, HttpProvider) and whatsapp.url == "https://wa.contoh.id/kirim"
    settings.NOTIFY_SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        provider_for("sms")


@pytest.mark.django_db
def test_in_development_sms_and_whatsapp_land_in_var_outbox(settings):
    report = make_guest_report(reporter_email="", reporter_phone="081277778888")
    whatsapp_user = make_user(email="", phone="081299990000", notify_by_whatsapp=True)
    rows = notifications.notify_reporter(report=report, template="report_verified")
    rows += notifications.notify_reporter(
        report=make_report(reporter=whatsapp_user), template="report_verified"
    )

    for row in rows:
        assert delivery.deliver(row.pk) is True

    outbox = settings.VAR_DIR / "outbox"
    [sms] = [json.loads(line) for line in (outbox / "sms.jsonl").read_text().splitlines()]
    [wa] = [json.loads(line) for line in (outbox / "whatsapp.jsonl").read_text().splitlines()]
    assert (sms["to"], wa["to"]) == ("6281277778888", "6281299990000")
    assert report.tracking_number in sms["text"] and sms["template"] == "report_verified"
    for row in rows:
        row.refresh_from_db()
        assert (
            row.status == NotificationStatus.SENT
            and row.provider_message_id == f"file:jembatan-notify-{row.pk}"
        )


def test_system_checks_flag_a_missing_gateway_url_and_a_file_provider_in_production(settings):
    settings.NOTIFY_SMS_PROVIDER = "http"
    settings.NOTIFY_SMS_HTTP_URL = ""
    settings.NOTIFY_WHATSAPP_PROVIDER = "file"
    settings.DEVELOPMENT = False

    assert sorted(problem.id for problem in check_text_providers()) == ["notify.E002", "notify.I001"]
    with pytest.raises(SystemCheckError):
        call_command("check")

    settings.NOTIFY_SMS_HTTP_URL = "https://sms.contoh.id/kirim"
    settings.DEVELOPMENT = True
    assert check_text_providers() == []
