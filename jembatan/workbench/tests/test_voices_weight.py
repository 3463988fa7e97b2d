"""The queue shows how many people a problem has: "12 warga melaporkan ini"."""

import pytest

from jembatan.accounts.tests.factories import make_user
from jembatan.insights import rollups
from jembatan.insights.models import ReportFact
from jembatan.reports import actions
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_queue_weighs_a_problem_by_its_reporters_and_supporters(w, as_user):
    original = f.disposed(w)
    for n in range(2):
        merged = f.submit(w, actor=make_user(f"pelapor{n}"))
        actions.mark_duplicate(report=merged, original=original, actor=w.verifier)
    actions.support_report(report=original, actor=make_user("pendukung"))
    html = as_user(w.coordinator_pupr).get("/kerja/antrean/masuk/").content.decode()
    row = html.split(f"#{original.tracking_number}", 1)[1].split("</tr>", 1)[0]
    # 1 reporter + 2 merged reporters + 1 supporter; the merged reporters' own supports (added by
    # the merge) are not counted twice.
    assert "4 warga melaporkan ini" in row


def test_a_single_voice_shows_no_weight(w, as_user):
    report = f.disposed(w)
    html = as_user(w.coordinator_pupr).get("/kerja/antrean/masuk/").content.decode()
    row = html.split(f"#{report.tracking_number}", 1)[1].split("</tr>", 1)[0]
    assert "warga melaporkan ini" not in row


def test_dashboards_count_a_merged_report_once_as_its_original(w):
    original = f.disposed(w)
    merged = f.submit(w, actor=w.other_citizen)
    rollups.refresh_facts_of([original.pk, merged.pk])
    assert ReportFact.objects.filter(report_id=merged.pk).exists()
    actions.mark_duplicate(report=merged, original=original, actor=w.verifier)
    rollups.refresh_facts_of([original.pk, merged.pk])
    assert list(ReportFact.objects.values_list("report_id", flat=True)) == [original.pk]
