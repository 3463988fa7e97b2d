"""Benchmark: Jembatan's Open311 endpoint against 6aika/issue-reporting (the peer), same machine, alternating.

    .venv/bin/python bench/bench_open311_peer.py                 # both servers, A B A B, prints the table
    .venv/bin/python bench/bench_open311_peer.py --rounds 1 --post-seconds 10   # a quicker look
    .venv/bin/python bench/bench_open311_peer.py --rebuild       # fresh databases (preload again)

Issue 15. Both servers run the same way: gunicorn, 2 sync workers, no access log, SQLite, DEBUG off.
Jembatan runs with JEMBATAN_ENV=production settings (SECRET_KEY, ALLOWED_HOSTS, its own var dir under
var/bench-open311/, HTTPS redirect off because the bench speaks plain HTTP on loopback) and the API
rate limits lifted (bench/open311_peer_settings.py). Each is seeded (Jembatan: regions, categories and
an Open311 key from `manage.py create_api_key`; the peer: ../shared/tools/peer_6aika_seed.py) and
preloaded to --preload rows through its own Open311 POST. Then ../shared/tools/open311_bench.py runs
against each in turn, peer first, --rounds times: POST at 8 and at 16 clients, then GET list (100 a
page) and GET one. Each of these three runs starts from the same copy of the preloaded databases on
both servers (the server is stopped, the copy put back, the server started and warmed up with 40
POSTs): without that, the server that took more POSTs measured its later runs on a larger table;
--grow measures the old way. Server CPU per POST comes from /proc/<pid>/stat of the gunicorn workers (and of
workers that exited, through the master's cutime/cstime) before and after each POST phase.

Prerequisites (without them it prints how to set them up and exits 0, so `make bench` goes on):
- the peer's source in var/peer/ (never committed: var/ is ignored), e.g.
  `git clone https://github.com/6aika/issue-reporting /tmp/peer.git --bare` then
  `mkdir -p var/peer && git --git-dir=/tmp/peer.git archive HEAD | tar -x -C var/peer`;
  --peer-git-dir DIR exports it from a bare clone for you;
- GDAL and GEOS (the peer lists django.contrib.gis): `apt-get install -y libgdal32 libgeos-c1v5`;
- gunicorn in this venv (requirements.lock has it).
The peer's venv (var/peer-venv) is made with pip if missing.

Ports: --port-base (default 8230) for the peer, +1 for Jembatan, loopback only.
"""

import argparse
import ctypes.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PEER_SRC = VAR / "peer"
PEER_VENV = VAR / "peer-venv"
WORK = VAR / "bench-open311"
TOOLS = ROOT.parent / "shared" / "tools"
BENCH_TOOL = TOOLS / "open311_bench.py"
PEER_SEED = TOOLS / "peer_6aika_seed.py"
JURISDICTION = "kota.example.id"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(text):
    print(text, file=sys.stderr, flush=True)


# --- Prerequisites ---------------------------------------------------------------------------------


def missing_prerequisites(args):
    """What is missing, as instructions; [] when the bench can run."""
    problems = []
    if not BENCH_TOOL.exists() or not PEER_SEED.exists():
        problems.append(f"the measurement tools: {BENCH_TOOL} and {PEER_SEED} (../shared/tools/)")
    if not (PEER_SRC / "manage.py").exists():
        if args.peer_git_dir and Path(args.peer_git_dir).exists():
            say(f"== exporting the peer from {args.peer_git_dir} into {PEER_SRC}")
            PEER_SRC.mkdir(parents=True, exist_ok=True)
            archive = subprocess.Popen(
                ["git", f"--git-dir={args.peer_git_dir}", "archive", "HEAD"], stdout=subprocess.PIPE
            )
            subprocess.run(["tar", "-x", "-C", str(PEER_SRC)], stdin=archive.stdout, check=True)
            archive.wait()
        else:
            problems.append(
                "the peer's source in var/peer/: make a bare clone of\n"
                "  https://github.com/6aika/issue-reporting (say, PEER.git), then\n"
                "    mkdir -p var/peer && git --git-dir=PEER.git archive HEAD | tar -x -C var/peer\n"
                "  (or pass --peer-git-dir PEER.git)"
            )
    if not (ctypes.util.find_library("gdal") and ctypes.util.find_library("geos_c")):
        problems.append("GDAL and GEOS for the peer: apt-get install -y libgdal32 libgeos-c1v5")
    if not (Path(sys.executable).parent / "gunicorn").exists():
        problems.append("gunicorn in this venv: make setup (requirements.lock has it)")
    return problems


