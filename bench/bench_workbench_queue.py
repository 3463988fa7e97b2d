"""Benchmark: the workbench's queue pages (server time) on a million reports.

    JEMBATAN_ENV=development .venv/bin/python bench/bench_workbench_queue.py            # SQLite
    … bench/bench_workbench_queue.py --database-url postgres://postgres@127.0.0.1:5432/jb_bench_wb
    … --rebuild                                                                          # fresh data

The data set is the SLA-sweep benchmark's (bench/bench_sla_sweep.py: 1,000,000 reports over three
years, ~100,000 of them open, one city government verifying, eight offices with dispositions),
written into this benchmark's own database, plus what the workbench reads and that generator does
not make: a national admin, escalations for 5% of the open reports, and this month's timeline rows
("verified", "follow_up_posted") for the performance strip.

Every page is fetched through Django's test client (middleware, queries, templates: the whole
server side, no network) as the city's verifier/coordinator, an office's liaison and the national
admin, with the clock set to the moment the data was made. For each queue it prints the rows in
the queue, the first page and a deep page (keyset cursor ~10,000 rows in) as median/max of several
runs, the number of queries, and the slowest query. Then the index (with the performance strip),
a report page, and a CSV export.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DEFAULT_DATABASE_URL = f"sqlite:///{_setup.BENCH_DIR / 'workbench.sqlite3'}"
DEEP_OFFSET = 10_000

# Indexes the workbench needs and asked the reports app for (see the report of issue 5): the inbox
# and in-progress queues walk dispositions of one status in deadline order.
REQUESTED_INDEXES = [
    ("wb_req_disposition_status_first_due", "reports_disposition", "status, first_response_due_at"),
    ("wb_req_disposition_status_completion_due", "reports_disposition", "status, completion_due_at"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the workbench queue pages on a million reports.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000, help="about how many of them are open")
    parser.add_argument("--runs", type=int, default=5, help="fetches per page (median and max are printed)")
    parser.add_argument(
        "--with-requested-indexes",
        action="store_true",
        help="first create the indexes the workbench asks the reports app for (stays in this database)",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE first on SQLite too (PostgreSQL's autovacuum does it by itself; SQLite never)",
    )
    return parser.parse_args(argv)


def extras(now):
    """A national admin, escalations and this month's timeline rows, once per data set."""
    from django.db import connection, transaction

    from jembatan.accounts.models import Role, StaffRole, User
    from jembatan.directory.models import Agency
    from jembatan.reports.models import Escalation, EscalationKind, Report
    from jembatan.workbench.performance import month_start

    national, created = User.objects.get_or_create(
        username="bench.admin.nasional", defaults={"full_name": "Admin Nasional Bench"}
    )
    if created:
        StaffRole.objects.create(user=national, role=Role.ADMIN_NASIONAL, agency=None)
    if Escalation.objects.exists():
        return national
    city = Agency.objects.get(code="bench-kota")
    coordinator = User.objects.get(username="bench.admin.kota")
    with _setup.Stopwatch() as watch, transaction.atomic():
        open_ids = list(
            Report.objects.filter(status__in=("belum_terverifikasi", "terdisposisi", "diproses"))
            .order_by("pk")
            .values_list("pk", "status")
        )
        Escalation.objects.bulk_create(
            [
                Escalation(
                    report_id=pk,
                    kind=EscalationKind.VERIFICATION
                    if status == "belum_terverifikasi"
                    else EscalationKind.COMPLETION,
                    level=1,
                    to_agency=city,
                    created_at=now,
                )
                for pk, status in open_ids[::20]
            ],
            batch_size=5_000,
        )
        start = month_start(now)
        empty_json = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO reports_event (report_id, disposition_id, actor_id, actor_role, action,
                    status_before, status_after, text, visibility, data, created_at)
                    SELECT id, NULL, %s, 'admin_instansi', 'verified', 'belum_terverifikasi', status, '',
                           'internal', {empty_json}, verified_at
                    FROM reports_report WHERE verified_at >= %s AND verified_at <= %s""",
                [coordinator.pk, start, now],
            )
            verified = cursor.rowcount
            cursor.execute(
                f"""INSERT INTO reports_event (report_id, disposition_id, actor_id, actor_role, action,
                    status_before, status_after, text, visibility, data, created_at)
                    SELECT d.report_id, d.id, s.user_id, 'penghubung', 'follow_up_posted', 'diproses',
                           'selesai', 'Sudah ditindaklanjuti.', 'public', {empty_json}, d.answered_at
                    FROM reports_disposition d
                    JOIN accounts_staffrole s ON s.agency_id = d.agency_id AND s.role = 'penghubung'
                    WHERE d.answered_at >= %s AND d.answered_at <= %s""",
                [start, now],
            )
            answered = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE reports_event")
                cursor.execute("ANALYZE reports_escalation")
    print(
        f"added {len(open_ids[::20]):,} escalations and {verified + answered:,} timeline rows of this month "
        f"in {watch.seconds:.0f} s"
    )
    return national


def fetch(client, url, runs):
    """(median s, max s, median CPU s, queries, slowest (s, sql), body bytes) for GET url.

    CPU time is this process's: on SQLite that is the whole server side (the database runs in
    the process), and unlike wall time it does not grow when other programs share the machine.
    """
    from django.db import connection

    client.get(url)  # warm: template loading, the session, the page cache of the database
    times, cpu, timer = [], [], None
    for _i in range(runs):
        timer = _setup.QueryTimer()
        with connection.execute_wrapper(timer):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            body = response.getvalue() if response.streaming else response.content
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
    slowest = max(timer.queries, default=(0.0, ""))
    return (
        statistics.median(times),
        max(times),
        statistics.median(cpu),
        len(timer.queries),
        slowest,
        len(body),
    )


def deep_cursor(queue, user, now):
    """A cursor ~DEEP_OFFSET rows into the queue (or its middle, when it is shorter)."""
    from jembatan.workbench.queues import _keys, encode_cursor

    base = queue.base(user, now)
    size = base.count()
    offset = min(DEEP_OFFSET, size // 2)
    if not offset:
        return size, 0, None
    pk, due = _keys(queue.streams(base, user), None, offset)[-1]
    return size, offset, encode_cursor(due, pk)


def run(args):
    import bench_sla_sweep as sla
    import time_machine
    from django.db import connection
    from django.test import Client

    from jembatan.accounts.models import User
    from jembatan.reports.models import Disposition, Report
    from jembatan.workbench.queues import queues_for

    generator = sla.SweepBench(argparse.Namespace(reports=args.reports, open=args.open, due=0))
    now = generator.generated_at()
    if now is None:
        now = generator.generate()
    else:
        print(
            f"reusing the data set made at {now:%Y-%m-%d %H:%M} UTC "
            f"({connection.vendor}; --rebuild redoes it)"
        )
    national = extras(now)
    if args.with_requested_indexes:
        with _setup.Stopwatch() as watch, connection.cursor() as cursor:
            for name, table, columns in REQUESTED_INDEXES:
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")
        print(f"created the requested indexes in {watch.seconds:.0f} s")
    if args.analyze and connection.vendor == "sqlite":
        with _setup.Stopwatch() as watch, connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"ANALYZE took {watch.seconds:.0f} s")

    people = [
        ("verifier/coordinator (city)", User.objects.get(username="bench.admin.kota")),
        ("liaison (one office)", User.objects.get(username="bench.penghubung.1")),
        ("national admin", national),
    ]
    print()
    print(
        f"Workbench queues — {connection.vendor}{' (ANALYZEd)' if args.analyze else ''}"
        f"{' with the requested indexes' if args.with_requested_indexes else ''}: "
        f"{Report.objects.count():,} reports, {Disposition.objects.count():,} dispositions; "
        f"median/max of {args.runs} runs, server time through the test client"
    )
    header = (
        f"{'who':<28} {'queue':<17} {'rows':>8} {'page':<12} {'median ms':>10} {'max ms':>8} "
        f"{'CPU ms':>7} {'queries':>8} {'slowest query ms':>17}"
    )
    print(header)
    print("-" * len(header))
    slow_sql = []
    with time_machine.travel(now, tick=True):
        for label, user in people:
            client = Client()
            client.force_login(user)
            for queue, _qs in queues_for(user, now):
                size, offset, cursor = deep_cursor(queue, user, now)
                pages = [("first", f"/kerja/antrean/{queue.slug}/")]
                if cursor:
                    pages.append((f"deep ({offset:,})", f"/kerja/antrean/{queue.slug}/?setelah={cursor}"))
                for page_label, url in pages:
                    median, worst, cpu, queries, (slow_s, sql), _size = fetch(client, url, args.runs)
                    print(
                        f"{label:<28} {queue.slug:<17} {size:>8,} {page_label:<12} {median * 1000:>10.1f} "
                        f"{worst * 1000:>8.1f} {cpu * 1000:>7.1f} {queries:>8} {slow_s * 1000:>17.1f}"
                    )
                    slow_sql.append((slow_s, f"{label} {queue.slug} {page_label}", sql))
            for page_label, url in [
                ("index", "/kerja/"),
                ("report page", f"/kerja/laporan/{_a_report(user)}/"),
                ("CSV (10,000 rows max)", f"/kerja/antrean/{queues_for(user, now)[0][0].slug}/csv/"),
            ]:
                median, worst, cpu, queries, (slow_s, sql), size = fetch(client, url, max(1, args.runs // 2))
                print(
                    f"{label:<28} {page_label:<39} {median * 1000:>10.1f} {worst * 1000:>8.1f} "
                    f"{cpu * 1000:>7.1f} {queries:>8} {slow_s * 1000:>17.1f}   ({size / 1024:.0f} KiB)"
                )
                slow_sql.append((slow_s, f"{label} {page_label}", sql))
    print()
    print("Slowest queries:")
    for seconds, where, sql in sorted(slow_sql, reverse=True)[:3]:
        print(f"  {seconds * 1000:.1f} ms — {where}\n    {sql[:600]}")


def _a_report(user):
    from jembatan.accounts import access
    from jembatan.reports.models import Report

    return (
        Report.objects.filter(access.visible_reports_filter(user), status="diproses")
        .order_by("-pk")
        .values_list("tracking_number", flat=True)
        .first()
    )


def main(argv=None):
    args = parse_args(argv)
    _setup.prepare_database(args.database_url, rebuild=args.rebuild)
    _setup.setup_django(args.database_url)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
