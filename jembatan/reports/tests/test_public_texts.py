"""The redacted forms stored beside a report's texts: written with the text, kept in step when it
changes, read in the reader's language, and filled for rows that lack them."""

import pytest
from django.core.management import call_command
from django.utils import translation

from jembatan.reports import actions
from jembatan.reports.models import Classification, Event, Report
from jembatan.reports.pii import redact
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

PERSONAL = "Lubang besar. Nama saya Budi Santoso, telepon 081234567890, NIK 1371012345678901."


@pytest.fixture
def w(db):
    return f.build_world()


def test_a_new_report_stores_its_texts_redacted_beside_them(w):
    report = f.submit(w, description=PERSONAL, address="Jl. Sudirman 5, hubungi 081234567890")
    stored = Report.objects.get(pk=report.pk)
    with translation.override("id"):
        assert stored.description_public == redact(PERSONAL)
        assert "081234567890" not in stored.description_public
        assert "1371012345678901" not in stored.description_public
        assert "081234567890" not in stored.address_public
        assert stored.title_public == stored.title  # nothing personal in it
        assert stored.public("description") == redact(PERSONAL)


def test_an_english_reader_gets_the_placeholders_in_english(w):
    report = Report.objects.get(pk=f.submit(w, description=PERSONAL).pk)
    with translation.override("en"):
        assert report.public("description") == redact(PERSONAL)
        assert "disembunyikan" not in report.public("description")


def test_a_title_tidied_at_verification_gets_its_redaction_again(w):
    report = f.submit(w)
    actions.verify_report(
        report=report,
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        title="Jalan berlubang, hubungi 081298765432",
    )
    stored = Report.objects.get(pk=report.pk)
    assert stored.title == "Jalan berlubang, hubungi 081298765432"
    assert "081298765432" not in stored.title_public
    with translation.override("id"):
        assert stored.title_public == redact(stored.title)


def test_an_event_stores_its_text_redacted_with_it(w):
    report = f.in_progress(w)
    disposition = report.dispositions.get()
    actions.post_follow_up(disposition=disposition, actor=w.liaison_pupr, text=PERSONAL)
    answer = Event.objects.filter(report=report, text=PERSONAL).get()
    with translation.override("id"):
        assert answer.text_public == redact(PERSONAL)
    with translation.override("en"):
        assert answer.public_text == redact(PERSONAL)


def test_a_row_without_a_stored_form_is_redacted_when_read(w):
    report = f.submit(w, description=PERSONAL)
    Report.objects.filter(pk=report.pk).update(description_public=None)  # as a bulk path leaves it
    stored = Report.objects.get(pk=report.pk)
    assert "081234567890" not in stored.public("description")


def test_the_command_fills_missing_forms_only_with_apply(w):
    report = f.submit(w, description=PERSONAL)
    Report.objects.filter(pk=report.pk).update(description_public=None, title_public=None)
    call_command("store_public_texts", verbosity=0)
    assert Report.objects.get(pk=report.pk).description_public is None  # a dry run by default
    call_command("store_public_texts", "--apply", verbosity=0)
    stored = Report.objects.get(pk=report.pk)
    assert stored.description_public and "081234567890" not in stored.description_public
    assert stored.title_public == stored.title
