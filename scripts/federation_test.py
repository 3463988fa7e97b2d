"""The federation stage of `make test` (issue 16): three instances, a faulty network, kill -9.

Three real Jembatan processes (gunicorn + `manage.py run_worker` each, own SQLite database under a
temp directory) on loopback: a province (Sumatera Barat), the national hub and a ministry
(Kementerian PU). Every message between them goes through a fault-injecting proxy that drops
requests and answers, duplicates requests (the copy arrives later), and delays them so that they
overtake each other; mid-run an instance is killed with kill -9 and restarted. The people of each
instance act through scripts/federation_actor.py (the same actions as the workbench and the
portal). Scenarios, FED_REPORTS reports in all (default 200):

- full (province → ministry): disposed across, answered, the citizen replies, answered again,
  the citizen rates and closes;
- return (province → ministry): the ministry gives it back (bukan wewenang), the province
  disposes it to its own agency (pelimpahan);
- hub (hub → province): a report sent to the hub about Kota Padang is disposed to Pemkot Padang,
  answered by its Dinas PUPR, rated and closed by the citizen at the hub.

Then it checks that each report is in exactly the right queues with exactly one copy of each
effect on each side, that the SLA deadlines match, that no reporter identity or confidential text
reached an instance that may not see it, and that every outbox is empty; prints the summary and
fails on any lost or double effect. Ports: FED_PORT (default 8280) + 1..3 (instances), + 11..13
(the proxy in front of each).
"""

import http.client
import json
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from federation_instances import Instance, log, prepare

BASE = int(os.environ.get("FED_PORT", "8280"))
TOTAL = int(os.environ.get("FED_REPORTS", "200"))
WAIT_LIMIT = 150  # seconds one phase may take to converge
random.seed(16)

INSTANCES = {
    "sumbar": {"name": "Jembatan Sumatera Barat", "port": BASE + 1, "proxy": BASE + 11},
    "hub": {"name": "Hub Nasional SP4N-LAPOR!", "port": BASE + 2, "proxy": BASE + 12},
    "pu": {"name": "Jembatan Kementerian PU", "port": BASE + 3, "proxy": BASE + 13},
}
# Which instance hosts which agency (everything else is local everywhere).
HOSTS = {"kemen-pu": "pu", "pemkot-padang": "sumbar", "pemprov-sumbar": "sumbar"}
# The ministry's own officer (the demo logins are the province's and the nation's).
OFFICERS = {"pu": [("admin.pu", "Admin Kementerian PU", "admin_instansi", "kemen-pu")]}


def instances(tmp):
    """The three instances; their peers reach each of them through the proxy in front of it."""
    return {
        slug: Instance(slug, spec["name"], spec["port"], tmp, url=f"http://127.0.0.1:{spec['proxy']}")
        for slug, spec in INSTANCES.items()
    }


def set_up(inst):
    for instance in inst.values():
        # Only the hub is told by hand who hosts what; the province and the ministry pull its
        # directory once everyone is up (sync_directories), as docs/federation.md has them join.
        hosts = HOSTS.items() if instance.slug == "hub" else ()
        instance.act(instance.setup_step(inst.values(), hosts, OFFICERS.get(instance.slug, ())))


# --- The faulty network ----------------------------------------------------------------------------------


