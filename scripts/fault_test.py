"""The fault stage of `make test` (issue 20): a real server and a real worker, killed with kill -9.

Starts gunicorn (the web server) and `manage.py run_worker` (the Huey consumer) on loopback, a slow
SMS gateway on loopback, and guest clients that submit reports through the REST API with an
Idempotency-Key, retrying every failure from another source address (a phone moving from Wi-Fi
to mobile data). Meanwhile the server and the worker are killed with kill -9 again and again, the
worker once more with SIGTERM while a message is in flight, and once while it holds a periodic
task's lease. Then it checks:

- 0 lost reports (every acknowledged tracking number is in the database),
- 0 duplicate reports (each submission made exactly one report),
- 0 server errors (a busy database is a 503, which clients retry),
- every message delivered, 0 delivered twice (the gateway honours the Idempotency-Key, as real
  gateways do; repeats it received after a kill -9 are counted and printed), and none repeated
  because of SIGTERM,
- every periodic task runs again after the last worker restart: the every-minute ones on their
  own schedule, the others when started (their leases are free, none stranded).

Nothing leaves 127.0.0.1. Ports: FAULTS_PORT (web, default 8150) and FAULTS_PORT + 1 (gateway).
"""

import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = int(os.environ.get("FAULTS_PORT", "8150"))
GATEWAY_PORT = PORT + 1
SUBMISSIONS = int(os.environ.get("FAULTS_REPORTS", "40"))
INTAKE_DEADLINE = 420  # seconds; a stuck intake fails the stage instead of hanging it
CLIENTS = 8
ADDRESSES = [f"127.0.1.{n}" for n in range(1, 61)]  # guest_write allows 30 an hour per address
VAR = ROOT / "var" / "faults"
DB = VAR / "jembatan.sqlite3"
random.seed(20)


def log(message):
    print(f"   [{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- The environment ------------------------------------------------------------------------------------

# `make test` has collected the static files already (make setup); pages and e-mails name their
# hashed files through that manifest, so the server and the worker must read the same one.
COLLECTED_STATIC = ROOT / "var" / "static"

ENV = {
    **os.environ,
    "STATIC_ROOT": str(
        COLLECTED_STATIC if (COLLECTED_STATIC / "staticfiles.json").exists() else VAR / "static"
    ),
    "JEMBATAN_ENV": "development",
    "DEBUG": "false",
    "JEMBATAN_VAR_DIR": str(VAR),
    "DATABASE_URL": f"sqlite:///{DB}",
    "SQLITE_BUSY_TIMEOUT": "10",
    "HUEY_BACKEND": "sqlite",
    "HUEY_SQLITE_PATH": str(VAR / "huey.sqlite3"),
    "HUEY_WORKERS": "2",
    "NOTIFY_SMS_PROVIDER": "http",
    "NOTIFY_SMS_HTTP_URL": f"http://127.0.0.1:{GATEWAY_PORT}/send",
    "NOTIFY_HTTP_TIMEOUT": "10",
    "OUTBOX_LEASE_SECONDS": "10",
    "WORKER_STOP_TIMEOUT": "10",
    "EMAIL_BACKEND": "file",
    "LOG_LEVEL": "WARNING",
    "SITE_URL": f"http://127.0.0.1:{PORT}",
}
ENV.pop("DJANGO_SETTINGS_MODULE", None)


def manage(*args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)


def prepare_database():
    """A migrated database with the demo directory; the seeded copy is kept while migrations stay the same."""
    stamp = hashlib.sha256(
        "".join(sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("jembatan/*/migrations/0*.py"))).encode()
    ).hexdigest()[:16]
    seed = ROOT / "var" / f"faults-seed-{stamp}.sqlite3"
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    if not (Path(ENV["STATIC_ROOT"]) / "staticfiles.json").exists():
        log("collecting static files (not collected by make setup)")
        manage("collectstatic", "--no-input", "-v0")
    if not seed.exists():
        log("seeding a fresh database (migrate, regions, demo directory): about a minute, once")
        manage("migrate", "--no-input", "-v0")
        manage("load_regions", "--if-empty")
        manage("seed_demo")
        with sqlite3.connect(DB) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for old in (ROOT / "var").glob("faults-seed-*.sqlite3"):
            old.unlink()
        shutil.copy(DB, seed)
    else:
        shutil.copy(seed, DB)
        manage("migrate", "--no-input", "-v0")


