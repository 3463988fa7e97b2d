"""Print the code the demo officers' authenticator shows now (development and demos only)."""

from django.core.management.base import BaseCommand

from jembatan.accounts.access import SECOND_FACTOR_ROLES
from jembatan.ops.demo import DEMO_PEOPLE, DEMO_TOTP_SECRET_BASE32, demo_totp_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo admins and sysadmin (their shared, published secret)."

    def handle(self, *args, **options):
        users = ", ".join(p.username for p in DEMO_PEOPLE if p.role in SECOND_FACTOR_ROLES)
        self.stdout.write(f"Kode verifikasi dua langkah untuk {users}: {demo_totp_code()}")
        self.stdout.write(
            f"(berlaku 30 detik; kunci rahasia untuk aplikasi autentikator: {DEMO_TOTP_SECRET_BASE32})"
        )
