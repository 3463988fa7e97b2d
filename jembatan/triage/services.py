"""The public interface of triage: what the portal, the workbench, the API and the channels call.

    from jembatan.triage import services as triage

    triage.suggest(report)               -> Suggestion | None   top-3 agencies and categories, why
    triage.suggest_categories(text, region=...) -> [Choice]     hints while a report is written
    triage.should_auto_route(suggestion) -> bool                instance setting, off by default
    triage.find_duplicates(report)       -> [(Report, score)]   score: calibrated, ≥ the verifier threshold
    triage.find_duplicates(text=..., region=..., date=..., category=..., latitude=..., longitude=...,
                           audience="citizen")                  the same, before a report exists
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

from jembatan.reports.pii import Span, detect_personal_data, redact  # noqa: F401
from jembatan.triage import text as textprep
from jembatan.triage import training
from jembatan.triage.duplicates import find_duplicates  # noqa: F401  (part of this interface)
from jembatan.triage.models import TriageModel
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
                    from jembatan.triage import learning  # scikit-learn: only where a model runs

                    key, version, bundle = row[:2], row[2], learning.Bundle.loads(bytes(payload))
                    self.state = (key, version, bundle)
        return key, version, bundle


_active = _ActiveModel()


def active_model():
    """(version, Bundle) of the active model, or (None, None)."""
    return _active.get()


def _predict(report=None, *, text=None, title=None, region=None, channel=None, kind=None):
    model_key, version, bundle = _active.get_keyed()
    if bundle is None:
        return None, {}
    returned, known = frozenset(), None
    if report is not None:
        text = training.report_text(report.title, report.description)
        title = report.title
        region, channel, kind = report.region_id, report.channel, report.kind
        returned = _returned_by(report)
        # A category a verifier confirmed: the agencies are proposed within it (learning.Hierarchy).
        if report.category_id and report.verified_at:
            known = str(report.category_id)
    region_code = getattr(region, "code", region)
    facts = training.report_facts(region_id=region_code, channel=channel, kind=kind)
    key = (model_key, text or "", title or "", tuple(facts), returned, known)
    with _recent_lock:
        hit = _recent.get(key)
    if hit is None:
        # More words than shown: some are dropped as unreadable (_words).
        from jembatan.triage import learning  # scikit-learn: only where a model runs

        hit = learning.predict(
            bundle,
            text or "",
            facts,
            title=title,
            k=TOP + 2,
            explain=3 * EXPLAIN_WORDS,
            exclude=region_words(region_code),
            returned={"agency": returned},
            known={"category": known} if known else None,
        )
        with _recent_lock:
            _recent[key] = hit
            while len(_recent) > RECENT_PREDICTIONS:
                _recent.pop(next(iter(_recent)))
    return version, hit


def _returned_by(report):
    """The agencies (ids as the model's labels) that sent `report` back as "bukan wewenang": the
    model lowers them for this report at once, before any retraining learns from the return."""
    from jembatan.reports.models import Disposition, DispositionStatus

    if report.pk is None:
        return frozenset()
    agencies = Disposition.objects.filter(report=report, status=DispositionStatus.BUKAN_WEWENANG).values_list(
        "agency_id", flat=True
    )
    return frozenset(str(a) for a in agencies)


# Words of region names say where a report is, not what it is about: "padang" or "andalas" is no
# reason to send it anywhere, and a verifier reads it as the model keying on the place. Left out of
# the explanations: the names of every province and kabupaten/kota (cached once per process) and
# of the report's own kecamatan and desa/kelurahan, and the words for the levels themselves.
REGION_LEVEL_WORDS = frozenset(
    "provinsi kabupaten kota kecamatan kelurahan desa nagari gampong kampung kab kec kel".split()
)
_region_cache = {}
_region_lock = threading.Lock()


def _name_words(names):
    return {w for name in names for w in textprep.words(name) if not w.startswith("zz")}


def region_words(code=None):
    """The words to leave out of the explanations of a report in region `code`."""
    from jembatan.directory.models import Region, RegionLevel, region_ancestor_codes

    with _region_lock:
        common = _region_cache.get("common")
        if common is None:
            names = Region.objects.filter(
                level__in=[RegionLevel.PROVINSI, RegionLevel.KABUPATEN_KOTA]
            ).values_list("name", flat=True)
            common = frozenset(_name_words(names) | REGION_LEVEL_WORDS)
            _region_cache["common"] = common
    if not code:
        return common
    key = ("local", code)
    with _region_lock:
        local = _region_cache.get(key)
    if local is None:
        names = Region.objects.filter(code__in=region_ancestor_codes(code)).values_list("name", flat=True)
        local = frozenset(_name_words(names)) | common
        with _region_lock:
            if len(_region_cache) > RECENT_PREDICTIONS:
                _region_cache.clear()
                _region_cache["common"] = common
            _region_cache[key] = local
    return local


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


def suggest(report=None, *, text=None, title=None, region=None, channel=None, kind=None):
    """The active model's proposal for `report` (or a text not yet saved); None without a model."""
    from jembatan.directory.models import Agency, Category

    version, predictions = _predict(report, text=text, title=title, region=region, channel=channel, kind=kind)
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


# The bar must rest on at least this many held-out reports at or above it: a precision measured on
# a handful of reports promises nothing.
MIN_HELD_OUT_ABOVE_BAR = 20


@dataclass(frozen=True)
class AutoRouteBar:
    """The confidence from which the active model routes by itself, and what to expect from it.

    Read off the precision curve the model measured on the most recent held-out reports of this
    instance (learning.precision_curve, kept in the model's metrics): the lowest confidence at
    which the reports at or above it were routed right at least `precision` of the time.
    """

    precision: float  # what the instance asks for (TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE_PERCENT)
    confidence: float | None  # the bar; None: the model never reached that precision, routes nothing
    share: float  # the share of held-out reports at or above the bar: how many it would route
    error_rate: float  # the share of those that went to the wrong agency
    held_out: int  # held-out reports with an agency, the evidence behind the numbers
    measured: bool = True  # False: an old model without a curve; the bar is the setting itself

    def describe(self):
        """One line for the administrator (`manage.py triage list`, `triage autoroute`)."""
        if not self.measured:
            return (
                f"auto-routing bar: confidence >= {self.precision:.2f}, the setting itself: this version "
                "has no precision curve (trained before curves were kept, or on too short a history "
                "to hold reports out): the share it routes and its error rate are unknown"
            )
        if self.confidence is None:
            return (
                f"auto-routing at {self.precision:.0%} precision: not reached on {self.held_out} "
                f"held-out reports (or on fewer than {MIN_HELD_OUT_ABOVE_BAR}): routes nothing"
            )
        return (
            f"auto-routing at {self.precision:.0%} precision: confidence >= {self.confidence:.2f}, "
            f"would route {self.share:.0%} of reports, expected {self.error_rate:.1%} wrong "
            f"(measured on {self.held_out} held-out reports)"
        )


def auto_route_bar(metrics, precision=None):
    """The AutoRouteBar of a model version from its `metrics`, for `precision` (default: the setting)."""
    if precision is None:
        precision = float(settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE)
    agency = (metrics or {}).get("agency") or {}
    curve = agency.get("precision_curve")
    if not curve:
        return AutoRouteBar(precision, precision, 0.0, 0.0, 0, measured=False)
    held_out = int(agency.get("n_test", 0))
    for level, share, level_precision, count in curve:  # lowest confidence first
        if level_precision >= precision - 1e-9 and count >= MIN_HELD_OUT_ABOVE_BAR:
            return AutoRouteBar(precision, float(level), share, round(1 - level_precision, 4), held_out)
    return AutoRouteBar(precision, None, 0.0, 0.0, held_out)


def active_auto_route_bar():
    """The AutoRouteBar of the active model (None without one); cached per model version."""
    key, _version, _bundle = _active.get_keyed()
    if key is None:
        return None
    precision = float(settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE)
    cached = _bars.get((key, precision))
    if cached is None:
        metrics = TriageModel.objects.filter(pk=key[0]).values_list("metrics", flat=True).first()
        cached = _bars[(key, precision)] = auto_route_bar(metrics, precision)
    return cached


_bars = {}


def should_auto_route(suggestion):
    """True when the instance routes automatically and the first agency clears the model's bar.

    Off unless settings.TRIAGE_AUTO_ROUTE is True. The bar is not the setting itself: the setting
    (TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE, 0.95 by default) is the precision the instance asks for,
    and the bar is the confidence at which the active model reached that precision on its own
    held-out reports (auto_route_bar; `manage.py triage autoroute` shows it with the share of
    reports it would route and the expected error rate). A model that never reached it routes
    nothing; a model trained before the curve was kept uses the setting as the bar.
    """
    if not settings.TRIAGE_AUTO_ROUTE or suggestion is None or suggestion.agency is None:
        return False
    bar = active_auto_route_bar()
    if bar is None or bar.confidence is None:
        return False
    return suggestion.confidence >= bar.confidence


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
