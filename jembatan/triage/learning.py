"""The routing model: text (and a few facts about the report) → calibrated probabilities per label.

numpy, scipy and (to fit) scikit-learn, no Django: the management command, the weekly retraining,
the evaluation harness and the benchmark all use these same classes.

Method, and why (the measurements: jembatan/triage/README.md, bench/bench_triage.py):

- Features: TF-IDF over word 1–2-grams and over character 2–4-grams inside words of the
  normalized text (text.py), plus the title's own word 1–2-grams at half weight (a title is the
  report in a few words: "Jalan berlubang"). Complaints are informal and misspelt ("jalanan",
  "jln", "jalan2", "jalam"): character n-grams still match what word counts miss, word bigrams
  keep phrases ("parkir liar", "lampu jalan"). A small block holds facts that are not text (the
  kabupaten/kota, the channel, the kind of report), because in a province the same "jalan rusak"
  goes to a different Dinas PUPR in each kabupaten. TextVectorizer computes the character block
  from the words (a cached word → n-gram matrix), so features cost little more than words alone.
- Classifier: a class-balanced linear SVM (each office weighs the same in the loss, however few
  reports it has: the rare offices are what macro-F1 and the coverage were missing), fitted in 3
  stratified folds; the folds' out-of-fold decisions calibrate one Platt sigmoid per class, and
  the folds' SVMs are averaged into one sparse weight matrix (see Classifier). The probabilities
  are what the auto-routing bar and the verifier's "how sure" rest on.
- Per-class offsets for macro-F1 only where they carry over: tuned on the older out-of-fold
  predictions, kept only if they raise macro-F1 on the newest half (a validation slice, never
  the test); on LAPOR! they do not and stay off, on the small Samarinda category set they do.
- Agencies within the category (Hierarchy) and "bukan wewenang" returns as negative evidence
  for the agency that returned a report (Returns): the instance's own structure and corrections.
- Tried and left out, because they did not beat the noise or cost coverage (README): offsets
  always on, a complement naive Bayes in the average, 5 folds, character 3–5-grams, isotonic
  calibration, stemming (Sastrawi: about one point of macro-F1 for three times the time per report).
- Recency: a report's weight halves every `recency_half_life` of the history (35 %: with
  a year of history, a report from four months ago counts half). Routing drifts: offices are
  merged and renamed, programmes come and go, and the latest decisions are the best guide.
- Determinism: fixed seeds, rows in the order given (the caller sorts them by time), so the same
  data gives the same model, bit for bit; `Settings.seed` changes the fold assignment and the
  solver's order, which is how `triage evaluate --seeds` measures the run-to-run noise.
"""

import hashlib
import pickle
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from jembatan.triage import text as textprep

# scikit-learn is imported inside the functions that fit or evaluate a model, never at module level:
# services.py imports this module and the URLconf imports services.py, and importing scikit-learn
# costs more than a second on a cold start. Predicting needs only numpy and scipy (the fitted
# vectorizers are unpickled with the bundle, which imports their module then).

RANDOM_STATE = 20260101


@dataclass
class Settings:
    """The knobs of the model; the defaults are what the benchmark chose (bench/bench_triage.py)."""

    stem: bool = False
    word_ngrams: tuple = (1, 2)
    char_ngrams: tuple = (2, 4)
    max_word_features: int = 60_000
    max_char_features: int = 120_000
    title_weight: float = 0.5  # the title's own word block (0: the title only counts as body text)
    meta_weight: float = 0.5
    C: float = 0.25
    # The SVM's stopping tolerance: scikit-learn's 1e-4 costs half as much time again, same scores.
    tol: float = 1e-2
    class_weight: str = "balanced"  # None: every report weighs the same, so rare offices are drowned out
    folds: int = 3
    weight_density: float = 0.1  # share of each class's weights kept (the largest); the rest are zero
    recency_half_life: float = 0.35
    min_class_size: int = 2  # a label seen once is left out; twice is enough to be proposed
    isotonic_min: int = 0  # isotonic calibration for classes with at least this many reports (0: Platt only)
    nb_weight: float = 0.0  # share of the second member in the average (0: the SVM alone)
    member: str = "complement-nb"  # the second member: "complement-nb" or "logistic" (SGD, log loss)
    member_alpha: float = 1e-4  # the logistic member's L2 penalty
    member_epochs: int = 5  # the logistic member's passes over the data
    # Per-class offsets for macro-F1, chosen on out-of-fold predictions: True (always, tuned on the
    # newest `tune_recent` share of the rows), "auto" (only when offsets tuned on the older rows
    # raise macro-F1 on the newest `tune_recent` share, a validation slice; then tuned on all) or False.
    tune_bias: object = "auto"
    tune_recent: float = 0.5
    # "Bukan wewenang": a label lowered for reports alike to one it returned (Returns, below).
    return_floor: float = 0.3  # word-TF-IDF cosine from which a return counts at all
    return_strength: float = 0.8  # share of the probability taken away by an identical return
    max_returns: int = 5000  # the newest returns kept per label
    # Hierarchical routing: the agency's probabilities × (P(agency | category) under the category's
    # probabilities) ** hierarchy_weight (Hierarchy, below); 0: the agency model alone.
    hierarchy_weight: float = 0.5
    hierarchy_smoothing: float = 2.0  # pseudo-reports per category, spread as the agencies are overall
    seed: int = RANDOM_STATE


