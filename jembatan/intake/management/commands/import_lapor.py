"""manage.py import_lapor FILE: import an SP4N-LAPOR! administrator export (CSV or XLSX)."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from jembatan.directory.models import Agency
from jembatan.insights import rollups
from jembatan.intake import lapor as importing
from jembatan.jobs import leases


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
        parents = parser.add_mutually_exclusive_group()
        parents.add_argument(
            "--parent",
            metavar="KODE_ATAU_NAMA",
            help="Instansi induk (kode atau nama) untuk instansi yang belum ada (dibuat di bawahnya).",
        )
        parents.add_argument(
            "--create-parent",
            metavar="NAMA",
            help=(
                "Seperti --parent, tetapi instansi induk bernama NAMA dibuat bila belum ada "
                "(wajib dengan --parent-region)."
            ),
        )
        parser.add_argument(
            "--parent-region",
            metavar="KODE_WILAYAH",
            help="Kode wilayah Kemendagri instansi induk yang dibuat, mis. 64.72 (Kota Samarinda).",
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
        self,
        *args,
        file,
        dry_run,
        parent,
        create_parent,
        parent_region,
        map_agency,
        source,
        errors,
        no_progress,
        verbosity,
        **options,
    ):
        if create_parent and not parent_region:
            raise CommandError(_("--create-parent memerlukan --parent-region (kode wilayah, mis. 64.72)."))
        if parent_region and not create_parent:
            raise CommandError(_("--parent-region hanya berlaku bersama --create-parent."))
        parent_agency = None
        if parent:
            try:
                parent_agency = importing.find_agency(parent)
            except ValueError as exc:
                raise CommandError(
                    str(exc) + " " + _("Untuk membuatnya: --create-parent NAMA --parent-region KODE.")
                ) from None
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
        parent_created = False
        try:
            # One transaction around the whole run only so that --dry-run can roll everything back
            # (a parent it created included); each row still has its own savepoint inside.
            with transaction.atomic():
                if create_parent:
                    try:
                        parent_agency, parent_created = importing.find_or_create_parent(
                            name=create_parent, region_code=parent_region
                        )
                    except ValueError as exc:
                        raise CommandError(str(exc)) from None
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
        if parent_created and verbosity:
            message = (
                _("Instansi induk akan dibuat: %(name)s (kode %(code)s, wilayah %(region)s).")
                if dry_run
                else _("Instansi induk dibuat: %(name)s (kode %(code)s, wilayah %(region)s).")
            )
            self.stdout.write(
                message
                % {"name": parent_agency.name, "code": parent_agency.code, "region": parent_agency.region_id}
            )
        self._report(result, dry_run, errors, verbosity)
        if not dry_run:
            self._refresh_rollups(verbosity)

    def _refresh_rollups(self, verbosity):
        """Bring the dashboards up to date now rather than at the next run of the rollup task."""
        try:
            # The task's own lease: two refreshes at once would aggregate the same periods twice.
            with leases.hold("insights-rollups"):
                refreshed = rollups.refresh()
        except leases.LeaseHeld:
            if verbosity:
                self.stdout.write(
                    _(
                        "Rekapitulasi dasbor sedang diperbarui oleh tugas berkala; laporan yang diimpor "
                        "tampil di dasbor dalam beberapa menit."
                    )
                )
            return
        if verbosity:
            self.stdout.write(
                _("Rekapitulasi dasbor diperbarui: %(n)d laporan dihitung ulang.") % {"n": refreshed.reports}
            )

    def _report(self, result, dry_run, errors_file, verbosity):
        write = self.stdout.write
        heading = _("UJI COBA (tidak ada yang disimpan): ") if dry_run else ""
        write(
            heading
            + _(
                "%(rows)d baris: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tetap, "
                "%(kept)d sudah ditangani di Jembatan (tidak ditimpa), %(errors)d gagal."
            )
            % {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "kept": result.kept,
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
