"""The demo reports: every status, real histories from the actions and the sweep, idempotent, deterministic.

Built once per module on the real demo province (seed_demo on the Sumatera Barat regions), at a
frozen "now" whose past 90 days hold Idul Fitri 2026 and its cuti bersama, so the SLA clock meets
a long run of days off.
"""

import datetime as dt
import functools
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from jembatan.accounts.models import User
from jembatan.directory.actions import load_regions
from jembatan.directory.sources import read_regions
from jembatan.notify.models import Notification
from jembatan.ops.demo import seed_demo
from jembatan.ops.demo_reports import DEMO_SOURCE, HISTORY_DAYS, build_demo_reports
from jembatan.reports.models import (
    Channel,
    Disposition,
    DispositionStatus,
    Escalation,
    EscalationKind,
    Event,
    Report,
    Status,
)
from jembatan.reports.sla import JAKARTA, WorkingCalendar

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

NOW = dt.datetime(2026, 4, 14, 10, 30, tzinfo=JAKARTA)
COUNT = 40


@functools.cache
def province_rows():
    """Every region of Sumatera Barat: the demo texts are spread over all its kabupaten/kota."""
    return [row for row in read_regions() if row.code == "13" or row.code.startswith("13.")]


def demo_sequence():
    return list(
        Report.objects.filter(source_instance=DEMO_SOURCE)
        .order_by("external_id")
        .values_list("external_id", "title", "status")
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo province with COUNT demo reports, built twice from the same seed, three hours
    apart (the first build rolled back): yields the two (external_id, title, status) sequences."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_regions(rows=province_rows())
        seed_demo()
        with time_machine.travel(NOW - dt.timedelta(hours=3), tick=False), transaction.atomic():
            build_demo_reports(count=COUNT)
            first = demo_sequence()
            transaction.set_rollback(True)
        with time_machine.travel(NOW, tick=False):
            build_demo_reports(count=COUNT)
        yield first, demo_sequence()
        transaction.set_rollback(True)


def demo_reports():
    return Report.objects.filter(source_instance=DEMO_SOURCE)


def test_demo_reports_end_in_every_status(demo):
    assert demo_reports().count() == COUNT
    assert set(demo_reports().values_list("status", flat=True)) == set(Status.values)


def test_demo_reports_show_overdue_work_returns_forwarding_and_duplicates(demo):
    escalated = set(Escalation.objects.values_list("kind", "level"))
    assert {(EscalationKind.VERIFICATION, 1), (EscalationKind.FIRST_RESPONSE, 1)} <= escalated
    waiting = Disposition.objects.filter(status=DispositionStatus.TERDISPOSISI, breached_at__isnull=False)
    assert any(disposition.sla_due_at < NOW for disposition in waiting)
    assert demo_reports().filter(status=Status.BELUM_TERVERIFIKASI, escalation_level__gte=1).exists()

    returned = Disposition.objects.filter(status=DispositionStatus.BUKAN_WEWENANG).select_related("report")
    assert returned.exists()
    for disposition in returned:
        redisposed = disposition.report.dispositions.exclude(agency=disposition.agency)
        assert redisposed.filter(disposed_at__gt=disposition.returned_at).exists()
    assert Disposition.objects.filter(status=DispositionStatus.DIALIHKAN).exists()

    duplicates = demo_reports().filter(duplicate_of__isnull=False)
    assert duplicates.exists()
    for duplicate in duplicates:
        assert (duplicate.status, duplicate.archive_reason.code) == (Status.DIARSIPKAN_ADMIN, "duplikat")
        assert duplicate.duplicate_of.events.filter(action="duplicate_merged").exists()
        assert duplicate.title == duplicate.duplicate_of.title


def test_demo_has_an_unnoticed_duplicate_in_verification_that_triage_finds(demo):
    from jembatan.triage.services import find_duplicates

    found = []
    for report in demo_reports().filter(status=Status.BELUM_TERVERIFIKASI, duplicate_of__isnull=True):
        pairs = find_duplicates(report, queryset=demo_reports())
        found += [(report, other) for other, _similarity in pairs if other.submitted_at < report.submitted_at]
    assert found, "the workbench would show no duplicate for the demo data"
    # The citizen-side prompt shows it too when the original is public.
    assert any(find_duplicates(r, queryset=Report.objects.public()) for r, _o in found)


def test_demo_reports_come_from_many_channels_and_kinds_of_reporter(demo):
    reports = demo_reports()
    assert set(Channel.values) - set(reports.values_list("channel", flat=True)) == {
        Channel.OPEN311,
        Channel.API,
        Channel.IMPORT,
    }
    assert reports.filter(is_anonymous=True).exists()
    assert reports.filter(is_confidential=True).exists()
    assert reports.filter(rating__isnull=False).exists()
    assert reports.filter(support_count__gt=0).exists()
    assert reports.filter(reporter=User.objects.get(username="warga.demo")).exists()
    guests = reports.filter(reporter__isnull=True)
    assert all(r.reporter_email.endswith("@example.id") or r.reporter_phone.startswith("628") for r in guests)
    regions = list(reports.values_list("region_id", flat=True))
    assert all(code.startswith("13.") for code in regions)
    assert sum(code.startswith("13.71") for code in regions) > len(regions) / 3
    assert all(r.description and "Yth." not in r.description[:5] for r in reports)


def test_demo_histories_are_written_by_the_actions_and_the_sweep_up_to_now(demo):
    earliest = NOW - dt.timedelta(days=HISTORY_DAYS)
    for report in demo_reports():
        events = list(report.events.all())
        assert events[0].action == "submitted"
        assert events[0].created_at == report.submitted_at
        assert all(earliest <= e.created_at <= NOW for e in events)
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert report.verification_due_at is not None
        if report.status in (Status.TERDISPOSISI, Status.DIPROSES):
            assert report.completion_due_at is not None
    # The last sweep ran at NOW: nothing is left due.
    assert not Report.objects.due_for_sweep(NOW).exists()
    assert not Disposition.objects.filter(next_check_at__lte=NOW).exists()
    assert demo_reports().filter(status=Status.BELUM_TERVERIFIKASI, next_check_at__gt=NOW).exists()


def test_the_system_closes_and_archives_only_when_the_rules_say_so(demo):
    calendar = WorkingCalendar.load()
    closed = demo_reports().filter(status=Status.DITUTUP_SISTEM)
    assert closed.exists()
    for report in closed:
        event = report.events.get(action="closed_by_system")
        assert event.actor is None
        assert event.created_at >= calendar.add_working_days(report.answered_at, 10)
    archived = demo_reports().filter(status=Status.DIARSIPKAN_SISTEM)
    assert archived.exists()
    for report in archived:
        asked = report.events.filter(action="information_requested").latest("created_at")
        assert report.events.get(action="archived_by_system").created_at >= asked.created_at + dt.timedelta(
            days=30
        )


def test_the_same_seed_gives_the_same_titles_and_statuses_in_the_same_order(demo):
    first, second = demo
    assert len(first) == COUNT
    assert first == second
    by_submission = list(demo_reports().order_by("submitted_at", "pk").values_list("external_id", flat=True))
    assert by_submission == [external_id for external_id, _title, _status in second]


def test_building_the_demo_reports_again_adds_nothing(demo):
    before = (
        Report.objects.count(),
        Event.objects.count(),
        Disposition.objects.count(),
        Notification.objects.count(),
    )

    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        summary = build_demo_reports(count=COUNT)
        out = StringIO()
        call_command("seed_demo_reports", stdout=out)

    assert (summary.created, summary.existing) == (0, COUNT)
    assert "sudah ada (40)" in out.getvalue()
    after = (
        Report.objects.count(),
        Event.objects.count(),
        Disposition.objects.count(),
        Notification.objects.count(),
    )
    assert after == before


def test_seed_demo_reports_refuses_outside_development(settings):
    settings.DEVELOPMENT = False
    with pytest.raises(CommandError, match="development"):
        call_command("seed_demo_reports", stdout=StringIO())
