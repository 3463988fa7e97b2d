# SQLite: the two FTS5 tables of the search (reports_search: the texts as written; and
# reports_search_public: the redacted texts, 0015) become one table with two columns,
# reports_search(document, document_public) (reports/search.py). Each FTS5 table writes a segment
# of its own at every commit: a new report was two of them, now one (issue 15). The stemmed
# documents are copied as they are (no stemming again): seconds per hundred thousand reports.
# PostgreSQL: nothing (its documents are generated columns).

from django.db import migrations

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def merge(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in (
        f"CREATE VIRTUAL TABLE reports_search_merged USING fts5(document, document_public, {TOKENIZE})",
        # Every report that had a row in either table, with '' for a missing document.
        "INSERT INTO reports_search_merged (rowid, document, document_public) "
        "SELECT r.id, COALESCE(s.document, ''), COALESCE(p.document, '') FROM reports_report r "
        "LEFT JOIN reports_search s ON s.rowid = r.id LEFT JOIN reports_search_public p ON p.rowid = r.id "
        "WHERE s.rowid IS NOT NULL OR p.rowid IS NOT NULL",
        "DROP TABLE reports_search",
        "DROP TABLE reports_search_public",
        "ALTER TABLE reports_search_merged RENAME TO reports_search",
    ):
        schema_editor.execute(statement)


def split(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in (
        f"CREATE VIRTUAL TABLE reports_search_staff USING fts5(document, {TOKENIZE})",
        f"CREATE VIRTUAL TABLE reports_search_public USING fts5(document, {TOKENIZE})",
        "INSERT INTO reports_search_staff (rowid, document) SELECT rowid, document FROM reports_search",
        "INSERT INTO reports_search_public (rowid, document) SELECT rowid, document_public FROM reports_search",
        "DROP TABLE reports_search",
        "ALTER TABLE reports_search_staff RENAME TO reports_search",
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0019_report_unverified_and_paused_stream_indexes"),
    ]

    operations = [migrations.RunPython(merge, split)]
