"""Issue 12, finding 1: staff roles are granted and revoked only through actions that check the
actor's own scope and power and leave an audit record; the record is listed, read-only, to
sysadmins, admin nasional and auditors (a scoped auditor: their own subtree)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jembatan.accounts import actions
from jembatan.accounts.models import AuditRecord, Role, StaffRole
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency, make_region
from jembatan.reports import actions as report_actions
from jembatan.reports.models import CalendarOverride
from jembatan.workbench import actions as workbench_actions
from jembatan.workbench.models import ResponseTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def gov():
    prov = make_agency(
        "Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region=make_region("13"), code="sumbar"
    )
    padang = make_agency("Pemerintah Kota Padang", parent=prov, region=make_region("13.71"), code="padang")
    pupr = make_agency("Dinas PUPR Kota Padang", parent=padang, region="13.71", code="padang-pupr")
    solok = make_agency("Pemerintah Kabupaten Solok", parent=prov, region=make_region("13.02"), code="solok")
    return {
        "prov": prov,
        "padang": padang,
        "pupr": pupr,
        "solok": solok,
        "admin_padang": make_staff(Role.ADMIN_INSTANSI, padang, username="admin.padang", is_staff=True),
        "sysadmin": make_staff(Role.SYSADMIN, username="sysadmin", is_staff=True, is_superuser=True),
    }


def test_admin_instansi_grants_a_liaison_role_in_their_subtree_and_it_is_recorded(gov):
    officer = make_user("petugas.baru")

    role = actions.grant_staff_role(
        actor=gov["admin_padang"], user=officer, role=Role.PENGHUBUNG, agency=gov["pupr"]
    )

    assert role.is_active and role.agency == gov["pupr"]
    record = AuditRecord.objects.get()
    assert record.kind == AuditRecord.Kind.ROLE_GRANTED
    assert record.actor_name == "admin.padang" and record.agency == gov["pupr"]
    assert record.after["role"] == Role.PENGHUBUNG and record.after["user"].endswith("petugas.baru")


@pytest.mark.parametrize(
    ("role", "agency"),
    [
        (Role.PENGHUBUNG, "solok"),  # outside the subtree
        (Role.ADMIN_INSTANSI, "prov"),  # above it
        (Role.ADMIN_NASIONAL, None),  # beyond their power
        (Role.SYSADMIN, None),
        (Role.AUDITOR, None),  # a national auditor reads every report in the country
    ],
)
def test_admin_instansi_cannot_grant_roles_beyond_their_scope_or_power(gov, role, agency):
    officer = make_user("petugas.baru")

    with pytest.raises(PermissionDenied):
        actions.grant_staff_role(
            actor=gov["admin_padang"], user=officer, role=role, agency=gov[agency] if agency else None
        )

    assert not StaffRole.objects.filter(user=officer).exists()
    assert not AuditRecord.objects.exists()


def test_revoking_keeps_the_role_inactive_and_records_it_and_outsiders_cannot_revoke(gov):
    solok_admin = make_staff(Role.ADMIN_INSTANSI, gov["solok"])
    with pytest.raises(PermissionDenied):
        actions.revoke_staff_role(actor=gov["admin_padang"], staff_role=solok_admin.staff_roles.get())
    assert solok_admin.staff_roles.get().is_active

    liaison = make_staff(Role.PENGHUBUNG, gov["pupr"])
    actions.revoke_staff_role(actor=gov["admin_padang"], staff_role=liaison.staff_roles.get())

    assert not liaison.staff_roles.get().is_active
    record = AuditRecord.objects.get()
    assert record.kind == AuditRecord.Kind.ROLE_REVOKED
    assert (record.before["is_active"], record.after["is_active"]) == (True, False)


def test_the_role_admin_lists_and_offers_only_the_subtree_and_grants_through_the_action(client, gov):
    make_staff(Role.PENGHUBUNG, gov["solok"], username="penghubung.solok")
    make_staff(Role.PENGHUBUNG, gov["pupr"], username="penghubung.pupr")
    make_user("petugas.baru")
    client.force_login(gov["admin_padang"])

    listing = client.get(reverse("admin:accounts_staffrole_changelist"))
    assert {r.user.username for r in listing.context["cl"].result_list} == {"admin.padang", "penghubung.pupr"}
    refused = client.post(
        reverse("admin:accounts_staffrole_add"),
        {"username": "petugas.baru", "role": Role.PENGHUBUNG, "agency": gov["solok"].pk},
    )
    assert refused.status_code == 200 and "agency" in refused.context["adminform"].form.errors
    granted = client.post(
        reverse("admin:accounts_staffrole_add"),
        {"username": "petugas.baru", "role": Role.PENGHUBUNG, "agency": gov["pupr"].pk},
    )
    assert granted.status_code == 302
    assert StaffRole.objects.get(user__username="petugas.baru").agency == gov["pupr"]
    assert AuditRecord.objects.get().kind == AuditRecord.Kind.ROLE_GRANTED
    # The people list (every citizen's contacts) is the sysadmin's alone.
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_the_user_admin_grants_roles_and_admin_access_through_audited_actions(client, gov):
    client.force_login(gov["sysadmin"])
    officer = make_user("petugas.baru")
    data = {
        "username": "petugas.baru",
        "full_name": officer.full_name,
        "email": "",
        "phone": "",
        "preferred_language": "id",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "staff_roles-TOTAL_FORMS": "1",
        "staff_roles-INITIAL_FORMS": "0",
        "staff_roles-0-role": Role.ADMIN_INSTANSI,
        "staff_roles-0-agency": str(gov["padang"].pk),
        "staff_roles-0-is_active": "on",
    }

    response = client.post(reverse("admin:accounts_user_change", args=[officer.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    officer.refresh_from_db()
    assert officer.is_staff
    assert list(officer.staff_roles.values_list("role", "agency")) == [
        (Role.ADMIN_INSTANSI, gov["padang"].pk)
    ]
    kinds = set(AuditRecord.objects.values_list("kind", flat=True))
    assert kinds == {AuditRecord.Kind.ROLE_GRANTED, AuditRecord.Kind.ADMIN_ACCESS_CHANGED}


def test_templates_and_calendar_corrections_are_recorded_and_the_calendar_is_national(gov):
    template = workbench_actions.save_response_template(
        actor=gov["admin_padang"],
        name="Terima kasih",
        purpose="follow_up",
        body="Terima kasih, laporan {nomor} sudah kami tindak lanjuti.",
        agency=gov["padang"],
    )
    workbench_actions.save_response_template(
        actor=gov["admin_padang"],
        name="Terima kasih banyak",
        purpose="follow_up",
        body=template.body,
        agency=gov["padang"],
        template=ResponseTemplate.objects.get(pk=template.pk),
    )
    with pytest.raises(PermissionDenied):
        report_actions.set_calendar_override(
            actor=gov["admin_padang"], date=dt.date(2026, 12, 24), is_working_day=False, note="Cuti bersama"
        )
    report_actions.set_calendar_override(
        actor=make_staff(Role.ADMIN_NASIONAL),
        date=dt.date(2026, 12, 24),
        is_working_day=False,
        note="Cuti bersama",
    )

    assert CalendarOverride.objects.count() == 1
    records = list(AuditRecord.objects.order_by("pk"))
    assert [r.kind for r in records] == [
        AuditRecord.Kind.TEMPLATE_CREATED,
        AuditRecord.Kind.TEMPLATE_CHANGED,
        AuditRecord.Kind.CALENDAR_SET,
    ]
    assert records[1].before == {"name": "Terima kasih"} and records[1].after == {
        "name": "Terima kasih banyak"
    }


def test_the_audit_page_lists_changes_to_sysadmins_and_auditors_of_the_subtree_only(client, gov):
    actions.grant_staff_role(
        actor=gov["sysadmin"], user=make_user("a"), role=Role.PENGHUBUNG, agency=gov["pupr"]
    )
    actions.grant_staff_role(
        actor=gov["sysadmin"], user=make_user("b"), role=Role.PENGHUBUNG, agency=gov["solok"]
    )
    changelist = reverse("admin:accounts_auditrecord_changelist")

    client.force_login(gov["sysadmin"])
    assert client.get(changelist).context["cl"].result_count == 2
    filtered = client.get(changelist, {"kind__exact": AuditRecord.Kind.ROLE_REVOKED})
    assert filtered.context["cl"].result_count == 0
    record = AuditRecord.objects.first()
    assert client.post(reverse("admin:accounts_auditrecord_change", args=[record.pk]), {}).status_code == 403
    assert (
        client.post(
            reverse("admin:accounts_auditrecord_delete", args=[record.pk]), {"post": "yes"}
        ).status_code
        == 403
    )

    client.force_login(make_staff(Role.AUDITOR, gov["padang"]))  # not is_staff: the audit opens the admin
    page = client.get(changelist)
    assert page.status_code == 200
    assert [r.agency for r in page.context["cl"].result_list] == [gov["pupr"]]
    assert "Catatan audit" in page.content.decode() or "catatan audit" in page.content.decode()

    client.force_login(make_staff(Role.PENGHUBUNG, gov["pupr"]))
    assert client.get(changelist).status_code == 302


def test_the_template_and_calendar_admins_keep_to_the_actors_scope(client, gov):
    ResponseTemplate.objects.create(
        name="Templat Solok", purpose="follow_up", body="x" * 20, agency=gov["solok"]
    )
    client.force_login(gov["admin_padang"])

    listing = client.get(reverse("admin:workbench_responsetemplate_changelist"))
    assert listing.status_code == 200 and listing.context["cl"].result_count == 0
    refused = client.post(
        reverse("admin:workbench_responsetemplate_add"),
        {
            "name": "Curian",
            "purpose": "follow_up",
            "agency": gov["solok"].pk,
            "body": "Laporan {nomor} selesai.",
            "is_active": "on",
        },
    )
    assert refused.status_code == 200 and "agency" in refused.context["adminform"].form.errors
    added = client.post(
        reverse("admin:workbench_responsetemplate_add"),
        {
            "name": "Selesai",
            "purpose": "follow_up",
            "agency": gov["pupr"].pk,
            "body": "Laporan {nomor} selesai.",
            "is_active": "on",
        },
    )
    assert added.status_code == 302
    assert AuditRecord.objects.get().kind == AuditRecord.Kind.TEMPLATE_CREATED
    assert client.get(reverse("admin:reports_calendaroverride_add")).status_code == 403

    client.force_login(gov["sysadmin"])
    saved = client.post(
        reverse("admin:reports_calendaroverride_add"),
        {"date": "2026-12-24", "is_working_day": "", "note": "Cuti bersama"},
    )
    assert saved.status_code == 302
    override = CalendarOverride.objects.get()
    deleted = client.post(
        reverse("admin:reports_calendaroverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302 and not CalendarOverride.objects.exists()
    assert list(AuditRecord.objects.order_by("pk").values_list("kind", flat=True))[1:] == [
        AuditRecord.Kind.CALENDAR_SET,
        AuditRecord.Kind.CALENDAR_DELETED,
    ]


def test_the_admin_index_shows_each_role_only_what_it_administers(client, gov):
    def models_on_index(user):
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        return {m["object_name"] for app in response.context["app_list"] for m in app["models"]}

    assert models_on_index(gov["admin_padang"]) == {
        "Agency",
        "Category",
        "Region",
        "RoutingRule",
        "StaffRole",
        "ResponseTemplate",
        "Notification",  # the messages of the reports they may read
    }
    assert models_on_index(make_staff(Role.AUDITOR, gov["prov"])) == {"AuditRecord", "Notification"}
    sysadmin_models = models_on_index(gov["sysadmin"])
    assert {"AuditRecord", "User", "StaffRole", "CalendarOverride", "Agency"} <= sysadmin_models
    assert not {"WebhookDelivery", "InboundMessage", "ResponseTemplate"} & sysadmin_models


def test_an_integration_key_with_a_role_is_a_checked_and_recorded_grant(gov):
    from jembatan.api import actions as api_actions

    with pytest.raises(PermissionDenied):
        api_actions.issue_agency_key(
            name="Integrasi curian", role=Role.ADMIN_NASIONAL, actor=gov["admin_padang"]
        )
    assert not StaffRole.objects.filter(role=Role.ADMIN_NASIONAL).exists()

    key, _raw = api_actions.issue_agency_key(
        name="SIMPUPR", role=Role.PENGHUBUNG, agency=gov["pupr"], actor=gov["admin_padang"]
    )

    record = AuditRecord.objects.get()
    assert record.kind == AuditRecord.Kind.ROLE_GRANTED and record.agency == gov["pupr"]
    assert record.after["user"].endswith(key.user.username)
