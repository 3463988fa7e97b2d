"""Rollups equal a direct recount of the reports, however the reports got where they are.

The recount below is written from the definitions in insights/facts.py, straight from Report and
Disposition rows, without using the facts or the cubes: a random history of real actions (with
refreshes at random moments in between) must leave every cube exactly equal to it.
"""

import datetime as dt
from collections import defaultdict

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jembatan.directory.models import Agency
from jembatan.insights import rollups
from jembatan.insights.facts import title_words
from jembatan.insights.models import Grain, ScopeRegionWordCube, ScopeWordCube
from jembatan.insights.tests.lifecycle import HOURS, WEIGHTED_OPS, Player
from jembatan.reports.models import Report
from jembatan.reports.sla import JAKARTA, WorkingCalendar

pytestmark = pytest.mark.django_db

REPORT_MEASURES = list(rollups.REPORT_MEASURES)
DISPOSITION_MEASURES = list(rollups.DISPOSITION_MEASURES)


def _day(moment):
    return moment.astimezone(JAKARTA).date()


def _hubs():
    """Agency id → the ids of the agencies with children that contain it (and 0)."""
    agencies = list(Agency.objects.all())
    parents = {a.parent_id for a in agencies if a.parent_id}
    by_id = {a.pk: a for a in agencies}
    result = {0: {0}}
    for agency in agencies:
        chain, node = set(), agency
        while node is not None:
            if node.pk in parents:
                chain.add(node.pk)
            node = by_id.get(node.parent_id)
        result[agency.pk] = chain | {0}
    return result


def recount():
    """Expected cube rows {cube model name: {key: measures}} computed from the reports themselves."""
    cal = WorkingCalendar.load()
    hubs = _hubs()
    report_rows, disposition_rows = [], []
    for report in Report.objects.select_related("category", "region").prefetch_related("dispositions"):
        dispositions = sorted(report.dispositions.all(), key=lambda d: (d.disposed_at, d.pk))
        live = [d for d in dispositions if d.status not in ("bukan_wewenang", "dialihkan")]
        agency = live[0].agency_id if live else (report.verifying_agency_id or 0)
        code = report.region_id or ""
        province = code.split(".")[0] if code else ""
        region = ".".join(code.split(".")[:2]) if code else ""
        category = report.category_id or 0
        group = (report.category.parent_id or report.category_id) if report.category_id else 0
        day = _day(report.submitted_at)
        verified = report.verified_at is not None
        answered = report.answered_at is not None
        dims = {
            "province": province,
            "region": region,
            "agency": agency,
            "verifier": report.verifying_agency_id or 0,
            "category": category,
            "category_group": group,
            "channel": report.channel,
            "kind": report.kind,
            "status": report.status,
        }
        measures = {
            "reports": 1,
            "verified": int(verified),
            "verified_on_time": int(verified and report.verified_at <= report.verification_due_at),
            "verify_overdue": int(
                not verified and report.status == "belum_terverifikasi" and report.breached_at is not None
            ),
            "verify_wd_sum": cal.working_days_between(report.submitted_at, report.verified_at)
            if verified
            else 0,
            "answered": int(answered),
            "answered_on_time": int(answered and report.answered_at <= report.completion_due_at),
            "answer_wd_sum": cal.working_days_between(report.submitted_at, report.answered_at)
            if answered
            else 0,
            "rated": int(bool(report.rating)),
            "rating_sum": report.rating or 0,
        }
        report_rows.append((day, dims, measures))
        for d in dispositions:
            is_open = d.status in ("terdisposisi", "diproses")
            responded = d.first_response_at is not None
            completed = d.answered_at is not None
            wd = cal.working_days_between(d.disposed_at, d.answered_at) if completed else -1
            ddims = {
                "province": province,
                "region": region,
                "agency": d.agency_id,
                "category": category,
                "category_group": group,
                "status": d.status,
                "wd": wd,
            }
            dmeasures = {
                "dispositions": 1,
                "responded": int(responded),
                "responded_on_time": int(responded and d.first_response_at <= d.first_response_due_at),
                "response_overdue": int(is_open and not responded and d.breached_at is not None),
                "completed": int(completed),
                "completed_on_time": int(completed and d.answered_at <= d.completion_due_at),
                "completion_overdue": int(is_open and responded and d.breached_at is not None),
                "returned": int(d.status == "bukan_wewenang"),
                "wd_sum": max(wd, 0),
            }
            disposition_rows.append((_day(d.disposed_at), ddims, dmeasures))

    expected = {}
    for spec in rollups.CUBES:
        rows = report_rows if spec.family == "r" else disposition_rows
        names = REPORT_MEASURES if spec.family == "r" else DISPOSITION_MEASURES
        cube = defaultdict(lambda names=names: dict.fromkeys(names, 0))
        for day, dims, measures in rows:
            for grain, period in ((Grain.DAY, day), (Grain.MONTH, day.replace(day=1))):
                scopes = sorted(hubs[dims[spec.fan_out]]) if spec.fan_out else [None]
                for scope in scopes:
                    key = (grain, period, scope, *(dims[d] for d in spec.dims))
                    for name in names:
                        cube[key][name] += measures[name]
        expected[spec.model.__name__] = dict(cube)
    return expected


