"""The schemathesis stage of `make test`: REST API v1 fuzzed through its own OpenAPI schema.

Every operation in /api/v1/schema/ gets generated requests (valid and invalid) through the WSGI
application, as an officer's integration key on /staff/ paths and as a citizen's token elsewhere;
any 5xx fails the stage. Path parameters are drawn half from the generator and half from the
reports, dispositions and webhooks seeded for the run, so the actions behind them run too.

Not part of the fast suite (the file name does not match test_*.py); scripts/test-schema.sh runs
it. SCHEMA_MAX_EXAMPLES sets the examples per operation (default 25); the run is derandomized,
so it is repeatable.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from jembatan.accounts.models import Role
from jembatan.api import actions as api_actions
from jembatan.reports.tests import factories as rf

MAX_EXAMPLES = int(os.environ.get("SCHEMA_MAX_EXAMPLES", "25"))
SEEDED = {"number": [], "id": [], "staff_key": "", "citizen_key": ""}


@pytest.fixture
def api_schema(db):
    # Like django.test.Client: the WSGI handler must not close the test's database connection
    # (and with it the test transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, replace generated ids with ones that exist (seeded below)."""
    params = dict(path_parameters or {})
    choices = {}
    if "number" in params and SEEDED["number"]:
        choices["number"] = st.sampled_from([params["number"], *SEEDED["number"]])
    if "id" in params and SEEDED["id"]:
        choices["id"] = st.sampled_from([params["id"], *SEEDED["id"]])
    if not choices:
        return st.just(params)
    return st.fixed_dictionaries({**{k: st.just(v) for k, v in params.items()}, **choices})


@pytest.fixture
def seeded(db, settings):
    settings.API_THROTTLE_RATES = {scope: "100000/min" for scope in ("token", "ip", "guest_write")}
    settings.LOGIN_THROTTLE_LIMIT = 100000
    w = rf.build_world()
    reports = [
        rf.submit(w),
        rf.disposed(w),
        rf.in_progress(w),
        rf.answered(w),
        rf.submit(w, is_confidential=True),
    ]
    dispositions = [d.pk for r in reports for d in r.dispositions.all()]
    subscription, _secret = api_actions.subscribe_webhook(
        actor=w.admin_nasional, agency=w.pupr, url="https://simpupr.example/hook", events=["report.disposed"]
    )
    attachments = [a.pk for r in reports for a in r.attachments.all()]
    _key, staff_raw = api_actions.issue_agency_key(name="Fuzz Prov", role=Role.ADMIN_INSTANSI, agency=w.prov)
    _key, citizen_raw = api_actions.issue_citizen_token(user=w.citizen, name="Fuzz")
    SEEDED.update(
        number=[r.tracking_number for r in reports],
        id=dispositions + attachments + [subscription.pk],
        staff_key=staff_raw,
        citizen_key=citizen_raw,
    )
    return SEEDED


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail(case, seeded):
    key = seeded["staff_key"] if case.path.startswith("/api/v1/staff/") else seeded["citizen_key"]
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
