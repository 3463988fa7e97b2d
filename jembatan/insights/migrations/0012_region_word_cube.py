"""The emerging words per hub and kabupaten/kota (the trends page under a kabupaten/kota filter).
On a database that already has facts the new cube starts empty and is marked unbuilt (as in 0009):
the page keeps counting the words in the facts until the rollup task has filled it."""

import importlib

from django.db import migrations, models

NEW_CUBES = ["insights_scoperegionwordcube"]  # frozen: later releases may rename the cube


def mark_unbuilt(apps, schema_editor):
    earlier = importlib.import_module("jembatan.insights.migrations.0009_rollupstate_unbuilt")
    earlier.mark_empty_cubes_unbuilt(apps, schema_editor, NEW_CUBES)


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0011_topic_disposition_cube'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScopeRegionWordCube',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('scope', models.IntegerField()),
                ('region', models.CharField(blank=True, max_length=13)),
                ('word', models.CharField(max_length=40)),
                ('reports', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['scope', 'region', 'day'], name='insights_sc_scope_a8c381_idx'), models.Index(fields=['day'], name='insights_sc_day_c5186c_idx')],
            },
        ),
        migrations.RunPython(mark_unbuilt, migrations.RunPython.noop),
    ]
