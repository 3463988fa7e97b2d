"""A full rebuild computes exactly the facts (and cubes) of the per-report definitions.

The reference below is facts.py's computation as it was written for model instances, before the
rebuild read plain rows (kept here, unchanged, as the thing to compare with): a varied history of
real actions (merged duplicates, returned and forwarded dispositions, breached deadlines, paused
reports, a new year's holidays and a calendar correction, reports without category or region,
national ones) must give the same ReportFact and DispositionFact rows and the same cube rows,
whatever the batch size and whatever stale facts were stored before.
"""

import datetime as dt
import random

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from jembatan.insights import facts as factlib
from jembatan.insights import rollups
from jembatan.insights.facts import NATIONAL, local_day, month_of, region_parts, title_words
from jembatan.insights.models import DispositionFact, ReportFact
from jembatan.insights.tests.lifecycle import HOURS, START, WEIGHTED_OPS, Player
from jembatan.insights.tests.test_rollups import stored, word_counts
from jembatan.reports import actions
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    Disposition,
    DispositionStatus,
    Event,
    EventAction,
    Report,
    Status,
)
from jembatan.reports.sla import WorkingCalendar

pytestmark = pytest.mark.django_db


# --- The reference: the per-instance definitions ---------------------------------------------------


def reference_responsible_agency(report, dispositions):
    live = [
        d
        for d in dispositions
        if d.status not in (DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN)
    ]
    if live:
        return min(live, key=lambda d: (d.disposed_at, d.pk)).agency_id
    return report.verifying_agency_id or NATIONAL


def reference_report_fact(report, dispositions, cal):
    day = local_day(report.submitted_at)
    province, region = region_parts(report.region_id)
    category = report.category
    verified = report.verified_at is not None
    answered = report.answered_at is not None
    return ReportFact(
        report_id=report.pk,
        day=day,
        month=month_of(day),
        province=province,
        region=region,
        agency=reference_responsible_agency(report, dispositions),
        verifier=report.verifying_agency_id or NATIONAL,
        category=category.pk if category else 0,
        category_group=(category.parent_id or category.pk) if category else 0,
        channel=report.channel,
        kind=report.kind,
        status=report.status,
        verified=verified,
        verified_on_time=bool(
            verified and report.verification_due_at and report.verified_at <= report.verification_due_at
        ),
        verify_overdue=(
            not verified and report.status == Status.BELUM_TERVERIFIKASI and report.breached_at is not None
        ),
        verify_wd=cal.working_days_between(report.submitted_at, report.verified_at) if verified else -1,
        answered=answered,
        answered_on_time=bool(
            answered and report.completion_due_at and report.answered_at <= report.completion_due_at
        ),
        answer_wd=cal.working_days_between(report.submitted_at, report.answered_at) if answered else -1,
        rating=report.rating or 0,
        words=title_words(report.title),
        latitude=report.latitude,
        longitude=report.longitude,
    )


def reference_disposition_fact(disposition, report, cal):
    day = local_day(disposition.disposed_at)
    province, region = region_parts(report.region_id)
    category = report.category
    is_open = disposition.status in OPEN_DISPOSITION_STATUSES
    responded = disposition.first_response_at is not None
    completed = disposition.answered_at is not None
    breached = disposition.breached_at is not None
    return DispositionFact(
        disposition_id=disposition.pk,
        report_id=report.pk,
        day=day,
        month=month_of(day),
        province=province,
        region=region,
        agency=disposition.agency_id,
        category=category.pk if category else 0,
        category_group=(category.parent_id or category.pk) if category else 0,
        status=disposition.status,
        responded=responded,
        responded_on_time=bool(
            responded
            and disposition.first_response_due_at
            and disposition.first_response_at <= disposition.first_response_due_at
        ),
        response_overdue=is_open and not responded and breached,
        completed=completed,
        completed_on_time=bool(
            completed
            and disposition.completion_due_at
            and disposition.answered_at <= disposition.completion_due_at
        ),
        completion_overdue=is_open and responded and breached,
        returned=disposition.status == DispositionStatus.BUKAN_WEWENANG,
        wd=cal.working_days_between(disposition.disposed_at, disposition.answered_at) if completed else -1,
    )


def reference_facts():
    """({report id: fact values}, {disposition id: fact values}) from the model instances."""
    cal = WorkingCalendar.load()
    reports, dispositions = {}, {}
    for report in Report.objects.select_related("category").prefetch_related("dispositions"):
        if report.duplicate_of_id:
            continue
        own = list(report.dispositions.all())
        reports[report.pk] = _values(reference_report_fact(report, own, cal), factlib.REPORT_FACT_FIELDS)
        for d in own:
            dispositions[d.pk] = _values(
                reference_disposition_fact(d, report, cal), factlib.DISPOSITION_FACT_FIELDS
            )
    return reports, dispositions


def _values(fact, fields):
    return tuple(getattr(fact, name) for name in fields)


def stored_facts():
    reports = {
        pk: tuple(values)
        for pk, *values in ReportFact.objects.values_list("report_id", *factlib.REPORT_FACT_FIELDS)
    }
    dispositions = {
        pk: tuple(values)
        for pk, *values in DispositionFact.objects.values_list(
            "disposition_id", *factlib.DISPOSITION_FACT_FIELDS
        )
    }
    return reports, dispositions


# --- The history -------------------------------------------------------------------------------------


