"""manage.py seed_demo: the Sumatera Barat demo, built on the Sumatera Barat slice of the region file."""

import pytest
from django.contrib.auth import authenticate
from django.core.management.base import CommandError
from django.urls import reverse

from jembatan.accounts.models import Role, StaffRole, User
from jembatan.directory.models import Agency, AgencyKind, Category, Region, RoutingRule
from jembatan.ops.demo import DEMO_PASSWORD, DEMO_USERS, demo_totp_code
from jembatan.ops.tests.factories import seed

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row seed_demo writes, with its timestamps and password hashes."""
    return {
        "agencies": list(Agency.objects.order_by("code").values()),
        "categories": list(Category.objects.order_by("code").values()),
        "rules": list(RoutingRule.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("username").values()),
        "roles": list(StaffRole.objects.order_by("pk").values()),
        "groups": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
    }


def test_seed_demo_twice_changes_nothing(sumbar):
    first = seed()
    before = snapshot()

    second = seed()

    assert snapshot() == before
    assert "Instansi: 58 (58 baru, 0 diperbarui)" in first
    assert "Instansi: 58 (0 baru, 0 diperbarui)" in second
    assert "Aturan penerusan: 23 (0 baru, 0 diperbarui)" in second
    assert "Akun demo: 10 (0 baru, 0 diperbarui)" in second
    assert (Agency.objects.count(), Category.objects.count(), RoutingRule.objects.count()) == (58, 91, 23)
    assert (User.objects.count(), StaffRole.objects.count()) == (10, 9)


def test_seed_demo_restores_what_someone_changed_in_the_demo(sumbar):
    seed()
    Agency.objects.filter(code="padang-dinas-pupr").update(name="Dinas PU (diganti)", is_active=False)

    assert "Instansi: 58 (0 baru, 1 diperbarui)" in seed()
    pupr = Agency.objects.get(code="padang-dinas-pupr")
    assert (pupr.name, pupr.is_active) == ("Dinas Pekerjaan Umum dan Penataan Ruang Kota Padang", True)


def test_every_kabupaten_and_kota_of_sumatera_barat_has_its_government_under_the_province(sumbar):
    seed()
    pemprov = Agency.objects.get(code="pemprov-sumbar")
    governments = Agency.objects.filter(kind=AgencyKind.PEMKAB_PEMKOT)

    assert (pemprov.name, pemprov.region_id) == ("Pemerintah Provinsi Sumatera Barat", "13")
    assert governments.count() == 19
    assert set(governments.values_list("parent_id", flat=True)) == {pemprov.pk}
    assert sorted(governments.values_list("region_id", flat=True)) == sorted(
        Region.objects.within("13").filter(level="kabupaten_kota").values_list("code", flat=True)
    )
    padang = Agency.objects.get(region_id="13.71", kind=AgencyKind.PEMKAB_PEMKOT)
    assert (padang.code, padang.name) == ("pemkot-padang", "Pemerintah Kota Padang")
    assert Agency.objects.get(code="pemkab-padang-pariaman").name == "Pemerintah Kabupaten Padang Pariaman"


def test_offices_sit_in_their_governments_subtree_with_stable_codes(sumbar):
    seed()
    pemprov = Agency.objects.get(code="pemprov-sumbar")
    pemkot = Agency.objects.get(code="pemkot-padang")

    assert Agency.objects.get(code="sumbar-diskominfotik").name == (
        "Dinas Komunikasi, Informatika dan Statistik Provinsi Sumatera Barat"
    )
    perumda = Agency.objects.get(code="padang-perumda-air-minum")
    assert (perumda.name, perumda.kind) == ("Perumda Air Minum Kota Padang", AgencyKind.BUMD)
    assert Agency.objects.subtree(pemkot).filter(code__startswith="padang-").count() == 20
    assert Agency.objects.get(code="padang-puskesmas-andalas").is_within(
        Agency.objects.get(code="padang-dinas-kesehatan")
    )
    assert Agency.objects.get(code="padang-kel-olo").region.name == "Olo"
    assert all(office.is_within(pemprov) for office in Agency.objects.filter(code__startswith="sumbar-"))
    assert not Agency.objects.filter(region__isnull=True, parent__isnull=False).exists()
    assert Agency.objects.get(code="ombudsman-ri").kind == AgencyKind.OMBUDSMAN


def test_every_demo_user_logs_in_with_the_demo_password_and_has_their_role(sumbar):
    seed()
    expected_roles = {
        "admin.nasional": (Role.ADMIN_NASIONAL, None),
        "admin.sumbar": (Role.ADMIN_INSTANSI, "pemprov-sumbar"),
        "admin.padang": (Role.ADMIN_INSTANSI, "pemkot-padang"),
        "penghubung.pupr": (Role.PENGHUBUNG, "padang-dinas-pupr"),
        "penghubung.dinkes": (Role.PENGHUBUNG, "padang-dinas-kesehatan"),
        "pimpinan.sumbar": (Role.PIMPINAN, "pemprov-sumbar"),
        "auditor.inspektorat": (Role.AUDITOR, "pemprov-sumbar"),
        "auditor.ombudsman": (Role.AUDITOR, None),
        "sysadmin": (Role.SYSADMIN, None),
    }

    assert [username for username, _role, _agency in DEMO_USERS] == [*expected_roles, "warga.demo"]
    for username, _role, _agency in DEMO_USERS:
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.full_name and user.email.endswith("@example.id")
        roles = [(r.role, r.agency.code if r.agency else None) for r in user.staff_roles.all()]
        assert roles == ([expected_roles[username]] if username in expected_roles else [])


def test_the_demo_citizen_has_verified_contacts_and_no_staff_rights(sumbar):
    seed()
    warga = User.objects.get(username="warga.demo")

    assert warga.email_verified_at and warga.phone_verified_at and warga.phone == "6281200000001"
    assert not (warga.is_staff or warga.is_superuser or warga.staff_roles.exists())
    assert authenticate(username="siti.aisyah@example.id", password=DEMO_PASSWORD) == warga


def test_sysadmin_and_agency_admins_can_open_the_directory_admin(client, sumbar, settings):
    seed()
    sysadmin = User.objects.get(username="sysadmin")
    assert sysadmin.is_staff and sysadmin.is_superuser

    # The demo admins have an authenticator with the published demo secret (issue 12: TOTP is
    # required of admins): a password alone does not open the admin, the demo code does.
    settings.ACCOUNTS_REQUIRE_TOTP = True
    client.force_login(User.objects.get(username="admin.padang"))
    assert client.get(reverse("admin:directory_agency_changelist")).status_code == 302
    client.logout()
    client.post(reverse("accounts:login"), {"username": "admin.padang", "password": DEMO_PASSWORD})
    client.post(reverse("accounts:login-token"), {"token": demo_totp_code()})
    assert client.get(reverse("admin:directory_agency_changelist")).status_code == 200
    assert client.get(reverse("admin:directory_routingrule_add")).status_code == 200
    assert client.get(reverse("admin:directory_region_add")).status_code == 403

    client.force_login(User.objects.get(username="penghubung.pupr"))
    assert client.get(reverse("admin:directory_agency_changelist")).status_code == 302  # to the admin login


def test_reset_passwords_restores_a_changed_demo_password(sumbar):
    seed()
    user = User.objects.get(username="admin.sumbar")
    user.set_password("sandi-baru-yang-lain")
    user.save()

    assert "Akun demo: 10 (0 baru, 0 diperbarui)" in seed()
    assert authenticate(username="admin.sumbar", password=DEMO_PASSWORD) is None
    assert "Akun demo: 10 (0 baru, 1 diperbarui)" in seed("--reset-passwords")
    assert authenticate(username="admin.sumbar", password=DEMO_PASSWORD) is not None


def test_seed_demo_without_regions_says_to_load_them_first():
    with pytest.raises(CommandError, match="manage.py load_regions"):
        seed()

    assert not Agency.objects.exists()


def test_seed_demo_refuses_to_create_known_passwords_outside_development(sumbar, settings):
    settings.DEVELOPMENT = False

    with pytest.raises(CommandError, match="--allow-production"):
        seed()
    assert not User.objects.exists()

    seed("--allow-production")
    assert User.objects.filter(username="sysadmin").exists()


def test_the_demo_agencies_have_answer_templates_so_the_picker_shows(sumbar):
    seed()
    from jembatan.workbench.models import ResponseTemplate, TemplatePurpose

    pupr = Agency.objects.get(code="padang-dinas-pupr")
    usable = list(ResponseTemplate.objects.usable_for(pupr, TemplatePurpose.FOLLOW_UP))
    assert len(usable) >= 2
    city = Agency.objects.get(code="pemkot-padang")
    assert ResponseTemplate.objects.usable_for(city, TemplatePurpose.REQUEST_INFORMATION).exists()