class TextVectorizer:
    """TF-IDF of word n-grams and of character n-grams inside words, from one pass over the words.

    Gives what scikit-learn's TfidfVectorizer (analyzer "word" and analyzer "char_wb", sublinear
    tf, smooth idf, L2-normalized rows) gives for normalized text (lower-case words of [a-z0-9_]
    between single spaces), faster: the character n-grams of a report are the sum of those of its
    words ("char_wb" never crosses a space), so they come from one sparse product of the report's
    word counts with a cached word → character n-gram matrix, instead of cutting every word of
    every report into n-grams again. A word not seen in training is cut once and remembered (up to
    CACHE_WORDS per process). Pure numpy and scipy: predicting imports no scikit-learn, and batch
    and single reports take the same path (no per-call pipeline checks).
    """

    CACHE_WORDS = 50_000

    def __init__(self, word_ngrams=(1, 2), char_ngrams=None, max_word_features=None, max_char_features=None):
        self.word_ngrams = tuple(word_ngrams)
        self.char_ngrams = tuple(char_ngrams) if char_ngrams else None
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.char_min_df = 2
        self.vocabulary_ = {}  # word n-gram → column
        self.idf_ = None
        self.char_vocabulary_ = {}  # character n-gram → column
        self.char_idf_ = None
        self.unigrams_ = {}  # every word seen in training → its row of word_chars_
        self.word_chars_ = None  # sparse (words × character n-grams): counts

    def _word_terms(self, tokens):
        low, high = self.word_ngrams
        terms = list(tokens) if low == 1 else []
        for n in range(max(low, 2), high + 1):
            terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return terms

    def _char_grams(self, word):
        padded = f" {word} "
        low, high = self.char_ngrams
        return [
            padded[i : i + n]
            for n in range(low, min(high, len(padded)) + 1)
            for i in range(len(padded) - n + 1)
        ]

    def fit_transform(self, docs):
        """[word block] or [word block, character block] for `docs`, fitting the vocabularies."""
        tokens = [doc.split() for doc in docs]
        counts, vocabulary = _count(self._word_terms(t) for t in tokens)
        counts, self.vocabulary_, _columns = _select(counts, vocabulary, self.max_word_features, 1)
        self.idf_ = _idf(counts)
        blocks = [_tfidf(counts, self.idf_)]
        if self.char_ngrams:
            word_counts, unigrams = _count(tokens)
            words = sorted(unigrams, key=unigrams.get)
            grams, gram_vocabulary = _count(self._char_grams(w) for w in words)
            char_counts = (word_counts @ grams).tocsr()
            char_counts, self.char_vocabulary_, columns = _select(
                char_counts, gram_vocabulary, self.max_char_features, self.char_min_df
            )
            self.unigrams_ = unigrams
            self.word_chars_ = grams[:, columns].tocsr()
            self.char_idf_ = _idf(char_counts)
            blocks.append(_tfidf(char_counts, self.char_idf_))
        return blocks

    def transform(self, docs):
        tokens = [doc.split() for doc in docs]
        counts, _vocabulary = _count((self._word_terms(t) for t in tokens), self.vocabulary_)
        blocks = [_tfidf(counts, self.idf_)]
        if self.char_ngrams:
            blocks.append(_tfidf(self._char_counts(tokens), self.char_idf_))
        return blocks

    def _char_counts(self, tokens):
        """(docs × character n-grams) counts: the documents' word counts × each word's n-grams."""
        local = {}
        for doc in tokens:
            for word in doc:
                if word not in local:
                    local[word] = len(local)
        if not local:  # no words at all (an empty text)
            return sp.csr_matrix((len(tokens), len(self.char_vocabulary_)))
        word_counts, _local = _count(tokens, local)
        known = [w for w in local if w in self.unigrams_]
        unknown = [w for w in local if w not in self.unigrams_]
        order = np.array([local[w] for w in known + unknown], dtype=np.int64)
        parts = [self.word_chars_[[self.unigrams_[w] for w in known]]] if known else []
        if unknown:
            cache = self.__dict__.setdefault("_unknown", {})
            rows = []
            for word in unknown:
                row = cache.get(word)
                if row is None:
                    row = Counter(
                        self.char_vocabulary_[g] for g in self._char_grams(word) if g in self.char_vocabulary_
                    )
                    if len(cache) >= self.CACHE_WORDS:
                        cache.clear()
                    cache[word] = row
                rows.append(row)
            parts.append(_rows_to_csr(rows, len(self.char_vocabulary_)))
        word_chars = sp.vstack(parts, format="csr") if len(parts) > 1 else parts[0]
        # Rows of word_chars are in the order known + unknown; put the count columns in that order.
        return (word_counts[:, order] @ word_chars).tocsr()

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_unknown", None)
        return state

    @property
    def width(self):
        return len(self.vocabulary_) + len(self.char_vocabulary_)


def _rows_to_csr(rows, width):
    """A CSR matrix from a list of {column: count}."""
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((c for r in rows for c in r.values()), dtype=np.float64, count=int(indptr[-1]))
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(rows), width))
    matrix.sort_indices()
    return matrix


def _count(term_lists, vocabulary=None):
    """(CSR counts rows × terms, vocabulary term → column); without a vocabulary one is grown."""
    indices, indptr = [], [0]
    if vocabulary is None:
        vocabulary = {}
        column = vocabulary.setdefault
        for terms in term_lists:
            indices.extend([column(t, len(vocabulary)) for t in terms])
            indptr.append(len(indices))
    else:
        get = vocabulary.get
        for terms in term_lists:
            indices.extend([j for j in map(get, terms) if j is not None])
            indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, len(vocabulary)),
    )
    matrix.sum_duplicates()  # repeated terms of a row become one count (and the row is sorted)
    return matrix, vocabulary


