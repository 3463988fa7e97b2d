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
import math
import zlib

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Q
from django.db.models.expressions import Col
from django.utils import timezone

from jembatan.reports.models import ARCHIVED_STATUSES, CLOSED_STATUSES, Report
from jembatan.triage import dupscore, wording
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


INDEX_FIELDS = (
    "pk",
    "description",
    "submitted_at",
    "created_at",
    "region_id",
    "latitude",
    "longitude",
    "category_id",
    "category__parent_id",
)


def _index_row(row):
    """The DuplicateKeys and the IndexedReport of one Report row (INDEX_FIELDS order)."""
    pk, description, submitted_at, _created, region, latitude, longitude, category, group = row
    shingle_set = shingles(description)
    sig = signature(shingle_set) if shingle_set else None
    report_keys = keys_of(sig) if sig is not None else []
    entry = dupscore.Entry(pk=pk, region=region, submitted_at=submitted_at)
    indexed = IndexedReport(
        report_id=pk,
        keys=len(report_keys),
        signature=signature_bytes(sig) if sig is not None else None,
        submitted_at=submitted_at,
        village=entry.village,
        district=entry.district,
        city=entry.city,
        latitude=float(latitude) if latitude is not None else None,
        longitude=float(longitude) if longitude is not None else None,
        category_id=category,
        category_group_id=group,
        analysis=wording.analyse(description),
    )
    return [DuplicateKey(key=k, report_id=pk, submitted_at=submitted_at) for k in report_keys], indexed


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
                .values_list(*INDEX_FIELDS)[:batch]
            )
            if not rows:
                return added
            done = set(
                IndexedReport.objects.using(using)
                .filter(report_id__in=[r[0] for r in rows])
                .values_list("report_id", flat=True)
            )
            keys, entries = [], []
            for row in rows:
                if row[0] not in done:
                    report_keys, entry = _index_row(row)
                    keys += report_keys
                    entries.append(entry)
            DuplicateKey.objects.using(using).bulk_create(keys, batch_size=2000)
            IndexedReport.objects.using(using).bulk_create(entries, batch_size=500)
            added += len(entries)
            # Move the cursor over the settled prefix only: a younger report may still have an
            # earlier id in a transaction that has not committed yet. Younger ones are indexed all
            # the same, and find_duplicates checks everything above the cursor directly.
            for row in rows:
                settled = settled and row[3] < settled_before
                if settled:
                    cursor.position = row[0]
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

VERIFIER = "verifier"
CITIZEN = "citizen"


def threshold_for(audience):
    """The score from which a match is shown: to the verifier, or (higher) to the citizen writing."""
    if audience == CITIZEN:
        return settings.TRIAGE_DUPLICATE_CITIZEN_PERCENT / 100
    return settings.TRIAGE_DUPLICATE_VERIFIER_PERCENT / 100


def _category_group(category):
    if category is None:
        return None
    if hasattr(category, "parent_id"):
        return category.parent_id
    from jembatan.directory.models import Category

    return Category.objects.filter(pk=category).values_list("parent_id", flat=True).first()


def _coordinate(value):
    return float(value) if value not in (None, "") else None


