"""The queues read as streams (one per status and deadline, some split into branches) list the same
rows, in the same order, with the same capped counts as the queue's rules say, on every page.

The expected rows are computed here in Python from the rules (who verifies, which disposition is
late, who may see what), report by report, not from the querysets under test.
"""

import pytest
import time_machine

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.reports import actions
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    Classification,
    DispositionStatus,
    Escalation,
    Report,
    Status,
)
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f
from jembatan.workbench import forms as wf
from jembatan.workbench.queues import QUEUES_BY_SLUG, count_rows, decode_cursor, loader, paginate
from jembatan.workbench.tests.helpers import at

pytestmark = pytest.mark.django_db

ROLES = [
    "verifier",
    "verifier_prov",
    "coordinator_pupr",
    "liaison_pupr",
    "liaison_dinkes",
    "admin_nasional",
    "auditor",
]


# --- The fixture: reports in every state, late for some officers and not for others -------------------


def _disposed(
    w, agencies, *, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN, province=False
):
    """Verified and disposed by Padang's verifier, or (province) addressed to and verified by the province."""
    verifier = w.verifier_prov if province else w.verifier
    report = f.submit(w, target_agency=w.prov) if province else f.submit(w)
    report = actions.verify_report(report=report, actor=verifier, classification=classification)
    return actions.dispose_report(report=report, actor=verifier, agencies=agencies)


def _populate(w):
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):  # one moment: equal deadlines, ordered by id
        f.submit(w)
        f.submit(w)
        actions.request_information(
            report=f.submit(w), actor=w.verifier, message="Mohon sebutkan patokan lokasi."
        )
        _disposed(w, [w.pupr])
        _disposed(w, [w.pupr])
        both = _disposed(w, [w.pupr, w.dinkes])  # one office late, the other working on it
        actions.start_follow_up(disposition=both.dispositions.get(agency=w.dinkes), actor=w.liaison_dinkes)
        _disposed(w, [w.pupr], province=True)  # late for Padang's offices, not Padang's to verify
        _disposed(w, [w.pupr], province=True, classification=Classification.ASPIRASI)
        # 60 working days to finish, 5 to respond: the office is late long before the report is.
        _disposed(w, [w.pupr], classification=Classification.PENGADUAN_BERKADAR_PENGAWASAN)
        _disposed(w, [w.dinkes], classification=Classification.ASPIRASI)
        f.answered(w)
        returned = _disposed(w, [w.pupr])
        actions.return_disposition(
            disposition=returned.dispositions.get(), actor=w.liaison_pupr, reason="Bukan wewenang dinas ini."
        )
    with time_machine.travel(at(2026, 11, 4, 14), tick=False):
        f.submit(w, target_agency=w.prov)
        f.in_progress(w)
        _disposed(w, [w.dinkes, w.pupr], province=True)
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        f.submit(w)
        _disposed(w, [w.pupr])
        f.in_progress(w)
        actions.request_information(
            report=f.submit(w), actor=w.verifier, message="Mohon lampirkan foto lokasi."
        )


# Moments to look from: before anything is late, some deadlines past (and swept: escalations), all.
MOMENTS = [
    at(2026, 11, 3, 9),
    at(2026, 11, 10, 12),
    at(2026, 11, 19, 9),
    at(2026, 11, 25, 16),
    at(2027, 3, 1, 9),
]


@pytest.fixture
def populated(w):
    _populate(w)
    return w


# --- The rules, report by report ------------------------------------------------------------------------


def _verifies(user, report):
    return access.can(user, Action.VERIFY, report.verifying_agency)


def _is_read_only(user):
    return bool(access.scopes_for(user, Action.VIEW_REPORTS)) and not (
        access.scopes_for(user, Action.VERIFY) or access.scopes_for(user, Action.FOLLOW_UP)
    )


def _late_for_an_office_of(user, report, now):
    for d in report.dispositions.all():
        if d.status not in (DispositionStatus.TERDISPOSISI, DispositionStatus.DIPROSES):
            continue
        if not access.can(user, Action.FOLLOW_UP, d.agency):
            continue
        if (
            d.status == DispositionStatus.TERDISPOSISI and d.first_response_due_at < now
        ) or d.completion_due_at < now:
            return True
    return False


def _dated_key(report):
    """(due, id) for a report in a dated stream, None when it has no running deadline."""
    if report.status == Status.BELUM_TERVERIFIKASI:
        if report.verification_due_at is None or report.paused_at is not None:
            return None
        return (report.verification_due_at, report.pk)
    if report.status in (Status.TERDISPOSISI, Status.DIPROSES) and report.completion_due_at is not None:
        return (report.completion_due_at, report.pk)
    return None


def _all_reports():
    return list(Report.objects.select_related("verifying_agency").prefetch_related("dispositions__agency"))


def expected_overdue(user, now, keep=lambda report: True):
    verifies_somewhere = bool(access.scopes_for(user, Action.VERIFY))
    read_only = _is_read_only(user)
    keyed = []
    for r in _all_reports():
        key = _dated_key(r)
        if key is None or not keep(r):
            continue
        if r.status == Status.BELUM_TERVERIFIKASI:
            late = verifies_somewhere and _verifies(user, r) and r.verification_due_at < now
        else:
            past = r.completion_due_at < now
            late = (
                (_verifies(user, r) and past)
                or _late_for_an_office_of(user, r, now)
                or (read_only and access.can_view_report_internal(user, r) and past)
            )
        if late:
            keyed.append((key, r.pk))
    return [pk for _key, pk in sorted(keyed)]


