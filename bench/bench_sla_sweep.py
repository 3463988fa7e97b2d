"""Benchmark: the SLA sweep (reports/sweep.py) on a million reports, 100,000 of them open.

    JEMBATAN_ENV=development .venv/bin/python bench/bench_sla_sweep.py            # SQLite
    … bench/bench_sla_sweep.py --database-url postgres://postgres@127.0.0.1:5432/jb_bench
    … --rebuild                                                                    # fresh data

The data set is written once with bulk INSERTs (SQLite executemany, PostgreSQL COPY), not through
the actions: this measures the sweep's queries, not how reports are made. It is reused on the next
run (the generation moment is kept in the first row, and the sweep is measured "at" that moment, so
an old data set is not suddenly full of due rows). Then it prints:

1. the sweep when nothing is due: the cost of finding nothing on the big tables;
2. the sweep when about 1,000 rows are due (half reports, half dispositions, with their deadlines
   moved into the past so each check does real work: reminders, escalations, system closing and
   archiving, with their timeline rows and notifications), per row;
3. the same sweep again right away: it must find nothing (the checks are idempotent);
4. the query plans of the due-rows queries, which must use the index on next_check_at.

Each run uses up its 1,000 due rows (they are closed, archived or escalated for real); the next run
picks others among the ~100,000 open ones. --rebuild starts over.
"""

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (sets up sys.path and Django for the benchmark database)

SEED = 20260101
BATCH = 50_000
DAY = 86_400

# Final statuses of closed reports, with their share (roughly what a LAPOR! export shows).
CLOSED_MIX = [
    ("ditutup_sistem", 40),
    ("ditutup_pelapor", 25),
    ("diarsipkan_admin", 15),
    ("ditutup_admin", 8),
    ("diarsipkan_sistem", 8),
    ("diarsipkan_pelapor", 4),
]
OPEN_MIX = [
    ("belum_terverifikasi", 10),
    ("menunggu_kelengkapan", 5),
    ("terdisposisi", 30),
    ("diproses", 40),
    ("selesai", 15),
]
CLASSIFICATIONS = [
    ("pengaduan_tidak_berkadar_pengawasan", 70),
    ("pengaduan_berkadar_pengawasan", 8),
    ("aspirasi", 12),
    ("permintaan_informasi", 10),
]
KINDS = {
    "pengaduan_tidak_berkadar_pengawasan": "pengaduan",
    "pengaduan_berkadar_pengawasan": "pengaduan",
    "aspirasi": "aspirasi",
    "permintaan_informasi": "permintaan_informasi",
}
CHANNELS = [("web", 40), ("android", 25), ("whatsapp", 12), ("sms", 8), ("email", 8), ("officer", 7)]
SECOND_DISPOSITION_SHARE = 0.18  # of the reports with agencies: disposed to two offices
RECENT_DAYS = 60  # open reports were sent in the last 60 days; their next check is in the next 60

REPORT_COLUMNS = [
    "id", "tracking_number", "access_code_hash", "kind", "classification", "title", "description", "address",
    "channel", "source_instance", "external_id", "reporter_name", "reporter_email", "reporter_phone",
    "is_anonymous", "is_confidential", "status", "support_count", "rating", "rating_comment", "reopen_count",
    "submitted_at", "verification_due_at", "paused_at", "verified_at", "completion_due_at", "answered_at",
    "closed_at", "next_check_at", "escalation_level", "ombudsman_consent", "version", "created_at",
    "updated_at", "archive_reason_id", "verifying_agency_id",
    "title_public", "description_public", "address_public", "public_texts_version",
]  # fmt: skip
DISPOSITION_COLUMNS = [
    "report_id", "agency_id", "status", "instruction", "disposed_by_id", "disposed_at",
    "first_response_due_at", "completion_due_at", "started_at", "first_response_at", "answered_at",
    "return_reason", "next_check_at", "escalation_level", "created_at", "updated_at",
]  # fmt: skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the SLA sweep on a million reports.")
    parser.add_argument("--database-url", default=_setup.DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000, help="about how many of them are open")
    parser.add_argument(
        "--due", type=int, default=1_000, help="rows made due (half reports, half dispositions)"
    )
    return parser.parse_args(argv)


def weighted(rng, pairs):
    values = [v for v, _w in pairs]
    cumulative, total = [], 0
    for _v, w in pairs:
        total += w
        cumulative.append(total)
    return lambda: values[_bisect(cumulative, rng.random() * total)]


def _bisect(cumulative, x):
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


