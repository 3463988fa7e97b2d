"""`manage.py triage evaluate`: a temporal-split evaluation of any labelled CSV, as one JSON object."""

import csv
import io
import json
import random

import pytest
from django.core.management import CommandError, call_command

from jembatan.triage.tests.factories import TOPICS, complaint

KEYS = {
    "n_train",
    "n_test",
    "classes",
    "accuracy",
    "macro_f1",
    "top3_accuracy",
    "coverage_at_95_precision",
    "ms_per_report",
    "train_seconds",
}


@pytest.fixture
def labelled_csv(tmp_path):
    """45 complaints on three topics, then (by `nomor`, though first in the file) 5 about water."""
    rng = random.Random(11)
    rows = [
        {
            "judul": f"Air PDAM mati {i}",
            "isi": "air pdam tidak mengalir sejak pagi",
            "instansi": "PDAM",
            "nomor": 46 + i,
        }
        for i in range(5)
    ]
    topics = [topic for topic in TOPICS for _i in range(15)]
    rng.shuffle(topics)
    for number, topic in enumerate(topics, start=1):
        title, body = complaint(rng, topic)
        rows.append({"judul": title, "isi": body, "instansi": topic.upper(), "nomor": number})
    path = tmp_path / "laporan.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["nomor", "judul", "isi", "instansi"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def evaluate(path, *extra):
    out = io.StringIO()
    call_command(
        "triage",
        "evaluate",
        "--csv",
        str(path),
        "--text-column",
        "judul",
        "--text-column",
        "isi",
        "--label-column",
        "instansi",
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_evaluate_prints_exactly_one_json_object_with_the_metrics(labelled_csv):
    output = evaluate(labelled_csv, "--order-column", "nomor", "--test-fraction", "0.2")
    result = json.loads(output)
    assert output.strip().count("\n") == 0 and set(result) == KEYS
    assert (result["n_train"], result["n_test"]) == (40, 10)
    for key in ("accuracy", "macro_f1", "top3_accuracy", "coverage_at_95_precision"):
        assert 0.0 <= result[key] <= 1.0
    assert result["ms_per_report"] > 0 and result["train_seconds"] > 0


def test_evaluate_trains_on_the_past_and_tests_on_the_future(labelled_csv):
    # By `nomor` the water reports are the newest: the model never saw that label, and gets them wrong.
    temporal = json.loads(evaluate(labelled_csv, "--order-column", "nomor", "--test-fraction", "0.1"))
    assert (temporal["n_test"], temporal["classes"], temporal["accuracy"]) == (5, 3, 0.0)
    # In file order they come first, so they are learned.
    file_order = json.loads(evaluate(labelled_csv, "--test-fraction", "0.1"))
    assert file_order["classes"] == 4 and file_order["accuracy"] > 0.5


def test_evaluate_is_deterministic(labelled_csv):
    first = json.loads(evaluate(labelled_csv, "--order-column", "nomor"))
    second = json.loads(evaluate(labelled_csv, "--order-column", "nomor"))
    for key in KEYS - {"ms_per_report", "train_seconds"}:
        assert first[key] == second[key]


def test_evaluate_names_the_columns_when_one_is_missing(labelled_csv):
    with pytest.raises(CommandError, match="no column kategori.*columns: nomor, judul, isi, instansi"):
        call_command(
            "triage",
            "evaluate",
            "--csv",
            str(labelled_csv),
            "--text-column",
            "isi",
            "--label-column",
            "kategori",
        )


def test_evaluate_refuses_a_useless_split(labelled_csv):
    with pytest.raises(CommandError):
        evaluate(labelled_csv, "--test-fraction", "1.5")
