"""Load the Kemendagri region codes (provinsi down to desa/kelurahan) into the region table."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from jembatan.directory.actions import RegionLoadError, load_regions, missing_regions
from jembatan.directory.sources import REGIONS_FILE, SourceError, read_regions


class Command(BaseCommand):
    help = "Muat kode wilayah Kemendagri (provinsi s.d. desa/kelurahan). Aman dijalankan ulang."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            default=str(REGIONS_FILE),
            help="CSV kode,nama,tingkat (boleh .gz). Bawaan: berkas yang dikirim.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Lewati bila semua kode di berkas sudah ada di basis data.",
        )

    def handle(self, *args, file, if_empty, verbosity, **options):
        started = time.monotonic()
        try:
            rows = read_regions(file)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        if if_empty and not missing_regions(rows=rows):
            if verbosity:
                self.stdout.write(
                    _("Wilayah sudah lengkap (%(count)s kode); dilewati.") % {"count": f"{len(rows):,}"}
                )
            return
        # The bar goes to stderr and only to a terminal: logs from `make` or CI keep the summary line.
        with tqdm(
            total=len(rows),
            unit=" wilayah",
            file=sys.stderr,
            disable=verbosity == 0 or not sys.stderr.isatty(),
        ) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            try:
                result = load_regions(rows=rows, progress=progress)
            except RegionLoadError as exc:
                raise CommandError(str(exc)) from None
        if verbosity:
            self.stdout.write(
                _(
                    "Wilayah: %(read)s kode dibaca, %(created)s ditambah, %(updated)s diperbarui, "
                    "%(unchanged)s tetap, %(kept)s tidak ada di berkas (dibiarkan) — %(seconds).1f detik."
                )
                % {
                    "read": f"{result.read:,}",
                    "created": f"{result.created:,}",
                    "updated": f"{result.updated:,}",
                    "unchanged": f"{result.unchanged:,}",
                    "kept": f"{result.kept:,}",
                    "seconds": time.monotonic() - started,
                }
            )
