"""The dispositions per leaf office without the kabupaten/kota, with the status (a league's offices
without a place filter, "late now" per agency). On a database that already has facts the new cube
starts empty and is marked unbuilt (as in 0009): the pages keep reading the older cubes until the
rollup task has filled it."""

import importlib

from django.db import migrations, models

NEW_CUBES = ["insights_agencytotaldispositioncube"]  # frozen: later releases may rename the cube


def mark_unbuilt(apps, schema_editor):
    earlier = importlib.import_module("jembatan.insights.migrations.0009_rollupstate_unbuilt")
    earlier.mark_empty_cubes_unbuilt(apps, schema_editor, NEW_CUBES)


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0012_region_word_cube'),
    ]

    operations = [
        migrations.CreateModel(
            name='AgencyTotalDispositionCube',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('dispositions', models.IntegerField(default=0)),
                ('responded', models.IntegerField(default=0)),
                ('responded_on_time', models.IntegerField(default=0)),
                ('response_overdue', models.IntegerField(default=0)),
                ('completed', models.IntegerField(default=0)),
                ('completed_on_time', models.IntegerField(default=0)),
                ('completion_overdue', models.IntegerField(default=0)),
                ('returned', models.IntegerField(default=0)),
                ('wd_sum', models.IntegerField(default=0)),
                ('grain', models.CharField(choices=[('d', 'Hari'), ('m', 'Bulan')], max_length=1)),
                ('period', models.DateField()),
                ('province', models.CharField(blank=True, max_length=2)),
                ('agency', models.IntegerField()),
                ('status', models.CharField(max_length=20)),
                ('wd', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['agency', 'grain', 'period'], name='insights_ag_agency_80d335_idx'), models.Index(fields=['grain', 'period'], name='insights_ag_grain_bafac5_idx'), models.Index(condition=models.Q(('status__in', ['terdisposisi', 'diproses'])), fields=['status', 'grain', 'period'], include=('agency', 'province', 'wd', 'dispositions', 'response_overdue', 'completion_overdue'), name='insights_agencydisp_open')],
            },
        ),
        migrations.RunPython(mark_unbuilt, migrations.RunPython.noop),
    ]
