"""Start the production web server (gunicorn, gthread) and the Huey worker together; Ctrl-C stops both.

This is what `make run` runs: the same server and settings file (jembatan/gunicorn_conf.py) as a
production machine, on the embedded SQLite database unless DATABASE_URL says otherwise.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from jembatan.ops.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET_BASE32, DEMO_USERS


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the background worker together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-worker", action="store_true", help="Start only the web server.")

    def handle(self, *args, host, port, no_worker=False, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "HOST": host, "PORT": str(port)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "jembatan.settings")
        env.setdefault("JEMBATAN_ENV", settings.JEMBATAN_ENV)
        # Several gunicorn processes: Prometheus counters are summed through files in this folder.
        metrics_dir = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.VAR_DIR / "prometheus")))
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        web = [sys.executable, "-m", "gunicorn", "-c", "python:jembatan.gunicorn_conf"]
        procs = [subprocess.Popen([*web, "jembatan.wsgi:application"], env=env, cwd=settings.BASE_DIR)]
        if not no_worker:
            worker = [*manage, "run_worker", "--workers", str(settings.HUEY_WORKERS)]
            procs.append(subprocess.Popen(worker, env=env))
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Jembatan berjalan di http://{shown_host}:{port}/"))
        self.stdout.write(f"  Admin:      http://{shown_host}:{port}/admin/")
        self.stdout.write(
            f"  Kesehatan:  http://{shown_host}:{port}/healthz  (siap: /readyz, metrik: /metrics)"
        )
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
