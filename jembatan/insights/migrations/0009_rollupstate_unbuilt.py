"""The cubes of 0006 and 0008 start empty: on a database that already has facts they are marked
unbuilt, so the dashboards keep asking the older cubes until the rollup task has filled them (a
worker task, not this migration: at millions of reports that is minutes of aggregation)."""

from django.db import migrations, models

# The tables 0006 and 0008 created (frozen here: later releases may add or rename cubes).
NEW_CUBES = [
    "insights_scoperegionreportcube",
    "insights_scoperegiontopiccube",
    "insights_scoperegionverifiercube",
    "insights_scoperegiondispositioncube",
    "insights_agencyreportcube",
    "insights_agencyverifiercube",
    "insights_agencydispositioncube",
]


def mark_unbuilt(apps, schema_editor):
    mark_empty_cubes_unbuilt(apps, schema_editor, NEW_CUBES)


def mark_empty_cubes_unbuilt(apps, schema_editor, tables):
    """Add those of `tables` that are empty to RollupState.unbuilt, on a database that has facts
    (also used by later migrations that add a cube)."""
    alias = schema_editor.connection.alias
    ReportFact = apps.get_model("insights", "ReportFact")
    DispositionFact = apps.get_model("insights", "DispositionFact")
    if not (ReportFact.objects.using(alias).exists() or DispositionFact.objects.using(alias).exists()):
        return  # a new database: the first refresh or rebuild writes facts and every cube together
    RollupState = apps.get_model("insights", "RollupState")
    state, _created = RollupState.objects.using(alias).get_or_create(pk=1)
    empty = []
    for table in tables:
        model = next(m for m in apps.get_app_config("insights").get_models() if m._meta.db_table == table)
        if not model.objects.using(alias).exists():
            empty.append(table)
    state.unbuilt = sorted(set(state.unbuilt or []) | set(empty))
    state.save(update_fields=["unbuilt"])


class Migration(migrations.Migration):
    dependencies = [("insights", "0008_agency_cubes")]

    operations = [
        migrations.AddField(
            model_name="rollupstate",
            name="unbuilt",
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.RunPython(mark_unbuilt, migrations.RunPython.noop),
    ]