def query_entry(
    report=None, *, text=None, region=None, date=None, category=None, latitude=None, longitude=None
):
    """The look-up's own Entry (dupscore.py): a stored report, or a text being written; and its
    shingles. A stored report's analysis, signature and category group come from its index row."""
    stored = None
    if report is not None:
        text, region, date = report.description, report.region_id, report.submitted_at
        category = report.category_id
        latitude, longitude = report.latitude, report.longitude
        if report.pk:
            stored = (
                IndexedReport.objects.using(report._state.db or "default")
                .filter(report_id=report.pk, analysis__isnull=False)
                .values_list("analysis", "signature", "category_group_id")
                .first()
            )
    date = date or timezone.now()
    if isinstance(date, dt.date) and not isinstance(date, dt.datetime):
        date = timezone.make_aware(dt.datetime.combine(date, dt.time(12)))
    shingle_set = shingles(text or "")
    if stored is not None:
        analysis, sig, group = stored[0], bytes(stored[1]) if stored[1] else None, stored[2]
    else:
        analysis = wording.analyse(text or "")
        sig = signature_bytes(signature(shingle_set)) if shingle_set else None
        group = _category_group(category)
    entry = dupscore.Entry(
        pk=report.pk if report is not None else None,
        region=getattr(region, "code", region) or None,
        submitted_at=date,
        latitude=_coordinate(latitude),
        longitude=_coordinate(longitude),
        category=getattr(category, "pk", category),
        category_group=group,
        analysis=analysis,
        signature=sig,
    )
    return entry, shingle_set


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
    category=None,
    latitude=None,
    longitude=None,
    audience=VERIFIER,
):
    """Reports that are likely the same problem as `report` (or as `text` sent from `region`, with
    `category` and a pin at `latitude`/`longitude` when known, on `date`, default now).

    Returns up to `limit` pairs (report, score), most likely first; score is the calibrated
    probability of dupscore.py (a near-copy scores at least its Jaccard similarity), at least the
    audience's threshold (threshold_for): VERIFIER for the workbench, CITIZEN for the portal's
    prompt. Near-copies (Jaccard of word bigrams ≥ SIMILARITY) are always returned, as before.
    `queryset` restricts the answer (e.g. Report.objects.public() for a citizen, or what a verifier
    may see); archived reports are left out unless asked for, closed ones after
    TRIAGE_DUPLICATE_CLOSED_DAYS. Place: the candidates of dupscore.place_level (near copies: the
    same kabupaten/kota). Time: within `window_days` either side.
    """
    query, query_shingles = query_entry(
        report, text=text, region=region, date=date, category=category, latitude=latitude, longitude=longitude
    )
    if not query_shingles:
        return []
    base = _base_queryset(queryset, query, window_days, include_archived)
    # The cursor first: every report at or below it had its keys committed before the lookups below
    # start, and everything above it is checked directly, so none falls between the two.
    position = cursor_position(base.db)
    near, objects = _near_copies(query, query_shingles, base, window_days, limit)
    entries = _placed_entries(query, base, window_days)
    tail_entries = _tail(query, query_shingles, base, position, near)
    entries = _with_analyses(base.db, entries, near, objects, query.pk) + tail_entries
    scores = dupscore.score_pairs(
        query,
        entries,
        near,
        radius_m=settings.TRIAGE_DUPLICATE_RADIUS_METRES,
        window_days=window_days,
        model=dupscore.load_model(),
    )
    threshold = threshold_for(audience)
    when = {e.pk: e.submitted_at for e in entries}
    kept = [pk for pk, (score, is_near) in scores.items() if is_near or score >= threshold]
    best = sorted(kept, key=lambda pk: (-scores[pk][0], -when[pk].timestamp() if pk in when else 0, -pk))[
        :limit
    ]
    missing = [pk for pk in best if pk not in objects]
    objects = {**objects, **(base.in_bulk(missing) if missing else {})}
    return [(objects[pk], round(scores[pk][0], 4)) for pk in best if pk in objects]


def _base_queryset(queryset, query, window_days, include_archived):
    """The reports a match may be: the caller's, in the window, not archived."""
    low = query.submitted_at - dt.timedelta(days=window_days)
    high = query.submitted_at + dt.timedelta(days=window_days)
    base = queryset if queryset is not None else Report.objects.all()
    base = base.filter(submitted_at__range=(low, high))
    if query.pk:
        base = base.exclude(pk=query.pk)
    if not include_archived:
        base = base.exclude(status__in=ARCHIVED_STATUSES)
    return base


def _long_closed(query):
    """Reports closed more than TRIAGE_DUPLICATE_CLOSED_DAYS before the query: no longer candidates
    by place (a near copy of one is still found, as before)."""
    closed_before = query.submitted_at - dt.timedelta(days=settings.TRIAGE_DUPLICATE_CLOSED_DAYS)
    return Q(status__in=CLOSED_STATUSES, closed_at__lt=closed_before)


