"""Who may see and do what: role × scope × action, as one table.

The world: a national agency; Pemprov Sumatera Barat (13) with its Dinas PUPR; Pemkot Padang
(13.71, under the Pemprov) with Dinas PUPR and Dinas Kesehatan; and the government of another
province. Each row of a table names a question, what it is asked about, and exactly who gets "yes";
everyone else must get "no", so a row checks every actor at once.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.models import Role, StaffRole
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency
from jembatan.reports.models import (
    Disposition,
    DispositionStatus,
    Report,
    ReportType,
    Status,
    new_access_code,
    new_tracking_number,
)

ACTORS = [
    "admin_nasional",
    "admin_pemprov",
    "admin_pemkot",
    "penghubung_pupr",
    "penghubung_dinkes",
    "pimpinan_pemprov",
    "auditor_pemprov",
    "auditor_nasional",
    "sysadmin",
    "pelapor",
    "warga_lain",
    "tamu",
    "peran_dicabut",  # was admin of Pemkot Padang; the role is switched off
    "akun_nonaktif",  # admin of Pemkot Padang whose account is deactivated
]
EVERYONE = frozenset(ACTORS)


@pytest.fixture
def world(db):
    nasional = make_agency("KemenPANRB", kind=AgencyKind.KEMENTERIAN_LEMBAGA)
    pemprov = make_agency("Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region="13")
    pupr_prov = make_agency("Dinas PUPR Provinsi Sumatera Barat", parent=pemprov, region="13")
    pemkot = make_agency("Pemkot Padang", kind=AgencyKind.PEMKAB_PEMKOT, parent=pemprov, region="13.71")
    pupr_padang = make_agency("Dinas PUPR Kota Padang", parent=pemkot, region="13.71")
    dinkes_padang = make_agency("Dinas Kesehatan Kota Padang", parent=pemkot, region="13.71")
    provinsi_lain = make_agency("Pemprov Riau", kind=AgencyKind.PEMPROV, region="14")
    agencies = {
        "nasional": nasional,
        "pemprov": pemprov,
        "pupr_prov": pupr_prov,
        "pemkot": pemkot,
        "pupr_padang": pupr_padang,
        "dinkes_padang": dinkes_padang,
        "provinsi_lain": provinsi_lain,
        "seluruh_indonesia": None,
    }

    users = {
        "admin_nasional": make_staff(Role.ADMIN_NASIONAL),
        "admin_pemprov": make_staff(Role.ADMIN_INSTANSI, pemprov),
        "admin_pemkot": make_staff(Role.ADMIN_INSTANSI, pemkot),
        "penghubung_pupr": make_staff(Role.PENGHUBUNG, pupr_padang),
        "penghubung_dinkes": make_staff(Role.PENGHUBUNG, dinkes_padang),
        "pimpinan_pemprov": make_staff(Role.PIMPINAN, pemprov),
        "auditor_pemprov": make_staff(Role.AUDITOR, pemprov),
        "auditor_nasional": make_staff(Role.AUDITOR),
        "sysadmin": make_staff(Role.SYSADMIN),
        "pelapor": make_user(),
        "warga_lain": make_user(),
        "tamu": AnonymousUser(),
        "peran_dicabut": make_staff(Role.ADMIN_INSTANSI, pemkot),
        "akun_nonaktif": make_staff(Role.ADMIN_INSTANSI, pemkot, is_active=False),
    }
    StaffRole.objects.filter(user=users["peran_dicabut"]).update(is_active=False)

    def report(key, *, verifying, disposed_to=(), status=Status.TERDISPOSISI, reporter=None, **extra):
        r = Report.objects.create(
            tracking_number=new_tracking_number(),
            access_code=new_access_code(),
            kind=ReportType.PENGADUAN,
            title=f"Laporan {key}",
            description="Jalan berlubang di depan sekolah.",
            verifying_agency=verifying,
            reporter=reporter,
            status=status,
            **extra,
        )
        for agency in disposed_to:
            Disposition.objects.create(report=r, agency=agency, status=DispositionStatus.TERDISPOSISI)
        return r

    pelapor = users["pelapor"]
    reports = {
        "publik": report("publik", verifying=pemkot, disposed_to=[pupr_padang], reporter=pelapor),
        "anonim": report(
            "anonim", verifying=pemkot, disposed_to=[pupr_padang], reporter=pelapor, is_anonymous=True
        ),
        "rahasia": report(
            "rahasia", verifying=pemkot, disposed_to=[pupr_padang], reporter=pelapor, is_confidential=True
        ),
        # Disposed to two offices of the same city, filed by a guest without an account.
        "ganda": report(
            "ganda", verifying=pemkot, disposed_to=[pupr_padang, dinkes_padang], reporter_name="Tamu"
        ),
        "provinsi_lain": report(
            "provinsi_lain",
            verifying=provinsi_lain,
            status=Status.BELUM_TERVERIFIKASI,
            reporter=users["warga_lain"],
        ),
        # Addressed to no regional government: the national admins verify it.
        "nasional": report(
            "nasional", verifying=None, status=Status.BELUM_TERVERIFIKASI, reporter_name="Tamu"
        ),
    }
    dispositions = {
        "publik→pupr": reports["publik"].dispositions.get(),
        "ganda→pupr": reports["ganda"].dispositions.get(agency=pupr_padang),
        "ganda→dinkes": reports["ganda"].dispositions.get(agency=dinkes_padang),
    }
    return SimpleNamespace(agencies=agencies, users=users, reports=reports, dispositions=dispositions)


def _report(name):
    return lambda w, user, target: getattr(access, name)(user, w.reports[target])


def _disposition(name):
    return lambda w, user, target: getattr(access, name)(user, w.dispositions[target])


def _can(action):
    return lambda w, user, target: access.can(user, action, w.agencies[target])


QUESTIONS = {
    "can_verify": _report("can_verify"),
    "can_view_report": _report("can_view_report"),
    "can_view_report+kode": lambda w, u, t: access.can_view_report(
        u, w.reports[t], access_code=w.reports[t].access_code
    ),
    # Read aloud over the phone and typed in lower case, with a stray space: still the code.
    "can_view_report+kode_ketik": lambda w, u, t: access.can_view_report(
        u, w.reports[t], access_code=f" {w.reports[t].access_code.lower()}"
    ),
    "can_view_report+kode_salah": lambda w, u, t: access.can_view_report(
        u, w.reports[t], access_code="SALAH23456"
    ),
    "can_view_report_internal": _report("can_view_report_internal"),
    "can_see_identity": _report("can_see_identity"),
    "can_add_note": _report("can_add_note"),
    "can_work_disposition": _disposition("can_work_disposition"),
    "can_assign_liaison": _disposition("can_assign_liaison"),
    "is_eligible_liaison": lambda w, u, t: access.is_eligible_liaison(u, w.agencies[t]),
    "can[view_dashboard]": _can(Action.VIEW_DASHBOARD),
    "can[manage_directory]": _can(Action.MANAGE_DIRECTORY),
    "can[verify]": _can(Action.VERIFY),
    "can_manage_national_data": lambda w, u, t: access.can_manage_national_data(u),
    "can_change_agency": lambda w, u, t: access.can_change_agency(u, w.agencies[t]),
    "can_restructure_agency": lambda w, u, t: access.can_restructure_agency(u, w.agencies[t]),
    "can_place_agency_under": lambda w, u, t: access.can_place_agency_under(u, w.agencies[t]),
    "can_grant_role[penghubung]": lambda w, u, t: access.can_grant_role(u, Role.PENGHUBUNG, w.agencies[t]),
    "can_grant_role[admin_instansi]": lambda w, u, t: access.can_grant_role(
        u, Role.ADMIN_INSTANSI, w.agencies[t]
    ),
    "can_grant_role[admin_nasional]": lambda w, u, t: access.can_grant_role(u, Role.ADMIN_NASIONAL, None),
    "can_grant_role[sysadmin]": lambda w, u, t: access.can_grant_role(u, Role.SYSADMIN, None),
    "can_view_audit": lambda w, u, t: access.can_view_audit(u, w.agencies[t]),
    "needs_second_factor": lambda w, u, t: access.needs_second_factor(u),
}

NATIONAL_ADMINS = {"admin_nasional"}
PADANG_VERIFIERS = {"admin_nasional", "admin_pemprov", "admin_pemkot"}
# Everyone who may open a Padang report in the workbench that was disposed to PUPR only.
PADANG_INSIDERS = PADANG_VERIFIERS | {
    "penghubung_pupr",
    "pimpinan_pemprov",
    "auditor_pemprov",
    "auditor_nasional",
}
NATIONAL_READERS = {"admin_nasional", "auditor_nasional"}
PROVINCE_DASHBOARD = NATIONAL_READERS | {"admin_pemprov", "pimpinan_pemprov", "auditor_pemprov"}

# (question, asked about, exactly who gets "yes")
TABLE = [
    # Verifying: the verifying agency's admins and the admins above it; admin nasional everywhere.
    ("can_verify", "publik", PADANG_VERIFIERS),
    ("can_verify", "anonim", PADANG_VERIFIERS),
    ("can_verify", "rahasia", PADANG_VERIFIERS),
    ("can_verify", "ganda", PADANG_VERIFIERS),
    ("can_verify", "provinsi_lain", NATIONAL_ADMINS),
    ("can_verify", "nasional", NATIONAL_ADMINS),
    # The citizen-facing page: public reports to anyone, a confidential one to its reporter, to
    # whoever holds its access code, and to staff in scope.
    ("can_view_report", "publik", EVERYONE),
    ("can_view_report", "anonim", EVERYONE),
    ("can_view_report", "rahasia", PADANG_INSIDERS | {"pelapor"}),
    ("can_view_report+kode", "rahasia", EVERYONE),
    ("can_view_report+kode_ketik", "rahasia", EVERYONE),
    ("can_view_report+kode_salah", "rahasia", PADANG_INSIDERS | {"pelapor"}),
    ("can_view_report", "provinsi_lain", NATIONAL_READERS | {"warga_lain"}),
    ("can_view_report+kode", "provinsi_lain", EVERYONE),
    ("can_view_report", "nasional", NATIONAL_READERS),
    # The workbench view, internal notes included.
    ("can_view_report_internal", "publik", PADANG_INSIDERS),
    ("can_view_report_internal", "anonim", PADANG_INSIDERS),
    ("can_view_report_internal", "rahasia", PADANG_INSIDERS),
    ("can_view_report_internal", "ganda", PADANG_INSIDERS | {"penghubung_dinkes"}),
    ("can_view_report_internal", "provinsi_lain", NATIONAL_READERS),
    ("can_view_report_internal", "nasional", NATIONAL_READERS),
    # Who reported: anonymous reporters are known only to verifiers (and to themselves).
    ("can_see_identity", "publik", PADANG_INSIDERS | {"pelapor"}),
    ("can_see_identity", "anonim", PADANG_VERIFIERS | {"pelapor"}),
    ("can_see_identity", "rahasia", PADANG_INSIDERS | {"pelapor"}),
    ("can_see_identity", "ganda", PADANG_INSIDERS | {"penghubung_dinkes"}),
    ("can_see_identity", "provinsi_lain", NATIONAL_READERS | {"warga_lain"}),
    # Internal notes: verifiers, and liaisons/admins of an agency the report was disposed to.
    ("can_add_note", "publik", PADANG_VERIFIERS | {"penghubung_pupr"}),
    ("can_add_note", "ganda", PADANG_VERIFIERS | {"penghubung_pupr", "penghubung_dinkes"}),
    ("can_add_note", "provinsi_lain", NATIONAL_ADMINS),
    ("can_add_note", "nasional", NATIONAL_ADMINS),
    # Tindak lanjut (follow-up): the disposed agency's liaisons and the regional admins above it.
    ("can_work_disposition", "publik→pupr", {"admin_pemprov", "admin_pemkot", "penghubung_pupr"}),
    ("can_work_disposition", "ganda→pupr", {"admin_pemprov", "admin_pemkot", "penghubung_pupr"}),
    ("can_work_disposition", "ganda→dinkes", {"admin_pemprov", "admin_pemkot", "penghubung_dinkes"}),
    ("can_assign_liaison", "publik→pupr", {"admin_pemprov", "admin_pemkot"}),
    ("can_assign_liaison", "ganda→dinkes", {"admin_pemprov", "admin_pemkot"}),
    ("is_eligible_liaison", "pupr_padang", {"penghubung_pupr"}),
    ("is_eligible_liaison", "dinkes_padang", {"penghubung_dinkes"}),
    ("is_eligible_liaison", "pemkot", set()),
    # Dashboards: a scope and everything below it; the national readers everywhere.
    ("can[view_dashboard]", "seluruh_indonesia", NATIONAL_READERS),
    ("can[view_dashboard]", "nasional", NATIONAL_READERS),
    ("can[view_dashboard]", "pemprov", PROVINCE_DASHBOARD),
    ("can[view_dashboard]", "pupr_prov", PROVINCE_DASHBOARD),
    ("can[view_dashboard]", "pemkot", PROVINCE_DASHBOARD | {"admin_pemkot"}),
    ("can[view_dashboard]", "pupr_padang", PROVINCE_DASHBOARD | {"admin_pemkot"}),
    ("can[view_dashboard]", "provinsi_lain", NATIONAL_READERS),
    # National reference data (regions, categories, the calendar, national routing rules): admin
    # nasional and the sysadmin (issue 12: admin nasional manages it too, nobody below them).
    ("can[manage_directory]", "seluruh_indonesia", NATIONAL_ADMINS | {"sysadmin"}),
    ("can[manage_directory]", "pemprov", NATIONAL_ADMINS | {"sysadmin"}),
    ("can[manage_directory]", "pupr_padang", NATIONAL_ADMINS | {"sysadmin"}),
    ("can_manage_national_data", "seluruh_indonesia", NATIONAL_ADMINS | {"sysadmin"}),
    # Agencies: an admin instansi inside their own subtree; its root they may rename, not move.
    ("can_change_agency", "pemkot", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"}),
    ("can_change_agency", "pupr_padang", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"}),
    ("can_change_agency", "provinsi_lain", NATIONAL_ADMINS | {"sysadmin"}),
    ("can_restructure_agency", "pemkot", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov"}),
    ("can_restructure_agency", "pemprov", NATIONAL_ADMINS | {"sysadmin"}),
    (
        "can_restructure_agency",
        "dinkes_padang",
        NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"},
    ),
    ("can_place_agency_under", "pemkot", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"}),
    ("can_place_agency_under", "pupr_prov", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov"}),
    ("can_place_agency_under", "seluruh_indonesia", NATIONAL_ADMINS | {"sysadmin"}),
    # Roles: inside one's scope, and never a power one lacks.
    (
        "can_grant_role[penghubung]",
        "pupr_padang",
        NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"},
    ),
    ("can_grant_role[penghubung]", "pupr_prov", NATIONAL_ADMINS | {"sysadmin", "admin_pemprov"}),
    (
        "can_grant_role[admin_instansi]",
        "pemkot",
        NATIONAL_ADMINS | {"sysadmin", "admin_pemprov", "admin_pemkot"},
    ),
    ("can_grant_role[admin_instansi]", "provinsi_lain", NATIONAL_ADMINS | {"sysadmin"}),
    ("can_grant_role[admin_nasional]", "seluruh_indonesia", NATIONAL_ADMINS | {"sysadmin"}),
    ("can_grant_role[sysadmin]", "seluruh_indonesia", {"sysadmin"}),
    # The audit record: sysadmin, admin nasional, auditors (a scoped one: their subtree).
    ("can_view_audit", "pemkot", NATIONAL_ADMINS | {"sysadmin", "auditor_nasional", "auditor_pemprov"}),
    ("can_view_audit", "provinsi_lain", NATIONAL_ADMINS | {"sysadmin", "auditor_nasional"}),
    ("can[verify]", "pupr_prov", {"admin_nasional", "admin_pemprov"}),
]


@pytest.mark.parametrize(("question", "target", "allowed"), TABLE, ids=[f"{q}[{t}]" for q, t, _ in TABLE])
def test_exactly_these_actors_are_allowed(world, question, target, allowed):
    ask = QUESTIONS[question]
    actual = {who for who in ACTORS if ask(world, world.users[who], target)}
    assert actual == set(allowed)


# Which reports each actor's workbench lists (Report.objects.visible_to).
VISIBLE = [
    ("admin_nasional", {"publik", "anonim", "rahasia", "ganda", "provinsi_lain", "nasional"}),
    ("auditor_nasional", {"publik", "anonim", "rahasia", "ganda", "provinsi_lain", "nasional"}),
    ("admin_pemprov", {"publik", "anonim", "rahasia", "ganda"}),
    ("admin_pemkot", {"publik", "anonim", "rahasia", "ganda"}),
    ("pimpinan_pemprov", {"publik", "anonim", "rahasia", "ganda"}),
    ("auditor_pemprov", {"publik", "anonim", "rahasia", "ganda"}),
    ("penghubung_pupr", {"publik", "anonim", "rahasia", "ganda"}),
    ("penghubung_dinkes", {"ganda"}),
    ("sysadmin", set()),
    ("pelapor", set()),
    ("warga_lain", set()),
    ("tamu", set()),
    ("peran_dicabut", set()),
    ("akun_nonaktif", set()),
]


@pytest.mark.parametrize(("who", "expected"), VISIBLE, ids=[who for who, _ in VISIBLE])
def test_workbench_lists_exactly_the_reports_in_scope_each_once(world, who, expected):
    names = {r.pk: name for name, r in world.reports.items()}
    listed = Report.objects.visible_to(world.users[who])
    # A list, not a set: a report disposed to two offices in scope must still be listed once,
    # or counts and pages in the workbench come out wrong.
    assert sorted(names[r.pk] for r in listed) == sorted(expected)


def test_workbench_list_agrees_with_the_report_page_check(world):
    for who in ACTORS:
        user = world.users[who]
        listed = set(Report.objects.visible_to(user).values_list("pk", flat=True))
        for name, report in world.reports.items():
            assert (report.pk in listed) == access.can_view_report_internal(user, report), (who, name)


def test_checking_a_few_reports_admits_those_of_them_the_full_list_admits(world):
    import itertools

    pks = sorted(r.pk for r in world.reports.values())
    for who in ACTORS:
        user = world.users[who]
        listed = set(Report.objects.visible_to(user).values_list("pk", flat=True))
        for among in (pks, pks[:2], pks[2:], pks[::2], [], *itertools.combinations(pks, 1)):
            found = list(Report.objects.visible_to(user, among=list(among)).values_list("pk", flat=True))
            assert sorted(found) == sorted(listed & set(among)), (who, among)


def test_a_role_switched_off_during_a_request_stops_counting_once_forgotten(world):
    # Under OTPMiddleware request.user is a lazy proxy; forgetting must reach the real user.
    user = world.users["admin_pemkot"]
    request_user = SimpleLazyObject(lambda: user)
    assert access.can_verify(request_user, world.reports["publik"])
    StaffRole.objects.filter(user=user).update(is_active=False)
    access.forget_roles(request_user)
    assert not access.can_verify(request_user, world.reports["publik"])


def test_require_refuses_with_an_indonesian_message():
    with pytest.raises(access.PermissionDenied, match="tidak berwenang"):
        access.require(False)
    access.require(True)


def test_admins_and_sysadmin_need_a_second_factor_when_the_setting_is_on(world, settings):
    settings.ACCOUNTS_REQUIRE_TOTP = True
    needing = {who for who in ACTORS if QUESTIONS["needs_second_factor"](world, world.users[who], None)}
    assert needing == {"admin_nasional", "admin_pemprov", "admin_pemkot", "sysadmin"}

    settings.ACCOUNTS_REQUIRE_TOTP = False
    assert not any(access.needs_second_factor(world.users[who]) for who in ACTORS)
