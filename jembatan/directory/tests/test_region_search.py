"""Finding regions: by name prefix ("padang"), inside a code (within), and through an index."""

import pytest
from django.db import connection

from jembatan.directory.models import Region
from jembatan.directory.tests.factories import make_region

pytestmark = pytest.mark.django_db

REGIONS = {
    "12": "Sumatera Utara",
    "12.21": "Kabupaten Padang Lawas",
    "13": "Sumatera Barat",
    "13.05": "Kabupaten Padang Pariaman",
    "13.06": "Kabupaten Agam",
    "13.71": "Kota Padang",
    "13.71.02": "Padang Timur",
    "13.71.02.1007": "Andalas",
    "13.74": "Kota Padang Panjang",
    "31": "DKI Jakarta",
    "31.71": "Kota Administrasi Jakarta Pusat",
    "53": "Nusa Tenggara Timur",
    "53.07": "Kabupaten Sikka",
    "53.07.01": "Paga",
    "53.07.01.2021": "Regapu’u",
    "53.07.01.2022": "Bénténg Wolowona",
}


@pytest.fixture
def regions():
    for code, name in REGIONS.items():
        make_region(code, name)


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("padang", ["12.21", "13.05", "13.71", "13.71.02", "13.74"]),
        ("PADANG", ["12.21", "13.05", "13.71", "13.71.02", "13.74"]),
        ("  Padang  ", ["12.21", "13.05", "13.71", "13.71.02", "13.74"]),
        ("Kota Padang", ["12.21", "13.05", "13.71", "13.71.02", "13.74"]),
        ("padang p", ["13.05", "13.74"]),
        ("Kab. Padang Pariaman", ["13.05"]),
        ("jakarta", ["31.71"]),
        ("regapu'u", ["53.07.01.2021"]),
        ("benteng", ["53.07.01.2022"]),
        ("BÉNTÉNG wolo", ["53.07.01.2022"]),
        ("agam", ["13.06"]),
        ("ambon", []),
        ("", []),
        ("  ", []),
    ],
)
def test_name_prefix_ignores_case_accents_and_administrative_prefixes(regions, typed, expected):
    assert codes(Region.objects.name_prefix(typed)) == expected


def test_within_returns_the_descendants_of_a_region_but_not_the_region_itself(regions):
    assert codes(Region.objects.within("13")) == [
        "13.05",
        "13.06",
        "13.71",
        "13.71.02",
        "13.71.02.1007",
        "13.74",
    ]
    assert codes(Region.objects.within("13.71")) == ["13.71.02", "13.71.02.1007"]
    assert codes(Region.objects.within("13.71.02.1007")) == []


def test_within_respects_code_segments_not_string_prefixes(regions):
    # "13.7" is not a region: "13.71" must not count as inside it, nor "13" inside "1".
    assert codes(Region.objects.within("13.7")) == []
    assert codes(Region.objects.within("1")) == []


def _plan(queryset):
    if connection.vendor == "postgresql":
        # A handful of rows would always be scanned sequentially; forbid that to see whether the
        # planner *can* answer from an index (it still seq-scans when no index fits).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()
    return queryset.explain()


@pytest.mark.parametrize(
    "build, index",
    [
        (lambda: Region.objects.name_prefix("padang"), "search_name"),
        (lambda: Region.objects.within("13.71"), "code"),
        (lambda: Region.objects.filter(code="13.71"), "code"),
    ],
)
def test_region_lookups_by_code_and_name_prefix_use_an_index(regions, build, index):
    plan = _plan(build().order_by())

    if connection.vendor == "postgresql":
        assert "Seq Scan" not in plan and "Index" in plan, plan
    else:
        # e.g. SEARCH directory_region USING INDEX directory_region_search_name_…
        #      (search_name>? AND search_name<?)
        assert "USING INDEX" in plan or "USING PRIMARY KEY" in plan, plan
        assert "SCAN directory_region" not in plan, plan
        assert index in plan or "autoindex" in plan, plan
