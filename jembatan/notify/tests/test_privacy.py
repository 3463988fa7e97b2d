"""What each audience may read: officers never the reporter's identity, reporters their own report."""

import re

import pytest

from jembatan.accounts.models import Role
from jembatan.notify.models import NotifyChannel
from jembatan.notify.rendering import KINDS, Audience
from jembatan.notify.tests.factories import (
    GUEST_REPORTER,
    USER_REPORTER,
    make_agency,
    make_disposition,
    make_guest_report,
    make_report,
    make_staff,
    make_user_reporter,
)
from jembatan.reports import notifications

pytestmark = pytest.mark.django_db

STAFF_TEMPLATES = sorted(name for name, kind in KINDS.items() if Audience.STAFF in kind.audiences)
REPORTER_TEMPLATES = sorted(name for name, kind in KINDS.items() if Audience.REPORTER in kind.audiences)

# Every way the two test reporters could show up in a message.
IDENTITY_TRACES = [
    "Budi Santoso", "Budi", "Santoso", "budi.santoso@contoh.id", "6281234567890", "081234567890",
    "0812 3456 7890", "0812-3456-7890", "812345", "Siti Rahmawati", "Siti", "Rahmawati", "siti.r@contoh.id",
    "6285712345678", "085712345678", "0857-1234-5678", "857123",
]  # fmt: skip


def _reporter_report(who, *, anonymous, **extra):
    if who == "user":
        return make_report(reporter=make_user_reporter(), is_anonymous=anonymous, **extra)
    return make_guest_report(is_anonymous=anonymous, **extra)


def _leaks(trace, text):
    """Names count as whole words ("Siti" is not in "disposition"); digits and addresses anywhere."""
    if trace.replace(" ", "").isalpha():
        return re.search(rf"(?<![a-z]){re.escape(trace.lower())}(?![a-z])", text) is not None
    return trace.lower() in text


def _all_text(row):
    return "\n".join([row.subject, row.body, row.body_html]).lower()


@pytest.mark.parametrize("free_text_names_reporter", [False, True], ids=["plain", "free-text-names-reporter"])
@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
@pytest.mark.parametrize("who", ["user", "guest"])
@pytest.mark.parametrize("template", STAFF_TEMPLATES)
def test_staff_messages_never_carry_the_reporters_identity(
    template, who, anonymous, free_text_names_reporter
):
    agency = make_agency("Dinas Kesehatan Kota Padang")
    officers = [make_staff(Role.ADMIN_INSTANSI, agency, email="koordinator@contoh.id")]
    officers.append(
        make_staff(Role.PENGHUBUNG, agency, email="penghubung@contoh.id", preferred_language="en")
    )
    extra, title, reason = {}, "Antrean puskesmas terlalu lama", ""
    if free_text_names_reporter:
        # Free text written by people (a title, a reply, a return reason) may name the reporter anyway.
        if who == "user":
            title = "Antrean lama, kata Budi Santoso"
            extra = {"text": "Saya Budi, hubungi 0812-3456-7890 atau BUDI.SANTOSO@contoh.id."}
            reason = "Bukan wewenang kami (pelapor: Santoso)"
        else:
            title = "Antrean lama, kata Siti Rahmawati"
            extra = {"text": "Saya Siti, hubungi siti.r@contoh.id atau +62 857 1234 5678."}
            reason = "Bukan wewenang kami (pelapor: Rahmawati)"
    report = _reporter_report(who, anonymous=anonymous, title=title)
    disposition = make_disposition(report, agency, return_reason=reason)

    rows = notifications.notify_staff(
        users=officers, template=template, report=report, disposition=disposition, extra=extra
    )

    assert {row.recipient for row in rows} == {"koordinator@contoh.id", "penghubung@contoh.id"}
    for row in rows:
        text = _all_text(row)
        assert report.tracking_number in text
        for trace in IDENTITY_TRACES:
            assert not _leaks(trace, text), f"{trace!r} leaked into {template} ({row.language})"


def test_the_identity_guard_leaves_ordinary_words_alone():
    agency = make_agency("Dinas PUPR Kota Padang")
    officer = make_staff(Role.ADMIN_INSTANSI, agency, email="koordinator@contoh.id")
    report = make_report(reporter=make_user_reporter(), title="Jembatan Budiman ambruk")

    [row] = notifications.notify_staff(users=[officer], template="sla_reminder", report=report)

    assert "Jembatan Budiman ambruk" in row.body  # "Budi" is redacted as a word, not inside "Budiman"


@pytest.mark.parametrize("confidential", [True, False], ids=["confidential", "public"])
@pytest.mark.parametrize("template", REPORTER_TEMPLATES)
def test_reporter_messages_carry_the_tracking_number_and_the_access_code_only_once(template, confidential):
    reporter = make_user_reporter(notify_by_whatsapp=True)
    report = make_report(reporter=reporter, is_confidential=confidential)

    rows = notifications.notify_reporter(report=report, template=template)

    assert {row.channel for row in rows} == {NotifyChannel.EMAIL, NotifyChannel.WHATSAPP}
    code_expected = confidential and template == "report_received"
    for row in rows:
        assert report.tracking_number in row.body
        if row.channel == NotifyChannel.EMAIL:
            assert report.tracking_number in row.subject
            assert report.tracking_number in row.body_html
            assert f"/lacak/{report.tracking_number}/" in row.body
        assert (report.access_code in _all_text(row).upper()) is code_expected
        assert (row.sensitive_values == [report.access_code]) is code_expected


@pytest.mark.parametrize("template", REPORTER_TEMPLATES)
def test_a_guest_gets_the_access_code_in_the_receipt_only_because_it_has_no_login(template):
    report = make_guest_report(is_confidential=False)

    rows = notifications.notify_reporter(report=report, template=template)

    assert rows
    for row in rows:
        assert (report.access_code in _all_text(row).upper()) is (template == "report_received")


@pytest.mark.parametrize("who", ["user", "guest"])
def test_an_anonymous_reporter_still_hears_about_their_report(who):
    report = _reporter_report(who, anonymous=True)

    rows = notifications.notify_reporter(report=report, template="report_verified")

    expected = USER_REPORTER["email"] if who == "user" else GUEST_REPORTER["reporter_email"]
    assert [(row.channel, row.recipient) for row in rows] == [(NotifyChannel.EMAIL, expected)]


def test_reporter_templates_cannot_be_sent_to_staff_nor_staff_templates_to_reporters():
    officer = make_staff(Role.ADMIN_NASIONAL, email="admin@contoh.id")
    report = make_guest_report()

    with pytest.raises(ValueError, match="not meant for the staff"):
        notifications.notify_staff(users=[officer], template="report_received", report=report)
    with pytest.raises(ValueError, match="not meant for the reporter"):
        notifications.notify_reporter(report=report, template="disposition_new")
    with pytest.raises(ValueError, match="Unknown"):
        notifications.notify_reporter(report=report, template="no_such_message")


def test_extra_cannot_smuggle_in_the_access_code_or_another_url():
    report = make_guest_report(is_confidential=True)

    for key in ("access_code", "url", "tracking_number"):
        with pytest.raises(ValueError, match=key):
            notifications.notify_reporter(report=report, template="report_verified", extra={key: "x"})
