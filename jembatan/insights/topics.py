"""Topic clusters of recent reports: TF-IDF over title and text, k-means, seeded.

Clustering a scope's last 30 days takes about a second, far beyond a dashboard's budget, so a task
computes it for every scope that has a dashboard viewer and stores a TopicSnapshot; the dashboard
reads the snapshot (and computes one on first view when none exists yet).

Fixed seed (random_state) and a deterministic input order (newest first, then id): the same reports
give the same clusters, so two leaders looking at the same scope see the same topics.
"""

import datetime as dt
import math

from django.utils import timezone

from jembatan.insights.facts import STOPWORDS
from jembatan.insights.models import ReportFact, TopicSnapshot
from jembatan.reports.models import Report

WINDOW_DAYS = 30
MAX_DOCUMENTS = 1500
MAX_CLUSTERS = 8
MIN_DOCUMENTS = 12
SEED = 20260101
TOP_WORDS = 6
EXAMPLES = 3
# Words of the text (not the title) that carry no topic: greetings and the LAPOR! closing formula.
TEXT_STOPWORDS = STOPWORDS | frozenset(
    "selamat pagi siang sore malam assalamualaikum wassalam terimakasih kasih hormat izin ijin "
    "menyampaikan sampaikan disampaikan dimohon memohon mohon ditindaklanjuti tindaklanjuti "
    # function words that survive the length minimum and otherwise top a cluster's word list
    "hanya saja yaitu bahwa jika kalau ketika seperti secara begitu sehingga".split()
)


def scope_fact_filter(scope_agency_ids):
    """Report ids of the scope (None = national) as a subquery over the facts."""
    facts = ReportFact.objects.all()
    if scope_agency_ids is not None:
        facts = facts.filter(agency__in=scope_agency_ids)
    return facts


def documents(scope_agency_ids, today):
    start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    facts = scope_fact_filter(scope_agency_ids).filter(day__gte=start, day__lte=today)
    ids = list(facts.order_by("-day", "-report_id").values_list("report_id", flat=True)[:MAX_DOCUMENTS])
    texts = dict(Report.objects.filter(pk__in=ids).values_list("pk", "title"))
    bodies = dict(Report.objects.filter(pk__in=ids).values_list("pk", "description"))
    return [(pk, f"{texts[pk]} {texts[pk]} {bodies[pk][:600]}") for pk in ids if pk in texts]


def cluster(docs):
    """[{"size", "words", "examples"}] for docs [(report id, text)], largest cluster first."""
    if len(docs) < MIN_DOCUMENTS:
        return []
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        lowercase=True,
        token_pattern=r"(?u)\b[a-z]{4,30}\b",
        stop_words=sorted(TEXT_STOPWORDS),
        min_df=2,
        max_df=0.5,
        max_features=5000,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform([text for _pk, text in docs])
    except ValueError:  # every word too rare or too common: nothing to cluster on
        return []
    # Never more clusters than distinct documents as the vectoriser sees them (k-means warns and
    # leaves clusters empty otherwise).
    distinct = len({(tuple(row.indices), tuple(row.data.round(6))) for row in matrix})
    if distinct < 2:
        return []
    k = min(max(2, min(MAX_CLUSTERS, round(math.sqrt(len(docs) / 4)))), distinct)
    model = KMeans(n_clusters=k, random_state=SEED, n_init=4)
    labels = model.fit_predict(matrix)
    terms = vectorizer.get_feature_names_out()
    distances = model.transform(matrix)
    clusters = []
    for c in range(k):
        members = [i for i, label in enumerate(labels) if label == c]
        if not members:
            continue
        center = model.cluster_centers_[c]
        words = [str(terms[i]) for i in center.argsort()[::-1][:TOP_WORDS] if center[i] > 0]
        nearest = sorted(members, key=lambda i: distances[i][c])[:EXAMPLES]
        clusters.append({"size": len(members), "words": words, "examples": [docs[i][0] for i in nearest]})
    clusters.sort(key=lambda c: -c["size"])
    return clusters


def compute_snapshot(scope_key, scope_agency_ids, today=None):
    """Cluster the scope's recent reports and store the result (one snapshot per scope)."""
    today = today or timezone.localdate()
    docs = documents(scope_agency_ids, today)
    snapshot, _created = TopicSnapshot.objects.update_or_create(
        scope=scope_key,
        defaults={
            "window_start": today - dt.timedelta(days=WINDOW_DAYS - 1),
            "window_end": today,
            "reports": len(docs),
            "clusters": cluster(docs),
            "computed_at": timezone.now(),
        },
    )
    return snapshot


def refresh_snapshots(scopes, today=None):
    """Recompute the snapshots of these scopes ([(key, agency ids or None)])."""
    for key, ids in scopes:
        compute_snapshot(key, ids, today=today)
    return len(scopes)
