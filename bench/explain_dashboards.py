"""Where a dashboard's time goes on bench_dashboards.py's database: every query with its time,
EXPLAIN (ANALYZE, BUFFERS) of the slowest, and optionally a cProfile of the Python side.

    .venv/bin/python bench/explain_dashboards.py --database-url postgres://…/jb_bench_dash \\
        nasional:/data/ "pimpinan.provinsi:/data/kinerja/?periode=365" [--profile]

A path is prefixed with the viewer (nasional, pimpinan.provinsi, pimpinan.kota, pimpinan.dinas:
the benchmark's users). Read only: no migration, and everything the requests write (the session of
force_login, a word snapshot) is rolled back at the end, so it may be pointed at a data set that
another run owns.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

SHOW = int(os.environ.get("EXPLAIN_SLOWEST", "2"))


class Rollback(Exception):
    pass


def explain(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def page(client, path, profile):
    from django.db import connection

    response = client.get(path)  # warm-up
    assert response.status_code == 200, (path, response.status_code)
    started = time.perf_counter()
    client.get(path)
    plain = time.perf_counter() - started
    recorder = _setup.QueryTimer()
    with connection.execute_wrapper(recorder):
        started = time.perf_counter()
        client.get(path)
        total = time.perf_counter() - started
    in_queries = sum(s for s, _sql in recorder.queries)
    print(
        f"\n=== {path}: {plain * 1000:.0f} ms ({total * 1000:.0f} ms timed), {len(recorder.queries)} "
        f"queries, {in_queries * 1000:.0f} ms in them; load {os.getloadavg()[0]:.1f}"
    )
    for seconds, sql in recorder.queries:
        print(f"  {seconds * 1000:7.1f} ms  {sql[:160]}")
    timed = [(s, sql, p) for (s, sql), p in zip(recorder.queries, recorder.params, strict=True)]
    for seconds, sql, params in sorted(timed, key=lambda q: q[0], reverse=True)[:SHOW]:
        print(f"\n--- EXPLAIN of the {seconds * 1000:.1f} ms query:\n{sql}\n{explain(sql, params)}")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    os.environ.setdefault("ACCOUNTS_REQUIRE_TOTP", "false")
    _setup.setup_django(args.database_url, migrate=False)
    from django.db import transaction
    from django.test import Client

    from jembatan.accounts.models import User

    try:
        with transaction.atomic():
            clients = {}
            for item in args.paths:
                who, _sep, path = item.partition(":")
                client = clients.get(who)
                if client is None:
                    client = clients[who] = Client()
                    client.force_login(User.objects.get(username=f"bench.{who}"))
                page(client, path, args.profile)
            raise Rollback
    except Rollback:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
