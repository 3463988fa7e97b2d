"""Fixtures for the insights tests: the small government of reports/tests, grown a little."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency, make_category, make_region
from jembatan.insights import rollups
from jembatan.reports.sla import JAKARTA
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f
from jembatan.tests.shared_world import world_fixture


@pytest.fixture(autouse=True)
def _indonesian_again_after_each_test():
    """A request in English leaves English active in the thread (LocaleMiddleware does not reset
    it); later tests read command output in Bahasa Indonesia."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.INSIGHTS_EXPORT_DIR = tmp_path / "exports"
    settings.INSIGHTS_OPEN_DATA_DIR = tmp_path / "opendata"


def build_insights_world():
    """reports/tests' world (Pemprov Sumbar > Kota Padang > PUPR, Dinkes) plus:

    - a Puskesmas under Dinkes (so Dinkes is a hub: depth 4),
    - Kota Bukittinggi with its own Dinas (a second city under the province),
    - Pemprov Riau (another province, with a pimpinan) to check that scopes never leak,
    - a category group with two categories, and one pimpinan per government.
    """
    w = f.build_world()
    w.region_bukittinggi = make_region("13.75", "Kota Bukittinggi")
    w.region_bkt_village = make_region("13.75.01.1001", "Kelurahan Bukit")
    w.region_riau = make_region("14", "Riau")
    w.region_pekanbaru = make_region("14.71", "Kota Pekanbaru")
    w.puskesmas = make_agency(
        "Puskesmas Andalas", kind=AgencyKind.PUSKESMAS, parent=w.dinkes, code="pkm-andalas"
    )
    w.bukittinggi = make_agency(
        "Pemerintah Kota Bukittinggi",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=w.prov,
        region=w.region_bukittinggi,
        code="bukittinggi",
    )
    w.bkt_pupr = make_agency("Dinas PUPR Kota Bukittinggi", parent=w.bukittinggi, code="bkt-pupr")
    w.riau = make_agency("Pemprov Riau", kind=AgencyKind.PEMPROV, region=w.region_riau, code="riau")
    w.riau_dinas = make_agency("Dinas PU Riau", parent=w.riau, code="riau-pu")
    w.group = make_category("Infrastruktur", code="G-TEST")
    w.category.parent = w.group
    w.category.save()
    w.category2 = make_category("Drainase", parent=w.group, code="C-DRAIN")
    w.health = make_category("Pelayanan Puskesmas", code="C-PKM")
    w.verifier_bkt = make_staff(Role.ADMIN_INSTANSI, w.bukittinggi, username="verif.bkt")
    w.verifier_riau = make_staff(Role.ADMIN_INSTANSI, w.riau, username="verif.riau")
    w.liaison_bkt = make_staff(Role.PENGHUBUNG, w.bkt_pupr, username="hub.bkt")
    w.liaison_riau = make_staff(Role.PENGHUBUNG, w.riau_dinas, username="hub.riau")
    w.liaison_pkm = make_staff(Role.PENGHUBUNG, w.puskesmas, username="hub.pkm")
    w.pimpinan_prov = make_staff(Role.PIMPINAN, w.prov, username="pimpinan.sumbar")
    w.pimpinan_padang = make_staff(Role.PIMPINAN, w.padang, username="pimpinan.padang")
    w.pimpinan_riau = make_staff(Role.PIMPINAN, w.riau, username="pimpinan.riau")
    w.auditor_national = make_staff(Role.AUDITOR, None, username="auditor.nasional")
    return w


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(build_insights_world)


HEADLINE_NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=JAKARTA)


@pytest.fixture
def late_and_rising(w):
    """Two dispositions to Dinas PUPR Padang a month old (late), and a burst of Drainase reports in
    Kota Bukittinggi this week where there were none before."""
    with time_machine.travel(HEADLINE_NOW - dt.timedelta(days=30), tick=False):
        w.late = [f.disposed(w, title=f"Jalan berlubang {i}") for i in range(2)]
    with time_machine.travel(HEADLINE_NOW - dt.timedelta(days=2), tick=False):
        w.burst = [
            f.submit(w, region=w.region_bkt_village, category=w.category2, title=f"Selokan meluap {i}")
            for i in range(7)
        ]
    with time_machine.travel(HEADLINE_NOW, tick=False):
        run_sla_sweep()
        rollups.refresh()
    return w
