"""Evaluating and fitting the duplicate score on a gold set (`manage.py triage evaluate-duplicates`,
`manage.py triage fit-duplicates`).

A gold set is a CSV with the columns id, group, text, region, submitted_at, latitude, longitude
(and optionally category, written "group/name": the same group is a related category). Rows of one
`group` report the same problem; every other pair is not a duplicate. The rows are loaded into a
`MemoryStore`, which finds candidates with the same rules as the database look-up (duplicates.py:
dupscore.place_level and category_relation, nearest level first then newest, at most
TRIAGE_DUPLICATE_MAX_CANDIDATES; near copies: bigram Jaccard ≥ SIMILARITY in the same kab/kota)
and scores them with the same dupscore.score_pairs, so a number measured here is the product's.

Fitting: every (row, candidate) pair of the store is a training example, labelled by the groups;
the weights of dupscore.FEATURES are fitted by logistic regression. The cross-validation is grouped
by the look-up row's group (no group is in the training and the test folds at once), and each fold
is measured like `evaluate`: pairs found at the verifier threshold against the gold pairs.
"""

import csv
import datetime as dt
import itertools
import statistics
import time

from django.conf import settings
from django.utils import timezone

from jembatan.triage import duplicates, dupscore, wording

COLUMNS = ("id", "group", "text", "region", "submitted_at", "latitude", "longitude")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class GoldSetError(ValueError):
    pass


def _date(value):
    for fmt in DATE_FORMATS:
        try:
            return timezone.make_aware(dt.datetime.strptime(value.strip(), fmt), dt.UTC)
        except ValueError:
            continue
    raise GoldSetError(f"not a date: {value!r}")


def _float(value):
    return float(value) if (value or "").strip() else None