class Proxy:
    """One listener per destination; drops, duplicates (a late copy), delays and reorders requests."""

    P_DROP_REQUEST, P_DROP_ANSWER, P_DUPLICATE, P_DELAY = 0.08, 0.08, 0.10, 0.15

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = dict.fromkeys(
            ("messages", "dropped", "duplicated", "delayed", "reordered", "refused", "directory requests"), 0
        )
        self.arrived = 0
        self.last_forwarded = 0
        self.servers = [self._listen(spec["proxy"], spec["port"]) for spec in INSTANCES.values()]

    def bump(self, name):
        with self.lock:
            self.counts[name] += 1

    def forward(self, port, path, headers, body, order):
        if order is not None:
            with self.lock:
                if order < self.last_forwarded:
                    self.counts["reordered"] += 1  # an earlier request overtaken by a later one
                self.last_forwarded = max(self.last_forwarded, order)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _listen(self, listen_port, port):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                """The directory: passed through as it is (its signatures are end to end)."""
                proxy.bump("directory requests")
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("GET", self.path, headers=headers)
                    response = conn.getresponse()
                    status, answer = response.status, response.read()
                    passed = {k: v for k, v in response.getheaders() if k.lower().startswith("x-jembatan")}
                finally:
                    conn.close()
                self.send_response(status)
                for name, value in passed.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                with proxy.lock:
                    proxy.arrived += 1
                    order = proxy.arrived
                    proxy.counts["messages"] += 1
                if random.random() < proxy.P_DROP_REQUEST:
                    proxy.bump("dropped")
                    self.close_connection = True
                    return
                if random.random() < proxy.P_DELAY:
                    proxy.bump("delayed")
                    time.sleep(random.uniform(0.3, 2.0))
                if random.random() < proxy.P_DUPLICATE:
                    proxy.bump("duplicated")
                    later = random.uniform(0.1, 3.0)
                    threading.Timer(later, proxy._replay, (port, self.path, headers, body)).start()
                try:
                    status, answer = proxy.forward(port, self.path, headers, body, order)
                except (OSError, http.client.HTTPException):
                    proxy.bump("refused")  # the instance is down: the sender sees a 502 and retries
                    status, answer = 502, b"down"
                if random.random() < proxy.P_DROP_ANSWER:
                    proxy.bump("dropped")
                    self.close_connection = True
                    return
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting (its timeout, or it was killed)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def _replay(self, port, path, headers, body):
        try:
            self.forward(port, path, headers, body, None)
        except (OSError, http.client.HTTPException):
            pass

    def close(self):
        for server in self.servers:
            server.shutdown()


# --- Scenarios ---------------------------------------------------------------------------------------------


def people(n, scenario):
    """The reporters: every third anonymous, every fourth confidential; identities that must stay home."""
    marker = f"{scenario[0].upper()}{n:04d}"
    return {
        "marker": marker,
        "anonymous": n % 3 == 0,
        "confidential": n % 4 == 0,
        "name": f"Pelapor Rahasia {marker}",
        "email": f"pelapor.{marker.lower()}@example.id",
        "phone": f"08129{n:06d}",
        "secret_text": f"Kode rahasia {marker}-XQZ.",
        "photo": n % 5 == 0,  # travels with the report, checked and stored once by the holder
    }


def wait_for(what, check, timeout=WAIT_LIMIT):
    started = time.time()
    while time.time() - started < timeout:
        missing = check()
        if not missing:
            log(f"{what}: done in {time.time() - started:.0f} s")
            return
        time.sleep(1)
    raise SystemExit(f"{what}: not converged after {timeout} s; still missing {missing}")


def held_count(instance, origin, numbers, where="1=1"):
    marks = ",".join("?" * len(numbers))
    sql = (
        "SELECT count(*) FROM reports_report "
        f"WHERE source_instance=? AND external_id IN ({marks}) AND {where}"
    )
    return instance.query(sql, origin, *numbers)[0][0]


def count_where(instance, numbers, where):
    marks = ",".join("?" * len(numbers))
    sql = f"SELECT count(*) FROM reports_report WHERE tracking_number IN ({marks}) AND {where}"
    return instance.query(sql, *numbers)[0][0]


