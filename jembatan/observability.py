"""Request ids, JSON logs and Prometheus metrics.

- Every request gets an id (a well-formed incoming `X-Request-ID` from the proxy, or a new one),
  sent back in `X-Request-ID`, attached to every log line written while it runs, and carried into
  the Huey tasks it queues (a `_request_id` keyword added when the task is queued and taken off
  again before the task runs), so one id follows a report from the POST to the delivered message.
- `JsonFormatter` writes one JSON object per log line (LOG_FORMAT=json, the production default).
- /metrics (prometheus-client, text format) is open to the addresses in METRICS_ALLOWED_IPS
  (loopback by default) or to `Authorization: Bearer METRICS_TOKEN`. Request counters and latency
  histograms are counted per process; with several gunicorn processes they are aggregated through
  PROMETHEUS_MULTIPROC_DIR (set by `manage.py serve` and the systemd unit). The queue, outbox and
  SLA numbers are read from the database and the queue at scrape time.
"""

import contextvars
import hmac
import ipaddress
import json
import logging
import os
import re
import threading
import time
import uuid

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

request_id_var = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
TASK_KWARG = "_request_id"
access_logger = logging.getLogger("jembatan.request")

# --- Logging --------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Put the current request id (or the queued task's) on every record as `request_id`."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any `extra` fields."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
    # json.dumps(..., ensure_ascii=False) builds a new encoder on every call; one per process will do.
    _encode = json.JSONEncoder(ensure_ascii=False).encode
    # The time to the second, formatted once per second; one tuple so that threads never pair one
    # second with another's text.
    _second = (None, "")

    def format(self, record):
        second, text = self._second
        if second != int(record.created):
            second = int(record.created)
            text = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            self._second = (second, text)
        entry = {
            "time": f"{text}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", ""):
            entry["request_id"] = record.request_id
        standard = self._STANDARD
        for key, value in vars(record).items():
            if key not in standard and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encode(entry)


JsonFormatter.converter = time.gmtime

# --- Metrics ----------------------------------------------------------------------------------------

_metrics = None
_metrics_lock = threading.Lock()


def metrics():
    """The process's request metrics (created on first use, in multiprocess mode when configured)."""
    global _metrics
    if _metrics is not None:
        return _metrics
    # gthread: the first requests of a process arrive on several threads at once; a metric
    # registered twice is an error.
    with _metrics_lock:
        if _metrics is None:
            _metrics = _create_metrics()
    return _metrics


def _create_metrics():
    from prometheus_client import Counter, Histogram

    return {
        "requests": Counter(
            "jembatan_http_requests_total",
            "HTTP requests by view and status.",
            ["view", "method", "status"],
        ),
        "latency": Histogram(
            "jembatan_http_request_duration_seconds",
            "Time from the request's arrival to its response, by view.",
            ["view", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        ),
        "fail_open": Counter(
            "jembatan_fail_open_total",
            "Operations done without a shared service that failed (a rate limit while Redis is down).",
            ["component"],
        ),
    }


class Outage:
    """A shared service a part of the site carries on without (fails open): one log line per episode.

    `failed(exc)` for every operation that went without the service (counted in
    jembatan_fail_open_total{component}); the first failure after a success logs a warning, the
    first success after failures (`ok()`) logs that the service is back. Per process: with several
    workers each logs its own episode once, never once per request.
    """

    def __init__(self, component, what):
        self.component = component
        self.what = what
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc):
        metrics()["fail_open"].labels(self.component).inc()
        with self._lock:
            first, self.down = not self.down, True
        if first:
            logging.getLogger(__name__).warning(
                "%s unavailable, %s until it answers again: %s: %s",
                self.component,
                self.what,
                type(exc).__name__,
                exc,
                extra={"fail_open": self.component},
            )

    def ok(self):
        if self.down:
            with self._lock:
                was, self.down = self.down, False
            if was:
                logging.getLogger(__name__).warning("%s answers again", self.component)


def _view_label(request):
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unresolved"  # 404s and early answers: one label, not one per path (bounded cardinality)


