"""Federation through its stable interfaces: the actions that write the outbox, and the signed endpoint.

One database plays this instance ("sumbar"); the peers ("hub", "pu") are played by signing
envelopes with the key each pair shares, exactly as delivery.post() does.
"""

import json
import time
import uuid
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction

from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency
from jembatan.federation import actions as federated
from jembatan.federation import delivery, wire
from jembatan.federation.models import FederationMessage, Link, LinkRole, MessageKind, ReceivedMessage
from jembatan.reports import actions
from jembatan.reports.models import Classification, DispositionStatus, Report, Status
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

HUB_KEY, PU_KEY = "kunci-hub-sumbar", "kunci-pu-sumbar"
IDENTITY = ("Siti Rahmawati", "siti@example.id", "081234567890", "warga")


@pytest.fixture
def w(db):
    w = f.build_world()
    w.ministry = make_agency("Kementerian PU", kind=AgencyKind.KEMENTERIAN_LEMBAGA, code="kemen-pu")
    w.me = federated.register_instance(slug="sumbar", name="Jembatan Sumbar", is_self=True)
    w.hub = federated.register_instance(
        slug="hub", name="Hub", base_url="http://127.0.0.1:9", shared_secret=HUB_KEY
    )
    w.pu = federated.register_instance(
        slug="pu", name="Kemen PU", base_url="http://127.0.0.1:9", shared_secret=PU_KEY
    )
    federated.host_agency(agency=w.ministry, instance=w.pu)
    return w


def verified(w, **overrides):
    report = f.submit(w, **overrides)
    return actions.verify_report(
        report=report,
        actor=w.verifier_prov,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )


def send(client, sender, key, envelope, *, timestamp=None, signature=None):
    body = wire.encode(envelope)
    stamp = int(timestamp if timestamp is not None else time.time())
    return client.post(
        "/federation/v1/messages",
        data=body,
        content_type="application/json",
        HTTP_X_JEMBATAN_INSTANCE=sender,
        HTTP_X_JEMBATAN_SIGNATURE=signature or wire.sign(key, stamp, body),
    )


def envelope(kind, seq, payload, *, sender="hub", origin="hub", number="1234567890", message_id=None):
    return {
        "message_id": message_id or str(uuid.uuid4()),
        "sender": sender,
        "destination": "sumbar",
        "kind": kind,
        "seq": seq,
        "origin_instance": origin,
        "origin_number": number,
        "payload": payload,
    }


def forwarded(w, **changes):
    return {
        "agency": w.padang.code,
        "kind": "pengaduan",
        "title": "Jalan berlubang di Padang",
        "description": "Jalan berlubang besar di depan pasar raya, berbahaya bagi pengendara.",
        "classification": "",
        "category": None,
        "region": "13.71",
        "address": "",
        "incident_date": None,
        "latitude": None,
        "longitude": None,
        "is_anonymous": True,
        "is_confidential": True,
        "submitted_at": "2026-12-01T02:00:00+00:00",
        "completion_due_at": "2026-12-30T02:00:00+00:00",
        "instruction": "",
        **changes,
    }


# --- Outgoing -----------------------------------------------------------------------------------------------


def test_disposing_to_a_remote_agency_writes_one_forward_message_without_the_reporters_identity(w):
    report = verified(w, is_confidential=True)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    message = FederationMessage.objects.get()
    disposition = report.dispositions.get()
    assert (message.kind, message.seq, message.destination) == (MessageKind.REPORT_FORWARDED, 1, w.pu)
    assert message.payload["agency"] == "kemen-pu" and message.payload["is_confidential"] is True
    assert message.payload["completion_due_at"] == disposition.completion_due_at.isoformat()
    sent = json.dumps(message.payload)
    assert not [secret for secret in IDENTITY if secret in sent]
    link = Link.objects.get()
    assert (link.role, link.origin_instance, link.origin_number) == (
        "origin",
        "sumbar",
        report.tracking_number,
    )


def test_a_local_disposal_writes_no_message(w):
    federated.dispose_report(report=verified(w), actor=w.verifier_prov, agencies=[w.pupr])
    assert not FederationMessage.objects.exists()


def test_the_message_is_not_written_when_the_disposal_fails(w):
    report = verified(w)
    with pytest.raises(actions.ReportConflict):
        federated.dispose_report(
            report=report, actor=w.verifier_prov, agencies=[w.ministry], expected_version=report.version - 1
        )
    assert not FederationMessage.objects.exists() and not report.dispositions.exists()


