"""Fixtures of the API tests: the small government of reports/tests/factories.py, keys, clients."""

import pytest
from rest_framework.test import APIClient

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import PASSWORD
from jembatan.api import actions as api_actions
from jembatan.api.tests.httpserver import LocalServer
from jembatan.reports.tests import factories as rf
from jembatan.tests.shared_world import world_fixture


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(rf.build_world)


@pytest.fixture
def client():
    return APIClient()


def keyed_client(raw):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def pupr_key(w):
    """An integration for Dinas PUPR Kota Padang, as a liaison (penghubung) there."""
    key, raw = api_actions.issue_agency_key(name="SIMPUPR Padang", role=Role.PENGHUBUNG, agency=w.pupr)
    return keyed_client(raw)


@pytest.fixture
def dinkes_key(w):
    key, raw = api_actions.issue_agency_key(name="SIMKES Padang", role=Role.PENGHUBUNG, agency=w.dinkes)
    return keyed_client(raw)


@pytest.fixture
def verifier_key(w):
    """Pemkot Padang's complaint desk system, as an admin instansi (verifies and disposes)."""
    key, raw = api_actions.issue_agency_key(
        name="Meja Pengaduan Padang", role=Role.ADMIN_INSTANSI, agency=w.padang
    )
    return keyed_client(raw)


@pytest.fixture
def citizen_client(w):
    """Siti, logged in with a session (as the portal's own pages would be)."""
    api = APIClient()
    assert api.login(username="warga", password=PASSWORD)
    return api


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running
