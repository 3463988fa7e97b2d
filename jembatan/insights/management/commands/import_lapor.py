"""manage.py import_lapor FILE: import an SP4N-LAPOR! administrator export (CSV or XLSX)."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from jembatan.directory.models import Agency
from jembatan.insights import importing


class DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


class Command(BaseCommand):
    help = (
        "Impor ekspor SP4N-LAPOR! (21 kolom, CSV atau XLSX). Aman diulang: impor ulang memperbarui, "
        "tidak menggandakan. Baris yang gagal dicatat dan tidak menghentikan impor."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Periksa dan hitung, tanpa menyimpan apa pun."
        )
        parser.add_argument(
            "--parent",
            metavar="KODE",
            help="Instansi induk untuk instansi yang belum ada (dibuat di bawahnya).",
        )
        parser.add_argument(
            "--map-agency",
            action="append",
            default=[],
            metavar="NAMA=KODE",
            help="Petakan nama instansi LAPOR! ke instansi yang ada (boleh berulang).",
        )
        parser.add_argument(
            "--source", default=importing.SOURCE_INSTANCE, help="Nama instans sumber (bawaan lapor.go.id)."
        )
        parser.add_argument(
            "--errors", metavar="CSV", help="Tulis daftar baris gagal dan peringatan ke berkas CSV."
        )
        parser.add_argument("--no-progress", action="store_true", help="Tanpa bilah kemajuan.")

    def handle(
        self, *args, file, dry_run, parent, map_agency, source, errors, no_progress, verbosity, **options
    ):
        parent_agency = None
        if parent:
            parent_agency = Agency.objects.filter(code=parent).first()
            if parent_agency is None:
                raise CommandError(_("Instansi induk dengan kode %(code)s tidak ada.") % {"code": parent})
        agency_map = {}
        for item in map_agency:
            name, sep, code = item.rpartition("=")
            agency = Agency.objects.filter(code=code.strip()).first() if sep else None
            if not name.strip() or agency is None:
                raise CommandError(
                    _("--map-agency harus “Nama=kode” dengan kode yang ada: %(item)s") % {"item": item}
                )
            agency_map[name.strip()] = agency
        try:
            rows = importing.read_rows(file)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        bar = tqdm(total=len(rows), unit=_("baris"), disable=no_progress or verbosity == 0, file=self.stderr)
        try:
            with transaction.atomic():
                result = importing.import_file(
                    file,
                    parent=parent_agency,
                    agency_map=agency_map,
                    source_instance=source,
                    progress=bar.update,
                )
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        finally:
            bar.close()
        self._report(result, dry_run, errors, verbosity)

    def _report(self, result, dry_run, errors_file, verbosity):
        write = self.stdout.write
        heading = _("UJI COBA (tidak ada yang disimpan): ") if dry_run else ""
        write(
            heading
            + _(
                "%(rows)d baris: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tetap, "
                "%(errors)d gagal."
            )
            % {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": len(result.errors),
            }
        )
        if result.agencies_created:
            write(
                _("Instansi baru: %(names)s") % {"names": ", ".join(a.name for a in result.agencies_created)}
            )
        if result.errors:
            write(_("Baris yang gagal:"))
            for number, tracking, message in result.errors:
                write(f"  {_('baris')} {number} ({tracking or '–'}): {message}")
        if result.warnings and verbosity >= 2:
            write(_("Peringatan:"))
            for number, tracking, message in result.warnings:
                write(f"  {_('baris')} {number} ({tracking}): {message}")
        elif result.warnings and verbosity:
            write(_("%(n)d peringatan (tampilkan dengan -v 2 atau --errors).") % {"n": len(result.warnings)})
        if errors_file:
            with open(errors_file, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["baris", "tracking_id", "jenis", "pesan"])
                for kind, items in (("gagal", result.errors), ("peringatan", result.warnings)):
                    for number, tracking, message in items:
                        writer.writerow([number, tracking, kind, message])
