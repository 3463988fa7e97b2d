"""Every public statistics table downloads as XLSX, whatever characters its title holds (e.g. "/")."""

import datetime as dt

import pytest
import time_machine

from jembatan.insights import rollups
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db
FEB = dt.datetime(2026, 2, 10, 9, 0, tzinfo=JAKARTA)
MARCH_FIRST = dt.datetime(2026, 3, 1, 9, 0, tzinfo=JAKARTA)


def test_public_stats_xlsx_of_every_table_downloads(client, w):
    with time_machine.travel(FEB, tick=False):
        f.disposed(w, title="Jalan berlubang di Padang Barat")
    with time_machine.travel(MARCH_FIRST, tick=False):
        rollups.refresh()
        client.raise_request_exception = False
        page = client.get("/data/statistik/")
        keys = [t.key for t in page.context["data"]["tables"]]
        bad = {}
        for key in keys:
            r = client.get("/data/statistik/", {"unduh": "xlsx", "tabel": key})
            if r.status_code != 200:
                bad[key] = r.status_code
    assert bad == {}
