"""The timeline is the audit log: append-only, complete, and honest about who did what."""

import pytest
from django.db import DatabaseError, connection, transaction

from jembatan.reports import actions
from jembatan.reports.models import Event, Visibility
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return f.build_world()


def test_every_step_is_recorded_with_actor_role_and_statuses(w):
    report = f.answered(w)
    rows = list(
        report.events.values_list("action", "actor_role", "status_before", "status_after", "visibility")
    )
    assert rows[0] == ("submitted", "pelapor", "", "belum_terverifikasi", Visibility.PUBLIC)
    assert (
        "verified",
        "admin_instansi",
        "belum_terverifikasi",
        "belum_terverifikasi",
        Visibility.INTERNAL,
    ) in rows
    assert ("follow_up_started", "penghubung", "terdisposisi", "diproses", Visibility.PUBLIC) in rows
    assert rows[-1] == ("follow_up_posted", "penghubung", "diproses", "selesai", Visibility.PUBLIC)


def test_system_moves_are_recorded_without_an_actor(w):
    report = f.submit(w)
    actions.request_information(report=report, actor=w.verifier, message="Mohon lengkapi lokasi.")
    event = report.events.get(action="information_requested")
    assert event.actor == w.verifier and event.visibility == Visibility.REPORTER


def test_events_cannot_be_changed_or_deleted_through_the_orm(w):
    event = f.submit(w).events.first()
    event.text = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(text="rewritten")
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).delete()


def test_the_database_itself_refuses_to_rewrite_history(w):
    event = f.submit(w).events.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE reports_event SET text = 'rewritten' WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).text == ""


def test_a_failed_action_leaves_no_event_and_no_change(w):
    report = f.submit(w)
    before = report.events.count()
    with pytest.raises(actions.ReportError):
        actions.dispose_report(report=report, actor=w.verifier, agencies=[])
    assert report.events.count() == before
