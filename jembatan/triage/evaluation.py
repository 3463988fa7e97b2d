"""`manage.py triage evaluate`: Jembatan's routing model against the ten-line baseline, on one split.

Both models are trained on the same oldest part of a labelled set and scored on the same newest
part (a temporal split, as the future comes), with the same metrics (learning.metrics_from_proba)
and their speed measured in the same run, so every change to the model is judged against the
simplest honest alternative (issue 21). With several seeds each model is trained once per seed
(fold assignment and solver order change, the split does not): the spread over the seeds is the
run-to-run noise, and a difference counts only when it is larger than that noise.
"""

import re
import statistics
from dataclasses import dataclass

from jembatan.triage import learning

# The national system's header, as bench/bench_triage.py reads it: "Yth. <instansi>, <br><br>".
_HEADER = re.compile(r"^\s*yth\.?\s*(.+?)\s*,\s*(?:<br\s*/?>\s*)+", re.I | re.S)
MAX_ADDRESSEE = 120
# Speed: Jembatan's model may take up to this many times the baseline's time (issue 21).
MAX_SLOWDOWN = 3.0
QUALITY = ("accuracy", "macro_f1", "coverage_at_95_precision", "top3_accuracy")
SPEED = ("ms_per_report", "train_seconds")
NAMES = {
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "coverage_at_95_precision": "coverage at 95% precision",
    "top3_accuracy": "top-3 accuracy",
    "ms_per_report": "ms per report",
    "train_seconds": "training seconds",
}


@dataclass(frozen=True)
class Row:
    text: str  # the title (when there is one) and the text
    label: str
    title: str = ""
    parent: str = ""  # the label this one is routed within (an agency's category), "" if unknown


def header_label(body):
    """(addressee, body without the header) of a LAPOR! body; ("", body) when it has no usable header.

    The addressee is lower-cased with its spaces collapsed; an informal opening longer than
    MAX_ADDRESSEE characters names no agency reliably and gives no label.
    """
    match = _HEADER.match(body or "")
    if not match or len(match.group(1)) > MAX_ADDRESSEE:
        return "", body
    return re.sub(r"\s+", " ", match.group(1).strip().lower()), body[match.end() :]


def compare(rows, *, test_fraction=0.2, seeds=1, use_titles=False, settings=None):
    """Both models on the temporal split of `rows`, once per seed: {"baseline", "jembatan", …}.

    Each model's entry has, per metric, the value of every run ("runs") and their mean and
    standard deviation; "verdict" says per metric whether Jembatan is better by more than the
    noise (quality) or within MAX_SLOWDOWN × the baseline (speed).
    """
    train, test = learning.temporal_split(list(rows), test_fraction)
    train_texts, train_labels = [r.text for r in train], [r.label for r in train]
    test_texts, test_labels = [r.text for r in test], [r.label for r in test]
    titles = ([r.title for r in train], [r.title for r in test]) if use_titles else None
    parents = [r.parent or None for r in train] if any(r.parent for r in train) else None
    runs = {"baseline": [], "jembatan": []}
    base_settings = settings or learning.Settings()
    for index in range(seeds):
        seed = learning.RANDOM_STATE + index
        runs["baseline"].append(
            learning.evaluate_baseline(train_texts, train_labels, test_texts, test_labels, seed=seed)
        )
        ours = learning.Settings(**{**base_settings.__dict__, "seed": seed})
        runs["jembatan"].append(
            learning.evaluate(
                train_texts, train_labels, test_texts, test_labels, ours, titles=titles, parents=parents
            )
        )
    first = runs["jembatan"][0]
    result = {
        "n_train": first["n_train"],
        "n_test": first["n_test"],
        "classes": {name: values[0]["classes"] for name, values in runs.items()},
        "seeds": seeds,
    }
    for name, values in runs.items():
        result[name] = {
            key: {
                "runs": [v[key] for v in values],
                "mean": round(statistics.fmean(v[key] for v in values), 4),
                "sd": round(statistics.stdev(v[key] for v in values), 4) if seeds > 1 else None,
            }
            for key in (*QUALITY, *SPEED)
        }
    result["verdict"] = verdict(result["baseline"], result["jembatan"])
    return result


def verdict(baseline, ours):
    """{metric: True/False/None}: better than the baseline by more than the noise, or fast enough.

    Quality: the difference of the means must exceed the larger standard deviation of the two
    (None with a single seed: no noise measured, nothing can be claimed). Speed: at most
    MAX_SLOWDOWN × the baseline's mean time.
    """
    out = {}
    for key in QUALITY:
        b, o = baseline[key], ours[key]
        if b["sd"] is None:
            out[key] = None
        else:
            out[key] = o["mean"] - b["mean"] > max(b["sd"], o["sd"])
    for key in SPEED:
        out[key] = ours[key]["mean"] <= MAX_SLOWDOWN * baseline[key]["mean"]
    return out


def table(result, *, title=""):
    """The comparison as a text table for the terminal."""
    seeds = result["seeds"]
    lines = [
        f"{title}: {result['n_train']} train / {result['n_test']} test (temporal split), "
        f"classes baseline {result['classes']['baseline']} / Jembatan {result['classes']['jembatan']}, "
        f"{seeds} seed{'s' if seeds > 1 else ''}",
        f"{'':<28}{'baseline':>18}{'Jembatan':>18}   verdict",
    ]
    for key in (*QUALITY, *SPEED):
        b, o = result["baseline"][key], result["jembatan"][key]
        ok = result["verdict"][key]
        if key in SPEED:
            ratio = o["mean"] / b["mean"] if b["mean"] else float("inf")
            note = f"{ratio:.1f}× the baseline ({'ok' if ok else 'too slow'}: ≤ {MAX_SLOWDOWN:g}×)"
        elif ok is None:
            note = f"{o['mean'] - b['mean']:+.3f} (one seed: no noise measured, use --seeds 3)"
        else:
            noise = max(b["sd"], o["sd"])
            note = f"{o['mean'] - b['mean']:+.3f} vs noise {noise:.3f}: {'better' if ok else 'not better'}"
        lines.append(f"{NAMES[key]:<28}{_cell(b, key):>18}{_cell(o, key):>18}   {note}")
    return "\n".join(lines)


def _cell(values, key):
    digits = 3 if key in QUALITY else (3 if key == "ms_per_report" else 2)
    if values["sd"] is None:
        return f"{values['mean']:.{digits}f}"
    return f"{values['mean']:.{digits}f} ± {values['sd']:.{digits}f}"
