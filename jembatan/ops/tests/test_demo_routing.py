"""Where the demo routes reports: one seeded Sumatera Barat for the whole table."""

import pytest

from jembatan.directory.models import Category
from jembatan.directory.routing import propose_agency

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "category, region, expected",
    [
        ("1397", "13.71.02.1007", "padang-dinas-pupr"),  # Jalan Berlubang in Kelurahan Andalas
        ("1397", "13.06", "sumbar-dinas-pupr"),  # ... in Kabupaten Agam: the province's rule
        ("1398", "13.71.03", "padang-dinas-perhubungan"),  # street lighting is Dishub's in Padang
        ("1385", "13.71", "padang-dinas-kesehatan"),
        ("1385", "13.77", "sumbar-dinas-kesehatan"),
        ("1387", "13.71", "bpjs-kesehatan"),  # BPJS administration: national, even in Padang
        ("1381", "13.71", "padang-dinas-pendidikan"),
        ("936", "13.71", "padang-dinas-perhubungan"),
        ("963", "13.71.11", "padang-disdukcapil"),
        ("1010", "13.71", "padang-perumda-air-minum"),
        ("950", "13.71", "padang-satpol-pp"),
        ("942", "13.74", "sumbar-dlh"),
        ("957", "13.71", "padang-dinas-sosial"),
        ("1559", "13.71", "padang-inspektorat"),  # KKN: default kind, the most local inspektorat
        ("1489", "13.06", "sumbar-bkd"),  # CPNS in Agam: default badan "Kepegawaian", the province's
        ("1489", "13.71", "padang-bkpsdm"),
        ("1059", None, "kemenpanrb"),
    ],
)
def test_demo_routing_sends_reports_to_the_expected_office(seeded, category, region, expected):
    proposal = propose_agency(category=Category.objects.get(code=category), region_code=region)

    assert proposal.agency.code == expected
