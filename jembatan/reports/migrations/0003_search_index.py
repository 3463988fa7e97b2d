# The full-text search index (see jembatan/reports/search.py): an FTS5 table of stemmed text on
# SQLite, filled from the existing reports; a GIN expression index on PostgreSQL.

from django.db import migrations

# Frozen here: migration 0012 replaced this expression index with a stored column and its index.
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
        search.create_sqlite_index(connection)
        Report = apps.get_model("reports", "Report")
        rows = Report.objects.using(connection.alias).values_list("pk", "title", "description")
        documents = [(pk, search.document(title, description)) for pk, title, description in rows.iterator()]
        if documents:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {search.SQLITE_TABLE} (rowid, document) VALUES (%s, %s)", documents
                )


def drop_index(apps, schema_editor):
    from jembatan.reports import search

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_search_idx")
    elif connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {search.SQLITE_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_event_append_only_and_archive_reasons"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