def stored():
    result = {}
    for spec in rollups.CUBES:
        names = REPORT_MEASURES if spec.family == "r" else DISPOSITION_MEASURES
        fields = ["grain", "period", *(["scope"] if spec.fan_out else []), *spec.dims]
        rows = {}
        for row in spec.model.objects.values(*fields, *names):
            key = (row["grain"], row["period"], row.get("scope"), *(row[d] for d in spec.dims))
            assert key not in rows, f"{spec.model.__name__}: duplicate row {key}"
            rows[key] = {name: row[name] for name in names}
        result[spec.model.__name__] = rows
    return result


def word_counts():
    return (
        sorted(ScopeWordCube.objects.values_list("day", "scope", "word", "reports")),
        sorted(ScopeRegionWordCube.objects.values_list("day", "scope", "region", "word", "reports")),
    )


def word_recount(today):
    """Reports per (day, hub, title word) and per (day, hub, kabupaten/kota, title word) over the
    days the word cubes keep."""
    hubs, counts, by_region = _hubs(), defaultdict(int), defaultdict(int)
    for report in Report.objects.prefetch_related("dispositions"):
        day = _day(report.submitted_at)
        if day < today - dt.timedelta(days=rollups.WORD_DAYS):
            continue
        dispositions = sorted(report.dispositions.all(), key=lambda d: (d.disposed_at, d.pk))
        live = [d for d in dispositions if d.status not in ("bukan_wewenang", "dialihkan")]
        agency = live[0].agency_id if live else (report.verifying_agency_id or 0)
        code = report.region_id or ""
        region = ".".join(code.split(".")[:2]) if code else ""
        for word in title_words(report.title).split():
            for hub in hubs[agency]:
                counts[(day, hub, word)] += 1
                by_region[(day, hub, region, word)] += 1
    return (
        sorted((*key, n) for key, n in counts.items()),
        sorted((*key, n) for key, n in by_region.items()),
    )


def assert_cubes_match_recount():
    expected, actual = recount(), stored()
    for name in expected:
        assert actual[name] == expected[name], name


steps = st.lists(
    st.tuples(st.sampled_from(WEIGHTED_OPS), st.integers(min_value=0, max_value=50), st.sampled_from(HOURS)),
    min_size=5,
    max_size=60,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps)
def test_rollups_equal_a_direct_recount_after_any_history_of_actions(w, history):
    with transaction.atomic():
        player = Player(w, refresh=rollups.refresh)
        for op, pick, hours in [("submit", 0, 1), ("submit", 3, 2), *history]:
            player.step(op, pick, hours)
        player.step("refresh", 0, 1)
        assert_cubes_match_recount()
        assert word_counts() == word_recount(_day(player.now))
        # A rebuild from scratch lands on the same numbers as the incremental refreshes.
        with time_machine.travel(player.now, tick=False):
            rollups.rebuild()
        assert_cubes_match_recount()
        assert word_counts() == word_recount(_day(player.now))
        transaction.set_rollback(True)


