"""Per-key rate limits (issue 15): a key's own limit from create_api_key --rate-limit or the admin,
counted in the shared counter, refused before any work, cheaply, with no log line per refusal."""

import io
import logging
import time

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jembatan.accounts import ratelimit
from jembatan.api import actions as api_actions
from jembatan.api.models import ApiKey
from jembatan.directory.tests.factories import make_category
from jembatan.reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def pothole(w):
    group = make_category("Infrastruktur", code="G-INFRA")
    return make_category("Jalan Rusak", parent=group, code="INFRA-JALAN")


def post(client, raw, **extra):
    data = {
        "api_key": raw,
        "service_code": "INFRA-JALAN",
        "lat": "-0.949",
        "long": "100.354",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya bagi motor.",
        "email": "warga@example.id",
    }
    return client.post("/open311/v2/requests.json", data, **extra)


def refusals(kind):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("jembatan_rate_limited_total", {"kind": kind}) or 0


def test_create_api_key_gives_the_key_its_own_limit_a_minute(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_key": "1000/min", "open311_ip": "1000/min"}
    out = io.StringIO()
    call_command("create_api_key", "--name", "Integrasi Dinas", "--rate-limit", "3", stdout=out, verbosity=0)
    raw = out.getvalue().strip()
    assert ApiKey.objects.get(name="Integrasi Dinas").rate_limit == 3
    client = Client()
    statuses = [post(client, raw).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Report.objects.count() == 3


def test_a_key_with_a_higher_limit_passes_where_the_default_refuses(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_key": "2/min", "open311_ip": "1000/min"}
    _default, default_raw = api_actions.issue_open311_key(name="Aplikasi")
    _agency, agency_raw = api_actions.issue_open311_key(name="Integrasi", rate_limit=5)
    client = Client()
    assert [post(client, default_raw).status_code for _ in range(3)] == [200, 200, 429]
    assert [post(client, agency_raw).status_code for _ in range(5)] == [200] * 5


def test_a_refusal_writes_no_log_line_is_counted_and_costs_no_query(
    pothole, settings, caplog, django_assert_num_queries
):
    settings.API_THROTTLE_RATES = {"open311_ip": "1000/min"}
    settings.ACCESS_LOG = True
    _key, raw = api_actions.issue_open311_key(name="Integrasi", rate_limit=1)
    client = Client()
    # The refusal is remembered until the next bucket boundary (6 s for a minute's limit); once it
    # passes, one count query remembers it again. Start just after a boundary so the whole test
    # runs inside one bucket (a CI run once crossed it mid-test).
    bucket = 60 // ratelimit.BUCKETS_PER_WINDOW
    with time_machine.travel((time.time() // bucket + 1) * bucket + 0.05, tick=True):
        assert post(client, raw).status_code == 200
        assert post(client, raw).status_code == 429  # counted in the database: now remembered
        before = refusals("open311_key")
        caplog.clear()
        with caplog.at_level(logging.INFO), django_assert_num_queries(0):
            started = time.process_time()
            responses = [post(client, raw) for _ in range(50)]
            elapsed = time.process_time() - started
    assert {r.status_code for r in responses} == {429} and all(r["Retry-After"] for r in responses)
    assert caplog.records == []
    assert refusals("open311_key") == before + 50
    assert elapsed / 50 < 0.05  # the test client's own overhead included; the bench measures the rest


def test_a_refusal_is_remembered_only_until_the_bucket_ends(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_ip": "1000/min"}
    key, raw = api_actions.issue_open311_key(name="Integrasi", rate_limit=1)
    client = Client()
    post(client, raw)
    assert post(client, raw).status_code == 429
    [(_kind, ident)] = [k for k in ratelimit._refused_until if k[0] == "open311_key"]
    until = ratelimit._refused_until[("open311_key", ident)]
    assert 0 < until - time.time() <= 6  # a minute's bucket is six seconds
    assert ratelimit.refused("open311_key", ident, now=until) == 0


@pytest.fixture
def admin_client_(client):
    from jembatan.accounts.models import Role
    from jembatan.notify.tests.factories import make_staff

    client.force_login(make_staff(Role.SYSADMIN, is_staff=True, is_superuser=True))
    return client


def test_the_admin_changes_a_keys_limit_and_logs_it(pothole, admin_client_):
    key, _raw = api_actions.issue_open311_key(name="Integrasi")
    url = reverse("admin:api_apikey_change", args=[key.pk])
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(url, {"rate_limit": "5000"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.rate_limit == 5000 and key.name == "Integrasi" and key.is_active
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id=str(key.pk), change_message="rate_limit=5000").exists()
