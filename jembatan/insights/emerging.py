"""Emerging issues: what rises well above its own baseline, by a stated statistic.

The statistic (the same for categories, regions and title words):

- Window: the last L days up to today (L = 7, "minggu ini", or 28, "bulan ini"); baseline: the K
  windows of the same length just before it (K = 8 weeks, or 3 × 28 days).
- x = reports in the window; λ = the mean of the baseline windows, floored at 1 (so that a topic
  never seen before must still reach the minimum count).
- Under "nothing changed", x follows a Poisson distribution with mean λ. The topic is flagged
  rising when all three hold:
  1. x ≥ MIN_COUNT (5): a jump from 1 to 3 is noise, however unlikely;
  2. x ≥ MIN_RATIO × λ (1.5): a big, steady category is not news because it is big;
  3. p = P(X ≥ x | λ) < ALPHA (0.001): strict, because dozens of categories and hundreds of words
     are tested at once (a Bonferroni-style guard against false alarms).
- Shown with the ratio x/λ and z = (x − λ)/√λ; ranked by p, then by x − λ, then by name.

Topic clusters of recent reports are in topics.py.
"""

import datetime as dt
import math
from dataclasses import dataclass

MIN_COUNT = 5
MIN_RATIO = 1.5
ALPHA = 0.001
LAMBDA_FLOOR = 1.0
WINDOWS = {"minggu": (7, 8), "bulan": (28, 3)}  # name: (days per window, baseline windows)


def poisson_upper_tail(k, lam):
    """P(X ≥ k) for X ~ Poisson(lam), exact for a count above its mean.

    A count at or below its mean is no rise at all: 1.0 is returned there (the true value is at
    least about one half), which keeps the sum below free of underflow for large means.
    """
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:
        return 1.0
    # Sum the tail from k upward in floating point, starting from the log of the first term: the
    # terms only shrink from there (k > lam), so stop once they no longer change the sum.
    log_first = -lam + k * math.log(lam) - math.lgamma(k + 1)
    if log_first < -745:  # below the smallest double: the tail is 0 for every purpose here
        return 0.0
    term = math.exp(log_first)
    total, i = term, k
    while term > total * 1e-16:
        i += 1
        term *= lam / i
        total += term
    return min(total, 1.0)


@dataclass(frozen=True)
class Rise:
    key: object
    count: int
    baseline: float  # the mean of the baseline windows (before the floor)
    expected: float  # λ
    p_value: float
    flagged: bool

    @property
    def ratio(self):
        return self.count / self.expected

    @property
    def z(self):
        return (self.count - self.expected) / math.sqrt(self.expected)


def assess(key, count, baseline_counts):
    """Test one series: `count` in the window against the counts of the baseline windows."""
    mean = sum(baseline_counts) / len(baseline_counts) if baseline_counts else 0.0
    lam = max(mean, LAMBDA_FLOOR)
    p = poisson_upper_tail(count, lam)
    flagged = count >= MIN_COUNT and count >= MIN_RATIO * lam and p < ALPHA
    return Rise(key=key, count=count, baseline=mean, expected=lam, p_value=p, flagged=flagged)


def rising(series, baseline_windows):
    """The flagged rises among `series` {key: [window count, baseline 1, …, baseline K]}, ranked.

    Keys absent from a window count 0 there; `baseline_windows` is K.
    """
    results = []
    for key, counts in series.items():
        counts = list(counts) + [0] * (baseline_windows + 1 - len(counts))
        rise = assess(key, counts[0], counts[1 : baseline_windows + 1])
        if rise.flagged:
            results.append(rise)
    results.sort(key=lambda r: (r.p_value, -(r.count - r.expected), str(r.key)))
    return results


def window_bounds(today, name):
    """[(start, end)] of the current window then each baseline window, newest first."""
    days, k = WINDOWS[name]
    bounds = []
    for i in range(k + 1):
        end = today - dt.timedelta(days=i * days)
        bounds.append((end - dt.timedelta(days=days - 1), end))
    return bounds


def bucket_of(bounds, day):
    """Index of the window containing `day` (0 = current), or None."""
    for index, (start, end) in enumerate(bounds):
        if start <= day <= end:
            return index
    return None


def stored_series(model, scope_key, window, today, compute, fresh_after=None):
    """The series a snapshot model (WordSnapshot, SignalSnapshot) keeps for a hub scope and today's
    window: compute() and stored when missing or not newer than `fresh_after` (the last rollup
    refresh; strictly newer, since a series computed in the same instant may predate its writes)."""
    from django.utils import timezone

    snapshot = model.objects.filter(scope=scope_key, window=window, day=today).first()
    if snapshot is not None and (fresh_after is None or snapshot.computed_at > fresh_after):
        return snapshot.series
    series = compute()
    model.objects.update_or_create(
        scope=scope_key,
        window=window,
        defaults={"day": today, "series": series, "computed_at": timezone.now()},
    )
    return series
