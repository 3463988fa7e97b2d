"""Build the Sumatera Barat demo: agencies, categories, routing rules and one login per role."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jembatan.ops.demo import DEMO_PASSWORD, DEMO_USERS, DemoError, seed_demo


class Command(BaseCommand):
    help = "Isi provinsi demo (Sumatera Barat) beserta akun demo. Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Kembalikan kata sandi akun demo yang sudah diubah menjadi {DEMO_PASSWORD}.",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Izinkan di luar development (akun demo memakai kata sandi yang diketahui umum).",
        )

    def handle(self, *args, reset_passwords, allow_production, verbosity, **options):
        # Demo logins share a published password: never create them on a real instance by accident.
        if not settings.DEVELOPMENT and not allow_production:
            raise CommandError(
                _(
                    "seed_demo hanya untuk JEMBATAN_ENV=development; "
                    "tambahkan --allow-production bila memang disengaja."
                )
            )
        try:
            summary = seed_demo(reset_passwords=reset_passwords)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        if not verbosity:
            return
        lines = [
            (_("Instansi"), summary.agencies),
            (_("Kategori dan kelompok"), summary.categories),
            (_("Aturan penerusan"), summary.rules),
            (_("Akun demo"), summary.users),
            (_("Peran petugas"), summary.roles),
            (_("Templat jawaban"), summary.templates),
        ]
        self.stdout.write(_("Provinsi demo Sumatera Barat:"))
        for label, tally in lines:
            self.stdout.write(
                "  "
                + _("%(label)s: %(total)s (%(created)s baru, %(updated)s diperbarui)")
                % {
                    "label": label,
                    "total": tally.total(),
                    "created": tally["created"],
                    "updated": tally["updated"],
                }
            )
        self.stdout.write(
            "  "
            + _("Akun: %(users)s; kata sandi: %(password)s")
            % {
                "users": ", ".join(username for username, _role, _agency in DEMO_USERS),
                "password": DEMO_PASSWORD,
            }
        )
