"""gunicorn settings for every Jembatan web process: `make run`, the systemd unit, the cluster test.

Start with `gunicorn -c python:jembatan.gunicorn_conf jembatan.wsgi:application`. Every value can be
changed through the environment (HOST, PORT, WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT).
gthread workers: a thread per connection inside a few processes, so keep-alive connections and a
slow client do not hold a whole process, and each thread keeps its own database connection open
(CONN_MAX_AGE). See README "Production server" for the measurement that chose gunicorn.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# The application writes its own JSON access line with the request id (jembatan/observability.py).
accesslog = None
errorlog = "-"
loglevel = "warning"
proc_name = "jembatan-web"
# A restarted process picks up the new code; the listening socket stays open in the arbiter.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker):
    # Load what the first request of a fresh process would otherwise load while a citizen waits:
    # the URLconf (and with it every view module), the translation catalogs, the templates
    # (compiled once per process by the cached loader) and the metrics. The first request then
    # costs what any other request costs (bench/bench_cold_start.py measures it).
    import time

    started = time.perf_counter()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loading is the point)
    _warm_translations()
    templates = _warm_templates()
    from jembatan.observability import metrics

    metrics()
    answered = [_warm_request(worker, path) for path in WARM_PATHS]
    worker.log.info(
        "worker ready: application warmed in %.0f ms (%d templates; %s)",
        (time.perf_counter() - started) * 1000,
        templates,
        ", ".join(f"{path} {status}" for path, status in zip(WARM_PATHS, answered, strict=True)),
    )


# Pages asked once by the worker itself before it takes requests: what no import or template
# compile reaches (query compilers, form and model caches filled on first use) is then filled
# too. Anonymous reads that change nothing; their lines in the access log carry "warm-up" as id.
WARM_PATHS = ("/", "/laporan/")


def _warm_request(worker, path):
    import io

    from django.conf import settings

    import jembatan.wsgi

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_REQUEST_ID": "warm-up-" + str(os.getpid()),
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status = []
    try:
        body = jembatan.wsgi.application(environ, lambda s, headers, exc_info=None: status.append(s))
        for _chunk in body:
            pass
        getattr(body, "close", lambda: None)()
    except Exception:
        worker.log.exception("warm-up request %s failed (the worker serves anyway)", path)
        return "failed"
    finally:
        from django.db import connections

        connections.close_all()  # the warm-up ran on the main thread; requests run on others
    return status[0].split()[0] if status else "?"


def _warm_translations():
    """Catalogs, date formats, URL reversing and the modules the first request imports lazily."""
    import django.contrib.messages.storage.fallback  # noqa: F401
    import django.contrib.sessions.serializers  # noqa: F401
    import django.db.models.sql.compiler  # noqa: F401
    from django.conf import settings
    from django.core.cache import caches
    from django.template import engines
    from django.urls import reverse
    from django.utils import formats, translation

    for code, _name in settings.LANGUAGES:
        translation.trans_real.translation(code)
        formats.get_format("DATE_FORMAT", lang=code)
    reverse("portal:home")  # builds the reverse lookup tables of every URL pattern
    for engine in engines.all():
        if hasattr(engine, "engine"):
            engine.engine.template_context_processors  # noqa: B018 (imports the context processors)
    caches["default"]  # noqa: B018 (creates the cache backend)


def _warm_templates():
    """Compile every template of the project's apps into the cached loader; return how many."""
    from pathlib import Path

    from django.template.loader import get_template

    root = Path(__file__).resolve().parent
    count = 0
    for folder in sorted(root.glob("*/templates")) + [root / "templates"]:
        for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt")):
            try:
                get_template(str(path.relative_to(folder)))
                count += 1
            except Exception:  # a broken template fails its page, as before, not the worker's boot
                pass
    return count


def child_exit(server, worker):
    # Prometheus multiprocess mode: a dead process's live gauges must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
