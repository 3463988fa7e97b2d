"""The public interface of triage: what the portal, the workbench, the API and the channels call.

    from jembatan.triage import services as triage

    triage.suggest(report)               -> Suggestion | None   top-3 agencies and categories, why
    triage.suggest_categories(text, region=...) -> [Choice]     hints while a report is written
    triage.should_auto_route(suggestion) -> bool                instance setting, off by default
    triage.find_duplicates(report)       -> [(Report, similarity)]
    triage.find_duplicates(text=..., region=..., date=...)      the same, before a report exists
    triage.completeness(report)          -> Completeness        .missing, .message (prefilled)
    triage.flags(report or text)         -> [Flag]              spam / abuse / SARA / unactionable
    triage.detect_personal_data(text)    -> [Span]              NIK, phone, e-mail, "nama saya X"
    triage.redact(text)                  -> str                 the public-page redaction

Everything here only reads: nothing is routed, merged, hidden or deleted by triage itself. The
workbench shows the suggestion and the verifier acts through reports/actions.py as usual (when
auto-routing is switched on, the caller that disposes is also a normal action call).

Speed: a suggestion takes a few milliseconds (the active model is loaded once per process and
reloaded when another version is activated); a duplicate lookup a few milliseconds more, at
a million reports (bench/bench_triage.py).
"""

import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings

from jembatan.triage import learning, training
from jembatan.triage import text as textprep
from jembatan.triage.duplicates import find_duplicates  # noqa: F401  (part of this interface)
from jembatan.triage.models import TriageModel
from jembatan.triage.pii import Span, detect_personal_data, redact  # noqa: F401
from jembatan.triage.quality import Completeness, Flag, FlagKind, completeness, word_flags  # noqa: F401

logger = logging.getLogger(__name__)

TOP = 3
EXPLAIN_WORDS = 5
# The archive model raises a flag from this probability on.
UNACTIONABLE_MIN_PROBABILITY = 0.5


@dataclass(frozen=True)
class Choice:
    """One proposed agency or category and its calibrated probability (0–1)."""

    item: object  # an Agency or a Category
    probability: float

    @property
    def pk(self):
        return self.item.pk

    @property
    def percent(self):
        return round(self.probability * 100)

    def hint(self):
        """What a form's suggestion button needs (suggest.js): id, name and percent, nothing else."""
        return {"id": self.pk, "name": self.item.name, "percent": self.percent}


@dataclass(frozen=True)
class Suggestion:
    """What the active model proposes for one report.

    `agencies` and `categories` hold up to three Choices, most likely first (inactive agencies
    and categories are left out). `words` are the words of the report that pushed the model most
    towards the first agency, `category_words` towards the first category: a short "why" for the
    verifier.
    """

    model_version: int
    agencies: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    words: list = field(default_factory=list)
    category_words: list = field(default_factory=list)

    @property
    def agency(self):
        return self.agencies[0] if self.agencies else None

    @property
    def category(self):
        return self.categories[0] if self.categories else None

    @property
    def confidence(self):
        """The probability of the first agency (0 when there is none)."""
        return self.agencies[0].probability if self.agencies else 0.0


