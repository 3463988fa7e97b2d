"""Benchmark: the hot paths on PostgreSQL at scale (issue 14) — a million reports and more.

    .venv/bin/python bench/bench_scale.py                                  # SCALE_REPORTS=100000
    SCALE_REPORTS=1000000 .venv/bin/python bench/bench_scale.py            # the recorded run
    SCALE_REPORTS=1000000 SCALE_KEEP=1 .venv/bin/python bench/bench_scale.py   # keep the database
    SCALE_REUSE=1 .venv/bin/python bench/bench_scale.py                    # measure a kept one again

Settings (environment): SCALE_REPORTS (default 100,000), SCALE_NOTES_PER_REPORT (internal notes per
report, default 2), SCALE_RUNS (requests per page, default 20), SCALE_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/jembatan_scale: created, and dropped at the end unless
SCALE_KEEP=1), SCALE_ROLLUPS (1: build the dashboard rollups from scratch, timed, before measuring
their refresh; default 1 up to 100,000 reports; 0: the refresh starts from the current timeline,
and aggregates only what it touches). The public-answer cache is off (PUBLIC_CACHE_SECONDS=0)
unless the environment sets it: the public pages are measured from the database.

The data set: the SLA-sweep benchmark's reports and dispositions (bench/bench_sla_sweep.py: three
years of closed reports, the last 60 days two in three open, one city verifying, eight offices,
written with COPY), then the timeline written by the server itself with INSERT … SELECT from the
reports: "submitted" for every report, "verified", "disposed" and "closed" where the report got
there, SCALE_NOTES_PER_REPORT internal notes each, and this month's rows the workbench reads (the
workbench benchmark's extras). Secondary indexes are dropped during the load and rebuilt after.

What it measures, with the clock at the moment the data was made, through Django's test client
(middleware, queries, templates; no network), median and p95 of SCALE_RUNS requests:
the public list (first page and a search), a public report page, the tracking page and the
Open311 request by number (the tracking lookup), the Open311 list, the workbench queues of the
city's verifier/coordinator and of one office's liaison (first pages), the SLA sweep with nothing
due, and the dashboards' rollup refresh after 1,000 reports changed. Then the database's size.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

REPORTS = int(os.environ.get("SCALE_REPORTS", "100000"))
NOTES_PER_REPORT = int(os.environ.get("SCALE_NOTES_PER_REPORT", "2"))
RUNS = int(os.environ.get("SCALE_RUNS", "20"))
DATABASE_URL = os.environ.get("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jembatan_scale")
KEEP = os.environ.get("SCALE_KEEP", "") == "1"
REUSE = os.environ.get("SCALE_REUSE", "") == "1"
# Building every report's facts takes about 3 ms a report on this machine (an hour at 1,000,000):
# by default only for a data set of up to 100,000 reports (the kept one's size with SCALE_REUSE=1).
ROLLUPS = os.environ.get("SCALE_ROLLUPS", "")
EVENT_COLUMNS = (
    "report_id, disposition_id, actor_id, actor_role, action, status_before, status_after, text, "
    "visibility, data, created_at"
)
# (action, status_after, visibility, text, the report column that dates it, the condition)
TIMELINE = [
    ("submitted", "belum_terverifikasi", "public", "", "submitted_at", "TRUE"),
    ("verified", "terverifikasi", "public", "", "verified_at", "verified_at IS NOT NULL"),
    ("disposed", "terdisposisi", "public", "", "verified_at + interval '1 hour'", "verified_at IS NOT NULL"),
    ("closed", "status", "public", "", "closed_at", "closed_at IS NOT NULL"),
]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Timings:
    def __init__(self):
        self.rows = []

    def add(self, label, seconds, queries=None, goal_ms=None):
        p50, p95 = statistics.median(seconds) * 1000, percentile(seconds, 0.95) * 1000
        self.rows.append((label, p50, p95, queries, goal_ms))
        mark = "" if goal_ms is None else ("  ok" if p95 < goal_ms else "  OVER GOAL")
        goal = "" if goal_ms is None else f"{goal_ms:>6} ms"
        print(f"{label:<52} {p50:>9.1f} {p95:>9.1f} {queries if queries is not None else '':>8} {goal}{mark}")


def write_timeline(connection, coordinator_id):
    """The reports' timeline and notes, written by the server from the report rows.

    No row is dated after the generation moment (the generator dates some verifications and
    closings of the newest reports in the future): the rollup refresh re-reads every report with
    a recent timeline row, and future rows would make each refresh look at 20,000 reports.
    """
    with connection.cursor() as cursor:
        indexes = _drop_secondary_indexes(cursor, "reports_event")
        cursor.execute("SET session_replication_role = replica")  # no FK checks, no append-only trigger
        total = 0
        for action, status_after, visibility, text, stamp, condition in TIMELINE:
            after = status_after if status_after == "status" else f"'{status_after}'"
            cursor.execute(
                f"""INSERT INTO reports_event ({EVENT_COLUMNS})
                    SELECT id, NULL, NULL, 'sistem', '{action}', '', {after}, '{text}', '{visibility}',
                           '{{}}'::jsonb, LEAST({stamp}, now() - interval '1 hour')
                    FROM reports_report WHERE {condition}"""
            )
            total += cursor.rowcount
        if NOTES_PER_REPORT:
            cursor.execute(
                f"""INSERT INTO reports_event ({EVENT_COLUMNS})
                    SELECT r.id, NULL, %s, 'admin_instansi', 'note', '', '',
                           'Catatan internal ' || n || ': sudah dihubungi, menunggu jawaban dinas.',
                           'internal', '{{}}'::jsonb,
                           LEAST(r.submitted_at + n * interval '7 hours', now() - interval '1 hour')
                    FROM reports_report r CROSS JOIN generate_series(1, %s) AS n""",
                [coordinator_id, NOTES_PER_REPORT],
            )
            total += cursor.rowcount
        cursor.execute("SET session_replication_role = origin")
        _setup.index_build_memory(cursor, connection.vendor)
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE reports_event")
    return total


def _drop_secondary_indexes(cursor, table):
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return indexes


def build():
    """Generate the data set (or find the kept one); return the moment it was made."""
    import bench_sla_sweep as sla
    import bench_workbench_queue as wb
    from django.db import connection

    from jembatan.accounts.models import User

    # SCALE_REUSE=1 takes the kept data set whatever its size (SCALE_REPORTS is not needed then).
    generator = sla.SweepBench(
        argparse.Namespace(reports=None if REUSE else REPORTS, open=max(1, REPORTS // 10), due=0)
    )
    now = generator.generated_at()
    if now is not None:
        from jembatan.reports.models import Escalation

        # The escalations are written last (wb.extras, after the timeline): without them the
        # build was stopped half-way, and its reports have no timeline or indexes to measure.
        if not Escalation.objects.exists():
            raise SystemExit(
                f"{DATABASE_URL}: the build stopped after the reports (no timeline/extras); make it again"
            )
        print(f"reusing the data set made at {now:%Y-%m-%d %H:%M} UTC")
        return now
    if REUSE:
        raise SystemExit(
            f"SCALE_REUSE=1: {DATABASE_URL} holds no complete data set; make one with SCALE_KEEP=1 "
            "(without SCALE_REUSE)"
        )
    now = generator.generate()
    coordinator = User.objects.get(username="bench.admin.kota")
    with _setup.Stopwatch() as watch:
        events = write_timeline(connection, coordinator.pk)
    print(f"wrote {events:,} timeline rows ({NOTES_PER_REPORT} notes per report) in {watch.seconds:.0f} s")
    wb.extras(now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load: visibility map, stats
    return now


SLOW = []  # (seconds, where, sql) of each page's slowest query


def fetch(client, url, runs=RUNS):
    """(seconds of each run, queries of the last) for GET url, after one warm-up request."""
    from django.db import connection

    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    seconds, timer = [], None
    for _i in range(runs):
        timer = _setup.QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url)
            _body = response.getvalue() if response.streaming else response.content
            seconds.append(time.perf_counter() - started)
    slowest_seconds, slowest_sql = max(timer.queries, default=(0.0, ""))
    SLOW.append((slowest_seconds, url, slowest_sql))
    return seconds, len(timer.queries)


def measure_pages(timings, now):
    from django.test import Client

    from jembatan.accounts.models import User
    from jembatan.reports.models import Report
    from jembatan.workbench.queues import queues_for

    rng = random.Random(7)
    public = list(
        Report.objects.filter(status="selesai", is_confidential=False, is_anonymous=False)
        .order_by("-pk")
        .values_list("tracking_number", flat=True)[:2000]
    )
    numbers = rng.sample(public, min(RUNS, len(public)))
    anonymous = Client()
    timings.add("public list /laporan/ (first page)", *fetch(anonymous, "/laporan/"), goal_ms=50)
    timings.add("public list, search q=jalan", *fetch(anonymous, "/laporan/?q=jalan"), goal_ms=50)
    timings.add("Open311 list /open311/v2/requests.json", *fetch(anonymous, "/open311/v2/requests.json"))
    for label, template in [
        ("public report page /laporan/<n>/", "/laporan/{}/"),
        ("tracking page /lacak/<n>/", "/lacak/{}/"),
        ("Open311 request by number (tracking lookup)", "/open311/v2/requests/{}.json"),
    ]:
        seconds, queries = [], 0
        for number in numbers:
            s, queries = fetch(anonymous, template.format(number), runs=1)
            seconds += s
        timings.add(label, seconds, queries)
    for who, username in [("coordinator", "bench.admin.kota"), ("liaison", "bench.penghubung.1")]:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        for queue, _qs in queues_for(user, now):
            timings.add(
                f"queue {who}: {queue.slug}", *fetch(client, f"/kerja/antrean/{queue.slug}/"), goal_ms=250
            )


def measure_work(timings, now, reports):
    import datetime as dt

    from django.db import connection

    from jembatan.insights import rollups
    from jembatan.reports.sweep import run_sla_sweep

    run_sla_sweep(now=now)
    seconds = []
    for _i in range(RUNS):
        with _setup.Stopwatch() as watch:
            run_sla_sweep(now=now)
        seconds.append(watch.seconds)
    timings.add("SLA sweep, nothing due", seconds, goal_ms=10)

    if ROLLUPS == "1" or (not ROLLUPS and reports <= 100_000):
        with _setup.Stopwatch() as watch:
            rollups.rebuild(now=now)
        print(f"(dashboard rollups built from scratch in {watch.seconds:.0f} s)")
    else:
        from django.db.models import Max

        from jembatan.insights.models import RollupState
        from jembatan.reports.models import Event

        high = Event.objects.aggregate(m=Max("pk"))["m"] or 0
        RollupState.objects.update_or_create(pk=1, defaults={"last_event_id": high, "last_run_at": now})
    rollups.refresh(now=now)
    seconds = []
    for run in range(3):
        # 1,000 reports get a new timeline row each (a note), as a busy few minutes would.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO reports_event ({EVENT_COLUMNS})
                    SELECT id, NULL, NULL, 'sistem', 'note', '', '', 'bench', 'internal', '{{}}'::jsonb, %s
                    FROM reports_report WHERE id %% 997 = %s ORDER BY id DESC LIMIT 1000""",
                [now + dt.timedelta(seconds=run + 1), run],
            )
        with _setup.Stopwatch() as watch:
            result = rollups.refresh(now=now + dt.timedelta(minutes=run + 1))
        seconds.append(watch.seconds)
    timings.add("dashboard rollup refresh, 1,000 reports touched", seconds)
    print(f"(the last refresh looked at {result.reports:,} reports and {result.periods:,} periods)")


