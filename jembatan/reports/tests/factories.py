"""A small government and its people, and reports driven through the real actions."""

from types import SimpleNamespace

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency, make_category, make_region
from jembatan.reports import actions
from jembatan.reports.models import ArchiveReason, Channel, Classification, ReportType


def build_world():
    """Pemprov (13) > Pemkot Padang (13.71) > Dinas PUPR / Dinas Kesehatan, and one officer per role."""
    w = SimpleNamespace()
    w.region_prov = make_region("13", "Sumatera Barat")
    w.region_padang = make_region("13.71", "Kota Padang")
    w.region_village = make_region("13.71.01.1001", "Kelurahan Contoh")
    w.national = make_agency("KemenPANRB", kind=AgencyKind.KEMENTERIAN_LEMBAGA, code="kemenpanrb")
    w.prov = make_agency(
        "Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region=w.region_prov, code="sumbar"
    )
    w.padang = make_agency(
        "Pemerintah Kota Padang",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=w.prov,
        region=w.region_padang,
        code="padang",
    )
    w.pupr = make_agency(
        "Dinas PUPR Kota Padang", parent=w.padang, region=w.region_padang, code="padang-pupr"
    )
    w.dinkes = make_agency(
        "Dinas Kesehatan Kota Padang", parent=w.padang, region=w.region_padang, code="padang-dinkes"
    )
    w.category = make_category("Jalan Rusak")
    w.admin_nasional = make_staff(Role.ADMIN_NASIONAL, None, username="nasional", email="nasional@example.id")
    w.verifier_prov = make_staff(Role.ADMIN_INSTANSI, w.prov, username="verif.prov", email="prov@example.id")
    w.verifier = make_staff(Role.ADMIN_INSTANSI, w.padang, username="verif.padang", email="padang@example.id")
    w.coordinator_pupr = make_staff(
        Role.ADMIN_INSTANSI, w.pupr, username="koord.pupr", email="kpupr@example.id"
    )
    w.liaison_pupr = make_staff(Role.PENGHUBUNG, w.pupr, username="hub.pupr", email="hpupr@example.id")
    w.liaison_dinkes = make_staff(
        Role.PENGHUBUNG, w.dinkes, username="hub.dinkes", email="hdinkes@example.id"
    )
    w.auditor = make_staff(Role.AUDITOR, w.prov, username="auditor", email="auditor@example.id")
    w.citizen = make_user("warga", full_name="Siti Rahmawati", email="siti@example.id", phone="081234567890")
    w.other_citizen = make_user("warga2", full_name="Budi Santoso", email="budi@example.id")
    # get_or_create: a transactional test elsewhere may have flushed the data migration's rows.
    w.reason_unclear, _ = ArchiveReason.objects.get_or_create(
        code="tidak-jelas", defaults={"name": "Tidak Jelas"}
    )
    return w


DESCRIPTION = "Jalan di depan SDN 12 Padang berlubang besar sejak dua minggu, membahayakan pengendara motor."


def submit(w, **overrides):
    values = dict(
        kind=ReportType.PENGADUAN,
        title="Jalan berlubang di depan SDN 12",
        description=DESCRIPTION,
        actor=w.citizen,
        channel=Channel.WEB,
        region=w.region_village,
        category=w.category,
    )
    values.update(overrides)
    actor = values.pop("actor", None)
    return actions.submit_report(new=actions.NewReport(**values), actor=actor)


def with_code(report, code):
    """`report` still knowing its access code (the table holds only its hash), as the guest does."""
    report._access_code = code
    return report


def disposed(w, **overrides):
    report = submit(w, **overrides)
    code = report.access_code
    report = actions.verify_report(
        report=report, actor=w.verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
    )
    report = actions.dispose_report(
        report=report, actor=w.verifier, agencies=[w.pupr], instruction="Mohon dicek."
    )
    return with_code(report, code)


def in_progress(w, **overrides):
    report = disposed(w, **overrides)
    actions.start_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr)
    report.refresh_from_db()
    return report


def answered(w, **overrides):
    report = in_progress(w, **overrides)
    actions.post_follow_up(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        text="Lubang sudah ditambal oleh tim pemeliharaan jalan pada hari Senin.",
    )
    report.refresh_from_db()
    return report
