"""propose_agency: which office handles a category in a place. One table, one world."""

import pytest

from jembatan.directory.models import AgencyKind
from jembatan.directory.routing import propose_agency
from jembatan.directory.tests.factories import make_agency, make_category, make_region, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    for code in ("12", "13.06", "13.71.01", "13.71.02.1001", "13.71.02.1007"):
        make_region(code)
    a = {}
    a["kemen_pu"] = make_agency(
        "Kementerian Pekerjaan Umum", kind=AgencyKind.KEMENTERIAN_LEMBAGA, code="kemen-pu"
    )
    a["bpjs"] = make_agency("BPJS Kesehatan", kind=AgencyKind.BUMN, code="bpjs")
    a["pemprov"] = make_agency("Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region="13", code="pemprov")
    a["pu_prov"] = make_agency(
        "Dinas Pekerjaan Umum Provinsi Sumatera Barat", parent=a["pemprov"], region="13", code="pu-prov"
    )
    a["dinkes_prov"] = make_agency(
        "Dinas Kesehatan Provinsi Sumatera Barat", parent=a["pemprov"], region="13", code="dinkes-prov"
    )
    a["pemkot"] = make_agency(
        "Pemkot Padang", kind=AgencyKind.PEMKAB_PEMKOT, parent=a["pemprov"], region="13.71", code="pemkot"
    )
    a["pu_kota"] = make_agency(
        "Dinas Pekerjaan Umum Kota Padang", parent=a["pemkot"], region="13.71", code="pu-kota"
    )
    a["dinkes_kota"] = make_agency(
        "Dinas Kesehatan Kota Padang", parent=a["pemkot"], region="13.71", code="dinkes-kota"
    )
    # A UPT of the city's Dinas Kesehatan serving the same city: same depth, lower in the tree.
    a["upt_lab"] = make_agency(
        "UPT Laboratorium Kesehatan Kota Padang", parent=a["dinkes_kota"], region="13.71", code="upt-lab"
    )
    a["kecamatan"] = make_agency(
        "Kecamatan Padang Timur", kind=AgencyKind.KECAMATAN, parent=a["pemkot"], region="13.71.02", code="kec"
    )
    a["kelurahan"] = make_agency(
        "Kelurahan Andalas",
        kind=AgencyKind.KELURAHAN,
        parent=a["kecamatan"],
        region="13.71.02.1007",
        code="kel",
    )
    a["closed"] = make_agency(
        "Dinas PU Kota Padang (lama)", parent=a["pemkot"], region="13.71", code="closed", is_active=False
    )

    c = {}
    c["infra"] = make_category("Infrastruktur", code="G-INFRA", default_agency_kind=AgencyKind.DINAS,
                               default_agency_keyword="Pekerjaan Umum")  # fmt: skip
    c["jalan"] = make_category("Jalan Berlubang", parent=c["infra"], code="1397")
    c["trotoar"] = make_category("Trotoar", parent=c["infra"], code="1401")
    c["kesehatan"] = make_category("Kesehatan", code="G-KES", default_agency_kind=AgencyKind.DINAS,
                                   default_agency_keyword="kesehatan")  # fmt: skip
    c["faskes"] = make_category("Fasilitas Kesehatan", parent=c["kesehatan"], code="1385")
    c["bpjs"] = make_category("Administrasi BPJS Kesehatan", parent=c["kesehatan"], code="1387",
                              default_agency_kind=AgencyKind.BUMN, default_agency_keyword="BPJS")  # fmt: skip
    c["lainnya"] = make_category("Lainnya", code="G-LAIN")
    c["topik_lain"] = make_category("Topik Lainnya", parent=c["lainnya"], code="110")

    make_rule(c["jalan"], a["kemen_pu"])  # national
    make_rule(c["jalan"], a["pu_prov"], "13")
    make_rule(c["jalan"], a["pu_kota"], "13.71")
    make_rule(c["jalan"], a["kelurahan"], "13.71.02.1007")
    make_rule(c["jalan"], a["closed"], "13.71.01")  # inactive: must be stepped over
    make_rule(c["infra"], a["kecamatan"], "13.71.02")
    make_rule(c["kesehatan"], a["dinkes_prov"], "13")
    return {"agencies": a, "categories": c}


CASES = [
    # (category, region code, expected agency or None, reason)
    # The most specific region wins: desa > kecamatan > kab/kota > provinsi > national.
    ("jalan", "13.71.02.1007", "kelurahan", "rule"),
    ("jalan", "13.71.02", "pu_kota", "rule"),
    ("jalan", "13.71", "pu_kota", "rule"),
    ("jalan", "13.06", "pu_prov", "rule"),
    ("jalan", "13", "pu_prov", "rule"),
    ("jalan", "12", "kemen_pu", "rule"),
    ("jalan", None, "kemen_pu", "rule"),
    # A rule pointing at an inactive agency is skipped for the next enclosing one.
    ("jalan", "13.71.01", "pu_kota", "rule"),
    # The category's own rules, at any level, come before its group's (here: a kecamatan rule).
    ("jalan", "13.71.02.1001", "pu_kota", "rule"),
    # No own rule: the group's rule for the most specific region.
    ("trotoar", "13.71.02.1001", "kecamatan", "parent_category_rule"),
    ("infra", "13.71.02.1007", "kecamatan", "rule"),
    ("faskes", "13.71", "dinkes_prov", "parent_category_rule"),
    ("bpjs", "13.71", "dinkes_prov", "parent_category_rule"),
    # No rule at all: the default kind + keyword, in the most local government serving the place.
    ("trotoar", "13.71", "pu_kota", "default_kind"),
    ("trotoar", "13.06", "pu_prov", "default_kind"),
    ("trotoar", "12", None, None),
    ("faskes", "12", None, None),
    ("bpjs", "12", "bpjs", "default_kind"),
    # Without a place only a national agency may be proposed: any local dinas would be a guess.
    ("trotoar", None, None, None),
    ("bpjs", None, "bpjs", "default_kind"),
    # No rule and no default kind anywhere.
    ("topik_lain", "13.71", None, None),
    ("lainnya", "13.71", None, None),
]


@pytest.mark.parametrize("category, region, expected, reason", CASES)
def test_propose_agency(world, category, region, expected, reason):
    proposal = propose_agency(category=world["categories"][category], region_code=region)

    if expected is None:
        assert proposal is None
    else:
        assert (proposal.agency, proposal.reason) == (world["agencies"][expected], reason)
        assert (proposal.rule is None) == (reason == "default_kind")


def test_default_kind_prefers_the_office_highest_in_the_tree_among_equally_local_ones(world):
    faskes = world["categories"]["faskes"]
    faskes.parent.routingrule_set.all().delete()  # leave only the default kind

    proposal = propose_agency(category=faskes, region_code="13.71.02")

    # Both "Dinas Kesehatan Kota Padang" and its UPT serve 13.71 and match "kesehatan".
    assert proposal.agency == world["agencies"]["dinkes_kota"]


def test_a_deactivated_default_office_falls_back_to_the_next_government_up(world):
    trotoar, agencies = world["categories"]["trotoar"], world["agencies"]
    agencies["pu_kota"].is_active = False
    agencies["pu_kota"].save()

    proposal = propose_agency(category=trotoar, region_code="13.71")

    assert proposal.agency == agencies["pu_prov"]


def test_no_category_means_no_proposal(world):
    assert propose_agency(category=None, region_code="13.71") is None
