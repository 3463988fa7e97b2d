# A public search matches only what the public page shows: the stored redacted texts (0011), not
# the texts as written (reports/search.py). Before this, a public search for a name the page hides
# ("Nama saya …" → "[nama disembunyikan]") found the report and so told anyone who wrote it.
#
# PostgreSQL: a second generated tsvector column from title_public + description_public, with its
# GIN index; PostgreSQL keeps it in step with the columns (store_public_texts re-deriving them
# included). Like 0012, adding a stored generated column rewrites reports_report once under an
# ACCESS EXCLUSIVE lock: run it in a maintenance window (docs/upgrade.md).
# SQLite: a second FTS5 table of the stemmed redacted texts, filled here from the stored forms.

from django.db import migrations

PG_COLUMN_SQL = (
    "ALTER TABLE reports_report ADD COLUMN search_document_public tsvector GENERATED ALWAYS AS "
    "(to_tsvector('indonesian'::regconfig, COALESCE(title_public, '') || ' ' || "
    "COALESCE(description_public, ''))) STORED",
    "CREATE INDEX report_search_document_public_idx ON reports_report USING gin (search_document_public)",
)
SQLITE_TABLE = "reports_search_public"  # merged into reports_search by 0020 (frozen here)


def add_public_document(apps, schema_editor):
    from jembatan.reports import search

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in PG_COLUMN_SQL:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5("
            "document, tokenize = 'unicode61 remove_diacritics 2')"
        )
        Report = apps.get_model("reports", "Report")
        rows = Report.objects.using(connection.alias).order_by("pk")
        documents = [
            (pk, search.public_document(title, description))
            for pk, title, description in rows.values_list("pk", "title_public", "description_public").iterator()
        ]
        if documents:
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {SQLITE_TABLE} (rowid, document) VALUES (%s, %s)", documents)


def drop_public_document(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_search_document_public_idx")
        schema_editor.execute("ALTER TABLE reports_report DROP COLUMN IF EXISTS search_document_public")
    elif connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0014_report_status_completion_index_with_id"),
    ]

    operations = [migrations.RunPython(add_public_document, drop_public_document)]
