"""Issue 12, finding 2: a sysadmin (directory and accounts, no report scope) reads no report content
and no reporter contact anywhere in the admin; whoever may read the report under access.py may."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from jembatan.accounts.models import Role
from jembatan.directory.models import AgencyKind
from jembatan.notify.models import Notification
from jembatan.notify.tests.factories import make_agency, make_guest_report, make_staff
from jembatan.reports import notifications
from jembatan.reports.models import Report

pytestmark = pytest.mark.django_db

TITLE = "Kepala dinas meminta setoran dari kontraktor"
EMAIL = "pelapor.rahasia@contoh.id"
CHANGELIST = reverse("admin:notify_notification_changelist")


@pytest.fixture
def secret_row():
    padang = make_agency("Pemerintah Kota Padang", kind=AgencyKind.PEMKAB_PEMKOT, region="13.71")
    report = make_guest_report(
        title=TITLE, reporter_email=EMAIL, is_anonymous=True, is_confidential=True, verifying_agency=padang
    )
    [row] = notifications.notify_reporter(report=report, template="report_received")
    assert TITLE in row.body or TITLE in row.subject
    return report, row, padang


@pytest.fixture
def sysadmin():
    return make_staff(Role.SYSADMIN, username="sysadmin", is_staff=True, is_superuser=True)


def test_sysadmin_sees_no_contact_or_title_in_the_notification_admin(client, secret_row, sysadmin):
    report, row, _ = secret_row
    client.force_login(sysadmin)

    listing = client.get(CHANGELIST)
    searched = client.get(CHANGELIST, {"q": f"{EMAIL} {report.tracking_number}"})
    detail = client.get(reverse("admin:notify_notification_change", args=[row.pk]))

    assert listing.status_code == 200
    content = listing.content.decode()
    assert EMAIL not in content and TITLE not in content and report.tracking_number not in content
    # A search linking the e-mail to the tracking number finds nothing (the box echoes the terms).
    assert searched.context["cl"].result_count == 0
    assert detail.status_code == 302  # "does not exist"


def test_a_verifier_of_the_report_still_sees_its_messages(client, secret_row):
    report, row, padang = secret_row
    client.force_login(make_staff(Role.ADMIN_INSTANSI, padang, is_staff=True))

    detail = client.get(reverse("admin:notify_notification_change", args=[row.pk]))

    assert detail.status_code == 200
    assert EMAIL in detail.content.decode()


def test_a_reader_who_may_not_know_the_anonymous_reporter_does_not_see_the_row(client, secret_row):
    report, row, padang = secret_row
    pupr = make_agency("Dinas PUPR Kota Padang", parent=padang, region="13.71")
    report.dispositions.create(agency=pupr)
    auditor = make_staff(Role.AUDITOR, pupr)  # reads the report, may not know who sent it
    client.force_login(auditor)

    assert client.get(reverse("admin:notify_notification_change", args=[row.pk])).status_code in (302, 403)


def test_no_admin_page_lists_a_reports_rows_to_the_sysadmin(secret_row, sysadmin):
    """Every registered admin of a model tied to a report: none of its rows reach the sysadmin."""
    report, _, _ = secret_row
    request = RequestFactory().get("/admin/")
    request.user = sysadmin
    tied = 0
    for model, model_admin in admin.site._registry.items():
        links = [
            f.name
            for f in model._meta.get_fields()
            if f.is_relation and f.many_to_one and f.related_model in (Report, _event_model())
        ]
        if not links and model is not Report:
            continue
        tied += 1
        if not (model_admin.has_module_permission(request) and model_admin.has_view_permission(request)):
            continue
        rows = model_admin.get_queryset(request)
        for link in links:
            assert not rows.filter(**{f"{link}__isnull": False}).exists(), model
    assert tied >= 3  # notifications, webhook deliveries, inbound messages at least


def _event_model():
    from jembatan.reports.models import Event

    return Event


def test_the_sysadmin_still_sees_messages_that_belong_to_no_report(client, sysadmin):
    Notification.objects.create(
        channel="email", recipient="warga@contoh.id", template="welcome", language="id", body="Halo"
    )
    client.force_login(sysadmin)

    assert client.get(CHANGELIST).context["cl"].result_count == 1
