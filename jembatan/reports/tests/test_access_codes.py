"""Access codes are stored hashed (a keyed HMAC with a salt per code in the request, stretched with
PBKDF2 by the worker after the commit) and compared in constant time; the guest sees the code once,
on the receipt and in the acknowledgement."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from jembatan.notify import delivery
from jembatan.notify.models import Notification
from jembatan.reports import actions
from jembatan.reports.models import (
    Report,
    access_code_matches,
    fast_access_code_hash,
    harden_access_code_hash,
    hash_access_code,
)
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db):
    return f.build_world()


def test_the_table_holds_a_salted_hash_not_the_code(w):
    report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    code = report.access_code
    stored = Report.objects.values().get(pk=report.pk)
    assert code and code not in str(stored)
    assert stored["access_code_hash"].startswith("hmac_sha256$")  # the request's fast form
    reloaded = Report.objects.get(pk=report.pk)
    assert reloaded.access_code is None  # nobody can read it back
    assert reloaded.check_access_code(code) and reloaded.check_access_code(f" {code.lower()} ")
    assert not reloaded.check_access_code("SALAHSALAH") and not reloaded.check_access_code("")


def test_the_worker_stretches_the_fast_hash_with_pbkdf2_and_the_code_still_opens_the_report(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    code = report.access_code
    hardened = Report.objects.get(pk=report.pk)
    assert hardened.access_code_hash.startswith("pbkdf2_hmac_sha256$")
    assert code not in hardened.access_code_hash
    assert hardened.check_access_code(code) and hardened.check_access_code(code.lower())
    assert not hardened.check_access_code("SALAHSALAH")


def test_the_sweep_hardens_a_report_whose_batch_was_lost(w):
    report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    assert actions.harden_access_codes() == 1
    assert actions.harden_access_codes() == 0  # idempotent
    assert Report.objects.get(pk=report.pk).check_access_code(report.access_code)


def test_a_fast_hash_made_with_a_rotated_secret_key_still_opens(settings):
    stored = fast_access_code_hash("ABCDEFGHJK")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-" + "y" * 50
    assert access_code_matches("ABCDEFGHJK", stored)
    assert access_code_matches("ABCDEFGHJK", harden_access_code_hash(stored))
    settings.SECRET_KEY_FALLBACKS = []
    assert not access_code_matches("ABCDEFGHJK", stored)


def test_the_same_code_hashes_differently_for_each_report():
    first, second = hash_access_code("ABCDEFGHJK"), hash_access_code("ABCDEFGHJK")
    assert first != second
    assert access_code_matches("ABCDEFGHJK", first) and access_code_matches("abcdefghjk", second)
    assert not access_code_matches("ABCDEFGHJK", "ABCDEFGHJK")  # a plain code never matches


def test_the_guest_gets_the_code_once_in_the_acknowledgement(w, mailoutbox):
    report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    code = report.access_code
    acknowledgement = Notification.objects.get(report=report, template="report_received")
    # The request only queued it: the worker renders it, with the code kept on the row until then.
    assert acknowledgement.renderer and acknowledgement.body == ""
    assert acknowledgement.sensitive_values == [code]
    assert delivery.deliver(acknowledgement.pk)
    [email] = mailoutbox
    assert code in email.body and report.tracking_number in email.body
    acknowledgement.refresh_from_db()
    # Sent: the outbox keeps the words with the code masked, and the code itself is gone.
    assert acknowledgement.renderer == "" and report.tracking_number in acknowledgement.body
    assert code not in acknowledgement.body + acknowledgement.body_html + acknowledgement.subject
    assert acknowledgement.sensitive_values == []


def test_a_registered_reporter_s_acknowledgement_carries_no_code(w, mailoutbox):
    report = f.submit(w)
    acknowledgement = Notification.objects.get(report=report, template="report_received")
    assert acknowledgement.sensitive_values == []
    assert delivery.deliver(acknowledgement.pk)
    assert report.tracking_number in mailoutbox[0].body
    assert report.access_code not in mailoutbox[0].body


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_the_codes_already_stored():
    w = f.build_world()
    executor = MigrationExecutor(connection)
    before = [("reports", "0006_disposition_deadline_indexes")]
    after = [("reports", "0007_hash_access_codes")]
    report = f.submit(w)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("reports", "Report").objects.filter(pk=report.pk).update(access_code="PLAINCODE7")

    executor = MigrationExecutor(connection)
    try:
        executor.migrate(after)
        # Only the columns the schema at 0007 has (later migrations add more).
        migrated = Report.objects.only("pk", "access_code_hash").get(pk=report.pk)
        assert migrated.check_access_code("PLAINCODE7")
        assert "PLAINCODE7" not in migrated.access_code_hash
    finally:
        # Going back to 0006 unapplied every later migration of every app that depends on it
        # (followers, claims, federation, the duplicate index): put the schema back for the
        # tests that run after this one.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
