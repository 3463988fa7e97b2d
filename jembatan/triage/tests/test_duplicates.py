"""Duplicate detection: place, time, status, what the caller may see, and an index that is never stale."""

import datetime as dt

import pytest
from django.utils import timezone

from jembatan.reports import actions as report_actions
from jembatan.reports.models import Report
from jembatan.triage import duplicates, services
from jembatan.triage.models import DuplicateKey, IndexedReport
from jembatan.triage.tasks import index_duplicates_task
from jembatan.triage.tests import factories as tf

TEXT = "Lampu penerangan jalan di Jl. Sudirman depan SDN 12 mati sudah dua minggu, gelap sekali kalau malam."


@pytest.fixture
def w(db):
    return tf.build_world()


def test_a_report_not_yet_indexed_is_found_all_the_same(w):
    first = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    second = tf.submit(
        w, title="PJU mati", description=TEXT.replace("sekali", "sekali pak"), region=w.village_padang
    )
    assert not IndexedReport.objects.exists()
    assert [r for r, _s in services.find_duplicates(second)] == [first]


def test_the_periodic_task_indexes_new_reports_once(w):
    report = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    index_duplicates_task.call_local()
    index_duplicates_task.call_local()
    assert IndexedReport.objects.get(report=report).keys == duplicates.BANDS
    assert DuplicateKey.objects.filter(report=report).count() == duplicates.BANDS


def test_the_cursor_waits_for_young_reports_and_they_are_still_found(w):
    old = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    duplicates.index_new_reports()  # the report is seconds old: indexed, but the cursor stays
    assert IndexedReport.objects.filter(report=old).exists() and duplicates.cursor_position() == 0
    new = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    assert [r for r, _s in services.find_duplicates(new)] == [old]
    duplicates.index_new_reports(now=timezone.now() + dt.timedelta(hours=1))
    assert duplicates.cursor_position() == new.pk
    assert [r for r, _s in services.find_duplicates(new)] == [old]


def test_same_text_in_another_city_is_not_a_duplicate(w):
    tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_bukittinggi)
    padang = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    assert services.find_duplicates(padang) == []
    # A text without a place is compared with every place.
    assert len(services.find_duplicates(text=TEXT)) == 2


def test_an_old_report_is_not_a_duplicate(w):
    old = tf.submit(
        w,
        title="Lampu jalan mati",
        description=TEXT,
        region=w.village_padang,
        submitted_at=timezone.now() - dt.timedelta(days=200),
    )
    new = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    duplicates.index_new_reports(now=timezone.now() + dt.timedelta(hours=1))
    assert services.find_duplicates(new) == []
    assert [r for r, _s in services.find_duplicates(new, window_days=365)] == [old]


def test_archived_reports_are_left_out_unless_asked_for(w):
    archived = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    report_actions.archive_report(report=archived, actor=w.admin, reason=w.reason_unclear)
    new = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    assert services.find_duplicates(new) == []
    assert [r for r, _s in services.find_duplicates(new, include_archived=True)] == [archived]


def test_answer_is_limited_to_what_the_caller_may_see(w):
    confidential = tf.submit(
        w, title="Lampu jalan mati", description=TEXT, region=w.village_padang, is_confidential=True
    )
    new = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    assert [r for r, _s in services.find_duplicates(new)] == [confidential]
    assert services.find_duplicates(new, queryset=Report.objects.filter(is_confidential=False)) == []


def test_a_different_complaint_from_the_same_template_is_not_a_duplicate(w):
    template = (
        "Selamat siang bapak wali kota, perkenalkan nama saya {name} asal kelurahan {place} izin "
        "menyampaikan keluhan jalan {street} rusak berat dan berlubang di dekat {near}, mohon diperbaiki."
    )
    first = template.format(name="Joko", place="Jati", street="Pemuda", near="masjid raya")
    second = template.format(name="Andri", place="Ulak Karang", street="Hamka", near="pasar baru")
    tf.submit(w, title="Jalan rusak", description=first, region=w.village_padang)
    other = tf.submit(w, title="Jalan rusak", description=second, region=w.village_padang)
    assert services.find_duplicates(other) == []


def test_lightly_edited_text_is_a_duplicate_with_its_similarity(w):
    original = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    edited = TEXT.replace("sudah dua minggu", "sdh 2 minggu").replace("gelap sekali", "gelap bgt")
    found = services.find_duplicates(text=edited, region=w.village_padang)
    assert [r for r, _s in found] == [original] and 0.6 <= found[0][1] < 1.0


def test_shingles_and_keys_are_stable_across_processes():
    # Stored keys must match keys computed next year, in another process: no Python hash().
    assert duplicates.band_keys(duplicates.shingles("lampu jalan mati total")) == [
        int(k) for k in duplicates.band_keys(duplicates.shingles("Lampu jalan mati total."))
    ]
    assert len(duplicates.band_keys(duplicates.shingles("lampu jalan mati"))) == duplicates.BANDS
    assert duplicates.band_keys(frozenset()) == []


def test_indexing_goes_on_past_young_reports_in_batches(w):
    reports = [
        tf.submit(w, title="Lampu jalan mati", description=f"{TEXT} ({i})", region=w.village_padang)
        for i in range(5)
    ]
    assert duplicates.index_new_reports(batch=2) == 5
    assert duplicates.cursor_position() == 0  # all too young to pass
    assert duplicates.index_new_reports(batch=2, now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert duplicates.cursor_position() == reports[-1].pk


def test_stored_signature_estimates_the_similarity(w):
    report = tf.submit(w, title="Lampu jalan mati", description=TEXT, region=w.village_padang)
    duplicates.index_new_reports()
    stored = IndexedReport.objects.get(report=report).signature
    same = duplicates.signature(duplicates.shingles(TEXT))
    other = duplicates.signature(
        duplicates.shingles("Air PDAM keruh dan berbau sejak tiga hari di rumah kami.")
    )
    assert duplicates.estimated_similarity(same, stored) == 1.0
    assert duplicates.estimated_similarity(other, stored) < duplicates.PREFILTER
