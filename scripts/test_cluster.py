"""`make test-cluster`: a real Jembatan cluster on loopback, put under faults while clients submit.

Parts (all on 127.0.0.1, own data under a temporary folder, stopped at the end):
  PostgreSQL 15 primary :5440 and a streaming replica :5441 (initdb, pg_basebackup -R, pg_ctl, run
  as the `postgres` user), Redis :6380 (cache, sessions, rate limits, Huey queue; appendonly),
  two gunicorn web nodes :8161 :8162, two Huey worker nodes, HAProxy :8160 checking /readyz,
  and a loopback SMS gateway :8175 that records every message it receives.

Citizens submit reports through the REST API (HAProxy) with an Idempotency-Key and retry the same
key on any connection error or 5xx; a reader lists public reports (routed to the replica).
Faults, one after the other: kill -9 web node 1 and restart it, the same for node 2; kill -9 a
worker node while the gateway holds a message in flight and restart it; stop the replica and start
it again; stop Redis for 2 s and start it again. Each fault prints a line (how long until the
service and the node answer again). Then: every acknowledged report exists exactly once, every SMS
notification of those reports was received by the gateway exactly once, and every read while the
replica was down came from the primary. Prints `acknowledged`, `lost`, `duplicated`, `5xx`; exits 1
on loss, duplicate, a double delivery, a replica read during the outage, or any 5xx while Redis was
down (everything on Redis fails open: rate limits, sessions, cached numbers; /readyz keeps the nodes
in).
"""

import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
LB, WEB, PRIMARY, REPLICA, REDIS, GATEWAY = 8160, (8161, 8162), 5440, 5441, 6380, 8175
CLIENTS = 6
SECRET = "cluster-test-" + "s" * 50

tmp = Path(tempfile.mkdtemp(prefix="jembatan-cluster-"))
# `make test` has collected the static files already (make setup); compressing them again takes minutes.
_collected = ROOT / "var" / "static"
STATIC_ROOT = _collected if (_collected / "staticfiles.json").exists() else tmp / "static"
procs = {}
lock = threading.Lock()
stats = {"acknowledged": [], "5xx": 0, "5xx_at": [], "conn_errors": 0, "rejected": [], "reads": []}
redis_window = []  # (from, to) monotonic: Redis stopped until the service was ready again (+2 s)
stop_clients = threading.Event()
failures = []


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def as_postgres(*command, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True, **kwargs)


def app_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JEMBATAN_", "DJANGO_", "DATABASE_"))}
    env.update(
        JEMBATAN_ENV="production",
        SECRET_KEY=SECRET,
        JEMBATAN_VAR_DIR=str(tmp / "var"),
        MEDIA_ROOT=str(tmp / "media"),
        STATIC_ROOT=str(STATIC_ROOT),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{PRIMARY}/jembatan",
        DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{REPLICA}/jembatan",
        REDIS_URL=f"redis://127.0.0.1:{REDIS}/0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_PROXY_SSL_HEADER="true",  # HAProxy appends the client's address to X-Forwarded-For
        EMAIL_BACKEND="file",
        EMAIL_FILE_PATH=str(tmp / "mail"),
        NOTIFY_SMS_PROVIDER="http",
        NOTIFY_SMS_HTTP_URL=f"http://127.0.0.1:{GATEWAY}/sms",
        WEB_WORKERS="1",
        WEB_THREADS="4",
        HUEY_WORKERS="2",
        ACCESS_LOG="false",
        LOG_LEVEL="WARNING",  # the replica's state changes are warnings: they are in the logs
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="jembatan.settings",
    )
    env.update(extra)
    return env


def start(name, command, env=None, cwd=ROOT):
    out = open(tmp / f"{name}.log", "ab")
    procs[name] = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=out, start_new_session=True)
    return procs[name]


def kill9(name):
    proc = procs.pop(name)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def http_get(port, path, timeout=3, source=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=source)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        # HAProxy passes header names in lower case (HTTP/1 is case-insensitive).
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def wait_for(check, seconds, what):
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise SystemExit(f"!! {what} did not come back within {seconds} s (logs in {tmp})")


def ready(port):
    return http_get(port, "/readyz")[0] == 200


# --- The loopback SMS gateway -------------------------------------------------------------------------
received = []
in_flight = [0]


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            received.append(body["reference"])
            in_flight[0] += 1
        time.sleep(0.3)  # a slow gateway: deliveries are in flight long enough to kill a worker mid-way
        with lock:
            in_flight[0] -= 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"message_id": body["reference"]}).encode())

    def log_message(self, *args):
        pass


