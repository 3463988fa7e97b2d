"""`manage.py triage train|evaluate|activate|list|reindex|prune`: the routing model and duplicate index.

    manage.py triage train [--no-activate] [--dry-run] [--note TEXT] [--if-none]
    manage.py triage evaluate --csv PATH --text-column C [--text-column C2] [--title-column T]
                              (--label-column L | --label-from-header) [--order-column C]
                              [--test-fraction 0.2] [--min-class-size N] [--seeds 3] [--json]
    manage.py triage activate VERSION
    manage.py triage list
    manage.py triage autoroute
    manage.py triage reindex
    manage.py triage prune [--keep 5] [--commit]
    manage.py triage evaluate-duplicates --csv PATH [--audience verifier|citizen] [--model PATH]
    manage.py triage build-idf --csv PATH [--text-column isi] [--out PATH]
    manage.py triage fit-duplicates --csv PATH [--folds 5] [--c 1.0] [--out PATH] [--dry-run]

`evaluate` trains on the first part of a labelled CSV (ordered by --order-column: a temporal split)
both Jembatan's model and the baseline of issue 21 (TF-IDF word 1–2-grams, min_df=2, sublinear tf,
a class-balanced LinearSVC with C=0.5, calibrated with 5-fold CalibratedClassifierCV), and prints
them side by side: accuracy, macro-F1, coverage at 95 % precision, top-3 accuracy, ms per report
(the test set predicted as one batch) and training seconds. With --seeds N both are trained N
times with different seeds (fold assignment, solver order) and each number is the mean ± the
standard deviation over the runs: the run-to-run noise a difference has to beat. --json prints
one JSON object instead. --label-from-header takes the label from the national system's
"Yth. <instansi>," header (and removes it from the text), as bench/bench_triage.py does for the
LAPOR! 2017 reports. It touches no database.

`evaluate-duplicates` loads a duplicate gold set (columns id, group, text, region, submitted_at,
latitude, longitude; optional category) into a temporary in-memory store, runs the duplicate
look-up for every row against the others with the product's rules (triage/dupeval.py) and prints
one JSON object: pairs, precision, recall, f1 (pairs found at the audience's threshold against the
pairs of each group), ms_per_lookup, and the recall of the gold pairs that are near-copies.
`build-idf` counts in how many texts of a reference corpus each stem occurs (the shipped table is
from ../shared/data/lapor-2017-reports.csv, MIT): the look-up's word weights. `fit-duplicates`
fits the duplicate score's weights on such a gold set, prints the grouped cross-validation and
writes the coefficients file (triage/data/duplicate_model.json by default).
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
        evaluate.add_argument("--title-column", help="the title, weighed apart from the text")
        labels = evaluate.add_mutually_exclusive_group(required=True)
        labels.add_argument("--label-column")
        labels.add_argument(
            "--label-from-header",
            action="store_true",
            help='the addressee of a "Yth. <instansi>," header is the label (the header is removed)',
        )
        evaluate.add_argument(
            "--parent-column",
            help="a label the label is routed within (an agency's category): hierarchical routing",
        )
        evaluate.add_argument("--order-column")
        evaluate.add_argument("--test-fraction", type=float, default=0.2)
        evaluate.add_argument("--min-class-size", type=int, default=1, help="drop rarer labels first")
        evaluate.add_argument("--seeds", type=int, default=1, help="runs with different seeds (noise)")
        evaluate.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON object instead of a table"
        )

        activate = sub.add_parser("activate", help="make VERSION the active model")
        activate.add_argument("version", type=int)

        sub.add_parser("list", help="list the stored versions")
        sub.add_parser(
            "autoroute", help="the active model's auto-routing bar, the share it would route, its error rate"
        )
        sub.add_parser("reindex", help="rebuild the duplicate index from every report")

        dup_eval = sub.add_parser("evaluate-duplicates", help="duplicate look-up on a gold-set CSV (JSON)")
        dup_eval.add_argument("--csv", required=True, dest="path")
        dup_eval.add_argument(
            "--audience", choices=[duplicates.VERIFIER, duplicates.CITIZEN], default="verifier"
        )
        dup_eval.add_argument(
            "--model", dest="model_path", help="a coefficients file (default: the shipped one)"
        )
        dup_idf = sub.add_parser("build-idf", help="the duplicate look-up's word weights from a corpus CSV")
        dup_idf.add_argument("--csv", required=True, dest="path")
        dup_idf.add_argument("--text-column", default="isi")
        dup_idf.add_argument("--out", default=None)
        dup_fit = sub.add_parser("fit-duplicates", help="fit the duplicate score on a gold-set CSV")
        dup_fit.add_argument("--csv", required=True, dest="path")
        dup_fit.add_argument("--folds", type=int, default=5)
        dup_fit.add_argument("--c", type=float, default=1.0, dest="c", help="inverse regularisation strength")
        dup_fit.add_argument("--out", default=None, help="where to write the coefficients")
        dup_fit.add_argument("--dry-run", action="store_true", help="print, write nothing")

        prune = sub.add_parser("prune", help="drop the payload of old inactive versions")
        prune.add_argument("--keep", type=int, default=5)
        prune.add_argument("--commit", action="store_true", help="without it, only say what would go")

    def handle(self, *args, subcommand, **options):
        from jembatan.triage.dupeval import GoldSetError

        try:
            getattr(self, f"handle_{subcommand.replace('-', '_')}")(**options)
        except (actions.TriageError, GoldSetError) as error:
            raise CommandError(str(error)) from None

    # --- duplicates ------------------------------------------------------------------------------------

    def handle_evaluate_duplicates(self, *, path, audience, model_path=None, **_options):
        from jembatan.triage import dupeval, dupscore

        model = dupscore.load_model(model_path) if model_path else None
        self.stdout.write(json.dumps(dupeval.evaluate(path, model=model, audience=audience)))

    def handle_build_idf(self, *, path, text_column, out, **_options):
        from pathlib import Path

        from jembatan.triage import wording

        csv.field_size_limit(sys.maxsize)
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                texts = [row.get(text_column) or "" for row in csv.DictReader(handle)]
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        table = wording.document_frequencies(texts)
        target = Path(out) if out else wording.IDF_PATH
        target.write_text(
            json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        self.stdout.write(f"{len(table['df'])} stems from {table['documents']} texts written to {target}")

    def handle_fit_duplicates(self, *, path, folds, c, out, dry_run, **_options):
        from pathlib import Path

        from jembatan.triage import dupeval, dupscore

        model = dupeval.fit(path, folds=folds, c=c)
        text = json.dumps(model.to_json(), indent=2)
        self.stdout.write(text)
        if not dry_run:
            target = Path(out) if out else dupscore.MODEL_PATH
            target.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"written to {target}")

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
            bundle = learning.train_bundle(head.texts, head.labels, head.facts, titles=head.titles)
            scores = learning.score(bundle, tail.texts, tail.labels, tail.facts, titles=tail.titles)
            self.stdout.write(json.dumps(scores, indent=2))
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
        from jembatan.triage import services

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
            self.stdout.write(f"        {services.auto_route_bar(m.metrics).describe()}")

    def handle_autoroute(self, **_options):
        from django.conf import settings

        from jembatan.triage import services

        bar = services.active_auto_route_bar()
        if bar is None:
            self.stdout.write("no active model: nothing is routed automatically")
            return
        state = "on" if settings.TRIAGE_AUTO_ROUTE else "off (TRIAGE_AUTO_ROUTE)"
        self.stdout.write(f"automatic routing is {state}; {bar.describe()}")
        agency = (TriageModel.objects.active().values_list("metrics", flat=True).first() or {}).get("agency")
        for level, share, precision, count in (agency or {}).get("precision_curve", [])[::10]:
            self.stdout.write(
                f"  confidence >= {level:.2f}: {share:>5.0%} of held-out reports ({count}), "
                f"{1 - precision:.1%} wrong"
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
        self,
        *,
        path,
        text_columns,
        title_column,
        label_column,
        label_from_header,
        parent_column,
        order_column,
        test_fraction,
        min_class_size,
        seeds,
        as_json,
        **_o,
    ):
        from jembatan.triage import evaluation

        if seeds < 1:
            raise CommandError("--seeds must be at least 1")
        rows = read_labelled_csv(
            path,
            text_columns,
            label_column,
            order_column,
            title_column,
            label_from_header=label_from_header,
            parent_column=parent_column,
        )
        if min_class_size > 1:
            counts = {}
            for row in rows:
                counts[row.label] = counts.get(row.label, 0) + 1
            rows = [row for row in rows if counts[row.label] >= min_class_size]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the report on stdout, and nothing else anywhere
                result = evaluation.compare(
                    rows, test_fraction=test_fraction, seeds=seeds, use_titles=bool(title_column)
                )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if as_json:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(evaluation.table(result, title=path))


def read_labelled_csv(
    path,
    text_columns,
    label_column=None,
    order_column=None,
    title_column=None,
    *,
    label_from_header=False,
    parent_column=None,
):
    """[Row(text, label, title, parent)] from a CSV, in the order of `order_column` (stable), rows
    without a text or a label skipped. The text starts with the title when there is one."""
    from jembatan.triage.evaluation import Row, header_label

    csv.field_size_limit(sys.maxsize)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            named = (label_column, order_column, title_column, parent_column)
            wanted = [*text_columns, *[c for c in named if c]]
            if unknown := [c for c in wanted if c not in columns]:
                raise CommandError(f"no column {', '.join(unknown)} in {path}; columns: {', '.join(columns)}")
            records = list(reader)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    rows = []
    for record in records:
        parts = [(record.get(c) or "").strip() for c in text_columns]
        if label_from_header:
            label, parts[0] = header_label(parts[0])
        else:
            label = (record.get(label_column) or "").strip()
        title = (record.get(title_column) or "").strip() if title_column else ""
        parent = (record.get(parent_column) or "").strip() if parent_column else ""
        text = ". ".join(p for p in [title, *parts] if p)
        if text and label:
            order = (record.get(order_column) or "").strip() if order_column else ""
            rows.append((Row(text, label, title, parent), order))
    if order_column:
        keys = _sort_keys([order for _row, order in rows])
        rows = [pair for _key, pair in sorted(zip(keys, rows, strict=True), key=lambda item: item[0])]
    return [row for row, _order in rows]


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
