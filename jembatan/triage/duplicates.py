"""Near-duplicate reports: the same or lightly edited text, in the same place, recently.

Method: MinHash over word bigrams, banded into an LSH index in the database, and an exact check of
the few candidates.

- Similarity is the Jaccard index of the two texts' sets of word bigrams, after the preprocessing
  of text.py (so "yg"/"yang", "Jl."/"jalan", a changed phone number or NIK do not count as edits).
  Two reports are duplicates at SIMILARITY (0.6) or more: in the Samarinda export every pair at or
  above 0.6 is the same complaint sent again (resubmitted, lightly reworded, or a copy with the
  sender's name changed), while different complaints written from one template ("Selamat siang
  Bapak Walikota, perkenalkan nama saya …") stay below 0.5.
- Why MinHash-LSH and not SimHash or the full-text index: SimHash finds texts within a few bits
  of each other, which is right for near-identical web pages but loses a lightly edited short
  complaint (one changed word in twenty moves many bits); a full-text index answers "which
  reports contain these words", and a long complaint's words match thousands of reports, so the
  lookup grows with the table. MinHash estimates exactly the Jaccard similarity we decide on, and
  LSH banding turns "similar" into "shares one of 12 integer keys": an indexed equality lookup
  whose cost depends on how many reports are alike, not on how many there are. With 12 bands of
  2 hashes a pair at similarity 0.6 shares a band with probability 1 − (1 − 0.6²)¹² = 99.5 %,
  unrelated texts (similarity ≈ 0.01) almost never.
- The keys live in a table (DuplicateKey) with an index on (key, submitted_at), so "recently"
  (WINDOW_DAYS either side) is part of the same index range scan. Candidates are ranked by how
  many bands they share, a page of MAX_CANDIDATES at a time, their stored signatures compared with
  the query's (an estimate of the similarity, without reading their text), and only the close ones
  the caller may see, from the same kabupaten/kota, are checked exactly against their text; hidden
  or distant look-alikes cannot crowd out a visible match.
- Keeping it current: a report's text, place and submission time never change after
  submit_report, so the index only grows. `index_new_reports()` (every minute, tasks.py) adds
  reports by id. A report created less than SETTLE_SECONDS ago may still sit behind an earlier
  id whose transaction has not committed, so the cursor only moves past settled reports, and
  `find_duplicates` checks every report above the cursor directly: the answer is never stale,
  whether or not the worker has run.
"""

import datetime as dt
import functools
import logging
import zlib

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jembatan.reports.models import ARCHIVED_STATUSES, Report
from jembatan.triage import text as textprep
from jembatan.triage.models import DuplicateKey, IndexCursor, IndexedReport

logger = logging.getLogger(__name__)

SIMILARITY = 0.6
WINDOW_DAYS = 90
BANDS = 12
ROWS_PER_BAND = 2
MAX_CANDIDATES = 200
MAX_PAGES = 5
# An estimated similarity from which a hidden candidate counts as crowding out a visible one.
CROWDING = 0.45
FULL_PAGE = 0.9  # the share of a page that must be near-copies before the next page is read
# Candidates whose signatures agree on less than this share are not read: with 24 hashes a pair at
# similarity 0.6 falls below 0.25 once in about 5,000 times.
PREFILTER = 0.25
SETTLE_SECONDS = 300
TAIL_LIMIT = 2000
CURSOR = "duplicates"


# Fixed, so signatures written today still match the ones computed next year; changing any of these
# (or the shingles) means `manage.py triage reindex`.
# numpy loads on the first signature, not when a page module imports this one (cold start).
@functools.cache
def _hash_family():
    import numpy as np

    rng = np.random.default_rng(20260101)
    a = rng.integers(1, 2**63, size=BANDS * ROWS_PER_BAND, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=BANDS * ROWS_PER_BAND, dtype=np.uint64)
    mix = rng.integers(1, 2**63, size=3, dtype=np.uint64) | np.uint64(1)
    return a, b, mix, np.uint64(32)


@functools.lru_cache(maxsize=50_000)
def shingles(text):
    """The set of hashed word bigrams of `text` (a one-word text: that word), as a frozenset of ints."""
    words = textprep.words(text)
    grams = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)] or words
    return frozenset(zlib.crc32(g.encode()) for g in grams)


