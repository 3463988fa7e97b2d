"""The working-day calendar and the SLA clock (PermenPANRB 62/2018)."""

import datetime as dt

import holidays
import pytest
import time_machine

from jembatan.reports import actions
from jembatan.reports.models import CalendarOverride, Classification, Status
from jembatan.reports.sla import JAKARTA, SlaPolicy, WorkingCalendar
from jembatan.reports.tests import factories as f


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=JAKARTA)


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_calendar_agrees_with_the_holidays_package_for_every_day_of_the_year(year):
    cal = WorkingCalendar()
    official = holidays.Indonesia(years=year, categories=("public", "government"))
    day = dt.date(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and day not in official
        assert cal.is_working_day(day) == expected, day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (dt.date(2024, 4, 10), "Idul Fitri 1445 H"),
        (dt.date(2024, 4, 8), "cuti bersama Idul Fitri"),
        (dt.date(2025, 3, 31), "Idul Fitri 1446 H"),
        (dt.date(2025, 4, 7), "cuti bersama Idul Fitri"),
        (dt.date(2026, 3, 20), "cuti bersama Idul Fitri"),
        (dt.date(2026, 3, 24), "cuti bersama Idul Fitri"),
        (dt.date(2026, 8, 17), "Hari Kemerdekaan"),
        (dt.date(2027, 3, 15), "cuti bersama Idul Fitri"),
        (dt.date(2027, 12, 24), "cuti bersama Natal"),
    ],
)
def test_lebaran_and_cuti_bersama_are_days_off(day, why):
    assert not WorkingCalendar().is_working_day(day), why


def test_three_working_days_jump_over_the_2026_lebaran_break():
    # Tue 17 Mar 2026; 18 cuti Nyepi, 19 Nyepi, 20 cuti, 21–22 Idul Fitri (weekend), 23–24 cuti.
    due = WorkingCalendar().add_working_days(at(2026, 3, 17), 3)
    assert due == dt.datetime(2026, 3, 27, 23, 59, 59, tzinfo=JAKARTA)


def test_one_working_day_after_the_2025_lebaran_break():
    due = WorkingCalendar().add_working_days(at(2025, 3, 27), 1)
    assert due.date() == dt.date(2025, 4, 8)


def test_the_day_of_submission_never_counts_even_late_at_night():
    cal = WorkingCalendar()
    assert cal.add_working_days(at(2026, 11, 23, 0, 5), 3).date() == dt.date(2026, 11, 26)
    assert cal.add_working_days(at(2026, 11, 23, 23, 55), 3).date() == dt.date(2026, 11, 26)


def test_deadlines_are_in_jakarta_time_whatever_the_input_zone():
    utc_evening = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)  # already Tuesday 01:00 in Jakarta
    assert WorkingCalendar().add_working_days(utc_evening, 1).date() == dt.date(2026, 11, 25)


@pytest.mark.django_db
def test_admin_overrides_add_a_day_off_and_cancel_one():
    CalendarOverride.objects.create(date=dt.date(2026, 11, 24), is_working_day=False, note="Pilkada")
    CalendarOverride.objects.create(date=dt.date(2026, 11, 28), is_working_day=True, note="Sabtu masuk")
    cal = WorkingCalendar.load()
    assert not cal.is_working_day(dt.date(2026, 11, 24))
    assert cal.is_working_day(dt.date(2026, 11, 28))
    # Mon 23: Tue off, Wed 25 (1), Thu 26 (2), Fri 27 (3).
    assert cal.add_working_days(at(2026, 11, 23), 3).date() == dt.date(2026, 11, 27)
    assert cal.add_working_days(at(2026, 11, 23), 4).date() == dt.date(2026, 11, 28)


def test_working_days_between_counts_only_working_days():
    cal = WorkingCalendar()
    assert cal.working_days_between(at(2026, 11, 20), at(2026, 11, 27)) == 5  # Fri → Fri
    assert cal.working_days_between(at(2026, 11, 27), at(2026, 11, 20)) == 0


def test_eighty_percent_point_skips_the_weekend():
    cal = WorkingCalendar()
    start = dt.datetime(2026, 11, 27, 0, 0, tzinfo=JAKARTA)  # Friday midnight
    due = cal.add_working_days(start, 3)  # Wed 2 Dec 23:59:59
    point = cal.point_in_working_time(start, due, 0.8)
    # Working time: Fri, Mon, Tue, Wed = 4 days (Fri counts from its start); 80% = 3.2 days → Wed 04:48.
    assert point.date() == dt.date(2026, 12, 2)
    assert cal.working_seconds_between(start, point) == pytest.approx(
        0.8 * cal.working_seconds_between(start, due)
    )


def test_completion_days_follow_the_classification():
    p = SlaPolicy()
    assert p.completion_days(Classification.ASPIRASI) == 5
    assert p.completion_days(Classification.PERMINTAAN_INFORMASI) == 5
    assert p.completion_days(Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN) == 14
    assert p.completion_days(Classification.PENGADUAN_BERKADAR_PENGAWASAN) == 60


@pytest.mark.django_db
def test_submission_sets_a_three_working_day_verification_deadline():
    w = f.build_world()
    with time_machine.travel(at(2026, 11, 27, 9), tick=False):  # Friday
        report = f.submit(w)
    assert report.verification_due_at == dt.datetime(2026, 12, 2, 23, 59, 59, tzinfo=JAKARTA)


@pytest.mark.django_db
def test_disposal_sets_first_response_and_completion_deadlines_by_classification():
    w = f.build_world()
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Monday
        report = f.submit(w)
        report = actions.verify_report(
            report=report, actor=w.verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
        )
        report = actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    disposition = report.dispositions.get()
    assert disposition.first_response_due_at.date() == dt.date(2026, 11, 30)  # 5 working days
    assert report.completion_due_at.date() == dt.date(2026, 12, 11)  # 14 working days


@pytest.mark.django_db
def test_waiting_for_information_pauses_the_clock_and_resumes_with_what_was_left():
    w = f.build_world()
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Mon; due Thu 26
        report = f.submit(w)
    with time_machine.travel(at(2026, 11, 24, 9), tick=False):  # Tue: 2 working days left (Wed, Thu)
        report = actions.request_information(
            report=report, actor=w.verifier, message="Sebutkan nama jalannya."
        )
    assert report.sla_due_at is None  # paused: nothing runs
    with time_machine.travel(at(2026, 12, 7, 9), tick=False):  # Mon two weeks later
        report = actions.complete_information(report=report, actor=w.citizen, text="Jalan Sudirman.")
    assert report.status == Status.BELUM_TERVERIFIKASI
    assert report.verification_due_at.date() == dt.date(2026, 12, 9)  # Tue 8, Wed 9
