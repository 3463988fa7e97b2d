"""Benchmark: every dashboard at 1,000,000 reports (goal: each page answers in under 200 ms).

    JEMBATAN_ENV=development .venv/bin/python bench/bench_dashboards.py            # SQLite, /tmp
    … bench/bench_dashboards.py --database-url postgres://postgres@127.0.0.1:5432/jb_bench_dash
    … --rebuild                                                   # generate the data set again

The data set is a province the size of Sumatera Barat: Pemprov with 40 offices, 19 kabupaten/kota
governments with 25 offices each (some with UPTs and puskesmas below them), a second province,
three years of reports (most of them in the province) with realistic shares of categories,
channels, statuses, SLA outcomes, ratings and dispositions. It is written with bulk INSERTs
(SQLite executemany, PostgreSQL COPY), not through the actions, then `rollups.rebuild()` builds
the facts and cubes exactly as `manage.py rebuild_rollups` does (timed and printed too).

Each page is requested through Django's test client (middleware, views, queries and template
rendering: the whole response), as four viewers: national, the province's pimpinan, a city's
pimpinan and an office's pimpinan (a leaf agency), with the default period (30 days), twelve months
(month cubes), and a kabupaten/kota and a category filter. Printed: the median and the slowest of
REPEAT runs after one warm-up run. Then an incremental refresh after 200 new reports.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (sets up sys.path and Django for the benchmark database)

SEED = 20260315
BATCH = 50_000
DAY = 86_400
MARKER = "bench-dashboards"
GOAL_MS = 200

CHANNELS = [("web", 40), ("android", 25), ("whatsapp", 12), ("sms", 8), ("email", 8), ("officer", 7)]
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
REPORT_COLUMNS = [
    "id", "tracking_number", "access_code_hash", "kind", "classification", "title", "description", "address",
    "channel", "source_instance", "external_id", "reporter_name", "reporter_email", "reporter_phone",
    "is_anonymous", "is_confidential", "status", "support_count", "rating", "rating_comment", "reopen_count",
    "submitted_at", "verification_due_at", "verified_at", "completion_due_at", "answered_at", "closed_at",
    "breached_at", "escalation_level", "ombudsman_consent", "version", "created_at", "updated_at",
    "region_id", "category_id", "verifying_agency_id", "archive_reason_id",
]  # fmt: skip
DISPOSITION_COLUMNS = [
    "report_id", "agency_id", "status", "instruction", "disposed_at", "first_response_due_at",
    "completion_due_at", "started_at", "first_response_at", "answered_at", "returned_at", "return_reason",
    "breached_at", "escalation_level", "created_at", "updated_at",
]  # fmt: skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the dashboards on a million reports.")
    parser.add_argument("--database-url", default=f"sqlite:///{_setup.BENCH_DIR / 'dashboards.sqlite3'}")
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the reports and dispositions, then stop (the rollups are built by a later run)",
    )
    parser.add_argument(
        "--rebuild-rollups",
        action="store_true",
        help="rebuild the facts and cubes of a kept data set before measuring (after a cube change)",
    )
    return parser.parse_args(argv)


def weighted(rng, pairs):
    values = [v for v, _w in pairs]
    weights = [w for _v, w in pairs]
    return lambda: rng.choices(values, weights)[0]


class DashboardBench:
    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.vendor = connection.vendor

    # --- The world -----------------------------------------------------------------------------------

    def directory(self):
        """Regions (provinces, kabupaten/kota), categories, agencies and the four viewers."""
        from jembatan.accounts.models import Role, StaffRole, User
        from jembatan.directory.actions import load_categories, load_regions
        from jembatan.directory.models import Agency, AgencyKind, Category, Region
        from jembatan.directory.sources import read_categories, read_regions

        if Region.objects.count() < 500:
            load_regions(rows=[r for r in read_regions() if r.code.count(".") <= 1])
        if not Category.objects.exists():
            load_categories(rows=read_categories())

        def agency(code, name, kind, parent=None, region=None):
            obj, _c = Agency.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "parent": parent, "region_id": region}
            )
            return obj

        prov = agency("b-sumbar", "Pemerintah Provinsi Sumatera Barat", AgencyKind.PEMPROV, region="13")
        offices = {
            None: [
                agency(f"b-sumbar-{i}", f"Dinas {i} Provinsi", AgencyKind.DINAS, prov, "13")
                for i in range(40)
            ]
        }
        cities = {}
        for region in Region.objects.filter(code__startswith="13.", level="kabupaten_kota").order_by("code"):
            city = agency(
                f"b-{region.code}", f"Pemerintah {region.name}", AgencyKind.PEMKAB_PEMKOT, prov, region.code
            )
            cities[region.code] = city
            own = []
            for i in range(25):
                office = agency(
                    f"b-{region.code}-{i}", f"Dinas {i} {region.name}", AgencyKind.DINAS, city, region.code
                )
                own.append(office)
                if i < 3:  # health and public works run UPTs and puskesmas
                    for j in range(4):
                        own.append(
                            agency(
                                f"b-{region.code}-{i}-{j}",
                                f"UPT {j} Dinas {i} {region.name}",
                                AgencyKind.PUSKESMAS,
                                office,
                                region.code,
                            )
                        )
            offices[region.code] = own
        riau = agency("b-riau", "Pemerintah Provinsi Riau", AgencyKind.PEMPROV, region="14")
        riau_offices = [
            agency(f"b-riau-{i}", f"Dinas {i} Provinsi Riau", AgencyKind.DINAS, riau, "14") for i in range(20)
        ]
        padang = cities["13.71"]
        leaf = next(o for o in offices["13.71"] if not o.children.exists())
        viewers = {}
        for username, role, scope in (
            ("nasional", Role.ADMIN_NASIONAL, None),
            ("pimpinan.provinsi", Role.PIMPINAN, prov),
            ("pimpinan.kota", Role.PIMPINAN, padang),
            ("pimpinan.dinas", Role.PIMPINAN, leaf),
        ):
            user, created = User.objects.get_or_create(
                username=f"bench.{username}", defaults={"full_name": username}
            )
            if created:
                user.set_unusable_password()
                user.save()
                StaffRole.objects.create(user=user, role=role, agency=scope)
            viewers[username] = user
        return prov, cities, offices, riau, riau_offices, viewers

    def ready(self):
        from jembatan.reports.models import Report

        return (
            Report.objects.filter(source_instance=MARKER).count() == self.args.reports
            and Report.objects.count() >= self.args.reports
        )

    def generate(self):
        from django.db import transaction
        from django.utils import timezone

        from jembatan.directory.models import Category
        from jembatan.ops.demo_reports import load_texts
        from jembatan.reports.models import ArchiveReason

        args, rng = self.args, random.Random(SEED)
        prov, cities, offices, riau, riau_offices, _viewers = self.directory()
        categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
        category_weights = [1 / (i + 1) ** 0.8 for i in range(len(categories))]  # a few big, a long tail
        reasons = dict(ArchiveReason.objects.values_list("code", "pk"))
        archive_reason = {
            "diarsipkan_admin": reasons["tidak-jelas"],
            "diarsipkan_sistem": reasons["kedaluwarsa"],
            "diarsipkan_pelapor": reasons["ditarik-pelapor"],
        }
        texts = [
            (t["title"][:200], t["description"].split("\n")[0][:300] or t["title"]) for t in load_texts()
        ]
        city_codes = sorted(cities)
        city_weights = [8 if code == "13.71" else 1 for code in city_codes]
        fmt = _setup.timestamp_formatter("+00" if self.vendor == "postgresql" else "")
        channel_of, class_of = weighted(rng, CHANNELS), weighted(rng, CLASSIFICATIONS)
        closed_of, open_of = weighted(rng, CLOSED_MIX), weighted(rng, OPEN_MIX)
        end = timezone.now().replace(microsecond=0).timestamp()
        start = end - 3 * 365 * DAY
        dispositions = []

        def reports():
            for i in range(1, args.reports + 1):
                submitted = start + (i / args.reports) * (end - start - 3600) + rng.random() * 600
                age_days = (end - submitted) / DAY
                is_open = age_days < 60 and rng.random() < 0.6
                status = open_of() if is_open else closed_of()
                classification = class_of()
                if rng.random() < 0.95:
                    code = rng.choices(city_codes, city_weights)[0]
                    region, verifier = code, cities[code]
                    pool = offices[code] if rng.random() < 0.85 else offices[None]
                else:
                    region, verifier, pool = "14", riau, riau_offices
                verified = submitted + rng.choice((0.3, 0.8, 1.5, 2.5, 4.5)) * DAY
                if status in ("belum_terverifikasi", "menunggu_kelengkapan") or status.startswith(
                    "diarsipkan"
                ):
                    verified = None
                answered = None
                if status in ("selesai", "ditutup_sistem", "ditutup_pelapor"):
                    answered = verified + rng.choice((2, 4, 7, 10, 15, 30)) * DAY
                due = verified + 14 * DAY if verified else None
                closed = None if is_open else submitted + 30 * DAY
                title, description = texts[i % len(texts)]
                rating = rng.randint(1, 5) if status == "ditutup_pelapor" and rng.random() < 0.6 else None
                yield (
                    i, str(100_000_000 + i), f"B{i:09d}", KINDS[classification],
                    classification if verified else "", title, description, "", channel_of(), MARKER, "",
                    "Warga", f"w{i}@bench.example.id", "", rng.random() < 0.1, rng.random() < 0.05, status, 0,
                    rating, "", 0, fmt(submitted), fmt(submitted + 3 * DAY), fmt(verified), fmt(due),
                    fmt(answered), fmt(closed),
                    fmt(submitted + 3 * DAY) if status == "belum_terverifikasi" and age_days > 5 else None,
                    0, False, 1, fmt(submitted), fmt(closed or submitted), region,
                    rng.choices(categories, category_weights)[0], verifier.pk, archive_reason.get(status),
                )  # fmt: skip
                if verified and not status.startswith("diarsipkan"):
                    first = rng.choice(pool)
                    returned = rng.random() < 0.05
                    if returned:
                        dispositions.append((i, first.pk, "bukan_wewenang", verified, None, None, True))
                        first = rng.choice(pool)
                    d_status = {
                        "terdisposisi": "terdisposisi",
                        "diproses": "diproses",
                        "ditutup_admin": "dibatalkan",
                    }.get(status, "selesai")
                    dispositions.append((i, first.pk, d_status, verified, answered, due, False))

        def disposition_rows():
            for report_id, agency_id, status, disposed, answered, due, returned in dispositions:
                responded = disposed + rng.choice((1, 2, 4, 6, 9)) * DAY if status != "terdisposisi" else None
                if answered and responded and responded > answered:
                    responded = answered
                breached = (
                    disposed + 8 * DAY
                    if status in ("terdisposisi", "diproses") and end - disposed > 8 * DAY
                    else None
                )
                yield (
                    report_id, agency_id, status, "", fmt(disposed), fmt(disposed + 7 * DAY), fmt(due),
                    fmt(responded), fmt(responded), fmt(answered), fmt(disposed + DAY) if returned else None,
                    "", fmt(breached), 0, fmt(disposed), fmt(disposed),
                )  # fmt: skip

        with _setup.Stopwatch() as watch:
            with transaction.atomic():
                self.bulk_insert("reports_report", REPORT_COLUMNS, reports())
                self.bulk_insert("reports_disposition", DISPOSITION_COLUMNS, disposition_rows())
            self.after_load()
        print(
            f"generated {args.reports:,} reports, {len(dispositions):,} dispositions in {watch.seconds:.0f} s"
        )

    def bulk_insert(self, table, columns, rows):
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = replica")
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)

    def after_load(self):
        if self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                for table in ("reports_report", "reports_disposition"):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )

    def analyze(self):
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # --- Measurements ------------------------------------------------------------------------------

    def cases(self, prov, cities):
        from jembatan.directory.models import Category

        group = Category.objects.filter(parent__isnull=True).order_by("pk").first()
        padang = cities["13.71"]
        filters = [
            ("30 hari", {}),
            ("12 bulan", {"periode": "365"}),
            ("kab/kota 90 hari", {"periode": "90", "wilayah": "13.71"}),
            ("kategori 30 hari", {"kategori": str(group.pk)}),
        ]
        pages = [
            ("ringkasan", "/data/"),
            ("peta", "/data/peta/"),
            ("kinerja", "/data/kinerja/"),
            ("tren minggu", "/data/tren/"),
            ("tren bulan", "/data/tren/?jendela=bulan"),
        ]
        for viewer in ("nasional", "pimpinan.provinsi", "pimpinan.kota", "pimpinan.dinas"):
            for page, url in pages:
                for label, params in filters:
                    if page.startswith("tren") and label == "12 bulan":
                        continue  # the trends page ignores the period
                    if viewer == "pimpinan.dinas" and params.get("wilayah"):
                        continue
                    yield viewer, page, url, label, params
        yield "pimpinan.provinsi", "ringkasan", "/data/", "instansi = kota", {"instansi": padang.code}
        yield "pimpinan.provinsi", "kinerja", "/data/kinerja/", "instansi = kota", {"instansi": padang.code}
        yield "-", "statistik publik", "/data/statistik/", "12 bulan", {}
        yield (
            "nasional",
            "laporan (drill)",
            "/data/laporan/",
            "30 hari, kab/kota",
            {
                "dari": "2000-01-01",
                "wilayah": "13.71",
            },
        )

    def measure(self, viewers, prov, cities):
        from django.test import Client

        results = []
        clients = {}
        for viewer, page, url, label, params in self.cases(prov, cities):
            client = clients.get(viewer)
            if client is None:
                client = clients[viewer] = Client()
                if viewer != "-":
                    client.force_login(viewers[viewer])
            response = client.get(url, params)  # warm-up (and a correctness check)
            if response.status_code != 200:
                raise SystemExit(f"{url} {params} as {viewer}: HTTP {response.status_code}")
            times, cpu = [], []
            for _i in range(self.args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(url, params)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            results.append(
                (viewer, page, label, statistics.median(times), max(times), statistics.median(cpu))
            )
        return results

    def run(self):
        from django.utils import timezone

        from jembatan.insights.models import ReportCube, ReportFact, ScopeReportCube
        from jembatan.reports.models import Report

        if not self.ready():
            if Report.objects.exists():
                raise SystemExit(
                    "This database holds other reports (or another size of data set): use --rebuild."
                )
            self.generate()
            self.analyze()
            if self.args.generate_only:
                print("generated; the rollups are left to a run with --rebuild-rollups")
                return
            self.build_rollups()
        elif self.args.rebuild_rollups or not ReportFact.objects.exists():
            print(f"reusing the data set ({self.vendor}); building its rollups again")
            self.build_rollups()
        else:
            print(f"reusing the data set ({self.vendor}; --rebuild redoes it)")
        prov, cities, _offices, _riau, _riau_offices, viewers = self.directory()
        print(
            f"{Report.objects.count():,} reports; {ReportFact.objects.count():,} report facts; "
            f"{ReportCube.objects.count():,} rows in the full report cube; "
            f"{ScopeReportCube.objects.count():,} in the scope report cube"
        )
        results = self.measure(viewers, prov, cities)
        print()
        print(
            f"Dashboards — {self.vendor}: wall-clock median and slowest of {self.args.repeat} requests, "
            f"and the median CPU time of this process (ms); goal < {GOAL_MS} ms"
        )
        print(f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        header = f"{'viewer':<18} {'page':<17} {'filters':<18} {'median':>8} {'max':>8} {'cpu':>8}"
        print(header)
        print("-" * len(header))
        for viewer, page, label, median, slowest, cpu in results:
            flag = "" if median < GOAL_MS else "  OVER"
            print(f"{viewer:<18} {page:<17} {label:<18} {median:8.1f} {slowest:8.1f} {cpu:8.1f}{flag}")
        medians = [r[3] for r in results]
        cpus = [r[5] for r in results]
        print("-" * len(header))
        print(
            f"{len(results)} pages: median of medians {statistics.median(medians):.1f} ms, "
            f"slowest median {max(medians):.1f} ms, {sum(m >= GOAL_MS for m in medians)} over {GOAL_MS} ms; "
            f"CPU: median {statistics.median(cpus):.1f} ms, slowest {max(cpus):.1f} ms"
        )
        self.incremental(timezone.now())

    def build_rollups(self):
        from jembatan.insights import rollups, tasks, topics

        with _setup.Stopwatch() as watch:
            count = rollups.rebuild()
        print(f"rebuild_rollups: {count:,} reports → facts and cubes in {watch.seconds:.0f} s")
        self.analyze()
        with _setup.Stopwatch() as watch:
            scopes = tasks.dashboard_scopes()
            topics.refresh_snapshots(scopes)
        print(f"topic clusters for {len(scopes)} scopes in {watch.seconds:.1f} s")

    def incremental(self, now):
        """200 new reports through the real action, then one incremental refresh."""
        from jembatan.insights import rollups
        from jembatan.reports import actions
        from jembatan.reports.models import Channel, ReportType

        rollups.refresh()  # whatever is pending from before
        for i in range(200):
            new = actions.NewReport(
                kind=ReportType.PENGADUAN,
                title=f"Lampu jalan mati nomor {i}",
                description="Lampu jalan di depan pasar mati sejak minggu lalu, gelap dan rawan.",
                channel=Channel.IMPORT,
                source_instance="bench-incremental",
            )
            actions.submit_report(new=new)
        with _setup.Stopwatch() as watch:
            result = rollups.refresh()
        print()
        print(
            f"incremental refresh after 200 new reports: {result.reports} reports rechecked, "
            f"{result.periods} periods re-aggregated in {watch.seconds * 1000:.0f} ms"
        )


def main(argv=None):
    args = parse_args(argv)
    # Pages link the hashed static names: the manifest `make setup` collected (DEBUG is off).
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    # The viewers log in with force_login (no TOTP device): the pages, not the second factor.
    os.environ.setdefault("ACCOUNTS_REQUIRE_TOTP", "false")
    _setup.prepare_database(args.database_url, rebuild=args.rebuild)
    _setup.setup_django(args.database_url)
    DashboardBench(args).run()


if __name__ == "__main__":
    main()
