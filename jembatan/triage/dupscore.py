"""One duplicate score from place, category, time and text: a logistic model over a few features.

Candidates (duplicates.py) are already near enough, in a related category and recent; this module
says how likely each is the same problem. `Entry` is what the index stores of a report (or what a
look-up knows of a new text): place, time, category, the text's analysis (wording.py) and its
MinHash signature. `features()` compares two entries; `DuplicateModel.probability()` weighs them.

The weights are not written by hand: `manage.py triage fit-duplicates --csv PATH` fits them on a gold
set (duplicates_gold.csv: groups of reports of one problem, and hard non-duplicates), prints the
grouped cross-validation numbers and writes MODEL_PATH. The logistic output is a probability, so
the two thresholds (settings.TRIAGE_DUPLICATE_VERIFIER_PERCENT, ..._CITIZEN_PERCENT) read as "at
least this likely the same problem".
"""

import dataclasses
import datetime as dt
import functools
import json
import math
from pathlib import Path

from jembatan.triage import wording

MODEL_PATH = Path(__file__).resolve().parent / "data" / "duplicate_model.json"

FEATURES = (
    "words",  # cosine of the word vectors (stems, concepts, stem bigrams)
    "chars",  # Jaccard of the character 4-grams (bottom-k estimate)
    "concepts",  # Jaccard of the problem concepts
    "concept_conflict",  # both name problems, none in common
    "concepts_here",  # the concepts' Jaccard when at the same pin or desa/kelurahan
    "place_match",  # both name a street or landmark, one in common
    "place_conflict",  # both name streets or landmarks, none in common
    "rare_shared",  # words the reference corpus lacks (names, mostly) in both, over the fewer's count
    "near_copy",  # Jaccard of word bigrams (MinHash estimate): the old near-copy measure
    "pin",  # both pinned: 1 at the same point, 0 at the radius
    "same_village",  # the same desa/kelurahan (without pins)
    "same_district",  # the same kecamatan only
    "same_city",  # one side known only to the kabupaten/kota
    "category_same",
    "category_related",  # the same category group
    "days",  # the time between them, as a share of the window
)


@dataclasses.dataclass
class Entry:
    """A report as the duplicate index knows it (or a text being written)."""

    pk: object
    region: str | None
    submitted_at: dt.datetime
    latitude: float | None = None
    longitude: float | None = None
    category: object = None
    category_group: object = None
    analysis: dict | None = None
    signature: bytes | None = None

    @property
    def city(self):
        return region_part(self.region, 2)

    @property
    def district(self):
        """The kecamatan, or the kabupaten/kota when that is all that is known (the index key)."""
        return region_part(self.region, 3) or self.city

    @property
    def village(self):
        return region_part(self.region, 4)

    @property
    def pinned(self):
        return self.latitude is not None and self.longitude is not None


def region_part(code, level):
    """The first `level` parts of a Kemendagri code, or None when the code is less precise."""
    parts = (code or "").split(".")
    return ".".join(parts[:level]) if code and len(parts) >= level else None


def metres(a, b):
    """The distance between two pinned entries (equirectangular: exact enough below a few km)."""
    lat = math.radians((a.latitude + b.latitude) / 2)
    dx = math.radians(b.longitude - a.longitude) * math.cos(lat)
    dy = math.radians(b.latitude - a.latitude)
    return 6_371_000 * math.hypot(dx, dy)


def place_level(query, entry, radius_m):
    """How the two are near: ("pin", metres), ("village",), ("district",), ("city",), or None (apart).

    Both pinned: within `radius_m` or not at all. Otherwise the same desa/kelurahan, the same
    kecamatan, or the same kabupaten/kota when one side is known only to that level.
    """
    if query.pinned and entry.pinned:
        distance = metres(query, entry)
        return ("pin", distance) if distance <= radius_m else None
    if not query.city or query.city != entry.city:
        return None
    if query.village and query.village == entry.village:
        return ("village",)
    if region_part(query.region, 3) and region_part(entry.region, 3):
        return ("district",) if query.district == entry.district else None
    return ("city",)


