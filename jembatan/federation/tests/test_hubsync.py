"""The agency directory synced from the hub: the signed GET, the checks on the answer, the changes.

This database plays "sumbar" (the fixture of test_federation: the hub and pu are peers, kemen-pu
is hosted on pu, the province's tree is worked here by its people). The hub is played by signing
with the key the pair shares, and, for the pull over HTTP, by a small server on 127.0.0.1 that
answers the GET with a signed directory.
"""

import json
import time
from http.server import BaseHTTPRequestHandler
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jembatan.accounts.models import AuditRecord, Role, StaffRole
from jembatan.directory.models import Agency, AgencyKind
from jembatan.federation import actions as federated
from jembatan.federation import hubsync, tasks, wire
from jembatan.federation.models import RemoteAgency
from jembatan.federation.tests.test_federation import HUB_KEY, verified
from jembatan.federation.tests.test_federation import w as w  # noqa: F401  (the fixture)
from jembatan.reports.models import DispositionStatus
from jembatan.tests.loopback import LoopbackServer

pytestmark = pytest.mark.django_db


def entry(code, host, *, name=None, parent=None, kind=AgencyKind.KEMENTERIAN_LEMBAGA, active=True):
    return {"code": code, "name": name or code, "kind": kind, "parent": parent, "region": None,
            "is_active": active, "host": host}  # fmt: skip


def directory(*agencies, hub="hub", to="sumbar"):
    instances = [{"slug": s, "name": s, "base_url": "", "is_active": True} for s in ("hub", "pu")]
    return {"hub": hub, "for": to, "generated_at": "2026-12-06T00:00:00+00:00", "agencies": list(agencies),
            "instances": instances}  # fmt: skip


def hosted(code):
    row = RemoteAgency.objects.filter(agency__code=code).select_related("instance").first()
    return row.instance.slug if row else None


# --- Publishing ---------------------------------------------------------------------------------------------


def ask(client, *, key=HUB_KEY, sender="hub", timestamp=None):
    stamp = int(timestamp if timestamp is not None else time.time())
    return client.get(
        "/federation/v1/directory",
        HTTP_X_JEMBATAN_INSTANCE=sender,
        HTTP_X_JEMBATAN_SIGNATURE=wire.sign(key, stamp, hubsync.REQUEST_BODY),
    )


def test_the_directory_answers_a_signed_request_with_a_signed_list_of_who_hosts_what(w, client):
    response = ask(client)
    assert response.status_code == 200
    wire.verify(HUB_KEY, response[wire.SIGNATURE_HEADER], response.content)  # signed for the asker
    data = hubsync.validated(json.loads(response.content))
    hosts = {item["code"]: item["host"] for item in data["agencies"]}
    assert hosts["kemen-pu"] == "pu" and hosts[w.padang.code] == "sumbar"
    assert (data["hub"], data["for"]) == ("sumbar", "hub")
    assert HUB_KEY not in response.content.decode() and "shared_secret" not in response.content.decode()


def test_a_directory_request_with_a_wrong_key_an_old_timestamp_or_an_unknown_sender_is_refused(w, client):
    assert ask(client, key="kunci-palsu").status_code == 401
    assert ask(client, timestamp=time.time() - 3600).status_code == 401
    assert ask(client, sender="riau").status_code == 403
    assert client.post("/federation/v1/directory").status_code == 405


# --- Checking the hub's answer ------------------------------------------------------------------------------


def signed(data, *, key=HUB_KEY, timestamp=None):
    body = wire.encode(data)
    return body, wire.sign(key, int(timestamp if timestamp is not None else time.time()), body)


