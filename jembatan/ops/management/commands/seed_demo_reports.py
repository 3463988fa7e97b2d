"""Add about 300 demo reports with real histories to the demo province (after seed_demo)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jembatan.ops.demo import DemoError
from jembatan.ops.demo_reports import build_demo_reports


class Command(BaseCommand):
    help = "Isi laporan demo (±300) dengan riwayat nyata 90 hari terakhir. Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=300, help="Jumlah laporan demo (bawaan 300).")
        parser.add_argument("--seed", type=int, default=2026, help="Benih acak: benih sama, laporan sama.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Izinkan di luar development (laporan demo bercampur dengan laporan sungguhan).",
        )

    def handle(self, *args, count, seed, allow_production, verbosity, **options):
        # Demo reports would mix with real ones and notify their (fake) reporters: development only.
        if not settings.DEVELOPMENT and not allow_production:
            raise CommandError(
                _(
                    "seed_demo_reports hanya untuk JEMBATAN_ENV=development; "
                    "tambahkan --allow-production bila sengaja."
                )
            )
        if count < 1:
            raise CommandError(_("--count paling sedikit 1."))
        try:
            build_demo_reports(stdout=self.stdout if verbosity else None, count=count, seed=seed)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