# --- Clients --------------------------------------------------------------------------------------------
def citizen(index, token):
    source = (f"127.0.0.{20 + index}", 0)  # one address per client: per-address limits stay per client
    n = 0
    while not stop_clients.is_set():
        n += 1
        key = str(uuid.uuid4())
        marker = f"C{index}-{n}-{key[:8]}"
        body = json.dumps(
            {
                "kind": "pengaduan",
                "title": f"Uji klaster {marker}",
                "description": f"Laporan uji klaster {marker}: lampu jalan depan pasar mati sejak kemarin.",
            }
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", LB, timeout=15, source_address=source)
                conn.request(
                    "POST",
                    "/api/v1/reports/",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": key,
                        "Host": "127.0.0.1",
                    },
                )
                response = conn.getresponse()
                payload = response.read()
                conn.close()
            except (OSError, http.client.HTTPException):
                with lock:
                    stats["conn_errors"] += 1
                time.sleep(0.2)
                continue
            if response.status >= 500:
                with lock:
                    stats["5xx"] += 1
                    stats["5xx_at"].append(time.monotonic())
                time.sleep(0.2)
                continue
            if response.status == 201:
                number = json.loads(payload)["tracking_number"]
                with lock:
                    stats["acknowledged"].append((marker, number))
            else:
                with lock:
                    stats["rejected"].append((response.status, payload[:200]))
                time.sleep(1)
            break
        time.sleep(0.15)


replica_down = threading.Event()


def reader():
    while not stop_clients.is_set():
        # A read counts as "during the outage" only if the replica was already stopped when it
        # started and not yet restarting when it ended.
        before = replica_down.is_set()
        try:
            status, headers, _ = http_get(LB, "/api/v1/public/reports/", timeout=10, source=("127.0.0.19", 0))
            during = before and replica_down.is_set()
            with lock:
                stats["reads"].append((status, headers.get("x-jembatan-read"), during))
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)


# --- Set-up ---------------------------------------------------------------------------------------------
def setup_postgres():
    shutil.chown(tmp, "postgres")
    os.chmod(tmp, 0o755)
    primary, replica = tmp / "pg-primary", tmp / "pg-replica"
    as_postgres(
        PG_BIN / "initdb",
        "-D",
        primary,
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        stdout=subprocess.DEVNULL,
    )
    with open(primary / "postgresql.conf", "a") as conf:
        conf.write(
            f"port = {PRIMARY}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{tmp}'\n"
            "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nshared_buffers = 64MB\n"
        )
    as_postgres(
        PG_BIN / "pg_ctl",
        "-D",
        primary,
        "-l",
        tmp / "pg-primary.log",
        "-w",
        "start",
        stdout=subprocess.DEVNULL,
    )
    as_postgres(
        PG_BIN / "psql", "-h", "127.0.0.1", "-p", PRIMARY, "-U", "postgres", "-qc", "CREATE DATABASE jembatan"
    )
    as_postgres(
        PG_BIN / "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        PRIMARY,
        "-U",
        "postgres",
        "-D",
        replica,
        "-R",
        "-X",
        "stream",
    )
    with open(replica / "postgresql.conf", "a") as conf:
        conf.write(f"port = {REPLICA}\n")
    start_replica()


def start_replica():
    as_postgres(
        PG_BIN / "pg_ctl",
        "-D",
        tmp / "pg-replica",
        "-l",
        tmp / "pg-replica.log",
        "-w",
        "start",
        stdout=subprocess.DEVNULL,
    )


def stop_replica():
    as_postgres(
        PG_BIN / "pg_ctl", "-D", tmp / "pg-replica", "-m", "fast", "-w", "stop", stdout=subprocess.DEVNULL
    )


