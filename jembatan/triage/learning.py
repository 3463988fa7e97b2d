"""The routing model: text (and a few facts about the report) → calibrated probabilities per label.

Pure scikit-learn, no Django: the management command, the weekly retraining, the evaluation harness
and the benchmark all use these same classes.

Method, and why:

- Features: TF-IDF over word 1–2-grams and over character 2–4-grams inside words of the
  normalized text (text.py). Complaints are informal and misspelt ("jalanan", "jln", "jalan2",
  "jalam"): character n-grams still match what word counts miss, word bigrams keep phrases
  ("parkir liar", "lampu jalan"). A small third block holds facts that are not text (the
  kabupaten/kota, the channel, the kind of report), because in a province the same "jalan rusak"
  goes to a different Dinas PUPR in each kabupaten.
- Classifier: a linear SVM (the strongest plain text classifier at this data size), calibrated
  with Platt scaling over 3 folds (CalibratedClassifierCV, "sigmoid"), so the scores are
  probabilities: the auto-routing threshold and the verifier's "how sure" need probabilities,
  and an SVM's raw margins are not comparable between reports. The folds' SVMs are averaged
  into one sparse weight matrix (see Classifier) so a model for hundreds of agencies stays small.
  Temperature scaling (one scale for all classes) and a single refitted SVM were both tried and
  ranked reports worse by confidence on the benchmark.
- Stemming (Sastrawi) is available but off: on the benchmark it gained about one point of
  macro-F1 and cost three times the time per report, mostly for words not yet cached.
- Recency: a report's weight halves every `recency_half_life` of the history (35 %: with
  a year of history, a report from four months ago counts half). Routing drifts: offices are
  merged and renamed, programmes come and go, and the latest decisions are the best guide.
- Determinism: no shuffling, fixed seeds, rows in the order given (the caller sorts them by
  time), so the same data gives the same model, bit for bit.
"""

import hashlib
import pickle
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from jembatan.triage import text as textprep

RANDOM_STATE = 20260101


@dataclass
class Settings:
    """The knobs of the model; the defaults are what the benchmark chose (bench/bench_triage.py)."""

    stem: bool = False
    word_ngrams: tuple = (1, 2)
    char_ngrams: tuple = (2, 4)
    max_word_features: int = 60_000
    max_char_features: int = 120_000
    meta_weight: float = 0.5
    C: float = 0.25
    folds: int = 3
    ensemble: bool = True  # average the folds' SVMs (True), or refit one SVM on everything (False)
    weight_density: float = 0.1  # share of each class's weights kept (the largest); the rest are zero
    recency_half_life: float = 0.35
    min_class_size: int = 3