def together(*calls):
    """Run (instance, steps) pairs at once: the people of different instances work in parallel."""
    answers = [None] * len(calls)

    def run(i, instance, steps):
        answers[i] = instance.act(*steps)

    threads = [threading.Thread(target=run, args=(i, inst, steps)) for i, (inst, steps) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(answer is None for answer in answers):
        raise SystemExit("an actor failed (see above)")
    return answers


def answer_step(origin, numbers, verifier, worker, agency, **extra):
    return {"do": "answer", "origin": origin, "numbers": numbers, "verifier": verifier, "worker": worker,
            "agency": agency, **extra}  # fmt: skip


def drive(inst, proxy):
    """The walk of every scenario through its phases, waiting for the network between them."""
    sumbar, hub, pu = inst["sumbar"], inst["hub"], inst["pu"]
    n_full, n_return = TOTAL * 2 // 5, TOTAL // 5
    full = [people(i, "full") for i in range(n_full)]
    back = [people(i, "return") for i in range(n_return)]
    at_hub = [people(i, "hub") for i in range(TOTAL - n_full - n_return)]
    [[numbers], [hub_numbers]] = together(
        (sumbar, [{"do": "submit", "region": "13.71", "reports": full + back}]),
        (hub, [{"do": "submit", "region": "13.71", "reports": at_hub}]),
    )
    codes = {number: code for number, code in [*numbers.values(), *hub_numbers.values()]}
    full_n = [numbers[p["marker"]][0] for p in full]
    back_n = [numbers[p["marker"]][0] for p in back]
    hub_n = [hub_numbers[p["marker"]][0] for p in at_hub]

    def receipts(selected):
        return {number: codes[number] for number in selected}

    log(f"submitted {len(full_n) + len(back_n)} reports at sumbar, {len(hub_n)} at the hub")

    # 1. Disposed across; the ministry is killed while the messages are on their way.
    killer = restart_later(pu, after=8, pause=3)
    together(
        (
            sumbar,
            [{"do": "dispose", "verifier": "admin.sumbar", "agency": "kemen-pu", "numbers": full_n + back_n}],
        ),
        (hub, [{"do": "dispose", "verifier": "admin.nasional", "agency": "pemkot-padang", "numbers": hub_n}]),
    )
    killer.join()
    wait_for(
        "forwarded to the ministry", lambda: len(full_n + back_n) - held_count(pu, "sumbar", full_n + back_n)
    )
    wait_for("forwarded to the province", lambda: len(hub_n) - held_count(sumbar, "hub", hub_n))

    # 2. Answered (and given back); the province is killed while the answers travel.
    killer = restart_later(sumbar, after=10, pause=2)
    together(
        (pu, [answer_step("sumbar", full_n, "admin.nasional", "admin.pu", "kemen-pu"),
              {"do": "give_back", "origin": "sumbar", "numbers": back_n, "verifier": "admin.nasional"}]),
        (sumbar, [answer_step("hub", hub_n, "admin.padang", "penghubung.pupr", "padang-dinas-pupr")]),
    )  # fmt: skip
    killer.join()
    wait_for("answers at the province", lambda: len(full_n) - count_where(sumbar, full_n, "status='selesai'"))
    wait_for("given back to the province", lambda: len(back_n) - returned_count(sumbar, back_n))
    wait_for("answers at the hub", lambda: len(hub_n) - count_where(hub, hub_n, "status='selesai'"))

    # 3. The citizen replies (province) or rates and closes (hub); the given-back reports go to the city.
    together(
        (sumbar, [{"do": "citizen", "move": "reply", "codes": receipts(full_n)},
                  {"do": "dispose", "verifier": "admin.sumbar", "agency": "pemkot-padang",
                   "numbers": back_n}]),
        (hub, [{"do": "citizen", "move": "rate", "codes": receipts(hub_n)},
               {"do": "citizen", "move": "close", "codes": receipts(hub_n)}]),
    )  # fmt: skip
    wait_for(
        "replies at the ministry", lambda: len(full_n) - held_count(pu, "sumbar", full_n, "status='diproses'")
    )
    closed = "status='ditutup_pelapor' AND rating IS NOT NULL"
    wait_for(
        "rated and closed at the province", lambda: len(hub_n) - held_count(sumbar, "hub", hub_n, closed)
    )

    # 4. Answered again; rated and closed.
    again = "Perbaikan lanjutan sudah selesai dikerjakan; mohon dicek kembali di lokasi."
    pu.act(answer_step("sumbar", full_n, "admin.nasional", "admin.pu", "kemen-pu", text=again))
    wait_for(
        "second answers at the province",
        lambda: len(full_n) - count_where(sumbar, full_n, "status='selesai'"),
    )
    sumbar.act(
        {"do": "citizen", "move": "rate", "codes": receipts(full_n)},
        {"do": "citizen", "move": "close", "codes": receipts(full_n)},
    )
    wait_for(
        "rated and closed at the ministry", lambda: len(full_n) - held_count(pu, "sumbar", full_n, closed)
    )
    wait_for("outboxes empty", lambda: sum(undelivered(i) for i in inst.values()))
    return {"full": (full, full_n), "return": (back, back_n), "hub": (at_hub, hub_n)}


# What the sync must leave in each host table (of the agencies in HOSTS). At pu, the province's
# agencies have people in the seeded directory (the same seed everywhere): worked here, so the hub
# never makes them remote (the sync reports them as "local").
SYNCED = {"sumbar": {"kemen-pu": "pu"}, "pu": {}}


def sync_directories(inst):
    """The province and the ministry take who-hosts-what from the hub's signed directory."""
    for slug in ("sumbar", "pu"):
        [answer] = inst[slug].act({"do": "sync", "hub": "hub", "check": sorted(HOSTS)})
        expected = SYNCED[slug]
        if answer["hosts"] != expected:
            raise SystemExit(f"{slug}: the synced hosts are {answer['hosts']}, not {expected}")
        log(f"{slug} synced the hub's directory: {answer['counts']}")


def returned_count(instance, numbers):
    marks = ",".join("?" * len(numbers))
    sql = (
        "SELECT count(*) FROM reports_disposition d JOIN reports_report r ON r.id=d.report_id "
        "JOIN directory_agency a ON a.id=d.agency_id "
        f"WHERE r.tracking_number IN ({marks}) AND a.code='kemen-pu' AND d.status='bukan_wewenang'"
    )
    return instance.query(sql, *numbers)[0][0]


def undelivered(instance):
    out = instance.query("SELECT count(*) FROM federation_federationmessage WHERE status != 'sent'")[0][0]
    held = instance.query("SELECT count(*) FROM federation_receivedmessage WHERE state = 'buffered'")[0][0]
    return out + held


RESTARTS = {"count": 0}


def restart_later(instance, *, after, pause):
    """Kill -9 `instance` `after` seconds from now, while the people elsewhere are working."""
    thread = threading.Thread(target=lambda: (time.sleep(after), restart(instance, pause)))
    thread.start()
    return thread


def restart(instance, pause):
    instance.kill9()
    RESTARTS["count"] += 1
    log(f"kill -9 {instance.slug} (server and worker); restarting in {pause} s")
    time.sleep(pause)
    instance.start()
    instance.wait_up()


# --- The checks ---------------------------------------------------------------------------------------------

# Exactly these timeline entries, once each, on each side (event action → count).
EXPECTED = {
    "full": {
        "origin": {"submitted": 1, "disposed": 1, "follow_up_started": 1, "follow_up_posted": 2,
                   "reporter_replied": 1, "rated": 1, "closed": 1},
        "holder": {"submitted": 1, "disposed": 1, "follow_up_started": 1, "follow_up_posted": 2,
                   "reporter_replied": 1, "rated": 1, "closed": 1},
    },
    "return": {
        "origin": {"submitted": 1, "disposed": 2, "disposition_returned": 1},
        "holder": {"submitted": 1, "archived": 1},
    },
    "hub": {
        "origin": {"submitted": 1, "disposed": 1, "follow_up_started": 1, "follow_up_posted": 1,
                   "rated": 1, "closed": 1},
        "holder": {"submitted": 1, "disposed": 1, "follow_up_started": 1, "follow_up_posted": 1,
                   "rated": 1, "closed": 1},
    },
}  # fmt: skip
SIDES = {"full": ("sumbar", "pu"), "return": ("sumbar", "pu"), "hub": ("hub", "sumbar")}


def events(instance, report_ids):
    marks = ",".join("?" * len(report_ids))
    rows = instance.query(
        f"SELECT report_id, action, count(*) FROM reports_event WHERE report_id IN ({marks}) GROUP BY 1, 2",
        *report_ids,
    )
    found = {}
    for report_id, action, count in rows:
        found.setdefault(report_id, {})[action] = count
    return found


def compare(expected, found, tally):
    for action, want in expected.items():
        got = found.get(action, 0)
        tally["lost effects"] += max(want - got, 0)
        tally["double effects"] += max(got - want, 0)


def check_scenario(inst, name, reporters, numbers, tally):
    origin, holder = (inst[slug] for slug in SIDES[name])
    marks = ",".join("?" * len(numbers))
    mine = dict(
        origin.query(
            f"SELECT tracking_number, id FROM reports_report WHERE tracking_number IN ({marks})", *numbers
        )
    )
    copies = holder.query(
        f"SELECT external_id, id FROM reports_report WHERE source_instance=? AND external_id IN ({marks})",
        origin.slug,
        *numbers,
    )
    per_number = {}
    for number, report_id in copies:
        per_number.setdefault(number, []).append(report_id)
    tally["lost effects"] += sum(1 for n in numbers if not per_number.get(n))
    tally["double effects"] += sum(len(ids) - 1 for ids in per_number.values() if len(ids) > 1)
    origin_events = events(origin, list(mine.values()))
    holder_events = events(holder, [ids[0] for ids in per_number.values()])
    for number in numbers:
        compare(EXPECTED[name]["origin"], origin_events.get(mine[number], {}), tally)
        if per_number.get(number):
            compare(EXPECTED[name]["holder"], holder_events.get(per_number[number][0], {}), tally)
    check_photos(holder, origin.slug, reporters, numbers, tally)
    check_deadlines(origin, holder, numbers, tally)
    check_leaks(holder, reporters, tally)


def check_photos(holder, origin_slug, reporters, numbers, tally):
    """Each copy has exactly the photo its report was sent with (re-checked, stored once)."""
    marks = ",".join("?" * len(numbers))
    found = dict(
        holder.query(
            "SELECT r.external_id, count(a.id) FROM reports_report r "
            "LEFT JOIN reports_attachment a ON a.report_id = r.id "
            f"WHERE r.source_instance=? AND r.external_id IN ({marks}) GROUP BY r.external_id",
            origin_slug,
            *numbers,
        )
    )
    for person, number in zip(reporters, numbers, strict=True):
        want, got = (1 if person["photo"] else 0), found.get(number, 0)
        tally["lost effects"] += max(want - got, 0)
        tally["double effects"] += max(got - want, 0)
        tally["photos forwarded"] += min(got, want)


def check_deadlines(origin, holder, numbers, tally):
    """The holder's clocks are the origin's: verification from submission, completion from the
    first disposal."""
    marks = ",".join("?" * len(numbers))
    there = {
        row[0]: row[1:]
        for row in holder.query(
            f"SELECT external_id, verification_due_at, completion_due_at FROM reports_report "
            f"WHERE source_instance=? AND external_id IN ({marks})",
            origin.slug,
            *numbers,
        )
    }
    for number, verification, completion in origin.query(
        f"SELECT tracking_number, verification_due_at, completion_due_at FROM reports_report "
        f"WHERE tracking_number IN ({marks})",
        *numbers,
    ):
        if number in there and (verification, completion) != there[number]:
            tally["sla mismatches"] += 1


def check_leaks(holder, reporters, tally):
    """No reporter identity and no confidential report's text anywhere in the holder's database,
    nor on its public pages."""
    dump = "\n".join(sqlite3.connect(f"file:{holder.db}?mode=ro", uri=True).iterdump())
    for person in reporters:
        for secret in (person["name"], person["email"], person["phone"]):
            if secret in dump:
                tally["identity leaks"] += 1
    public = public_text(holder)
    for person in reporters:
        if person["confidential"] and person["secret_text"] in public:
            tally["confidential leaks"] += 1


def public_text(instance):
    """What anybody reads on the instance's public report list (REST API), every page."""
    text, path = [], "/api/v1/public/reports/?page_size=100"
    while path:
        conn = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        conn.close()
        text.append(body)
        try:
            following = json.loads(body).get("next")
        except ValueError:
            following = None
        path = following.split(str(instance.port), 1)[-1] if following else None
    return "\n".join(text)


def check_network_figures(inst, scenarios, tally):
    """The province and the ministry send the hub their figures; the hub's network view must count
    each instance's share of the run: the ministry every copy it held (answered or given back), the
    province the reports given back and disposed to its own agencies and the copies of the hub's
    reports it answered (the reports it disposed to the ministry are the ministry's). Through the
    faulty proxy, so a lost request or answer is sent again and a late duplicate must change nothing."""
    started = time.time()
    full_n, back_n, hub_n = (len(scenarios[name][1]) for name in ("full", "return", "hub"))
    expected = {"pu": full_n + back_n, "sumbar": back_n + hub_n}
    [[sumbar], [pu]] = together(*((inst[slug], [{"do": "figures", "hub": "hub"}]) for slug in expected))
    stored = dict(
        inst["hub"].query(
            "SELECT i.slug, SUM(f.received) FROM federation_networkfigure f "
            "JOIN federation_networkperiod p ON p.id = f.period_id "
            "JOIN federation_instance i ON i.id = p.instance_id GROUP BY i.slug"
        )
    )
    for slug, answer in (("sumbar", sumbar), ("pu", pu)):
        if answer["answer"].get("not_hosted") or answer["received"] != expected[slug]:
            tally["network figure mismatches"] += 1
        if stored.get(slug) != expected[slug]:
            tally["network figure mismatches"] += 1
    log(f"the hub's network figures: {stored} (expected {expected}; {time.time() - started:.1f} s)")


def rejected(instances):
    return sum(
        i.query("SELECT count(*) FROM federation_receivedmessage WHERE state='rejected'")[0][0]
        for i in instances
    )


# --- The run ------------------------------------------------------------------------------------------------


def main():
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="jembatan-federation-"))
    inst = instances(tmp)
    prepare(list(inst.values()))
    set_up(inst)
    proxy = Proxy()
    try:
        for instance in inst.values():
            instance.start()
        for instance in inst.values():
            instance.wait_up()
        log("three instances up (gunicorn + worker each); every message goes through the faulty proxy")
        sync_directories(inst)
        scenarios = drive(inst, proxy)
        tally = dict.fromkeys(
            ("lost effects", "double effects", "sla mismatches", "identity leaks", "confidential leaks"), 0
        )
        tally["photos forwarded"] = 0
        for name, (reporters, numbers) in scenarios.items():
            check_scenario(inst, name, reporters, numbers, tally)
        tally["network figure mismatches"] = 0
        check_network_figures(inst, scenarios, tally)
        tally["rejected messages"] = rejected(inst.values())
        tally["undelivered"] = sum(undelivered(i) for i in inst.values())
    finally:
        for instance in inst.values():
            instance.stop_actor()
            instance.kill9()
        proxy.close()
    summary = {"reports": TOTAL, **proxy.counts, "restarts": RESTARTS["count"], **tally}
    print("== federation summary: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    print(f"   ({time.time() - started:.0f} s; databases and logs in {tmp})")
    failed = {k: v for k, v in tally.items() if v and k != "photos forwarded"}
    if failed:
        raise SystemExit(f"!! federation stage FAILED: {failed}")
    shutil.rmtree(tmp, ignore_errors=True)
    print("== federation stage passed")


if __name__ == "__main__":
    main()
