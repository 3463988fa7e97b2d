"""The title words of a filtered trends page, counted per window from the facts (PostgreSQL in SQL,
SQLite in Python): the same counts as reading each fact's words one by one."""

import datetime as dt

import pytest
import time_machine

from jembatan.insights import dashboards, emerging, rollups
from jembatan.insights.models import ReportFact
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=JAKARTA)


def counted_one_by_one(facts, bounds):
    result = {}
    for day, words in facts.values_list("day", "words"):
        index = emerging.bucket_of(bounds, day)
        if index is None:
            continue
        for word in (words or "").split():
            result.setdefault(word, [0] * len(bounds))[index] += 1
    return result


@pytest.fixture
def titled(w):
    """Reports over five weeks: a burst of "selokan" this week in Bukittinggi, steady "jalan"."""
    for days_ago, region, title in [
        *[(1, w.region_bkt_village, f"Selokan meluap di pasar {i}") for i in range(6)],
        *[(2, w.region_bkt_village, "Selokan tersumbat sampah") for _ in range(3)],
        *[(d, None, "Jalan berlubang dekat sekolah") for d in (1, 8, 15, 22, 29)],
        (9, w.region_bkt_village, "Lampu jalan mati"),
        (40, w.region_bkt_village, "Selokan lama"),  # outside every window
    ]:
        with time_machine.travel(NOW - dt.timedelta(days=days_ago), tick=False):
            f.submit(w, **({"region": region} if region else {}), title=title)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
    return w


@pytest.mark.parametrize("minimum", [0, emerging.MIN_COUNT])
def test_the_words_of_the_facts_are_counted_per_window_as_one_by_one(titled, minimum):
    bounds = emerging.window_bounds(NOW.date(), "minggu")
    start, end = bounds[-1][0], bounds[0][1]
    everything = ReportFact.objects.filter(day__gte=start, day__lte=end)
    bukittinggi = everything.filter(region=titled.region_bkt_village.code[:5])
    assert bukittinggi.exists() and bukittinggi.count() < everything.count()
    for facts in (everything, bukittinggi, everything.filter(agency=-1)):
        expected = {
            word: counts for word, counts in counted_one_by_one(facts, bounds).items() if counts[0] >= minimum
        }
        assert dashboards._fact_word_counts(facts, bounds, minimum) == expected
    found = dashboards._fact_word_counts(everything, bounds, minimum)
    assert any(counts[0] >= emerging.MIN_COUNT for counts in found.values())
    if minimum:
        assert all(counts[0] >= minimum for counts in found.values())
        assert len(found) < len(counted_one_by_one(everything, bounds))
