"""The emerging-issue statistic on constructed data."""

import datetime as dt
import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jembatan.insights import emerging


def test_poisson_tail_matches_a_direct_sum_of_the_distribution():
    for lam, k in [(1.0, 3), (2.5, 6), (4.0, 15), (30.0, 45), (0.5, 5)]:
        direct = 1 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))
        assert emerging.poisson_upper_tail(k, lam) == pytest.approx(direct, rel=1e-9, abs=1e-15)


def test_poisson_tail_is_one_at_or_below_the_mean_and_zero_far_above_it():
    assert emerging.poisson_upper_tail(3, 10.0) == 1.0
    assert emerging.poisson_upper_tail(0, 2.0) == 1.0
    assert emerging.poisson_upper_tail(5000, 10.0) == 0.0


def test_a_category_that_triples_against_a_steady_baseline_is_flagged():
    rise = emerging.assess("jalan", 15, [4, 5, 4, 3, 5, 4, 4, 5])
    assert rise.flagged
    assert rise.expected == pytest.approx(4.25)
    assert rise.p_value < 1e-4
    assert rise.ratio == pytest.approx(15 / 4.25)
    assert rise.z == pytest.approx((15 - 4.25) / math.sqrt(4.25))


def test_a_big_steady_category_with_a_normal_week_is_not_flagged():
    assert not emerging.assess("sampah", 112, [100, 96, 104, 99, 101, 98, 103, 100]).flagged


def test_a_big_category_needs_the_ratio_as_well_as_a_small_p_value():
    # 140 against a mean of 100 is very unlikely under Poisson, but not a 1.5-fold jump.
    rise = emerging.assess("sampah", 140, [100] * 8)
    assert rise.p_value < emerging.ALPHA and not rise.flagged


def test_a_new_topic_needs_the_minimum_count():
    assert not emerging.assess("banjir", 4, [0] * 8).flagged
    flagged = emerging.assess("banjir", 6, [0] * 8)
    assert flagged.flagged and flagged.expected == emerging.LAMBDA_FLOOR


def test_rising_ranks_by_p_value_and_drops_the_rest():
    series = {
        "banjir": [12, 1, 0, 2, 1, 0, 1, 1, 0],
        "jalan": [11, 3, 2, 3, 2, 3, 2, 3, 3],
        "parkir": [9, 3, 2, 3, 2, 3, 2, 3, 3],  # p ≈ 0.0016: suggestive, not flagged
        "sampah": [20, 19, 21, 18, 22, 20, 19, 21, 20],
        "listrik": [2],
    }
    keys = [r.key for r in emerging.rising(series, 8)]
    assert keys == ["banjir", "jalan"]


def test_windows_are_the_last_days_up_to_today_then_equal_windows_before():
    today = dt.date(2026, 3, 15)
    bounds = emerging.window_bounds(today, "minggu")
    assert bounds[0] == (dt.date(2026, 3, 9), today)
    assert bounds[1] == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert len(bounds) == 9
    assert emerging.bucket_of(bounds, dt.date(2026, 3, 1)) == 2
    assert emerging.bucket_of(bounds, dt.date(2025, 1, 1)) is None


@given(st.lists(st.tuples(st.integers(min_value=-1, max_value=60), st.integers(min_value=0, max_value=9))))
def test_the_league_median_from_a_histogram_equals_the_median_of_the_values(pairs):
    from jembatan.insights.dashboards import _median_from_histogram

    values = [wd for wd, n in pairs if wd >= 0 for _i in range(n)]
    expected = statistics.median(values) if values else None
    assert _median_from_histogram([{"wd": wd, "completed": n} for wd, n in pairs]) == expected


def test_p_values_are_shown_to_three_decimals_or_as_below_one_in_a_thousand():
    from django.utils import translation

    from jembatan.insights.dashboards import format_p

    with translation.override("id"):
        assert [format_p(p) for p in (1.2e-6, 0.001, 0.04567, 0.5)] == ["< 0,001", "0,001", "0,046", "0,500"]
    with translation.override("en"):
        assert format_p(1.2e-6) == "< 0.001" and format_p(0.04567) == "0.046"