def expected_escalated(user, now, keep=lambda report: True):
    def scopes(agency):
        return access.can(user, Action.VERIFY, agency) or access.can(user, Action.ASSIGN_LIAISON, agency)

    escalated = {e.report_id for e in Escalation.objects.select_related("to_agency") if scopes(e.to_agency)}
    dated, undated = [], []
    for r in _all_reports():
        if r.pk not in escalated or r.status not in ACTIVE_STATUSES or not keep(r):
            continue
        key = _dated_key(r)
        if key is not None:
            dated.append(key)
        elif r.status in (Status.MENUNGGU_KELENGKAPAN, Status.SELESAI):
            undated.append(r.pk)
    return [pk for _due, pk in sorted(dated)] + sorted(undated)


def expected_to_verify(user, now, keep=lambda report: True):
    dated, undated = [], []
    for r in _all_reports():
        if not _verifies(user, r) or not keep(r):
            continue
        key = _dated_key(r) if r.status == Status.BELUM_TERVERIFIKASI else None
        if key is not None:
            dated.append(key)
        elif r.status == Status.MENUNGGU_KELENGKAPAN:
            undated.append(r.pk)
    return [pk for _due, pk in sorted(dated)] + sorted(undated)


EXPECTED = {"terlambat": expected_overdue, "eskalasi": expected_escalated, "verifikasi": expected_to_verify}


# --- Reading the queue as an officer does --------------------------------------------------------------


def walk(streams, queue, size):
    """Every page forward, then back from the last: (forward ids, backward ids)."""
    load = loader(queue)
    page = paginate(streams, load=load, size=size)
    pages, forward = [page], [r.pk for r in page.rows]
    while page.next_cursor:
        page = paginate(streams, load=load, size=size, after=decode_cursor(page.next_cursor))
        pages.append(page)
        forward += [r.pk for r in page.rows]
    page = pages[-1]
    backward = [r.pk for r in page.rows]
    while page.prev_cursor:
        page = paginate(streams, load=load, size=size, before=decode_cursor(page.prev_cursor))
        backward = [r.pk for r in page.rows] + backward
    assert page.is_first
    return forward, backward


def _check(queue, user, queryset, expected):
    streams = queue.streams(queryset, user)
    for size in (1, 2, 3, 50):
        assert walk(streams, queue, size) == (expected, expected), size
    for cap in range(len(expected) + 2):
        assert count_rows(queue, queryset, user, cap=cap) == min(len(expected), cap + 1), cap
    # The queryset itself (the whole condition, unsplit) holds the same rows.
    assert set(queryset.values_list("pk", flat=True).distinct()) == set(expected)


@pytest.mark.parametrize("slug", ["terlambat", "eskalasi", "verifikasi"])
def test_a_queue_read_in_streams_lists_what_its_rules_say_in_order_on_every_page(populated, slug):
    w = populated
    queue = QUEUES_BY_SLUG[slug]
    seen = 0
    for now in MOMENTS:
        with time_machine.travel(now, tick=False):
            run_sla_sweep()  # escalations of whatever is late by now
            for role in ROLES:
                user = getattr(w, role)
                base = queue.base(user, now)
                expected = EXPECTED[slug](user, now)
                if base is None:
                    assert expected == [], role
                    continue
                _check(queue, user, base, expected)
                seen += len(expected)
    assert seen > 20  # the fixture does put rows in the queue


@pytest.mark.parametrize("slug", ["terlambat", "eskalasi"])
def test_a_filtered_queue_read_in_streams_keeps_the_filter_on_every_branch(populated, slug):
    w = populated
    queue = QUEUES_BY_SLUG[slug]
    now = MOMENTS[-2]
    with time_machine.travel(now, tick=False):
        run_sla_sweep()
        for role in ("verifier", "verifier_prov"):
            user = getattr(w, role)
            # Reports handled by the Dinas Kesehatan only (the agency filter: verified or disposed there).
            filters = wf.QueueFilterForm({"agency": w.dinkes.pk}, user=user)
            assert filters.is_valid(), filters.errors
            filtered = filters.apply(queue.base(user, now), of_dispositions=False)

            def at_dinkes(report):
                return any(d.agency_id == w.dinkes.pk for d in report.dispositions.all())

            expected = EXPECTED[slug](user, now, keep=at_dinkes)
            _check(queue, user, filtered, expected)


def test_the_verifiers_overdue_queue_reads_its_own_reports_and_the_late_dispositions_apart(populated):
    # One OR of the verifier's reports and the late dispositions' ids made PostgreSQL test every
    # row against a hash of every late disposition in scope (docs/scale.md): each stream reads one.
    w = populated
    queue = QUEUES_BY_SLUG["terlambat"]
    now = MOMENTS[-1]
    streams = queue.streams(queue.base(w.verifier, now), w.verifier)
    where = [str(qs.query).split(" WHERE ", 1)[1] for qs, _dated in streams]
    assert len(where) == 5  # unverified; disposed and in progress, each by the verifier and by the offices
    for condition in where:
        assert ('"verifying_agency_id"' in condition) != ("reports_disposition" in condition), condition
