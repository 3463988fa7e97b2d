"""Read the complaints mailbox (IMAP). A dry run unless --commit."""

import imaplib

from django.core.management.base import BaseCommand, CommandError

from jembatan.intake import imap


class Command(BaseCommand):
    help = (
        "Baca kotak surat pengaduan (CHANNELS_IMAP_*). Tanpa --commit hanya menampilkan pesan yang "
        "belum dibaca; dengan --commit setiap pesan menjadi laporan atau balasan pelapor lalu ditandai "
        "sudah dibaca."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commit", action="store_true", help="Proses pesan (bawaan: hanya tampilkan).")
        parser.add_argument(
            "--limit", type=int, default=imap.DEFAULT_LIMIT, help="Paling banyak sekian pesan."
        )

    def handle(self, *args, commit, limit, **options):
        config = imap.configured()
        if config is None:
            raise CommandError("CHANNELS_IMAP_HOST belum diatur.")
        try:
            results = imap.fetch_mail(config, commit=commit, limit=max(1, limit))
        except (imaplib.IMAP4.error, OSError) as exc:
            raise CommandError(f"Tidak dapat membaca kotak surat {config.host}: {exc}") from None
        for r in results:
            if r.error:
                self.stdout.write(f"{r.uid}\tGAGAL\t{r.error}")
            elif commit:
                self.stdout.write(
                    f"{r.uid}\t{r.outcome}\t{r.tracking_number or '-'}\t{r.sender}\t{r.subject}"
                )
            else:
                self.stdout.write(f"{r.uid}\t(uji)\t{r.sender}\t{r.subject}")
        if not commit:
            self.stdout.write(f"{len(results)} pesan belum dibaca. Uji coba saja: jalankan dengan --commit.")
        else:
            self.stdout.write(f"{len(results)} pesan diproses.")