def _select(counts, vocabulary, max_features, min_df):
    """Keep the terms in ≥ min_df documents (at most max_features, the most frequent), sorted by
    term as scikit-learn orders them: (counts of the kept columns, new vocabulary, old columns)."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = df >= min_df
    if max_features and keep.sum() > max_features:
        total = np.asarray(counts.sum(axis=0)).ravel()
        total[~keep] = -1
        keep = np.zeros_like(keep)
        keep[np.argsort(-total, kind="stable")[:max_features]] = True
    terms = sorted(t for t, j in vocabulary.items() if keep[j])
    columns = np.array([vocabulary[t] for t in terms], dtype=np.int64)
    return counts[:, columns].tocsr(), {t: i for i, t in enumerate(terms)}, columns


def _idf(counts):
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0


def _tfidf(counts, idf):
    """Sublinear tf × idf, each row L2-normalized (float32)."""
    matrix = counts.astype(np.float64, copy=True)
    matrix.data = (np.log(matrix.data) + 1.0) * idf[matrix.indices]
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
    matrix.data /= np.where(norms > 0, norms, 1.0)[rows]
    return matrix.astype(np.float32)


class Features:
    """Text (and facts) → one sparse row per report. Fitted once, shared by every label's classifier.

    Blocks, side by side: word n-grams and character n-grams inside words of the whole text, word
    n-grams of the title alone (× title_weight), the facts (× meta_weight, binary).
    """

    def __init__(self, settings):
        self.settings = settings
        self.text = TextVectorizer(
            settings.word_ngrams,
            settings.char_ngrams,
            settings.max_word_features,
            settings.max_char_features,
        )
        self.title = TextVectorizer(settings.word_ngrams) if settings.title_weight else None
        self.meta_vocabulary = {}
        self.has_title = False

    def normalize(self, texts):
        return [textprep.normalize(t, stem=self.settings.stem) for t in texts]

    def fit_transform(self, normalized, meta=None, titles=None):
        blocks = self.text.fit_transform(normalized)
        self.has_title = self.title is not None and titles is not None and any(titles)
        if self.has_title:
            blocks += [block * self.settings.title_weight for block in self.title.fit_transform(titles)]
        facts = sorted({f for m in meta or [] for f in m})
        self.meta_vocabulary = {f: i for i, f in enumerate(facts)}
        if self.meta_vocabulary:
            blocks.append(self._meta(meta))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def transform(self, normalized, meta=None, titles=None):
        """The rows of already-normalized texts (one or many: the same vectorised path)."""
        blocks = self.text.transform(normalized)
        if self.has_title:
            titles = titles if titles is not None else [""] * len(normalized)
            blocks += [block * self.settings.title_weight for block in self.title.transform(titles)]
        if self.meta_vocabulary:
            blocks.append(self._meta(meta or [[]] * len(normalized)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _meta(self, meta):
        rows = [{self.meta_vocabulary[f]: 1 for f in m if f in self.meta_vocabulary} for m in meta]
        return _rows_to_csr(rows, len(self.meta_vocabulary)) * self.settings.meta_weight

    def word_columns(self):
        """{column: the word or phrase it counts}: the word n-grams of the text and of the title."""
        if "_names" not in self.__dict__:
            names = {j: term for term, j in self.text.vocabulary_.items()}
            if self.has_title:
                offset = self.text.width
                names.update({offset + j: term for term, j in self.title.vocabulary_.items()})
            self._names = names
        return self._names

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_names", None)
        return state


def recency_weights(n, half_life):
    """Weights for `n` rows in time order: the newest weighs most, halving every `half_life` × n rows."""
    if not half_life or n < 2:
        return None
    age = (n - 1 - np.arange(n)) / (half_life * n)
    weights = 0.5**age
    return weights / weights.mean()


class Classifier:
    """One label (agency, category, …): a calibrated linear SVM over the shared features.

    Fitted in `folds` stratified folds: each fold's class-balanced SVM scores the reports it held
    out, so every training report gets an out-of-fold decision. Those decisions then serve for

    - calibration: one Platt sigmoid per class, fitted on all out-of-fold decisions at once (a
      rare office with 15 reports gets a sigmoid from 15 positives, not from the 5 of one fold);
    - per-class offsets (tune_bias): the SVM's margins are not equally reliable for every class;
      a small offset per class, chosen to maximise macro-F1 on the out-of-fold predictions (never
      on the test), moves the borderline reports of rare classes where they belong, when offsets
      tuned on the older rows also help on the newest ones (offsets_carry_over).

    The folds' SVMs are averaged into one weight matrix (a linear model, so the mean of their
    decisions), keeping per class only the largest `weight_density` share of weights, as a
    sparse matrix: a province has hundreds of agencies and tens of thousands of features, and
    dense weights would be hundreds of megabytes in every web process.

    Predicting is one sparse product and a few vector operations. The arrays are what gets
    pickled, so a saved model does not depend on scikit-learn's classifier classes.
    """

    def __init__(self, settings):
        self.settings = settings
        self.classes_ = np.array([])
        self.weights = None  # sparse (features × classes)
        self.intercepts = None  # (classes,)
        self.sigmoid_a = None  # (classes,): Platt scaling, p = 1 / (1 + exp(-(a·d + b)))
        self.sigmoid_b = None
        self.offsets = None  # (classes,): added to the log-probabilities before normalising
        self.returns = None  # Returns: reports sent back as "bukan wewenang", or None

    def fit(self, X, labels):
        """Fit on rows `X` (time order) with `labels`; classes with too few examples are left out.

        Returns False (and stays unfitted) when fewer than two classes are left.
        """
        from sklearn.model_selection import StratifiedKFold
        from sklearn.svm import LinearSVC
        from threadpoolctl import threadpool_limits

        labels = np.asarray(labels, dtype=object).astype(str)
        counts = Counter(labels.tolist())
        # A class needs two reports: each fold then trains on at least one of them (a fold may hold
        # none out, which only leaves its Platt fit a little less evidence).
        minimum = max(self.settings.min_class_size, 2)
        if sum(1 for c in counts.values() if c >= minimum) < 2:
            return False
        keep = np.array([counts[y] >= minimum for y in labels.tolist()], dtype=bool)
        X, labels = X[keep], labels[keep]
        classes, y = np.unique(labels, return_inverse=True)
        classes = np.array([str(c) for c in classes], dtype=object)
        n, k = len(y), len(classes)
        weights = recency_weights(n, self.settings.recency_half_life)
        seed = getattr(self.settings, "seed", RANDOM_STATE)
        folds = StratifiedKFold(n_splits=self.settings.folds, shuffle=True, random_state=seed)
        decision = np.zeros((n, k))
        nb_decision = np.zeros((n, k))
        coefs, intercepts, nb_coefs = [], [], []
        nb_weight = getattr(self.settings, "nb_weight", 0.0)
        with threadpool_limits(1):
            with warnings.catch_warnings():
                # "The least populated class has only 2 members": expected, see `minimum` above.
                warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
                splits = list(folds.split(np.zeros(n), y))
            for train, held_out in splits:
                svm = LinearSVC(
                    C=self.settings.C,
                    tol=getattr(self.settings, "tol", 1e-4),
                    class_weight=getattr(self.settings, "class_weight", None),
                    random_state=seed,
                )
                svm.fit(X[train], y[train], sample_weight=None if weights is None else weights[train])
                coef, intercept = _full_columns(svm, k)
                coefs.append(coef)
                intercepts.append(intercept)
                decision[held_out] = X[held_out] @ coef.T + intercept
                if nb_weight:
                    nb_coef, nb_intercept = self._member(X[train], y[train], k, weights, train)
                    nb_coefs.append((nb_coef, nb_intercept))
                    nb_decision[held_out] = X[held_out] @ nb_coef.T + nb_intercept
        self.classes_ = classes
        self.weights = _sparsest(np.mean(coefs, axis=0).T, self.settings.weight_density)
        self.intercepts = np.mean(intercepts, axis=0)
        self.sigmoid_a, self.sigmoid_b = platt(decision, y)
        self.isotonic = {}
        if getattr(self.settings, "isotonic_min", 0):
            from sklearn.isotonic import IsotonicRegression

            for j in np.flatnonzero(np.bincount(y, minlength=k) >= self.settings.isotonic_min):
                fitted = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4)
                fitted.fit(decision[:, j], (y == j).astype(float))
                self.isotonic[int(j)] = (fitted.X_thresholds_.copy(), fitted.y_thresholds_.copy())
        self.nb = None
        oof = self._calibrated(decision)
        if nb_weight:
            nb_a, nb_b = platt(nb_decision, y)
            member_coef = np.mean([c for c, _i in nb_coefs], axis=0).T.astype(np.float32)
            member_intercept = np.mean([i for _c, i in nb_coefs], axis=0)
            self.nb = (member_coef, nb_a, nb_b, member_intercept)
            oof = (1 - nb_weight) * oof + nb_weight * self._calibrated(nb_decision, sigmoid=(nb_a, nb_b))
        self.offsets = self._offsets(oof, y)
        return True

    def _member(self, X, y, k, weights, rows):
        """(coef k × features, intercept k) of the second member of the average, fitted on one fold:
        a complement naive Bayes, or a logistic regression (SGD, log loss, class-balanced)."""
        if getattr(self.settings, "member", "complement-nb") == "logistic":
            from sklearn.linear_model import SGDClassifier

            model = SGDClassifier(
                loss="log_loss",
                alpha=getattr(self.settings, "member_alpha", 1e-4),
                class_weight=getattr(self.settings, "class_weight", None),
                max_iter=getattr(self.settings, "member_epochs", 5),
                tol=None,
                random_state=getattr(self.settings, "seed", RANDOM_STATE),
            ).fit(X, y, sample_weight=None if weights is None else weights[rows])
            return _full_columns(model, k)
        from sklearn.naive_bayes import ComplementNB

        nb = ComplementNB(alpha=0.3).fit(X, y)
        coef = np.zeros((k, X.shape[1]))
        coef[nb.classes_] = nb.feature_log_prob_
        return coef, np.zeros(k)

    def _offsets(self, oof, y):
        """Per-class offsets from the out-of-fold probabilities (Settings.tune_bias), or zeros."""
        n, k = oof.shape
        tune = getattr(self.settings, "tune_bias", False)
        if not tune or k <= 2:
            return np.zeros(k)
        # The validation slice: the newest share of the rows (their out-of-fold predictions).
        recent = slice(n - max(1, int(round(n * getattr(self.settings, "tune_recent", 1.0)))), None)
        if tune != "auto":
            return tune_offsets(oof[recent], y[recent])
        if offsets_carry_over(oof, y, recent):  # checked on the newest rows, then tuned on all
            return tune_offsets(oof, y)
        return np.zeros(k)

    @property
    def is_fitted(self):
        return self.weights is not None

    def decision(self, X):
        return np.asarray((X @ self.weights).todense(), dtype=np.float64) + self.intercepts

    def _calibrated(self, decision, offsets=None, sigmoid=None):
        a, b = sigmoid or (self.sigmoid_a, self.sigmoid_b)
        # log of the Platt probability, computed without overflow
        log_p = -np.logaddexp(0.0, -(a * decision + b))
        if sigmoid is None:
            for j, (x, p) in getattr(self, "isotonic", {}).items():
                log_p[:, j] = np.log(np.interp(decision[:, j], x, p))
        if offsets is not None:
            log_p = log_p + offsets
        log_p -= log_p.max(axis=1, keepdims=True)
        proba = np.exp(log_p)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_proba(self, X):
        """Calibrated probabilities (rows × classes)."""
        proba = self._calibrated(self.decision(X))
        nb = getattr(self, "nb", None)
        if nb is not None:
            weight = self.settings.nb_weight
            nb_decision = np.asarray(X @ nb[0], dtype=np.float64) + (nb[3] if len(nb) > 3 else 0.0)
            proba = (1 - weight) * proba + weight * self._calibrated(nb_decision, sigmoid=nb[1:3])
        offsets = getattr(self, "offsets", None)
        if offsets is not None and offsets.any():
            proba = proba * np.exp(offsets)
            proba /= proba.sum(axis=1, keepdims=True)
        returns = getattr(self, "returns", None)  # a bundle pickled before returns were kept has none
        if returns is not None:
            proba = lower(proba, *returns.penalty(X))
        return proba

    def explain(self, x_row, class_index, columns, limit=5, exclude=frozenset()):
        """The words and phrases of one row that pushed it most towards `class_index`, strongest first.

        Only what a person reads as a reason: whole words of the report and phrases of them
        (character n-grams are never shown), no function words, no phrase that begins or ends
        with one ("di distarcip" says "distarcip"), no placeholders, digits or lone letters, and
        nothing in `exclude` (the names of regions: "padang" says where, not what).
        """
        row = x_row.tocsr()
        named = [i for i, j in enumerate(row.indices.tolist()) if j in columns]
        if not named:
            return []
        idx = row.indices[named]
        values = row.data[named] * self.weights[idx][:, class_index].toarray().ravel()
        contributions = {}
        for j, value in zip(idx.tolist(), values.tolist(), strict=True):
            if value:
                name = columns[j]
                contributions[name] = contributions.get(name, 0.0) + value
        ranked = sorted(contributions.items(), key=lambda item: (-item[1], item[0]))
        out = []
        for name, contribution in ranked:
            if contribution <= 0 or len(out) >= limit:
                break
            if readable(name, exclude) and name not in out:
                out.append(name)
        return out


def readable(phrase, exclude=frozenset()):
    """True when `phrase` (a word or a word n-gram of the normalized text) explains to a person."""
    parts = phrase.split()
    if not parts:
        return False
    for part in parts:
        if len(part) < 3 or part.startswith("zz") or any(c.isdigit() for c in part) or part in exclude:
            return False
    return parts[0] not in NOT_A_REASON and parts[-1] not in NOT_A_REASON


# Function words (text.STOPWORDS) and a few more particles that never explain a routing.
NOT_A_REASON = textprep.STOPWORDS | frozenset(
    "saja hanya pula supaya tetapi bila apabila ketika lain sih dong deh kok kah".split()
)


def _full_columns(svm, k):
    """(coef k × features, intercept k) of a fitted LinearSVC, one row per class index 0..k-1."""
    coef, intercept = svm.coef_, svm.intercept_
    if coef.shape[0] == 1:  # binary: one row, for the second class
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    full_coef = np.zeros((k, coef.shape[1]), dtype=np.float64)
    full_intercept = np.full(k, -1.0)  # a class missing from a fold: far on the wrong side
    full_coef[svm.classes_] = coef
    full_intercept[svm.classes_] = intercept
    return full_coef, full_intercept


def platt(decision, y):
    """Platt scaling per class (one-vs-rest) on out-of-fold decisions: (a, b) with p = σ(a·d + b).

    Platt's smoothed targets ((N₊+1)/(N₊+2) and 1/(N₋+2)), so a class with few examples is not
    calibrated to certainty; all classes are fitted at once (the losses are independent).
    """
    n, k = decision.shape
    positive = np.zeros((n, k), dtype=bool)
    positive[np.arange(n), y] = True
    n_pos = positive.sum(axis=0)
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n - n_pos + 2.0))
    scale = max(float(np.abs(decision).std()), 1e-6)
    d = decision / scale

    def loss(a, b):
        z = a * d + b
        return (np.logaddexp(0.0, z) - target * z).sum(axis=0)

    # Newton's method on the two parameters of every class at once, halving a step that does not
    # lower that class's loss (Lin, Lin & Weng's version of Platt's algorithm, vectorised).
    a, b = np.ones(k), np.log((n_pos + 1.0) / (n - n_pos + 1.0))
    current = loss(a, b)
    for _iteration in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * d + b)))
        residual, curvature = p - target, p * (1.0 - p) + 1e-12
        g_a, g_b = (residual * d).sum(axis=0), residual.sum(axis=0)
        h_aa = (curvature * d * d).sum(axis=0) + 1e-9
        h_ab = (curvature * d).sum(axis=0)
        h_bb = curvature.sum(axis=0) + 1e-9
        det = h_aa * h_bb - h_ab * h_ab
        step_a = (h_bb * g_a - h_ab * g_b) / det
        step_b = (h_aa * g_b - h_ab * g_a) / det
        size = np.ones(k)
        improved = np.zeros(k, dtype=bool)
        new_a, new_b, new_loss = a.copy(), b.copy(), current.copy()
        for _halving in range(20):
            trial_a, trial_b = a - size * step_a, b - size * step_b
            trial = loss(trial_a, trial_b)
            better = ~improved & (trial < current - 1e-12)
            new_a[better], new_b[better], new_loss[better] = trial_a[better], trial_b[better], trial[better]
            improved |= better
            if improved.all():
                break
            size = np.where(improved, size, size / 2)
        if not improved.any() or np.max(current - new_loss) < 1e-10:
            a, b = new_a, new_b
            break
        a, b, current = new_a, new_b, new_loss
    return a / scale, b


def offsets_carry_over(oof, y, recent, margin=0.01):
    """True when offsets tuned on the older out-of-fold predictions raise macro-F1 on the newer ones
    (`recent`, a slice) by more than `margin`: per-class offsets are only worth it when they hold
    on reports they were not tuned on."""
    older = slice(0, recent.start)
    if recent.start is None or recent.start < 2:
        return False
    offsets = tune_offsets(oof[older], y[older])
    log_p = np.log(np.clip(oof[recent], 1e-12, None))
    truth = y[recent]
    before = _macro_f1(truth, log_p.argmax(axis=1), oof.shape[1])
    after = _macro_f1(truth, (log_p + offsets).argmax(axis=1), oof.shape[1])
    return after > before + margin


def _macro_f1(y, pred, k):
    support = np.bincount(y, minlength=k)
    tp = np.bincount(y[pred == y], minlength=k)
    denominator = support + np.bincount(pred, minlength=k)
    return float(np.mean(np.divide(2 * tp, denominator, out=np.zeros(k), where=denominator > 0)))


def tune_offsets(proba, y, steps=(-1.0, -0.5, 0.5, 1.0), rounds=2):
    """Per-class log-probability offsets that raise macro-F1 of argmax(log p + offset) on (proba, y).

    Coordinate ascent over a small grid: each class's offset moves only when it raises macro-F1
    on these (out-of-fold) predictions; ties keep the offset at zero. Vectorised: the F1 of a
    candidate is computed from the confusion counts, not by re-running a metric function.
    """
    _n, k = proba.shape
    log_p = np.log(np.clip(proba, 1e-12, None))
    offsets = np.zeros(k)

    def macro_f1(pred):
        return _macro_f1(y, pred, k)

    best = macro_f1((log_p + offsets).argmax(axis=1))
    for _round in range(rounds):
        moved = False
        for j in range(k):
            for step in steps:
                candidate = offsets.copy()
                candidate[j] += step
                score = macro_f1((log_p + candidate).argmax(axis=1))
                if score > best + 1e-9:
                    best, offsets, moved = score, candidate, True
        if not moved:
            break
    return offsets


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


class Returns:
    """Reports a label's value sent back as not its authority: negative evidence for that value.

    When an agency returns a report as "bukan wewenang", the router should not propose it again
    for reports that read the same. Each return is kept as the word TF-IDF row of its text (unit
    length, so a product is a cosine); a report whose closest return to agency A has cosine s
    gets A's probability multiplied by 1 − strength · clip((s − floor) / (1 − floor), 0, 1), and
    the probabilities are normalised again. The returned report itself (s = 1) keeps
    1 − strength of A's probability: A is lowered, not forbidden (a return can be a mistake).
    One sparse product per batch: a few hundred microseconds for thousands of returns.
    """

    def __init__(self, rows, columns, floor, strength):
        self.rows_t = rows.T.tocsr().astype(np.float32)  # (word columns × returns)
        self.columns = columns  # class index of each return
        self.floor = floor
        self.strength = strength

    @classmethod
    def build(cls, word_rows, labels, classes, settings):
        """Returns of `labels` (values unknown to the classifier are dropped), or None if none is left."""
        index = {str(c): j for j, c in enumerate(classes)}
        keep = [i for i, label in enumerate(labels) if str(label) in index]
        if not keep:
            return None
        columns = np.array([index[str(labels[i])] for i in keep], dtype=np.int64)
        return cls(word_rows[keep], columns, settings.return_floor, settings.return_strength)

    def penalty(self, X):
        """(rows × classes) share to take away from each class's probability, 0 where nothing alike."""
        n_words = self.rows_t.shape[0]
        similarity = (X[:, :n_words] @ self.rows_t).tocoo()
        strength = np.clip((similarity.data - self.floor) / (1.0 - self.floor), 0.0, 1.0) * self.strength
        return similarity.row, self.columns[similarity.col], strength


