"""Replace the database and the uploaded files with a backup made by `manage.py backup`."""

from django.core.management.base import BaseCommand, CommandError

from jembatan.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Pulihkan basis data dan berkas unggahan dari folder cadangan (menimpa isi yang ada)."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="Folder cadangan (jembatan-…) yang dibuat oleh `backup`.")
        parser.add_argument("--yes", action="store_true", help="Ya, timpa basis data dan berkas yang ada.")

    def handle(self, *args, backup, yes, **options):
        if not yes:
            raise CommandError("Pemulihan menimpa semua data. Ulangi dengan --yes bila yakin.")
        try:
            manifest = restore_backup(backup)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = manifest["counts"]
        self.stdout.write(
            f"Dipulihkan dari {backup}: {counts['reports']} laporan, {counts['events']} peristiwa, "
            f"{counts['attachments']} lampiran."
        )
