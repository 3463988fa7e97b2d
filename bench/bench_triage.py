"""Benchmark: triage. Prints tables for

1. routing: agency routing on the real 2017 LAPOR! reports (../shared/data/lapor-2017-reports.csv):
   the label is the "Yth." addressee (lower-cased, spaces collapsed), the header is cut from the
   text, only agencies with at least 15 reports stay, and the split is temporal (by tracking_id:
   the oldest 80 % train, the newest 20 % test). Jembatan's model (jembatan/triage/learning.py)
   against the baseline of issue 21 (TF-IDF word 1–2-grams, min_df=2, sublinear tf, class-balanced
   LinearSVC C=0.5, 5-fold CalibratedClassifierCV), both over three seeds (triage/evaluation.py,
   what `manage.py triage evaluate` prints), with one row per ablation: the table of what helped
   and what did not in jembatan/triage/README.md. Then the same on the Samarinda export's
   categories and disposed agencies;
2. speed: training on 10,000 reports and the time per suggestion. 10,000 reports are made from
   the routing set: each of its reports is copied with light edits (words dropped, swapped,
   written in slang, numbers changed; seeded), until there are 10,000;
3. duplicates: the Samarinda gold set (nine copies of one body, one body sent twice), pair by pair;
4. lookup: find_duplicates at 1,000,000 reports in the database (SQLite by default, or
   --database-url postgres://…/jb_bench_triage). The reports are generated once (texts made of
   sentences of the real corpus, lightly edited, over five years and 19 kabupaten/kota) with bulk
   INSERTs and indexed with the product's own signatures; the next run reuses them.

    JEMBATAN_ENV=development .venv/bin/python bench/bench_triage.py
    … --only routing,speed            (any of routing, speed, duplicates, lookup)
    … --database-url postgres://postgres@127.0.0.1:5432/jb_bench_triage  [--rebuild]
"""

import argparse
import collections
import csv
import datetime as dt
import itertools
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402  (sets up sys.path and Django for the benchmark database)

sys.path.insert(0, str(_setup.ROOT))
from jembatan.shared_data import shared_data_dir  # noqa: E402

DATA = shared_data_dir()
LAPOR = DATA / "lapor-2017-reports.csv"
SAMARINDA = DATA / "lapor-export-samarinda-2024.csv"
DEFAULT_DATABASE_URL = f"sqlite:///{_setup.BENCH_DIR / 'triage.sqlite3'}"
SEED = 20260101
MIN_REPORTS = 15
TEST_FRACTION = 0.2
HEADER = re.compile(r"^\s*yth\.?\s*(.+?)\s*,\s*(?:<br\s*/?>\s*)+", re.I | re.S)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark triage: routing, speed, duplicates, lookup.")
    parser.add_argument("--only", default="routing,speed,duplicates,lookup")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rebuild", action="store_true", help="generate the 1,000,000 reports again")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    return parser.parse_args(argv)


# --- 1. Routing ------------------------------------------------------------------------------------


def routing_dataset():
    """[(text, label)] of the LAPOR! 2017 reports addressed by the national header, in tracking_id order."""
    rows = []
    with LAPOR.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            match = HEADER.match(record["isi"])
            if not match or len(match.group(1)) > 120:
                continue  # informal "yth bpjs.." openings name no agency reliably
            label = re.sub(r"\s+", " ", match.group(1).strip().lower())
            body = record["isi"][match.end() :]
            rows.append((int(record["tracking_id"]), f"{record['judul']}. {body}", label))
    counts = collections.Counter(label for _id, _text, label in rows)
    rows = sorted(r for r in rows if counts[r[2]] >= MIN_REPORTS)
    return [(text, label) for _id, text, label in rows]


def split(rows, fraction=TEST_FRACTION):
    n_test = int(round(len(rows) * fraction))
    return rows[:-n_test], rows[-n_test:]


def evaluation_rows(rows):
    """(text, label) rows of routing_dataset → evaluation.Row with the title (the text up to ". ")."""
    from jembatan.triage.evaluation import Row

    return [Row(text, label, text.split(". ", 1)[0]) for text, label in rows]