def _near_copies(query, query_shingles, base, window_days, limit):
    """Near-copies from the LSH index: ({pk: Jaccard ≥ SIMILARITY}, {pk: Report}), same kab/kota."""
    using = base.db
    low = query.submitted_at - dt.timedelta(days=window_days)
    high = query.submitted_at + dt.timedelta(days=window_days)
    import numpy as np

    query_signature = np.frombuffer(query.signature, dtype="<u4").astype(np.uint64)
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
    candidates, known = {}, {}  # pk -> Report, pk -> exact similarity
    for page in range(MAX_PAGES):
        page_ids = ranked[page * MAX_CANDIDATES : (page + 1) * MAX_CANDIDATES]
        signatures = list(
            IndexedReport.objects.using(using)
            .filter(report_id__in=page_ids)
            .values_list("report_id", "signature")
        )
        # Compare signatures first: only the close candidates' texts are read and normalized.
        estimates = {pk: estimated_similarity(query_signature, stored) for pk, stored in signatures}
        close = [pk for pk, estimate in estimates.items() if estimate >= PREFILTER]
        kept = set()
        for r in base.filter(pk__in=close) if close else ():
            if _same_city(query.city, r.region_id):
                kept.add(r.pk)
                candidates[r.pk] = r
                known.setdefault(r.pk, similarity(query_shingles, shingles(r.description)))
        # Another page only when this one was full of near-copies (ranked by shared bands, so the
        # next page may hold more of them) and some the caller may not see, or from another
        # kabupaten/kota, took places a visible match might have had. A mixed page means the
        # near-copies are all in it: stop.
        near = sum(1 for estimate in estimates.values() if estimate >= CROWDING)
        crowded = any(estimates[pk] >= CROWDING for pk in close if pk not in kept and pk != query.pk)
        enough = sum(1 for score in known.values() if score >= SIMILARITY)
        if near < FULL_PAGE * MAX_CANDIDATES or not crowded or enough >= limit:
            break
    near_pks = {pk: score for pk, score in known.items() if score >= SIMILARITY}
    return near_pks, {pk: candidates[pk] for pk in near_pks}


def _same_city(city, other_region):
    other_city = _city(other_region)
    return not (city and other_city and city != other_city)


PLACE_FIELDS = (
    "report_id",
    "village",
    "district",
    "city",
    "latitude",
    "longitude",
    "category_id",
    "category_group_id",
    "submitted_at",
)
LEVEL_ORDER = {"pin": 0, "village": 1, "district": 2, "city": 3}


def _place_queries(query, rows, radius_m):
    """The index range scans that hold the candidates by place (each newest first)."""
    scans = []
    if query.pinned:
        dlat = radius_m / 111_000
        dlon = dlat / max(0.1, math.cos(math.radians(query.latitude)))
        scans.append(
            rows.filter(
                city=query.city,
                latitude__range=(query.latitude - dlat, query.latitude + dlat),
                longitude__range=(query.longitude - dlon, query.longitude + dlon),
            )
        )
    if query.village:
        scans.append(rows.filter(village=query.village))
    if dupscore.region_part(query.region, 3):
        scans.append(rows.filter(district=query.district))
        scans.append(rows.filter(district=query.city))  # reports known only to the kab/kota
    else:
        scans.append(rows.filter(city=query.city))
    return scans


def _placed_entries(query, base, window_days):
    """Candidates by place and category, nearest level first, then newest: at most
    TRIAGE_DUPLICATE_MAX_CANDIDATES Entries the caller may see (their analyses are read after, for
    the kept ones only: _with_analyses). The index range scans (_place_queries) run as one UNION
    ALL statement, each newest first and limited.
    """
    if not query.city:
        return []
    radius_m = settings.TRIAGE_DUPLICATE_RADIUS_METRES
    most = settings.TRIAGE_DUPLICATE_MAX_CANDIDATES
    low = query.submitted_at - dt.timedelta(days=window_days)
    high = query.submitted_at + dt.timedelta(days=window_days)
    rows = IndexedReport.objects.using(base.db).filter(submitted_at__range=(low, high))
    found = {}
    for values in _union_rows(
        base.db, [s.order_by("-submitted_at")[:most] for s in _place_queries(query, rows, radius_m)]
    ):
        found.setdefault(values[0], values)
    ranked = []
    for pk, village, district, city, lat, lon, category, group, submitted_at in found.values():
        region = village or (district if district != city else None) or city
        entry = dupscore.Entry(pk, region, submitted_at, lat, lon, category, group)
        level = dupscore.place_level(query, entry, radius_m)
        if pk != query.pk and level and dupscore.category_relation(query, entry):
            ranked.append((LEVEL_ORDER[level[0]], -submitted_at.timestamp(), entry))
    visible = base.filter(pk__in=[e.pk for _l, _t, e in ranked]).exclude(_long_closed(query))
    visible = set(visible.values_list("pk", flat=True))
    ranked.sort(key=lambda item: item[:2])
    return [entry for _l, _t, entry in ranked if entry.pk in visible][:most]