def ensure_peer_venv():
    if (PEER_VENV / ".installed").exists():
        return
    say("== making the peer's venv (var/peer-venv)")
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(PEER_VENV / "bin/pip"), "install", "-q", "-r", str(PEER_SRC / "requirements.txt"), "gunicorn"],
        check=True,
    )
    (PEER_VENV / ".installed").touch()


# --- The two servers -------------------------------------------------------------------------------


class Server:
    """One gunicorn (2 sync workers) and how to seed, count and measure it."""

    def __init__(self, name, port):
        self.name = name
        self.port = port
        self.proc = None
        self.log = None
        WORK.mkdir(parents=True, exist_ok=True)
        self.quiet = open(WORK / f"{name}.setup.log", "a")  # system-check notes of migrate and friends

    def gunicorn(self, python, app, cwd, env):
        config = WORK / "gunicorn.conf.py"  # empty: neither side picks up a gunicorn.conf.py of its own
        config.write_text("# bench_open311_peer.py: flags on the command line only\n")
        self.log = open(WORK / f"{self.name}.gunicorn.log", "ab")
        self.proc = subprocess.Popen(
            [
                str(Path(python).parent / "gunicorn"),
                app,
                "--config",
                str(config),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base_url}services.json", timeout=10) as resp:
                    if resp.status == 200:
                        return json.load(resp)
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{self.name}: no answer on port {self.port}; see {self.log.name}")

    def stop(self):
        stop_group(self.proc, timeout=30)
        if self.log:
            self.log.close()

    def snapshot(self):
        """Stop the server and keep a copy of its data folder (the databases checkpointed into
        their main files): every measured run starts again from this copy (see --grow)."""
        self.stop()
        for db in self.data.glob("*.sqlite3"):
            with sqlite3.connect(db, timeout=30) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.saved = self.data.with_name(self.data.name + ".start")
        shutil.rmtree(self.saved, ignore_errors=True)
        shutil.copytree(self.data, self.saved)

    def restart_from_snapshot(self):
        """Stop, put the snapshot back (WAL and shared-memory files included), start, warm up both
        workers (imports, caches, connections: 40 POSTs at 2 clients, not measured)."""
        self.stop()
        shutil.rmtree(self.data)
        shutil.copytree(self.saved, self.data)
        self.start()
        result = run_tool(self, "--phases", "none", "--preload", "40", "--preload-concurrency", "2")
        if result["preload"]["errors"]:
            raise SystemExit(f"{self.name}: warm-up POSTs failed: {result['preload']}")

    def cpu_seconds(self):
        """User+system CPU of the workers alive now, plus that of the workers the master has reaped."""
        master = _stat(self.proc.pid)
        total = (master["cutime"] + master["cstime"]) / CLK_TCK
        for pid in _children(self.proc.pid):
            st = _stat(pid)
            if st:
                total += (st["utime"] + st["stime"]) / CLK_TCK
        return total

    def rows(self):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]


