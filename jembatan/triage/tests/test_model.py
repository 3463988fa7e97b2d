"""The routing model itself: calibration, speed path, determinism, explanations, metrics."""

import random

import numpy as np
import pytest
import scipy.sparse as sp

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


def test_platt_scaling_equals_scikit_learns_sigmoid_calibration():
    # Our vectorised Platt fit (all classes at once) must find scikit-learn's sigmoids, class by class.
    from sklearn.calibration import _SigmoidCalibration

    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 300)
    decision = rng.normal(size=(300, 4))
    decision[np.arange(300), y] += 1.5
    a, b = learning.platt(decision, y)
    for j in range(4):
        reference = _SigmoidCalibration().fit(decision[:, j], (y == j).astype(int))
        # scikit-learn's convention is p = 1 / (1 + exp(a·d + b)), ours p = 1 / (1 + exp(-(a·d + b)))
        assert a[j] == pytest.approx(-reference.a_, rel=1e-4)
        assert b[j] == pytest.approx(-reference.b_, rel=1e-4, abs=1e-6)


def test_text_vectorizer_equals_scikit_learns_word_and_char_wb_tfidf(corpus):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, _labels = corpus
    normalized = [learning.textprep.normalize(t) for t in texts]
    train, test = normalized[:60], normalized[60:] + ["kata baru zzz jalanan2 berlubangg"]
    ours = learning.TextVectorizer((1, 2), (2, 4))
    ours_train = ours.fit_transform(train)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)
    theirs_train = [words.fit_transform(train), chars.fit_transform(train)]
    assert ours.vocabulary_ == words.vocabulary_ and ours.char_vocabulary_ == chars.vocabulary_
    for mine, theirs in zip(ours_train, theirs_train, strict=True):
        assert abs(mine - theirs).max() < 1e-6
    # New texts, words never seen in training among them; one at a time gives the same rows.
    for mine, theirs in zip(
        ours.transform(test), [words.transform(test), chars.transform(test)], strict=True
    ):
        assert abs(mine - theirs).max() < 1e-6
    single = sp.vstack([ours.transform([t])[1] for t in test])
    assert abs(single - chars.transform(test)).max() < 1e-6


def test_an_empty_text_or_one_of_unknown_words_still_gets_probabilities(bundle):
    for text in ("", "   ", "zzzq xxyq"):
        top = learning.predict(bundle, text, k=3)["topic"].top
        assert sum(p for _label, p in top) == pytest.approx(1.0)


def test_only_the_largest_weights_are_kept(bundle):
    weights = bundle.classifiers["topic"].weights
    assert weights.nnz <= int(np.ceil(weights.shape[0] * 0.1)) * weights.shape[1]


def test_one_report_and_a_batch_get_the_same_probabilities(bundle, corpus):
    texts, _labels = corpus
    classes, batch = learning.predict_many(bundle, texts[75:], name="topic")
    for text, row in zip(texts[75:], batch, strict=True):
        top = dict(learning.predict(bundle, text, k=3, explain=0)["topic"].top)
        assert [top[c] for c in classes] == pytest.approx(row.tolist(), abs=1e-6)


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


def test_explanations_are_whole_words_without_function_words_or_places():
    assert learning.readable("jalan berlubang") and learning.readable("distarcip")
    for fragment in ("di distarcip", "jalan di", "e ktp", "rt 000", "zztelepon", "di"):
        assert not learning.readable(fragment), fragment
    assert not learning.readable("padang", exclude={"padang"})
    assert not learning.readable("jalan padang", exclude={"padang"})


def test_an_explanation_leaves_out_the_excluded_region_words(corpus):
    texts, labels = corpus
    rows = [
        (f"{t} di Kelurahan Andalas", y) if y == "road" else (t, y)
        for t, y in zip(texts, labels, strict=True)
    ]
    bundle = learning.train_bundle([t for t, _y in rows], {"topic": [y for _t, y in rows]})
    text = "Jalan berlubang di Andalas. aspal jalan di Andalas hancur dan berlubang"
    words = learning.predict(bundle, text, explain=10)["topic"].words
    assert "andalas" in " ".join(words)
    words = learning.predict(bundle, text, explain=10, exclude={"andalas", "kelurahan"})["topic"].words
    assert words and "andalas" not in " ".join(words)


def test_labels_seen_only_once_are_left_out_and_twice_is_enough():
    texts = [f"jalan rusak nomor {i}" for i in range(6)] + ["puskesmas tutup", "puskesmas tutup lagi"]
    texts.append("sampah menumpuk")
    labels = ["jalan"] * 3 + ["lampu"] * 3 + ["sehat"] * 2 + ["sampah"]
    bundle = learning.train_bundle(texts, {"x": labels})
    assert sorted(bundle.classifiers["x"].classes_) == ["jalan", "lampu", "sehat"]


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


