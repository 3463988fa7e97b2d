"""Profile Jembatan's Open311 POST, GET list and GET one in process (cProfile), with the queries each runs.

    .venv/bin/python bench/profile_open311.py                  # 300 POSTs, 40 list GETs, 200 GET one
    .venv/bin/python bench/profile_open311.py --posts 1000 --top 40
    .venv/bin/python bench/profile_open311.py --only post --plain   # CPU per POST, no profiler

Not run by `make bench` (it has no bench_ prefix): a tool for finding where the time goes (issue 15).
Same settings as the server bench_open311_peer.py starts (JEMBATAN_ENV=production, DEBUG off, rate
limits lifted, SQLite), on its own database under var/bench-open311/profile/ (rebuilt each run),
through Django's test client: the whole middleware stack, no network, no gunicorn. Prints, per
endpoint, the wall time and CPU time per request, the queries of one request, and the functions with
the most cumulative and own time (ms per request).
"""

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench-open311" / "profile"
JURISDICTION = "kota.example.id"


def configure(log_level="WARNING"):
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    os.environ.update(
        {
            "JEMBATAN_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "open311_peer_settings",
            "SECRET_KEY": "bench-only-" + "k" * 50,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SITE_URL": "http://127.0.0.1:8239",
            "OPEN311_JURISDICTION": JURISDICTION,
            "JEMBATAN_VAR_DIR": str(DATA),
            "DATABASE_URL": f"sqlite:///{DATA / 'jembatan.sqlite3'}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            # WARNING: no access log line; --access-log: INFO, one JSON line per request on stderr, as
            # the server bench_open311_peer.py starts writes it (redirect stderr to keep it quiet).
            "LOG_LEVEL": log_level,
            # The worker phase sends the acknowledgements into memory: rendering, outbox
            # bookkeeping and the access-code hardening are measured, not an SMTP server.
            "EMAIL_BACKEND": "locmem",
        }
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", "--if-empty", verbosity=0)
    call_command("load_categories", verbosity=0)


def plain(label, calls, call, offset=0):
    """Run `call(i)` `calls` times without a profiler; print wall and CPU time per request."""
    call(-1)  # warm: imports, caches, the first connection
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(offset, offset + calls):
        call(i)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"## {label}: {calls} requests, {1000 * wall / calls:.2f} ms wall, "
        f"{1000 * cpu / calls:.2f} ms CPU each, no profiler (load average {load})"
    )


def profiled(label, calls, call, top):
    """Run `call(i)` `calls` times under cProfile; print per-request time and the top functions."""
    call(-1)  # warm: imports, caches, the first connection
    profile = cProfile.Profile()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    profile.enable()
    for i in range(calls):
        call(i)
    profile.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(
        f"\n## {label}: {calls} requests, "
        f"{1000 * wall / calls:.1f} ms wall, {1000 * cpu / calls:.1f} ms CPU each"
    )
    print("   (under cProfile, which adds its own overhead: compare the shares, not the absolute ms)")
    stats = pstats.Stats(profile)
    ours = sorted(
        ((k, v) for k, v in stats.stats.items() if k[0].startswith(str(ROOT / "jembatan"))),
        key=lambda kv: kv[1][3],
        reverse=True,
    )
    print(
        "\n### Jembatan's own functions by cumulative, ms per request (cumulative | own | calls per request)"
    )
    for (path, line, func), (_cc, ncalls, tt, ct, _callers) in ours[:top]:
        short = path.replace(str(ROOT) + "/", "")
        print(
            f"{1000 * ct / calls:8.2f} | {1000 * tt / calls:7.2f} | {ncalls / calls:7.1f} | "
            f"{short}:{line}:{func}"
        )
    for key, title in (("cumulative", "cumulative"), ("tottime", "own time")):
        print(f"\n### top by {title}, ms per request (cumulative | own | calls per request | function)")
        entries = sorted(
            stats.stats.items(), key=lambda kv: kv[1][3 if key == "cumulative" else 2], reverse=True
        )
        for (path, line, func), (_cc, ncalls, tt, ct, _callers) in entries[:top]:
            short = path.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
            print(
                f"{1000 * ct / calls:8.2f} | {1000 * tt / calls:7.2f} | {ncalls / calls:7.1f} | "
                f"{short}:{line}:{func}"
            )
    # Who calls the five most expensive (own time) functions, to find the Jembatan line behind them.
    out = io.StringIO()
    callers = pstats.Stats(profile, stream=out)
    callers.sort_stats("tottime").print_callers(5)
    print("\n### callers of the top five by own time (pstats: ncalls tottime cumtime, seconds in total)")
    print(out.getvalue().replace(str(ROOT) + "/", ""))


