"""The redacted forms stored beside a report's texts: written with the text, kept in step when it
changes, read in the reader's language, and filled for rows that lack them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from jembatan.reports import actions, pii, search
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


def test_stored_forms_carry_the_detector_version_they_were_made_with(w):
    report = f.submit(w, description=PERSONAL)
    answer = Event.objects.filter(report=report).first()
    assert Report.objects.get(pk=report.pk).public_texts_version == pii.DETECTOR_VERSION
    assert answer.text_public_version == pii.DETECTOR_VERSION


def test_after_a_detector_change_the_command_derives_only_the_stale_rows_again(w, monkeypatch):
    stale = f.submit(w, description="Lubang besar di depan rumah Sutan Marajo, mohon diperbaiki.")
    current = f.submit(w, description="Lubang besar di depan pasar Sutan Marajo, mohon diperbaiki.")
    assert "Marajo" in Report.objects.get(pk=stale.pk).description_public
    # A newer detector that also finds "Sutan Marajo"; one row is saved again meanwhile (a text
    # written with the new detector), the other still holds the old redaction.
    monkeypatch.setattr(pii, "DETECTOR_VERSION", pii.DETECTOR_VERSION + 1)
    real = pii.detect_personal_data

    def newer(text):
        spans = list(real(text))
        start = (text or "").find("Sutan Marajo")
        if start >= 0:
            spans.append(pii.Span(pii.Kind.NAME, start, start + len("Sutan Marajo"), "Sutan Marajo"))
        return sorted(spans, key=lambda s: s.start)

    monkeypatch.setattr(pii, "detect_personal_data", newer)
    current.description = current.description + " "
    current.save(update_fields=["description"])
    assert Report.objects.get(pk=current.pk).public_texts_version == pii.DETECTOR_VERSION

    out = StringIO()
    call_command("store_public_texts", stdout=out)
    assert "1 laporan" in out.getvalue()  # the dry run counts the stale row only
    assert "Marajo" in Report.objects.get(pk=stale.pk).description_public
    call_command("store_public_texts", "--apply", verbosity=0)
    fixed = Report.objects.get(pk=stale.pk)
    assert "Marajo" not in fixed.description_public and fixed.public_texts_version == pii.DETECTOR_VERSION
    assert "Marajo" not in fixed.title_public + fixed.description_public + fixed.address_public
    assert not search.search_reports(Report.objects.all(), "Marajo", public=True).exists()
    out = StringIO()
    call_command("store_public_texts", stdout=out)
    assert "0 laporan" in out.getvalue()


def test_an_event_redacted_by_an_older_detector_is_redacted_again_when_read(w, monkeypatch):
    report = f.submit(w)
    actions.add_note(report=report, actor=w.verifier, text="Sudah ditelepon Sutan Marajo kemarin.")
    note = Event.objects.filter(report=report, action="note").get()
    assert "Marajo" in note.public_text
    monkeypatch.setattr(pii, "DETECTOR_VERSION", pii.DETECTOR_VERSION + 1)
    real = pii.detect_personal_data
    monkeypatch.setattr(
        pii,
        "detect_personal_data",
        lambda text: [
            *real(text),
            *[
                pii.Span(pii.Kind.NAME, i, i + 12, "Sutan Marajo")
                for i in [(text or "").find("Sutan Marajo")]
                if i >= 0
            ],
        ],
    )
    assert "Marajo" not in Event.objects.get(pk=note.pk).public_text