def start_redis():
    start(
        "redis",
        [
            "redis-server",
            "--port",
            str(REDIS),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
    )
    wait_for(lambda: socket.create_connection(("127.0.0.1", REDIS), 1).close() is None, 10, "redis")


SEED = """
from jembatan.accounts.models import User
from jembatan.api import actions
from jembatan.reports.tests.factories import build_world
build_world()
for i in range({clients}):
    user = User.objects.create_user(username=f"warga.klaster{{i}}", phone=f"0812700000{{i:02d}}",
                                    notify_by_email=False, notify_by_sms=True)
    print(actions.issue_citizen_token(user=user)[1])
"""


def start_web(i):
    start(
        f"web{i}",
        [PY, "-m", "gunicorn", "-c", "python:jembatan.gunicorn_conf", "jembatan.wsgi:application"],
        env=app_env(PORT=str(WEB[i - 1]), HOST="127.0.0.1", PROMETHEUS_MULTIPROC_DIR=str(tmp / f"prom{i}")),
    )


def start_worker(i):
    start(f"worker{i}", [PY, "manage.py", "run_worker", "--workers", "2"], env=app_env())


def setup_app():
    env = app_env()
    for i in (1, 2):
        (tmp / f"prom{i}").mkdir()
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    if STATIC_ROOT != _collected:
        subprocess.run(
            [PY, "manage.py", "collectstatic", "--no-input", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SEED.format(clients=CLIENTS)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.split()[-CLIENTS:]


HAPROXY = """
global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
frontend jembatan
  bind 127.0.0.1:{lb}
  option forwardfor
  default_backend web
backend web
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz hdr Host 127.0.0.1
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1
  server web1 127.0.0.1:{w1} check
  server web2 127.0.0.1:{w2} check
"""


def main():
    started = time.monotonic()
    for tool in ("haproxy", "redis-server", "runuser"):
        if not shutil.which(tool):
            raise SystemExit(f"!! {tool} is missing")
    log(f"cluster under {tmp}")
    setup_postgres()
    start_redis()
    tokens = setup_app()
    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", GATEWAY), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    for i in (1, 2):
        start_web(i)
        start_worker(i)
    (tmp / "haproxy.cfg").write_text(HAPROXY.format(lb=LB, w1=WEB[0], w2=WEB[1]))
    start("haproxy", ["haproxy", "-db", "-f", str(tmp / "haproxy.cfg")])
    for port in WEB:
        wait_for(lambda port=port: ready(port), 60, f"web node :{port}")
    wait_for(lambda: ready(LB), 20, "HAProxy")
    log(
        f"cluster up in {time.monotonic() - started:.0f} s: primary+replica, redis, 2 web, 2 workers, haproxy"
    )

    threads = [threading.Thread(target=citizen, args=(i, t)) for i, t in enumerate(tokens)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    time.sleep(6)
    faults = []

    def record(name, back_seconds, node_seconds=None):
        line = f"fault: {name:<34} service answered again after {back_seconds:5.1f} s"
        if node_seconds is not None:
            line += f"; the node was ready again {node_seconds:5.1f} s after its restart"
        log(line)
        faults.append((name, back_seconds, node_seconds))

    only = os.environ.get("CLUSTER_FAULTS", "web,worker,replica,redis").split(",")
    for i in (1, 2) if "web" in only else ():
        kill9(f"web{i}")
        back = wait_for(lambda: ready(LB), 30, "HAProxy after a web node died")
        time.sleep(2)
        start_web(i)
        node = wait_for(lambda i=i: ready(WEB[i - 1]), 60, f"web node {i}")
        record(f"kill -9 web node {i}, restart", back, node)
        time.sleep(3)

    if "worker" in only:
        fault_worker(record)
    if "replica" in only:
        fault_replica(record)
    if "redis" in only:
        fault_redis(record)
    time.sleep(4)
    stop_clients.set()
    for t in threads:
        t.join()
    log("clients stopped; waiting for the outbox to drain (the sweep runs every minute)")
    return verify(faults, time.monotonic())


def fault_worker(record):
    wait_for(lambda: in_flight[0] > 0, 60, "a delivery in flight")
    kill9("worker1")
    time.sleep(1)
    start_worker(1)
    # Service = the other worker keeps delivering: a new message reaches the gateway.
    count = len(received)
    back = wait_for(lambda: len(received) > count, 60, "deliveries after a worker died")
    record("kill -9 worker node 1 mid-delivery, restart", back)
    time.sleep(3)


def fault_replica(record):
    stop_replica()
    replica_down.set()  # after pg_ctl stop returned: the replica no longer answers
    time.sleep(6)
    replica_down.clear()
    start_replica()
    try:
        back = wait_for(
            lambda: http_get(LB, "/api/v1/public/reports/")[1].get("x-jembatan-read") == "replica",
            60,
            "replica reads",
        )
    except SystemExit as exc:
        print(exc, flush=True)
        failures.append("reads did not return to the replica after its restart")
        back = float("nan")
    record("stop replica 6 s, restart (back = replica reads again)", back)
    time.sleep(3)


def fault_redis(record):
    stopped = time.monotonic()
    procs["redis"].send_signal(signal.SIGTERM)
    procs.pop("redis").wait()
    time.sleep(2)  # Redis away for a while, not only the instant of a restart
    start_redis()
    back = wait_for(lambda: ready(LB), 30, "readiness after the Redis restart")
    redis_window.append((stopped, time.monotonic() + 2))
    record("stop Redis 2 s, restart", back)


VERIFY = """
import json
from collections import Counter
from jembatan.notify.models import Notification
from jembatan.reports.models import Report
markers = json.load(open({path!r}))
titles = Counter(Report.objects.filter(title__startswith="Uji klaster ").values_list("title", flat=True))
sms = list(Notification.objects.filter(channel="sms", report__title__startswith="Uji klaster ")
           .values_list("report__title", "status", "pk"))
print(json.dumps({{"titles": titles, "sms": sms}}))
"""


def _during_redis():
    return sum(1 for at in stats["5xx_at"] for start, end in redis_window if start <= at <= end)


def verify(faults, t0):
    acknowledged = stats["acknowledged"]
    (tmp / "ack.json").write_text(json.dumps([m for m, _ in acknowledged]))
    deadline = time.monotonic() + 90
    while True:
        out = subprocess.run(
            [PY, "manage.py", "shell", "-c", VERIFY.format(path=str(tmp / "ack.json"))],
            env=app_env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        state = json.loads(out.stdout.strip().splitlines()[-1])
        pending = [row for row in state["sms"] if row[1] != "sent"]
        # Rows "sending" belong to the killed worker: its lease (notify/delivery.py, 10 minutes)
        # must run out before another worker may send them; waiting for that is not this test's job.
        if not any(row[1] == "pending" for row in pending) or time.monotonic() > deadline:
            break
        time.sleep(3)
    titles = state["titles"]
    lost = [m for m, _ in acknowledged if titles.get(f"Uji klaster {m}", 0) == 0]
    duplicated = [t for t, n in titles.items() if n > 1]
    with lock:
        got = list(received)
    refs = {}
    for ref in got:
        refs[ref] = refs.get(ref, 0) + 1
    twice = [ref for ref, n in refs.items() if n > 1]
    sent = [row for row in state["sms"] if row[1] == "sent"]
    acked_titles = {f"Uji klaster {m}" for m, _ in acknowledged}
    sms_titles = {row[0] for row in state["sms"]}
    without_sms = sorted(acked_titles - sms_titles)
    reads = stats["reads"]
    during = [r for r in reads if r[2] and r[0] == 200]
    replica_reads_during = [r for r in during if r[1] != "primary"]
    replica_reads = [r for r in reads if r[1] == "replica"]
    log(
        f"reads: {len(reads)} ({len(replica_reads)} from the replica); during the replica outage "
        f"{len(during)}, of which from the replica: {len(replica_reads_during)}"
    )
    log(
        f"notifications: {len(state['sms'])} SMS rows for the acknowledged reports, {len(sent)} sent, "
        f"{len(pending)} not yet sent (a killed worker's lease: retried after delivery.LEASE), "
        f"{len(got)} received by the gateway, {len(twice)} received twice, "
        f"{len(without_sms)} acknowledged reports without an SMS row"
    )
    summary = {
        "acknowledged": len(acknowledged),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "5xx": stats["5xx"],
        "5xx_while_redis_was_down": _during_redis(),
        "connection_errors_retried": stats["conn_errors"],
        "rejected_4xx": len(stats["rejected"]),
        "notifications_delivered_twice": len(twice),
        "notifications_pending": len(pending),
        "replica_reads_during_outage": len(replica_reads_during),
    }
    print("SUMMARY " + json.dumps(summary), flush=True)
    if stats["rejected"]:
        log(f"first rejections: {stats['rejected'][:3]}")
    failed = (
        failures
        or _during_redis()  # rate limits, sessions and cached numbers fail open without Redis
        or lost
        or duplicated
        or twice
        or without_sms
        or replica_reads_during
        or not acknowledged
        or not replica_reads
    )
    return 1 if failed else 0


def cleanup():
    for name in list(procs):
        try:
            kill9(name)
        except Exception:
            pass
    for data in ("pg-replica", "pg-primary"):
        if (tmp / data / "postmaster.pid").exists():
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(tmp / data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    if os.environ.get("KEEP_CLUSTER") != "1":
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    finally:
        stop_clients.set()
        cleanup()
    sys.exit(code)
