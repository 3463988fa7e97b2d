"""Benchmark: which WSGI server serves Jembatan best on this machine (gunicorn gthread or granian).

    .venv/bin/pip install granian            # for the comparison only; not in requirements.lock
    JEMBATAN_ENV=development .venv/bin/python bench/bench_server.py [--seconds 15] [--clients 8]

Uses the development database that `make setup` builds (read-only GETs: the public report list,
the Open311 list, a static file with brotli). Each server runs with 2 processes and DEBUG off, on
127.0.0.1:8190; the servers alternate (A, B, A, B) and each run prints requests per second, p50,
p95 and p99 in milliseconds, and the server's CPU per request. Clients keep their connection open.
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8190
PATHS = ["/laporan/", "/open311/v2/requests.json", "/healthz"]

SERVERS = {
    "gunicorn-gthread": [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:jembatan.gunicorn_conf",
        "jembatan.wsgi:application",
    ],
    "granian-wsgi": [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        "2",
        "--blocking-threads",
        "4",
        "--no-ws",
        "jembatan.wsgi:application",
    ],
}


def wait_up(deadline=30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def cpu_of(pid):
    """User+system CPU seconds of a process and its children (the server's workers)."""
    total = 0.0
    pids = [pid]
    try:
        pids += [int(p) for p in subprocess.check_output(["pgrep", "-P", str(pid)], text=True).split()]
    except subprocess.CalledProcessError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, IndexError):
            pass
    return total


def load(seconds, clients, path):
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        mine = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "br, gzip"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                continue
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0] * 99
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": round(len(latencies) / seconds, 1),
        "p50": round(q[49], 1),
        "p95": round(q[94], 1),
        "p99": round(q[98], 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--servers", default=",".join(SERVERS))
    args = parser.parse_args()
    env = {
        **os.environ,
        "JEMBATAN_ENV": "development",
        "DEBUG": "false",
        "HOST": "127.0.0.1",
        "PORT": str(PORT),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    static = None
    manifest = ROOT / "var" / "static" / "staticfiles.json"
    if manifest.exists():
        paths = json.loads(manifest.read_text())["paths"]
        css = next((v for k, v in paths.items() if k.endswith(".css")), None)
        static = f"/static/{css}" if css else None
    results = []
    for round_ in range(args.rounds):
        for name in args.servers.split(","):
            proc = subprocess.Popen(
                SERVERS[name],
                env=env,
                cwd=ROOT,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_up()
                for path in PATHS + ([static] if static else []):
                    load(2, args.clients, path)  # warm every process and thread
                    before = cpu_of(proc.pid)
                    r = load(args.seconds, args.clients, path)
                    r["cpu_ms_per_request"] = round(
                        (cpu_of(proc.pid) - before) * 1000 / max(1, r["requests"]), 2
                    )
                    r.update(server=name, round=round_ + 1, path=path, loadavg=os.getloadavg()[0])
                    results.append(r)
                    print(json.dumps(r), flush=True)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
