"""The working-day SLA clock.

Deadlines follow Peraturan Menteri PANRB No. 62 Tahun 2018 (Pedoman Teknis Pengelolaan Pengaduan
Pelayanan Publik Nasional, SP4N-LAPOR!), with the number of days configurable per instance.

Conventions (decided here, relied on everywhere):
- A working day is Monday–Friday in Asia/Jakarta that is neither a public holiday nor cuti bersama
  (`holidays` categories "public" and "government"), unless a CalendarOverride row says so.
- "N working days after t" ends at 23:59:59 on the N-th working day after t's calendar day; the
  day of t itself never counts, so a report sent at 23:00 is not punished for a lost day.
- Elapsed working time is measured in whole working days of 24 h: a fraction (the 80% reminder)
  is a point in that working time, so weekends and holidays never eat into a deadline.
"""

import datetime as dt
import time
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import holidays
from django.conf import settings
from django.db import connection

from jembatan.reports.models import CalendarOverride, Classification, ReportType

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class SlaPolicy:
    # PermenPANRB 62/2018: verifikasi paling lama 3 hari kerja sejak laporan diterima.
    verification_days: int = 3
    # PermenPANRB 62/2018: tindak lanjut pertama paling lama 5 hari kerja sejak disposisi.
    first_response_days: int = 5
    # PermenPANRB 62/2018: penyelesaian aspirasi dan permintaan informasi 5 hari kerja.
    completion_aspirasi_days: int = 5
    completion_informasi_days: int = 5
    # PermenPANRB 62/2018: pengaduan tidak berkadar pengawasan 14 hari kerja.
    completion_tidak_berkadar_days: int = 14
    # PermenPANRB 62/2018: pengaduan berkadar pengawasan 60 hari kerja.
    completion_berkadar_days: int = 60
    # SP4N-LAPOR!: "Selesai Ditindaklanjuti" ditutup sistem bila pelapor tidak menanggapi 10 hari kerja.
    auto_close_days: int = 10
    # SP4N-LAPOR!: pelapor dapat membuka kembali laporan yang ditutup dalam 10 hari kerja, sekali.
    reopen_days: int = 10
    # SP4N-LAPOR!: "Menunggu Kelengkapan Informasi" diarsipkan sistem setelah 30 hari (kalender).
    incomplete_archive_calendar_days: int = 30
    # Pengingat ke petugas saat 80% waktu telah terpakai.
    reminder_fraction: float = 0.8
    # Pengaduan yang belum tuntas setelah 60 hari (kalender) ditandai untuk Ombudsman (UU 37/2008).
    ombudsman_calendar_days: int = 60

    def completion_days(self, classification, kind=None):
        if classification == Classification.PENGADUAN_BERKADAR_PENGAWASAN:
            return self.completion_berkadar_days
        if classification == Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN:
            return self.completion_tidak_berkadar_days
        if classification == Classification.PERMINTAAN_INFORMASI:
            return self.completion_informasi_days
        if classification == Classification.ASPIRASI:
            return self.completion_aspirasi_days
        # Not classified yet: judge by the reporter's own type, a complaint by the shorter rule.
        if kind == ReportType.PENGADUAN:
            return self.completion_tidak_berkadar_days
        return self.completion_aspirasi_days


def policy():
    """The instance's SLA policy (settings.JEMBATAN_SLA overrides the defaults)."""
    return SlaPolicy(**settings.JEMBATAN_SLA)


_OVERRIDES_SQL = f"SELECT date, is_working_day FROM {CalendarOverride._meta.db_table}"


def _as_date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@lru_cache(maxsize=32)
def _holidays_for_year(year):
    return dict(holidays.Indonesia(years=year, categories=("public", "government")))


# This process's copy of the overrides: (expiry in epoch seconds, {date: is_working_day}), or None.
_overrides = None


def forget_overrides():
    """Drop this process's copy of the calendar corrections (one was just made here)."""
    global _overrides
    _overrides = None


class WorkingCalendar:
    """Indonesian working days, with the admin's overrides loaded once per calendar object."""

    def __init__(self, overrides=None):
        self.overrides = dict(overrides or {})

    @classmethod
    def load(cls):
        """The calendar with the overrides as they are now: read at most every
        settings.LOOKUP_CACHE_SECONDS per process (every new report asks for it; a correction,
        a few a year, is made through actions/calendar.py, which drops this process's copy at
        once; other processes see it within those seconds, as if the report had come in that much
        earlier). One plain SELECT of a table of a few dozen rows, not a queryset: building the
        query cost more than running it."""
        global _overrides
        ttl = settings.LOOKUP_CACHE_SECONDS
        now = time.time()
        if ttl and _overrides is not None and now < _overrides[0] <= now + ttl:  # (clock set back: read)
            return cls(_overrides[1])
        with connection.cursor() as cursor:
            cursor.execute(_OVERRIDES_SQL)
            rows = cursor.fetchall()
        overrides = {_as_date(day): bool(working) for day, working in rows}
        _overrides = (now + ttl, overrides) if ttl else None
        return cls(overrides)

    def holiday_name(self, day):
        return _holidays_for_year(day.year).get(day)

    def is_working_day(self, day):
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5 and day not in _holidays_for_year(day.year)

    @staticmethod
    def local_date(moment):
        return moment.astimezone(JAKARTA).date()

    @staticmethod
    def end_of_day(day):
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=JAKARTA)

    def add_working_days(self, moment, days):
        """The deadline `days` working days after `moment` (end of that day, Asia/Jakarta)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day = self.local_date(moment)
        counted = 0
        while counted < days:
            day += DAY
            if self.is_working_day(day):
                counted += 1
        return self.end_of_day(day)

    def working_days_between(self, start, end):
        """Whole working days after start's day, up to and including end's day (0 if end <= start)."""
        first, last = self.local_date(start), self.local_date(end)
        count, day = 0, first
        while day < last:
            day += DAY
            if self.is_working_day(day):
                count += 1
        return count

    def working_seconds_between(self, start, end):
        """Elapsed working time: the parts of [start, end) that fall on working days."""
        if end <= start:
            return 0.0
        total = 0.0
        day = self.local_date(start)
        last = self.local_date(end)
        while day <= last:
            if self.is_working_day(day):
                day_start = dt.datetime.combine(day, dt.time.min, tzinfo=JAKARTA)
                lo, hi = max(start, day_start), min(end, day_start + DAY)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += DAY
        return total

    def point_in_working_time(self, start, due, fraction):
        """The moment when `fraction` of the working time between start and due has elapsed."""
        target = self.working_seconds_between(start, due) * fraction
        if target <= 0:
            return due
        day = self.local_date(start)
        elapsed = 0.0
        while True:
            if self.is_working_day(day):
                day_start = dt.datetime.combine(day, dt.time.min, tzinfo=JAKARTA)
                lo, hi = max(start, day_start), day_start + DAY
                available = (hi - lo).total_seconds()
                if elapsed + available >= target:
                    return lo + dt.timedelta(seconds=target - elapsed)
                elapsed += available
            day += DAY

    def extend_after_pause(self, due, paused_at, resumed_at):
        """Move a deadline by the working days a report spent paused (at least one remains)."""
        remaining = max(self.working_days_between(paused_at, due), 1)
        return self.add_working_days(resumed_at, remaining)