class Features:
    """Text (and facts) → one sparse row per report. Fitted once, shared by every label's classifier."""

    def __init__(self, settings):
        self.settings = settings
        self.word = TfidfVectorizer(
            ngram_range=settings.word_ngrams,
            sublinear_tf=True,
            max_features=settings.max_word_features,
            token_pattern=r"(?u)\b\w+\b",
            dtype=np.float32,
        )
        self.char = None
        if settings.char_ngrams:  # None: words only (an ablation in the benchmark)
            self.char = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=settings.char_ngrams,
                sublinear_tf=True,
                min_df=2,
                max_features=settings.max_char_features,
                dtype=np.float32,
            )
        # Facts are tokens like "region:13.71"; binary, so one fact weighs like any other.
        self.meta = CountVectorizer(
            tokenizer=str.split, token_pattern=None, lowercase=False, binary=True, dtype=np.float32
        )
        self.has_meta = False

    def normalize(self, texts):
        return [textprep.normalize(t, stem=self.settings.stem) for t in texts]

    def fit_transform(self, normalized, meta=None):
        blocks = [self.word.fit_transform(normalized)]
        if self.char is not None:
            blocks.append(self.char.fit_transform(normalized))
        # Memory and pickle size: the vectorizers keep the cut-off terms otherwise.
        for vectorizer in (self.word, self.char):
            if vectorizer is not None:
                vectorizer.stop_words_ = None
        meta_docs = [" ".join(m) for m in meta] if meta else None
        if meta_docs and any(meta_docs):
            blocks.append(self.meta.fit_transform(meta_docs) * self.settings.meta_weight)
            self.has_meta = True
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def transform(self, normalized, meta=None):
        """The rows for already-normalized texts: exactly what the fitted vectorizers would give.

        Computed here rather than by the vectorizers' own transform() and a sparse hstack, whose
        input checks cost milliseconds per call: a suggestion has to be ready in under five.
        """
        meta = meta or [[]] * len(normalized)
        word_width = len(self.word.vocabulary_)
        char_width = len(self.char.vocabulary_) if self.char is not None else 0
        width = word_width + char_width + (len(self.meta.vocabulary_) if self.has_meta else 0)
        indptr, indices, data = [0], [], []
        for doc, facts in zip(normalized, meta, strict=True):
            parts = [self._tfidf(self.word, doc, 0)]
            if self.char is not None:
                parts.append(self._tfidf(self.char, doc, word_width))
            if self.has_meta:
                vocabulary = self.meta.vocabulary_
                idx = sorted({vocabulary[t] + word_width + char_width for t in facts if t in vocabulary})
                parts.append((np.array(idx, dtype=np.int64), np.full(len(idx), self.settings.meta_weight)))
            for idx, values in parts:
                indices.append(idx)
                data.append(values)
            indptr.append(indptr[-1] + sum(len(idx) for idx, _v in parts))
        return sp.csr_matrix(
            (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
            shape=(len(normalized), width),
            dtype=np.float32,
        )

    def _analyzer(self, vectorizer):
        cache = self.__dict__.setdefault("_analyzers", {})
        if id(vectorizer) not in cache:
            cache[id(vectorizer)] = vectorizer.build_analyzer()
        return cache[id(vectorizer)]

    def _tfidf(self, vectorizer, doc, offset):
        """One document's TF-IDF (sublinear TF, L2-normalized): (column indices + offset, values)."""
        vocabulary = vectorizer.vocabulary_
        counts = Counter(self._analyzer(vectorizer)(doc))
        pairs = sorted((vocabulary[t], c) for t, c in counts.items() if t in vocabulary)
        idx = np.array([j for j, _c in pairs], dtype=np.int64)
        values = np.array([c for _j, c in pairs], dtype=np.float64)
        if vectorizer.sublinear_tf:
            values = np.log(values) + 1.0
        values *= vectorizer.idf_[idx]
        norm = np.sqrt(np.dot(values, values))
        if norm:
            values /= norm
        return idx + offset, values

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_analyzers", None)
        state.pop("_word_names", None)
        return state

    @property
    def word_names(self):
        if "_word_names" not in self.__dict__:
            self._word_names = self.word.get_feature_names_out()
        return self._word_names

    @property
    def n_word(self):
        return len(self.word.vocabulary_)


def recency_weights(n, half_life):
    """Weights for `n` rows in time order: the newest weighs most, halving every `half_life` × n rows."""
    if not half_life or n < 2:
        return None
    age = (n - 1 - np.arange(n)) / (half_life * n)
    weights = 0.5**age
    return weights / weights.mean()


class Classifier:
    """One label (agency, category, …): a calibrated linear SVM over the shared features.

    Fitted with scikit-learn's CalibratedClassifierCV (one SVM per fold, each with its own Platt
    sigmoids fitted on the reports that fold held out), then reduced to plain arrays:

    - one weight matrix, the mean of the folds' SVMs (a linear model, so the mean of their
      decisions), keeping per class only the largest `weight_density` share of weights, as a
      sparse matrix. A province has hundreds of agencies and the features number in the tens of
      thousands: dense per-fold weights would be hundreds of megabytes in every web process. On
      the benchmark, averaging and keeping 10 % cost about one point of macro-F1;
    - each fold's sigmoids, applied to that one decision and averaged, as the ensemble would.

    Predicting is then one sparse product and a few vector operations: scikit-learn's own
    predict_proba validates its input once per class and fold, which alone costs milliseconds
    per report with a hundred agencies. The arrays are also what gets pickled, so a saved model
    does not depend on scikit-learn's private calibration classes.
    """

    def __init__(self, settings):
        self.settings = settings
        self.classes_ = np.array([])
        self.weights = None  # sparse (features × columns); a binary problem has one column, for class 1
        self.intercepts = None  # (columns,)
        self.sigmoid_a = None  # (folds, columns): Platt scaling, p = 1 / (1 + exp(a·d + b))
        self.sigmoid_b = None

    def fit(self, X, labels):
        """Fit on rows `X` (time order) with `labels`; classes with too few examples are left out.

        Returns False (and stays unfitted) when fewer than two classes are left.
        """
        labels = np.asarray(labels, dtype=object).astype(str)
        counts = Counter(labels.tolist())
        minimum = max(self.settings.min_class_size, self.settings.folds)
        if sum(1 for c in counts.values() if c >= minimum) < 2:
            return False
        keep = np.array([counts[y] >= minimum for y in labels.tolist()], dtype=bool)
        X, labels = X[keep], labels[keep]
        weights = recency_weights(len(labels), self.settings.recency_half_life)
        svm = LinearSVC(C=self.settings.C, random_state=RANDOM_STATE)
        model = CalibratedClassifierCV(
            svm, cv=self.settings.folds, method="sigmoid", ensemble=self.settings.ensemble
        )
        with threadpool_limits(1):
            model.fit(X, labels, sample_weight=weights)
        self.classes_ = model.classes_
        W, b, A, B = [], [], [], []
        for fold in model.calibrated_classifiers_:
            svm = fold.estimator
            assert list(svm.classes_) == list(self.classes_)  # stratified folds: every class in every fold
            W.append(svm.coef_.T)
            b.append(svm.intercept_)
            A.append([c.a_ for c in fold.calibrators])
            B.append([c.b_ for c in fold.calibrators])
        self.weights = _sparsest(np.mean(W, axis=0), self.settings.weight_density)
        self.intercepts = np.mean(b, axis=0)
        self.sigmoid_a = np.asarray(A, dtype=np.float64)
        self.sigmoid_b = np.asarray(B, dtype=np.float64)
        return True

    @property
    def is_fitted(self):
        return self.weights is not None

    def predict_proba(self, X):
        """Calibrated probabilities (rows × classes)."""
        decision = np.asarray((X @ self.weights).todense(), dtype=np.float64) + self.intercepts
        total = np.zeros((X.shape[0], len(self.classes_)))
        for a, b in zip(self.sigmoid_a, self.sigmoid_b, strict=True):
            proba = 1.0 / (1.0 + np.exp(a * decision + b))
            if len(self.classes_) == 2:
                proba = np.hstack([1.0 - proba, proba])
            else:
                sums = proba.sum(axis=1, keepdims=True)
                proba = np.divide(proba, sums, out=np.full_like(proba, 1 / proba.shape[1]), where=sums != 0)
            total += proba
        return total / len(self.sigmoid_a)

    def explain(self, x_row, class_index, n_word, names, limit=5):
        """The word features of one row that pushed it most towards `class_index`, strongest first."""
        row = x_row.tocsr()
        mask = row.indices < n_word
        idx, values = row.indices[mask], row.data[mask]
        if not len(idx):
            return []
        binary = len(self.classes_) == 2  # one column of weights, for the second class
        column = self.weights[idx][:, 0 if binary else class_index].toarray().ravel()
        contributions = values * column * (-1 if binary and class_index == 0 else 1)
        order = np.argsort(-contributions, kind="stable")
        return [str(names[idx[i]]) for i in order[:limit] if contributions[i] > 0]


def _sparsest(weights, density):
    """Keep each column's `density` share of largest-magnitude weights; a sparse float32 matrix."""
    weights = np.asarray(weights, dtype=np.float32)
    if density < 1:
        k = max(1, int(np.ceil(weights.shape[0] * density)))
        # A stable sort: among equal magnitudes the lower feature index stays, run after run.
        top = np.argsort(-np.abs(weights), axis=0, kind="stable")[:k]
        kept = np.zeros_like(weights)
        np.put_along_axis(kept, top, np.take_along_axis(weights, top, axis=0), axis=0)
        weights = kept
    # CSR (rows are features): a report's row times it touches only the rows of its own features.
    return sp.csr_matrix(weights)


@dataclass
class Bundle:
    """What one training run produces: the shared features and one classifier per label."""

    settings: Settings
    features: Features
    classifiers: dict = field(default_factory=dict)  # label name → Classifier
    trained_on: dict = field(default_factory=dict)  # label name → number of rows

    def dumps(self):
        """The bundle as bytes (pickle), and their SHA-256: the same data gives the same bytes."""
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        return payload, hashlib.sha256(payload).hexdigest()

    @staticmethod
    def loads(payload):
        # The payload comes from our own database row, written by train_model; whoever can write
        # that row can already run code here, so unpickling it adds no new trust.
        return pickle.loads(payload)  # noqa: S301


def train_bundle(texts, labels_by_name, meta=None, settings=None):
    """Fit the features on all `texts` (time order), then one classifier per label.

    `labels_by_name` maps a label name ("agency", "category") to a list aligned with `texts`, with
    None where a row has no value for that label.
    """
    settings = settings or Settings()
    features = Features(settings)
    normalized = features.normalize(texts)
    X = features.fit_transform(normalized, meta)
    bundle = Bundle(settings=settings, features=features)
    for name, labels in labels_by_name.items():
        rows = np.array([i for i, y in enumerate(labels) if y is not None], dtype=int)
        if len(rows) < 2:
            continue
        classifier = Classifier(settings)
        if classifier.fit(X[rows], [labels[i] for i in rows]):
            bundle.classifiers[name] = classifier
            bundle.trained_on[name] = int(len(rows))
    return bundle


@dataclass
class Prediction:
    """The top labels of one report, with probabilities, and the words behind the first one."""

    top: list  # [(label, probability)], most likely first
    words: list


def predict(bundle, text, meta=None, *, k=3, explain=5):
    """Predict every label of `bundle` for one text: {label name: Prediction}."""
    normalized = bundle.features.normalize([text])
    X = bundle.features.transform(normalized, [meta or []])
    names = bundle.features.word_names if explain else None
    out = {}
    for name, classifier in bundle.classifiers.items():
        proba = classifier.predict_proba(X)[0]
        order = np.argsort(-proba, kind="stable")[:k]
        top = [(classifier.classes_[i], float(proba[i])) for i in order]
        words = classifier.explain(X, order[0], bundle.features.n_word, names, explain) if explain else []
        out[name] = Prediction(top=top, words=words)
    return out


# --- Evaluation ------------------------------------------------------------------------------------


def _covered(confidence, correct, target):
    """(share covered, lowest confidence taken) for coverage at precision `target`; see below."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    n = len(correct)
    if not n:
        return 0.0, None
    order = np.argsort(-confidence, kind="stable")
    conf_sorted, hits = confidence[order], np.cumsum(correct[order])
    taken = np.arange(1, n + 1)
    # Only cut where the next report is less confident: a threshold cannot split equal scores.
    cut = np.append(conf_sorted[1:] < conf_sorted[:-1], True)
    ok = cut & (hits / taken >= target - 1e-12)
    if not ok.any():
        return 0.0, None
    last = int(taken[ok].max())
    return last / n, float(conf_sorted[last - 1])


def coverage_at_precision(confidence, correct, target=0.95):
    """The largest share of reports, taken from most to least confident, whose accuracy is ≥ `target`."""
    return _covered(confidence, correct, target)[0]


def threshold_at_precision(confidence, correct, target=0.95):
    """The confidence down to which accuracy stayed ≥ `target` (None when it never did)."""
    return _covered(confidence, correct, target)[1]


def score(bundle, texts, labels_by_name, meta=None):
    """Metrics of each of the bundle's classifiers on held-out rows (None labels are skipped)."""
    from sklearn.metrics import f1_score

    predictions = [
        predict(bundle, t, m, explain=0) for t, m in zip(texts, meta or [None] * len(texts), strict=True)
    ]
    out = {}
    for name in bundle.classifiers:
        pairs = [
            (str(y), p[name])
            for y, p in zip(labels_by_name.get(name, []), predictions, strict=False)
            if y is not None
        ]
        if not pairs:
            continue
        y_true = [y for y, _p in pairs]
        y_pred = [p.top[0][0] for _y, p in pairs]
        confidence = [p.top[0][1] for _y, p in pairs]
        correct = np.array([t == p for t, p in zip(y_true, y_pred, strict=True)])
        top3 = np.mean([y in [label for label, _p in p.top[:3]] for y, p in pairs])
        covered, threshold = _covered(confidence, correct, 0.95)
        out[name] = {
            "n_test": len(pairs),
            "accuracy": round(float(correct.mean()), 4),
            "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
            "top3_accuracy": round(float(top3), 4),
            "coverage_at_95_precision": round(covered, 4),
            "threshold_at_95_precision": None if threshold is None else round(threshold, 4),
        }
    return out


def temporal_split(rows, test_fraction):
    """First part for training, the rest for testing (rows already in time order)."""
    if not 0 < test_fraction < 1:
        raise ValueError("test fraction must be between 0 and 1")
    n_test = max(1, int(round(len(rows) * test_fraction)))
    if n_test >= len(rows):
        raise ValueError("not enough rows to split")
    return rows[:-n_test], rows[-n_test:]


def evaluate(train_texts, train_labels, test_texts, test_labels, settings=None):
    """Train on the first set and score the second: the metrics `manage.py triage evaluate` prints."""
    from sklearn.metrics import f1_score

    started = time.perf_counter()
    bundle = train_bundle(train_texts, {"label": list(train_labels)}, settings=settings)
    train_seconds = time.perf_counter() - started
    classifier = bundle.classifiers.get("label")
    if classifier is None:
        raise ValueError("need at least two labels with enough examples to train")
    started = time.perf_counter()
    # One report at a time, as the product predicts: that is the latency a verifier waits for.
    predictions = [predict(bundle, t, explain=0)["label"] for t in test_texts]
    ms_per_report = (time.perf_counter() - started) * 1000 / max(1, len(test_texts))
    y_true = [str(y) for y in test_labels]
    y_pred = [p.top[0][0] for p in predictions]
    confidence = [p.top[0][1] for p in predictions]
    correct = np.array([t == p for t, p in zip(y_true, y_pred, strict=True)])
    top3 = np.mean(
        [t in [label for label, _p in p.top[:3]] for t, p in zip(y_true, predictions, strict=True)]
    )
    return {
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "classes": len(classifier.classes_),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
        "top3_accuracy": round(float(top3), 4),
        "coverage_at_95_precision": round(coverage_at_precision(confidence, correct), 4),
        "ms_per_report": round(ms_per_report, 3),
        "train_seconds": round(train_seconds, 3),
    }
