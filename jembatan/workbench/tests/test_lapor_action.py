"""The workbench's "Kirim ke SP4N-LAPOR!" (issue 16): the verifier's entry point to
federation.actions.send_to_lapor. Offered only where the action would accept it; a confidential
report is never offered and a forged POST is refused with nothing queued."""

import pytest
from django.urls import reverse

from jembatan.federation import actions as federated
from jembatan.federation.models import FederationMessage, Link, MessageKind
from jembatan.reports import actions
from jembatan.reports.models import Classification
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

BUTTON = "Kirim ke SP4N-LAPOR!"


@pytest.fixture
def lw(w, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the endpoint below is never contacted: nothing delivers here
    settings.WEBHOOK_ALLOW_HTTP = True
    federated.register_instance(slug="sumbar", name="Jembatan Sumbar", is_self=True)
    w.lapor = federated.register_lapor_peer(
        slug="lapor", name="SP4N-LAPOR!", endpoint="http://127.0.0.1:9/api/integrasi/laporan", token="t"
    )
    return w


def verified(w, **overrides):
    report = f.submit(w, **overrides)
    return actions.verify_report(
        report=report, actor=w.verifier, classification=Classification.PENGADUAN_BERKADAR_PENGAWASAN
    )


def page(client, report):
    return client.get(reverse("workbench:report", args=[report.tracking_number])).content.decode()


def send(client, report):
    return client.post(reverse("workbench:send-lapor", args=[report.tracking_number]))


def test_the_verifier_sends_a_verified_report_once_from_its_page(lw, client):
    report = verified(lw)
    client.force_login(lw.verifier)
    assert BUTTON in page(client, report)

    response = send(client, report)

    assert response.status_code == 302
    message = FederationMessage.objects.get()
    assert (message.kind, message.destination) == (MessageKind.LAPOR_REPORT, lw.lapor)
    assert BUTTON not in page(client, report)  # sent: not offered again
    assert send(client, report).status_code == 400  # a second POST is refused, nothing more queued
    assert FederationMessage.objects.count() == 1


def test_a_confidential_report_is_not_offered_and_a_forged_post_queues_nothing(lw, client):
    report = verified(lw, is_confidential=True)
    client.force_login(lw.verifier)
    assert BUTTON not in page(client, report)

    response = send(client, report)

    assert response.status_code == 400
    assert "Laporan rahasia tidak dikirim ke SP4N-LAPOR!" in response.content.decode()
    assert not FederationMessage.objects.exists() and not Link.objects.exists()


def test_an_unverified_report_is_not_offered_and_nothing_without_a_lapor_peer(lw, client):
    client.force_login(lw.verifier)
    assert BUTTON not in page(client, f.submit(lw))
    report = verified(lw)
    lw.lapor.is_active = False
    lw.lapor.save(update_fields=["is_active"])
    assert BUTTON not in page(client, report)


def test_a_liaison_cannot_send(lw, client):
    report = verified(lw)
    client.force_login(lw.liaison_pupr)
    assert send(client, report).status_code in (403, 404)
    assert not FederationMessage.objects.exists()
