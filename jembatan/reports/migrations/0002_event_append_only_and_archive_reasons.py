"""The timeline is append-only at the database level, and the managed archive reasons exist.

PostgreSQL refuses UPDATE and DELETE on reports_event. SQLite refuses UPDATE; a DELETE trigger
would also break Django's own test-database flush (which empties tables with DELETE on SQLite, and
with TRUNCATE, which row triggers do not see, on PostgreSQL), so on SQLite deletes are stopped by
the model, the QuerySet and the PROTECT foreign key from the report.
"""

from django.db import migrations

# SP4N-LAPOR! archive reasons, as the national system words them.
ARCHIVE_REASONS = [
    ("tidak-jelas", "Tidak Jelas"),
    ("tidak-memiliki-bukti-dukung", "Tidak Memiliki Bukti Dukung"),
    ("mengandung-sara", "Mengandung SARA"),
    ("tidak-relevan", "Tidak Relevan dengan Kinerja Pemerintah"),
    ("duplikat", "Duplikat"),
    ("kedaluwarsa", "Kedaluwarsa"),
    ("bukan-pelayanan-publik", "Bukan Kewenangan Pelayanan Publik"),
    ("ditarik-pelapor", "Ditarik oleh Pelapor"),
]

SQLITE = [
    """CREATE TRIGGER reports_event_no_update BEFORE UPDATE ON reports_event
       BEGIN SELECT RAISE(ABORT, 'reports_event is append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_event_no_update",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION reports_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'reports_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER reports_event_no_update_delete BEFORE UPDATE OR DELETE ON reports_event
       FOR EACH ROW EXECUTE FUNCTION reports_event_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_event_no_update_delete ON reports_event",
    "DROP FUNCTION IF EXISTS reports_event_append_only()",
]


def _run(statements):
    def apply(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return apply


def add_reasons(apps, schema_editor):
    ArchiveReason = apps.get_model("reports", "ArchiveReason")
    for code, name in ARCHIVE_REASONS:
        ArchiveReason.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
        migrations.RunPython(add_reasons, migrations.RunPython.noop),
    ]
