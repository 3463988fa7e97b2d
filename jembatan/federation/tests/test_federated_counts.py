"""What the dashboards (insights facts) count for reports shared between instances.

Holder: a copy held for another instance is an ordinary report here, counted once, for the agency
of this instance that worked it (its disposition), under the "import" channel. Origin: the report
is counted once, for the agency the answer came from (hosted elsewhere), with the state the
holder's messages brought; the copy lives only in the holder's database, so no instance, hub
included, counts one report twice.
"""

import pytest

from jembatan.federation import actions as federated
from jembatan.federation.tests.test_federation import HUB_KEY, PU_KEY, envelope, forwarded, send, verified
from jembatan.federation.tests.test_federation import w as w  # noqa: F401  (the fixture)
from jembatan.insights import rollups
from jembatan.insights.models import DispositionFact, ReportFact
from jembatan.reports import actions
from jembatan.reports.models import Channel, Classification, Report

pytestmark = pytest.mark.django_db
ANSWER = "Jalan sudah kami tambal kemarin sore; mohon dicek kembali."


def facts(report):
    rollups.refresh_facts_of([report.pk])
    return ReportFact.objects.get(report=report), list(DispositionFact.objects.filter(report=report))


def test_a_copy_held_for_another_instance_counts_once_for_the_local_agency_that_worked_it(w, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(w)))
    copy = actions.verify_report(
        report=Report.objects.get(),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )
    federated.dispose_report(report=copy, actor=w.verifier, agencies=[w.pupr])
    disposition = copy.dispositions.get()
    disposition = federated.start_follow_up(disposition=disposition, actor=w.liaison_pupr)
    federated.post_follow_up(disposition=disposition, actor=w.liaison_pupr, text=ANSWER)
    report_fact, disposition_facts = facts(copy)
    assert ReportFact.objects.count() == 1
    assert (report_fact.agency, report_fact.verifier, report_fact.channel) == (
        w.pupr.pk,
        w.padang.pk,
        Channel.IMPORT,
    )
    assert report_fact.answered
    [fact] = disposition_facts
    assert (fact.agency, fact.responded, fact.completed) == (w.pupr.pk, True, True)


def test_the_origin_counts_its_report_once_for_the_remote_agency_with_the_holders_answer(w, client):
    report = verified(w)
    federated.dispose_report(report=report, actor=w.verifier_prov, agencies=[w.ministry])
    number = report.tracking_number
    for seq, kind, payload in (
        (1, "follow_up_started", {"agency": "Kementerian PU"}),
        (2, "follow_up_posted", {"agency": "Kementerian PU", "text": ANSWER}),
    ):
        message = envelope(kind, seq, payload, sender="pu", origin="sumbar", number=number)
        assert send(client, "pu", PU_KEY, message).json()["result"] == "applied"
    report_fact, [fact] = facts(report)
    assert ReportFact.objects.count() == 1 and report_fact.agency == w.ministry.pk
    assert (fact.agency, fact.responded, fact.completed) == (w.ministry.pk, True, True)