def test_a_message_rolls_back_with_the_local_action(w):
    report = verified(w)
    with pytest.raises(RuntimeError), transaction.atomic():
        federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
        raise RuntimeError("the caller's transaction fails after the action")
    assert not FederationMessage.objects.exists()


def test_the_holders_messages_of_one_report_are_numbered_in_order(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    report = actions.verify_report(
        report=Report.objects.get(),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )
    federated.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    disposition = report.dispositions.get()
    federated.start_follow_up(disposition=disposition, actor=w.liaison_pupr)
    federated.post_follow_up(
        disposition=disposition, actor=w.liaison_pupr, text="Lubang sudah ditambal oleh tim jalan kota."
    )
    assert list(
        FederationMessage.objects.order_by("seq").values_list("seq", "kind", "destination__slug")
    ) == [
        (1, "follow_up_started", "hub"),
        (2, "follow_up_posted", "hub"),
    ]


def test_the_retry_wait_doubles_from_the_setting_up_to_an_hour(settings):
    settings.FEDERATION_RETRY_SECONDS = 2
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert delivery.backoff(30).total_seconds() == 3600


# --- The signature -----------------------------------------------------------------------------------------


def test_a_message_with_a_wrong_key_is_refused(w, client):
    response = send(client, "hub", "not-the-key", envelope("report_forwarded", 1, forwarded(w)))
    assert response.status_code == 401
    assert not Report.objects.exists() and not ReceivedMessage.objects.exists()


def test_a_message_outside_the_clock_window_is_refused(w, client, settings):
    settings.FEDERATION_CLOCK_WINDOW_SECONDS = 300
    old = time.time() - 301
    response = send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)), timestamp=old)
    assert response.status_code == 401 and not Report.objects.exists()


def test_an_unknown_sender_and_a_sender_naming_another_are_refused(w, client):
    assert send(client, "nobody", HUB_KEY, envelope("report_forwarded", 1, forwarded(w))).status_code == 403
    spoofed = envelope("report_forwarded", 1, forwarded(w), sender="pu")
    assert send(client, "hub", HUB_KEY, spoofed).status_code == 403
    assert not Report.objects.exists()


# --- Exactly once, in order --------------------------------------------------------------------------------


def test_a_forwarded_report_enters_the_verification_queue_once_whatever_the_redeliveries(w, client):
    message = envelope("report_forwarded", 1, forwarded(w))
    first = send(client, "hub", HUB_KEY, message)
    again = send(client, "hub", HUB_KEY, message)
    assert first.json()["result"] == "applied" and again.json()["result"] == "duplicate"
    report = Report.objects.get()
    assert (report.source_instance, report.external_id, report.status) == (
        "hub",
        "1234567890",
        "belum_terverifikasi",
    )
    assert report.verifying_agency == w.padang and report.reporter == w.hub.user
    assert report.is_anonymous and report.is_confidential and report.reporter_email == ""
    assert report.completion_due_at.isoformat() == "2026-12-30T02:00:00+00:00"
    assert report.events.filter(action="submitted").count() == 1


def test_a_message_after_a_gap_waits_for_the_gap_to_fill(w, client):
    reply = envelope("reporter_replied", 2, {"text": "Masih berlubang, mohon dicek lagi."})
    assert send(client, "hub", HUB_KEY, reply).json()["result"] == "buffered"
    assert not Report.objects.exists()
    assert (
        send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w))).json()["result"]
        == "applied"
    )
    report = Report.objects.get()
    assert report.events.filter(action="reporter_replied").count() == 1
    assert ReceivedMessage.objects.get(seq=2).state == "applied"
    assert send(client, "hub", HUB_KEY, reply).json()["result"] == "duplicate"
    assert report.events.filter(action="reporter_replied").count() == 1


def test_the_holders_answer_lands_on_the_origin_disposition_under_the_original_number(w, client):
    report = verified(w)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    text = "Jalan nasional ini sudah kami perbaiki pada hari Senin lalu."
    payload = {"text": text, "agency": "Kemen PU"}
    answer = envelope(
        "follow_up_posted", 1, payload, sender="pu", origin="sumbar", number=report.tracking_number
    )
    assert send(client, "pu", PU_KEY, answer).json()["result"] == "applied"
    report.refresh_from_db()
    assert report.status == Status.SELESAI
    event = report.events.get(action="follow_up_posted")
    assert event.text == text and event.actor == w.pu.user and event.visibility == "public"