def test_a_tampered_replayed_or_misaddressed_directory_is_refused_before_it_is_read(w):
    body, signature = signed(directory(entry("kemen-pu", "hub")))
    assert hubsync.read_answer(body, signature, me=w.me, hub=w.hub)["hub"] == "hub"
    with pytest.raises(hubsync.SyncFailed, match="does not match"):
        hubsync.read_answer(body.replace(b'"hub"}', b'"riau"}'), signature, me=w.me, hub=w.hub)
    old_body, old_signature = signed(directory(entry("kemen-pu", "hub")), timestamp=time.time() - 3600)
    with pytest.raises(hubsync.SyncFailed, match="clock window"):
        hubsync.read_answer(old_body, old_signature, me=w.me, hub=w.hub)
    other_body, other_signature = signed(directory(entry("kemen-pu", "hub"), to="riau"))
    with pytest.raises(hubsync.SyncFailed, match="another instance"):
        hubsync.read_answer(other_body, other_signature, me=w.me, hub=w.hub)
    pu_body, pu_signature = signed(directory(entry("kemen-pu", "hub")), key="kunci-pu-sumbar")
    with pytest.raises(hubsync.SyncFailed):
        hubsync.read_answer(pu_body, pu_signature, me=w.me, hub=w.hub)


# --- Applying it --------------------------------------------------------------------------------------------


def test_the_hub_moves_adds_and_deactivates_hosts_and_every_change_is_audited(w):
    hub_user = w.hub.user
    changes = federated.sync_directory(
        hub=w.hub,
        directory=directory(
            entry("kemen-pu", "hub"),  # moved from pu to the hub
            entry("kemenpanrb", "pu"),  # no one works it here: hosted on pu
            entry("kemen-baru", "hub", name="Kementerian Baru"),  # new to us
            entry("kemen-baru-ditjen", "hub", parent="kemen-baru", kind=AgencyKind.BADAN),
        ),
    )
    assert {(c[0], c[1]) for c in changes} >= {
        ("host", "kemen-pu"),
        ("host", "kemenpanrb"),
        ("create", "kemen-baru"),
        ("host", "kemen-baru"),
        ("create", "kemen-baru-ditjen"),
    }
    assert (hosted("kemen-pu"), hosted("kemenpanrb"), hosted("kemen-baru")) == ("hub", "pu", "hub")
    assert Agency.objects.get(code="kemen-baru-ditjen").parent.code == "kemen-baru"
    # The peer is liaison of exactly the agencies it hosts; pu lost kemen-pu.
    assert StaffRole.objects.filter(user=hub_user, role=Role.PENGHUBUNG, agency__code="kemen-pu").exists()
    assert not StaffRole.objects.filter(user=w.pu.user, agency__code="kemen-pu").exists()
    audited = AuditRecord.objects.filter(kind=AuditRecord.Kind.AGENCY_CHANGED, agency__code="kemen-pu")
    assert [(r.before, r.after) for r in audited.order_by("pk")] == [
        ({"hosted_on": None}, {"hosted_on": "pu"}),  # the fixture's `host`
        ({"hosted_on": "pu"}, {"hosted_on": "hub"}),  # the sync
    ]
    created = AuditRecord.objects.filter(kind=AuditRecord.Kind.AGENCY_CREATED, object_repr__icontains="baru")
    assert created.count() == 2

    federated.sync_directory(hub=w.hub, directory=directory(entry("kemen-pu", "hub", active=False),
                                                             entry("kemenpanrb", "sumbar")))  # fmt: skip
    assert hosted("kemen-pu") is None and hosted("kemenpanrb") is None  # deactivated; moved here
    assert not StaffRole.objects.filter(user=hub_user, agency__code="kemen-pu").exists()


def test_an_agency_worked_here_is_never_made_remote_and_an_unknown_host_is_only_reported(w):
    before = AuditRecord.objects.count()
    changes = federated.sync_directory(
        hub=w.hub, directory=directory(entry(w.padang.code, "pu"), entry("kemenpanrb", "riau"))
    )
    assert ("local", w.padang.code, "pu") in changes and ("unreachable", "kemenpanrb", "riau") in changes
    assert hosted(w.padang.code) is None and hosted("kemenpanrb") is None
    assert AuditRecord.objects.count() == before
    # The disposal to the city stays local.
    report = verified(w)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.padang])
    assert report.dispositions.get().status == DispositionStatus.TERDISPOSISI