def read_gold_set(path):
    """(entries, groups {pk: group}, shingle sets {pk: frozenset}) from a gold-set CSV."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if missing := [c for c in COLUMNS if c not in (reader.fieldnames or [])]:
                raise GoldSetError(f"no column {', '.join(missing)} in {path}")
            records = list(reader)
    except OSError as error:
        raise GoldSetError(f"cannot read {path}: {error}") from None
    entries, groups, shingle_sets = [], {}, {}
    for record in records:
        pk, text = record["id"].strip(), record["text"]
        category = (record.get("category") or "").strip() or None
        shingle_set = duplicates.shingles(text)
        sig = duplicates.signature(shingle_set) if shingle_set else None
        entries.append(
            dupscore.Entry(
                pk=pk,
                region=record["region"].strip() or None,
                submitted_at=_date(record["submitted_at"]),
                latitude=_float(record["latitude"]),
                longitude=_float(record["longitude"]),
                category=category,
                category_group=category.split("/")[0] if category else None,
                analysis=wording.analyse(text),
                signature=duplicates.signature_bytes(sig) if sig is not None else None,
            )
        )
        groups[pk] = record["group"].strip()
        shingle_sets[pk] = shingle_set
    if len(groups) != len(entries):
        raise GoldSetError("ids must be unique")
    return entries, groups, shingle_sets


class MemoryStore:
    """The gold set as the look-up sees the database: candidates by place, category and time."""

    def __init__(self, entries, shingle_sets, *, window_days=duplicates.WINDOW_DAYS):
        self.entries = entries
        self.shingles = shingle_sets
        self.window_days = window_days
        self.radius_m = settings.TRIAGE_DUPLICATE_RADIUS_METRES
        self.most = settings.TRIAGE_DUPLICATE_MAX_CANDIDATES

    def _in_window(self, query, entry):
        return abs((query.submitted_at - entry.submitted_at).days) <= self.window_days

    def candidates(self, query):
        """(place candidates [Entry], near copies {pk: Jaccard}) of `query`, as duplicates.py finds them."""
        ranked, near = [], {}
        for entry in self.entries:
            if entry.pk == query.pk or not self._in_window(query, entry):
                continue
            if duplicates._same_city(query.city, entry.region):
                score = duplicates.similarity(self.shingles[query.pk], self.shingles[entry.pk])
                if score >= duplicates.SIMILARITY:
                    near[entry.pk] = score
            level = dupscore.place_level(query, entry, self.radius_m) if query.city else None
            if level and dupscore.category_relation(query, entry):
                ranked.append((duplicates.LEVEL_ORDER[level[0]], -entry.submitted_at.timestamp(), entry))
        ranked.sort(key=lambda item: item[:2])
        placed = [entry for _l, _t, entry in ranked[: self.most]]
        by_pk = {e.pk: e for e in self.entries}
        extra = [by_pk[pk] for pk in near if pk not in {e.pk for e in placed}]
        return placed + extra, near

    def scores(self, query, model):
        entries, near = self.candidates(query)
        return dupscore.score_pairs(
            query, entries, near, radius_m=self.radius_m, window_days=self.window_days, model=model
        )


def gold_pairs(groups):
    by_group = {}
    for pk, group in groups.items():
        by_group.setdefault(group, []).append(pk)
    return {frozenset(p) for pks in by_group.values() for p in itertools.combinations(sorted(pks), 2)}


def measure(found, gold):
    """precision, recall and F1 of found pairs against gold pairs."""
    right = len(found & gold)
    precision = right / len(found) if found else 1.0
    recall = right / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(path, *, model=None, audience=duplicates.VERIFIER, limit=5):
    """The JSON-ready result of `triage evaluate-duplicates`."""
    entries, groups, shingle_sets = read_gold_set(path)
    model = model or dupscore.load_model()
    store = MemoryStore(entries, shingle_sets)
    threshold = duplicates.threshold_for(audience)
    found, times = set(), []
    for query in entries:
        started = time.perf_counter()
        scores = store.scores(query, model)
        kept = sorted(
            (pk for pk, (score, is_near) in scores.items() if is_near or score >= threshold),
            key=lambda pk: -scores[pk][0],
        )[:limit]
        times.append((time.perf_counter() - started) * 1000)
        found.update(frozenset((query.pk, pk)) for pk in kept)
    gold = gold_pairs(groups)
    precision, recall, f1 = measure(found, gold)
    near_gold = {
        pair
        for pair in gold
        if duplicates.similarity(*(shingle_sets[pk] for pk in pair)) >= duplicates.SIMILARITY
    }
    return {
        "pairs": len(gold),
        "found": len(found),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "threshold": threshold,
        "near_copies": {"pairs": len(near_gold), "recall": round(measure(found, near_gold)[1], 4)},
        "ms_per_lookup": round(statistics.mean(times), 3),
        "reports": len(entries),
        "groups": len(set(groups.values())),
    }


def training_pairs(store, groups, queries=None):
    """(feature rows, labels, query groups) of every (query, candidate) pair of the store."""
    rows, labels, query_groups = [], [], []
    for query in queries if queries is not None else store.entries:
        entries, near = store.candidates(query)
        for entry in entries:
            level = dupscore.place_level(query, entry, store.radius_m)
            relation = dupscore.category_relation(query, entry)
            x = dupscore.features(
                query,
                entry,
                level=level,
                relation=relation,
                radius_m=store.radius_m,
                window_days=store.window_days,
                near_copy=dupscore.signature_agreement(query.signature, entry.signature),
            )
            rows.append(x)
            labels.append(int(groups[query.pk] == groups[entry.pk]))
            query_groups.append(groups[query.pk])
    return rows, labels, query_groups


def _found_pairs(store, queries, model, threshold, limit=5):
    found = set()
    for query in queries:
        scores = store.scores(query, model)
        kept = sorted(
            (pk for pk, (score, is_near) in scores.items() if is_near or score >= threshold),
            key=lambda pk: -scores[pk][0],
        )[:limit]
        found.update(frozenset((query.pk, pk)) for pk in kept)
    return found


def cross_validate(store, groups, *, folds, c):
    """Per fold (groups dealt round-robin in sorted order): fit on the other folds' look-ups, then
    precision, recall and F1 of the pairs the fold's own look-ups find at the verifier threshold."""
    names = sorted(set(groups.values()))
    fold_of = {name: i % folds for i, name in enumerate(names)}
    threshold = duplicates.threshold_for(duplicates.VERIFIER)
    results = []
    for k in range(folds):
        train = [e for e in store.entries if fold_of[groups[e.pk]] != k]
        test = [e for e in store.entries if fold_of[groups[e.pk]] == k]
        rows, labels, _g = training_pairs(store, groups, train)
        model = dupscore.fit(rows, labels, c=c)
        gold = gold_pairs({e.pk: groups[e.pk] for e in test})
        results.append(measure(_found_pairs(store, test, model, threshold), gold))
    return {
        "folds": folds,
        "precision": round(statistics.mean(r[0] for r in results), 4),
        "recall": round(statistics.mean(r[1] for r in results), 4),
        "f1": round(statistics.mean(r[2] for r in results), 4),
        "per_fold": [[round(v, 4) for v in r] for r in results],
    }


def fit(path, *, folds=5, c=1.0):
    """The model fitted on every pair of the gold set at `path`, with its cross-validation in `info`."""
    entries, groups, shingle_sets = read_gold_set(path)
    if folds < 2 or folds > len(set(groups.values())):
        raise GoldSetError(
            f"--folds must be between 2 and the number of groups ({len(set(groups.values()))})"
        )
    store = MemoryStore(entries, shingle_sets)
    cv = cross_validate(store, groups, folds=folds, c=c)
    rows, labels, _g = training_pairs(store, groups)
    model = dupscore.fit(rows, labels, c=c)
    info = {
        "fitted_on": str(path).rsplit("/", 1)[-1],
        "fitted_at": timezone.now().strftime("%Y-%m-%d"),
        "C": c,
        "training_pairs": len(labels),
        "positive_pairs": sum(labels),
        "cross_validation": cv,
    }
    return dupscore.DuplicateModel(model.coefficients, model.intercept, info)
