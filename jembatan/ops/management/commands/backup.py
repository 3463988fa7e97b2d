"""Back up the database and the uploaded files into a new folder (printed)."""

from django.core.management.base import BaseCommand, CommandError

from jembatan.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Cadangkan basis data (SQLite: API backup daring; PostgreSQL: pg_dump) dan berkas unggahan."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder tujuan; cadangan baru dibuat di dalamnya.")

    def handle(self, *args, directory, **options):
        try:
            path = create_backup(directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(path))
