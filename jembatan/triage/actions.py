"""State changes of triage: training a routing model version, switching the active one, pruning.

A model version is never changed after it is written; activating one is a single transaction that
clears the previous active flag and sets the new one (a partial unique constraint guarantees at most
one), so a suggestion is always made by exactly one complete version.
"""

import logging
import time

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.triage import learning, training
from jembatan.triage.models import TriageModel

logger = logging.getLogger(__name__)

# The most recent share of the history held out to measure a new version before it is fitted on all.
HOLDOUT_FRACTION = 0.2
MIN_HOLDOUT_ROWS = 20
# A weekly retraining replaces the active version only if it is not clearly worse on its own held-out
# reports; a worse one is kept, inactive, for an administrator to look at.
MAX_ACCURACY_DROP = 0.05


class TriageError(Exception):
    """A triage request that cannot be carried out; the message is for the user."""


def train_model(
    *, actor=None, note="", activate=True, only_if_not_worse=False, settings=None, using="default"
):
    """Train a new model version on the instance's verified history and store it (active by default)."""
    data = training.build_dataset(using=using)
    counts = data.counts()
    if counts["agency"] < 2 and counts["category"] < 2:
        raise TriageError(_("Belum ada riwayat laporan terverifikasi yang cukup untuk melatih model."))
    settings = settings or learning.Settings()
    started = time.perf_counter()
    metrics = {}
    n_test = int(round(len(data) * HOLDOUT_FRACTION))
    if n_test >= MIN_HOLDOUT_ROWS:
        # Measure on the most recent reports with a model that has not seen them, then fit on all.
        head, tail = data.head(len(data) - n_test), data.tail(n_test)
        trial = learning.train_bundle(
            head.texts, head.labels, head.facts, settings, titles=head.titles, returns=head.returns_by_label()
        )
        metrics = learning.score(trial, tail.texts, tail.labels, tail.facts, titles=tail.titles)
    bundle = learning.train_bundle(
        data.texts, data.labels, data.facts, settings, titles=data.titles, returns=data.returns_by_label()
    )
    if not bundle.classifiers:
        raise TriageError(
            _("Setiap instansi/kategori memerlukan paling sedikit dua laporan untuk dipelajari.")
        )
    payload, fingerprint = bundle.dumps()
    seconds = time.perf_counter() - started
    with transaction.atomic(using=using):
        for _attempt in range(3):
            version = (TriageModel.objects.using(using).aggregate(v=Max("version"))["v"] or 0) + 1
            try:
                with transaction.atomic(using=using):
                    model = TriageModel.objects.using(using).create(
                        version=version,
                        payload=payload,
                        fingerprint=fingerprint,
                        size_bytes=len(payload),
                        library_version=_sklearn_version(),
                        trained_on={
                            **counts,
                            "reports": len(data),
                            "returns": len(data.returns),
                            "classes": _class_counts(bundle),
                        },
                        metrics=metrics,
                        train_seconds=round(seconds, 2),
                        note=(note or "")[:200],
                        trained_by=actor,
                    )
                break
            except IntegrityError:  # two trainings at once took the same number: take the next
                continue
        else:  # pragma: no cover
            raise TriageError(_("Gagal menyimpan versi model baru."))
        if activate:
            current = TriageModel.objects.using(using).select_for_update().active().without_payload().first()
            if only_if_not_worse and current and _clearly_worse(model.metrics, current.metrics):
                logger.warning(
                    "triage model v%s is worse than v%s on held-out reports; not activated",
                    model.version,
                    current.version,
                )
            else:
                _activate(model, actor, using)
    return model


def _sklearn_version():
    from importlib.metadata import version

    return version("scikit-learn")


def _class_counts(bundle):
    return {name: len(classifier.classes_) for name, classifier in bundle.classifiers.items()}


def _clearly_worse(new, old):
    new_acc = (new.get("agency") or {}).get("accuracy")
    old_acc = (old.get("agency") or {}).get("accuracy")
    return new_acc is not None and old_acc is not None and new_acc < old_acc - MAX_ACCURACY_DROP


def _activate(model, actor, using):
    TriageModel.objects.using(using).filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    model.is_active = True
    model.activated_at = timezone.now()
    model.activated_by = actor
    model.save(using=using, update_fields=["is_active", "activated_at", "activated_by"])


def activate_model(*, version, actor=None, using="default"):
    """Make model `version` the one that suggests (the previous one is kept)."""
    with transaction.atomic(using=using):
        model = (
            TriageModel.objects.using(using)
            .select_for_update()
            .without_payload()
            .filter(version=version)
            .first()
        )
        if model is None:
            raise TriageError(_("Versi model %(version)s tidak ada.") % {"version": version})
        if not TriageModel.objects.using(using).filter(pk=model.pk, payload__isnull=False).exists():
            raise TriageError(
                _("Model versi %(version)s sudah dipangkas dan tidak dapat diaktifkan.")
                % {"version": version}
            )
        if not model.is_active:
            _activate(model, actor, using)
    return model


def prune_models(*, keep=5, using="default"):
    """Drop the stored payload of all but the newest `keep` inactive versions (their metrics stay)."""
    with transaction.atomic(using=using):
        keep_ids = list(
            TriageModel.objects.using(using)
            .filter(is_active=False)
            .order_by("-version")
            .values_list("pk", flat=True)[:keep]
        )
        return (
            TriageModel.objects.using(using)
            .filter(is_active=False, payload__isnull=False)
            .exclude(pk__in=keep_ids)
            .update(payload=None)
        )