def lower(proba, rows, columns, strength):
    """`proba` with proba[rows, columns] multiplied by (1 − strength), the largest strength per
    cell counting, each row normalised again."""
    if not len(strength):
        return proba
    taken = np.zeros(proba.shape)
    np.maximum.at(taken, (rows, columns), strength)
    proba = proba * (1.0 - taken)
    return proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-300)


# A label routed within another: agencies within the category (a road repair goes to public works,
# street lighting to transport, a school to education), as verifiers route.
HIERARCHY = {"agency": "category"}


class Hierarchy:
    """Routing within a parent label: P(child | parent), counted on the reports that have both.

    A report's child probabilities (the agency model's) are multiplied by
    (Σ_c P(c | report) · P(child | c) / P(child)) ** weight and normalised again: P(c | report) is the parent
    model's prediction, or certain when a verifier already chose the category. The table is
    smoothed with `smoothing` pseudo-reports per parent, spread as the children are overall, so a
    pair never seen together is made unlikely, not impossible.
    """

    def __init__(self, parent, table, weight):
        self.parent = parent  # the parent label's name
        self.table = table  # (parent classes × child classes): P(child | parent) / P(child)
        self.weight = weight

    @classmethod
    def build(cls, parent, pairs, parent_classes, child_classes, settings):
        """From [(parent label, child label)] of the training rows with both; None without any."""
        parent_index = {str(c): i for i, c in enumerate(parent_classes)}
        child_index = {str(c): j for j, c in enumerate(child_classes)}
        counts = np.zeros((len(parent_classes), len(child_classes)))
        for p, c in pairs:
            if str(p) in parent_index and str(c) in child_index:
                counts[parent_index[str(p)], child_index[str(c)]] += 1
        if not counts.any() or not settings.hierarchy_weight:
            return None
        overall = counts.sum(axis=0) + 1.0
        overall /= overall.sum()
        alpha = settings.hierarchy_smoothing
        table = (counts + alpha * overall) / (counts.sum(axis=1, keepdims=True) + alpha)
        # As a ratio to how often each child is chosen at all: the child model is class-balanced,
        # and a parent that says nothing about the child (a row like the overall shares) leaves it be.
        return cls(parent, table / overall, settings.hierarchy_weight)

    def apply(self, child_proba, parent_proba):
        prior = parent_proba @ self.table
        proba = child_proba * prior**self.weight
        return proba / proba.sum(axis=1, keepdims=True)