class RequestIdMiddleware:
    """First in the chain: the request id, the access log line and the request metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id_var.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            response["X-Request-ID"] = rid
            view = _view_label(request)
            if view != "metrics":
                m = metrics()
                m["requests"].labels(view, request.method, str(response.status_code)).inc()
                m["latency"].labels(view, request.method).observe(elapsed)
            # A rate-limited request leaves no log line (a flood would fill the log): it is counted in
            # jembatan_http_requests_total{status="429"} and jembatan_rate_limited_total instead.
            if settings.ACCESS_LOG and response.status_code != 429:
                _access_log(request, response, view, elapsed)
        finally:
            # Reset only after the access line: RequestIdFilter reads the id from request_id_var.
            request_id_var.reset(token)
        return response


def _access_log(request, response, view, elapsed):
    """The request's one access log line (logger jembatan.request), written while its id is current.

    Logger.info would first walk the stack for the caller's file and line (findCaller), which no
    formatter here prints; the record is made and handled directly instead, as Logger._log does.
    """
    if not access_logger.isEnabledFor(logging.INFO):
        return
    access_logger.handle(
        access_logger.makeRecord(
            access_logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s",
            (request.method, request.path, response.status_code),
            None,
            "RequestIdMiddleware",
            {
                "request_id": request.request_id,  # also for handlers without RequestIdFilter
                "view": view,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
    )


def _database_gauges():
    """(name, help, [(labels, value)]) of the numbers read from the database at scrape time."""
    from django.db.models import Min, Q
    from django.utils import timezone

    from jembatan.notify.models import OPEN_STATUSES, Notification
    from jembatan.reports.models import OPEN_DISPOSITION_STATUSES, Disposition, Report, Status

    now = timezone.now()
    oldest = Report.objects.filter(status=Status.BELUM_TERVERIFIKASI).aggregate(m=Min("submitted_at"))["m"]
    verification = Report.objects.filter(
        status=Status.BELUM_TERVERIFIKASI, verification_due_at__lt=now, paused_at__isnull=True
    ).count()
    completion = Disposition.objects.filter(
        Q(status__in=OPEN_DISPOSITION_STATUSES), completion_due_at__lt=now
    ).count()
    return [
        (
            "jembatan_outbox_backlog",
            "Notifications not yet delivered.",
            [({}, Notification.objects.filter(status__in=OPEN_STATUSES).count())],
        ),
        (
            "jembatan_oldest_unverified_report_age_seconds",
            "Age of the oldest report waiting for verification (0 when none).",
            [({}, (now - oldest).total_seconds() if oldest else 0)],
        ),
        (
            "jembatan_sla_breaches",
            "Open work past its SLA deadline: reports not verified, dispositions not completed in time.",
            [({"stage": "verification"}, verification), ({"stage": "completion"}, completion)],
        ),
        *_periodic_work_gauges(now),
    ]


def _periodic_work_gauges(now):
    """Heartbeats of the periodic tasks (jobs.Heartbeat) and the leases that keep them single."""
    from jembatan.jobs import heartbeats
    from jembatan.jobs.models import Lease

    states = heartbeats.states(now)
    leases = list(Lease.objects.all())
    return [
        (
            "jembatan_periodic_task_last_success_age_seconds",
            "Seconds since each periodic task last succeeded (tasks that never succeeded are left out).",
            [
                ({"task": name}, (now - state.last_succeeded_at).total_seconds())
                for name, state in states.items()
                if state.last_succeeded_at
            ],
        ),
        (
            "jembatan_periodic_task_period_seconds",
            "How often each periodic task is meant to run.",
            [({"task": name}, state.period.total_seconds()) for name, state in states.items()],
        ),
        (
            "jembatan_periodic_task_late",
            "1 when a periodic task's last success is older than its period plus HEARTBEAT_GRACE_MINUTES.",
            [
                ({"task": name, "watched": str(state.watched).lower()}, int(state.late))
                for name, state in states.items()
            ],
        ),
        (
            "jembatan_lease_held",
            "1 while a worker holds the named lease (its hold not yet expired).",
            [({"lease": lease.name}, int(_held(lease, now))) for lease in leases],
        ),
        (
            "jembatan_lease_expires_in_seconds",
            "Seconds until a held lease expires; negative: its holder stopped renewing (died) and the "
            "next worker will take it over.",
            [
                ({"lease": lease.name}, (lease.expires_at - now).total_seconds())
                for lease in leases
                if lease.owner and lease.expires_at
            ],
        ),
    ]


def _held(lease, now):
    return bool(lease.owner) and lease.expires_at is not None and lease.expires_at > now


class _StateCollector:
    """Gauges read at scrape time: queue depth and the database numbers above."""

    def collect(self):
        from huey.contrib.djhuey import HUEY
        from prometheus_client.core import GaugeMetricFamily

        queue = GaugeMetricFamily("jembatan_queue_depth", "Tasks waiting in the job queue.")
        try:
            queue.add_metric([], HUEY.pending_count())
        except Exception:
            logging.getLogger(__name__).exception("metrics: queue depth unavailable")
        yield queue
        for name, help_text, samples in _database_gauges():
            labels = sorted({k for labels, _ in samples for k in labels})
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for sample_labels, value in samples:
                family.add_metric([sample_labels[k] for k in labels], value)
            yield family


def _allowed(request):
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


@never_cache
@require_GET
def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("forbidden\n", content_type="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    metrics()  # this process's request metrics exist even before its first counted request
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_state_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


_state = None


def _state_registry():
    global _state
    if _state is None:
        from prometheus_client import CollectorRegistry

        _state = CollectorRegistry(auto_describe=False)
        _state.register(_StateCollector())
    return _state


cache_outage = Outage("cache", "pages compute what they would have read from it")


def cached_or_computed(key, compute, timeout):
    """`cache.get_or_set(key, compute, timeout)` that computes the value while the cache is down.

    For values the cache only saves work on (numbers shown on a page): a Redis restart makes the
    page slower for a moment, not a 500.
    """
    from django.core.cache import cache

    try:
        value = cache.get(key)
    except Exception as exc:
        cache_outage.failed(exc)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout)
        except Exception as exc:
            cache_outage.failed(exc)
            return value
    cache_outage.ok()
    return value


# --- The request id in queued tasks -----------------------------------------------------------------


def connect_huey(huey):
    """Carry the request id from the request that queues a task into the worker that runs it."""
    from huey.signals import SIGNAL_ENQUEUED

    @huey.signal(SIGNAL_ENQUEUED)
    def _stamp(signal, task, *args, **kwargs):
        rid = request_id_var.get()
        if rid and task.kwargs is not None and TASK_KWARG not in task.kwargs:
            task.kwargs[TASK_KWARG] = rid

    @huey.pre_execute()
    def _adopt(task):
        rid = (task.kwargs or {}).pop(TASK_KWARG, "")
        # Restored after the task: in immediate mode (tests) the task runs inside the request.
        task._jembatan_outer_request_id = request_id_var.get()
        if rid:
            request_id_var.set(rid)

    @huey.post_execute()
    def _forget(task, task_value, exc):
        request_id_var.set(getattr(task, "_jembatan_outer_request_id", ""))
