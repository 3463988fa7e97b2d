"""Two officers acting on the same report at once: exactly one wins, the other is told clearly."""

import threading

import pytest
from django.db import connection

from jembatan.reports import actions
from jembatan.reports.models import Classification, Disposition, Event, Report
from jembatan.reports.tests import factories as f


def test_a_stale_form_is_refused_with_an_already_changed_message(db):
    w = f.build_world()
    report = f.submit(w)
    seen_by_both = report.version
    actions.request_information(
        report=report, actor=w.verifier, message="Mohon lampirkan foto.", expected_version=seen_by_both
    )
    with pytest.raises(actions.ReportConflict, match="sudah diubah"):
        actions.verify_report(
            report=report,
            actor=w.verifier_prov,
            classification=Classification.ASPIRASI,
            expected_version=seen_by_both,
        )
    assert Report.objects.get(pk=report.pk).classification == ""


@pytest.mark.django_db(transaction=True)
def test_two_officers_disposing_at_the_same_moment_cannot_both_win():
    w = f.build_world()
    report = actions.verify_report(
        report=f.submit(w),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )
    version = report.version
    barrier = threading.Barrier(2)
    outcomes = []

    def officer(actor, agency):
        try:
            barrier.wait(timeout=10)
            actions.dispose_report(
                report=Report.objects.get(pk=report.pk),
                actor=actor,
                agencies=[agency],
                expected_version=version,
            )
            outcomes.append("won")
        except actions.ReportError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=officer, args=(w.verifier, w.pupr)),
        threading.Thread(target=officer, args=(w.verifier_prov, w.dinkes)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("won") == 1, outcomes
    loser = next(o for o in outcomes if o != "won")
    assert isinstance(loser, actions.ReportConflict) and "sudah diubah" in loser.message
    assert Disposition.objects.filter(report=report).count() == 1
    assert Event.objects.filter(report=report, action="disposed").count() == 1