def _probabilities(bundle, X, known=None):
    """{label name: (rows × classes) probabilities} of every classifier of `bundle` on rows `X`.

    A label with a Hierarchy is routed within its parent: the parent's probabilities, or the
    parent value in `known` ({name: label}, one row) when a verifier already set it.
    """
    out = {name: classifier.predict_proba(X) for name, classifier in bundle.classifiers.items()}
    for name, link in getattr(bundle, "hierarchy", {}).items():
        if name not in out or link.parent not in out:
            continue
        parent_proba = out[link.parent]
        value = (known or {}).get(link.parent)
        classes = list(bundle.classifiers[link.parent].classes_)
        if value is not None and str(value) in classes:
            parent_proba = np.zeros_like(parent_proba)
            parent_proba[:, classes.index(str(value))] = 1.0
        out[name] = link.apply(out[name], parent_proba)
    return out


@dataclass
class Bundle:
    """What one training run produces: the shared features and one classifier per label."""

    settings: Settings
    features: Features
    classifiers: dict = field(default_factory=dict)  # label name → Classifier
    trained_on: dict = field(default_factory=dict)  # label name → number of rows
    hierarchy: dict = field(default_factory=dict)  # label name → Hierarchy (routed within its parent)

    def dumps(self):
        """The bundle as bytes (pickle), and their SHA-256: the same data gives the same bytes."""
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        return payload, hashlib.sha256(payload).hexdigest()

    @staticmethod
    def loads(payload):
        # The payload comes from our own database row, written by train_model; whoever can write
        # that row can already run code here, so unpickling it adds no new trust.
        return pickle.loads(payload)  # noqa: S301


