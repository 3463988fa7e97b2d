"""An anonymous reporter still hears about every step; nobody else learns who they are."""

import datetime as dt

import pytest
import time_machine

from jembatan.notify.models import Notification
from jembatan.notify.rendering import render_deferred
from jembatan.reports import actions
from jembatan.reports.sla import JAKARTA
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

IDENTITY = ("Siti Rahmawati", "siti@example.id", "081234567890", "6281234567890", "warga")


def words(message):
    """What `message` says: as written, or (the acknowledgement) as the worker will render it."""
    rendered = render_deferred(message) if message.renderer else message
    return " ".join([rendered.subject, rendered.body, rendered.body_html])


def drive_everything(w, **flags):
    """Submit, ask, complete, dispose, miss a deadline, return, re-dispose, answer, reply, answer, close."""
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=JAKARTA), tick=False):
        report = f.submit(w, **flags)
        actions.request_information(report=report, actor=w.verifier, message="Mohon sebutkan patokan lokasi.")
        actions.complete_information(report=report, actor=w.citizen, text="Di depan masjid raya.")
        actions.verify_report(
            report=report, actor=w.verifier, classification="pengaduan_tidak_berkadar_pengawasan"
        )
        actions.dispose_report(report=report, actor=w.verifier, agencies=[w.dinkes])
    with time_machine.travel(dt.datetime(2026, 11, 12, 9, tzinfo=JAKARTA), tick=False):
        run_sla_sweep()  # reminders and escalations to staff
        actions.return_disposition(
            disposition=report.dispositions.get(),
            actor=w.liaison_dinkes,
            reason="Jalan, bukan urusan kesehatan.",
        )
        actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
        pupr = report.dispositions.get(agency=w.pupr)
        actions.assign_liaison(disposition=pupr, actor=w.coordinator_pupr, liaison=w.liaison_pupr)
        actions.post_follow_up(
            disposition=pupr, actor=w.liaison_pupr, text="Sudah ditambal oleh tim jalan kota."
        )
        actions.reply_as_reporter(report=report, actor=w.citizen, text="Tambalannya sudah lepas lagi.")
        actions.post_follow_up(disposition=pupr, actor=w.liaison_pupr, text="Sudah diaspal ulang seluruhnya.")
        actions.close_report(report=report, actor=w.citizen)
    return report


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
def test_no_staff_notification_ever_carries_the_reporters_identity(anonymous):
    w = f.build_world()
    report = drive_everything(w, is_anonymous=anonymous)
    to_staff = Notification.objects.filter(report=report).exclude(
        recipient__in=["siti@example.id", "6281234567890"]
    )
    assert to_staff.count() >= 8  # disposition, returns, reminders, escalations, replies …
    for message in to_staff:
        text = words(message)
        for secret in IDENTITY[:4]:
            assert secret not in text, (message.template, message.recipient, secret)


def test_anonymous_reporter_still_gets_every_reporter_notification():
    w = f.build_world()
    report = drive_everything(w, is_anonymous=True)
    templates = set(
        Notification.objects.filter(report=report, recipient="siti@example.id").values_list(
            "template", flat=True
        )
    )
    assert {
        "report_received",
        "information_needed",
        "report_disposed",
        "follow_up_posted",
        "report_closed",
    } <= templates
    for message in Notification.objects.filter(report=report, recipient="siti@example.id"):
        assert report.tracking_number in words(message)


def test_access_code_of_a_confidential_report_goes_only_into_the_receipt():
    w = f.build_world()
    report = drive_everything(w, is_confidential=True)
    with_code = [m for m in Notification.objects.filter(report=report) if report.access_code in words(m)]
    assert {m.template for m in with_code} == {"report_received"}
    assert {m.recipient for m in with_code} <= {"siti@example.id", "6281234567890"}
    # Until it is sent, the code waits in the acknowledgement's sensitive values, in no other row.
    holding = [
        m for m in Notification.objects.filter(report=report) if report.access_code in m.sensitive_values
    ]
    assert {m.template for m in holding} == {"report_received"}
