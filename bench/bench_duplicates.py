"""Benchmark: the duplicate look-up (triage/duplicates.py find_duplicates) at N indexed reports.

Generates N reports (BENCH_DUPLICATES_REPORTS, default 20,000 so `make bench` stays quick; the issue's
goal is at 1,000,000) over five years in one province: 19 kabupaten/kota × 10 kecamatan × 10
desa/kelurahan, half of them pinned within ~600 m of their desa's centre, in 24 categories of six
groups; texts are two to four sentences of the real LAPOR! 2017 corpus (a pool of distinct texts,
lightly edited). Reports, duplicate keys and index rows (with the product's own analyses and
signatures) are written with bulk INSERTs (PostgreSQL: COPY), secondary indexes built after. The
next run reuses the database when it holds N reports.

Then it times find_duplicates for three kinds of query and prints the median, p95 and max wall-clock
ms, and the median CPU ms of this process (on a shared machine the wall clock includes waiting for a
core; with SQLite the CPU time includes the database's own work, with PostgreSQL it does not):

- a stored report (the verifier's panel: find_duplicates(report));
- a citizen writing: a reworded copy of a stored report (words dropped), its desa, category and pin;
- a new text in a random desa (mostly nothing to find).

    JEMBATAN_ENV=development .venv/bin/python bench/bench_duplicates.py
    BENCH_DUPLICATES_REPORTS=1000000 … [--database-url postgres://postgres@127.0.0.1:5432/jb_bench_dups]
    … --rebuild  (generate again)   --queries 200
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

sys.path.insert(0, str(_setup.ROOT))
from jembatan.shared_data import shared_data_dir  # noqa: E402

LAPOR = shared_data_dir() / "lapor-2017-reports.csv"
SEED = 20261206
CITIES = [f"13.{n:02d}" for n in range(1, 13)] + [f"13.{n}" for n in range(71, 78)]
DISTRICTS_PER_CITY = 10
VILLAGES_PER_DISTRICT = 10
TEXT_POOL = 8_000  # distinct texts: each analysed once, then reused in other places and times
CHUNK = 20_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the duplicate look-up.")
    default_url = f"sqlite:///{_setup.BENCH_DIR / 'duplicates.sqlite3'}"
    parser.add_argument("--database-url", default=default_url)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--reports", type=int, default=int(os.environ.get("BENCH_DUPLICATES_REPORTS", "20000"))
    )
    parser.add_argument("--queries", type=int, default=200)
    return parser.parse_args(argv)


def sentences():
    from jembatan.triage.text import strip_boilerplate, strip_markup

    pool = []
    with LAPOR.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            body = strip_markup(strip_boilerplate(record["isi"])).replace("\x00", "")  # PostgreSQL: no NUL
            pool += [s.strip() for s in re.split(r"[.!?]+", body) if len(s.split()) >= 4]
    return pool


class Geography:
    """Region codes and their centres: villages spread over ~2 km per kecamatan."""

    def __init__(self, rng):
        self.villages = []
        self.centres = {}
        for c, city in enumerate(CITIES):
            for d in range(1, DISTRICTS_PER_CITY + 1):
                for v in range(1, VILLAGES_PER_DISTRICT + 1):
                    code = f"{city}.{d:02d}.{1000 + v}"
                    self.villages.append(code)
                    self.centres[code] = (-1.5 + c * 0.2 + d * 0.02, 100.0 + c * 0.1 + v * 0.008)

    def regions(self):
        """(code, name, level, parent) of every region, parents first."""
        rows = [("13", "Provinsi 13", "provinsi", None)]
        rows += [(city, f"Kota {city}", "kabupaten_kota", "13") for city in CITIES]
        rows += [
            (f"{city}.{d:02d}", f"Kecamatan {city}.{d:02d}", "kecamatan", city)
            for city in CITIES
            for d in range(1, DISTRICTS_PER_CITY + 1)
        ]
        rows += [(v, f"Desa {v}", "desa_kelurahan", v.rsplit(".", 1)[0]) for v in self.villages]
        return rows

    def pin(self, rng, village):
        lat, lon = self.centres[village]
        return round(lat + rng.uniform(-0.005, 0.005), 6), round(lon + rng.uniform(-0.005, 0.005), 6)


class Bench:
    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.vendor = connection.vendor
        self.rng = random.Random(SEED)
        self.geo = Geography(self.rng)

    def generated(self):
        from jembatan.reports.models import Report
        from jembatan.triage.models import IndexedReport

        n = self.args.reports
        return (
            Report.objects.count() == n and IndexedReport.objects.filter(analysis__isnull=False).count() == n
        )

    def setup_directory(self):
        from jembatan.directory.models import Category, Region

        for code, name, level, parent in self.geo.regions():
            Region.objects.get_or_create(
                code=code, defaults={"name": name, "level": level, "parent_id": parent}
            )
        categories = []
        for g in range(6):
            group, _ = Category.objects.get_or_create(code=f"bench-g{g}", defaults={"name": f"Kelompok {g}"})
            for k in range(4):
                category, _ = Category.objects.get_or_create(
                    code=f"bench-g{g}-{k}", defaults={"name": f"Kategori {g}.{k}", "parent": group}
                )
                categories.append((category.pk, group.pk))
        return categories

    def texts(self):
        pool = sentences()
        return [". ".join(self.rng.sample(pool, self.rng.randint(2, 4))) + "." for _i in range(TEXT_POOL)]

    def generate(self):
        """Reports, keys and index rows in chunks of CHUNK; the secondary indexes after."""
        from django.db import transaction

        categories = self.setup_directory()
        texts = self.texts()
        analysed = {}
        fmt = _setup.timestamp_formatter("+00" if self.vendor == "postgresql" else "")
        end = time.time()
        start = end - 5 * 365 * 86400
        tables = ("reports_report", "triage_duplicatekey", "triage_indexedreport")
        with _setup.Stopwatch() as watch, transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute("DELETE FROM triage_duplicatekey")
            cursor.execute("DELETE FROM triage_indexedreport")
            cursor.execute("DELETE FROM triage_indexcursor")
            cursor.execute("DELETE FROM reports_report")
            dropped = [
                index for table in tables for index in _setup.secondary_indexes(cursor, table, self.vendor)
            ]
            for name, _definition in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
            if self.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = replica")
            for first in range(1, self.args.reports + 1, CHUNK):
                last = min(first + CHUNK, self.args.reports + 1)
                rows = [self.row(i, start, end, texts, categories, fmt) for i in range(first, last)]
                self.write_chunk(cursor, rows, analysed)
                print(f"  … {last - 1:,} reports, {time.perf_counter() - watch.started:.0f} s", flush=True)
            for _name, definition in dropped:
                cursor.execute(definition)
            self.finish(cursor)
        print(f"generated {self.args.reports:,} reports in {watch.seconds:.0f} s")

    def row(self, i, start, end, texts, categories, fmt):
        village = self.rng.choice(self.geo.villages)
        pinned = self.rng.random() < 0.5
        lat, lon = self.geo.pin(self.rng, village) if pinned else (None, None)
        category, group = self.rng.choice(categories)
        closed = self.rng.random() < 0.2
        stamp = fmt(start + (end - start) * i / self.args.reports)
        return {
            "id": i,
            "text": self.rng.choice(texts),
            "village": village,
            "lat": lat,
            "lon": lon,
            "category": category,
            "group": group,
            "stamp": stamp,
            "status": "ditutup_sistem" if closed else "diproses",
        }

    def write_chunk(self, cursor, rows, analysed):
        from jembatan.reports.models import Report
        from jembatan.triage import duplicates, wording

        template = Report(
            kind="pengaduan", title="-", description="-", access_code="BENCHBENCH", channel="web"
        )
        base = {
            f.column: f.get_db_prep_save(getattr(template, f.attname), self.connection)
            for f in Report._meta.concrete_fields
        }
        columns = list(base)
        reports, keys, indexed = [], [], []
        for r in rows:
            i, text, stamp = r["id"], r["text"], r["stamp"]
            if text not in analysed:
                shingle_set = duplicates.shingles.__wrapped__(text)
                sig = duplicates.signature(shingle_set)
                analysed[text] = (
                    duplicates.keys_of(sig),
                    duplicates.signature_bytes(sig),
                    json.dumps(wording.analyse(text)),
                )
            report_keys, sig_bytes, analysis = analysed[text]
            row = dict(base)
            row.update(
                id=i,
                tracking_number=str(100_000_000 + i),
                title=text[:60],
                description=text,
                region_id=r["village"],
                latitude=r["lat"],
                longitude=r["lon"],
                category_id=r["category"],
                submitted_at=stamp,
                created_at=stamp,
                updated_at=stamp,
                closed_at=stamp if r["status"] == "ditutup_sistem" else None,
                status=r["status"],
                source_instance="bench",
            )
            reports.append(tuple(row[c] for c in columns))
            keys += [(k, i, stamp) for k in report_keys]
            village = r["village"]
            indexed.append(
                (i, len(report_keys), sig_bytes, stamp, stamp, village, village[:8], village[:5])
                + (r["lat"], r["lon"], r["category"], r["group"], analysis)
            )
        _setup.bulk_insert(self.vendor, cursor, "reports_report", columns, reports)
        _setup.bulk_insert(
            self.vendor, cursor, "triage_duplicatekey", ["key", "report_id", "submitted_at"], keys
        )
        _setup.bulk_insert(
            self.vendor,
            cursor,
            "triage_indexedreport",
            ["report_id", "keys", "signature", "indexed_at", "submitted_at", "village", "district", "city"]
            + ["latitude", "longitude", "category_id", "category_group_id", "analysis"],
            indexed,
        )

    def finish(self, cursor):
        from jembatan.triage import duplicates

        cursor.execute(
            "INSERT INTO triage_indexcursor (name, position, updated_at) VALUES (%s, %s, %s)",
            [duplicates.CURSOR, self.args.reports, dt.datetime.now(dt.UTC)],
        )
        if self.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('reports_report', 'id'), "
                "(SELECT max(id) FROM reports_report))"
            )
            for table in ("reports_report", "triage_duplicatekey", "triage_indexedreport"):
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")

    def queries(self):
        """(label, [(find_duplicates keyword arguments)]) of the three kinds of look-up."""
        from jembatan.reports.models import Report
        from jembatan.triage import duplicates

        total = self.args.reports
        ids = sorted(self.rng.sample(range(1, total + 1), min(total, self.args.queries)))
        stored = list(Report.objects.filter(pk__in=ids))

        def reworded(report):
            words = [w for w in report.description.split() if self.rng.random() > 0.25]
            return {
                "text": " ".join(words),
                "region": report.region_id,
                "category": report.category_id,
                "latitude": report.latitude,
                "longitude": report.longitude,
                "date": report.submitted_at + dt.timedelta(hours=5),
                "audience": duplicates.CITIZEN,
            }

        texts = [s.description for s in stored]
        self.rng.shuffle(texts)
        return [
            ("a stored report (the verifier's panel)", [{"report": r} for r in stored]),
            (
                "a citizen writing: a reworded stored report, its desa, category, pin",
                [reworded(r) for r in stored],
            ),
            (
                "a new text in a random desa (mostly nothing to find)",
                [{"text": t, "region": self.rng.choice(self.geo.villages)} for t in texts],
            ),
        ]

    def baseline(self):
        """The median ms of one trivial ORM query: how loaded the machine is (tens of µs when idle)."""
        from jembatan.reports.models import Report

        times = []
        for pk in range(1, 101):
            started = time.perf_counter()
            list(Report.objects.filter(pk=pk).values_list("pk"))
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def run(self):
        from jembatan.triage import services

        if self.args.rebuild or not self.generated():
            self.generate()
        rows = []
        for label, queries in self.queries():
            services.find_duplicates(**queries[0])  # warm-up: connection, caches
            times, cpu, found = [], [], 0
            for arguments in queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                result = services.find_duplicates(**arguments)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                found += bool(result)
            times.sort()
            median, p95, cpu_median = (
                statistics.median(times),
                times[int(len(times) * 0.95)],
                statistics.median(cpu),
            )
            rows.append((label, median, p95, times[-1], cpu_median, found, len(times)))
        print(
            f"\nfind_duplicates at {self.args.reports:,} reports ({self.vendor}), "
            f"{self.args.queries} queries each"
        )
        print(f"(one trivial ORM query: {self.baseline():.2f} ms median, for the machine's load)")
        header = f"{'query':<72} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>7} {'found':>10}"
        print(header)
        print("-" * len(header))
        for label, median, p95, worst, cpu_median, found, n in rows:
            print(
                f"{label:<72} {median:>9.2f} {p95:>8.2f} {worst:>8.2f} {cpu_median:>7.2f} {found:>5}/{n:<4}"
            )


def main():
    args = parse_args()
    _setup.prepare_database(args.database_url, rebuild=args.rebuild)
    _setup.setup_django(args.database_url)
    Bench(args).run()


if __name__ == "__main__":
    main()