def similarity(a, b):
    """Jaccard similarity of two shingle sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def signature(shingle_set):
    """The MinHash signature: BANDS × ROWS_PER_BAND minima of multiply-shift hashes (uint64 < 2³²)."""
    import numpy as np

    _A, _B, _MIX, _SHIFT = _hash_family()
    x = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
    # uint64 products wrap modulo 2⁶⁴: that is the multiply-shift hash family, not an overflow.
    return ((_A[:, None] * x[None, :] + _B[:, None]) >> _SHIFT).min(axis=1)


def band_keys(shingle_set):
    """The LSH keys of a text: one signed 32-bit integer per band (empty for a text without words)."""
    if not shingle_set:
        return []
    return keys_of(signature(shingle_set))


def keys_of(sig):
    """The LSH keys of a signature: its bands, each hashed with the band's number to 32 bits."""
    import numpy as np

    _A, _B, _MIX, _SHIFT = _hash_family()
    sig = sig.reshape(BANDS, ROWS_PER_BAND)
    band = np.arange(1, BANDS + 1, dtype=np.uint64)
    mixed = sig[:, 0] * _MIX[0] + sig[:, 1] * _MIX[1] + band * _MIX[2]
    keys = ((mixed * _MIX[0]) >> _SHIFT).astype(np.int64)
    return [int(k - 2**32 if k >= 2**31 else k) for k in keys]


def signature_bytes(sig):
    return sig.astype("<u4").tobytes()