def test_moving_an_agency_moves_its_numbers_to_the_new_hubs(w):
    player = Player(w, refresh=rollups.refresh)
    for op, pick in [("submit", 0), ("verify", 0), ("dispose", 3), ("submit", 1), ("refresh", 0)]:
        player.step(op, pick, 2)
    # Dinas PUPR Bukittinggi moves under Kota Padang: Padang's subtree now holds its reports.
    w.bkt_pupr.parent = w.padang
    w.bkt_pupr.save()
    player.step("refresh", 0, 1)
    assert_cubes_match_recount()


def test_a_refresh_with_nothing_new_writes_nothing(w):
    player = Player(w, refresh=rollups.refresh)
    for op, pick in [("submit", 0), ("verify", 0), ("refresh", 0)]:
        player.step(op, pick, 2)
    before = stored()
    result = rollups.refresh(now=player.now + dt.timedelta(hours=1))
    assert result.periods == 0
    assert stored() == before


def test_a_long_seeded_history_reaches_every_kind_of_number_and_still_matches(w):
    import random

    from jembatan.insights.models import DispositionFact, ReportFact

    rng = random.Random(20260101)
    player = Player(w, refresh=rollups.refresh)
    for _ in range(220):
        player.step(rng.choice(WEIGHTED_OPS), rng.randint(0, 50), rng.choice(HOURS))
    player.step("refresh", 0, 1)
    assert_cubes_match_recount()
    # The history is long enough to exercise every measure, so the equality above means something.
    assert ReportFact.objects.filter(verified_on_time=True).exists()
    assert ReportFact.objects.filter(verify_overdue=True).exists()
    assert DispositionFact.objects.filter(completed=True).exists()
    assert (
        DispositionFact.objects.filter(returned=True).exists()
        or DispositionFact.objects.filter(status="dialihkan").exists()
    )
    assert ReportFact.objects.filter(rating__gt=0).exists()


def test_the_command_and_the_periodic_task_build_the_same_cubes(w):
    import io

    from django.core.management import call_command

    from jembatan.insights.tasks import refresh_rollups_task

    player = Player(w, refresh=lambda: None)
    for op, pick in [("submit", 0), ("dispose", 0), ("submit", 3), ("start", 0)]:
        player.step(op, pick, 3)
    with time_machine.travel(player.now, tick=False):
        refresh_rollups_task()
        by_task = stored()
        out = io.StringIO()
        call_command("rebuild_rollups", "--no-progress", stdout=out)
        assert "2 laporan" in out.getvalue()
        assert stored() == by_task
        call_command("rebuild_rollups", "--cubes-only", stdout=out)
    assert stored() == by_task
    assert_cubes_match_recount()


@pytest.mark.django_db(transaction=True)
def test_the_command_leaves_the_rebuilt_tables_vacuumed_on_postgresql(w):
    """Outside a transaction the command VACUUMs what it rewrote (PostgreSQL): pages marked
    all-visible, so the dashboards' index-only scans need not visit the heap. Inside one (a caller's
    atomic block) it can only ANALYZE, and must not fail."""
    from django.core.management import call_command
    from django.db import connection

    from jembatan.insights.models import ReportCube

    player = Player(w, refresh=lambda: None)
    for pick in range(3):
        player.step("submit", pick, 3)
    call_command("rebuild_rollups", "--no-progress", verbosity=0)
    assert ReportCube.objects.exists()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = %s", [ReportCube._meta.db_table])
        assert cursor.fetchone()[0] > 0
    with transaction.atomic():
        call_command("rebuild_rollups", "--no-progress", "--cubes-only", verbosity=0)
