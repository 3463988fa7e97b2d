"""Benchmark: the first request of a fresh server process (issue 14: under 300 ms).

    JEMBATAN_ENV=development .venv/bin/python bench/bench_cold_start.py [--rounds 3] [--port 8341]

Uses the development database that `make setup` builds and the static manifest it collects. For
each page (/, /laporan/, the Open311 list) and each round, a new gunicorn (the production
configuration, jembatan/gunicorn_conf.py, one worker, DEBUG off) is started; the benchmark
connects as soon as the port accepts and sends the page's GET at once. It prints:

- `port`: from starting gunicorn to the port accepting connections;
- `ready`: from starting gunicorn to the worker having booted (its boot log line), i.e. the
  application imported and the URLconf, translations and templates loaded;
- `first`: the first GET of the page, sent to a worker that has booted (the first request that
  fresh process serves); `second`: the same page again;
- `first (at once)`: with `--at-port`, the first GET sent the moment the port accepts (it waits in
  the socket's backlog while the worker boots: what a client sees when the whole service starts).

And, once, `python -X importtime` of the WSGI application: the slowest imports at start-up.
"""

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["/", "/laporan/", "/open311/v2/requests.json"]
BOOTED = "worker ready"  # the line post_worker_init (jembatan/gunicorn_conf.py) logs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8341)
    parser.add_argument("--at-port", action="store_true", help="also time a GET sent as the port opens")
    parser.add_argument("--imports", type=int, default=15, help="how many of the slowest imports to list")
    return parser.parse_args(argv)


def environment(port):
    return {
        **os.environ,
        "JEMBATAN_ENV": os.environ.get("JEMBATAN_ENV", "development"),
        "DEBUG": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "WEB_THREADS": "4",
        "PYTHONUNBUFFERED": "1",
        "ACCESS_LOG": "false",
    }


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
        return True
    except OSError:
        return False


def get(port, path):
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Accept-Encoding": "br, gzip"})
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return time.perf_counter() - started


def one_start(port, path, at_port):
    """Start gunicorn, time port/boot/first/second for `path`; return a dict of seconds."""
    log = tempfile.NamedTemporaryFile(prefix="cold-start-", suffix=".log", delete=False)
    env = environment(port)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:jembatan.gunicorn_conf", "--log-level", "info"]
        + ["jembatan.wsgi:application"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    result = {}
    try:
        while not accepts(port):
            if proc.poll() is not None:
                raise SystemExit(Path(log.name).read_text()[-2000:])
            time.sleep(0.005)
        result["port"] = time.perf_counter() - started
        if at_port:
            result["first (at once)"] = get(port, path)
        while BOOTED not in Path(log.name).read_text():
            time.sleep(0.005)
        result["ready"] = time.perf_counter() - started
        if not at_port:
            result["first"] = get(port, path)
        result["second"] = get(port, path)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        Path(log.name).unlink()
    return result


def slowest_imports(count):
    env = environment(0)
    code = "import jembatan.wsgi; from django.urls import get_resolver; get_resolver().url_patterns"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    ).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _label, self_us, cumulative, name = (part.strip() for part in line.replace("|", ":", 3).split(":"))
        rows.append((int(cumulative), int(self_us), name))
    total = max(rows)[0] if rows else 0
    top = [r for r in rows if "." not in r[2] or r[2].startswith("jembatan.")]
    return total, sorted(top, reverse=True)[1 : count + 1]


def main(argv=None):
    args = parse_args(argv)
    if not (ROOT / "var" / "static" / "staticfiles.json").exists():
        raise SystemExit("run `make setup` first (the pages link the collected static files)")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    columns = ["port", "ready"] + (["first (at once)"] if args.at_port else ["first"]) + ["second"]
    print(f"{'page':<30} " + " ".join(f"{c + ' ms':>18}" for c in columns))
    for path in PATHS:
        runs = [one_start(args.port, path, args.at_port) for _ in range(args.rounds)]
        cells = []
        for column in columns:
            values = [r[column] * 1000 for r in runs]
            cells.append(f"{statistics.median(values):>9.0f} ({min(values):>4.0f}–{max(values):.0f})")
        print(f"{path:<30} " + " ".join(f"{c:>18}" for c in cells))
    print("(median (min–max) of the rounds; every round a new gunicorn)")
    total, top = slowest_imports(args.imports)
    print(
        f"\nimporting the WSGI application and its URLconf: {total / 1000:.0f} ms; slowest top-level imports:"
    )
    for cumulative, _self, name in top:
        print(f"  {cumulative / 1000:>7.0f} ms  {name}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
