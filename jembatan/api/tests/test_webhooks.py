"""Outgoing webhooks: registration, which events reach whom, signed delivery, retries, the log."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff
from jembatan.api import actions as api_actions
from jembatan.api import webhooks
from jembatan.api.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from jembatan.reports import actions
from jembatan.reports.models import Disposition
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

ALL_EVENTS = [e.value for e in WebhookEvent]


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    # The receiving server in these tests listens on 127.0.0.1, which production refuses.
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_ALLOW_HTTP = True


def subscribe(w, agency, url="https://simpupr.padang.go.id/hook", events=ALL_EVENTS):
    return api_actions.subscribe_webhook(actor=w.admin_nasional, agency=agency, url=url, events=events)


def test_an_agency_key_registers_a_webhook_and_sees_the_secret_once(pupr_key, w):
    response = pupr_key.post(
        "/api/v1/staff/webhooks/",
        {"agency": "padang-pupr", "url": "https://simpupr.padang.go.id/hook", "events": ["report.disposed"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["secret"].startswith("whsec_")
    listed = pupr_key.get("/api/v1/staff/webhooks/").json()
    assert [h["url"] for h in listed] == ["https://simpupr.padang.go.id/hook"]
    assert "secret" not in listed[0]
    assert pupr_key.delete(f"/api/v1/staff/webhooks/{listed[0]['id']}/").status_code == 204
    assert pupr_key.get("/api/v1/staff/webhooks/").json() == []


def test_a_key_cannot_register_for_an_agency_outside_its_scope(pupr_key, w):
    response = pupr_key.post(
        "/api/v1/staff/webhooks/",
        {"agency": "padang-dinkes", "url": "https://x.example/hook", "events": ["report.disposed"]},
        format="json",
    )
    assert response.status_code == 403


def test_urls_inside_our_network_or_without_tls_are_refused(w, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    settings.WEBHOOK_ALLOW_HTTP = False
    for url in (
        "http://simpupr.padang.go.id/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/x",
        "https://localhost/",
    ):
        with pytest.raises(actions.ReportError):
            subscribe(w, w.pupr, url=url)


def test_a_disposal_reaches_the_agency_it_went_to_and_no_other(w):
    pupr_hook, _secret = subscribe(w, w.pupr)
    dinkes_hook, _secret = subscribe(w, w.dinkes)
    padang_hook, _secret = subscribe(w, w.padang)  # the whole city government's subtree
    report = rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    deliveries = WebhookDelivery.objects.filter(event_type=WebhookEvent.DISPOSED)
    assert {d.subscription_id for d in deliveries} == {pupr_hook.pk, padang_hook.pk}
    payload = deliveries.get(subscription=pupr_hook).payload
    assert payload["report"]["tracking_number"] == report.tracking_number
    assert payload["data"]["disposition"]["agency"] == "padang-pupr"
    assert "Siti" not in json.dumps(payload) and "siti@example.id" not in json.dumps(payload)


def test_finished_deliveries_are_forgotten_after_the_retention_and_never_queued_again(w, settings):
    import datetime as dt

    from django.utils import timezone

    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    subscribe(w, w.pupr)
    rf.disposed(w)
    rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    sent, pending = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=sent.pk).update(status="sent")
    later = timezone.now() + dt.timedelta(days=31)
    assert api_actions.purge_webhook_deliveries(now=later - dt.timedelta(days=2)) == 0  # not old enough
    assert api_actions.purge_webhook_deliveries(now=later) == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [pending.pk]  # pending stays
    assert api_actions.queue_webhook_deliveries(now=later) == 0


def test_polling_again_queues_nothing_twice(w):
    subscribe(w, w.pupr)
    rf.disposed(w)
    first = api_actions.queue_webhook_deliveries()
    second = api_actions.queue_webhook_deliveries()
    assert first == 1 and second == 0
    assert WebhookDelivery.objects.count() == 1


def test_a_new_subscription_hears_nothing_of_the_past(w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00")
    rf.disposed(w)
    time_machine.move_to("2026-03-02 09:01 +07:00")
    subscribe(w, w.pupr)
    assert api_actions.queue_webhook_deliveries() == 0


def test_a_reporter_reply_and_an_sla_breach_reach_the_working_agency(w, time_machine):
    time_machine.move_to("2026-03-02 09:00 +07:00")
    hook, _secret = subscribe(w, w.pupr)
    report = rf.in_progress(w)
    actions.reply_as_reporter(report=report, actor=w.citizen, text="Belum ada perubahan di lapangan.")
    disposition = Disposition.objects.get(report=report)
    time_machine.move_to(disposition.completion_due_at + timedelta(hours=1))
    while True:
        disposition.refresh_from_db()
        if disposition.next_check_at is None or disposition.next_check_at > timezone.now():
            break
        actions.check_disposition_deadlines(disposition=disposition)
    api_actions.queue_webhook_deliveries()
    types = set(WebhookDelivery.objects.filter(subscription=hook).values_list("event_type", flat=True))
    assert types == {WebhookEvent.DISPOSED, WebhookEvent.REPORTER_REPLIED, WebhookEvent.SLA_BREACHED}


def test_a_delivery_is_signed_and_the_signature_checks_out(w, server):
    hook, secret = subscribe(w, w.pupr, url=server.base_url + "/terima")
    rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) is True
    path, headers, body = server.received[0]
    assert path == "/terima"
    assert headers["X-Jembatan-Event"] == "report.disposed"
    assert webhooks.verify_signature(secret, headers["X-Jembatan-Signature"], body)
    assert not webhooks.verify_signature("whsec_lain", headers["X-Jembatan-Signature"], body)
    assert not webhooks.verify_signature(secret, headers["X-Jembatan-Signature"], body + b" ")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, delivery.attempts) == (DeliveryStatus.SENT, 200, 1)
    assert webhooks.deliver(delivery.pk) is False  # already sent: nothing goes out twice
    assert len(server.received) == 1


def test_an_old_signature_is_refused_by_the_receivers_check():
    body = b'{"id":"evt_1"}'
    header = webhooks.sign("whsec_x", 1_000_000, body)
    assert webhooks.verify_signature("whsec_x", header, body, now=1_000_100)
    assert not webhooks.verify_signature("whsec_x", header, body, now=1_000_000 + 3600)


def test_a_failing_receiver_is_retried_with_backoff_until_it_gives_up(w, server, settings, time_machine):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    time_machine.move_to("2026-03-02 09:00 +07:00", tick=False)
    subscribe(w, w.pupr, url=server.base_url + "/rusak")
    server.statuses = [500, 503, 500]
    rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    delivery = WebhookDelivery.objects.get()
    assert webhooks.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status == 500
    assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=1)
    assert webhooks.deliver_due() == 0  # not due yet
    time_machine.shift(timedelta(minutes=1))
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == timezone.now() + timedelta(minutes=5)
    time_machine.shift(timedelta(minutes=5))
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert api_actions.resend_webhook_deliveries(deliveries=[delivery], actor=None) == 1
    assert webhooks.deliver(delivery.pk) is True
    assert len(server.received) == 4


def test_the_admin_shows_the_delivery_log(client, w):
    # A national report reader: the delivery log carries report content (issue 12, finding 2).
    superuser = make_staff(Role.ADMIN_NASIONAL, username="root", is_staff=True, is_superuser=True)
    subscribe(w, w.pupr)
    rf.disposed(w)
    api_actions.queue_webhook_deliveries()
    client.force_login(superuser)
    page = client.get("/admin/api/webhookdelivery/")
    assert page.status_code == 200
    assert "report.disposed" in page.content.decode()
    assert client.get("/admin/api/apikey/add/").status_code == 200
    added = client.post(
        "/admin/api/webhooksubscription/add/",
        {"agency": w.dinkes.pk, "url": "https://simkes.padang.go.id/hook", "events": ["report.sla_breached"]},
    )
    assert added.status_code == 302
    assert WebhookSubscription.objects.get(agency=w.dinkes).events == ["report.sla_breached"]
    assert client.get("/admin/api/webhooksubscription/").status_code == 200


def test_the_cursor_moves_on_through_a_burst_bigger_than_one_batch(w, monkeypatch):
    monkeypatch.setattr(api_actions, "POLL_BATCH", 1)
    subscribe(w, w.pupr)
    for _ in range(3):
        rf.disposed(w)
    queued = [api_actions.queue_webhook_deliveries() for _ in range(4)]
    assert queued == [1, 1, 1, 0]
    assert WebhookDelivery.objects.count() == 3