def test_a_directory_from_another_hub_or_for_another_instance_changes_nothing(w):
    with pytest.raises(federated.FederationRefused):
        federated.sync_directory(hub=w.hub, directory=directory(entry("kemen-pu", "hub"), to="riau"))
    with pytest.raises(federated.FederationRefused):
        federated.sync_directory(hub=w.hub, directory=directory(entry("kemen-pu", "hub"), hub="pu"))
    assert hosted("kemen-pu") == "pu"


# --- Pulling over HTTP: the command and the periodic task -----------------------------------------------


class FakeHubServer(LoopbackServer):
    """The hub's side of the GET on 127.0.0.1: checks the request's signature, signs its answer."""

    def __init__(self, data, *, key=HUB_KEY, answer_key=HUB_KEY):
        self.requests = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hub.requests.append((self.path, self.headers.get(wire.INSTANCE_HEADER)))
                try:
                    wire.verify(key, self.headers.get(wire.SIGNATURE_HEADER), hubsync.REQUEST_BODY)
                except wire.BadSignature:
                    self.send_response(401)
                    self.end_headers()
                    return
                body, signature = signed(data, key=answer_key)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header(wire.SIGNATURE_HEADER, signature)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler)
        self.start()

    @property
    def url(self):
        return self.origin


@pytest.fixture
def hub_server(w, settings):
    settings.FEDERATION_ALLOW_HTTP = True
    servers = []

    def start(data, **keys):
        server = FakeHubServer(data, **keys)
        servers.append(server)
        federated.register_instance(slug="hub", name="Hub", base_url=server.url)
        return server

    yield start
    for server in servers:
        server.close()


def test_sync_is_a_dry_run_until_applied(w, hub_server):
    server = hub_server(directory(entry("kemen-pu", "hub")))
    out = StringIO()
    call_command("federation", "sync", "--hub", "hub", stdout=out)
    assert "dry run" in out.getvalue() and "host=1" in out.getvalue() and hosted("kemen-pu") == "pu"
    call_command("federation", "sync", "--hub", "hub", "--apply", stdout=out)
    assert hosted("kemen-pu") == "hub"
    assert server.requests[-1] == ("/federation/v1/directory", "sumbar")


def test_the_periodic_task_pulls_from_the_configured_hub(w, hub_server, settings):
    hub_server(directory(entry("kemen-pu", "hub"), entry("kemenpanrb", "pu")))
    settings.FEDERATION_HUB = ""
    assert tasks.sync_directory_task.call_local() is None
    assert hosted("kemen-pu") == "pu"
    settings.FEDERATION_HUB = "hub"
    counts = tasks.sync_directory_task.call_local()
    assert counts["host"] == 2 and (hosted("kemen-pu"), hosted("kemenpanrb")) == ("hub", "pu")


def test_an_answer_signed_with_the_wrong_key_changes_nothing(w, hub_server):
    hub_server(directory(entry("kemen-pu", "hub")), answer_key="kunci-palsu")
    with pytest.raises(CommandError, match="refused"):
        call_command("federation", "sync", "--hub", "hub", "--apply", stdout=StringIO())
    assert hosted("kemen-pu") == "pu"


def test_a_new_agency_under_one_worked_here_is_created_here_but_never_hosted_elsewhere(w):
    # The rule "an agency worked here is never made remote" covers its sub-agencies (is_local): a
    # directory cannot get round it by adding a new office under the city and hosting it on pu,
    # which would send the city's citizens' reports for that office to another instance.
    changes = federated.sync_directory(
        hub=w.hub,
        directory=directory(entry("padang-dinas-baru", "pu", parent=w.padang.code, kind=AgencyKind.DINAS)),
    )
    assert ("create", "padang-dinas-baru", changes[0][2]) in changes
    assert ("local", "padang-dinas-baru", "pu") in changes
    assert Agency.objects.get(code="padang-dinas-baru").parent == w.padang
    assert hosted("padang-dinas-baru") is None


