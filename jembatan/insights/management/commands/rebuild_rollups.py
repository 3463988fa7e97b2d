"""manage.py rebuild_rollups: recompute every dashboard fact and cube from the reports."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from tqdm import tqdm

from jembatan.insights import rollups
from jembatan.reports.models import Report


class Command(BaseCommand):
    help = "Hitung ulang seluruh rekapitulasi dasbor dari laporan (aman dijalankan kapan saja)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, no_progress, verbosity, **options):
        bar = tqdm(
            total=Report.objects.count(),
            unit=_("laporan"),
            disable=no_progress or verbosity == 0,
            file=self.stderr,
        )
        count = rollups.rebuild(progress=bar.update)
        bar.close()
        if verbosity:
            self.stdout.write(_("Rekapitulasi dihitung ulang dari %(n)d laporan.") % {"n": count})
