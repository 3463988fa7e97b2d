"""Rebuild the full-text search index of reports (SQLite) after a bulk import that bypassed the actions."""

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils.translation import gettext as _

from jembatan.reports import search


class Command(BaseCommand):
    help = "Bangun ulang indeks pencarian laporan (SQLite). PostgreSQL memperbarui indeksnya sendiri."

    def handle(self, *args, verbosity, **options):
        count = search.rebuild_index()
        if verbosity:
            if connection.vendor == "sqlite":
                self.stdout.write(_("%(count)s laporan diindeks ulang.") % {"count": f"{count:,}"})
            else:
                self.stdout.write(
                    _("PostgreSQL memperbarui indeks pencarian sendiri; tidak ada yang perlu dilakukan.")
                )
