"""Benchmark: the portal's public list (server time) on 100,000 reports, and the page weights.

    JEMBATAN_ENV=development .venv/bin/python bench/bench_public_list.py                 # SQLite
    … bench/bench_public_list.py --database-url postgres://postgres@127.0.0.1:5432/jb_bench_portal
    … --rebuild                                                                         # fresh data

The data set: 100,000 reports over two years in Sumatera Barat's 19 kabupaten/kota, with titles
and texts taken from real LAPOR! reports (shared/data/lapor-2017-reports.csv, shuffled and mixed
so no two are the same), 10% confidential, statuses in roughly a LAPOR! export's proportions
(three in four public), 20 categories, 12 offices with dispositions. Written with bulk INSERTs, not
through the actions, then the redacted texts are stored and the SQLite search indexes are rebuilt
in one pass (PostgreSQL's GIN indexes follow the rows by themselves).

Every page is fetched through Django's test client (middleware, queries, templates: the whole
server side, no network), as an anonymous visitor. For each list variant it prints the rows found,
the median and max server time of several fetches, the number of queries and the slowest query.
Then the bytes of HTML + CSS + JS for the home, submit and report pages (goal: under 100 KB each).
"""

import argparse
import csv
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
from jembatan.shared_data import shared_data_path  # noqa: E402

DEFAULT_DATABASE_URL = f"sqlite:///{_setup.BENCH_DIR / 'public-list.sqlite3'}"
CORPUS = shared_data_path("lapor-2017-reports.csv")
SEED = 20260301


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark the portal's public list on 100,000 reports.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and generate it again")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="fetches per page (median and max are printed)")
    return parser.parse_args(argv)


def corpus():
    """(title, text) pairs from real LAPOR! reports, cleaned of their HTML and "Yth." header."""
    pairs = []
    if CORPUS.exists():
        with CORPUS.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                text = re.sub(r"<[^>]+>", " ", row["isi"].replace("\x00", ""))
                text = re.sub(r"^\s*yth\.?[^,]*,", "", text, flags=re.I)
                text = re.sub(r"\s+", " ", text).strip()
                if len(row["judul"]) >= 5 and len(text) >= 40:
                    pairs.append((row["judul"].replace("\x00", "")[:200], text[:2000]))
    if not pairs:  # no shared data beside the project: short made-up texts, same shape
        words = "jalan rusak berlubang lampu mati sampah menumpuk pelayanan lambat puskesmas antrean".split()
        rng = random.Random(SEED)
        pairs = [
            (" ".join(rng.sample(words, 4)).capitalize(), " ".join(rng.choices(words, k=60)))
            for _ in range(500)
        ]
    return pairs


