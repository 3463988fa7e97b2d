"""The SLA sweep: reminders, the escalation ladder, system closing and archiving (frozen time)."""

import datetime as dt

import pytest
import time_machine

from jembatan.notify.models import Notification
from jembatan.reports import actions
from jembatan.reports.models import Escalation, EscalationKind, Event, Report, Status
from jembatan.reports.sla import JAKARTA
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=JAKARTA)


@pytest.fixture
def w():
    return f.build_world()


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return run_sla_sweep()


def staff_messages(template, user):
    return Notification.objects.filter(template=template, user=user).count()


def test_sweep_touches_nothing_before_anything_is_due(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        f.submit(w)
    result = sweep(at(2026, 11, 23, 12))
    assert result.reports_checked == 0 and result.dispositions_checked == 0


def test_verification_ladder_reminds_then_escalates_to_the_parent_coordinators(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Mon, due Thu 26 23:59
        report = f.submit(w)
    sweep(at(2026, 11, 26, 12))  # past 80% of Tue–Thu
    assert staff_messages("sla_reminder", w.verifier) == 1
    assert not Escalation.objects.exists()
    sweep(at(2026, 11, 27, 9))  # breached
    first = Escalation.objects.get()
    assert (first.kind, first.level, first.to_agency) == (EscalationKind.VERIFICATION, 1, w.padang)
    assert staff_messages("sla_escalation", w.verifier) == 1
    sweep(at(2026, 11, 30, 12))  # not yet: the second rung is at the end of Mon 30 Nov
    assert not Escalation.objects.filter(level=2).exists()
    sweep(at(2026, 12, 1, 9))  # two working days after the due date (Fri 27, Mon 30)
    second = Escalation.objects.get(level=2)
    assert second.to_agency == w.prov
    assert staff_messages("sla_escalation", w.verifier_prov) == 1
    report.refresh_from_db()
    assert report.escalation_level == 2 and report.next_check_at is not None  # Ombudsman check remains


def test_running_the_sweep_twice_does_the_work_once(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        f.submit(w)
    sweep(at(2026, 11, 27, 9))
    sweep(at(2026, 11, 27, 9))
    assert Escalation.objects.count() == 1
    assert staff_messages("sla_reminder", w.verifier) == 1
    assert staff_messages("sla_escalation", w.verifier) == 1


def test_disposition_ladder_reminds_the_liaison_then_its_coordinator_then_the_one_above(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.disposed(w)  # first response due Mon 30 Nov
        disposition = report.dispositions.get()
        actions.assign_liaison(disposition=disposition, actor=w.coordinator_pupr, liaison=w.liaison_pupr)
    sweep(at(2026, 11, 27, 12))  # too early: 80% of the working time falls on Fri 27 at 21:00
    assert staff_messages("sla_reminder", w.liaison_pupr) == 0
    sweep(at(2026, 11, 28, 12))
    assert staff_messages("sla_reminder", w.liaison_pupr) == 1
    sweep(at(2026, 12, 1, 9))  # breached
    assert Escalation.objects.get(level=1, disposition=disposition).to_agency == w.pupr
    assert staff_messages("sla_escalation", w.coordinator_pupr) == 1
    sweep(at(2026, 12, 4, 9))  # two working days after the breach (end of Thu 3 Dec)
    assert Escalation.objects.get(level=2, disposition=disposition).to_agency == w.padang
    assert staff_messages("sla_escalation", w.verifier) >= 1


def test_starting_the_follow_up_stops_the_first_response_ladder(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.disposed(w)
    with time_machine.travel(at(2026, 11, 24, 9), tick=False):
        actions.start_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr)
    sweep(at(2026, 12, 1, 9))
    assert not Escalation.objects.exists()


def test_answered_report_is_closed_by_the_system_after_ten_working_days_without_reply(w):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.answered(w)
    sweep(at(2026, 12, 7, 9))  # 10 working days after Mon 23 is Mon 7 Dec 23:59
    report.refresh_from_db()
    assert report.status == Status.SELESAI
    sweep(at(2026, 12, 8, 0, 1))
    report.refresh_from_db()
    assert report.status == Status.DITUTUP_SISTEM and report.next_check_at is None
    assert Event.objects.filter(report=report, action="closed_by_system", actor=None).exists()


def test_report_waiting_for_information_is_archived_after_thirty_days(w):
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        report = f.submit(w)
        actions.request_information(report=report, actor=w.verifier, message="Lampirkan foto lokasinya.")
    sweep(at(2026, 12, 1, 9))
    report.refresh_from_db()
    assert report.status == Status.MENUNGGU_KELENGKAPAN
    sweep(at(2026, 12, 2, 9, 1))
    report.refresh_from_db()
    assert report.status == Status.DIARSIPKAN_SISTEM
    assert report.archive_reason.code == "kedaluwarsa"


def test_complaint_unresolved_after_sixty_days_is_flagged_for_the_ombudsman_with_consent(w):
    from jembatan.accounts.models import Role
    from jembatan.accounts.tests.factories import make_staff

    ombudsman = make_staff(Role.AUDITOR, None, username="ombudsman", email="ombudsman@example.id")
    with time_machine.travel(at(2026, 9, 1, 9), tick=False):
        with_consent = f.in_progress(w, ombudsman_consent=True)
        without = f.in_progress(w)
    sweep(at(2026, 10, 31, 9))
    assert Report.objects.filter(ombudsman_flagged_at__isnull=False).count() == 2
    assert Event.objects.filter(action="ombudsman_flagged", report=with_consent).get().data == {
        "consent": True
    }
    assert Event.objects.filter(action="ombudsman_flagged", report=without).get().data == {"consent": False}
    assert staff_messages("ombudsman_flag", ombudsman) == 1  # only the report whose reporter agreed