# (name, Settings overrides): each row changes one thing of the default model.
ABLATIONS = [
    ("Jembatan (default)", {}),
    ("without class weights", {"class_weight": None}),
    ("without the title block", {"title_weight": 0}),
    ("title block weight 1.0", {"title_weight": 1.0}),
    ("words only (no character n-grams)", {"char_ngrams": None}),
    ("character 3-5-grams instead of 2-4", {"char_ngrams": (3, 5)}),
    ("without recency weighting", {"recency_half_life": None}),
    ("C = 0.5", {"C": 0.5}),
    ("5 folds instead of 3", {"folds": 5}),
    ("per-class offsets off", {"tune_bias": False}),
    ("per-class offsets always (tuned on all out-of-fold rows)", {"tune_bias": True, "tune_recent": 1.0}),
    ("+ complement naive Bayes (0.3 of the average)", {"nb_weight": 0.3}),
    ("+ logistic regression (0.3 of the average)", {"nb_weight": 0.3, "member": "logistic"}),
    ("isotonic calibration for classes with >= 30 reports", {"isotonic_min": 30}),
]


def print_comparison(title, results):
    from jembatan.triage import evaluation

    print(f"\n{title}")
    header = f"{'model (mean ± sd over 3 seeds)':<54}" + "".join(
        f"{evaluation.NAMES[k][:14]:>17}" for k in KEYS
    )
    print(header)
    print("-" * len(header))
    baseline = results[0][1]["baseline"]
    print(f"{'baseline (issue 21)':<54}" + "".join(f"{_cell(baseline[k]):>17}" for k in KEYS))
    for name, result in results:
        ours, verdict = result["jembatan"], result["verdict"]
        cells = "".join(f"{_cell(ours[k]) + (' *' if verdict[k] else '  '):>17}" for k in KEYS)
        print(f"{name:<54}{cells}")
    print("* better than the baseline by more than the run-to-run noise (quality), within 3x (speed)")


KEYS = ("accuracy", "macro_f1", "coverage_at_95_precision", "top3_accuracy", "ms_per_report", "train_seconds")


def _cell(values):
    return f"{values['mean']:.3f}±{values['sd']:.3f}"


def bench_routing():
    from jembatan.triage import evaluation, learning

    rows = routing_dataset()
    train, test = split(rows)
    labels = collections.Counter(y for _t, y in rows)
    unseen = {y for _t, y in test} - {y for _t, y in train}
    print(
        f"LAPOR! 2017 agency routing: {len(rows)} reports, {len(labels)} agencies with >= {MIN_REPORTS} "
        f"reports; temporal split {len(train)} train / {len(test)} test; test agencies never seen in "
        f"training: {len(unseen)} ({sum(1 for _t, y in test if y in unseen)} test reports)"
    )
    data = evaluation_rows(rows)
    results = [
        (name, evaluation.compare(data, seeds=3, use_titles=True, settings=learning.Settings(**overrides)))
        for name, overrides in ABLATIONS
    ]
    print_comparison("Temporal split (oldest 80 % train, newest 20 % test), three seeds", results)
    bench_returns("LAPOR! 2017 agencies", data)

    for column, min_count in (("Kategori", 5), ("Instansi Terdisposisi", 5)):
        with SAMARINDA.open(newline="", encoding="utf-8") as handle:
            records = [r for r in csv.DictReader(handle) if r[column].strip()]
        records.sort(key=lambda r: int(r["Tracking ID"]))
        counts = collections.Counter(r[column] for r in records)
        data = [
            evaluation.Row(f"{r['Judul Laporan']}. {r['Isi Laporan Awal']}", r[column], r["Judul Laporan"])
            for r in records
            if counts[r[column]] >= min_count
        ]
        results = [("Jembatan (default)", evaluation.compare(data, seeds=3, use_titles=True))]
        if column == "Instansi Terdisposisi":  # the export has both: route agencies within the category
            within = [
                evaluation.Row(row.text, row.label, row.title, record["ID Kategori"].strip())
                for row, record in zip(
                    data, (r for r in records if counts[r[column]] >= min_count), strict=True
                )
            ]
            results.append(
                ("agencies within the category", evaluation.compare(within, seeds=3, use_titles=True))
            )
        print_comparison(
            f"Samarinda 2024 export, label {column!r} ({len(data)} reports, labels with >= {min_count}; "
            f"{results[0][1]['n_test']} test reports)",
            results,
        )


