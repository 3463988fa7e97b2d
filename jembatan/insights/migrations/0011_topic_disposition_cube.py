"""The dispositions per hub and category group (the league under a category group filter). On a
database that already has facts the new cube starts empty and is marked unbuilt (as in 0009): the
dashboards keep reading the full disposition cube until the rollup task has filled it."""

import importlib

from django.db import migrations, models

NEW_CUBES = ["insights_scopetopicdispositioncube"]  # frozen: later releases may rename the cube


def mark_unbuilt(apps, schema_editor):
    earlier = importlib.import_module("jembatan.insights.migrations.0009_rollupstate_unbuilt")
    earlier.mark_empty_cubes_unbuilt(apps, schema_editor, NEW_CUBES)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0010_open_dispositions_by_group"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScopeTopicDispositionCube",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dispositions", models.IntegerField(default=0)),
                ("responded", models.IntegerField(default=0)),
                ("responded_on_time", models.IntegerField(default=0)),
                ("response_overdue", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
                ("completed_on_time", models.IntegerField(default=0)),
                ("completion_overdue", models.IntegerField(default=0)),
                ("returned", models.IntegerField(default=0)),
                ("wd_sum", models.IntegerField(default=0)),
                ("grain", models.CharField(choices=[("d", "Hari"), ("m", "Bulan")], max_length=1)),
                ("period", models.DateField()),
                ("scope", models.IntegerField()),
                ("province", models.CharField(blank=True, max_length=2)),
                ("category_group", models.IntegerField()),
                ("status", models.CharField(max_length=20)),
                ("wd", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["scope", "category_group", "grain", "period"],
                        name="insights_sc_scope_3f344d_idx",
                    ),
                    models.Index(fields=["grain", "period"], name="insights_sc_grain_70e8b9_idx"),
                    models.Index(
                        fields=["scope", "category_group", "grain", "status", "period"],
                        name="insights_sc_scope_c116de_idx",
                    ),
                ],
            },
        ),
        migrations.RunPython(mark_unbuilt, migrations.RunPython.noop),
    ]
