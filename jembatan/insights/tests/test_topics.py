"""Topic clusters: their labels name what reports are about, not how complaints are written or where."""

import datetime as dt

import pytest
import time_machine

from jembatan.directory.models import Region
from jembatan.directory.tests.factories import make_region
from jembatan.insights import rollups, topics
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=JAKARTA)
# Filler and place words in one topic's texts only (words in more than half the texts are dropped anyway).
STORY = "Nama saya dari Koto Tangah, Padang, Sumatera Barat. Saat saya melakukan itu, padahal punya {topic}."
TOPICS = [
    ("Selokan tersumbat", STORY.format(topic="selokan tersumbat")),
    ("Antrean puskesmas panjang", "Antrean puskesmas panjang dan dokter jaga tidak hadir sejak pagi."),
]
FILLER = {"saat", "melakukan", "padahal", "nama", "punya", "sumatera", "barat", "padang", "koto", "tangah"}


def test_topic_labels_leave_out_filler_words_and_the_names_of_places(w):
    Region.objects.filter(code="13.71.01").update(name="Koto Tangah")  # the kecamatan of the reports
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        for i in range(16):
            title, text = TOPICS[i % 2]
            f.submit(w, title=f"{title} {i}", description=text)
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
        snapshot = topics.compute_snapshot(0, None, today=NOW.date())
    words = {word for c in snapshot.clusters for word in c["words"]}
    assert snapshot.reports == 16 and len(snapshot.clusters) >= 2
    assert {"selokan", "puskesmas"} <= words
    assert not words & FILLER
    # Without the stop lists the same reports are labelled with those words (the test can fail).
    docs = topics.documents(None, NOW.date())
    assert {w for c in topics.cluster(docs, frozenset()) for w in c["words"]} & FILLER


def test_place_words_come_from_the_regions_of_the_reports_but_keep_topical_words(w):
    make_region("13.71.02", "Sungai Sapih")
    padang = f.submit(w, region=make_region("13.71.02.1001", "Kelurahan Pasar Ambacang"))
    pekanbaru = f.submit(w, region=w.region_pekanbaru)
    words = topics.place_words([padang.pk])
    assert {"sumatera", "barat", "padang", "sapih"} <= words
    assert "sungai" not in words  # a river is a topic even where a kecamatan is named after it
    assert "pekanbaru" not in words and "pekanbaru" in topics.place_words([pekanbaru.pk])


def test_topic_labels_never_carry_redaction_markers_numbers_or_place_names(w):
    make_region("13.06", "Kabupaten Tanah Datar")  # a kab/kota no report comes from
    marked = (
        "Uang pungutan selalu diminta, hubungi [nomor disamarkan] "
        "atau [nama disamarkan] di Batusangkar datar."
    )
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        for i in range(16):
            if i % 2:
                f.submit(w, title=f"Pungutan liar sekolah {i}", description=marked)
            else:
                f.submit(w, title=f"Antrean puskesmas panjang {i}", description=TOPICS[1][1])
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
        snapshot = topics.compute_snapshot(0, None, today=NOW.date())
    words = {word for c in snapshot.clusters for word in c["words"]}
    assert "pungutan" in words
    assert not words & {"disamarkan", "nomor", "nama", "datar"}
    assert all(word.isalpha() for word in words)
    # Labels stored before these rules are cleaned when shown.
    assert topics.label_words(["selalu", "disamarkan", "nomor2", "uang", "datar"]) == ["selalu", "uang"]
