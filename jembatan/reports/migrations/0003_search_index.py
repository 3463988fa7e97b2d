# The full-text search index (see jembatan/reports/search.py): an FTS5 table of stemmed text on
# SQLite, filled from the existing reports; a GIN expression index on PostgreSQL.

from django.db import migrations

# Frozen here: migration 0012 replaced this expression index with a stored column and its index.
# Frozen here too: migration 0020 gave the FTS5 table a second column (search.create_sqlite_index).
SQLITE_TABLE = "reports_search"
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5("
    "document, tokenize = 'unicode61 remove_diacritics 2')"
)
OLD_PG_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS report_search_idx ON reports_report USING gin "
    "(to_tsvector('indonesian'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '')))"
)


def create_index(apps, schema_editor):
    from jembatan.reports import search

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(OLD_PG_INDEX_SQL)
    elif connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
        Report = apps.get_model("reports", "Report")
        rows = Report.objects.using(connection.alias).values_list("pk", "title", "description")
        documents = [(pk, search.document(title, description)) for pk, title, description in rows.iterator()]
        if documents:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SQLITE_TABLE} (rowid, document) VALUES (%s, %s)", documents
                )


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_search_idx")
    elif connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_event_append_only_and_archive_reasons"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
