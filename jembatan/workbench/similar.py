"""Reports that look like this one: same category, same kabupaten/kota, recent, sharing title words.

A stand-in until the triage issue brings real duplicate detection; it lives in this one function
so triage can replace it without touching the views.
"""

import datetime as dt
import re

from django.utils import timezone

from jembatan.accounts import access
from jembatan.directory.models import prefix_q
from jembatan.reports.models import ARCHIVED_STATUSES, Report
from jembatan.reports.search import search_reports

RECENT_DAYS = 90
CANDIDATES = 200
MAX_WORDS = 4

# Words too common in complaint titles to say anything about similarity.
STOPWORDS = {
    "yang", "dan", "di", "ke", "dari", "untuk", "dengan", "pada", "tidak", "belum", "sudah", "ada",
    "ini", "itu", "atau", "oleh", "dalam", "mohon", "tolong", "minta", "sangat", "sekali", "karena",
    "depan", "jalan", "warga", "kami", "saya", "tentang", "masalah", "laporan",
}  # fmt: skip


def _title_words(title):
    words = [w for w in re.findall(r"[^\W\d_]{4,}", (title or "").lower()) if w not in STOPWORDS]
    # Longest first: long words carry more meaning ("drainase" over "rusak").
    return sorted(dict.fromkeys(words), key=len, reverse=True)[:MAX_WORDS]


def _city_code(region_code):
    return ".".join(region_code.split(".")[:2]) if region_code else None


def similar_reports(report, *, user, limit=5, now=None):
    """Up to `limit` reports `user` may see that resemble `report`, most alike first.

    Returns [(report, shared_word_count)].
    """
    if report.category_id is None:
        return []
    now = now or timezone.now()
    candidates = (
        Report.objects.filter(access.visible_reports_filter(user))
        .filter(category_id=report.category_id, submitted_at__gte=now - dt.timedelta(days=RECENT_DAYS))
        .exclude(pk=report.pk)
        .exclude(status__in=ARCHIVED_STATUSES)
    )
    city = _city_code(report.region_id)
    if city:
        candidates = candidates.filter(prefix_q(candidates, "region__code", city))
    ids = list(candidates.order_by("-submitted_at", "-pk").values_list("pk", flat=True)[:CANDIDATES])
    if not ids:
        return []
    scores = dict.fromkeys(ids, 0)
    pool = Report.objects.filter(pk__in=ids)
    for word in _title_words(report.title):
        for pk in search_reports(pool, word).values_list("pk", flat=True):
            if pk in scores:
                scores[pk] += 1
    # ids are newest first, and sorted() is stable: equal scores keep the newest on top.
    best = sorted(ids, key=lambda pk: -scores[pk])[:limit]
    rows = Report.objects.in_bulk(best)
    return [(rows[pk], scores[pk]) for pk in best if pk in rows]
