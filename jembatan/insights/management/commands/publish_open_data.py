"""manage.py publish_open_data: write the open data files now (the nightly task does it too).

A fresh install has no files until the first night; `make setup` runs this so that /data/terbuka/
offers data from the start.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from jembatan.insights import opendata


class Command(BaseCommand):
    help = "Terbitkan berkas data terbuka (laporan publik, tanpa data pribadi) sekarang juga."

    def handle(self, *args, verbosity, **options):
        count = opendata.publish()
        if verbosity:
            self.stdout.write(
                _("Data terbuka diterbitkan: %(n)d laporan publik di %(folder)s.")
                % {"n": count, "folder": opendata.open_data_dir()}
            )
