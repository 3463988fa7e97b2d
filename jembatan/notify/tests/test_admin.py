"""The outbox in Django admin: read-only, searchable, and "kirim ulang" for failed rows."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from jembatan.accounts.models import Role
from jembatan.notify.models import MASK, Notification, NotificationStatus
from jembatan.notify.tests.factories import make_guest_report, make_staff
from jembatan.reports import notifications

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:notify_notification_changelist")


@pytest.fixture
def admin_client_(client):
    # A national report reader: the outbox shows reports' messages only to those who may read
    # the reports and know who sent them (issue 12, finding 2).
    client.force_login(make_staff(Role.ADMIN_NASIONAL, is_staff=True, is_superuser=True))
    return client


def queued(email="tamu@contoh.id", **extra):
    report = make_guest_report(reporter_email=email, **extra)
    [row] = notifications.notify_reporter(report=report, template="report_received")
    return report, row


def test_the_outbox_can_be_searched_by_tracking_number_and_recipient(admin_client_):
    report, row = queued("satu@contoh.id")
    other_report, other = queued("dua@contoh.id")

    by_number = admin_client_.get(CHANGELIST, {"q": report.tracking_number})
    by_recipient = admin_client_.get(CHANGELIST, {"q": "dua@contoh"})

    assert by_number.status_code == 200
    assert list(by_number.context["cl"].result_list) == [row]
    assert list(by_recipient.context["cl"].result_list) == [other]


def test_the_outbox_can_be_filtered_by_status_and_channel(admin_client_):
    _, failed = queued("gagal@contoh.id")
    queued("menunggu@contoh.id")
    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.FAILED)

    response = admin_client_.get(CHANGELIST, {"status__exact": "failed", "channel__exact": "email"})

    assert list(response.context["cl"].result_list) == [failed]


def test_the_outbox_is_read_only_and_hides_codes_not_yet_sent(admin_client_):
    report, row = queued(is_confidential=True)
    change_url = reverse("admin:notify_notification_change", args=[row.pk])

    page = admin_client_.get(change_url)
    post = admin_client_.post(change_url, {"recipient": "penyerang@contoh.id"})

    assert page.status_code == 200
    assert report.access_code not in page.content.decode() and MASK in page.content.decode()
    assert post.status_code == 403
    assert admin_client_.get(reverse("admin:notify_notification_add")).status_code == 403
    assert admin_client_.get(reverse("admin:notify_notification_delete", args=[row.pk])).status_code == 403


def test_kirim_ulang_puts_failed_rows_back_in_the_queue_and_sends_them(
    admin_client_, mailoutbox, django_capture_on_commit_callbacks
):
    _, failed = queued("gagal@contoh.id")
    _, pending = queued("menunggu@contoh.id")
    Notification.objects.filter(pk=failed.pk).update(
        status=NotificationStatus.FAILED,
        attempts=6,
        next_attempt_at=None,
        last_error="DeliveryError: HTTP 500",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            CHANGELIST, {"action": "resend", "_selected_action": [failed.pk, pending.pk]}, follow=True
        )

    assert response.status_code == 200
    failed.refresh_from_db()
    pending.refresh_from_db()
    assert failed.status == NotificationStatus.SENT and failed.attempts == 1
    assert pending.status == NotificationStatus.PENDING  # not failed: left to the normal queue
    assert [m.to for m in mailoutbox] == [["gagal@contoh.id"]]
    assert LogEntry.objects.filter(object_id=str(failed.pk), change_message="Kirim ulang").exists()
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 notifikasi dijadwalkan" in m for m in messages)
    assert any("1 notifikasi dilewati" in m for m in messages)


def test_an_officer_without_the_change_permission_cannot_resend(client):
    from django.contrib.auth.models import Permission

    viewer = make_staff(Role.ADMIN_NASIONAL, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    _, row = queued()
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.FAILED)

    response = client.post(CHANGELIST, {"action": "resend", "_selected_action": [row.pk]})

    assert response.status_code == 200  # the changelist again, with "no action selected"
    assert Notification.objects.get(pk=row.pk).status == NotificationStatus.FAILED
