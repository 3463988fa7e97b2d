"""`manage.py triage train|evaluate|activate|list|reindex|prune`: the routing model and duplicate index.

    manage.py triage train [--no-activate] [--dry-run] [--note TEXT] [--if-none]
    manage.py triage evaluate --csv PATH --text-column C [--text-column C2] --label-column L
                              [--order-column C] [--test-fraction 0.2] [--min-class-size N]
    manage.py triage activate VERSION
    manage.py triage list
    manage.py triage reindex
    manage.py triage prune [--keep 5] [--commit]

`evaluate` trains on the first part of a labelled CSV (ordered by --order-column: a temporal split)
and prints one JSON object: n_train, n_test, classes, accuracy, macro_f1, top3_accuracy,
coverage_at_95_precision, ms_per_report, train_seconds. It touches no database.
"""

import csv
import datetime as dt
import json
import sys
import warnings

from django.core.management.base import BaseCommand, CommandError

from jembatan.triage import actions, duplicates, learning
from jembatan.triage.models import TriageModel

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y")


class Command(BaseCommand):
    help = "Train, evaluate and switch the triage routing model; rebuild the duplicate index."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        train = sub.add_parser("train", help="train a new version on the verified history")
        train.add_argument("--no-activate", action="store_true", help="keep the current version active")
        train.add_argument("--dry-run", action="store_true", help="train and measure, store nothing")
        train.add_argument("--note", default="")
        train.add_argument(
            "--if-none", action="store_true", help="only when no model is active yet (set-up scripts)"
        )

        evaluate = sub.add_parser("evaluate", help="temporal-split evaluation on a labelled CSV")
        evaluate.add_argument("--csv", required=True, dest="path")
        evaluate.add_argument("--text-column", required=True, action="append", dest="text_columns")
        evaluate.add_argument("--label-column", required=True)
        evaluate.add_argument("--order-column")
        evaluate.add_argument("--test-fraction", type=float, default=0.2)
        evaluate.add_argument("--min-class-size", type=int, default=1, help="drop rarer labels first")

        activate = sub.add_parser("activate", help="make VERSION the active model")
        activate.add_argument("version", type=int)

        sub.add_parser("list", help="list the stored versions")
        sub.add_parser("reindex", help="rebuild the duplicate index from every report")

        prune = sub.add_parser("prune", help="drop the payload of old inactive versions")
        prune.add_argument("--keep", type=int, default=5)
        prune.add_argument("--commit", action="store_true", help="without it, only say what would go")

    def handle(self, *args, subcommand, **options):
        try:
            getattr(self, f"handle_{subcommand}")(**options)
        except actions.TriageError as error:
            raise CommandError(str(error)) from None

    # --- train / activate / list / reindex / prune ------------------------------------------------------

    def handle_train(self, *, no_activate, dry_run, note, if_none=False, **_options):
        if if_none and TriageModel.objects.active().exists():
            self.stdout.write("a model is already active: nothing to train")
            return
        if dry_run:
            from jembatan.triage import training

            data = training.build_dataset()
            n_test = int(round(len(data) * actions.HOLDOUT_FRACTION))
            if n_test < actions.MIN_HOLDOUT_ROWS:
                raise CommandError(f"{len(data)} reports: too few to hold some out")
            head, tail = data.head(len(data) - n_test), data.tail(n_test)
            bundle = learning.train_bundle(head.texts, head.labels, head.facts)
            self.stdout.write(
                json.dumps(learning.score(bundle, tail.texts, tail.labels, tail.facts), indent=2)
            )
            return
        model = actions.train_model(note=note, activate=not no_activate)
        self.stdout.write(
            f"v{model.version}: {model.trained_on.get('reports')} reports, {model.size_bytes / 1e6:.1f} MB, "
            f"{model.train_seconds:.1f} s, {'active' if model.is_active else 'not active'}"
        )
        self.stdout.write(json.dumps(model.metrics, indent=2))

    def handle_activate(self, *, version, **_options):
        model = actions.activate_model(version=version)
        self.stdout.write(f"v{model.version} is active")

    def handle_list(self, **_options):
        rows = TriageModel.objects.without_payload().order_by("-version")
        if not rows:
            self.stdout.write("no models yet: manage.py triage train")
        for m in rows:
            agency = m.metrics.get("agency", {})
            accuracy = agency.get("accuracy", "-")
            coverage = agency.get("coverage_at_95_precision", "-")
            threshold = agency.get("threshold_at_95_precision", "-")
            self.stdout.write(
                f"{'*' if m.is_active else ' '} v{m.version:<4} {m.created_at:%Y-%m-%d %H:%M}  "
                f"{m.trained_on.get('reports', 0):>7} reports  classes {m.trained_on.get('classes', {})}  "
                f"agency acc {accuracy} cov@95 {coverage} threshold@95 {threshold}  "
                f"{m.size_bytes / 1e6:.1f} MB{'' if m.size_bytes else ' (pruned)'}  {m.note}"
            )

    def handle_reindex(self, **_options):
        count = duplicates.rebuild_index()
        self.stdout.write(f"duplicate index rebuilt: {count} reports")

    def handle_prune(self, *, keep, commit, **_options):
        if not commit:
            old = (
                TriageModel.objects.without_payload()
                .filter(is_active=False, payload__isnull=False)
                .order_by("-version")[keep:]
            )
            self.stdout.write(f"would drop the payload of {len(old)} versions (--commit to do it)")
            return
        self.stdout.write(f"dropped the payload of {actions.prune_models(keep=keep)} versions")

    # --- evaluate --------------------------------------------------------------------------------------

    def handle_evaluate(
        self, *, path, text_columns, label_column, order_column, test_fraction, min_class_size, **_o
    ):
        rows = read_labelled_csv(path, text_columns, label_column, order_column)
        if min_class_size > 1:
            counts = {}
            for _text, label in rows:
                counts[label] = counts.get(label, 0) + 1
            rows = [(t, y) for t, y in rows if counts[y] >= min_class_size]
        try:
            train, test = learning.temporal_split(rows, test_fraction)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # one JSON object on stdout, and nothing else anywhere
                result = learning.evaluate(
                    [t for t, _y in train],
                    [y for _t, y in train],
                    [t for t, _y in test],
                    [y for _t, y in test],
                )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(result))


def read_labelled_csv(path, text_columns, label_column, order_column=None):
    """[(text, label)] from a CSV, in the order of `order_column` (stable), rows without either skipped."""
    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            wanted = [*text_columns, label_column, *([order_column] if order_column else [])]
            if unknown := [c for c in wanted if c not in columns]:
                raise CommandError(f"no column {', '.join(unknown)} in {path}; columns: {', '.join(columns)}")
            records = list(reader)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    rows = []
    for record in records:
        text = ". ".join((record.get(c) or "").strip() for c in text_columns if (record.get(c) or "").strip())
        label = (record.get(label_column) or "").strip()
        if text and label:
            rows.append((text, label, (record.get(order_column) or "").strip() if order_column else ""))
    if order_column:
        keys = _sort_keys([order for _t, _l, order in rows])
        rows = [row for _key, row in sorted(zip(keys, rows, strict=True), key=lambda pair: pair[0])]
    return [(text, label) for text, label, _order in rows]


def _sort_keys(values):
    """Numbers sort as numbers, dates as dates, anything else as text (the whole column alike)."""
    try:
        return [float(v) for v in values]
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return [dt.datetime.strptime(v, fmt) for v in values]
        except ValueError:
            continue
    return values
