"""The agency tree: materialized paths on create and on move, subtrees, ancestors, service areas."""

import pytest
from django.core.exceptions import ValidationError

from jembatan.directory.models import Agency, AgencyKind
from jembatan.directory.tests.factories import make_agency, make_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """Two provinces; Kota Padang's government with an office and a puskesmas below it."""
    sumbar = make_agency("Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region="13")
    riau = make_agency("Pemprov Riau", kind=AgencyKind.PEMPROV, region="14")
    padang = make_agency("Pemkot Padang", kind=AgencyKind.PEMKAB_PEMKOT, parent=sumbar, region="13.71")
    dinkes = make_agency("Dinas Kesehatan Kota Padang", parent=padang, region="13.71")
    puskesmas = make_agency("Puskesmas Andalas", kind=AgencyKind.PUSKESMAS, parent=dinkes, region="13.71.02")
    return {"sumbar": sumbar, "riau": riau, "padang": padang, "dinkes": dinkes, "puskesmas": puskesmas}


def fresh(agency):
    return Agency.objects.get(pk=agency.pk)


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_a_new_agency_gets_its_parents_path_plus_its_own_id(tree):
    sumbar, padang, puskesmas = tree["sumbar"], tree["padang"], tree["puskesmas"]

    assert sumbar.path == f"/{sumbar.pk}/"
    assert padang.path == f"/{sumbar.pk}/{padang.pk}/"
    assert fresh(puskesmas).path == f"/{sumbar.pk}/{padang.pk}/{tree['dinkes'].pk}/{puskesmas.pk}/"


def test_subtree_is_the_agency_and_everything_below_it(tree):
    assert names(Agency.objects.subtree(tree["padang"])) == [
        "Dinas Kesehatan Kota Padang",
        "Pemkot Padang",
        "Puskesmas Andalas",
    ]
    assert names(Agency.objects.subtree(tree["riau"])) == ["Pemprov Riau"]


def test_subtree_does_not_confuse_ids_that_share_leading_digits():
    short = Agency.objects.create(pk=700, code="tujuh-ratus", name="Tujuh Ratus", kind=AgencyKind.DINAS)
    Agency.objects.create(pk=7001, code="tujuh-ribu-satu", name="Tujuh Ribu Satu", kind=AgencyKind.DINAS)

    assert names(Agency.objects.subtree(short)) == ["Tujuh Ratus"]


def test_moving_an_agency_moves_its_whole_subtree(tree):
    padang, riau = tree["padang"], tree["riau"]

    padang.parent = riau
    padang.save()

    for key in ("padang", "dinkes", "puskesmas"):
        assert fresh(tree[key]).path.startswith(riau.path), key
    assert (
        fresh(tree["puskesmas"]).path == f"{riau.path}{padang.pk}/{tree['dinkes'].pk}/{tree['puskesmas'].pk}/"
    )
    assert names(Agency.objects.subtree(tree["sumbar"])) == ["Pemprov Sumatera Barat"]
    assert fresh(tree["puskesmas"]).is_within(riau)
    assert not fresh(tree["puskesmas"]).is_within(tree["sumbar"])


def test_moving_an_agency_to_the_top_makes_it_a_root(tree):
    dinkes = tree["dinkes"]

    dinkes.parent = None
    dinkes.save()

    assert fresh(dinkes).path == f"/{dinkes.pk}/"
    assert fresh(tree["puskesmas"]).path == f"/{dinkes.pk}/{tree['puskesmas'].pk}/"


def test_saving_a_stale_copy_after_an_ancestor_moved_keeps_the_new_path(tree):
    # Loaded with its parent, as a list view would: both copies predate the move.
    stale_puskesmas = Agency.objects.select_related("parent").get(pk=tree["puskesmas"].pk)
    padang = tree["padang"]
    padang.parent = tree["riau"]
    padang.save()

    stale_puskesmas.phone = "0751-123456"
    stale_puskesmas.save()

    assert fresh(tree["puskesmas"]).path.startswith(tree["riau"].path)
    assert stale_puskesmas.path == fresh(tree["puskesmas"]).path


def test_an_agency_cannot_move_below_itself(tree):
    padang = tree["padang"]
    before = {key: fresh(agency).path for key, agency in tree.items()}

    padang.parent = tree["puskesmas"]
    with pytest.raises(ValidationError):
        padang.full_clean()
    with pytest.raises(ValidationError):
        padang.save()

    assert {key: fresh(agency).path for key, agency in tree.items()} == before


def test_ancestors_lists_the_chain_from_the_top(tree):
    assert [a.name for a in fresh(tree["puskesmas"]).ancestors()] == [
        "Pemprov Sumatera Barat",
        "Pemkot Padang",
        "Dinas Kesehatan Kota Padang",
        "Puskesmas Andalas",
    ]


def test_serving_region_finds_the_national_and_every_enclosing_government(tree):
    make_agency("Kementerian Kesehatan", kind=AgencyKind.KEMENTERIAN_LEMBAGA)
    make_region("13.71.02.1007", "Andalas")

    assert names(Agency.objects.serving_region("13.71.02.1007")) == [
        "Dinas Kesehatan Kota Padang",
        "Kementerian Kesehatan",
        "Pemkot Padang",
        "Pemprov Sumatera Barat",
        "Puskesmas Andalas",
    ]
    assert names(Agency.objects.serving_region("14")) == ["Kementerian Kesehatan", "Pemprov Riau"]


def test_active_leaves_out_deactivated_agencies(tree):
    tree["riau"].is_active = False
    tree["riau"].save()

    assert "Pemprov Riau" not in names(Agency.objects.active())
    assert "Pemprov Sumatera Barat" in names(Agency.objects.active())