def category_relation(query, entry):
    """ "same", "related" (the same group), "unknown" (one has none), or None (unrelated: not a candidate)."""
    if query.category is None or entry.category is None:
        return "unknown"
    if query.category == entry.category:
        return "same"
    if query.category_group is not None and query.category_group == entry.category_group:
        return "related"
    return None


def features(query, entry, *, level, relation, radius_m, window_days, near_copy):
    """The feature vector (FEATURES order) of a candidate pair."""
    a, b = query.analysis, entry.analysis
    common = set(a["k"]) & set(b["k"])
    either = set(a["k"]) | set(b["k"])
    places = wording.places_agree(a["p"], b["p"])
    days = abs((query.submitted_at - entry.submitted_at).total_seconds()) / 86400
    kind = level[0] if level else None
    return [
        wording.cosine(a["w"], b["w"]),
        wording.sketch_similarity(a["c"], b["c"]),
        len(common) / len(either) if either else 0.0,
        1.0 if a["k"] and b["k"] and not common else 0.0,
        len(common) / len(either) if either and kind in ("pin", "village") else 0.0,
        1.0 if places > 0 else 0.0,
        1.0 if places < 0 else 0.0,
        len(set(a.get("r", ())) & set(b.get("r", ())))
        / max(1, min(len(a.get("r", ())), len(b.get("r", ())))),
        near_copy,
        max(0.0, 1 - level[1] / radius_m) if kind == "pin" else 0.0,
        1.0 if kind == "village" else 0.0,
        1.0 if kind == "district" else 0.0,
        1.0 if kind == "city" else 0.0,
        1.0 if relation == "same" else 0.0,
        1.0 if relation == "related" else 0.0,
        min(days, window_days) / window_days,
    ]


def signature_agreement(a, b):
    """The share of equal MinHash values of two stored signatures: the bigram Jaccard, estimated."""
    if not a or not b:
        return 0.0
    a, b = bytes(a), bytes(b)
    n = min(len(a), len(b)) // 4
    return sum(1 for i in range(0, 4 * n, 4) if a[i : i + 4] == b[i : i + 4]) / n if n else 0.0


def score_pairs(query, entries, near, *, radius_m, window_days, model):
    """{pk: (score, is near copy)} for the candidate entries near by place and category, and for
    every near copy (`near`: {pk: Jaccard}), whose score is at least its Jaccard similarity."""
    scores = {}
    for entry in entries:
        level = place_level(query, entry, radius_m)
        relation = category_relation(query, entry)
        copy = near.get(entry.pk)
        if (level is None or relation is None) and copy is None:
            continue
        x = features(
            query,
            entry,
            level=level,
            relation=relation,
            radius_m=radius_m,
            window_days=window_days,
            near_copy=signature_agreement(query.signature, entry.signature),
        )
        score = model.probability(x)
        scores[entry.pk] = (max(score, copy), True) if copy is not None else (score, False)
    for pk, copy in near.items():
        scores.setdefault(pk, (copy, True))
    return scores


@dataclasses.dataclass(frozen=True)
class DuplicateModel:
    coefficients: tuple
    intercept: float
    info: dict

    def probability(self, x):
        z = self.intercept + sum(w * v for w, v in zip(self.coefficients, x, strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self):
        return {
            "features": list(FEATURES),
            "coefficients": [round(c, 6) for c in self.coefficients],
            "intercept": round(self.intercept, 6),
            **self.info,
        }


def parse_model(data):
    if data.get("features") != list(FEATURES):
        raise ValueError(
            "the duplicate model was fitted on other features: run manage.py triage fit-duplicates"
        )
    info = {k: v for k, v in data.items() if k not in ("features", "coefficients", "intercept")}
    return DuplicateModel(tuple(data["coefficients"]), float(data["intercept"]), info)


@functools.cache
def load_model(path=MODEL_PATH):
    """The fitted model (read once per process)."""
    return parse_model(json.loads(Path(path).read_text(encoding="utf-8")))


def fit(rows, labels, *, c=1.0):
    """A DuplicateModel fitted on feature rows and 0/1 labels (scikit-learn, imported here only)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(rows, labels)
    return DuplicateModel(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]), {})
