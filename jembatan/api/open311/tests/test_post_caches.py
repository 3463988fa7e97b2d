"""What an Open311 POST reuses per process (issue 15), and the bounds on how stale it may be:
the key (API_KEY_CACHE_SECONDS) and the service (LOOKUP_CACHE_SECONDS). "Another process" is a
change written straight to the database, which this process's copy cannot know about."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jembatan.accounts import ratelimit
from jembatan.accounts.models import RateCount
from jembatan.api import actions as api_actions
from jembatan.api.auth import forget_key
from jembatan.api.models import ApiKey
from jembatan.api.open311.mapping import forget_services
from jembatan.directory.models import Category
from jembatan.directory.tests.factories import make_category
from jembatan.reports.models import Report

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_copies():
    forget_key()
    forget_services()
    ratelimit.forget_refusals()
    yield
    forget_key()
    forget_services()


@pytest.fixture
def pothole(w):
    group = make_category("Infrastruktur", code="G-INFRA")
    return make_category("Jalan Rusak", parent=group, code="INFRA-JALAN")


def post(client, raw, code="INFRA-JALAN"):
    data = {
        "api_key": raw,
        "service_code": code,
        "lat": "-0.949",
        "long": "100.354",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya bagi motor.",
        "email": "warga@example.id",
    }
    return client.post("/open311/v2/requests.json", data)


def test_a_key_revoked_in_another_process_stops_working_within_the_bound(pothole, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    with time_machine.travel(T0, tick=False) as traveller:
        assert post(client, raw).status_code == 200
        ApiKey.objects.filter(pk=key.pk).update(is_active=False)  # another web process revokes it
        traveller.shift(4)
        assert post(client, raw).status_code == 200  # this process's copy, still inside the bound
        traveller.shift(1.1)
        assert post(client, raw).status_code == 403
    assert Report.objects.count() == 2


def test_a_key_revoked_in_this_process_stops_working_at_once(pothole, settings):
    settings.API_KEY_CACHE_SECONDS = 60
    key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    assert post(client, raw).status_code == 200
    api_actions.revoke_api_key(api_key=key)
    assert post(client, raw).status_code == 403


def test_a_new_limit_given_in_this_process_applies_at_once(pothole, settings):
    settings.API_KEY_CACHE_SECONDS = 60
    settings.API_THROTTLE_RATES = {"open311_key": "1000/min", "open311_ip": "1000/min"}
    key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        assert post(client, raw).status_code == 200
        api_actions.set_api_key_rate_limit(api_key=key, rate_limit=1)
        assert post(client, raw).status_code == 429


def test_a_service_deactivated_elsewhere_is_refused_within_the_bound(pothole, settings):
    settings.LOOKUP_CACHE_SECONDS = 10
    _key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    with time_machine.travel(T0, tick=False) as traveller:
        assert post(client, raw).status_code == 200
        Category.objects.filter(pk=pothole.pk).update(is_active=False)  # the admin, another process
        traveller.shift(9)
        assert post(client, raw).status_code == 200
        traveller.shift(1.1)
        assert post(client, raw).status_code == 404
    assert Report.objects.filter(category=pothole).count() == 2


def test_a_new_service_works_at_once_unknown_codes_are_not_remembered(pothole, settings):
    settings.LOOKUP_CACHE_SECONDS = 60
    _key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    assert post(client, raw, code="LAMPU").status_code == 404
    make_category("Lampu Jalan", parent=pothole.parent, code="LAMPU")
    assert post(client, raw, code="LAMPU").status_code == 200


def test_a_post_reads_and_counts_both_its_limits_in_one_query_each(pothole, settings):
    settings.API_KEY_CACHE_SECONDS = 5
    settings.LOOKUP_CACHE_SECONDS = 10
    _key, raw = api_actions.issue_open311_key(name="Aplikasi")
    client = Client()
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        post(client, raw)
        with CaptureQueriesContext(connection) as ctx:
            assert post(client, raw).status_code == 200
    counter_queries = [q["sql"] for q in ctx.captured_queries if "accounts_ratecount" in q["sql"]]
    assert len(counter_queries) == 2
    assert sorted(RateCount.objects.values_list("kind", "count")) == [("open311_ip", 2), ("open311_key", 2)]
    # The key and the service came from this process's copies: no query for either.
    assert not [
        q for q in ctx.captured_queries if "api_apikey" in q["sql"] or "directory_category" in q["sql"]
    ]


def test_both_limits_are_shared_by_every_process(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_key": "2/min", "open311_ip": "1000/min"}
    _key, raw = api_actions.issue_open311_key(name="Aplikasi")
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        assert post(Client(), raw).status_code == 200
        ratelimit.forget_refusals()  # another worker: none of this one's memory
        assert post(Client(), raw).status_code == 200
        ratelimit.forget_refusals()
        assert post(Client(), raw).status_code == 429


def test_a_post_refused_by_its_key_counts_against_neither_limit(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_key": "1/min", "open311_ip": "1000/min"}
    _key, raw = api_actions.issue_open311_key(name="Aplikasi")
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        assert post(Client(), raw).status_code == 200
        ratelimit.forget_refusals()
        assert post(Client(), raw).status_code == 429
    assert sorted(RateCount.objects.values_list("kind", "count")) == [("open311_ip", 1), ("open311_key", 1)]


def test_a_post_with_an_unknown_key_still_counts_against_its_address(pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_ip": "2/min"}
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        statuses = [post(Client(), "jb_not-a-key").status_code for _ in range(3)]
    assert statuses == [403, 403, 429]
