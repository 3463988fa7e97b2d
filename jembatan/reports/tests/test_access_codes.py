"""Access codes are stored hashed (PBKDF2 with a salt per code) and compared in constant time; the
guest sees the code once, on the receipt and in the acknowledgement."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from jembatan.notify.models import Notification
from jembatan.reports.models import Report, access_code_matches, hash_access_code
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
    assert stored["access_code_hash"].startswith("pbkdf2_sha256$")
    reloaded = Report.objects.get(pk=report.pk)
    assert reloaded.access_code is None  # nobody can read it back
    assert reloaded.check_access_code(code) and reloaded.check_access_code(f" {code.lower()} ")
    assert not reloaded.check_access_code("SALAHSALAH") and not reloaded.check_access_code("")


def test_the_same_code_hashes_differently_for_each_report():
    first, second = hash_access_code("ABCDEFGHJK"), hash_access_code("ABCDEFGHJK")
    assert first != second
    assert access_code_matches("ABCDEFGHJK", first) and access_code_matches("abcdefghjk", second)
    assert not access_code_matches("ABCDEFGHJK", "ABCDEFGHJK")  # a plain code never matches


def test_the_guest_gets_the_code_once_in_the_acknowledgement(w):
    report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    acknowledgement = Notification.objects.get(report=report, template="report_received")
    assert report.access_code in acknowledgement.body


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
    executor.migrate(after)

    migrated = Report.objects.get(pk=report.pk)
    assert migrated.check_access_code("PLAINCODE7")
    assert "PLAINCODE7" not in migrated.access_code_hash