def queries_of(label, call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call(-1)
    print(f"\n### queries of one {label}: {len(ctx.captured_queries)}")
    for q in ctx.captured_queries:
        print(f"  {q['time']}s  {q['sql'][:220]}")


def profile_worker(reports, top):
    """Run the worker's share of the POSTs above: the tasks they queued (one per transaction:
    render and send the acknowledgement, harden the access code), per report."""
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # as the worker does when it starts, not in the first task
    tasks = []
    while (task := HUEY.dequeue()) is not None:
        tasks.append(task)
    print(f"\n### the worker: {len(tasks)} queued tasks for {reports} reports")
    if not tasks:
        return
    # Half without the profiler (its overhead inflates the ORM and templates, not PBKDF2 in C).
    half, cpu0 = len(tasks) // 2, time.process_time()
    for task in tasks[:half]:
        HUEY.execute(task)
    if half:
        print(f"   without cProfile: {1000 * (time.process_time() - cpu0) / half:.1f} ms CPU a task")
    rest = tasks[half:]

    def work(i):
        if i >= 0:  # profiled()'s warm-up call (-1) has no task of its own
            HUEY.execute(rest[i])

    profiled("worker, one task per POST", len(rest), work, top)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=300)
    ap.add_argument("--lists", type=int, default=40)
    ap.add_argument("--ones", type=int, default=200)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument(
        "--plain",
        action="store_true",
        help="only the CPU and wall time per request, without cProfile (its overhead skews the ms)",
    )
    ap.add_argument(
        "--only",
        choices=["post", "rest-post", "get"],
        help="only this part: Open311 POSTs, REST API POSTs, or the GETs",
    )
    ap.add_argument(
        "--access-log",
        action="store_true",
        help="LOG_LEVEL=INFO as on the server: the per-request JSON log line (on stderr) is included",
    )
    args = ap.parse_args()
    configure("INFO" if args.access_log else "WARNING")
    import json

    from django.test import Client

    from jembatan.api import actions as api_actions
    from jembatan.api.open311 import mapping

    _key, raw = api_actions.issue_open311_key(name="profile")
    code = mapping.services()[0].code
    client = Client()
    numbers = []

    from urllib.parse import urlencode

    def post(i):
        # Form-encoded, as ../shared/tools/open311_bench.py (and most Open311 clients) send it.
        response = client.post(
            "/open311/v2/requests.json",
            urlencode(
                {
                    "api_key": raw,
                    "service_code": code,
                    "jurisdiction_id": JURISDICTION,
                    "lat": f"{-0.95 + (i % 50) / 1000:.6f}",
                    "long": f"{100.35 + (i % 37) / 1000:.6f}",
                    "email": "warga.bench@example.id",
                    "description": f"Bench laporan #{i}: jalan berlubang dekat pasar, mohon ditangani.",
                }
            ),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )
        assert response.status_code == 200, response.content[:300]
        numbers.append(json.loads(response.content)[0]["service_request_id"])

    def rest_post(i):
        response = client.post(
            "/api/v1/reports/",
            {
                "title": f"Lampu jalan padam di Jalan Sudirman #{i}",
                "description": "Sudah seminggu lampu jalan di depan Masjid Raya padam, jalan gelap.",
                "reporter_email": "bench@example.id",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]

    if args.only in (None, "post"):
        if args.plain:
            plain("Open311 POST requests.json", args.posts, post)
        else:
            queries_of("POST", post)
            profiled("POST requests.json", args.posts, post, args.top)
            profile_worker(args.posts + 2, args.top)
    if args.only in (None, "rest-post"):
        if args.plain:
            plain("REST POST /api/v1/reports/ (guest)", args.posts, rest_post)
        else:
            queries_of("REST POST", rest_post)
            profiled("POST /api/v1/reports/ (guest)", args.posts, rest_post, args.top)
    if args.only not in (None, "get"):
        return
    if not numbers:
        for i in range(args.posts):
            post(i)

    with open(ROOT / "bench" / "open311_publish.py") as script:
        exec(compile(script.read(), "open311_publish.py", "exec"), {})

    def get_list(i):
        response = client.get(
            "/open311/v2/requests.json", {"jurisdiction_id": JURISDICTION, "page_size": "100"}
        )
        assert response.status_code == 200 and len(json.loads(response.content)) == 100, response.content[
            :300
        ]

    queries_of("GET list", get_list)
    profiled("GET requests.json?page_size=100", args.lists, get_list, args.top)

    def get_one(i):
        number = numbers[i % len(numbers)]
        response = client.get(f"/open311/v2/requests/{number}.json", {"jurisdiction_id": JURISDICTION})
        assert response.status_code == 200, response.content[:300]

    queries_of("GET one", get_one)
    profiled("GET requests/{id}.json", args.ones, get_one, args.top)


if __name__ == "__main__":
    main()
