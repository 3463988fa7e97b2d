"""Start the web server and the Huey worker together; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from jembatan.ops.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET_BASE32, DEMO_USERS


class Command(BaseCommand):
    help = "Run the development web server and the background worker together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, host, port, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        procs = [
            subprocess.Popen([*manage, "runserver", "--noreload", f"{host}:{port}"], env=env),
            subprocess.Popen([*manage, "run_huey", "--workers", str(settings.HUEY_WORKERS)], env=env),
        ]
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Jembatan berjalan di http://{shown_host}:{port}/"))
        self.stdout.write(f"  Admin:      http://{shown_host}:{port}/admin/")
        self.stdout.write(f"  Kesehatan:  http://{shown_host}:{port}/healthz")
        self.stdout.write(f"  Login demo (kata sandi semua akun: {DEMO_PASSWORD}):")
        for username, role, agency in DEMO_USERS:
            self.stdout.write(f"    {username:<22} {role:<28} {agency}")
        self.stdout.write(
            "  Akun admin.* dan sysadmin memerlukan kode dua langkah: "
            f"`{sys.executable} manage.py demo_totp` (kunci demo {DEMO_TOTP_SECRET_BASE32})."
        )
        self.stdout.write("  Tekan Ctrl-C untuk berhenti.\n")

        def stop(*_):
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGINT, None)]
        if failed:
            self.stderr.write("Salah satu proses berhenti dengan galat; lihat log di atas.")
            sys.exit(1)