def query(sql, *params):
    con = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# --- The slow SMS gateway ---------------------------------------------------------------------------------


class Gateway:
    """Takes a message in 0.3–1.2 s; honours Idempotency-Key (a repeat gets the first answer)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first = {}  # key → message id
        self.requests = []  # (key, arrived at)
        self.in_flight = set()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = self.headers.get("Idempotency-Key") or json.loads(body)["reference"]
                with gateway.lock:
                    gateway.in_flight.add(key)
                    gateway.requests.append((key, time.time()))
                time.sleep(random.uniform(0.3, 1.2))
                with gateway.lock:
                    gateway.in_flight.discard(key)
                    message_id = gateway.first.setdefault(key, f"gw-{len(gateway.first) + 1}")
                answer = json.dumps({"id": message_id}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the worker was killed while waiting: its answer is lost, as in real life

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", GATEWAY_PORT), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self):
        with self.lock:
            keys = [key for key, _at in self.requests]
        return len(keys), len(set(keys)), {key for key in keys if keys.count(key) > 1}


# --- Processes ----------------------------------------------------------------------------------------------


class Process:
    def __init__(self, name, argv):
        self.name, self.argv, self.proc = name, argv, None
        self.kills = 0

    def start(self):
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=ENV,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(VAR / f"{self.name}.log", "a"),  # noqa: SIM115
        )
        self.started_at = time.time()

    def kill9(self):
        self.kills += 1
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.kill9()
            self.kills -= 1


def wait_for_server(timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


# --- Intake -----------------------------------------------------------------------------------------------


class Intake:
    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = {}  # marker → tracking number
        self.statuses = {}
        self.retries = 0

    def submit(self, marker, phone):
        key = str(uuid.uuid4())
        body = json.dumps(
            {
                "title": f"Jalan rusak {marker}",
                "description": f"Lubang besar di jalan dekat pasar, penanda {marker}, berbahaya.",
                "reporter_phone": phone,
            }
        )
        attempt = 0
        while True:
            source = random.choice(ADDRESSES)  # each attempt may leave from another address
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30, source_address=(source, 0))
                conn.request(
                    "POST",
                    "/api/v1/reports/",
                    body=body,
                    headers={"Content-Type": "application/json", "Idempotency-Key": key},
                )
                response = conn.getresponse()
                status, data = response.status, response.read()
                conn.close()
            except (OSError, http.client.HTTPException):  # refused, reset, cut off mid-answer
                status, data = "conn", b""
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 201:
                with self.lock:
                    self.acknowledged[marker] = json.loads(data)["tracking_number"]
                return
            attempt += 1
            with self.lock:
                self.retries += 1
            time.sleep(min(0.2 * attempt, 2) + random.random() * 0.2)


# --- The run --------------------------------------------------------------------------------------------


def held_leases():
    return query("SELECT name, owner FROM jobs_lease WHERE owner != ''")


def main():
    started = time.time()
    prepare_database()
    gateway = Gateway()
    server = Process(
        "server",
        [GUNICORN, "jembatan.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "2", "--timeout", "60", "--preload"],
    )
    worker = Process("worker", [PY, "manage.py", "run_worker", "-w", "2"])
    try:
        run(started, gateway, server, worker)
    finally:
        worker.stop()
        server.stop()
        gateway.server.shutdown()


def run(started, gateway, server, worker):
    server.start()
    worker.start()
    wait_for_server()
    log(f"server (gunicorn) on 127.0.0.1:{PORT}, worker, slow SMS gateway on 127.0.0.1:{GATEWAY_PORT}")

    intake = Intake()
    done = threading.Event()
    sigterm = {"keys": set(), "graceful": None}

    def client(n):
        for i in range(n, SUBMISSIONS, CLIENTS):
            intake.submit(f"F{i:04d}", f"08127{i:06d}")

    def after(count, minimum, maximum, *, until_intake_done=True):
        """Wait until `count()` grew by a random number in [minimum, maximum]; False once intake is
        done (or, with until_intake_done=False, once INTAKE_DEADLINE has passed)."""
        target = count() + random.randint(minimum, maximum)
        while count() < target:
            if until_intake_done:
                if done.wait(0.05):
                    return False
            elif time.time() > started + INTAKE_DEADLINE:
                return False
            else:
                time.sleep(0.05)
        return True

    def kill_server():
        # Each life serves a few reports, then dies mid-request: restarts are slow on a busy machine,
        # and a server that never serves proves nothing.
        while after(lambda: len(intake.acknowledged), 3, 7):
            time.sleep(random.uniform(0, 0.4))
            server.kill9()
            server.start()

    def kill_worker():
        rounds = 0
        # The first round (SIGTERM mid-send) does not end with the intake: 40 reports can all be
        # acknowledged before the worker's first messages reach the slow gateway (CI, 2026-12-07:
        # graceful=None), while the messages still go out for half a minute after.
        while after(lambda: len(gateway.requests), 2, 5, until_intake_done=rounds > 0):
            for _ in range(300):  # at a moment a message is in flight to the gateway
                with gateway.lock:
                    flying = set(gateway.in_flight)
                if flying:
                    break
                time.sleep(0.01)
            rounds += 1
            if rounds == 1:
                # SIGTERM mid-send, first: the loop ends with the intake, and on a quick run there
                # was no second round (graceful=None). The message must finish, not go out again later.
                sigterm["keys"] = flying
                os.kill(worker.proc.pid, signal.SIGTERM)
                try:
                    worker.proc.wait(timeout=20)
                    sigterm["graceful"] = True
                except subprocess.TimeoutExpired:
                    sigterm["graceful"] = False
                    worker.kill9()
            else:
                worker.kill9()
            worker.start()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    killers = [threading.Thread(target=kill_server), threading.Thread(target=kill_worker)]
    for thread in threads + killers:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1, started + INTAKE_DEADLINE - time.time()))
    done.set()
    for thread in killers:
        thread.join()  # before anything else: a killer must not restart a process after the end
    if any(thread.is_alive() for thread in threads):
        print(
            f"!! fault stage FAILED: intake not done in {INTAKE_DEADLINE} s: {intake.statuses}",
            file=sys.stderr,
        )
        raise SystemExit(1)
    if server.proc.poll() is not None:
        server.start()
    wait_for_server()
    log(
        f"intake done: {len(intake.acknowledged)} acknowledged, {intake.retries} retries, "
        f"answers {intake.statuses}"
    )

    # Kill the worker while it holds a periodic task's lease (the every-minute tasks start at :00).
    caught = None
    deadline = time.time() + 75
    while time.time() < deadline and caught is None:
        held = held_leases()
        if held:
            caught = held[0][0]
            worker.kill9()
            break
        time.sleep(0.01)
    restart_at = time.time()
    worker.start()
    log(f"worker killed while holding the lease {caught!r}; restarted")

    # Let the outbox drain: every SMS row sent. A row held by the last killed worker waits out its
    # lease (OUTBOX_LEASE_SECONDS) and then the next every-minute sweep: allow both, and a margin.
    deadline = time.time() + 150
    while time.time() < deadline:
        open_rows = query("SELECT COUNT(*) FROM notify_notification WHERE status IN ('pending', 'sending')")[
            0
        ][0]
        if open_rows == 0:
            break
        time.sleep(1)

    # The every-minute periodic tasks run again on their own after the restart.
    minute_tasks = [
        "triage-duplicate-index",
        "notify-outbox",
        "webhooks-outbox",
        "webhooks-queue",
        "triage-auto-route",
    ]
    restart_iso = datetime.fromtimestamp(restart_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
    deadline = restart_at + 130
    while time.time() < deadline:
        rows = dict(query("SELECT name, last_succeeded_at FROM jobs_heartbeat"))
        if all((rows.get(name) or "") >= restart_iso for name in minute_tasks):
            break
        time.sleep(2)
    rows = dict(query("SELECT name, last_succeeded_at FROM jobs_heartbeat"))
    late_minute = [name for name in minute_tasks if (rows.get(name) or "") < restart_iso]
    stranded = [
        name for name, owner in held_leases() if not owner.split(":")[1].isdigit() or not _alive(owner)
    ]

    # Every other periodic task runs when started now: none is stranded behind a dead holder.
    check = subprocess.run(
        [PY, "manage.py", "shell", "-c", RUN_ALL_PERIODIC],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    not_run = [line.split(":", 1)[1] for line in check.stdout.splitlines() if line.startswith("NOT-RUN:")]

    # --- The verdict -------------------------------------------------------------------------------------
    reports = dict(query("SELECT title, tracking_number FROM reports_report"))
    titles = [title for (title,) in query("SELECT title FROM reports_report")]
    lost = [m for m, number in intake.acknowledged.items() if reports.get(f"Jalan rusak {m}") != number]
    duplicated = len(titles) - len(set(titles))
    errors = sum(v for k, v in intake.statuses.items() if isinstance(k, int) and k >= 500 and k != 503)
    sms = query("SELECT status, idempotency_key FROM notify_notification WHERE channel = 'sms'")
    unsent = [key for status, key in sms if status != "sent"]
    requests, distinct, repeated = gateway.counts()
    sigterm_repeats = repeated & sigterm["keys"]
    elapsed = time.time() - started
    failures = []
    if len(intake.acknowledged) != SUBMISSIONS:
        failures.append(f"{SUBMISSIONS - len(intake.acknowledged)} submissions never acknowledged")
    if lost:
        failures.append(f"{len(lost)} acknowledged reports lost")
    if duplicated:
        failures.append(f"{duplicated} duplicate reports")
    if errors:
        failures.append(f"{errors} server errors")
    if unsent:
        failures.append(f"{len(unsent)} SMS not sent")
    if distinct != len(sms):
        failures.append(f"gateway got {distinct} distinct messages for {len(sms)} SMS rows")
    if sigterm["graceful"] is not True or sigterm_repeats:
        failures.append(
            f"SIGTERM: graceful={sigterm['graceful']}, repeats of in-flight messages={len(sigterm_repeats)}"
        )
    if caught is None:
        failures.append("never caught the worker holding a lease")
    if late_minute or stranded or not_run or check.returncode:
        failures.append(
            f"periodic: late {late_minute}, stranded {stranded}, not run {not_run} {check.stderr[-300:]}"
        )
    print(
        f"== faults: {server.kills} server and {worker.kills} worker kill -9s + 1 SIGTERM; "
        f"{len(intake.acknowledged)}/{SUBMISSIONS} reports acknowledged, {len(lost)} lost, "
        f"{duplicated} duplicated, "
        f"{errors} server errors ({intake.statuses.get(503, 0)} × 503, {intake.retries} client retries); "
        f"{len(sms)} SMS, {len(unsent)} unsent, {distinct} distinct at the gateway, 0 delivered twice "
        f"({requests - distinct} repeat requests after kill -9 mid-send answered from the gateway's "
        f"Idempotency-Key, {len(sigterm_repeats)} after SIGTERM); "
        f"periodic tasks ran again after restart (lease caught: {caught}); {elapsed:.0f} s",
        flush=True,
    )
    if failures:
        print("!! fault stage FAILED: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)


def _alive(owner):
    host, pid = owner.split(":")[:2]
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return True


# Runs each registered periodic task once (not the every-minute ones, checked on their schedule)
# and prints the name of any that did not record a success: a stranded lease would show here.
RUN_ALL_PERIODIC = """
from django.utils import timezone
from jembatan.jobs.models import Heartbeat
from jembatan.jobs import heartbeats
heartbeats.discover()  # every app's tasks.py: the registry knows every periodic task and its body
start = timezone.now()
slow = {name: entry for name, entry in heartbeats.REGISTRY.items() if entry.period.total_seconds() > 60}
for entry in slow.values():
    entry.run()
beats = {b.name: b for b in Heartbeat.objects.all()}
for name in slow:
    beat = beats.get(name)
    if beat is None or beat.last_succeeded_at is None or beat.last_succeeded_at < start:
        print(f"NOT-RUN:{name}")
"""


if __name__ == "__main__":
    main()
