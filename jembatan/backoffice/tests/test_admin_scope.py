"""Issue 12, finding 1: an admin instansi administers only their own subtree in the Django admin,
and every change of who may do what goes through an action and leaves an audit record.

The world: Pemprov Sumatera Barat (13) > Pemerintah Kota Padang (13.71) > Dinas PUPR, and
Pemerintah Kabupaten Solok (13.02) beside Padang, with a confidential report from Solok. The admin
instansi of Padang holds the same Django permissions as the demo's "Pengelola Direktori".
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jembatan.accounts.models import AuditRecord, Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.backoffice import actions
from jembatan.directory.models import Agency, AgencyKind, Category, RoutingRule
from jembatan.directory.tests.factories import make_agency, make_category, make_region, make_rule
from jembatan.ops.demo import build_directory_managers_group
from jembatan.reports import actions as report_actions
from jembatan.reports.models import Channel, ReportType

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Pungutan liar di kantor camat Gunung Talang"
REPORTER = "Rahmat Hidayat"
REPORTER_EMAIL = "rahmat.rahasia@contoh.id"


@pytest.fixture
def gov():
    prov_region = make_region("13", "Sumatera Barat")
    padang_region = make_region("13.71", "Kota Padang")
    solok_region = make_region("13.02", "Kabupaten Solok")
    village = make_region("13.02.01.2001", "Nagari Contoh")
    prov = make_agency("Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region=prov_region, code="sumbar")
    padang = make_agency(
        "Pemerintah Kota Padang",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=prov,
        region=padang_region,
        code="padang",
    )
    pupr = make_agency("Dinas PUPR Kota Padang", parent=padang, region=padang_region, code="padang-pupr")
    solok = make_agency(
        "Pemerintah Kabupaten Solok",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=prov,
        region=solok_region,
        code="solok",
    )
    managers = build_directory_managers_group()
    admin_padang = make_staff(Role.ADMIN_INSTANSI, padang, username="admin.padang", is_staff=True)
    admin_padang.groups.add(managers)
    admin_sumbar = make_staff(Role.ADMIN_INSTANSI, prov, username="admin.sumbar", is_staff=True)
    admin_sumbar.groups.add(managers)
    category = make_category(
        "Pungutan Liar", parent=make_category("Pelayanan Publik", code="G-PP"), code="PL"
    )
    report = report_actions.submit_report(
        new=report_actions.NewReport(
            kind=ReportType.PENGADUAN,
            title=SECRET_TITLE,
            description="Petugas meminta uang Rp 200.000 untuk surat keterangan yang seharusnya gratis.",
            channel=Channel.WEB,
            region=village,
            category=category,
            reporter_name=REPORTER,
            reporter_email=REPORTER_EMAIL,
            is_confidential=True,
        )
    )
    assert report.verifying_agency == solok
    return {
        "prov": prov,
        "padang": padang,
        "pupr": pupr,
        "solok": solok,
        "admin_padang": admin_padang,
        "admin_sumbar": admin_sumbar,
        "report": report,
        "category": category,
        "padang_region": padang_region,
        "solok_region": solok_region,
    }


def agency_form(agency, **changes):
    data = {
        "name": agency.name,
        "short_name": agency.short_name,
        "code": agency.code,  # read-only once created; sent anyway, as the old form wanted it
        "kind": agency.kind,
        "is_active": "on" if agency.is_active else "",
        "parent": agency.parent_id or "",
        "region": agency.region_id or "",
        "email": "",
        "phone": "",
        "address": "",
        "website": "",
        "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def report_page(client, report):
    return client.get(reverse("workbench:report", args=[report.tracking_number]))


def test_admin_instansi_cannot_take_another_governments_reports_by_moving_its_agency(client, gov):
    solok, padang, report = gov["solok"], gov["padang"], gov["report"]
    client.force_login(gov["admin_padang"])
    assert report_page(client, report).status_code == 403

    response = client.post(
        reverse("admin:directory_agency_change", args=[solok.pk]), agency_form(solok, parent=padang.pk)
    )

    assert response.status_code in (302, 403, 404)
    solok.refresh_from_db()
    assert solok.parent_id == gov["prov"].pk
    assert not AuditRecord.objects.exists()
    page = report_page(client, report)
    assert page.status_code == 403
    assert REPORTER_EMAIL not in page.content.decode() and REPORTER not in page.content.decode()


def test_the_move_action_itself_refuses_an_agency_outside_the_actors_subtree(gov):
    with pytest.raises(PermissionDenied):
        actions.change_agency(agency=gov["solok"], actor=gov["admin_padang"], parent=gov["padang"])

    gov["solok"].refresh_from_db()
    assert gov["solok"].parent_id == gov["prov"].pk
    assert not AuditRecord.objects.exists()


def test_admin_instansi_cannot_move_an_agency_of_theirs_out_of_or_above_their_subtree(client, gov):
    client.force_login(gov["admin_padang"])
    pupr = gov["pupr"]

    for parent in (gov["solok"].pk, gov["prov"].pk, ""):
        response = client.post(
            reverse("admin:directory_agency_change", args=[pupr.pk]), agency_form(pupr, parent=parent)
        )
        assert response.status_code == 200  # the form again, with the error
        pupr.refresh_from_db()
        assert pupr.parent_id == gov["padang"].pk
    # Nor move the root of their own scope, which would carry their power elsewhere.
    with pytest.raises(PermissionDenied):
        actions.change_agency(agency=gov["padang"], actor=gov["admin_padang"], parent=gov["solok"])
    assert not AuditRecord.objects.exists()


def test_a_legitimate_move_by_the_province_admin_is_made_and_recorded(client, gov):
    solok, padang = gov["solok"], gov["padang"]
    client.force_login(gov["admin_sumbar"])

    response = client.post(
        reverse("admin:directory_agency_change", args=[solok.pk]), agency_form(solok, parent=padang.pk)
    )

    assert response.status_code == 302
    solok.refresh_from_db()
    assert solok.parent_id == padang.pk and solok.path.startswith(padang.path)
    record = AuditRecord.objects.get()
    assert record.kind == AuditRecord.Kind.AGENCY_MOVED
    assert record.actor == gov["admin_sumbar"] and record.actor_name == "admin.sumbar"
    assert record.object_type == "directory.agency" and record.object_id == str(solok.pk)
    assert record.before == {"parent": f"{gov['prov'].pk}: Pemprov Sumatera Barat"}
    assert record.after == {"parent": f"{padang.pk}: Pemerintah Kota Padang"}


def test_admin_instansi_sees_and_picks_only_agencies_of_their_subtree(client, gov):
    client.force_login(gov["admin_padang"])

    listing = client.get(reverse("admin:directory_agency_changelist"))
    assert listing.status_code == 200
    assert {a.code for a in listing.context["cl"].result_list} == {"padang", "padang-pupr"}
    assert client.get(reverse("admin:directory_agency_change", args=[gov["solok"].pk])).status_code == 302

    picked = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "directory", "model_name": "agency", "field_name": "parent", "term": "Pemerintah"},
    )
    assert {item["text"] for item in picked.json()["results"]} == {"Pemerintah Kota Padang"}

    added = client.post(
        reverse("admin:directory_agency_add"),
        {
            **agency_form(Agency(name="Dinas Baru", kind=AgencyKind.DINAS), parent=gov["solok"].pk),
            "code": "baru",
        },
    )
    assert added.status_code == 200
    assert not Agency.objects.filter(code="baru").exists()


def test_admin_instansi_adds_an_agency_inside_their_subtree_and_it_is_recorded(client, gov):
    client.force_login(gov["admin_padang"])
    data = agency_form(
        Agency(name="Dinas Kesehatan Kota Padang", kind=AgencyKind.DINAS), parent=gov["padang"].pk
    )

    response = client.post(
        reverse("admin:directory_agency_add"), {**data, "code": "padang-dinkes", "region": "13.71"}
    )

    assert response.status_code == 302
    dinkes = Agency.objects.get(code="padang-dinkes")
    assert dinkes.is_within(gov["padang"])
    record = AuditRecord.objects.get()
    assert record.kind == AuditRecord.Kind.AGENCY_CREATED and record.agency == dinkes
    assert record.after["parent"] == f"{gov['padang'].pk}: Pemerintah Kota Padang"


def test_admin_instansi_cannot_make_their_agency_serve_another_region(gov):
    with pytest.raises(PermissionDenied):
        actions.change_agency(agency=gov["pupr"], actor=gov["admin_padang"], region=gov["solok_region"])
    with pytest.raises(PermissionDenied):
        actions.create_agency(
            code="pemkab-tiruan",
            name="Pemerintah Kabupaten Solok (tiruan)",
            kind=AgencyKind.PEMKAB_PEMKOT,
            parent=gov["padang"],
            region=gov["solok_region"],
            actor=gov["admin_padang"],
        )
    assert not Agency.objects.filter(code="pemkab-tiruan").exists()


def test_renaming_and_deactivating_are_recorded_with_before_and_after(gov):
    actions.change_agency(agency=gov["pupr"], actor=gov["admin_padang"], name="Dinas PUPR dan Tata Ruang")
    actions.change_agency(agency=gov["pupr"], actor=gov["admin_padang"], is_active=False)

    renamed, deactivated = AuditRecord.objects.order_by("pk")
    assert (renamed.kind, renamed.before, renamed.after) == (
        AuditRecord.Kind.AGENCY_CHANGED,
        {"name": "Dinas PUPR Kota Padang"},
        {"name": "Dinas PUPR dan Tata Ruang"},
    )
    assert (deactivated.kind, deactivated.after) == (
        AuditRecord.Kind.AGENCY_DEACTIVATED,
        {"is_active": False},
    )


def test_routing_rules_of_other_governments_are_out_of_reach(client, gov):
    solok_rule = make_rule(gov["category"], gov["solok"], "13.02")
    national_rule = make_rule(make_category("Lainnya", parent=gov["category"].parent, code="LN"), gov["prov"])
    client.force_login(gov["admin_padang"])

    listing = client.get(reverse("admin:directory_routingrule_changelist"))
    assert list(listing.context["cl"].result_list) == []
    changed = client.post(
        reverse("admin:directory_routingrule_change", args=[solok_rule.pk]),
        {"category": gov["category"].pk, "region": "13.02", "agency": gov["padang"].pk, "note": ""},
    )
    assert changed.status_code == 302 and "/change/" not in changed.url  # "does not exist"
    solok_rule.refresh_from_db()
    assert solok_rule.agency == gov["solok"]
    # A rule sending Solok's reports to Padang, or a national one, cannot be created either.
    for region in ("13.02", ""):
        client.post(
            reverse("admin:directory_routingrule_add"),
            {"category": national_rule.category_id, "region": region, "agency": gov["padang"].pk, "note": ""},
        )
    assert RoutingRule.objects.count() == 2
    assert not AuditRecord.objects.exists()


def test_a_routing_rule_inside_the_subtree_is_saved_and_deleted_through_the_action(client, gov):
    client.force_login(gov["admin_padang"])

    created = client.post(
        reverse("admin:directory_routingrule_add"),
        {"category": gov["category"].pk, "region": "13.71", "agency": gov["pupr"].pk, "note": "jalan kota"},
    )
    assert created.status_code == 302
    rule = RoutingRule.objects.get()
    deleted = client.post(reverse("admin:directory_routingrule_delete", args=[rule.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not RoutingRule.objects.exists()
    assert list(AuditRecord.objects.order_by("pk").values_list("kind", flat=True)) == [
        AuditRecord.Kind.RULE_CREATED,
        AuditRecord.Kind.RULE_DELETED,
    ]


def test_categories_and_regions_change_only_for_admin_nasional_and_sysadmin(client, gov):
    category = gov["category"]
    client.force_login(gov["admin_padang"])
    form = {
        "code": category.code,
        "name": "Pungli",
        "parent": category.parent_id,
        "default_agency_kind": "",
        "default_agency_keyword": "",
        "keywords": "",
        "is_active": "on",
    }
    assert (
        client.post(reverse("admin:directory_category_change", args=[category.pk]), form).status_code == 403
    )
    assert (
        client.post(reverse("admin:directory_region_change", args=["13.02"]), {"name": "X"}).status_code
        == 403
    )
    category.refresh_from_db()
    assert category.name == "Pungutan Liar"

    client.force_login(make_staff(Role.ADMIN_NASIONAL, is_staff=True))
    assert (
        client.post(reverse("admin:directory_category_change", args=[category.pk]), form).status_code == 302
    )
    category.refresh_from_db()
    assert category.name == "Pungli"
    record = AuditRecord.objects.get()
    assert (record.kind, record.before, record.after) == (
        AuditRecord.Kind.CATEGORY_CHANGED,
        {"name": "Pungutan Liar"},
        {"name": "Pungli"},
    )
    with pytest.raises(PermissionDenied):
        actions.save_category(actor=gov["admin_sumbar"], category=category, name="Lagi")
    assert Category.objects.get(pk=category.pk).name == "Pungli"


def test_a_citizen_or_liaison_never_reaches_the_directory_admin(client, gov):
    for user in (make_user(), make_staff(Role.PENGHUBUNG, gov["pupr"])):
        client.force_login(user)
        assert client.get(reverse("admin:directory_agency_changelist")).status_code == 302