def sizes():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        total = cursor.fetchone()[0]
        cursor.execute(
            """SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid))
               FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 6"""
        )
        tables = cursor.fetchall()
    print(f"\ndatabase size on disk: {total}")
    for name, rows, size in tables:
        print(f"  {name:<32} {rows:>12,} rows {size:>10}")


def main():
    import time_machine

    # Pages link the hashed static names: the manifest `make setup` collected (DEBUG is off).
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    # The officers log in with force_login (no TOTP device): the pages, not the second factor.
    os.environ.setdefault("ACCOUNTS_REQUIRE_TOTP", "false")
    # The public pages are measured as a first read, from the database: with the public-answer
    # cache on, every repeat after the first is a memory read (PUBLIC_CACHE_SECONDS=300 to see it).
    os.environ.setdefault("PUBLIC_CACHE_SECONDS", "0")
    if not REUSE:
        _setup.prepare_database(DATABASE_URL, rebuild=True)
    _setup.setup_django(DATABASE_URL)
    from django.db import connection

    try:
        with _setup.Stopwatch() as watch:
            now = build()
        print(f"data set ready in {watch.seconds:.0f} s; load average {os.getloadavg()[0]:.2f}")
        from django.db.models import Max

        from jembatan.reports.models import Report

        # The generated ids run from 1 without gaps: the highest is the count, without counting
        # 5,000,000 rows (the timeline's count is in the sizes at the end).
        reports = Report.objects.aggregate(n=Max("pk"))["n"]
        print(f"{reports:,} reports")
        timings = Timings()
        print(f"\n{'path':<52} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8} {'goal':>9}")
        with time_machine.travel(now, tick=True):
            measure_pages(timings, now)
            measure_work(timings, now, reports)
        print("\nslowest queries (one per page, last run):")
        for seconds, where, sql in sorted(SLOW, reverse=True)[:6]:
            print(f"  {seconds * 1000:8.1f} ms  {where}\n      {sql[:400]}")
        sizes()
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        connection.close()
        if not KEEP:
            from urllib.parse import urlsplit

            name = urlsplit(DATABASE_URL).path.lstrip("/")
            import psycopg

            with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped {name} (SCALE_KEEP=1 keeps it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