def stop_group(proc, *, timeout):
    """SIGTERM to the process group `proc` leads (it was started with start_new_session), SIGKILL
    after `timeout` seconds."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _stat(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state) of proc(5): ppid 4, utime 14, stime 15, cutime 16, cstime 17.
    return {
        "ppid": int(fields[1]),
        "utime": int(fields[11]),
        "stime": int(fields[12]),
        "cutime": int(fields[13]),
        "cstime": int(fields[14]),
    }


def _children(ppid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st and st["ppid"] == ppid:
                found.append(int(entry))
    return found


class Peer(Server):
    table = "issues_issue"

    def __init__(self, port):
        super().__init__("peer", port)
        self.data = WORK / "peer"
        self.db = self.data / "db.sqlite3"
        self.base_url = f"http://127.0.0.1:{port}/api/georeport/v2/"
        self.env = {
            **_clean_env(),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SECRET_KEY": "bench",
            "DEBUG": "0",
            "MEDIA_ROOT": str(self.data / "media"),
            "STATIC_ROOT": str(self.data / "static"),
        }

    def prepare(self):
        self.data.mkdir(parents=True, exist_ok=True)
        python = str(PEER_VENV / "bin/python")
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=PEER_SRC,
            env=self.env,
            check=True,
            stderr=self.quiet,
        )
        with open(PEER_SEED) as seed:
            out = subprocess.run(
                [python, "manage.py", "shell"],
                cwd=PEER_SRC,
                env=self.env,
                stdin=seed,
                stdout=subprocess.PIPE,
                stderr=self.quiet,
                text=True,
                check=True,
            ).stdout
        seeded = json.loads(out.strip().splitlines()[-1])
        self.api_key, self.service_code = seeded["api_key"], "001"

    def start(self):
        self.gunicorn(PEER_VENV / "bin/python", "cfh.wsgi:application", PEER_SRC, self.env)


class Jembatan(Server):
    table = "reports_report"

    def __init__(self, port):
        super().__init__("jembatan", port)
        self.data = WORK / "jembatan"
        self.db = self.data / "jembatan.sqlite3"
        self.base_url = f"http://127.0.0.1:{port}/open311/v2/"
        self.env = {
            **_clean_env(),
            "JEMBATAN_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "open311_peer_settings",
            "PYTHONPATH": str(ROOT / "bench"),
            "SECRET_KEY": "bench-only-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "OPEN311_JURISDICTION": JURISDICTION,
            "JEMBATAN_VAR_DIR": str(self.data),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; a TLS proxy does this in production
        }

    def _manage(self, *argv, **kwargs):
        return subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=self.env,
            check=True,
            text=True,
            stderr=self.quiet,
            **kwargs,
        )

    def prepare(self):
        self.data.mkdir(parents=True, exist_ok=True)
        key_file = self.data / "open311_key"
        self._manage("migrate", "--no-input", "-v0")
        self._manage("load_regions", "--if-empty", "-v0")
        self._manage("load_categories", "-v0")
        if not key_file.exists():
            raw = self._manage(
                "create_api_key", "--name", "bench open311", "-v0", stdout=subprocess.PIPE
            ).stdout
            key_file.write_text(raw.strip())
        self.api_key = key_file.read_text().strip()

    def publish(self):
        """Verify and dispose the preloaded reports: only public reports are in the Open311 list."""
        with open(ROOT / "bench" / "open311_publish.py") as script:
            out = self._manage("shell", stdin=script, stdout=subprocess.PIPE).stdout
        say(f"   jembatan: {out.strip().splitlines()[-1]}")

    def start(self):
        services = self.gunicorn(sys.executable, "jembatan.wsgi:application", ROOT, self.env)
        self.service_code = services[0]["service_code"]


def _clean_env():
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {k: os.environ[k] for k in keep if k in os.environ}


# --- Measuring -------------------------------------------------------------------------------------


def run_tool(server, *argv):
    cmd = [
        sys.executable,
        str(BENCH_TOOL),
        "--base-url",
        server.base_url,
        "--api-key",
        server.api_key,
        "--service-code",
        server.service_code,
        "--jurisdiction-id",
        JURISDICTION,
        "--label",
        server.name,
        "--field",
        "email=warga.bench@example.id",
        *argv,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if lines and "error" in json.loads(lines[-1]):
        raise SystemExit(f"{server.name}: {json.loads(lines[-1])['error']}")
    if not lines:
        raise SystemExit(
            f"{server.name}: open311_bench.py printed nothing (exit {out.returncode}):\n{out.stderr[-2000:]}"
        )
    return json.loads(lines[-1])


def preload(server, rows):
    for _ in range(5):  # one call of the tool stops after 600 s; a slow server needs more
        have = server.rows()
        if have >= rows:
            say(f"== {server.name}: {have} rows")
            return
        say(f"== {server.name}: preloading {rows - have} rows (has {have})")
        result = run_tool(
            server, "--phases", "none", "--preload", str(rows - have), "--preload-concurrency", "8"
        )
        say(f"   {result['preload']['rps']} req/s, errors {result['preload']['errors']}")
    raise SystemExit(f"{server.name}: still {server.rows()} rows after five preloads")


def post_phase(server, clients, seconds):
    """POST for `seconds` at `clients` clients (no warm-up): the tool's result of that phase."""
    result = run_tool(
        server,
        "--phases",
        "post",
        "--warmup",
        "0",
        "--post-concurrency",
        str(clients),
        "--post-seconds",
        str(seconds),
    )
    return result["post"][0]


