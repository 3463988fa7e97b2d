"""The network's figures: an instance sends the hub its monthly counts per agency; the hub keeps them.

The fixture of test_federation: this database plays "sumbar" (the hub and pu are peers, kemen-pu
is hosted on pu). As the sender it posts to a small hub on 127.0.0.1 that checks the signature and
keeps the body; as the receiver (FEDERATION_HUB unset: this instance is the hub) it is sent signed
figures by "pu" through the endpoint, as figures.send() does.
"""

import datetime as dt
import json
import time
from http.server import BaseHTTPRequestHandler
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from jembatan.directory.tests.factories import make_agency
from jembatan.federation import actions as federated
from jembatan.federation import figures, tasks, wire
from jembatan.federation.models import NetworkFigure, NetworkPeriod
from jembatan.federation.tests.test_federation import HUB_KEY, IDENTITY, PU_KEY, verified
from jembatan.federation.tests.test_federation import w as w  # noqa: F401  (the fixture)
from jembatan.insights import rollups
from jembatan.reports.tests import factories as f
from jembatan.tests.loopback import LoopbackServer

pytestmark = pytest.mark.django_db


class FakeHub(LoopbackServer):
    """The hub's endpoint: refuses a bad signature (401), keeps each signed body, answers applied."""

    def __init__(self):
        self.bodies = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    wire.verify(HUB_KEY, self.headers.get(wire.SIGNATURE_HEADER), body)
                except wire.BadSignature:
                    self.send_response(401)
                    self.end_headers()
                    return
                hub.bodies.append((self.path, self.headers.get(wire.INSTANCE_HEADER), body))
                answer = json.dumps({"result": "ok", "periods": {}}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.start()


@pytest.fixture
def fake_hub(w, settings):
    settings.FEDERATION_ALLOW_HTTP = True
    settings.FEDERATION_HUB = "hub"
    server = FakeHub()
    federated.register_instance(slug="hub", name="Hub", base_url=server.origin)
    yield server
    server.close()


def this_month():
    return timezone.localdate().replace(day=1)


# --- Sending ----------------------------------------------------------------------------------------------


def test_the_periodic_task_sends_the_hub_signed_counts_of_the_agencies_worked_here(w, fake_hub, settings):
    settings.FEDERATION_FIGURES_MONTHS = 2
    name, email, phone, _username = IDENTITY
    local = verified(w, title="Lampu jalan mati di Jalan Sudirman")
    federated.dispose_report(report=local, actor=w.verifier_prov, agencies=[w.padang])
    remote = verified(w, title="Jembatan nasional retak di Lubuk Alung")
    federated.dispose_report(report=remote, actor=w.verifier_prov, agencies=[w.ministry])
    f.submit(w, title="Sampah menumpuk di pasar")  # not verified yet
    rollups.refresh()
    tasks.send_network_figures_task.call_local()
    [(path, sender, body)] = fake_hub.bodies
    assert (path, sender) == ("/federation/v1/figures", "sumbar")
    data = figures.validated(json.loads(body))
    assert (data["sender"], data["hub"]) == ("sumbar", "hub")
    assert len(data["periods"]) == 2
    month = data["periods"][this_month()]
    # kemen-pu is hosted on pu: the report disposed there is counted by pu, not here.
    assert "kemen-pu" not in month
    # Kota Padang: the report disposed to it, and the new one waiting in its verification queue.
    padang = month[w.padang.code]
    assert (padang["received"], padang["verified"], padang["open_backlog"]) == (2, 1, 2)
    assert padang["oldest_unverified"] == timezone.localdate()
    assert sum(row["received"] for row in month.values()) == 2
    text = body.decode()
    secrets = (name, email, phone, "Lampu jalan", "Sampah", local.tracking_number, remote.description[:20])
    for private in secrets:
        assert private not in text


def test_no_hub_no_figures_and_nothing_before_the_rollups_ran(w, fake_hub, settings):
    settings.FEDERATION_HUB = ""
    assert tasks.send_network_figures_task.call_local() is None
    settings.FEDERATION_HUB = "hub"
    assert tasks.send_network_figures_task.call_local() is None  # the facts were never computed
    assert fake_hub.bodies == []


# --- Receiving (this instance is the hub) -----------------------------------------------------------------


def counts(**values):
    return dict.fromkeys(figures.COUNTS, 0) | {"oldest_unverified": None} | values


def message(as_of, rows, *, period=None, sender="pu", hub="sumbar"):
    period = period or this_month()
    return {
        "sender": sender,
        "hub": hub,
        "as_of": as_of.isoformat(),
        "periods": [{"period": period.isoformat(), "agencies": [{"code": c, **v} for c, v in rows.items()]}],
    }


def post(client, data, *, sender="pu", key=PU_KEY, timestamp=None):
    body = wire.encode(data)
    return client.post(
        "/federation/v1/figures",
        data=body,
        content_type="application/json",
        HTTP_X_JEMBATAN_INSTANCE=sender,
        HTTP_X_JEMBATAN_SIGNATURE=wire.sign(key, int(timestamp or time.time()), body),
    )


@pytest.fixture
def hub(w, settings):
    settings.FEDERATION_HUB = ""  # this instance reports to nobody: it is the hub
    return w


def stored():
    return {
        (f.period.instance.slug, f.agency_code): (f.received, f.closed, f.period.as_of)
        for f in NetworkFigure.objects.select_related("period__instance")
    }


def test_the_hub_keeps_an_instances_figures_for_the_agencies_it_hosts(hub, client):
    now = timezone.now()
    response = post(client, message(now, {"kemen-pu": counts(received=7, closed=3)}))
    assert response.status_code == 200
    assert response.json()["periods"] == {this_month().isoformat(): "applied"}
    assert stored() == {("pu", "kemen-pu"): (7, 3, now)}


def test_figures_with_a_bad_signature_or_from_an_unknown_instance_are_refused(hub, client):
    data = message(timezone.now(), {"kemen-pu": counts(received=7)})
    assert post(client, data, key="kunci-palsu").status_code == 401
    assert post(client, data, timestamp=time.time() - 3600).status_code == 401
    assert post(client, data | {"sender": "riau"}, sender="riau").status_code == 403
    assert post(client, data | {"sender": "hub"}, sender="pu").status_code == 403  # names another sender
    assert post(client, data | {"hub": "pu"}).status_code == 403  # meant for another hub
    assert NetworkPeriod.objects.count() == 0


def test_an_instance_may_only_report_for_the_agencies_it_hosts(hub, client):
    unit = make_agency("Ditjen Bina Marga", parent=hub.ministry, code="kemen-pu-bina-marga")
    rows = {
        "kemen-pu": counts(received=7),
        unit.code: counts(received=2),
        hub.padang.code: counts(received=70),
    }
    response = post(client, message(timezone.now(), rows))
    # Kota Padang is not pu's: left out and named; the ministry's own unit is pu's (its parent is).
    assert response.status_code == 200 and response.json()["not_hosted"] == [hub.padang.code]
    assert {code for _slug, code in stored()} == {"kemen-pu", unit.code}
    # Nor may another peer report for pu's agencies.
    other = message(timezone.now(), {"kemen-pu": counts(received=5)}, sender="hub")
    assert post(client, other, sender="hub", key=HUB_KEY).json()["not_hosted"] == ["kemen-pu"]
    assert {slug for slug, _code in stored()} == {"pu"}


def test_a_resend_replaces_the_month_and_older_figures_never_overwrite_newer_ones(hub, client):
    earlier, later = timezone.now() - dt.timedelta(hours=2), timezone.now()
    assert post(client, message(later, {"kemen-pu": counts(received=9)})).status_code == 200
    response = post(client, message(earlier, {"kemen-pu": counts(received=4)}))  # delayed, older
    assert response.json()["periods"] == {this_month().isoformat(): "stale"}
    assert stored() == {("pu", "kemen-pu"): (9, 0, later)}
    for _ in range(2):  # the same figures again: same rows
        response = post(client, message(later, {"kemen-pu": counts(received=9), "": counts(received=1)}))
        assert response.json()["periods"] == {this_month().isoformat(): "applied"}
    assert stored() == {("pu", "kemen-pu"): (9, 0, later), ("pu", ""): (1, 0, later)}
    assert NetworkPeriod.objects.count() == 1


def test_figures_of_the_wrong_shape_or_with_extra_fields_are_refused(hub, client):
    data = message(timezone.now(), {"kemen-pu": counts(received=7)})
    data["periods"][0]["agencies"][0]["title"] = "Jalan rusak"  # nothing rides along
    assert post(client, data).status_code == 400
    assert post(client, message(timezone.now(), {"kemen-pu": counts(received=-1)})).status_code == 400
    assert NetworkPeriod.objects.count() == 0


def test_an_instance_that_reports_to_a_hub_takes_no_figures(w, client, settings):
    settings.FEDERATION_HUB = "hub"
    assert post(client, message(timezone.now(), {"kemen-pu": counts()})).status_code == 403


def test_status_shows_when_each_instance_last_reported(hub, client):
    post(client, message(timezone.now(), {"kemen-pu": counts(received=7)}))
    out = StringIO()
    call_command("federation", "status", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.split()[:1] == ["pu"] and "last_reported=" in line for line in lines)
    assert any(line.split()[:1] == ["hub"] and "never reported" in line for line in lines)


# --- The hub's dashboard ----------------------------------------------------------------------------------


def test_the_hubs_dashboard_shows_the_whole_network_with_each_instances_as_of_time(hub, client):
    verified(hub)
    rollups.refresh()
    as_of = timezone.now() - dt.timedelta(minutes=5)
    post(client, message(as_of, {"kemen-pu": counts(received=7, closed=3, breaches=2)}))
    client.force_login(hub.admin_nasional)
    response = client.get("/data/jaringan/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kemen PU" in page and "Kementerian PU" in page and "Dilaporkan oleh instans ini" in page
    assert "belum melaporkan" in page  # the hub's own peer row "hub" never reported
    network = response.context["data"]
    assert network["total"]["received"] == 8 and network["total"]["closed"] == 3
    [pu] = [s for s in network["instances"] if s["instance"].slug == "pu"]
    assert pu["as_of"] == as_of and pu["total"]["breaches"] == 2
    assert '"/data/jaringan/"' in client.get("/data/peta/").content.decode()  # the tab


def test_a_non_hub_instance_shows_nothing_network_wide(w, client, settings):
    settings.FEDERATION_HUB = "hub"
    client.force_login(w.admin_nasional)
    assert client.get("/data/jaringan/").status_code == 404
    assert "/data/jaringan/" not in client.get("/data/peta/").content.decode()


def test_only_a_viewer_of_the_whole_instance_sees_the_network(hub, client):
    client.force_login(hub.auditor)
    assert client.get("/data/jaringan/").status_code == 403