def train_bundle(texts, labels_by_name, meta=None, settings=None, titles=None, returns=None, hierarchy=None):
    """Fit the features on all `texts` (time order), then one classifier per label.

    `labels_by_name` maps a label name ("agency", "category") to a list aligned with `texts`, with
    None where a row has no value for that label. `titles`, when given, are the reports' titles
    (also part of `texts`), weighed again on their own. `returns` maps a label name to
    (texts, labels) of reports that label's value sent back as not its authority ("bukan
    wewenang", oldest first): negative evidence for it on alike reports (Returns). `hierarchy`
    maps a label to the label it is routed within (default HIERARCHY: agencies within categories).
    """
    settings = settings or Settings()
    features = Features(settings)
    normalized = features.normalize(texts)
    X = features.fit_transform(normalized, meta, features.normalize(titles) if titles else None)
    bundle = Bundle(settings=settings, features=features)
    for name, labels in labels_by_name.items():
        rows = np.array([i for i, y in enumerate(labels) if y is not None], dtype=int)
        if len(rows) < 2:
            continue
        classifier = Classifier(settings)
        if classifier.fit(X[rows], [labels[i] for i in rows]):
            bundle.classifiers[name] = classifier
            bundle.trained_on[name] = int(len(rows))
            returned_texts, returned_labels = (returns or {}).get(name) or ((), ())
            if len(returned_texts):
                keep = slice(-settings.max_returns, None)
                words = features.text.transform(features.normalize(list(returned_texts)[keep]))[0]
                labels_kept = list(returned_labels)[keep]
                classifier.returns = Returns.build(words, labels_kept, classifier.classes_, settings)
    for child, parent in (HIERARCHY if hierarchy is None else hierarchy).items():
        if child in bundle.classifiers and parent in bundle.classifiers:
            pairs = [
                (p, c)
                for p, c in zip(labels_by_name[parent], labels_by_name[child], strict=True)
                if p is not None and c is not None
            ]
            parent_classes = bundle.classifiers[parent].classes_
            link = Hierarchy.build(
                parent, pairs, parent_classes, bundle.classifiers[child].classes_, settings
            )
            if link is not None:
                bundle.hierarchy[child] = link
    return bundle


