"""Webhook SSRF (issue 12, finding 5): only global unicast destinations, resolved once, the
connection pinned to the checked address, no redirects. Every request here stays on 127.0.0.1."""

import socket

import pytest

from jembatan.api import actions as api_actions
from jembatan.api import webhooks
from jembatan.api.models import DeliveryStatus, WebhookDelivery
from jembatan.api.tests.httpserver import LocalServer
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    with LocalServer() as local:
        yield local


@pytest.fixture(autouse=True)
def _http_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_LOOPBACK = False


@pytest.mark.parametrize(
    "url",
    [
        "https://100.64.0.1/hook",  # carrier-grade NAT (RFC 6598)
        "https://100.127.255.254/hook",
        "https://[2002:c0a8:0101::1]/hook",  # 6to4 wrapping 192.168.1.1
        "https://[2002:0808:0808::1]/hook",  # 6to4 even around a global address
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private address
        "https://[fd00::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/hook",
        "https://127.0.0.1/hook",
        "https://198.51.100.7/hook",  # documentation range: not global
        "https://localhost/hook",
    ],
)
def test_a_webhook_to_an_address_that_is_not_global_unicast_is_refused(url):
    assert webhooks.url_problem(url, resolve=True) != ""


def test_a_global_unicast_address_is_accepted_without_connecting_to_it():
    assert webhooks.url_problem("https://8.8.8.8/hook", resolve=True) == ""


def test_loopback_is_refused_unless_the_development_setting_allows_it(settings):
    assert webhooks.url_problem("http://127.0.0.1:9/hook") != ""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert webhooks.url_problem("http://127.0.0.1:9/hook") == ""
    assert webhooks.url_problem("http://10.0.0.1/hook") != ""  # loopback only, nothing else


def _queued_delivery(w, url):
    api_actions.subscribe_webhook(actor=w.admin_nasional, agency=w.pupr, url=url, events=["report.disposed"])
    rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    return WebhookDelivery.objects.get()


def test_a_name_is_resolved_once_and_the_connection_goes_to_the_checked_address(
    w, server, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    port = server.httpd.server_address[1]
    real = socket.getaddrinfo
    answers = []

    def rebinding_dns(host, *args, **kwargs):
        # An attacker's DNS: the first answer passes the check, later ones point elsewhere
        # (127.0.0.2, where nothing listens, standing in for an internal machine).
        if host != "hook.example":
            return real(host, *args, **kwargs)
        address = "127.0.0.1" if not answers else "127.0.0.2"
        answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    delivery = _queued_delivery(w, f"http://hook.example:{port}/terima")

    assert webhooks.deliver(delivery.pk) is True
    assert answers == ["127.0.0.1"]  # one look-up
    path, headers, _body = server.received[0]
    assert path == "/terima" and headers["Host"] == f"hook.example:{port}"
    assert headers["Idempotency-Key"] == f"jembatan-webhook-{delivery.pk}"


def test_a_redirect_is_a_failure_and_is_not_followed(w, server, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    server.statuses = [302]
    delivery = _queued_delivery(w, server.base_url + "/pindah")

    assert webhooks.deliver(delivery.pk) is False

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.PENDING, 302)
    assert len(server.received) == 1 and server.fetched == []


def test_a_subscription_whose_name_now_points_inside_is_not_delivered(w, server, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]
            if host == "hook.example"
            else real(host, *a, **k)
        ),
    )
    delivery = _queued_delivery(w, "https://hook.example/terima")  # accepted by name at registration

    assert webhooks.deliver(delivery.pk) is False

    delivery.refresh_from_db()
    assert "jaringan internal" in delivery.last_error or "internal network" in delivery.last_error
    assert server.received == []
