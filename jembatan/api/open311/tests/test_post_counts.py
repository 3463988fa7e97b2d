"""An Open311 POST counts its two rate limits in the report's own transaction on SQLite (one write
transaction a request: SQLite has one writer at a time), and whatever happens to the request after
its limits allowed it, it is counted exactly once (issue 15)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jembatan.accounts import ratelimit
from jembatan.accounts.models import RateCount
from jembatan.api import actions as api_actions
from jembatan.directory.tests.factories import make_category
from jembatan.reports import search
from jembatan.reports.models import Report
from jembatan.reports.tests import factories as rf

# Real commits: the point is which transaction the counts commit in.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def raw_key(settings):
    settings.API_THROTTLE_RATES = {"open311_key": "1000/min", "open311_ip": "1000/min"}
    rf.build_world()
    group = make_category("Infrastruktur", code="G-INFRA")
    make_category("Jalan Rusak", parent=group, code="INFRA-JALAN")
    ratelimit.forget_refusals()
    return api_actions.issue_open311_key(name="Integrasi", rate_limit=1000)[1]


def post(raw, **changes):
    data = {
        "api_key": raw,
        "service_code": "INFRA-JALAN",
        "lat": "-0.949",
        "long": "100.354",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya bagi motor.",
        "email": "warga@example.id",
        **changes,
    }
    return Client().post("/open311/v2/requests.json", data)


def counted():
    return {
        kind: sum(RateCount.objects.filter(kind=kind).values_list("count", flat=True))
        for kind in ("open311_ip", "open311_key")
    }


def test_a_post_counts_its_limits_in_the_reports_transaction(raw_key):
    with CaptureQueriesContext(connection) as queries:
        assert post(raw_key).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    [add] = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO accounts_ratecount")]
    [report] = [i for i, s in enumerate(statements) if s.startswith('INSERT INTO "reports_report"')]
    if connection.vendor == "sqlite":
        [begin] = [i for i, s in enumerate(statements) if s.startswith("BEGIN")]
        assert begin < add < report < statements.index("COMMIT")  # one write transaction
    else:
        # PostgreSQL: on its own, so the bucket row's lock is not held through the report's work.
        assert add < report
    assert counted() == {"open311_ip": 1, "open311_key": 1}
    assert Report.objects.count() == 1


def test_a_post_refused_by_validation_is_counted_once(raw_key):
    assert post(raw_key, service_code="TIDAK-ADA").status_code == 404
    assert post(raw_key, lat="utara").status_code == 400
    assert counted() == {"open311_ip": 2, "open311_key": 2}
    assert Report.objects.count() == 0


def test_a_post_whose_transaction_rolls_back_is_counted_once(raw_key, monkeypatch):
    def broken(report, using=None):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(search, "index_new_report", broken)
    with pytest.raises(RuntimeError, match="index unavailable"):
        post(raw_key)
    assert Report.objects.count() == 0
    assert counted() == {"open311_ip": 1, "open311_key": 1}


def test_posts_counted_in_their_transactions_reach_the_keys_limit(raw_key, settings):
    settings.API_THROTTLE_RATES = {"open311_key": "2/min", "open311_ip": "1000/min"}
    _key, limited = api_actions.issue_open311_key(name="Aplikasi")
    assert [post(limited).status_code for _ in range(3)] == [200, 200, 429]
    assert Report.objects.count() == 2