POTHOLES = [
    ("Jalan berlubang", "Jalan di depan pasar berlubang besar, sudah banyak pengendara motor yang jatuh."),
    ("Lubang di jalan", "ada lubang besar di tengah jalan dekat sekolah, berbahaya malam hari karena gelap"),
    ("Aspal jalan hancur", "aspal jalan sudah hancur sejak musim hujan, lubangnya dalam dan tergenang air"),
]


@pytest.fixture(scope="module")
def demo_bundle():
    """The demo province's 300 texts (jembatan/ops/data/demo_texts.json) with their categories and facts."""
    import json

    from jembatan.ops.demo_reports import TEXTS_FILE

    texts = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    facts = [[f"city:{t['region'][:5]}", "channel:web", f"kind:{t['kind']}"] for t in texts]
    return learning.train_bundle(
        [f"{t['title']}. {t['description']}" for t in texts],
        {"category": [t["category"] for t in texts]},
        facts,
        titles=[t["title"] for t in texts],
    )


@pytest.mark.parametrize(("title", "body"), POTHOLES)
def test_demo_model_ranks_jalan_berlubang_above_penerangan_jalan_for_a_pothole(demo_bundle, title, body):
    prediction = learning.predict(
        demo_bundle, f"{title}. {body}", ["city:13.71", "channel:web", "kind:pengaduan"], title=title, k=10
    )["category"]
    ranked = [label for label, _p in prediction.top]
    assert ranked[0] == "1397"  # Jalan Berlubang
    assert "1398" not in ranked or ranked.index("1398") > ranked.index("1397")  # Penerangan Jalan
    # The reasons are words and phrases of the report, never "jalan di" or "dalam dan".
    assert prediction.words and all(learning.readable(w) for w in prediction.words)
    assert set(" ".join(prediction.words).split()) & {"berlubang", "lubang", "lubangnya", "aspal"}


def test_suggesting_imports_no_scikit_learn(bundle, tmp_path):
    # The URLconf imports services.py; scikit-learn costs more than a second to import, and a saved
    # model predicts with numpy and scipy alone.
    import subprocess
    import sys
    from pathlib import Path

    payload = tmp_path / "model.pickle"
    payload.write_bytes(bundle.dumps()[0])
    script = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jembatan.settings')\n"
        "django.setup()\n"
        "from jembatan.triage import actions, learning, services\n"
        f"bundle = learning.Bundle.loads(open({str(payload)!r}, 'rb').read())\n"
        "top = learning.predict(bundle, 'Parkir liar. juru parkir liar tanpa karcis')['topic'].top\n"
        "assert top[0][0] == 'parking', top\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_held_out_scores_keep_the_precision_curve_for_the_auto_routing_bar(bundle, corpus):
    texts, labels = corpus
    metrics = learning.score(bundle, texts[75:], {"topic": labels[75:]})["topic"]
    curve = metrics["precision_curve"]
    assert curve and curve[0][0] == 0.3
    levels, shares = [c[0] for c in curve], [c[1] for c in curve]
    assert levels == sorted(levels) and shares == sorted(shares, reverse=True)
    assert all(0 <= precision <= 1 and count >= 1 for _level, _share, precision, count in curve)
    assert curve[0][3] == round(curve[0][1] * metrics["n_test"])


def test_precision_curve_counts_the_reports_at_or_above_each_confidence():
    curve = learning.precision_curve([0.95, 0.8, 0.6, 0.4], [1, 1, 0, 1], levels=(0.5, 0.9))
    assert curve == [[0.5, 0.75, 0.6667, 3], [0.9, 0.25, 1.0, 1]]


def test_returns_lower_the_returned_label_for_alike_texts_only(corpus):
    texts, labels = corpus
    road = next(t for t, y in zip(texts, labels, strict=True) if y == "road")
    health = next(t for t, y in zip(texts, labels, strict=True) if y == "health")
    plain = learning.train_bundle(texts[:75], {"topic": labels[:75]})
    with_return = learning.train_bundle(
        texts[:75], {"topic": labels[:75]}, returns={"topic": ([road], ["road"])}
    )
    classes = list(plain.classifiers["topic"].classes_)
    _c, before = learning.predict_many(plain, [road, health], name="topic")
    _c, after = learning.predict_many(with_return, [road, health], name="topic")
    r, h = classes.index("road"), classes.index("health")
    # The returned text itself: the road's odds against any other topic fall by 1 − strength.
    strength = learning.Settings().return_strength
    assert after[0, r] / after[0, h] == pytest.approx((1 - strength) * before[0, r] / before[0, h], rel=1e-3)
    # A text about something else shares too few words with it to be touched.
    assert after[1] == pytest.approx(before[1])


