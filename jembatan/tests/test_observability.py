"""Request ids follow a request into its queued tasks; /metrics counts requests and reads the
queue, the outbox and the SLA state; only allowed callers read it; log lines are JSON."""

import io
import json
import logging

import pytest
from huey.contrib.djhuey import HUEY

from jembatan.observability import JsonFormatter, RequestIdFilter, request_id_var


def test_every_response_carries_a_request_id_and_a_well_formed_incoming_one_is_kept(client):
    fresh = client.get("/healthz")
    assert len(fresh["X-Request-ID"]) == 32
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-1234abcd")
    assert kept["X-Request-ID"] == "proxy-1234abcd"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nInjected: yes")
    assert forged["X-Request-ID"] != "x\nInjected: yes" and len(forged["X-Request-ID"]) == 32


def test_a_task_queued_during_a_request_runs_with_that_request_id():
    seen = []

    @HUEY.task()
    def remember(value):
        seen.append((value, request_id_var.get()))

    token = request_id_var.set("req-abcdef12")
    try:
        remember(1)  # immediate mode: queued, then run through the same hooks as the worker
    finally:
        request_id_var.reset(token)
    assert seen == [(1, "req-abcdef12")]
    remember(2)  # queued outside a request: no id, and no stray keyword argument
    assert seen[-1] == (2, "")


def test_the_access_log_line_is_json_with_the_request_id_of_its_request(client, settings):
    settings.ACCESS_LOG = True
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())  # as the console handler of settings.LOGGING
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jembatan.request")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-5678abcd")
        client.get("/healthz")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert response["X-Request-ID"] == "proxy-5678abcd"
    assert first["request_id"] == "proxy-5678abcd"
    assert first["message"] == "GET /healthz 200" and first["status"] == 200
    assert first["logger"] == "jembatan.request" and first["level"] == "INFO"
    assert first["time"].endswith("Z") and isinstance(first["duration_ms"], float)
    assert len(second["request_id"]) == 32 and second["request_id"] != first["request_id"]


def test_log_lines_are_json_with_the_request_id():
    record = logging.makeLogRecord(
        {"name": "jembatan.test", "levelname": "WARNING", "msg": "Laporan %s", "args": ("A1",)}
    )
    token = request_id_var.set("req-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Laporan A1"
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "WARNING" and line["logger"] == "jembatan.test"


@pytest.mark.django_db
def test_metrics_count_requests_by_view_and_status_and_read_the_backlogs(client):
    from jembatan.reports.tests.factories import build_world, submit

    submit(build_world())
    client.get("/laporan/")
    client.get("/tidak-ada/")
    body = client.get("/metrics").content.decode()
    assert 'jembatan_http_requests_total{method="GET",status="200",view="portal:reports"}' in body
    assert 'view="unresolved"' in body and 'status="404"' in body
    assert "jembatan_http_request_duration_seconds_bucket" in body
    assert "jembatan_queue_depth" in body
    assert "jembatan_outbox_backlog" in body
    assert 'jembatan_sla_breaches{stage="verification"}' in body
    age = [ln for ln in body.splitlines() if ln.startswith("jembatan_oldest_unverified_report_age_seconds ")]
    assert age and float(age[0].split()[1]) >= 0


@pytest.mark.django_db
def test_metrics_refuse_callers_outside_the_allow_list_without_the_token(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "t" * 32
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code
        == 403
    )
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer " + "t" * 32)
    assert ok.status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def _sample(body, name, **labels):
    """The value of the sample `name{labels}` in a Prometheus text body (None when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    found = [ln for ln in body.splitlines() if ln.startswith(prefix)]
    return float(found[0].split()[-1]) if found else None


@pytest.mark.django_db
def test_metrics_show_each_periodic_tasks_age_whether_it_is_late_and_the_leases(client, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from jembatan.jobs import heartbeats, leases

    settings.HEARTBEAT_GRACE_MINUTES = 10
    heartbeats.discover()
    sweep = heartbeats.REGISTRY["sla-sweep"]
    assert sweep.watched
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        heartbeats.record_finish("sla-sweep", started_at=start - timedelta(seconds=3), now=start)
        owner = leases.acquire("sla-sweep", ttl=timedelta(minutes=2))
        assert owner
        body = client.get("/metrics").content.decode()
    assert _sample(body, "jembatan_periodic_task_last_success_age_seconds", task="sla-sweep") == 0
    assert _sample(body, "jembatan_periodic_task_late", task="sla-sweep", watched="true") == 0
    assert _sample(body, "jembatan_periodic_task_period_seconds", task="sla-sweep") == (
        sweep.period.total_seconds()
    )
    assert _sample(body, "jembatan_lease_held", lease="sla-sweep") == 1
    assert _sample(body, "jembatan_lease_expires_in_seconds", lease="sla-sweep") == 120

    # The worker died holding the lease and the sweep stopped: later than its period plus the grace.
    later = start + sweep.period + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        body = client.get("/metrics").content.decode()
    age = (later - start).total_seconds()
    assert _sample(body, "jembatan_periodic_task_last_success_age_seconds", task="sla-sweep") == age
    assert _sample(body, "jembatan_periodic_task_late", task="sla-sweep", watched="true") == 1
    assert _sample(body, "jembatan_lease_held", lease="sla-sweep") == 0
    assert _sample(body, "jembatan_lease_expires_in_seconds", lease="sla-sweep") < 0

    leases.release("sla-sweep", owner)
    body = client.get("/metrics").content.decode()
    assert _sample(body, "jembatan_lease_held", lease="sla-sweep") == 0
    assert _sample(body, "jembatan_lease_expires_in_seconds", lease="sla-sweep") is None
