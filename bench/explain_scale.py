"""Where a page's time goes on the scale benchmark's database: every query with its time, and
EXPLAIN (ANALYZE, BUFFERS) of the slowest ones.

    SCALE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jembatan_scale \\
    .venv/bin/python bench/explain_scale.py \\
        /laporan/ /laporan/?q=jalan coordinator:/kerja/antrean/verifikasi/

It takes the kept data set whatever its size. A path may be prefixed with
`coordinator:` or `liaison:` (the benchmark's officers) to fetch it
logged in. Needs a data set kept by `SCALE_KEEP=1 bench/bench_scale.py`; changes nothing in it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jembatan_scale")
USERS = {"coordinator": "bench.admin.kota", "liaison": "bench.penghubung.1"}
SHOW = int(os.environ.get("EXPLAIN_SLOWEST", "2"))  # EXPLAIN_COLD=1: measure with an empty cache


def explain(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def page(client, path):
    from django.db import connection

    client.get(path)  # warm-up
    if os.environ.get("EXPLAIN_COLD") == "1":
        from django.core.cache import cache

        cache.clear()  # the workbench menu's counts computed again, as after any action
    recorder = _setup.QueryTimer()
    with connection.execute_wrapper(recorder):
        started = time.perf_counter()
        response = client.get(path)
        total = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    in_queries = sum(s for s, _sql in recorder.queries)
    count = len(recorder.queries)
    print(f"\n=== {path}: {total * 1000:.0f} ms, {count} queries, {in_queries * 1000:.0f} ms in them")
    for seconds, sql in recorder.queries:
        print(f"  {seconds * 1000:7.1f} ms  {sql[:150]}")
    timed = [(s, sql, p) for (s, sql), p in zip(recorder.queries, recorder.params, strict=True)]
    for seconds, sql, params in sorted(timed, key=lambda q: q[0], reverse=True)[:SHOW]:
        print(f"\n--- EXPLAIN of the {seconds * 1000:.1f} ms query:\n{sql}\n{explain(sql, params)}")


def main(paths):
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    os.environ.setdefault("ACCOUNTS_REQUIRE_TOTP", "false")
    _setup.setup_django(DATABASE_URL)
    import bench_sla_sweep as sla
    import time_machine
    from django.test import Client

    from jembatan.accounts.models import User

    now = sla.SweepBench(argparse.Namespace(reports=None, open=None, due=0)).generated_at()
    if now is None:
        raise SystemExit(f"{DATABASE_URL} holds no complete data set (bench_scale.py with SCALE_KEEP=1)")
    print(f"data set made at {now}; load average {os.getloadavg()[0]:.2f}")
    with time_machine.travel(now, tick=True):
        for item in paths:
            who, _, path = item.rpartition(":") if item.split(":")[0] in USERS else ("", "", item)
            client = Client()
            if who:
                client.force_login(User.objects.get(username=USERS[who]))
            page(client, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