@dataclass
class Prediction:
    """The top labels of one report, with probabilities, and the words behind the first one."""

    top: list  # [(label, probability)], most likely first
    words: list


def _rows(bundle, texts, meta=None, titles=None):
    features = bundle.features
    normalized = features.normalize(texts)
    normalized_titles = features.normalize(titles) if titles is not None and features.has_title else None
    return features.transform(normalized, meta, normalized_titles)


def predict(
    bundle, text, meta=None, *, title=None, k=3, explain=5, exclude=frozenset(), returned=None, known=None
):
    """Predict every label of `bundle` for one text: {label name: Prediction}.

    `exclude`: words never given as a reason (the region names of the instance). `returned`:
    {label name: values that already sent this very report back}, lowered as a return of an
    identical report is (Returns), also when the return came after the model was trained.
    `known`: {label name: value} a verifier already chose (the category: agencies within it).
    """
    X = _rows(bundle, [text], [meta or []], None if title is None else [title])
    columns = bundle.features.word_columns() if explain else None
    probabilities = _probabilities(bundle, X, known)
    out = {}
    for name, classifier in bundle.classifiers.items():
        proba = probabilities[name]
        gone = [j for j, c in enumerate(classifier.classes_) if c in (returned or {}).get(name, ())]
        if gone:
            strength = np.full(len(gone), bundle.settings.return_strength)
            proba = lower(proba, np.zeros(len(gone), dtype=np.int64), np.array(gone), strength)
        proba = proba[0]
        order = np.argsort(-proba, kind="stable")[:k]
        top = [(classifier.classes_[i], float(proba[i])) for i in order]
        words = classifier.explain(X, order[0], columns, explain, exclude) if explain else []
        out[name] = Prediction(top=top, words=words)
    return out


def predict_many(bundle, texts, meta=None, titles=None, name="label"):
    """(classes, probabilities rows × classes) of label `name` for many texts, in one batch."""
    classifier = bundle.classifiers[name]
    return classifier.classes_, classifier.predict_proba(_rows(bundle, texts, meta, titles))


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


# Confidence levels at which the held-out precision curve is kept with a model (auto-routing, see
# services.auto_route_bar): from 0.30 to 0.99 in steps of 0.01.
CURVE_LEVELS = tuple(round(0.30 + 0.01 * i, 2) for i in range(70))


