"""Topic clusters of recent reports: TF-IDF over title and text, k-means, seeded.

Clustering a scope's last 30 days takes about a second, far beyond a dashboard's budget, so a task
computes it for every scope that has a dashboard viewer and stores a TopicSnapshot; the dashboard
reads the snapshot (and computes one on first view when none exists yet).

Fixed seed (random_state) and a deterministic input order (newest first, then id): the same reports
give the same clusters, so two leaders looking at the same scope see the same topics.
"""

import datetime as dt
import math
import re

from django.utils import timezone

from jembatan.directory.models import Region, RegionLevel
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
# Words of the text (not the title) that carry no topic. A cluster is labelled by its heaviest
# words, so a word every kind of complaint uses ("saat", "melakukan") ends up naming clusters it
# says nothing about. Only words of four letters or more matter (the token pattern drops the rest).
TEXT_STOPWORDS = STOPWORDS | frozenset(
    # greetings and the LAPOR! closing formula
    "selamat pagi siang sore malam assalamualaikum wassalam terimakasih kasih hormat izin ijin "
    "menyampaikan sampaikan disampaikan dimohon memohon mohon ditindaklanjuti tindaklanjuti "
    # function words that survive the length minimum and otherwise top a cluster's word list
    "hanya saja yaitu bahwa jika kalau ketika seperti secara begitu sehingga saat padahal "
    "bukan punya sama semua beberapa selama setelah sebelum waktu kali lama sudah pula "
    "sedang akhirnya kemudian lalu karna krn dgn utk yg tdk sdh blm "
    # verbs and nouns of the story of any complaint (not what it is about)
    "melakukan dilakukan mendapatkan mendapat memberikan diberikan nama orang pihak hal "
    "kondisi masalah sesuai terjadi menjadi ingin datang "
    # dates written into the text
    "senin selasa rabu kamis jumat sabtu januari februari maret april juni juli agustus "
    "september oktober november desember "
    # place words: the instance serves one or a few provinces, so their names (and the compass
    # points of "Padang Timur", "Sumatera Barat") are in most reports and tell topics apart in none.
    # The 38 provinces (UU pembentukan provinsi, 2022), words of four letters or more.
    "utara selatan timur barat tengah aceh sumatera sumatra riau kepulauan jambi bengkulu "
    "lampung bangka belitung jakarta ibukota khusus jawa banten yogyakarta istimewa bali nusa "
    "tenggara kalimantan sulawesi gorontalo maluku papua pegunungan daya "
    # colloquial spellings of the words above
    "kalo udah blum gimana".split()
)
# The names of the kabupaten/kota and kecamatan the reports come from are place words too ("Padang",
# "Bungus Teluk Kabung", "Koto Tangah"): they are read from the Region table for each snapshot
# (place_words) rather than listed here. Words of place names that are also what a complaint is
# about stay in: a river, a market or land is a topic even when a kecamatan is named after it.
TOPICAL_PLACE_WORDS = frozenset(
    "sungai tanah pasar pantai danau laut pulau gunung bukit batu kebun sawah hutan jalan "
    "jembatan kampung pelabuhan bandar rumah sakit sekolah mati".split()
)


# Redaction markers ("[nomor disamarkan]", "[NIK disembunyikan]") replace personal data in the
# stored text; they are in many reports and would name clusters ("selalu, disamarkan, nomor, uang").
MARKER = re.compile(r"\[[^\[\]]{0,60}\]")
MARKER_WORDS = frozenset("disamarkan disembunyikan redacted hidden".split())


def strip_markers(text):
    return MARKER.sub(" ", text or "")


def region_words():
    """Words of the names of every province and kabupaten/kota (about 550 names): a topic label
    never names a place, whichever reports the clusters were built from."""
    words = set()
    names = Region.objects.filter(level__in=(RegionLevel.PROVINSI, RegionLevel.KABUPATEN_KOTA)).values_list(
        "name", flat=True
    )
    for name in names:
        words.update(w for w in re.findall(r"[a-z]{4,30}", name.lower()) if w not in TOPICAL_PLACE_WORDS)
    return words


def label_words(words, places=None):
    """The words of a cluster's label without markers, numbers or place names (also applied to
    snapshots stored before these rules)."""
    places = region_words() if places is None else places
    return [w for w in words if w.isalpha() and w not in MARKER_WORDS and w not in places]


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
    return [(pk, strip_markers(f"{texts[pk]} {texts[pk]} {bodies[pk][:600]}")) for pk in ids if pk in texts]


def place_words(report_ids):
    """Words of the names of the provinces, kabupaten/kota and kecamatan of these reports."""
    codes = set()
    for code in Report.objects.filter(pk__in=report_ids).values_list("region_id", flat=True).distinct():
        parts = (code or "").split(".")
        codes.update(".".join(parts[:n]) for n in (1, 2, 3) if len(parts) >= n and parts[0])
    words = set()
    for name in Region.objects.filter(code__in=codes).values_list("name", flat=True):
        words.update(w for w in re.findall(r"[a-z]{4,30}", name.lower()) if w not in TOPICAL_PLACE_WORDS)
    return frozenset(words)


def cluster(docs, stopwords=TEXT_STOPWORDS):
    """[{"size", "words", "examples"}] for docs [(report id, text)], largest cluster first."""
    if len(docs) < MIN_DOCUMENTS:
        return []
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        lowercase=True,
        token_pattern=r"(?u)\b[a-z]{4,30}\b",
        stop_words=sorted(stopwords),
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
            "clusters": cluster(
                docs, TEXT_STOPWORDS | MARKER_WORDS | place_words([pk for pk, _text in docs]) | region_words()
            ),
            "computed_at": timezone.now(),
        },
    )
    return snapshot


def refresh_snapshots(scopes, today=None):
    """Recompute the snapshots of these scopes ([(key, agency ids or None)])."""
    for key, ids in scopes:
        compute_snapshot(key, ids, today=today)
    return len(scopes)