def test_returns_of_a_label_the_model_does_not_know_are_dropped(corpus):
    texts, labels = corpus
    bundle = learning.train_bundle(
        texts[:75], {"topic": labels[:75]}, returns={"topic": (["apa saja"], ["kebun"])}
    )
    assert bundle.classifiers["topic"].returns is None


def test_a_category_that_says_nothing_about_the_agency_leaves_the_agency_model_be():
    settings = learning.Settings(hierarchy_weight=1.0, hierarchy_smoothing=2.0)
    # Category "x" goes to agencies a and b as often as they occur overall; "y" only to b.
    pairs = [("x", "a"), ("x", "b"), ("x", "a"), ("x", "b"), ("y", "b"), ("y", "b")]
    link = learning.Hierarchy.build("category", pairs, ["x", "y"], ["a", "b"], settings)
    agency = np.array([[0.7, 0.3]])
    assert link.apply(agency, np.array([[0.5, 0.5]])).sum() == pytest.approx(1.0)
    within_y = link.apply(agency, np.array([[0.0, 1.0]]))[0]
    within_x = link.apply(agency, np.array([[1.0, 0.0]]))[0]
    assert within_y[1] > 0.3 and within_x[0] > 0.7  # y favours b; x, where a is relatively common, a
    assert within_y[0] > 0  # never seen together: unlikely, not impossible


def test_agencies_are_proposed_within_a_known_category(corpus):
    texts, labels = corpus
    # The agency follows the topic, except that parking reports went to two offices alike.
    agencies = [
        {"road": "pu", "health": "dinkes"}.get(y, "dishub" if i % 2 else "satpol")
        for i, y in enumerate(labels)
    ]
    bundle = learning.train_bundle(texts[:75], {"agency": agencies[:75], "category": labels[:75]})
    assert bundle.hierarchy["agency"].parent == "category"
    road = "Jalan berlubang. jalan di depan pasar berlubang, parkir liar juga di sana"
    free = dict(learning.predict(bundle, road, k=4, explain=0)["agency"].top)
    within = dict(learning.predict(bundle, road, k=4, explain=0, known={"category": "parking"})["agency"].top)
    assert within["dishub"] + within["satpol"] > free["dishub"] + free["satpol"]
    assert within["pu"] < free["pu"]


def _skewed(rng, n, favoured):
    """Out-of-fold probabilities of three classes where `favoured` wins the close calls of class 2."""
    y = rng.integers(0, 3, n)
    proba = np.full((n, 3), 0.1)
    proba[np.arange(n), y] = 0.8
    close = y == 2
    proba[close, 2], proba[close, favoured] = 0.45, 0.5
    return proba / proba.sum(axis=1, keepdims=True), y


def test_offsets_are_kept_only_when_they_hold_on_the_newest_rows():
    rng = np.random.default_rng(1)
    # The same skew all along: offsets tuned on the older rows fix the newer ones too.
    proba, y = _skewed(rng, 200, favoured=0)
    assert learning.offsets_carry_over(proba, y, slice(100, None))
    # The skew changes sides: what the older rows teach does not hold on the newer ones.
    older, y_older = _skewed(rng, 100, favoured=0)
    newer, y_newer = _skewed(rng, 100, favoured=1)
    newer[y_newer == 2, 0] = 0.0  # class 0 never competes in the newer rows
    proba, y = np.vstack([older, newer]), np.concatenate([y_older, y_newer])
    assert not learning.offsets_carry_over(proba, y, slice(100, None))


@pytest.mark.parametrize("member", ["complement-nb", "logistic"])
def test_an_ensemble_member_is_averaged_after_calibration(corpus, member):
    texts, labels = corpus
    settings = learning.Settings(nb_weight=0.3, member=member)
    bundle = learning.train_bundle(texts[:75], {"topic": labels[:75]}, settings=settings)
    classifier = bundle.classifiers["topic"]
    assert classifier.nb is not None and classifier.nb[0].shape == (classifier.weights.shape[0], 3)
    classes, proba = learning.predict_many(bundle, texts[75:], name="topic")
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.mean(classes[proba.argmax(axis=1)] == np.array(labels[75:])) >= 0.9


def test_loading_the_urlconf_and_running_check_imports_no_scikit_learn():
    # Every management command that loads the URLconf (check, migrate, the server) would pay the
    # second or more that importing scikit-learn costs; only training and evaluation may.
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jembatan.settings')\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "from django.core.management import call_command\n"
        "get_resolver().url_patterns\n"
        "call_command('check', stdout=open(os.devnull, 'w'))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'threadpoolctl', 'joblib'}))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