class SweepBench:
    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.vendor = connection.vendor

    # --- The data set -------------------------------------------------------------------------------------

    def generated_at(self):
        """The moment the data set was made, or None when there is none (or it is not complete).

        `reports=None` takes a kept data set of any size (bench_scale.py's SCALE_REUSE=1)."""
        from jembatan.reports.models import Report

        first = (
            Report.objects.filter(pk=1, source_instance="bench").values_list("external_id", flat=True).first()
        )
        if not first or not first.startswith("generated:"):
            return None
        last = Report.objects.order_by("-pk").values_list("pk", flat=True).first()
        if self.args.reports is not None and last != self.args.reports:
            return None
        return dt.datetime.fromisoformat(first.removeprefix("generated:"))

    def world(self):
        """A province, a city and eight offices with their coordinators and liaisons (who get notified)."""
        from jembatan.accounts.models import Role, StaffRole, User
        from jembatan.directory.models import Agency, AgencyKind

        province, _c = Agency.objects.get_or_create(
            code="bench-prov", defaults={"name": "Pemerintah Provinsi Bench", "kind": AgencyKind.PEMPROV}
        )
        city, _c = Agency.objects.get_or_create(
            code="bench-kota",
            defaults={"name": "Pemerintah Kota Bench", "kind": AgencyKind.PEMKAB_PEMKOT, "parent": province},
        )
        offices = []
        for n in range(1, 9):
            office, _c = Agency.objects.get_or_create(
                code=f"bench-dinas-{n}",
                defaults={"name": f"Dinas {n} Kota Bench", "kind": AgencyKind.DINAS, "parent": city},
            )
            offices.append(office)
        people = [("admin.prov", Role.ADMIN_INSTANSI, province), ("admin.kota", Role.ADMIN_INSTANSI, city)]
        people += [(f"penghubung.{n}", Role.PENGHUBUNG, office) for n, office in enumerate(offices, start=1)]
        users = {}
        for username, role, agency in people:
            user, created = User.objects.get_or_create(
                username=f"bench.{username}",
                defaults={"full_name": username.title(), "email": f"{username}@bench.example.id"},
            )
            if created:
                user.set_unusable_password()
                user.save()
                StaffRole.objects.create(user=user, role=role, agency=agency)
            users[username] = user
        return city, offices, users["admin.kota"]

    def generate(self):
        """Write the reports and dispositions with bulk INSERTs; return the generation moment."""
        from django.db import transaction
        from django.utils import timezone

        from jembatan.ops.demo_reports import load_texts
        from jembatan.reports import pii
        from jembatan.reports.models import ArchiveReason

        args, rng = self.args, random.Random(SEED)
        now = timezone.now().replace(microsecond=0)
        city, offices, coordinator = self.world()
        reasons = {r.code: r.pk for r in ArchiveReason.objects.all()}
        archive_reason = {
            "diarsipkan_admin": reasons["tidak-jelas"],
            "diarsipkan_sistem": reasons["kedaluwarsa"],
            "diarsipkan_pelapor": reasons["ditarik-pelapor"],
        }
        texts = [(t["title"][:200], t["description"].split("\n")[0][:240]) for t in load_texts()]
        # What the public pages and the public search read: each distinct text redacted once, as
        # Report.save() stores it (the public search index, reports 0015, is built from these).
        public_texts = [(pii.stored_redaction(title), pii.stored_redaction(text)) for title, text in texts]
        fmt = _setup.timestamp_formatter("+00" if self.vendor == "postgresql" else "")
        closed_status = weighted(rng, CLOSED_MIX)
        open_status = weighted(rng, OPEN_MIX)
        classification_of = weighted(rng, CLASSIFICATIONS)
        channel_of = weighted(rng, CHANNELS)
        end = now.timestamp()
        recent = args.open * 3 // 2  # the newest rows: two in three are still open
        older = args.reports - recent
        start = end - 3 * 365 * DAY
        dispositions = []

        def report_rows():
            for i in range(1, args.reports + 1):
                if i <= older:
                    submitted = start + (i / older) * (3 * 365 - RECENT_DAYS) * DAY + rng.random() * 3600
                    is_open = False
                else:
                    submitted = end - RECENT_DAYS * DAY + ((i - older) / recent) * (RECENT_DAYS * DAY - 3600)
                    is_open = rng.random() < 2 / 3
                status = open_status() if is_open else closed_status()
                classification = classification_of()
                title, description = texts[i % len(texts)]
                verified = (
                    submitted + DAY if status not in ("belum_terverifikasi", "menunggu_kelengkapan") else None
                )
                if status in ("diarsipkan_admin", "diarsipkan_pelapor", "diarsipkan_sistem"):
                    verified = None
                answered = (
                    submitted + 10 * DAY
                    if status in ("selesai", "ditutup_sistem", "ditutup_pelapor")
                    else None
                )
                closed = None if is_open else submitted + (31 if status == "diarsipkan_sistem" else 25) * DAY
                paused = submitted + DAY if status in ("menunggu_kelengkapan", "diarsipkan_sistem") else None
                next_check = end + rng.random() * RECENT_DAYS * DAY if is_open else None
                rating = rng.randint(1, 5) if status == "ditutup_pelapor" and rng.random() < 0.5 else None
                email = rng.random() < 0.6
                stamp = fmt(submitted)
                yield (
                    i,
                    str(100_000_000 + i),
                    f"BENCH{i:010d}"[-10:],
                    KINDS[classification],
                    "" if verified is None else classification,
                    title,
                    description,
                    "",
                    channel_of(),
                    "bench",
                    f"generated:{now.isoformat()}" if i == 1 else "",
                    "Warga Bench",
                    f"warga{i}@bench.example.id" if email else "",
                    "" if email else f"62812{i:08d}",
                    rng.random() < 0.1,
                    rng.random() < 0.05,
                    status,
                    0,
                    rating,
                    "",
                    0,
                    stamp,
                    fmt(submitted + 3 * DAY),
                    fmt(paused),
                    fmt(verified),
                    fmt(verified + 20 * DAY) if verified else None,
                    fmt(answered),
                    fmt(closed),
                    fmt(next_check),
                    0,
                    False,
                    1,
                    stamp,
                    fmt(closed or submitted),
                    archive_reason.get(status),
                    city.pk,
                    *public_texts[i % len(texts)],
                    "",
                    pii.DETECTOR_VERSION,
                )
                if status in ("terdisposisi", "diproses", "selesai"):
                    agencies = rng.sample(offices, 2 if rng.random() < SECOND_DISPOSITION_SHARE else 1)
                    for agency in agencies:
                        dispositions.append((i, agency.pk, status, submitted + DAY))

        def disposition_rows():
            for report_id, agency_id, status, disposed in dispositions:
                started = disposed + DAY if status != "terdisposisi" else None
                open_ = status != "selesai"
                yield (
                    report_id,
                    agency_id,
                    status,
                    "Mohon ditindaklanjuti.",
                    coordinator.pk,
                    fmt(disposed),
                    fmt(disposed + 7 * DAY),
                    fmt(disposed + 20 * DAY),
                    fmt(started),
                    fmt(started),
                    fmt(disposed + 9 * DAY) if status == "selesai" else None,
                    "",
                    fmt(end + rng.random() * RECENT_DAYS * DAY) if open_ else None,
                    0,
                    fmt(disposed),
                    fmt(disposed),
                )

        with _setup.Stopwatch() as watch:
            with transaction.atomic():
                self.bulk_insert("reports_report", REPORT_COLUMNS, report_rows())
                self.bulk_insert("reports_disposition", DISPOSITION_COLUMNS, disposition_rows())
            self.after_load()
        print(
            f"generated {args.reports:,} reports and {len(dispositions):,} dispositions "
            f"in {watch.seconds:.0f} s ({self.vendor})"
        )
        return now

    def bulk_insert(self, table, columns, rows):
        """Insert `rows` without the secondary indexes (rebuilt once at the end: much faster)."""
        with self.connection.cursor() as cursor:
            indexes = _setup.secondary_indexes(cursor, table, self.vendor)
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            if self.vendor == "postgresql":
                # Foreign keys are not checked row by row: the rows are generated consistent.
                cursor.execute("SET LOCAL session_replication_role = replica")
                names = ", ".join(columns)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
                )
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= BATCH:
                        cursor.executemany(sql, batch)
                        batch.clear()
                if batch:
                    cursor.executemany(sql, batch)
            _setup.index_build_memory(cursor, self.vendor)
            for _name, definition in indexes:
                cursor.execute(definition)

    def after_load(self):
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                for table in ("reports_report", "reports_disposition"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
                    # What autovacuum would do shortly after a bulk load; the planner needs the statistics.
                    cursor.execute(f"ANALYZE {table}")

    # --- The measurements ---------------------------------------------------------------------------------

    def make_due(self, now):
        """Move ~`due` open rows' next check (and the deadline it is about) into the past."""
        from django.db import transaction
        from django.db.models import F

        from jembatan.reports.models import Disposition, Report

        half = self.args.due // 2
        rng = random.Random(now.timestamp())
        # Sample among the newest open rows nobody touched yet (next check still ahead).
        candidates = list(
            Report.objects.filter(
                status__in=("belum_terverifikasi", "menunggu_kelengkapan", "selesai"), next_check_at__gt=now
            ).values_list("pk", "status")[: half * 20]
        )
        reports = rng.sample(candidates, min(half, len(candidates)))
        open_dispositions = list(
            Disposition.objects.filter(
                status__in=("terdisposisi", "diproses"),
                next_check_at__gt=now,
                report__status__in=("terdisposisi", "diproses"),
            ).values_list("pk", flat=True)[: half * 20]
        )
        dispositions = rng.sample(open_dispositions, min(half, len(open_dispositions)))
        earlier = now - dt.timedelta(minutes=1)
        with transaction.atomic():
            by_status = {}
            for pk, status in reports:
                by_status.setdefault(status, []).append(pk)
            # Unverified past its deadline: the reminder and the first escalation are due.
            Report.objects.filter(pk__in=by_status.get("belum_terverifikasi", [])).update(
                submitted_at=now - dt.timedelta(days=6),
                verification_due_at=now - dt.timedelta(days=1),
                next_check_at=earlier,
            )
            # Waiting for the reporter for more than 30 days: archived by the system.
            Report.objects.filter(pk__in=by_status.get("menunggu_kelengkapan", [])).update(
                paused_at=now - dt.timedelta(days=31), next_check_at=earlier
            )
            # Answered 20 days ago, no reply: closed by the system.
            Report.objects.filter(pk__in=by_status.get("selesai", [])).update(
                answered_at=now - dt.timedelta(days=20), next_check_at=earlier
            )
            # Dispositions past their deadline: the reminder and the breach escalation are due.
            Disposition.objects.filter(pk__in=dispositions).update(
                disposed_at=now - dt.timedelta(days=10),
                first_response_due_at=now - dt.timedelta(days=1),
                completion_due_at=F("first_response_due_at"),
                reminder_sent_at=None,
                breached_at=None,
                next_check_at=earlier,
            )
        return len(reports), len(dispositions)

    def due_queries(self, now):
        """(label, table, queryset): the due-rows query run_sla_sweep() issues for each batch
        (reports/sweep.py), and the same rows found without ordering them by pk."""
        from jembatan.reports.models import Disposition, Report

        for model in (Report, Disposition):
            table = model._meta.db_table
            current = model.objects.filter(next_check_at__lte=now, pk__gt=0).order_by("pk").values_list("pk")
            yield "sweep.py (order by pk)", table, current[:500]
            # Without ORDER BY pk LIMIT, SQLite has no reason to walk the table in pk order.
            yield (
                "all due ids, unordered",
                table,
                model.objects.filter(next_check_at__lte=now).order_by().values_list("pk"),
            )

    def explain(self, now):
        plans = []
        for label, table, query in self.due_queries(now):
            plan = query.explain(analyze=True) if self.vendor == "postgresql" else query.explain()
            with _setup.Stopwatch() as watch:
                for _i in range(5):
                    list(query)
            plans.append((label, table, plan, watch.seconds / 5))
        return plans

    def run(self):
        from jembatan.reports.models import Disposition, Report
        from jembatan.reports.sweep import run_sla_sweep

        now = self.generated_at()
        if now is None and Report.objects.exists():
            raise SystemExit(
                "This database holds other reports (or another size of data set): use --rebuild."
            )
        if now is None:
            now = self.generate()
        else:
            print(
                f"reusing the data set made at {now:%Y-%m-%d %H:%M} UTC ({self.vendor}; --rebuild redoes it)"
            )
        total = Report.objects.count()
        open_reports = Report.objects.filter(next_check_at__isnull=False).count()
        dispositions = Disposition.objects.count()

        rows = []
        run_sla_sweep(now=now)  # warm up: connection, caches, and anything a previous run left due
        with _setup.Stopwatch() as watch:
            result = run_sla_sweep(now=now)
        rows.append(("nothing due", result, watch.seconds, None))

        due_reports, due_dispositions = self.make_due(now)
        with _setup.Stopwatch() as watch:
            result = run_sla_sweep(now=now)
        checked = result.reports_checked + result.dispositions_checked
        rows.append((f"{due_reports + due_dispositions:,} due", result, watch.seconds, checked))

        with _setup.Stopwatch() as watch:
            result = run_sla_sweep(now=now)
        rows.append(("again, right after", result, watch.seconds, None))

        print()
        print(
            f"SLA sweep — {self.vendor}: {total:,} reports ({open_reports:,} with a next check), "
            f"{dispositions:,} dispositions"
        )
        header = f"{'run':<20} {'reports':>9} {'dispositions':>13} {'errors':>7} {'seconds':>9} {'ms/row':>8}"
        print(header)
        print("-" * len(header))
        for label, result, seconds, checked in rows:
            per_row = f"{seconds * 1000 / checked:8.2f}" if checked else f"{'':>8}"
            print(
                f"{label:<20} {result.reports_checked:>9,} {result.dispositions_checked:>13,} "
                f"{result.errors:>7} {seconds:>9.4f} {per_row}"
            )
        for label, table, plan, seconds in self.explain(now):
            print()
            print(f"Due-rows query, {label}, {table}: {seconds * 1000:.3f} ms with nothing due")
            for line in plan.splitlines():
                print(f"  {line}")


def main(argv=None):
    args = parse_args(argv)
    _setup.prepare_database(args.database_url, rebuild=args.rebuild)
    _setup.setup_django(args.database_url)
    SweepBench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