@pytest.mark.parametrize(
    "broken",
    [
        {"instances": ["pu"]},
        {"agencies": "kemen-pu"},
        {"for": None},
    ],
)
def test_a_signed_directory_of_the_wrong_shape_is_refused_as_such(w, broken):
    body, signature = signed({**directory(entry("kemen-pu", "hub")), **broken})
    with pytest.raises(hubsync.SyncFailed, match="not a directory"):
        hubsync.read_answer(body, signature, me=w.me, hub=w.hub)


BAD_ENTRIES = [
    entry("Kemen Baru!", "hub"),  # not an agency code
    entry("kemen-" + "x" * 60, "hub"),  # too long for one
    entry("kemen-x", "hub", name="x" * 201),
    {**entry("kemen-y", "hub"), "is_active": "ya"},
    "kemen-z",  # not an object
    entry("kemen-w", "hub", kind="kementerian-lain"),  # a kind this version does not know
    entry("kemen-bawah", "hub", parent="Kemen Baru!", kind=AgencyKind.BADAN),  # under a bad one
    entry("kemen-v", "hub", name="   "),  # refused only by create_agency: no name once stripped
    entry("kemen-v-ditjen", "hub", parent="kemen-v", kind=AgencyKind.BADAN),  # under it
]


def test_a_bad_entry_is_skipped_and_reported_and_every_valid_one_applied(w, caplog):
    # One bad entry in the hub's directory used to undo the whole sync (AgencyError rolled it all
    # back): every other agency of the network stayed where it was until the hub was mended.
    changes = federated.sync_directory(
        hub=w.hub,
        directory=directory(
            entry("kemen-pu", "hub"),
            *BAD_ENTRIES,
            entry("kemen-baru", "hub", name="Kementerian Baru"),
            entry("kemen-baru-ditjen", "hub", parent="kemen-baru", kind=AgencyKind.BADAN),
        ),
    )
    assert (hosted("kemen-pu"), hosted("kemen-baru"), hosted("kemen-baru-ditjen")) == ("hub", "hub", "hub")
    assert Agency.objects.get(code="kemen-baru-ditjen").parent.code == "kemen-baru"
    invalid = [(code, reason) for change, code, reason in changes if change == "invalid"]
    assert len(invalid) == len(BAD_ENTRIES) == 9
    assert all(reason for _code, reason in invalid)
    assert ("kemen-bawah", "parent Kemen Baru! is invalid") in invalid
    assert ("kemen-v", "Nama instansi wajib diisi.") in invalid
    assert ("kemen-v-ditjen", "parent kemen-v could not be created") in invalid
    assert not Agency.objects.filter(
        code__in=["Kemen Baru!", "kemen-x", "kemen-y", "kemen-w", "kemen-bawah", "kemen-v", "kemen-v-ditjen"]
    ).exists()
    logged = [r.getMessage() for r in caplog.records if "invalid directory entry" in r.getMessage()]
    assert len(logged) == 9 and any("Kemen Baru!" in line for line in logged)


def test_the_command_and_the_task_report_the_bad_entries_they_skipped(w, hub_server, settings):
    hub_server(directory(entry("kemen-pu", "hub"), *BAD_ENTRIES[:2], entry("kemenpanrb", "pu")))
    out = StringIO()
    call_command("federation", "sync", "--hub", "hub", stdout=out)
    assert "invalid=2" in out.getvalue() and hosted("kemen-pu") == "pu"  # the dry run says so too
    call_command("federation", "sync", "--hub", "hub", "--apply", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.split()[:2] == ["invalid", "Kemen"] for line in lines)
    assert "invalid=2" in lines[-1] and "host=2" in lines[-1]
    assert (hosted("kemen-pu"), hosted("kemenpanrb")) == ("hub", "pu")
    settings.FEDERATION_HUB = "hub"
    assert tasks.sync_directory_task.call_local()["invalid"] == 2
