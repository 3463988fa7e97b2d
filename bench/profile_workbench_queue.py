"""Profile the workbench's queue pages in process (cProfile): where a page's time outside the database goes.

    SCALE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jb_mine .venv/bin/python \
        bench/profile_workbench_queue.py                      # every queue of the coordinator and liaison
    … bench/profile_workbench_queue.py --who liaison --queue terlambat --top 40
    … bench/profile_workbench_queue.py --plain --runs 30       # time only, no profiler

Not run by `make bench` (no bench_ prefix): a tool for finding where a queue page's time goes
(issue 14). It reads a data set kept by bench/bench_scale.py (SCALE_KEEP=1) and migrates it first
(bench/_setup.py): never point it at a database shared with others. Every page is fetched through
Django's test client (middleware, session, queries, template) as bench_scale.py does, with the
clock at the moment the data was made and the menu's counts kept (the common case; --recount
clears the cache before each request). For each page it prints the median wall time, the time in
queries, the rest ("Python": querysets built, rows, forms, template), this process's CPU time
(the same work, less disturbed by a loaded machine), and the number of queries;
unless --plain, then the top functions of the profiled requests.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jembatan_scale")
PEOPLE = {"coordinator": "bench.admin.kota", "liaison": "bench.penghubung.1"}


def measure(client, url, runs, *, recount):
    """[(wall s, seconds in queries, queries, CPU s)] of `runs` GETs of url, after one warm-up.

    The CPU time is this process's (the database server is another): it grows less than the wall
    time when other programs share the machine."""
    from django.core.cache import cache
    from django.db import connection

    assert client.get(url).status_code == 200, url
    result = []
    for _i in range(runs):
        if recount:
            cache.clear()
        timer = _setup.QueryTimer()
        with connection.execute_wrapper(timer):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            _body = response.content
            wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert response.status_code == 200, (url, response.status_code)
        result.append((wall, sum(s for s, _sql in timer.queries), len(timer.queries), cpu))
    return result


def profile(client, url, runs, top, *, recount):
    from django.core.cache import cache

    client.get(url)
    prof = cProfile.Profile()
    for _i in range(runs):
        if recount:
            cache.clear()
        prof.enable()
        client.get(url)
        prof.disable()
    stats = pstats.Stats(prof)
    root = str(_setup.ROOT) + "/"
    for key, title in ((3, "cumulative"), (2, "own time")):
        print(f"\n   top by {title}, ms per request (cumulative | own | calls per request | function)")
        entries = sorted(stats.stats.items(), key=lambda kv: kv[1][key], reverse=True)
        for (path, line, func), (_cc, ncalls, tt, ct, _callers) in entries[:top]:
            short = path.replace(root, "").split("site-packages/")[-1]
            per_request = f"{1000 * ct / runs:8.2f} | {1000 * tt / runs:7.2f} | {ncalls / runs:7.1f}"
            print(f"   {per_request} | {short}:{line}:{func}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--who", choices=sorted(PEOPLE), action="append")
    ap.add_argument("--queue", action="append", help="a queue's slug (default: every queue of the officer)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--plain", action="store_true", help="timings only, no cProfile")
    ap.add_argument("--recount", action="store_true", help="clear the menu counts' cache before each request")
    args = ap.parse_args()
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    os.environ.setdefault("ACCOUNTS_REQUIRE_TOTP", "false")
    _setup.setup_django(DATABASE_URL)

    import bench_sla_sweep as sla
    import time_machine
    from django.test import Client

    from jembatan.accounts.models import User
    from jembatan.workbench.queues import queues_for

    now = sla.SweepBench(argparse.Namespace(reports=None, open=1, due=0)).generated_at()
    if now is None:
        raise SystemExit(f"{DATABASE_URL}: no data set; make one with bench/bench_scale.py and SCALE_KEEP=1")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{DATABASE_URL}, data made at {now:%Y-%m-%d %H:%M}; load average {load}; median of {args.runs}")
    print(f"{'page':<34} {'wall ms':>8} {'queries ms':>11} {'Python ms':>10} {'CPU ms':>7} {'queries':>8}")
    with time_machine.travel(now, tick=True):
        for who in args.who or sorted(PEOPLE):
            user = User.objects.get(username=PEOPLE[who])
            client = Client()
            client.force_login(user)
            for queue, _qs in queues_for(user, now):
                if args.queue and queue.slug not in args.queue:
                    continue
                url = f"/kerja/antrean/{queue.slug}/"
                runs = measure(client, url, args.runs, recount=args.recount)
                wall = statistics.median(r[0] for r in runs)
                sql = statistics.median(r[1] for r in runs)
                python = statistics.median(r[0] - r[1] for r in runs)
                cpu = statistics.median(r[3] for r in runs)
                print(
                    f"{who + ' ' + queue.slug:<34} {wall * 1000:>8.1f} {sql * 1000:>11.1f} "
                    f"{python * 1000:>10.1f} {cpu * 1000:>7.1f} {runs[-1][2]:>8}"
                )
                if not args.plain:
                    profile(client, url, args.runs, args.top, recount=args.recount)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