def measure(server, args):
    """One round against one server: POST at each concurrency (with server CPU), then GET list and one.

    Unless --grow, each POST level and the GETs start from the same snapshot of the preloaded
    table, on both servers: the faster server would otherwise measure its later runs on a larger
    table (and a longer task queue) than the slower one."""
    row = {"server": server.name, "loadavg_start": os.getloadavg()[0], "rows": server.rows()}
    for clients in (8, 16):
        if not args.grow:
            server.restart_from_snapshot()
            row[f"rows{clients}"] = server.rows()
        before = server.cpu_seconds()
        post = post_phase(server, clients, args.post_seconds)
        used = server.cpu_seconds() - before
        row[f"post{clients}"] = {
            "rps": post["rps"],
            "p50": post["p50_ms"],
            "p99": post["p99_ms"],
            "requests": post["requests"],
            "errors": post["errors"],
            "status": post["status_counts"],
            "cpu_ms": 1000 * used / max(post["requests"], 1),
        }
    if not args.grow:
        server.restart_from_snapshot()
    result = run_tool(server, "--phases", "get", "--get-count", str(args.get_count), "--page-size", "100")
    gl, go = result["get_list"], result.get("get_one", {})
    row["get_list"] = {
        "p50": gl["p50_ms"],
        "p95": gl["p95_ms"],
        "bytes": gl["bytes_per_response"],
        "items": gl["items_per_response"],
        "errors": gl["errors"],
    }
    row["get_one"] = {"p50": go.get("p50_ms"), "p95": go.get("p95_ms"), "errors": go.get("errors")}
    row["rows_end"] = server.rows()
    row["loadavg_end"] = os.getloadavg()[0]
    say(f"   {server.name}: {json.dumps(row)}")
    return row


# --- The table -------------------------------------------------------------------------------------

LINES = [
    # label, getter, format, ratio sense (how to read Jembatan ÷ peer)
    ("POST 8 clients, req/s", lambda r: r["post8"]["rps"], "{:.0f}", "higher is better"),
    ("POST 8 clients, p99 ms", lambda r: r["post8"]["p99"], "{:.0f}", "lower is better"),
    ("POST 16 clients, req/s", lambda r: r["post16"]["rps"], "{:.0f}", "higher is better"),
    ("POST 16 clients, p99 ms", lambda r: r["post16"]["p99"], "{:.0f}", "lower is better"),
    ("server CPU per POST (8 clients), ms", lambda r: r["post8"]["cpu_ms"], "{:.1f}", "lower is better"),
    ("server CPU per POST (16 clients), ms", lambda r: r["post16"]["cpu_ms"], "{:.1f}", "lower is better"),
    ("GET list (100 a page) p50 ms", lambda r: r["get_list"]["p50"], "{:.1f}", "lower is better"),
    ("GET list (100 a page) p95 ms", lambda r: r["get_list"]["p95"], "{:.1f}", "lower is better"),
    ("bytes per list page", lambda r: r["get_list"]["bytes"], "{:,.0f}", "lower is better"),
    ("GET one p50 ms", lambda r: r["get_one"]["p50"], "{:.1f}", "lower is better"),
    ("GET one p95 ms", lambda r: r["get_one"]["p95"], "{:.1f}", "lower is better"),
]