def _union_rows(using, scans):
    """The PLACE_FIELDS rows of several sliced querysets in one statement:
    SELECT * FROM (scan) UNION ALL SELECT * FROM (scan) ..."""
    connection = connections[using]
    parts, params = [], []
    for i, scan in enumerate(scans):
        sql, scan_params = scan.values_list(*PLACE_FIELDS).query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS scan{i}")
        params += scan_params
    field = IndexedReport._meta.get_field("submitted_at")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    converters = connection.ops.get_db_converters(Col("triage_indexedreport", field))
    out = []
    for row in rows:
        when = row[8]
        for converter in converters:
            when = converter(when, None, connection)
        out.append((*row[:8], when))
    return out


def _with_analyses(using, entries, near, objects, self_pk):
    """The entries (and the indexed near copies) with their stored analyses and signatures loaded."""
    by_pk = {e.pk: e for e in entries}
    for pk, report in objects.items():
        if pk not in by_pk:
            by_pk[pk] = _entry_of_report(report)
    missing = [pk for pk, entry in by_pk.items() if entry.analysis is None]
    stored = IndexedReport.objects.using(using).filter(report_id__in=missing) if missing else ()
    for pk, analysis, stored_signature in stored and stored.values_list("report_id", "analysis", "signature"):
        by_pk[pk].analysis = analysis
        by_pk[pk].signature = bytes(stored_signature) if stored_signature is not None else None
    for entry in by_pk.values():
        if entry.analysis is None and entry.pk in objects:  # indexed before analyses were stored
            entry.analysis = wording.analyse(objects[entry.pk].description)
    return [e for e in by_pk.values() if e.analysis is not None and e.pk != self_pk]


def _entry_of_report(report):
    return dupscore.Entry(
        pk=report.pk,
        region=report.region_id,
        submitted_at=report.submitted_at,
        latitude=_coordinate(report.latitude),
        longitude=_coordinate(report.longitude),
        category=report.category_id,
    )


TAIL_FIELDS = ("pk", "description", "region_id", "submitted_at", "latitude", "longitude", "category_id")


def _tail(query, query_shingles, base, position, near):
    """Reports above the cursor (maybe not indexed yet), checked directly: near copies go into
    `near`; the ones near by place come back as analysed Entries."""
    tail = list(
        base.filter(pk__gt=position)
        .order_by("-pk")
        .values_list(*TAIL_FIELDS, "category__parent_id", "status", "closed_at")[: TAIL_LIMIT + 1]
    )
    if len(tail) > TAIL_LIMIT:
        logger.warning("duplicate index is %s+ reports behind: is the triage worker running?", TAIL_LIMIT)
        tail = tail[:TAIL_LIMIT]
    radius_m = settings.TRIAGE_DUPLICATE_RADIUS_METRES
    entries = []
    closed_before = query.submitted_at - dt.timedelta(days=settings.TRIAGE_DUPLICATE_CLOSED_DAYS)
    for pk, description, region, submitted_at, lat, lon, category, group, status, closed_at in tail:
        if not _same_city(query.city, region):
            continue
        score = similarity(query_shingles, shingles(description))
        if score >= SIMILARITY:
            near[pk] = score
        entry = dupscore.Entry(pk, region, submitted_at, _coordinate(lat), _coordinate(lon), category, group)
        long_closed = status in CLOSED_STATUSES and closed_at and closed_at < closed_before
        placed = not long_closed and dupscore.place_level(query, entry, radius_m)
        if (pk in near or placed) and dupscore.category_relation(query, entry):
            shingle_set = shingles(description)
            entry.analysis = wording.analyse(description)
            entry.signature = signature_bytes(signature(shingle_set)) if shingle_set else None
            entries.append(entry)
    return entries
