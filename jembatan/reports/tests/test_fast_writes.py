"""The hot writes of a new report (issue 15): prepared INSERTs (jembatan/fastinsert.py) that keep
everything save() did, a taken tracking number skipped without a savepoint, and the calendar's
corrections reused per process within LOOKUP_CACHE_SECONDS."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.db.models.signals import pre_save

from jembatan.notify.actions import write_message
from jembatan.notify.models import Notification
from jembatan.reports import actions, search
from jembatan.reports.actions import intake
from jembatan.reports.actions.calendar import set_calendar_override
from jembatan.reports.models import CalendarOverride, Channel, Event, Report, ReportType
from jembatan.reports.sla import WorkingCalendar, forget_overrides
from jembatan.reports.submission import NewReport
from jembatan.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db):
    return build_world()


def new(**overrides):
    values = dict(
        kind=ReportType.PENGADUAN,
        title="Jalan berlubang di Jalan Sudirman",
        description="Jalan di depan pasar berlubang besar sejak dua minggu, hubungi 0812 3456 7890.",
        reporter_email="warga@example.id",
        channel=Channel.API,
    )
    values.update(overrides)
    return NewReport(**values)


def test_a_new_report_is_stored_with_everything_save_derived(w):
    report = actions.submit_report(new=new())
    stored = Report.objects.get(pk=report.pk)
    assert stored.tracking_number == report.tracking_number
    assert "0812" not in stored.description_public and "0812" in stored.description
    assert stored.verification_due_at == report.verification_due_at is not None
    assert stored.created_at is not None and stored.check_access_code(report.access_code)
    event = Event.objects.get(report=stored)
    assert event.data == {"channel": Channel.API} and event.text_public == ""
    outbox = Notification.objects.get(report=stored)
    assert outbox.recipient == "warga@example.id" and outbox.event_id == event.pk
    assert list(search.search_reports(Report.objects.all(), "berlubang")) == [stored]


def test_a_taken_tracking_number_is_drawn_again_and_the_transaction_goes_on(w, monkeypatch):
    first = actions.submit_report(new=new())
    numbers = iter([first.tracking_number, "987654321"])
    monkeypatch.setattr(intake, "new_tracking_number", lambda: next(numbers))
    with transaction.atomic():
        second = actions.submit_report(new=new(title="Lampu jalan padam di Jalan Sudirman"))
        # The refused INSERT did not break the transaction (PostgreSQL aborts one on an error).
        assert Report.objects.count() == 2
    assert second.tracking_number == "987654321"
    assert Event.objects.filter(report=second).count() == 1


def test_a_repeated_outbox_message_is_skipped_without_breaking_the_transaction(w):
    report = actions.submit_report(new=new())
    message = dict(
        channel="email",
        recipient="warga@example.id",
        template="report_received",
        language="id",
        rendered=None,
        renderer="report_received",
        sensitive=[],
        scope="once",
        report=report,
    )
    with transaction.atomic():
        assert write_message(**message) is not None
        assert write_message(**message) is None
        assert Notification.objects.filter(dedupe_key__startswith="once:").count() == 1


def test_a_pre_save_receiver_still_runs_for_a_timeline_event(w):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.action)

    pre_save.connect(receiver, sender=Event)
    try:
        actions.submit_report(new=new())
    finally:
        pre_save.disconnect(receiver, sender=Event)
    assert seen == ["submitted"]


def test_a_calendar_correction_made_elsewhere_counts_within_the_bound(settings):
    settings.LOOKUP_CACHE_SECONDS = 10
    forget_overrides()
    holiday = dt.date(2026, 12, 8)  # a Tuesday
    with time_machine.travel(dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC), tick=False) as traveller:
        assert WorkingCalendar.load().is_working_day(holiday)
        CalendarOverride.objects.create(date=holiday, is_working_day=False, note="cuti bersama")
        traveller.shift(9)
        assert WorkingCalendar.load().is_working_day(holiday)  # this process's copy
        traveller.shift(1.1)
        assert not WorkingCalendar.load().is_working_day(holiday)
    forget_overrides()


def test_a_calendar_correction_made_here_counts_once_committed(settings, django_capture_on_commit_callbacks):
    settings.LOOKUP_CACHE_SECONDS = 300
    forget_overrides()
    holiday = dt.date(2026, 12, 8)
    assert WorkingCalendar.load().is_working_day(holiday)
    with django_capture_on_commit_callbacks(execute=True):
        set_calendar_override(actor=None, date=holiday, is_working_day=False, note="cuti bersama")
    assert not WorkingCalendar.load().is_working_day(holiday)
    forget_overrides()


def test_a_prepared_insert_stores_every_column_as_the_orm_would(w):
    """fastinsert passes NULLs and text through without Django's prep chain: the rows must not differ."""
    from jembatan import fastinsert

    report = actions.submit_report(new=new(latitude=-0.95, longitude=100.35))
    columns = [f.attname for f in Report._meta.concrete_fields if f.attname not in ("id", "tracking_number")]
    stored = Report.objects.filter(pk=report.pk).values(*columns).get()

    twin = Report.objects.get(pk=report.pk)
    twin.pk, twin._state.adding, twin.tracking_number = None, True, "555000111"
    twin.save_base(raw=True)  # the ORM's INSERT (raw: auto_now columns keep the values read)
    by_orm = Report.objects.filter(pk=twin.pk).values(*columns).get()
    for name in ("created_at", "updated_at"):  # auto_now(_add) on the prepared path: its own moment
        stored.pop(name), by_orm.pop(name)
    assert stored == by_orm

    again = Report.objects.get(pk=report.pk)
    again.pk, again._state.adding, again.tracking_number = None, True, "555000222"
    assert fastinsert.insert(again)
    by_fast = Report.objects.filter(pk=again.pk).values(*columns).get()
    assert {k: v for k, v in by_fast.items() if k not in ("created_at", "updated_at")} == by_orm
    nulls = [name for name, value in by_orm.items() if value is None]
    assert len(nulls) > 10  # the case the shortcut is for
