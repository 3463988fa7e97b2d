# The PostgreSQL search reads a stored tsvector instead of stemming every candidate row's text
# again (docs/scale.md: a search for "jalan" at 1,000,000 reports took 0.6-1 s, most of it
# to_tsvector() re-run in the WHERE). A generated column is kept current by PostgreSQL itself on
# every INSERT and UPDATE (actions, bulk imports, COPY alike), so nothing in Python maintains it.
# The GIN index moves from the expression (0003) to the column. SQLite keeps its FTS5 table.
#
# On a large table this rewrites reports_report once (1,000,000 reports: see docs/scale.md) and
# holds an ACCESS EXCLUSIVE lock while it does: run it in a maintenance window (docs/upgrade.md).

from django.db import migrations

OLD_PG_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS report_search_idx ON reports_report USING gin "
    "(to_tsvector('indonesian'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, '')))"
)
# The column and its index, frozen as this migration made them (reports/search.py reads them).
PG_COLUMN_SQL = (
    "DROP INDEX IF EXISTS report_search_idx",
    "ALTER TABLE reports_report ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
    "(to_tsvector('indonesian'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, ''))) STORED",
    "CREATE INDEX report_search_document_idx ON reports_report USING gin (search_document)",
)


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_COLUMN_SQL:
            schema_editor.execute(statement)


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_search_document_idx")
        schema_editor.execute("ALTER TABLE reports_report DROP COLUMN IF EXISTS search_document")
        schema_editor.execute(OLD_PG_INDEX_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_store_redacted_public_texts"),
    ]

    operations = [migrations.RunPython(add_column, drop_column)]