def bench_returns(name, rows):
    """ "Bukan wewenang" returns as negative evidence, simulated: a model trained on the older half of
    the training rows routes the newer half, every wrong agency "returns" its report, and the model
    trained on all training rows (with their right labels) is scored on the test with and without
    those returns kept (learning.Returns). Three seeds."""
    from jembatan.triage import evaluation, learning

    scores = {"without returns": [], "with returns": []}
    for index in range(3):
        settings = learning.Settings(seed=learning.RANDOM_STATE + index)
        train, test = learning.temporal_split(rows, TEST_FRACTION)
        older, newer = train[: len(train) // 2], train[len(train) // 2 :]
        first = learning.train_bundle(
            [r.text for r in older],
            {"label": [r.label for r in older]},
            settings=settings,
            titles=[r.title for r in older],
        )
        classes, proba = learning.predict_many(
            first, [r.text for r in newer], titles=[r.title for r in newer]
        )
        wrong = [
            (r.text, p) for r, p in zip(newer, classes[proba.argmax(axis=1)], strict=True) if p != r.label
        ]
        bundle = learning.train_bundle(
            [r.text for r in train],
            {"label": [r.label for r in train]},
            settings=settings,
            titles=[r.title for r in train],
            returns={"label": ([t for t, _p in wrong], [p for _t, p in wrong])},
        )
        classifier, kept = bundle.classifiers["label"], bundle.classifiers["label"].returns
        for mode, returns in (("without returns", None), ("with returns", kept)):
            classifier.returns = returns
            texts, titles = [r.text for r in test], [r.title for r in test]
            scores[mode].append(
                learning.score(bundle, texts, {"label": [r.label for r in test]}, titles=titles)["label"]
            )
    print(
        f"\n{name}: returns simulated from the older model's errors on the newer half ({len(wrong)} returns)"
    )
    for mode, values in scores.items():
        cells = "".join(
            f"{statistics.fmean(v[k] for v in values):>10.3f}±{statistics.stdev(v[k] for v in values):.3f}"
            for k in evaluation.QUALITY
        )
        print(f"{mode:<20}{cells}")


# --- 2. Speed --------------------------------------------------------------------------------------


def perturbed(rng, text):
    """A light edit of `text`: words dropped or swapped, slang, numbers changed."""
    from jembatan.triage.text import SLANG

    formal_to_slang = {}
    for slang, formal in SLANG.items():
        formal_to_slang.setdefault(formal, slang)
    words = text.split()
    out = []
    for word in words:
        roll = rng.random()
        if roll < 0.06:
            continue
        if roll < 0.12 and word.lower() in formal_to_slang:
            word = formal_to_slang[word.lower()]
        if any(c.isdigit() for c in word):
            word = re.sub(r"\d", lambda _m: str(rng.randint(0, 9)), word)
        out.append(word)
    if len(out) > 3:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)


def ten_thousand(rows, n=10_000):
    rng = random.Random(SEED)
    out = list(rows)
    while len(out) < n:
        text, label = rows[len(out) % len(rows)]
        out.append((perturbed(rng, text), label))
    return out


