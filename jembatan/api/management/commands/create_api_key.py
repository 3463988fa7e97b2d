"""Issue an API key and print it once (only its hash is stored)."""

from django.core.management.base import BaseCommand, CommandError

from jembatan.accounts.models import Role, User
from jembatan.api import actions
from jembatan.directory.models import Agency
from jembatan.reports.actions import ReportError


class Command(BaseCommand):
    help = (
        "Buat kunci API dan cetak sekali. Tanpa --agency/--user: kunci Open311 untuk satu aplikasi klien. "
        "Dengan --agency KODE [--role penghubung]: kunci integrasi instansi yang bertindak sebagai akun "
        "layanan dengan peran itu. Dengan --user NAMA: kunci integrasi untuk petugas yang sudah ada."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Nama aplikasi atau integrasi.")
        parser.add_argument("--agency", help="Kode instansi (integrasi instansi).")
        parser.add_argument(
            "--role",
            choices=[r.value for r in Role if r != Role.SYSADMIN],
            help="Peran akun layanan integrasi (bawaan: penghubung).",
        )
        parser.add_argument("--user", help="Nama pengguna petugas yang sudah ada (bukan akun layanan baru).")
        parser.add_argument(
            "--rate-limit",
            type=int,
            help="Batas permintaan per menit untuk kunci ini (bawaan: API_THROTTLE_RATES jenisnya).",
        )

    def handle(self, *args, name, agency, role, user, rate_limit=None, **options):
        try:
            if agency is None and user is None and role is None:
                key, raw = actions.issue_open311_key(name=name, rate_limit=rate_limit)
            else:
                agency_obj = None
                if agency:
                    agency_obj = Agency.objects.filter(code=agency).first()
                    if agency_obj is None:
                        raise CommandError(f"Instansi dengan kode {agency!r} tidak ditemukan.")
                user_obj = None
                if user:
                    user_obj = User.objects.filter(username=user).first()
                    if user_obj is None:
                        raise CommandError(f"Pengguna {user!r} tidak ditemukan.")
                key, raw = actions.issue_agency_key(
                    name=name,
                    role=role or Role.PENGHUBUNG,
                    agency=agency_obj,
                    user=user_obj,
                    rate_limit=rate_limit,
                )
        except ReportError as exc:
            raise CommandError(exc.message) from None
        if options["verbosity"]:
            self.stderr.write(
                f"{key.get_kind_display()} “{key.name}” (#{key.pk}); simpan kunci ini sekarang:"
            )
        self.stdout.write(raw)
