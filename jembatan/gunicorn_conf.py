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
    # Load the URLconf, and with it every view module, before the first request arrives: the first
    # request of a fresh process then costs what any other request costs.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loading is the point)


def child_exit(server, worker):
    # Prometheus multiprocess mode: a dead process's live gauges must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
