"""Chart ticks are round numbers, and map classes are real classes of the values shown."""

import re

from jembatan.insights.svg import jenks_classes, line_chart, nice_step


def test_chart_ticks_step_by_one_two_or_five_times_a_power_of_ten():
    assert [nice_step(v) for v in (1, 3, 7, 8, 10, 11, 40, 137, 2500)] == [1, 1, 2, 2, 5, 5, 10, 50, 1000]


def test_the_line_chart_axis_reads_round_numbers():
    svg = line_chart(["a", "b", "c"], [3, 10, 8], [1, 2, 5], title="t", current_label="x")
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    assert ticks == [0, 5, 10]  # not 0, 2, 5, 8, 10 (quarters of 10)


def test_jenks_classes_group_close_values_and_keep_real_bounds():
    assert jenks_classes([0, 1, 1, 2, 3, 10, 11, 12, 40, 45, 100], k=3) == [(1, 12), (40, 45), (100, 100)]
    assert jenks_classes([0, 0, 5]) == [(5, 5)]
    assert jenks_classes([]) == []
    classes = jenks_classes([1, 2, 3, 4, 5, 6, 7], k=3)
    assert len(classes) == 3 and classes[0][0] == 1 and classes[-1][1] == 7
