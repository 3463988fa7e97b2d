"""The SLA clock of a queue page's rows: what each row's own clock would say, counted once a day."""

import datetime as dt

import pytest

from jembatan.reports.sla import WorkingCalendar
from jembatan.workbench.clock import Clocks, sla_clock
from jembatan.workbench.tests.helpers import at


@pytest.mark.parametrize("now", [at(2026, 12, 4, 9), at(2026, 12, 5, 23, 30), at(2026, 12, 7, 0, 5)])
def test_a_pages_clocks_read_as_each_rows_own_clock(now):
    # Friday morning, Saturday night and just after midnight on Monday (Asia/Jakarta), with
    # deadlines every 7 hours from six weeks before to two weeks after: some on the same day as
    # `now`, before and after it, some at the weekend, on the Christmas holiday, and long past.
    calendar = WorkingCalendar({dt.date(2026, 12, 4): False})  # an admin's day off, too
    clocks = Clocks(now, calendar)
    dues = [now + dt.timedelta(hours=7 * i) for i in range(-150, 50)]
    dues += [now, now + dt.timedelta(seconds=1), now - dt.timedelta(seconds=1), None]
    for due in dues + dues:  # the second time from what the first one kept
        assert clocks(due) == sla_clock(due, now, calendar), due
    assert {clocks(due).state for due in dues[:-1]} == {"ok", "soon", "late"}
