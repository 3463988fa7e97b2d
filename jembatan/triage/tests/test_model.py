"""The routing model itself: calibration, speed path, determinism, explanations, metrics."""

import random

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from jembatan.triage import actions, learning
from jembatan.triage.tests.factories import TOPICS, complaint


@pytest.fixture(scope="module")
def corpus():
    """90 short complaints about three topics, in a seeded order (the 'time' order)."""
    rng = random.Random(3)
    rows = []
    for _i in range(30):
        for topic in TOPICS:
            title, body = complaint(rng, topic)
            rows.append((f"{title}. {body}", topic))
    rng.shuffle(rows)
    return [t for t, _y in rows], [y for _t, y in rows]


@pytest.fixture(scope="module")
def bundle(corpus):
    texts, labels = corpus
    return learning.train_bundle(texts[:75], {"topic": labels[:75]})


def test_probabilities_are_calibrated_and_sum_to_one(bundle, corpus):
    texts, labels = corpus
    prediction = learning.predict(bundle, texts[80], k=3)["topic"]
    assert [label for label, _p in prediction.top][0] == labels[80]
    assert sum(p for _label, p in prediction.top) == pytest.approx(1.0)
    assert all(0 < p < 1 for _label, p in prediction.top)


def test_fast_prediction_equals_scikit_learns_calibrated_classifier(corpus):
    # With every weight kept and one SVM, our arrays must give scikit-learn's probabilities exactly.
    texts, labels = corpus
    settings = learning.Settings(weight_density=1.0, ensemble=False)
    bundle = learning.train_bundle(texts[:75], {"topic": labels[:75]}, settings=settings)
    X_train = bundle.features.transform(bundle.features.normalize(texts[:75]))
    X_test = bundle.features.transform(bundle.features.normalize(texts[75:]))
    svm = LinearSVC(C=settings.C, random_state=learning.RANDOM_STATE)
    reference = CalibratedClassifierCV(svm, cv=settings.folds, ensemble=False)
    reference.fit(
        X_train, labels[:75], sample_weight=learning.recency_weights(75, settings.recency_half_life)
    )
    ours = bundle.classifiers["topic"].predict_proba(X_test)
    np.testing.assert_allclose(ours, reference.predict_proba(X_test), atol=1e-4)


def test_only_the_largest_weights_are_kept(bundle):
    weights = bundle.classifiers["topic"].weights
    assert weights.nnz <= int(np.ceil(weights.shape[0] * 0.1)) * weights.shape[1]


def test_fast_features_equal_the_vectorizers_own(bundle, corpus):
    texts, _labels = corpus
    normalized = bundle.features.normalize(texts)
    theirs = sp.hstack(
        [bundle.features.word.transform(normalized), bundle.features.char.transform(normalized)]
    )
    assert abs(bundle.features.transform(normalized) - theirs).max() < 1e-6


def test_same_data_gives_the_same_model_bit_for_bit(corpus):
    texts, labels = corpus
    first = learning.train_bundle(texts, {"topic": labels}).dumps()
    second = learning.train_bundle(texts, {"topic": labels}).dumps()
    assert first[1] == second[1] and first[0] == second[0]


def test_a_saved_model_predicts_like_the_one_in_memory(bundle, corpus):
    texts, _labels = corpus
    payload, _fingerprint = bundle.dumps()
    loaded = learning.Bundle.loads(payload)
    assert learning.predict(loaded, texts[77])["topic"] == learning.predict(bundle, texts[77])["topic"]


def test_explanation_names_words_of_the_report(bundle):
    prediction = learning.predict(bundle, "Parkir liar. juru parkir liar memungut biaya tanpa karcis")[
        "topic"
    ]
    assert prediction.top[0][0] == "parking"
    assert prediction.words and set(" ".join(prediction.words).split()) <= {
        "parkir", "liar", "juru", "memungut", "biaya", "tanpa", "karcis",
    }  # fmt: skip


def test_labels_with_too_few_examples_are_left_out():
    texts = [f"jalan rusak nomor {i}" for i in range(6)] + ["puskesmas tutup", "puskesmas tutup lagi"]
    labels = ["jalan"] * 3 + ["lampu"] * 3 + ["sehat"] * 2
    bundle = learning.train_bundle(texts, {"x": labels})
    assert sorted(bundle.classifiers["x"].classes_) == ["jalan", "lampu"]


def test_recent_reports_weigh_more():
    weights = learning.recency_weights(100, 0.35)
    assert weights[-1] > weights[0] and weights.mean() == pytest.approx(1.0)
    assert weights[-1] / weights[-36] == pytest.approx(2.0, rel=0.03)


@pytest.mark.parametrize(
    ("confidence", "correct", "expected"),
    [
        ([0.9, 0.8, 0.7, 0.6], [1, 1, 1, 1], 1.0),
        ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1], 0.5),
        ([0.9, 0.8, 0.7, 0.6], [0, 1, 1, 1], 0.0),
        ([0.9, 0.9, 0.7, 0.6], [1, 0, 1, 1], 0.0),  # a tie is taken whole
        ([0.5] * 20 + [0.4], [1] * 19 + [0, 0], 20 / 21),  # 19 of 20 = 95 %
        ([], [], 0.0),
    ],
)
def test_coverage_at_95_precision(confidence, correct, expected):
    assert learning.coverage_at_precision(confidence, correct) == pytest.approx(expected)


def test_threshold_at_95_precision_is_the_last_confidence_taken():
    assert learning.threshold_at_precision([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 1]) == 0.8
    assert learning.threshold_at_precision([0.9], [0]) is None


def test_training_without_history_is_refused(db):
    with pytest.raises(actions.TriageError):
        actions.train_model()
