"""The directory in the Django admin, through HTTP as a sysadmin would use it."""

import pytest
from django.urls import reverse

from jembatan.directory.models import Agency, AgencyKind, Region
from jembatan.directory.tests.factories import make_agency, make_category, make_region, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    for code, name in [
        ("13", "Sumatera Barat"),
        ("13.05", "Kabupaten Padang Pariaman"),
        ("13.06", "Kabupaten Agam"),
        ("13.71", "Kota Padang"),
        ("13.71.02", "Padang Timur"),
    ]:
        make_region(code, name)
    pemprov = make_agency(
        "Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region="13", code="pemprov-sumbar"
    )
    pemkot = make_agency(
        "Pemerintah Kota Padang",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=pemprov,
        region="13.71",
        code="pemkot-padang",
    )
    group = make_category("Infrastruktur", code="G-INFRA")
    jalan = make_category("Jalan Berlubang", parent=group, code="1397")
    make_rule(jalan, pemkot, "13.71")
    return {"pemprov": pemprov, "pemkot": pemkot, "group": group}


def results(response):
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("model", ["region", "agency", "category", "routingrule"])
def test_every_directory_list_and_add_page_opens(admin_client, directory, model):
    assert admin_client.get(reverse(f"admin:directory_{model}_changelist")).status_code == 200
    expected = 403 if model == "region" else 200
    assert admin_client.get(reverse(f"admin:directory_{model}_add")).status_code == expected


def test_admin_speaks_bahasa_indonesia_by_default(admin_client, directory):
    page = admin_client.get(reverse("admin:directory_agency_changelist")).content.decode()

    assert "Pilih instansi untuk diubah" in page


@pytest.mark.parametrize(
    "term, expected",
    [
        ("padang", ["13.05", "13.71", "13.71.02"]),
        ("Kota Padang", ["13.05", "13.71", "13.71.02"]),
        ("13.71", ["13.71", "13.71.02"]),
        ("13.0", ["13.05", "13.06"]),
        ("agam", ["13.06"]),
    ],
)
def test_region_search_uses_name_and_code_prefixes(admin_client, directory, term, expected):
    response = admin_client.get(reverse("admin:directory_region_changelist"), {"q": term})

    assert sorted(region.code for region in results(response)) == expected


def test_region_autocomplete_for_an_agency_finds_regions_by_name(admin_client, directory):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "directory", "model_name": "agency", "field_name": "region", "term": "kota padang"},
    )

    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {"13.05", "13.71", "13.71.02"}


def test_regions_cannot_be_deleted_and_only_their_name_is_editable(admin_client, directory):
    url = reverse("admin:directory_region_change", args=["13.71"])
    assert admin_client.get(reverse("admin:directory_region_delete", args=["13.71"])).status_code == 403

    response = admin_client.post(url, {"name": "Kota Padang (ibu kota)", "level": "provinsi"})

    assert response.status_code == 302
    region = Region.objects.get(code="13.71")
    assert (region.name, region.level, region.search_name) == (
        "Kota Padang (ibu kota)",
        "kabupaten_kota",
        "padang ibu kota",
    )


def test_agency_list_shows_the_tree_indented_under_its_parent(admin_client, directory):
    response = admin_client.get(reverse("admin:directory_agency_changelist"))

    assert [agency.code for agency in results(response)] == ["pemprov-sumbar", "pemkot-padang"]
    assert 'padding-left: 1.5em">└ Pemerintah Kota Padang' in response.content.decode()


def test_an_agency_created_in_the_admin_gets_its_place_in_the_tree(admin_client, directory):
    response = admin_client.post(
        reverse("admin:directory_agency_add"),
        {
            "name": "Dinas Kesehatan Kota Padang",
            "short_name": "Dinkes Padang",
            "code": "padang-dinas-kesehatan",
            "kind": AgencyKind.DINAS,
            "is_active": "on",
            "parent": directory["pemkot"].pk,
            "region": "13.71",
            "email": "",
            "phone": "",
            "address": "",
            "website": "",
            "children-TOTAL_FORMS": "0",
            "children-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    dinkes = Agency.objects.get(code="padang-dinas-kesehatan")
    assert dinkes.path == f"{directory['pemkot'].path}{dinkes.pk}/"


def test_the_admin_refuses_to_move_an_agency_below_itself(admin_client, directory):
    pemprov, pemkot = directory["pemprov"], directory["pemkot"]

    response = admin_client.post(
        reverse("admin:directory_agency_change", args=[pemprov.pk]),
        {
            "name": pemprov.name,
            "short_name": "",
            "code": pemprov.code,
            "kind": pemprov.kind,
            "is_active": "on",
            "parent": pemkot.pk,
            "region": "13",
            "email": "",
            "phone": "",
            "address": "",
            "website": "",
            "children-TOTAL_FORMS": "1",
            "children-INITIAL_FORMS": "1",
            "children-0-id": pemkot.pk,
            "children-0-parent": pemprov.pk,
        },
    )

    assert response.status_code == 200
    assert "tidak boleh menjadi induk dari dirinya sendiri" in response.content.decode()
    pemprov.refresh_from_db()
    assert pemprov.parent_id is None


def test_a_category_group_page_lists_its_categories(admin_client, directory):
    response = admin_client.get(reverse("admin:directory_category_change", args=[directory["group"].pk]))

    assert response.status_code == 200
    assert "Jalan Berlubang" in response.content.decode()


def test_routing_rules_list_names_category_place_and_agency(admin_client, directory):
    make_rule(make_category("Trotoar", parent=directory["group"], code="1401"), directory["pemprov"])

    page = admin_client.get(reverse("admin:directory_routingrule_changelist")).content.decode()

    assert "Pemerintah Kota Padang" in page and "Nasional" in page
