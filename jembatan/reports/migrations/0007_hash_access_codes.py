"""Access codes are kept hashed: hash every existing code, then drop the plain column."""

from django.db import migrations, models


def hash_existing_codes(apps, schema_editor):
    from jembatan.reports.models import hash_access_code

    Report = apps.get_model("reports", "Report")
    batch = []
    for report in Report.objects.exclude(access_code="").only("pk", "access_code").iterator(chunk_size=500):
        report.access_code_hash = hash_access_code(report.access_code)
        batch.append(report)
        if len(batch) >= 500:
            Report.objects.bulk_update(batch, ["access_code_hash"])
            batch = []
    Report.objects.bulk_update(batch, ["access_code_hash"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_disposition_deadline_indexes")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="access_code_hash",
            field=models.CharField(default="", editable=False, max_length=128, verbose_name="kode akses (hash)"),
            preserve_default=False,
        ),
        # Not reversible: the codes themselves are gone once hashed.
        migrations.RunPython(hash_existing_codes, migrations.RunPython.noop, elidable=False),
        # A default first, so that going back can re-add the (now empty) column to existing rows.
        migrations.AlterField(
            model_name="report",
            name="access_code",
            field=models.CharField(default="", editable=False, max_length=16, verbose_name="kode akses"),
        ),
        migrations.RemoveField(model_name="report", name="access_code"),
    ]