def table(rounds):
    """Markdown: per line, each round's peer and Jembatan figures and the ratio Jembatan ÷ peer."""
    head = [
        "",
        *[f"peer r{i + 1}" for i in range(len(rounds))],
        *[f"Jembatan r{i + 1}" for i in range(len(rounds))],
        "Jembatan ÷ peer (per round)",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, get, fmt, sense in LINES:
        peers = [get(p) for p, _ in rounds]
        ours = [get(j) for _, j in rounds]
        ratios = [f"{o / p:.2f}" if o is not None and p else "–" for p, o in zip(peers, ours, strict=True)]
        cells = [fmt.format(v) if v is not None else "–" for v in peers + ours]
        out.append(f"| {label} | " + " | ".join(cells) + f" | {', '.join(ratios)} ({sense}) |")
    loads = [
        f"r{i + 1}: peer {p['loadavg_start']:.1f}→{p['loadavg_end']:.1f}, "
        f"Jembatan {j['loadavg_start']:.1f}→{j['loadavg_end']:.1f}"
        for i, (p, j) in enumerate(rounds)
    ]
    rows = [
        f"r{i + 1}: peer {p.get('rows8', p['rows'])}, Jembatan {j.get('rows8', j['rows'])}"
        for i, (p, j) in enumerate(rounds)
    ]
    errors = [
        f"r{i + 1} {s['server']}: " + ", ".join(f"POST{c} {s[f'post{c}']['status']}" for c in (8, 16))
        for i, pair in enumerate(rounds)
        for s in pair
    ]
    out += [
        "",
        "Load average (1 min) at start→end of each run: " + "; ".join(loads),
        "Rows in the table at the start of each run: " + "; ".join(rows),
        "POST status counts: " + "; ".join(errors),
    ]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--rounds", type=int, default=2, help="A, B pairs (default 2: peer, Jembatan, peer, Jembatan)"
    )
    ap.add_argument("--preload", type=int, default=10_000, help="rows in each table before measuring")
    ap.add_argument("--post-seconds", type=float, default=20.0)
    ap.add_argument("--get-count", type=int, default=300)
    ap.add_argument("--port-base", type=int, default=8230)
    ap.add_argument("--peer-git-dir", help="bare clone of 6aika/issue-reporting to export var/peer from")
    ap.add_argument("--rebuild", action="store_true", help="drop both benchmark databases first")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument(
        "--grow",
        action="store_true",
        help="let the tables grow from run to run (before session 9: each run on what the last left)",
    )
    args = ap.parse_args()

    problems = missing_prerequisites(args)
    if problems:
        print("bench_open311_peer: skipped, missing prerequisites:\n- " + "\n- ".join(problems))
        return 0
    ensure_peer_venv()
    WORK.mkdir(parents=True, exist_ok=True)
    peer, ours = Peer(args.port_base), Jembatan(args.port_base + 1)
    if args.rebuild:
        for server in (peer, ours):
            subprocess.run(["rm", "-rf", str(server.data)], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        for server in (peer, ours):
            say(f"== {server.name}: migrate and seed")
            server.prepare()
            server.start()
        # Set-up, not measurement: both preloads at once.
        loaders = [threading.Thread(target=preload, args=(s, args.preload)) for s in (peer, ours)]
        for t in loaders:
            t.start()
        for t in loaders:
            t.join()
        ours.publish()
        if not args.grow:
            for server in (peer, ours):
                server.snapshot()
        rounds = []
        for i in range(args.rounds):
            say(f"== round {i + 1} of {args.rounds}")
            rounds.append((measure(peer, args), measure(ours, args)))
    finally:
        peer.stop()
        ours.stop()
    print(
        f"Open311: 6aika/issue-reporting (peer) and Jembatan {commit}, {started}, {os.cpu_count()} CPUs, "
        "gunicorn 2 sync workers each, SQLite, "
        f"POST {args.post_seconds:.0f} s per level, {args.get_count} GETs each\n"
    )
    print(table(rounds))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"commit": commit, "started": started, "rounds": rounds}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
