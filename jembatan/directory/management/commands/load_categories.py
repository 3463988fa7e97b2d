"""Load the complaint categories (SP4N-LAPOR! ids, grouped) into the category table."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jembatan.directory.actions import load_categories
from jembatan.directory.sources import CATEGORIES_FILE, SourceError, read_categories


class Command(BaseCommand):
    help = "Muat kelompok dan kategori pengaduan (kode SP4N-LAPOR!). Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=str(CATEGORIES_FILE), help="CSV kategori. Bawaan: berkas yang dikirim."
        )

    def handle(self, *args, file, verbosity, **options):
        try:
            rows = read_categories(file)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        result = load_categories(rows=rows)
        if verbosity:
            self.stdout.write(
                _("Kategori: %(created)s ditambah, %(updated)s diperbarui, %(unchanged)s tetap.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
            )