def build(n_reports):
    """The directory and 100,000 reports; returns nothing (everything is in the database)."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from jembatan.directory.models import Agency, AgencyKind, Category, Region, RegionLevel
    from jembatan.reports import search
    from jembatan.reports.models import Classification, Disposition, Report, ReportType, Status
    from jembatan.reports.public_texts import fill_public_texts

    rng = random.Random(SEED)
    now = timezone.now()
    with transaction.atomic():
        province = Region.objects.create(code="13", name="Sumatera Barat", level=RegionLevel.PROVINSI)
        cities = []
        for i in range(1, 20):
            city = Region.objects.create(
                code=f"13.{i:02d}",
                name=f"Kabupaten Bench {i}",
                level=RegionLevel.KABUPATEN_KOTA,
                parent=province,
            )
            for k in range(1, 6):
                district = Region.objects.create(
                    code=f"{city.code}.{k:02d}",
                    name=f"Kecamatan {i}-{k}",
                    level=RegionLevel.KECAMATAN,
                    parent=city,
                )
                for v in range(1, 6):
                    Region.objects.create(
                        code=f"{district.code}.{1000 + v}",
                        name=f"Desa {i}-{k}-{v}",
                        level=RegionLevel.DESA_KELURAHAN,
                        parent=district,
                    )
            cities.append(city)
        villages = list(
            Region.objects.filter(level=RegionLevel.DESA_KELURAHAN).values_list("code", flat=True)
        )
        pemprov = Agency.objects.create(
            code="bench-prov", name="Pemprov Bench", kind=AgencyKind.PEMPROV, region=province
        )
        offices = [
            Agency.objects.create(
                code=f"bench-dinas-{i}", name=f"Dinas Bench {i}", kind=AgencyKind.DINAS, parent=pemprov
            )
            for i in range(12)
        ]
        groups = [Category.objects.create(code=f"g{i}", name=f"Kelompok {i}") for i in range(4)]
        categories = [
            Category.objects.create(code=f"c{i}", name=f"Kategori {i}", parent=groups[i % 4])
            for i in range(20)
        ]

    texts = corpus()
    statuses = (
        [Status.SELESAI] * 20
        + [Status.DITUTUP_SISTEM] * 25
        + [Status.DITUTUP_PELAPOR] * 10
        + [Status.DIPROSES] * 10
        + [Status.TERDISPOSISI] * 10
        + [Status.BELUM_TERVERIFIKASI] * 5
        + [Status.MENUNGGU_KELENGKAPAN] * 3
        + [Status.DIARSIPKAN_ADMIN] * 12
        + [Status.DIARSIPKAN_SISTEM] * 5
    )
    batch, dispositions, numbers = [], [], set()
    span = dt.timedelta(days=730)
    started = time.perf_counter()
    for i in range(n_reports):
        title, text = texts[rng.randrange(len(texts))]
        _other_title, other_text = texts[rng.randrange(len(texts))]
        number = str(rng.randrange(100_000_000, 999_999_999))
        while number in numbers:
            number = str(rng.randrange(100_000_000, 999_999_999))
        numbers.add(number)
        submitted = now - span * (1 - i / n_reports)
        status = rng.choice(statuses)
        batch.append(
            Report(
                tracking_number=number,
                access_code="BENCHBENCH",
                kind=ReportType.PENGADUAN,
                classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
                title=title,
                description=f"{text} {other_text[:300]}",
                region_id=rng.choice(villages),
                category=rng.choice(categories),
                verifying_agency=pemprov,
                reporter_name="Warga Bench",
                reporter_email="bench@example.id",
                is_anonymous=rng.random() < 0.2,
                is_confidential=rng.random() < 0.1,
                status=status,
                support_count=int(rng.expovariate(0.5)),
                submitted_at=submitted,
                verification_due_at=submitted + dt.timedelta(days=4),
                completion_due_at=submitted + dt.timedelta(days=20),
            )
        )
        if len(batch) == 10_000:
            _flush(batch, dispositions, offices, rng)
            batch = []
    if batch:
        _flush(batch, dispositions, offices, rng)
    Disposition.objects.bulk_create(dispositions, batch_size=10_000)
    print(
        f"  wrote {n_reports:,} reports and {len(dispositions):,} dispositions"
        f" in {time.perf_counter() - started:.1f} s"
    )
    # Bulk INSERTs skip Report.save(): the redacted texts the public pages and the public search
    # read are derived here, as `manage.py store_public_texts --apply` does after a bulk import.
    with _setup.Stopwatch() as t:
        fill_public_texts(Report, reindex=False)
    print(f"  redacted texts stored in {t.seconds:.1f} s")
    with _setup.Stopwatch() as t:
        count = search.rebuild_index()
    if connection.vendor == "sqlite":
        print(f"  search index: {count:,} reports stemmed and indexed in {t.seconds:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _flush(batch, dispositions, offices, rng):
    from jembatan.reports.models import Disposition, DispositionStatus, Report, Status

    created = Report.objects.bulk_create(batch, batch_size=2_000)
    states = {
        Status.TERDISPOSISI: DispositionStatus.TERDISPOSISI,
        Status.DIPROSES: DispositionStatus.DIPROSES,
        Status.SELESAI: DispositionStatus.SELESAI,
        Status.DITUTUP_SISTEM: DispositionStatus.SELESAI,
        Status.DITUTUP_PELAPOR: DispositionStatus.SELESAI,
    }
    if created and created[0].pk is None:  # SQLite before RETURNING support: read the ids back
        created = list(Report.objects.filter(tracking_number__in=[r.tracking_number for r in batch]))
    for report in created:
        state = states.get(report.status)
        if state is None:
            continue
        for office in rng.sample(offices, 2 if rng.random() < 0.15 else 1):
            dispositions.append(
                Disposition(report_id=report.pk, agency=office, status=state, disposed_at=report.submitted_at)
            )


def measure(client, url, runs):
    from django.db import connection

    times, timer = [], None
    for _ in range(runs):
        timer = _setup.QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    found = re.search(r"([\d.,]+) laporan</p>", response.content.decode())
    slowest = max(timer.queries)
    return {
        "found": found.group(1) if found else "?",
        "median_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
        "queries": len(timer.queries),
        "slowest_ms": slowest[0] * 1000,
        "slowest_sql": re.sub(r"\s+", " ", slowest[1])[:110],
    }


def page_weight(client, url):
    """Bytes of the page's HTML and of the CSS and JS files it links (gzip not counted).

    The pages link the hashed names of the collected manifest (DEBUG is off): the files are read
    where `collectstatic` wrote them, not looked up by their source names.
    """
    from django.contrib.staticfiles.storage import staticfiles_storage

    html = client.get(url).content
    total = {"html": len(html), "css": 0, "js": 0}
    for kind, pattern in (("css", rb'href="/static/([^"]+\.css)"'), ("js", rb'src="/static/([^"]+\.js)"')):
        for name in re.findall(pattern, html):
            total[kind] += Path(staticfiles_storage.path(name.decode())).stat().st_size
    return total


def main(argv=None):
    args = parse_args(argv)
    # Pages link the hashed static names: the manifest `make setup` collected (DEBUG is off).
    os.environ.setdefault("STATIC_ROOT", str(_setup.ROOT / "var" / "static"))
    fresh = _setup.prepare_database(args.database_url, rebuild=args.rebuild)
    _setup.setup_django(args.database_url)
    from django.db import connection
    from django.test import Client

    from jembatan.directory.models import Agency, Category
    from jembatan.reports.models import Report

    if fresh or not Report.objects.exists():
        print(f"Building the data set ({args.reports:,} reports) …")
        build(args.reports)
    total = Report.objects.count()
    public = Report.objects.public().count()
    print(f"{connection.vendor}: {total:,} reports, {public:,} public")

    client = Client()
    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    office = Agency.objects.filter(code="bench-dinas-3").first()
    pages = public // 20
    variants = [
        ("first page", "/laporan/"),
        ("page 2", "/laporan/?halaman=2"),
        (f"deep page ({pages // 2:,})", f"/laporan/?halaman={pages // 2}"),
        ("last page", f"/laporan/?halaman={pages}"),
        ("sorted by support", "/laporan/?urut=dukungan"),
        ("search: one common word (jalan)", "/laporan/?q=jalan"),
        ("search: two words (jalan rusak)", "/laporan/?q=jalan+rusak"),
        ("search: stemmed (pelayanan)", "/laporan/?q=pelayanan"),
        ("search: rare word (sertifikat)", "/laporan/?q=sertifikat"),
        ("search: no match", "/laporan/?q=zzzyyyxxx"),
        ("category", f"/laporan/?kategori={category.pk}"),
        ("category group", f"/laporan/?kategori={category.parent_id}"),
        ("region (kabupaten)", "/laporan/?wilayah=13.07"),
        ("agency", f"/laporan/?instansi={office.pk}"),
        ("status", "/laporan/?status=diproses"),
        ("date range (one month)", "/laporan/?dari=2026-01-01&sampai=2026-01-31"),
        (
            "search + category + region",
            f"/laporan/?q=jalan&kategori={category.parent_id}&wilayah=13.07",
        ),
        ("report page", f"/laporan/{Report.objects.public().order_by('-pk').first().tracking_number}/"),
        ("home", "/"),
    ]
    print(f"\n{'page':38} {'found':>8} {'median':>9} {'max':>9} {'queries':>7} {'slowest query':>12}")
    for label, url in variants:
        r = measure(client, url, args.runs)
        print(
            f"{label:38} {r['found']:>8} {r['median_ms']:7.1f}ms {r['max_ms']:7.1f}ms {r['queries']:7d}"
            f" {r['slowest_ms']:8.1f}ms  {r['slowest_sql']}"
        )

    print("\nPage weight (HTML + CSS + JS, uncompressed; goal < 100 KB each):")
    report = Report.objects.public().order_by("-pk").first()
    for label, url in (
        ("home", "/"),
        ("submit", "/lapor/"),
        ("report", f"/laporan/{report.tracking_number}/"),
        ("public list", "/laporan/"),
    ):
        w = page_weight(client, url)
        total = sum(w.values())
        print(
            f"  {label:12} html {w['html']:7,} B  css {w['css']:6,} B  js {w['js']:6,} B"
            f"  total {total / 1024:6.1f} KB"
        )


if __name__ == "__main__":
    main()