class _ActiveModel:
    """The active bundle, loaded once per process and swapped when another version is activated."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = (None, None, None)  # ((pk, fingerprint), version, bundle), replaced as one

    def get(self):
        """(version, bundle) of the active model, or (None, None)."""
        _key, version, bundle = self.get_keyed()
        return version, bundle

    def get_keyed(self):
        """((pk, fingerprint), version, bundle) of the active model, or (None, None, None)."""
        row = TriageModel.objects.active().values_list("pk", "fingerprint", "version").first()
        if row is None:
            return None, None, None
        key, version, bundle = self.state
        if key != row[:2]:
            with self.lock:
                key, version, bundle = self.state
                if key != row[:2]:
                    payload = TriageModel.objects.filter(pk=row[0]).values_list("payload", flat=True).first()
                    if payload is None:
                        return None, None, None
                    key, version, bundle = row[:2], row[2], learning.Bundle.loads(bytes(payload))
                    self.state = (key, version, bundle)
        return key, version, bundle


_active = _ActiveModel()


def active_model():
    """(version, Bundle) of the active model, or (None, None)."""
    return _active.get()


def _predict(report=None, *, text=None, region=None, channel=None, kind=None):
    model_key, version, bundle = _active.get_keyed()
    if bundle is None:
        return None, {}
    if report is not None:
        text = training.report_text(report.title, report.description)
        region, channel, kind = report.region_id, report.channel, report.kind
    facts = training.report_facts(region_id=getattr(region, "code", region), channel=channel, kind=kind)
    key = (model_key, text or "", tuple(facts))
    with _recent_lock:
        hit = _recent.get(key)
    if hit is None:
        # More words than shown: some are dropped as unreadable (_words).
        hit = learning.predict(bundle, text or "", facts, k=TOP + 2, explain=3 * EXPLAIN_WORDS)
        with _recent_lock:
            _recent[key] = hit
            while len(_recent) > RECENT_PREDICTIONS:
                _recent.pop(next(iter(_recent)))
    return version, hit


# One prediction per (model, text, facts), the model named by its row and content fingerprint: the
# report page asks suggest() and flags() about the same report, and the portal asks again while a
# citizen types. A stored model never changes, so an entry never goes stale; the oldest go first.
# Callers only read the results.
RECENT_PREDICTIONS = 256
_recent = {}
_recent_lock = threading.Lock()


def _words(words, limit=EXPLAIN_WORDS):
    """The explaining words a person can read: no placeholders (a masked phone number, the footer's
    kind marker), no function words or lone letters ("di", "dan", the "e" of "e-KTP"); a
    two-word phrase loses its lone letter ("e ktp" reads "ktp"), and each word is shown once."""
    readable = []
    for w in words:
        parts = [p for p in w.split() if len(p) > 1]
        if not parts or any(p.startswith("zz") for p in parts):
            continue
        if all(p in textprep.STOPWORDS or p.isdigit() for p in parts):
            continue
        phrase = " ".join(parts)
        if phrase not in readable:
            readable.append(phrase)
    return readable[:limit]


def suggest(report=None, *, text=None, region=None, channel=None, kind=None):
    """The active model's proposal for `report` (or a text not yet saved); None without a model."""
    from jembatan.directory.models import Agency, Category

    version, predictions = _predict(report, text=text, region=region, channel=channel, kind=kind)
    if version is None:
        return None

    def choices(name, model):
        prediction = predictions.get(name)
        if prediction is None:
            return [], []
        objects = model.objects.filter(is_active=True).in_bulk([int(label) for label, _p in prediction.top])
        picked = [Choice(objects[int(label)], p) for label, p in prediction.top if int(label) in objects]
        # The words explain the model's first choice: only show them when that choice is shown.
        first_shown = bool(picked) and picked[0].pk == int(prediction.top[0][0])
        return picked[:TOP], _words(prediction.words) if first_shown else []

    agencies, words = choices("agency", Agency)
    categories, category_words = choices("category", Category)
    return Suggestion(
        model_version=version,
        agencies=agencies,
        categories=categories,
        words=words,
        category_words=category_words,
    )


# Below this a category suggestion shown while someone writes is more noise than help.
CATEGORY_HINT_MIN_PROBABILITY = 0.1


def suggest_categories(text, *, region=None, channel=None, minimum=CATEGORY_HINT_MIN_PROBABILITY):
    """Categories to offer while a report is being written (portal, officer intake): the model's
    top categories that can be chosen on a form (leaf categories), from `minimum` up, as Choices."""
    suggestion = suggest(text=text, region=region, channel=channel)
    return [
        choice
        for choice in (suggestion.categories if suggestion else [])
        if choice.item.parent_id is not None and choice.probability >= minimum
    ]


def should_auto_route(suggestion):
    """True when the instance routes automatically and the first agency is sure enough.

    Off unless settings.TRIAGE_AUTO_ROUTE is True; the bar is settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE
    (default 0.95; `manage.py triage list` shows, per version, the confidence down to which 95 % of
    held-out reports were routed right).
    """
    if not settings.TRIAGE_AUTO_ROUTE or suggestion is None or suggestion.agency is None:
        return False
    minimum = settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE
    return suggestion.confidence >= float(minimum)


def flags(report_or_text):
    """Spam, abuse and SARA flags from the word lists, plus the archive model's "likely unactionable"."""
    from django.utils.translation import gettext as _

    if isinstance(report_or_text, str) or report_or_text is None:
        text, report = report_or_text or "", None
    else:
        report = report_or_text
        text = training.report_text(report.title, report.description)
    found = word_flags(text)
    _version, predictions = _predict(report, text=text) if report is not None else _predict(text=text)
    prediction = predictions.get("archive")
    if prediction is not None:
        label, probability = prediction.top[0]
        if label != training.HANDLED and probability >= UNACTIONABLE_MIN_PROBABILITY:
            kind = FlagKind.SARA if label == "mengandung-sara" else FlagKind.UNACTIONABLE
            reason = _("Laporan serupa biasanya diarsipkan (%(reason)s).") % {
                "reason": _archive_reason_name(label)
            }
            found.append(
                Flag(
                    kind,
                    reason,
                    evidence=_words(prediction.words),
                    source="model",
                    score=round(probability, 3),
                )
            )
    return found


def _archive_reason_name(code):
    from jembatan.reports.models import ArchiveReason

    return ArchiveReason.objects.filter(code=code).values_list("name", flat=True).first() or code