def test_a_peer_may_not_answer_for_a_report_another_peer_holds(w, client):
    report = verified(w)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    payload = {"text": "Sudah selesai, laporan ditutup saja ya."}
    forged = envelope("follow_up_posted", 1, payload, origin="sumbar", number=report.tracking_number)
    answer = send(client, "hub", HUB_KEY, forged).json()
    assert answer["result"] == "rejected"
    assert report.dispositions.get().status == DispositionStatus.TERDISPOSISI


def test_only_the_origin_speaks_for_the_reporter(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    federated.register_instance(slug="hub", name="Hub", shared_secret=HUB_KEY)
    forged = envelope("reporter_replied", 1, {"text": "Balasan palsu."}, sender="pu", origin="hub")
    assert send(client, "pu", PU_KEY, forged).json()["result"] == "rejected"
    assert not Report.objects.get().events.filter(action="reporter_replied").exists()


def test_an_agency_not_hosted_here_is_refused(w, client):
    message = envelope("report_forwarded", 1, forwarded(w, agency="kemen-pu"))
    assert send(client, "hub", HUB_KEY, message).json()["result"] == "rejected"
    assert not Report.objects.exists()


def test_returning_to_the_origin_archives_the_copy_and_tells_the_origin(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    report = Report.objects.get()
    federated.return_to_origin(report=report, actor=w.verifier, reason="Jalan nasional, bukan wewenang kota.")
    report.refresh_from_db()
    message = FederationMessage.objects.get()
    assert report.status == Status.DIARSIPKAN_ADMIN
    assert (message.kind, message.destination, message.seq) == ("returned", w.hub, 1)
    assert Link.objects.get(role=LinkRole.HOLDER).report == report


def test_pelimpahan_to_an_agency_on_another_instance_sends_the_report_there(w):
    report = verified(w)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.pupr])
    federated.forward_disposition(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        agency=w.ministry,
        reason="Jalan nasional: kewenangan Kementerian PU.",
    )
    message = FederationMessage.objects.get()
    assert (message.kind, message.destination, message.payload["agency"]) == (
        "report_forwarded",
        w.pu,
        "kemen-pu",
    )


def test_a_copy_held_here_is_not_sent_on_to_a_third_instance(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    report = actions.verify_report(
        report=Report.objects.get(),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )
    with pytest.raises(federated.FederationRefused):
        federated.dispose_report(report=report, actor=w.verifier, agencies=[w.ministry])
    assert not FederationMessage.objects.exists() and not report.dispositions.exists()


# --- The operator ------------------------------------------------------------------------------------------


def test_status_shows_each_peers_backlog_and_an_operator_parks_and_retries_a_message(w):
    federated.dispose_report(report=verified(w), actor=w.verifier_prov, agencies=[w.ministry])
    message = FederationMessage.objects.get()
    out = StringIO()
    call_command("federation", "status", stdout=out)
    assert "pu" in out.getvalue() and "backlog=1" in out.getvalue()
    call_command("federation", "park", str(message.message_id), stdout=StringIO())
    message.refresh_from_db()
    assert message.status == "failed" and message.last_error == "parked"
    call_command("federation", "retry", str(message.message_id), stdout=StringIO())
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)


def test_the_verifier_gives_a_held_report_back_from_the_workbench(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    report = Report.objects.get()
    client.force_login(w.verifier)
    page = client.get(f"/kerja/laporan/{report.tracking_number}/")
    assert page.status_code == 200 and "return_origin" in page.content.decode()
    response = client.post(
        f"/kerja/laporan/{report.tracking_number}/kembalikan-ke-asal/",
        {
            "return_origin-reason": "Jalan nasional, bukan wewenang kota.",
            "return_origin-version": report.version,
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.DIARSIPKAN_ADMIN
    assert FederationMessage.objects.get().kind == "returned"


def test_a_liaison_may_not_give_a_held_report_back(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    report = Report.objects.get()
    with pytest.raises(PermissionDenied):
        federated.return_to_origin(
            report=report, actor=w.liaison_pupr, reason="Bukan wewenang kami sama sekali."
        )
    assert not FederationMessage.objects.exists()
