"""Benchmark: what a rate-limited Open311 POST costs the server (issue 15: under 0.2 ms, no log line).

    .venv/bin/python bench/bench_refusal.py            # 5,000 refused POSTs through Django's WSGI handler

Production settings (as bench_open311_peer.py's server), its own SQLite database under
var/bench-open311/refusal/. An Open311 key with --rate-limit 1 posts once (allowed), once more
(refused: counted in the database, now remembered in the process), then N times more; each of those
goes through the whole WSGI handler and middleware stack, as gunicorn calls it, minus HTTP parsing.
Prints CPU and wall time per refused request, the queries they ran and the log lines they wrote.
"""

import argparse
import io
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench-open311" / "refusal"


def configure():
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    os.environ.update(
        {
            "JEMBATAN_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "jembatan.settings",
            "SECRET_KEY": "bench-only-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1:8239",
            "JEMBATAN_VAR_DIR": str(DATA),
            "DATABASE_URL": f"sqlite:///{DATA / 'jembatan.sqlite3'}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    sys.path[:0] = [str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_regions", "--if-empty", verbosity=0)
    call_command("load_categories", verbosity=0)


def environ(body):
    data = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/open311/v2/requests.json",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8239",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--profile", action="store_true", help="print the top functions (cProfile)")
    args = ap.parse_args()
    configure()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jembatan.api import actions
    from jembatan.directory.models import Category

    code = Category.objects.filter(parent__isnull=False, is_active=True).values_list("code", flat=True)[0]
    _key, raw = actions.issue_open311_key(name="bench refusal", rate_limit=1)
    body = urlencode(
        {
            "api_key": raw,
            "service_code": code,
            "lat": "-0.949",
            "long": "100.354",
            "description": "Jalan berlubang besar di depan pasar, berbahaya bagi motor, mohon segera.",
            "email": "warga.bench@example.id",
        }
    )
    handler = WSGIHandler()
    statuses = []

    def call():
        def start_response(status, headers):
            statuses.append(status.split()[0])

        for _chunk in handler(environ(body), start_response):
            pass

    call()
    call()
    assert statuses == ["200", "429"], statuses
    records = []
    catcher = logging.Handler()
    catcher.emit = records.append
    logging.getLogger().addHandler(catcher)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [call() for _ in range(500)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        del statuses[2:]
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            call()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    refused = statuses[2:]
    print(
        f"{len(refused)} refused POSTs ({set(refused)}): CPU {cpu / len(refused) * 1000:.3f} ms each, "
        f"wall {wall / len(refused) * 1000:.3f} ms each; {len(queries)} queries, {len(records)} log lines; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