def bench_speed():
    from jembatan.triage import learning

    rows = routing_dataset()
    data = ten_thousand(rows)
    texts, agencies = [t for t, _y in data], [y for _t, y in data]
    # A second, coarser label, as the category is beside the agency: the agency's first word.
    categories = [y.split()[0] for y in agencies]
    print(f"\n10,000 reports: the {len(rows)} routing reports and light edits of them (seeded)")
    header = f"{'what':<66} {'wall s':>7} {'CPU s':>7}"
    print(header)
    print("-" * len(header))
    with CpuStopwatch() as one:
        bundle = learning.train_bundle(texts, {"agency": agencies})
    print(f"{'train the agency model on 10,000 reports':<66} {one.seconds:>7.1f} {one.cpu_seconds:>7.1f}")
    with CpuStopwatch() as full:
        head = int(len(texts) * 0.8)
        labels = {"agency": agencies, "category": categories}
        trial = learning.train_bundle(texts[:head], {k: v[:head] for k, v in labels.items()})
        learning.score(trial, texts[head:][:500], {k: v[head:][:500] for k, v in labels.items()})
        bundle = learning.train_bundle(texts, labels)
    what = "as train_model: held-out check, then agency + category on all"
    print(f"{what:<66} {full.seconds:>7.1f} {full.cpu_seconds:>7.1f}")
    payload, _fingerprint = bundle.dumps()
    sample = [t for t, _y in rows[-300:]]
    learning.predict(bundle, sample[0])  # warm the caches once, as a running server has them
    times = []
    for text in sample:
        started = time.perf_counter()
        learning.predict(bundle, text, k=5, explain=5)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    n_word, n_char = len(bundle.features.text.vocabulary_), len(bundle.features.text.char_vocabulary_)
    median, p95 = statistics.median(times), times[int(len(times) * 0.95)]
    print(
        f"suggestion (agency + category, top-5, 5 explaining words): median {median:.2f} ms, "
        f"p95 {p95:.2f} ms, max {times[-1]:.2f} ms"
    )
    print(f"model: {len(payload) / 1e6:.1f} MB, {n_word:,} word and {n_char:,} character features")


# --- 3. Duplicates: the gold set -------------------------------------------------------------------


def bench_duplicates():
    from jembatan.triage import duplicates

    with SAMARINDA.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    bodies = [r["Isi Laporan Awal"] for r in records]
    dates = [dt.datetime.strptime(r["Tanggal Laporan Masuk"], "%d %b %Y") for r in records]
    groups = collections.defaultdict(list)
    for i, body in enumerate(bodies):
        groups[body].append(i)
    gold = {p for ids in groups.values() for p in itertools.combinations(ids, 2)}
    shingles = [duplicates.shingles(b) for b in bodies]
    keys = [set(duplicates.band_keys(s)) for s in shingles]
    found, candidates = set(), set()
    for i, j in itertools.combinations(range(len(bodies)), 2):
        if abs((dates[i] - dates[j]).days) > duplicates.WINDOW_DAYS:
            continue
        if keys[i] & keys[j]:
            candidates.add((i, j))
            if duplicates.similarity(shingles[i], shingles[j]) >= duplicates.SIMILARITY:
                found.add((i, j))
    print(
        f"\nSamarinda gold set: {len(gold)} duplicate pairs (nine copies of one body, one body twice); "
        f"LSH candidates {len(candidates)} of {len(bodies) * (len(bodies) - 1) // 2} pairs; "
        f"found {len(found)}: gold {len(gold & found)}/{len(gold)}, others {len(found - gold)} "
        f"(all reviewed as the same complaint re-sent: jembatan/triage/tests/test_duplicate_gold_set.py)"
    )


# --- 4. Lookup at 1,000,000 reports ----------------------------------------------------------------


