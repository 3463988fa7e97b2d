"""Benchmark: does the worker keep up with the Open311 intake? (issue 15)

    .venv/bin/python bench/bench_worker.py                        # 8 clients for 20 s, 2 worker threads
    .venv/bin/python bench/bench_worker.py --seconds 10 --clients 4
    .venv/bin/python bench/bench_worker.py --peer-json FILE       # compare with 2× the peer's intake

Every Open311 POST leaves the worker two things to do after its commit (one queued task per
transaction, jobs/deferred.py): render and send the reporter's acknowledgement from the outbox, and
harden the report's access code (PBKDF2, ACCESS_CODE_HASH_ITERATIONS rounds). This bench runs what
production runs on one machine: the web server (gunicorn, 2 sync workers, as bench_open311_peer.py
starts it) and the worker (`manage.py run_worker`, Huey on SQLite, --threads threads) side by side
on the same SQLite database, sends POSTs with ../shared/tools/open311_bench.py at --clients clients
for --seconds, and then lets the worker finish. E-mail goes into the worker's memory (the locmem
backend): the rendering, outbox bookkeeping and hardening are measured, not an SMTP server.

It prints the intake (POSTs a second), the worker's rate while the POSTs ran and after, the backlog
when they stopped, how long the worker took to clear it, and the CPU each side spent per report.
"Keeps up" means the worker's rate during the load is at least the intake. With --peer-json (the
--json of bench_open311_peer.py) it also prints 2× the peer's POST rate at the same clients.

Its own data folder: var/bench-worker/ (rebuilt with --rebuild). Port --port (default 8241).
`make bench` runs it too (about two minutes); without ../shared/tools/ it says so and exits 0.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_open311_peer as peerbench  # noqa: E402  (the same server set-up and tool runner)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench-worker"


class Server(peerbench.Jembatan):
    """bench_open311_peer.py's Jembatan server in its own folder, with a worker beside it."""

    def __init__(self, port, threads, iterations=None):
        super().__init__(port)
        self.name = "worker-bench"
        self.data = DATA / "data"
        self.db = self.data / "jembatan.sqlite3"
        self.env.update(
            {
                "JEMBATAN_VAR_DIR": str(self.data),
                "DATABASE_URL": f"sqlite:///{self.db}",
                "EMAIL_BACKEND": "locmem",
                "HUEY_WORKERS": str(threads),
            }
        )
        if iterations:
            self.env["ACCESS_CODE_HASH_ITERATIONS"] = str(iterations)
        self.worker = None

    def start_worker(self):
        log = open(DATA / "worker.log", "ab")
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def stop_worker(self):
        peerbench.stop_group(self.worker, timeout=60)  # SIGTERM: run_worker's graceful stop

    def worker_cpu(self):
        st = peerbench._stat(self.worker.pid)
        return (st["utime"] + st["stime"]) / peerbench.CLK_TCK

    def progress(self):
        """(reports, acknowledgements sent, access codes hardened), read from the database."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as conn:
            reports = conn.execute("SELECT count(*) FROM reports_report").fetchone()[0]
            sent = conn.execute("SELECT count(*) FROM notify_notification WHERE status = 'sent'").fetchone()[
                0
            ]
            hardened = conn.execute(
                "SELECT count(*) FROM reports_report WHERE access_code_hash LIKE 'pbkdf2_hmac_sha256$%'"
            ).fetchone()[0]
        return reports, sent, hardened


def done_per_report(server, base):
    """Reports whose two pieces of work are both done since `base` (the lesser of the two counts)."""
    _reports, sent, hardened = server.progress()
    return min(sent - base[1], hardened - base[2])


def wait_until_clear(server, base, target, timeout):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if done_per_report(server, base) >= target:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=2, help="worker threads (HUEY_WORKERS)")
    ap.add_argument("--preload", type=int, default=1000, help="reports in the table before measuring")
    ap.add_argument("--port", type=int, default=8241)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--peer-json", help="bench_open311_peer.py --json output: 2× the peer's POST rate")
    ap.add_argument("--drain-timeout", type=float, default=600.0)
    ap.add_argument(
        "--iterations",
        type=int,
        help="ACCESS_CODE_HASH_ITERATIONS for this run (default: the settings', 20,000): what the "
        "access-code hardening costs the worker, measured by running without most of it",
    )
    args = ap.parse_args()
    if not peerbench.BENCH_TOOL.exists():
        print(f"bench_worker: {peerbench.BENCH_TOOL} is missing (../shared/tools/); nothing measured.")
        return
    if args.rebuild:
        shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True, exist_ok=True)
    server = Server(args.port, args.threads, args.iterations)
    server.data.mkdir(parents=True, exist_ok=True)
    server.prepare()
    try:
        server.start()
        server.start_worker()
        have = server.progress()[0]
        if have < args.preload:
            peerbench.say(f"== preloading {args.preload - have} reports")
            peerbench.run_tool(server, "--phases", "none", "--preload", str(args.preload - have))
        peerbench.say("== letting the worker finish the preload")
        base = (0, 0, 0)
        if wait_until_clear(server, base, server.progress()[0], args.drain_timeout) is None:
            raise SystemExit("the worker did not finish the preload; see var/bench-worker/worker.log")
        base = server.progress()
        web0, worker0 = server.cpu_seconds(), server.worker_cpu()
        load0 = os.getloadavg()[0]
        peerbench.say(f"== {args.clients} clients for {args.seconds:g} s, the worker beside the server")
        started = time.monotonic()
        post = peerbench.post_phase(server, args.clients, args.seconds)
        load_seconds = time.monotonic() - started
        web_cpu = server.cpu_seconds() - web0
        at_end = server.progress()
        worker_cpu_at_end = server.worker_cpu() - worker0
        new = at_end[0] - base[0]
        done_during = done_per_report(server, base)
        peerbench.say("== the worker clears the backlog")
        drain = wait_until_clear(server, base, new, args.drain_timeout)
        worker_cpu = server.worker_cpu() - worker0
        load1 = os.getloadavg()[0]
    finally:
        server.stop_worker()
        server.stop()

    intake = new / load_seconds
    during = done_during / load_seconds
    print(
        f"Worker beside the web server: {args.clients} clients for {args.seconds:g} s, gunicorn 2 sync "
        f"workers + run_worker with {args.threads} threads, SQLite, {os.cpu_count()} CPUs, "
        f"PBKDF2 rounds {args.iterations or 'as configured'}, "
        f"load average {load0:.1f}→{load1:.1f}"
    )
    print(
        f"- intake: {new} reports in {load_seconds:.1f} s = {intake:.0f} a second "
        f"(tool: {post['rps']:.0f} req/s, errors {post['errors']}), "
        f"web CPU {1000 * web_cpu / max(new, 1):.2f} ms a report"
    )
    print(
        f"- the worker while the POSTs ran: {done_during} reports done = {during:.0f} a second "
        f"({'keeps up' if during >= intake else f'{during / intake:.2f}× the intake: falls behind'})"
    )
    print(
        f"- backlog when the POSTs stopped: {new - done_during} reports "
        f"(acknowledgements sent {at_end[1] - base[1]}, codes hardened {at_end[2] - base[2]})"
    )
    if drain is None:
        print(f"- NOT cleared within {args.drain_timeout:g} s")
    else:
        total = load_seconds + drain
        print(
            f"- cleared {drain:.1f} s after the POSTs stopped: {new} reports in {total:.1f} s = "
            f"{new / total:.0f} a second over the whole run"
        )
    print(
        f"- worker CPU: {1000 * worker_cpu / max(new, 1):.2f} ms a report "
        f"({1000 * worker_cpu_at_end / max(done_during, 1):.2f} ms a report done during the load)"
    )
    if args.peer_json:
        rounds = json.loads(Path(args.peer_json).read_text())["rounds"]
        rows = [row for pair in rounds for row in (pair if isinstance(pair, list) else [pair])]
        rates = [row[f"post{args.clients}"]["rps"] for row in rows if row.get("server") == "peer"]
        if rates:
            twice = 2 * sum(rates) / len(rates)
            print(
                f"- 2× the peer's POST rate at {args.clients} clients ({args.peer_json}): "
                f"{twice:.0f} a second; the worker's rate during the load is {during / twice:.2f}× that"
            )


if __name__ == "__main__":
    main()