@pytest.fixture
def varied(w):
    """A seeded history of real actions across a new year, refreshed now and then, then merges."""
    # A correction the holidays library does not know: 2025-12-12 (a Friday) declared a day off.
    actions.set_calendar_override(
        actor=w.admin_nasional, date=dt.date(2025, 12, 12), is_working_day=False, note="Cuti bersama uji"
    )
    rng = random.Random(20261207)
    player = Player(w, refresh=rollups.refresh)
    for _ in range(160):
        player.step(rng.choice(WEIGHTED_OPS), rng.randint(0, 50), rng.choice(HOURS))
    for pick in range(50):  # and a disposition forwarded (dialihkan) to another office
        if Disposition.objects.filter(status=DispositionStatus.DIALIHKAN).exists():
            break
        player.step("forward", pick, 1)
    player.step("refresh", 0, 1)
    # Merge a few reports into others after their facts were stored: a rebuild must drop them.
    merged = []
    reports = list(Report.objects.order_by("-pk"))
    with time_machine.travel(player.now + dt.timedelta(hours=1), tick=False):
        for duplicate in reports:
            original = next(r for r in reports if r.pk != duplicate.pk and r.pk not in merged)
            for actor in (w.admin_nasional, *player.verifiers):
                try:
                    actions.mark_duplicate(report=duplicate, original=original, actor=actor)
                except (actions.ReportError, PermissionDenied):
                    continue
                merged.append(duplicate.pk)
                break
            if len(merged) == 3:
                break
    player.now += dt.timedelta(hours=2)
    return player, len(merged)


def test_the_fact_columns_are_the_models_stored_columns():
    def columns(model, key):
        return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in (key, "computed_at"))

    assert factlib.REPORT_FACT_FIELDS == columns(ReportFact, "report_id")
    assert factlib.DISPOSITION_FACT_FIELDS == columns(DispositionFact, "disposition_id")


def test_the_history_reaches_every_case_the_rebuild_must_get_right(varied):
    player, merged = varied
    assert merged == 3
    reports, dispositions = reference_facts()
    assert ReportFact.objects.filter(report__duplicate_of__isnull=False).exists()  # stale until rebuilt
    assert any(f[factlib.REPORT_FACT_FIELDS.index("verify_overdue")] for f in reports.values())
    assert any(f[factlib.REPORT_FACT_FIELDS.index("category")] == 0 for f in reports.values())
    assert any(f[factlib.REPORT_FACT_FIELDS.index("province")] == "" for f in reports.values())
    assert any(f[factlib.REPORT_FACT_FIELDS.index("agency")] == NATIONAL for f in reports.values())
    assert any(f[factlib.REPORT_FACT_FIELDS.index("answer_wd")] > 0 for f in reports.values())
    returned = factlib.DISPOSITION_FACT_FIELDS.index("returned")
    assert any(f[returned] for f in dispositions.values())
    assert Disposition.objects.filter(status=DispositionStatus.DIALIHKAN).exists()
    assert any(f[factlib.DISPOSITION_FACT_FIELDS.index("wd")] >= 0 for f in dispositions.values())
    assert Event.objects.filter(action=EventAction.INFORMATION_REQUESTED).exists()  # paused clocks
    # Deadlines and durations cross the new year's holidays and the correction.
    assert player.now.date() > dt.date(2026, 1, 2) and START.date() < dt.date(2025, 12, 12)


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_a_rebuild_of_the_facts_equals_the_per_report_definitions_whatever_the_batch(varied, batch):
    player, _merged = varied
    # A stale fact besides: a report's whose verifier was changed behind the facts' back.
    ReportFact.objects.filter(report_id=Report.objects.order_by("pk").first().pk).update(verifier=-5)
    with time_machine.travel(player.now, tick=False):
        count = factlib.rebuild_facts(WorkingCalendar.load(), batch=batch)
    assert count == Report.objects.count()
    assert stored_facts() == reference_facts()


def test_a_full_rebuild_builds_the_cubes_the_reference_facts_build(varied):
    player, _merged = varied
    reports, dispositions = reference_facts()
    # The cubes of the reference facts: stored as they are, then aggregated (a cubes-only rebuild).
    ReportFact.objects.all().delete()
    DispositionFact.objects.all().delete()
    ReportFact.objects.bulk_create(
        ReportFact(report_id=pk, **dict(zip(factlib.REPORT_FACT_FIELDS, values, strict=True)))
        for pk, values in reports.items()
    )
    DispositionFact.objects.bulk_create(
        DispositionFact(disposition_id=pk, **dict(zip(factlib.DISPOSITION_FACT_FIELDS, values, strict=True)))
        for pk, values in dispositions.items()
    )
    with time_machine.travel(player.now, tick=False):
        rollups.rebuild(facts=False)
        expected, expected_words = stored(), word_counts()
        rollups.rebuild()
    assert stored_facts() == (reports, dispositions)
    assert stored() == expected
    assert word_counts() == expected_words


def test_the_incremental_refresh_writes_the_facts_a_rebuild_writes(varied):
    player, _merged = varied
    ids = list(Report.objects.values_list("pk", flat=True))
    with time_machine.travel(player.now, tick=False):
        rollups.refresh_facts_of(ids)
        refreshed = stored_facts()
        # Nothing changed since: a second pass finds every fact equal and marks no period.
        touched = factlib.refresh_facts(ids, WorkingCalendar.load())
    assert not touched
    assert refreshed == reference_facts()
