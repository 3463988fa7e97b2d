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
        parser.add_argument(
            "--cubes-only",
            action="store_true",
            help="Hanya hitung ulang kubus dari fakta yang tersimpan (setelah perubahan definisi kubus).",
        )

    def handle(self, *args, no_progress, cubes_only, verbosity, **options):
        bar = tqdm(
            total=0 if cubes_only else Report.objects.count(),
            unit=_("laporan"),
            disable=no_progress or verbosity == 0 or cubes_only,
            file=self.stderr,
        )
        count = rollups.rebuild(progress=bar.update, facts=not cubes_only)
        bar.close()
        if verbosity and cubes_only:
            self.stdout.write(_("Kubus rekapitulasi dihitung ulang dari fakta yang tersimpan."))
        elif verbosity:
            self.stdout.write(_("Rekapitulasi dihitung ulang dari %(n)d laporan.") % {"n": count})