def precision_curve(confidence, correct, levels=CURVE_LEVELS):
    """[[confidence, share of reports at or above it, precision among them], …] for each level."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    n = len(correct)
    curve = []
    for level in levels:
        taken = confidence >= level - 1e-12
        count = int(taken.sum())
        if not count:
            break
        curve.append([level, round(count / n, 4), round(float(correct[taken].mean()), 4), count])
    return curve


def metrics_from_proba(classes, proba, truth):
    """accuracy, macro-F1, top-3 accuracy, coverage at 95 % precision (and its threshold) of a batch."""
    from sklearn.metrics import f1_score

    classes = np.asarray(classes, dtype=object)
    truth = np.asarray([str(y) for y in truth], dtype=object)
    order = np.argsort(-proba, axis=1, kind="stable")[:, :3]
    predicted = classes[order[:, 0]]
    confidence = proba[np.arange(len(truth)), order[:, 0]]
    correct = predicted == truth
    top3 = (classes[order] == truth[:, None]).any(axis=1)
    covered, threshold = _covered(confidence, correct, 0.95)
    return {
        "n_test": len(truth),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "top3_accuracy": round(float(top3.mean()), 4),
        "coverage_at_95_precision": round(covered, 4),
        "threshold_at_95_precision": None if threshold is None else round(threshold, 4),
        "precision_curve": precision_curve(confidence, correct),
    }


def score(bundle, texts, labels_by_name, meta=None, titles=None):
    """Metrics of each of the bundle's classifiers on held-out rows (None labels are skipped)."""
    X = _rows(bundle, texts, meta, titles)
    probabilities = _probabilities(bundle, X)
    out = {}
    for name, classifier in bundle.classifiers.items():
        labels = labels_by_name.get(name, [])
        rows = [i for i, y in enumerate(labels) if y is not None]
        if not rows:
            continue
        proba = probabilities[name][rows]
        out[name] = metrics_from_proba(classifier.classes_, proba, [labels[i] for i in rows])
    return out


def temporal_split(rows, test_fraction):
    """First part for training, the rest for testing (rows already in time order)."""
    if not 0 < test_fraction < 1:
        raise ValueError("test fraction must be between 0 and 1")
    n_test = max(1, int(round(len(rows) * test_fraction)))
    if n_test >= len(rows):
        raise ValueError("not enough rows to split")
    return rows[:-n_test], rows[-n_test:]


SUMMARY = (
    "accuracy",
    "macro_f1",
    "coverage_at_95_precision",
    "top3_accuracy",
    "ms_per_report",
    "train_seconds",
)


def evaluate(train_texts, train_labels, test_texts, test_labels, settings=None, *, titles=None, parents=None):
    """Train on the first set and score the second: Jembatan's model, as `triage evaluate` prints it.

    `titles`: (train titles, test titles) when the texts have them. `parents`: the training rows'
    parent labels (the category of an agency, None where unknown): the labels are then routed
    within the predicted parent (Hierarchy), the parent model's training and prediction counted
    in the times. The test reports are predicted as one batch (the evaluation's own speed; a
    single suggestion takes the per-report path of predict()).
    """
    train_titles, test_titles = titles or (None, None)
    labels = {"label": list(train_labels)}
    if parents is not None:
        labels["parent"] = list(parents)
    started = time.perf_counter()
    bundle = train_bundle(
        train_texts, labels, settings=settings, titles=train_titles, hierarchy={"label": "parent"}
    )
    train_seconds = time.perf_counter() - started
    if "label" not in bundle.classifiers:
        raise ValueError("need at least two labels with enough examples to train")
    started = time.perf_counter()
    proba = _probabilities(bundle, _rows(bundle, test_texts, titles=test_titles))["label"]
    ms_per_report = (time.perf_counter() - started) * 1000 / max(1, len(test_texts))
    classes = bundle.classifiers["label"].classes_
    result = metrics_from_proba(classes, proba, test_labels)
    return _summary(result, train_texts, test_texts, classes, ms_per_report, train_seconds)


def evaluate_baseline(train_texts, train_labels, test_texts, test_labels, *, seed=RANDOM_STATE):
    """The ten-line baseline of issue 21, on the same split: what every change is measured against.

    TF-IDF word 1–2-grams (min_df=2, sublinear tf) of the raw text, a class-balanced LinearSVC
    (C=0.5), calibrated with 5-fold CalibratedClassifierCV (sigmoid); classes with fewer than five
    training reports are left out (5-fold calibration needs five).
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC
    from threadpoolctl import threadpool_limits

    counts = Counter(str(y) for y in train_labels)
    kept = [(t, str(y)) for t, y in zip(train_texts, train_labels, strict=True) if counts[str(y)] >= 5]
    if len({y for _t, y in kept}) < 2:
        raise ValueError("need at least two labels with enough examples to train")
    with threadpool_limits(1):
        started = time.perf_counter()
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        X = vectorizer.fit_transform([t for t, _y in kept])
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
        model = CalibratedClassifierCV(svm, cv=folds).fit(X, [y for _t, y in kept])
        train_seconds = time.perf_counter() - started
        started = time.perf_counter()
        proba = model.predict_proba(vectorizer.transform(test_texts))
        ms_per_report = (time.perf_counter() - started) * 1000 / max(1, len(test_texts))
    result = metrics_from_proba(model.classes_, proba, test_labels)
    return _summary(result, train_texts, test_texts, model.classes_, ms_per_report, train_seconds)


def _summary(result, train_texts, test_texts, classes, ms_per_report, train_seconds):
    return {
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "classes": len(classes),
        **{key: result[key] for key in ("accuracy", "macro_f1", "top3_accuracy", "coverage_at_95_precision")},
        "ms_per_report": round(ms_per_report, 4),
        "train_seconds": round(train_seconds, 3),
    }
