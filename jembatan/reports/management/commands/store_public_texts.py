"""Fill the redacted forms stored beside reports' texts where they are missing or were made by an
older personal-data detector (pii.DETECTOR_VERSION; see reports/public_texts.py); a dry run, which
says how many are stale, unless --apply."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jembatan.reports.models import Report
from jembatan.reports.public_texts import fill_public_texts


class Command(BaseCommand):
    help = (
        "Isi teks publik (data pribadi disamarkan) yang disimpan di samping judul, isi dan alamat laporan. "
        "Tanpa --apply hanya menghitung."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help=_("Tulis ke basis data (tanpa ini: uji coba).")
        )
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help=_(
                "Semua laporan, bukan hanya yang belum punya atau yang dibuat pendeteksi data pribadi lama."
            ),
        )

    def handle(self, *args, apply, everything, verbosity, **options):
        count = fill_public_texts(Report, everything=everything, apply=apply)
        if verbosity:
            if apply:
                self.stdout.write(_("%(count)s laporan diperbarui.") % {"count": f"{count:,}"})
            else:
                self.stdout.write(
                    _("Uji coba: %(count)s laporan akan diperbarui. Jalankan dengan --apply.")
                    % {"count": f"{count:,}"}
                )