def estimated_similarity(sig, stored):
    """The share of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    if not stored:
        return 1.0  # nothing to go by: check the text
    import numpy as np

    return float(np.mean(sig.astype("<u4") == np.frombuffer(bytes(stored), dtype="<u4")))


def _city(region_code):
    """The kabupaten/kota part of a Kemendagri code ("13.71.01.1001" → "13.71"), or None."""
    if not region_code:
        return None
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


# --- The index -------------------------------------------------------------------------------------


def cursor_position(using="default"):
    return (
        IndexCursor.objects.using(using).filter(name=CURSOR).values_list("position", flat=True).first() or 0
    )


def index_new_reports(*, batch=1000, now=None, using="default"):
    """Add every report not yet in the duplicate index; return how many were added."""
    now = now or timezone.now()
    settled_before = now - dt.timedelta(seconds=SETTLE_SECONDS)
    added = 0
    after = None
    settled = True  # still inside the prefix the cursor may move over
    while True:
        with transaction.atomic(using=using):
            cursor, _created = IndexCursor.objects.using(using).select_for_update().get_or_create(name=CURSOR)
            after = cursor.position if after is None else after
            rows = list(
                Report.objects.using(using)
                .filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", "description", "submitted_at", "created_at")[:batch]
            )
            if not rows:
                return added
            done = set(
                IndexedReport.objects.using(using)
                .filter(report_id__in=[r[0] for r in rows])
                .values_list("report_id", flat=True)
            )
            keys, entries = [], []
            for pk, description, submitted_at, _created_at in rows:
                if pk in done:
                    continue
                shingle_set = shingles(description)
                sig = signature(shingle_set) if shingle_set else None
                report_keys = keys_of(sig) if sig is not None else []
                keys += [DuplicateKey(key=k, report_id=pk, submitted_at=submitted_at) for k in report_keys]
                entries.append(
                    IndexedReport(
                        report_id=pk,
                        keys=len(report_keys),
                        signature=signature_bytes(sig) if sig is not None else None,
                    )
                )
            DuplicateKey.objects.using(using).bulk_create(keys, batch_size=2000)
            IndexedReport.objects.using(using).bulk_create(entries, batch_size=2000)
            added += len(entries)
            # Move the cursor over the settled prefix only: a younger report may still have an
            # earlier id in a transaction that has not committed yet. Younger ones are indexed all
            # the same, and find_duplicates checks everything above the cursor directly.
            for pk, _d, _s, created_at in rows:
                settled = settled and created_at < settled_before
                if settled:
                    cursor.position = pk
            cursor.save(update_fields=["position", "updated_at"])
            after = rows[-1][0]
        if len(rows) < batch:
            return added


def rebuild_index(using="default"):
    """Drop the duplicate index and build it again from every report; return the count."""
    with transaction.atomic(using=using):
        DuplicateKey.objects.using(using).all().delete()
        IndexedReport.objects.using(using).all().delete()
        IndexCursor.objects.using(using).filter(name=CURSOR).delete()
    return index_new_reports(using=using)


# --- Lookup ----------------------------------------------------------------------------------------


def find_duplicates(
    report=None,
    *,
    text=None,
    region=None,
    date=None,
    limit=5,
    queryset=None,
    window_days=WINDOW_DAYS,
    include_archived=False,
):
    """Reports that look like a duplicate of `report` (or of `text` sent in `region` on `date`).

    Returns up to `limit` pairs (report, similarity), most similar first; similarity is the
    Jaccard index of the word bigrams, from SIMILARITY to 1.0. `queryset` restricts the answer
    (e.g. Report.objects.public() for a citizen, or what a verifier may see); archived reports
    are left out unless asked for. Place: when both sides have a region below the province,
    they must be in the same kabupaten/kota. Time: within `window_days` either side of the
    report's submission (of `date`, default now, for a text).
    """
    if report is not None:
        text = report.description
        region = report.region_id
        date = report.submitted_at
    region_code = getattr(region, "code", region)
    date = date or timezone.now()
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = timezone.make_aware(dt.datetime.combine(date, dt.time(12)))
    query = shingles(text or "")
    if not query:
        return []
    query_signature = signature(query)
    low, high = date - dt.timedelta(days=window_days), date + dt.timedelta(days=window_days)
    base = queryset if queryset is not None else Report.objects.all()
    base = base.filter(submitted_at__range=(low, high))
    if report is not None and report.pk:
        base = base.exclude(pk=report.pk)
    if not include_archived:
        base = base.exclude(status__in=ARCHIVED_STATUSES)
    using = base.db

    # The cursor first: every report at or below it had its keys committed before the lookup below
    # starts, and everything above it is checked directly, so none falls between the two.
    position = cursor_position(using)
    city = _city(region_code)
    # The best-matching reports by shared bands, a page at a time, most shared bands first. Each page
    # is narrowed to what the caller may see and to the same kabupaten/kota before the count of
    # matches is taken, so reports the caller may not see (or from elsewhere) cannot crowd out a
    # visible match; paging stops at `limit` matches, at a page with nothing close enough (the next
    # pages share fewer bands), or after MAX_PAGES.
    ranked = (
        DuplicateKey.objects.using(using)
        .filter(key__in=keys_of(query_signature), submitted_at__range=(low, high))
        .values("report_id")
        .annotate(hits=Count("id"))
        .order_by("-hits", "-report_id")
        .values("report_id")
    )
    self_pk = report.pk if report is not None else None
    candidates, known = {}, {}  # pk -> Report, pk -> exact similarity
    for page in range(MAX_PAGES):
        page_ids = ranked[page * MAX_CANDIDATES : (page + 1) * MAX_CANDIDATES]
        # The page's ids and their signatures in one round trip.
        signatures = list(
            IndexedReport.objects.using(using)
            .filter(report_id__in=page_ids)
            .values_list("report_id", "signature")
        )
        # Compare signatures first: only the close candidates' texts are read and normalized.
        estimates = {pk: estimated_similarity(query_signature, stored) for pk, stored in signatures}
        close = [pk for pk, estimate in estimates.items() if estimate >= PREFILTER]
        kept = set()
        if close:
            for r in base.filter(pk__in=close):
                other_city = _city(r.region_id)
                if not (city and other_city and city != other_city):
                    kept.add(r.pk)
                    if r.pk not in candidates:
                        candidates[r.pk] = r
                        known[r.pk] = similarity(query, shingles(r.description))
        # Another page only when this one was full of near-copies (ranked by shared bands, so the
        # next page may hold more of them) and some the caller may not see, or from another
        # kabupaten/kota, took places a visible match might have had. A mixed page means the
        # near-copies are all in it: stop.
        near = sum(1 for estimate in estimates.values() if estimate >= CROWDING)
        crowded = any(estimates[pk] >= CROWDING for pk in close if pk not in kept and pk != self_pk)
        enough = sum(1 for score in known.values() if score >= SIMILARITY)
        if near < FULL_PAGE * MAX_CANDIDATES or not crowded or enough >= limit:
            break
    rows = [(r.pk, r.description, r.region_id, r.submitted_at) for r in candidates.values()]
    # Reports above the cursor may not be in the index yet: check them directly.
    fields = ("pk", "description", "region_id", "submitted_at")
    tail = list(base.filter(pk__gt=position).order_by("-pk").values_list(*fields)[: TAIL_LIMIT + 1])
    if len(tail) > TAIL_LIMIT:
        logger.warning("duplicate index is %s+ reports behind: is the triage worker running?", TAIL_LIMIT)
        tail = tail[:TAIL_LIMIT]

    scored = {}
    for pk, description, other_region, submitted_at in rows + tail:
        if pk in scored:
            continue
        other_city = _city(other_region)
        if city and other_city and city != other_city:
            continue
        score = known[pk] if pk in known else similarity(query, shingles(description))
        if score >= SIMILARITY:
            scored[pk] = (score, submitted_at)
    best = sorted(scored, key=lambda pk: (-scored[pk][0], -scored[pk][1].timestamp(), -pk))[:limit]
    missing = [pk for pk in best if pk not in candidates]  # matches found in the tail
    objects = {**candidates, **(base.in_bulk(missing) if missing else {})}
    return [(objects[pk], round(scored[pk][0], 4)) for pk in best if pk in objects]
