"""The SP4N-LAPOR! connector against a local fake of LAPOR!'s published shape (lapor_fake.py).

Reports leave through the actions (send_to_lapor) and the federation outbox (delivery.deliver),
over real HTTP on 127.0.0.1; nothing is mocked.
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone, translation

from jembatan.directory.tests.factories import make_agency
from jembatan.federation import actions as federated
from jembatan.federation import delivery, lapor
from jembatan.federation.models import FederationMessage, Link, MessageKind
from jembatan.federation.tests.lapor_fake import FakeLapor
from jembatan.jobs.models import OutboxStatus
from jembatan.reports import actions
from jembatan.reports.events import EventAction
from jembatan.reports.models import Classification, Report, Status, Visibility
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

TOKEN = "token-dari-tim-lapor"
IDENTITY = ("Siti Rahmawati", "siti@example.id", "081234567890", "warga")


@pytest.fixture
def fake(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the fake listens on 127.0.0.1
    settings.WEBHOOK_ALLOW_HTTP = True
    with FakeLapor(token=TOKEN) as server:
        yield server


@pytest.fixture
def w(db, fake):
    w = f.build_world()
    w.me = federated.register_instance(slug="sumbar", name="Jembatan Sumbar", is_self=True)
    w.lapor = federated.register_lapor_peer(slug="lapor", name="SP4N-LAPOR!", endpoint=fake.url, token=TOKEN)
    return w


def verified(w, **overrides):
    report = f.submit(w, **overrides)
    return actions.verify_report(
        report=report, actor=w.verifier, classification=Classification.PENGADUAN_BERKADAR_PENGAWASAN
    )


def due_now(message):
    """Skip the backoff wait: the next attempt is due now (the worker would come back later)."""
    FederationMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_a_verified_report_reaches_lapor_once_with_its_fields_in_lapors_words(w, fake):
    report = verified(w)
    message = federated.send_to_lapor(report=report, actor=w.verifier)

    assert (message.kind, message.seq, message.destination) == (MessageKind.LAPOR_REPORT, 1, w.lapor)
    note = report.events.get(action=EventAction.NOTE)  # staff see on the timeline that it went
    assert (note.text, note.visibility) == ("Dikirim ke SP4N-LAPOR!.", Visibility.INTERNAL)
    assert delivery.deliver(message.pk) is True
    assert delivery.deliver(message.pk) is False  # delivered: nothing left to send

    assert len(fake.requests) == 1 and len(fake.reports) == 1
    path, headers, _body = fake.requests[0]
    assert path == "/api/integrasi/laporan" and headers["KEYTOKEN"] == TOKEN
    assert headers["Idempotency-Key"] == f"jembatan-federation-{message.pk}"
    local = timezone.localtime(report.submitted_at)
    assert fake.reports[0] == {
        "Judul Laporan": report.title,
        "Isi Laporan Awal": report.description,
        "Nama Pelapor": "Siti Rahmawati",
        "Klasifikasi Laporan": "Pengaduan Berkadar Pengawasan",
        "ID Kategori": w.category.code,
        "Kategori": "Jalan Rusak",
        "Tipe Laporan (Anonim/Rahasia)": "",
        "Sumber Laporan": "Website",
        "Status Laporan": lapor.STATUS_LABELS[report.status],
        "Tanggal Laporan Masuk": f"{local.day} {lapor.MONTHS[local.month - 1]} {local.year}",
        "Waktu Laporan Masuk": local.strftime("%H:%M:%S"),
        "Provinsi": "Sumatera Barat",
        "Kota/Kabupaten": "Kota Padang",
        "Kecamatan": "Wilayah 13.71.01",  # the factory's name for a level it fills in
        "Kelurahan": "Kelurahan Contoh",
    }
    message.refresh_from_db()
    assert (message.status, message.response_status, message.outcome) == (OutboxStatus.SENT, 200, "accepted")
    link = Link.objects.get(report=report, peer=w.lapor)
    assert (link.remote_id, link.remote_status) == ("7000001", "Belum Terverifikasi")


def test_after_a_500_and_a_timeout_the_report_is_delivered_once(w, fake, settings):
    settings.FEDERATION_TIMEOUT = 1  # the fake holds a "timeout" request 2.5 s
    fake.script = ["500", "timeout"]
    message = federated.send_to_lapor(report=verified(w), actor=w.verifier)

    assert delivery.deliver(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.attempts, message.response_status) == (OutboxStatus.PENDING, 1, 500)
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=20)  # backoff: not before 30 s
    assert delivery.deliver(message.pk) is False  # not due yet: nothing sent
    assert len(fake.requests) == 1

    due_now(message)
    assert delivery.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.attempts == 2 and "timed out" in message.last_error

    due_now(message)
    assert delivery.deliver(message.pk) is True
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 3, "")
    assert len(fake.requests) == 3 and len(fake.reports) == 1
    assert Link.objects.get(peer=w.lapor).remote_id == "7000001"


def test_a_confidential_report_is_refused_at_the_action_and_nothing_is_queued(w, fake):
    report = verified(w, is_confidential=True)

    with pytest.raises(federated.FederationRefused) as refused:
        federated.send_to_lapor(report=report, actor=w.verifier)
    assert "Laporan rahasia tidak dikirim ke SP4N-LAPOR!" in refused.value.message
    with translation.override("en"), pytest.raises(federated.FederationRefused) as refused:
        federated.send_to_lapor(report=report, actor=w.verifier)
    assert refused.value.message == "Confidential reports are not sent to SP4N-LAPOR!."
    assert not FederationMessage.objects.exists() and not Link.objects.exists()
    assert fake.requests == []


def test_a_report_made_confidential_after_it_was_queued_is_never_sent(w, fake):
    report = verified(w)
    message = federated.send_to_lapor(report=report, actor=w.verifier)
    Report.objects.filter(pk=report.pk).update(is_confidential=True)

    assert delivery.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "confidential" in message.last_error
    assert fake.requests == []


def test_an_anonymous_report_is_sent_without_any_identity(w, fake):
    report = verified(w, is_anonymous=True)
    message = federated.send_to_lapor(report=report, actor=w.verifier)
    assert delivery.deliver(message.pk) is True

    _path, headers, body = fake.requests[0]
    sent = body.decode("utf-8") + json.dumps(headers)
    assert not [secret for secret in IDENTITY if secret in sent]
    assert fake.reports[0]["Nama Pelapor"] == ""
    assert fake.reports[0]["Tipe Laporan (Anonim/Rahasia)"] == "Anonim"


def test_a_report_made_anonymous_after_it_was_queued_leaves_without_its_name(w, fake):
    report = verified(w)
    message = federated.send_to_lapor(report=report, actor=w.verifier)
    assert message.payload["Nama Pelapor"] == "Siti Rahmawati"
    Report.objects.filter(pk=report.pk).update(is_anonymous=True)

    assert delivery.deliver(message.pk) is True
    _path, headers, body = fake.requests[0]
    assert not [secret for secret in IDENTITY if secret in body.decode("utf-8") + json.dumps(headers)]
    assert fake.reports[0]["Tipe Laporan (Anonim/Rahasia)"] == "Anonim"


def test_a_refused_token_leaves_the_message_dead_in_federation_status_until_fixed(w, fake):
    federated.register_lapor_peer(slug="lapor", name="SP4N-LAPOR!", endpoint=fake.url, token="salah")
    message = federated.send_to_lapor(report=verified(w), actor=w.verifier)

    assert delivery.deliver(message.pk) is False
    message.refresh_from_db()
    # A refused token cannot get better by waiting: dead at once, not retried for an hour.
    assert (message.status, message.attempts, message.response_status) == (OutboxStatus.FAILED, 1, 401)
    out = StringIO()
    call_command("federation", "status", stdout=out)
    status = out.getvalue()
    assert "lapor" in status and "sp4n-lapor" in status and "dead=1" in status
    assert "HTTP 401" in status and str(message.message_id) in status
    assert TOKEN not in status and "salah" not in status

    federated.register_lapor_peer(slug="lapor", name="SP4N-LAPOR!", endpoint=fake.url, token=TOKEN)
    call_command("federation", "retry", str(message.message_id), stdout=StringIO())
    assert delivery.deliver(message.pk) is True
    assert len(fake.reports) == 1


def test_the_token_and_keys_go_where_the_settings_say(w, fake, settings):
    settings.LAPOR_TOKEN_IN = "body"
    settings.LAPOR_FIELD_NAMES = {"region_kecamatan": "Kecamatan Lokasi"}
    fake.token_in = "body"
    message = federated.send_to_lapor(report=verified(w), actor=w.verifier)
    assert delivery.deliver(message.pk) is True

    _path, headers, body = fake.requests[0]
    assert "KEYTOKEN" not in headers and json.loads(body)["KEYTOKEN"] == TOKEN
    assert "Kecamatan Lokasi" in fake.reports[0] and "Kecamatan" not in fake.reports[0]


def test_only_a_verifier_may_send_and_only_a_classified_report_once(w, fake):
    report = f.submit(w)
    with pytest.raises(federated.report_actions.IllegalTransition):
        federated.send_to_lapor(report=report, actor=w.verifier)
    report = actions.verify_report(report=report, actor=w.verifier, classification=Classification.ASPIRASI)
    with pytest.raises(PermissionDenied):
        federated.send_to_lapor(report=report, actor=w.liaison_pupr)
    federated.send_to_lapor(report=report, actor=w.verifier)
    with pytest.raises(federated.report_actions.IllegalTransition):
        federated.send_to_lapor(report=report, actor=w.verifier)
    assert FederationMessage.objects.count() == 1


def test_the_management_command_sets_up_the_peer_and_sends_a_report(w, fake):
    report = verified(w, is_anonymous=True)
    out = StringIO()
    call_command(
        "federation", "peer", "lapor", "SP4N-LAPOR!", fake.url, "--protocol", "sp4n-lapor", stdout=out
    )  # no --secret: the token set before is kept
    call_command("federation", "send-lapor", report.tracking_number, "--as", w.verifier.username, stdout=out)
    message = FederationMessage.objects.get()
    assert f"queued for SP4N-LAPOR!: {message.message_id}" in out.getvalue()
    assert delivery.deliver(message.pk) is True and len(fake.reports) == 1


def test_a_lapor_peer_hosts_no_agency_and_cannot_speak_on_the_federation_wire(w, client):
    ministry = make_agency("Kementerian PU", code="kemen-pu")
    with pytest.raises(federated.FederationRefused):  # nor become a Jembatan peer by mistake
        federated.register_instance(slug="lapor", name="Hub", base_url="https://8.8.8.8", shared_secret="k")
    with pytest.raises(federated.FederationRefused):  # and a Jembatan peer does not become LAPOR!
        federated.register_lapor_peer(slug="sumbar", name="LAPOR!", endpoint="https://8.8.8.8/api", token="k")
    with pytest.raises(federated.FederationRefused):
        federated.host_agency(agency=ministry, instance=w.lapor)
    headers = {"HTTP_X_JEMBATAN_INSTANCE": "lapor"}
    response = client.post("/federation/v1/messages", data=b"{}", content_type="application/json", **headers)
    assert response.status_code == 403


def test_a_lapor_endpoint_must_be_https_on_a_public_address(w, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    for endpoint in (
        "http://8.8.8.8/api",
        "https://10.1.2.3/api",
        "https://127.0.0.1/api",
        "https://[::1]/api",
    ):
        with pytest.raises(federated.FederationRefused):
            federated.register_lapor_peer(slug="lapor2", name="LAPOR!", endpoint=endpoint, token=TOKEN)
    public = "https://8.8.8.8/api"  # a global address; nothing is sent by registering
    peer = federated.register_lapor_peer(slug="lapor2", name="LAPOR!", endpoint=public, token=TOKEN)
    assert peer.protocol == "sp4n-lapor"


def test_lapor_status_labels_map_back_to_jembatan_statuses():
    assert lapor.status_from_lapor("Ditutup oleh Sistem") == Status.DITUTUP_SISTEM
    assert lapor.status_from_lapor("Terverifikasi & Terdisposisi") == Status.TERDISPOSISI
    assert lapor.status_from_lapor("Menunggu Kelengkapan Informasi") == Status.MENUNGGU_KELENGKAPAN
    assert lapor.status_from_lapor("sesuatu yang lain") is None and lapor.status_from_lapor(None) is None
    for status, label in lapor.STATUS_LABELS.items():
        assert lapor.status_from_lapor(label) == status


def test_a_token_lapor_quotes_back_in_its_error_is_never_recorded(w, fake, settings, caplog):
    for place in ("header", "body"):
        settings.LAPOR_TOKEN_IN = place
        fake.script = ["echo-token"]
        message = federated.send_to_lapor(report=verified(w), actor=w.verifier)

        assert delivery.deliver(message.pk) is False
        assert TOKEN in fake.requests[-1][2].decode("utf-8") + json.dumps(fake.requests[-1][1])
        message.refresh_from_db()
        assert message.status == OutboxStatus.FAILED and "HTTP 401" in message.last_error
        assert TOKEN not in message.last_error
        out = StringIO()
        call_command("federation", "status", stdout=out)
        assert TOKEN not in out.getvalue() and TOKEN not in caplog.text


def test_an_anonymous_reporters_own_details_in_the_text_do_not_leave_either(w, fake):
    text = (
        "Nama saya Siti Rahmawati, hubungi 081234567890 atau siti@example.id. Jalan di depan rumah berlubang."
    )
    report = verified(w, is_anonymous=True, description=text)
    message = federated.send_to_lapor(report=report, actor=w.verifier)
    assert delivery.deliver(message.pk) is True
    sent = fake.requests[0][2].decode("utf-8")
    assert not [secret for secret in ("Rahmawati", "081234567890", "siti@example.id") if secret in sent]
    assert "berlubang" in fake.reports[0]["Isi Laporan Awal"]

    # Made anonymous after it was queued: the text that leaves is redacted then.
    named = verified(w, description=text)
    later = federated.send_to_lapor(report=named, actor=w.verifier)
    Report.objects.filter(pk=named.pk).update(is_anonymous=True)
    assert delivery.deliver(later.pk) is True
    assert "081234567890" not in fake.requests[-1][2].decode("utf-8")