class LookupBench:
    CITIES = [f"13.{n:02d}" for n in range(1, 13)] + [f"13.{n}" for n in range(71, 78)]

    def __init__(self, args):
        from django.db import connection

        self.args = args
        self.connection = connection
        self.vendor = connection.vendor
        self.rng = random.Random(SEED)

    def sentences(self):
        """Normalized word lists of the sentences of the real corpus (the building blocks)."""
        from jembatan.triage.text import words

        pool = []
        for path, column in ((LAPOR, "isi"), (SAMARINDA, "Isi Laporan Awal")):
            with path.open(newline="", encoding="utf-8") as handle:
                for record in csv.DictReader(handle):
                    for sentence in re.split(r"[.!?]+|<br\s*/?>", record[column]):
                        ws = words(sentence)
                        if len(ws) >= 4:
                            pool.append(ws)
        return pool

    def text(self, pool):
        """A made-up report: two to five sentences of the corpus, each lightly edited."""
        out = []
        for ws in self.rng.sample(pool, self.rng.randint(2, 5)):
            out += [w for w in ws if self.rng.random() > 0.05]
            if self.rng.random() < 0.3:
                out.append(self.rng.choice(ws))
        return out

    def generated(self):
        from jembatan.reports.models import Report
        from jembatan.triage.models import IndexedReport

        last = Report.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (
            last == self.args.reports
            and IndexedReport.objects.filter(signature__isnull=False).count() == self.args.reports
        )

    def generate(self):
        """Write the reports, their duplicate keys and index rows in chunks; secondary indexes after."""
        from django.db import transaction

        from jembatan.directory.models import Region
        from jembatan.reports.models import Report
        from jembatan.triage import duplicates

        for code in ["13", *self.CITIES]:
            Region.objects.get_or_create(
                code=code,
                defaults={
                    "name": f"Wilayah {code}",
                    "level": "provinsi" if code == "13" else "kabupaten_kota",
                    "parent_id": None if code == "13" else "13",
                },
            )
        pool = self.sentences()
        template = Report(
            kind="pengaduan", title="-", description="-", access_code="BENCHBENCH", channel="web"
        )
        base = {
            f.column: f.get_db_prep_save(getattr(template, f.attname), self.connection)
            for f in Report._meta.concrete_fields
        }
        columns = list(base)
        suffix = "+00" if self.vendor == "postgresql" else ""
        end = time.time()
        start = end - 5 * 365 * 86400
        tables = ("reports_report", "triage_duplicatekey", "triage_indexedreport")
        n_keys = 0
        with _setup.Stopwatch() as watch, transaction.atomic(), self.connection.cursor() as cursor:
            dropped = [
                index for table in tables for index in _setup.secondary_indexes(cursor, table, self.vendor)
            ]
            for name, _definition in dropped:
                cursor.execute(f'DROP INDEX "{name}"')
            if self.vendor == "postgresql":
                # Foreign keys are not checked row by row: the rows are generated consistent.
                cursor.execute("SET LOCAL session_replication_role = replica")
            for first in range(1, self.args.reports + 1, 50_000):
                reports, keys, indexed = [], [], []
                for i in range(first, min(first + 50_000, self.args.reports + 1)):
                    words = self.text(pool)
                    submitted = start + (end - start) * i / self.args.reports
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(submitted)) + suffix
                    description = " ".join(words)
                    row = dict(base)
                    row.update(
                        id=i,
                        tracking_number=str(100_000_000 + i),
                        title=" ".join(words[:6])[:200],
                        description=description,
                        region_id=self.rng.choice(self.CITIES),
                        submitted_at=stamp,
                        created_at=stamp,
                        updated_at=stamp,
                        status="selesai",
                        source_instance="bench",
                    )
                    reports.append(tuple(row[c] for c in columns))
                    # The product's own signature of the stored text (not cached: a million distinct texts).
                    sig = duplicates.signature(duplicates.shingles.__wrapped__(description))
                    report_keys = duplicates.keys_of(sig)
                    keys += [(k, i, stamp) for k in report_keys]
                    indexed.append((i, len(report_keys), duplicates.signature_bytes(sig), stamp))
                _setup.bulk_insert(self.vendor, cursor, "reports_report", columns, reports)
                _setup.bulk_insert(
                    self.vendor, cursor, "triage_duplicatekey", ["key", "report_id", "submitted_at"], keys
                )
                _setup.bulk_insert(
                    self.vendor,
                    cursor,
                    "triage_indexedreport",
                    ["report_id", "keys", "signature", "indexed_at"],
                    indexed,
                )
                n_keys += len(keys)
                print(f"  … {i:,} reports, {watch_seconds(watch):.0f} s", flush=True)
            for _name, definition in dropped:
                cursor.execute(definition)
            cursor.execute("DELETE FROM triage_indexcursor")
            cursor.execute(
                "INSERT INTO triage_indexcursor (name, position, updated_at) VALUES (%s, %s, %s)",
                [duplicates.CURSOR, self.args.reports, dt.datetime.now(dt.UTC)],
            )
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('reports_report', 'id'), "
                    "(SELECT max(id) FROM reports_report))"
                )
                for table in tables:
                    cursor.execute(f"ANALYZE {table}")
            else:
                cursor.execute("ANALYZE")
        print(f"generated {self.args.reports:,} reports and {n_keys:,} keys in {watch.seconds:.0f} s")

    def run(self):
        from jembatan.reports.models import Report
        from jembatan.triage import duplicates, services
        from jembatan.triage.models import IndexCursor

        if self.args.rebuild or not self.generated():
            self.generate()
        total = Report.objects.count()
        ids = sorted(self.rng.sample(range(1, total + 1), self.args.queries))
        originals = list(Report.objects.in_bulk(ids).values())
        pool = self.sentences()
        rows = []

        def timed(label, queries):
            """Time find_duplicates for each (arguments, id expected among the answers or None)."""
            times, hits = [], 0
            for arguments, expected in queries:
                started = time.perf_counter()
                found = services.find_duplicates(**arguments)
                times.append((time.perf_counter() - started) * 1000)
                hits += expected is None or expected in [r.pk for r, _s in found]
            times.sort()
            rows.append(
                (label, statistics.median(times), times[int(len(times) * 0.95)], times[-1], hits, len(times))
            )

        def edited(text):
            return " ".join(w for w in text.split() if self.rng.random() > 0.03)

        def new_texts(n):
            return [({"text": " ".join(self.text(pool))}, None) for _i in range(n)]

        services.find_duplicates(text=originals[0].description)  # warm-up: connection, caches
        copies = [
            (
                {
                    "text": edited(o.description),
                    "region": o.region_id,
                    "date": o.submitted_at + dt.timedelta(days=3),
                },
                o.pk,
            )
            for o in originals
        ]
        timed("a lightly edited copy of a stored report (same place, 3 days later)", copies)
        timed(
            "a stored report (the workbench: find_duplicates(report))",
            [({"report": o}, None) for o in originals],
        )
        timed("a new text (mostly no duplicate)", new_texts(len(originals)))
        # The worker has fallen behind by 500 reports: those are checked directly, unindexed.
        IndexCursor.objects.filter(name=duplicates.CURSOR).update(position=total - 500)
        try:
            timed("a new text, the last 500 reports not yet indexed (worker behind)", new_texts(50))
        finally:
            IndexCursor.objects.filter(name=duplicates.CURSOR).update(position=total)
        print(f"\nfind_duplicates at {total:,} reports ({self.vendor}), {len(originals)} queries each")
        header = f"{'query':<70} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'found':>9}"
        print(header)
        print("-" * len(header))
        for label, median, p95, worst, hits, n in rows:
            print(f"{label:<70} {median:>9.2f} {p95:>8.2f} {worst:>8.2f} {hits:>4}/{n:<4}")


class CpuStopwatch(_setup.Stopwatch):
    """Wall-clock seconds, and the CPU seconds of this process (the machine may be shared)."""

    def __enter__(self):
        self.cpu_started = time.process_time()
        return super().__enter__()

    def __exit__(self, *exc):
        self.cpu_seconds = time.process_time() - self.cpu_started
        return super().__exit__(*exc)


def watch_seconds(watch):
    return time.perf_counter() - watch.started


def main(argv=None):
    args = parse_args(argv)
    only = set(args.only.split(","))
    warnings.filterwarnings("ignore")
    if "lookup" in only:
        _setup.prepare_database(args.database_url, rebuild=args.rebuild)
        _setup.setup_django(args.database_url)
    else:
        # The model sections touch no database; Django is set up for the settings and translations.
        _setup.prepare_database(DEFAULT_DATABASE_URL)
        _setup.setup_django(DEFAULT_DATABASE_URL)
    if "routing" in only:
        bench_routing()
    if "speed" in only:
        bench_speed()
    if "duplicates" in only:
        bench_duplicates()
    if "lookup" in only:
        LookupBench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
