"""Full-text search with Indonesian stemming (SQLite FTS5 + Sastrawi, PostgreSQL `indonesian`).

These run on both databases (`make test` runs the suite on each); each test asserts what is true
on the database it runs on.
"""

import pytest
from django.db import connection

from jembatan.reports import actions, search
from jembatan.reports.models import Classification, Report
from jembatan.reports.search import search_reports
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def found(text, queryset=None):
    return set(
        search_reports(queryset if queryset is not None else Report.objects.all(), text).values_list(
            "title", flat=True
        )
    )


@pytest.fixture
def reports(w):
    rf.submit(
        w, title="Jalan berlubang di depan pasar", description="Lubangnya membahayakan pengendara motor."
    )
    rf.submit(w, title="Lampu jalan mati", description="Penerangan jalan umum padam sejak minggu lalu.")
    rf.submit(
        w, title="Pelayanan puskesmas lambat", description="Antrean pelayanan kesehatan sangat panjang."
    )


def test_words_match_by_their_root(reports):
    assert found("lubang") == {"Jalan berlubang di depan pasar"}
    assert found("berlubang") == {"Jalan berlubang di depan pasar"}
    assert found("bahaya") == {"Jalan berlubang di depan pasar"}
    assert found("melayani") == {"Pelayanan puskesmas lambat"}


def test_all_words_must_match(reports):
    assert found("jalan") == {"Jalan berlubang di depan pasar", "Lampu jalan mati"}
    assert found("jalan lampu") == {"Lampu jalan mati"}
    assert found("jalan puskesmas") == set()


def test_common_function_words_do_not_spoil_a_query(reports):
    assert found("lampu yang mati di jalan") == {"Lampu jalan mati"}


def test_query_syntax_is_treated_as_plain_words(reports):
    assert found('lampu" OR "puskesmas') == set()
    assert found("lampu* (jalan) -") == {"Lampu jalan mati"}
    assert found("!!!") == set()


def test_tracking_number_matches_exactly(w):
    report = rf.submit(w)
    assert found(report.tracking_number) == {report.title}
    assert found("#" + report.tracking_number) == {report.title}


def test_empty_query_filters_nothing(reports):
    assert len(found("  ")) == 3


def test_search_composes_with_other_filters(reports, w):
    qs = Report.objects.filter(title__startswith="Lampu")
    assert found("jalan", qs) == {"Lampu jalan mati"}


def test_a_tidied_title_is_searchable_at_once(w):
    report = rf.submit(
        w, title="Jalan rusak parah", description="Aspal mengelupas di banyak tempat sepanjang jalan."
    )
    actions.verify_report(
        report=report,
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        title="Jembatan gantung putus",
    )
    assert found("jembatan") == {"Jembatan gantung putus"}
    assert found("parah") == set()


def test_a_failed_submission_leaves_nothing_in_the_index(w):
    with pytest.raises(actions.ReportError):
        rf.submit(w, title="Banjir di perumahan", description="Banjir setinggi lutut.", actor=None)
    assert found("banjir") == set()


def test_rebuilding_the_index_finds_reports_written_around_the_actions(reports):
    Report.objects.filter(title="Lampu jalan mati").update(title="Lampu taman mati")
    search.rebuild_index()
    assert found("taman") == {"Lampu taman mati"}


def test_search_is_answered_from_an_index(reports):
    sql, params = search_reports(Report.objects.all(), "jalan").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert search.PG_INDEX_NAME in plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and search.SQLITE_TABLE in plan
