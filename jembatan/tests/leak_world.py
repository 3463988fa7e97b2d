"""The leak matrix's province: the demo's roles, and reports that carry secrets.

Every secret is a marker string that occurs nowhere else in the world, so finding it in a response
proves the response came from that report's hidden part. Who may read each secret is written out
here by hand (VISIBLE_TO, IDENTITY_TO), from the rules in accounts/access.py, and never computed
by calling access.py: an oracle that asked the code under test would agree with every bug in it.

Agencies (as in the demo, ops/demo.py): Pemprov Sumatera Barat > Pemerintah Kota Padang > Dinas
PUPR and Dinas Kesehatan; Pemprov > Pemerintah Kabupaten Solok > its Dinas PUPR (another agency's
subtree for everyone in Padang); Pemprov Riau (another province, national roles only).
"""

from dataclasses import dataclass
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency, make_category, make_region
from jembatan.ops.demo import build_directory_managers_group
from jembatan.reports import actions
from jembatan.reports.models import ArchiveReason, Channel, Classification, Report, ReportType
from jembatan.reports.submission import NewReport

# The matrix's rows: every login of the demo (README's table), and three kinds of visitor.
ANONYMOUS = "anonymous"  # nobody logged in, no access code
GUEST_WITHOUT_CODE = "guest_without_code"  # a guest who reported, on another browser (no code)
GUEST_WITH_CODE = "guest_with_code"  # the same guest, having entered the report's access code
CITIZEN = "citizen"  # warga.demo: logged in, reported none of these
ADMIN_NASIONAL = "admin_nasional"
ADMIN_SUMBAR = "admin_sumbar"
ADMIN_PADANG = "admin_padang"
PENGHUBUNG_PUPR = "penghubung_pupr"
PENGHUBUNG_DINKES = "penghubung_dinkes"
PIMPINAN_SUMBAR = "pimpinan_sumbar"
AUDITOR_INSPEKTORAT = "auditor_inspektorat"
AUDITOR_OMBUDSMAN = "auditor_ombudsman"
SYSADMIN = "sysadmin"

ROLES = [
    ANONYMOUS,
    GUEST_WITHOUT_CODE,
    GUEST_WITH_CODE,
    CITIZEN,
    ADMIN_NASIONAL,
    ADMIN_SUMBAR,
    ADMIN_PADANG,
    PENGHUBUNG_PUPR,
    PENGHUBUNG_DINKES,
    PIMPINAN_SUMBAR,
    AUDITOR_INSPEKTORAT,
    AUDITOR_OMBUDSMAN,
    SYSADMIN,
]

# The reports (keys) and what makes each one secret.
CONF_PADANG = "conf_padang"  # confidential, Kota Padang, disposed to Dinas PUPR; a citizen's
ANON_PADANG = "anon_padang"  # public, anonymous citizen with an account; exact location
ANON_TEXT_PADANG = "anon_text_padang"  # public, anonymous guest who wrote their identity in the text
GUEST_CONF_DINKES = "guest_conf_dinkes"  # confidential guest report disposed to Dinas Kesehatan
CONF_SOLOK = "conf_solok"  # confidential, Kabupaten Solok (outside Padang's subtree)
CONF_RIAU = "conf_riau"  # confidential, another province
UNVERIFIED_PADANG = "unverified_padang"  # not confidential, but not yet verified: not public
SMS_NATIONAL = "sms_national"  # sent by SMS, no region yet: admin nasional verifies it

# Non-confidential reports whose title and text the tracking number alone opens (the tracking page
# and the citizen API, access.can_track_report), even before they are verified.
OPEN_BY_NUMBER = {UNVERIFIED_PADANG, SMS_NATIONAL}

REPORTS = [
    CONF_PADANG,
    ANON_PADANG,
    ANON_TEXT_PADANG,
    GUEST_CONF_DINKES,
    CONF_SOLOK,
    CONF_RIAU,
    UNVERIFIED_PADANG,
    SMS_NATIONAL,
]

_PROVINCE_STAFF = {ADMIN_NASIONAL, ADMIN_SUMBAR, PIMPINAN_SUMBAR, AUDITOR_INSPEKTORAT, AUDITOR_OMBUDSMAN}
_PADANG_STAFF = _PROVINCE_STAFF | {ADMIN_PADANG}

# Who may read a report's non-public part (the workbench view, access.can_view_report_internal,
# or the track page with the code). Liaisons see what was disposed to their agency's subtree.
VISIBLE_TO = {
    CONF_PADANG: _PADANG_STAFF | {PENGHUBUNG_PUPR},
    ANON_PADANG: _PADANG_STAFF | {PENGHUBUNG_PUPR},
    ANON_TEXT_PADANG: _PADANG_STAFF | {PENGHUBUNG_PUPR},
    GUEST_CONF_DINKES: _PADANG_STAFF | {PENGHUBUNG_DINKES, GUEST_WITH_CODE},
    CONF_SOLOK: _PROVINCE_STAFF,
    CONF_RIAU: {ADMIN_NASIONAL, AUDITOR_OMBUDSMAN},
    UNVERIFIED_PADANG: _PADANG_STAFF,
    SMS_NATIONAL: {ADMIN_NASIONAL, AUDITOR_OMBUDSMAN},
}

# Who may know who reported (access.can_see_identity): an anonymous reporter only to those who may
# verify the report (the verifying agency's admins and those above them, admin nasional), a named
# reporter to everyone who may read the report internally, and always to the reporter.
_VERIFIERS_PADANG = {ADMIN_NASIONAL, ADMIN_SUMBAR, ADMIN_PADANG}
IDENTITY_TO = {
    CONF_PADANG: VISIBLE_TO[CONF_PADANG],
    ANON_PADANG: _VERIFIERS_PADANG,
    ANON_TEXT_PADANG: _VERIFIERS_PADANG,
    GUEST_CONF_DINKES: VISIBLE_TO[GUEST_CONF_DINKES],
    CONF_SOLOK: VISIBLE_TO[CONF_SOLOK],
    CONF_RIAU: VISIBLE_TO[CONF_RIAU],
    UNVERIFIED_PADANG: VISIBLE_TO[UNVERIFIED_PADANG],
    SMS_NATIONAL: VISIBLE_TO[SMS_NATIONAL],
}

# Kinds of secret. A response fails when it holds a secret its role may not read on that surface.
CONTENT = "content"  # title, text, attachment of a report that is not public
IDENTITY = "identity"  # who reported: name, e-mail, phone (the reporter's fields or account)
TEXT_IDENTITY = "text_identity"  # identity the reporter typed into an anonymous report's text
LOCATION = "location"  # exact coordinates and free-text address of an anonymous report
# An anonymous report's (public) title, where it would tie the report to its reporter's account:
# checked only on the pages that list accounts (the accounts admin).
LINK = "link"


@dataclass(frozen=True)
class Secret:
    report: str
    kind: str
    marker: str  # looked for in the decoded response; a phone's digits are looked for without separators
    what: str
    is_phone: bool = False
    account_holder: bool = False  # part of a user account (the accounts admin may list it)

    def __str__(self):
        return f"{self.what} of {self.report} ({self.marker})"


def _phone(report, kind, digits, what, account_holder=False):
    # The subscriber digits without the 0 / 62 prefix: the same in 0812…, +62 812-…, 62812….
    return Secret(report, kind, digits, what, is_phone=True, account_holder=account_holder)


SECRETS = [
    # A confidential report of a citizen with an account.
    Secret(CONF_PADANG, CONTENT, "RHSPDGJUDUL", "title"),
    Secret(CONF_PADANG, CONTENT, "RHSPDGISI", "text"),
    Secret(CONF_PADANG, CONTENT, "RHSPDGLAMPIRAN", "attachment content"),
    Secret(CONF_PADANG, CONTENT, "rhspdgberkas", "attachment file name"),
    Secret(CONF_PADANG, IDENTITY, "Sukmawindari", "reporter's first name", account_holder=True),
    Secret(CONF_PADANG, IDENTITY, "sukmawindari.rambeyanto", "reporter's e-mail", account_holder=True),
    _phone(CONF_PADANG, IDENTITY, "81298887766", "reporter's phone", account_holder=True),
    # A public report of an anonymous citizen with an account, with a reporter-only attachment.
    Secret(ANON_PADANG, IDENTITY, "Wiradharma", "reporter's first name", account_holder=True),
    Secret(ANON_PADANG, IDENTITY, "Sitanggangpati", "reporter's last name", account_holder=True),
    Secret(ANON_PADANG, IDENTITY, "wiradharma.sitanggang77", "reporter's e-mail", account_holder=True),
    _phone(ANON_PADANG, IDENTITY, "81377712345", "reporter's phone", account_holder=True),
    Secret(ANON_PADANG, CONTENT, "LMPANONPRIVAT", "reporter-only attachment content"),
    Secret(ANON_PADANG, LINK, "ANMPDGJUDUL", "title beside the reporter's account"),
    Secret(ANON_PADANG, LOCATION, "0.947123", "exact latitude"),
    Secret(ANON_PADANG, LOCATION, "100.417456", "exact longitude"),
    Secret(ANON_PADANG, LOCATION, "Tembesu Indah", "free-text address"),
    # A public report of an anonymous guest, who also wrote their identity into the text.
    Secret(ANON_TEXT_PADANG, IDENTITY, "Marlindawati", "guest reporter's name"),
    Secret(ANON_TEXT_PADANG, IDENTITY, "marlindawati.situmeang41", "guest reporter's e-mail"),
    _phone(ANON_TEXT_PADANG, IDENTITY, "85261234987", "guest reporter's phone"),
    Secret(ANON_TEXT_PADANG, TEXT_IDENTITY, "Rosmaniar", "name written in the text"),
    Secret(ANON_TEXT_PADANG, TEXT_IDENTITY, "1371024509870003", "NIK written in the text"),
    _phone(ANON_TEXT_PADANG, TEXT_IDENTITY, "81266774411", "phone written in the text"),
    Secret(ANON_TEXT_PADANG, TEXT_IDENTITY, "rosmaniar.pohan", "e-mail written in the text"),
    # A confidential guest report; the "guest with code" role is its reporter.
    Secret(GUEST_CONF_DINKES, CONTENT, "RHSDKSJUDUL", "title"),
    Secret(GUEST_CONF_DINKES, CONTENT, "RHSDKSISI", "text"),
    Secret(GUEST_CONF_DINKES, IDENTITY, "Yohannabatu", "guest reporter's name"),
    Secret(GUEST_CONF_DINKES, IDENTITY, "yohanna.batubara58", "guest reporter's e-mail"),
    _phone(GUEST_CONF_DINKES, IDENTITY, "82174650391", "guest reporter's phone"),
    # Another agency's subtree, and another province.
    Secret(CONF_SOLOK, CONTENT, "RHSSLKJUDUL", "title"),
    Secret(CONF_SOLOK, CONTENT, "RHSSLKISI", "text"),
    Secret(CONF_SOLOK, IDENTITY, "Hendrawina", "guest reporter's name"),
    _phone(CONF_SOLOK, IDENTITY, "85374519926", "guest reporter's phone"),
    Secret(CONF_RIAU, CONTENT, "RHSRIAUJUDUL", "title"),
    Secret(CONF_RIAU, CONTENT, "RHSRIAUISI", "text"),
    Secret(CONF_RIAU, IDENTITY, "Putrianggun", "guest reporter's name"),
    # Not confidential, but unverified: not on any public surface until verified.
    Secret(UNVERIFIED_PADANG, CONTENT, "BLMVRFJUDUL", "title"),
    Secret(UNVERIFIED_PADANG, CONTENT, "BLMVRFISI", "text"),
    # An SMS report (unverified, so its text is not public yet) and its sender's number.
    Secret(SMS_NATIONAL, CONTENT, "SMSRHSISI", "text"),
    _phone(SMS_NATIONAL, IDENTITY, "85366112299", "sender's phone"),
]

SMS_SECRET = "rahasia-gateway-sms-matriks"


def may_read(role, secret, *, public_surface):
    """May `role` read `secret` on a surface? Public surfaces show no secret to anyone."""
    if public_surface:
        return False
    if secret.kind == CONTENT:
        return role in VISIBLE_TO[secret.report]
    if secret.kind in (IDENTITY, TEXT_IDENTITY):
        return role in IDENTITY_TO[secret.report]
    if secret.kind == LOCATION:
        return role in VISIBLE_TO[secret.report]
    if secret.kind == LINK:
        return role in IDENTITY_TO[secret.report]
    raise ValueError(secret.kind)


def _pdf(marker):
    return f"%PDF-1.4\n% {marker}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode()


def build_leak_world():
    """Build the province, its people, and the reports through the real actions and the SMS gateway."""
    w = SimpleNamespace()
    region_prov = make_region("13", "Sumatera Barat")
    region_padang = make_region("13.71", "Kota Padang")
    w.village_padang = make_region("13.71.03.1006", "Kelurahan Olo")
    make_region("13.02", "Kabupaten Solok")
    village_solok = make_region("13.02.01.1001", "Nagari Koto Baru")
    region_riau = make_region("14", "Riau")
    make_region("14.71", "Kota Pekanbaru")
    village_riau = make_region("14.71.01.1001", "Kelurahan Simpang Empat")
    w.kemenpanrb = make_agency("KemenPANRB", kind=AgencyKind.KEMENTERIAN_LEMBAGA, code="kemenpanrb")
    w.prov = make_agency(
        "Pemerintah Provinsi Sumatera Barat",
        kind=AgencyKind.PEMPROV,
        region=region_prov,
        code="pemprov-sumbar",
    )
    w.padang = make_agency(
        "Pemerintah Kota Padang",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=w.prov,
        region=region_padang,
        code="pemkot-padang",
    )
    w.pupr = make_agency("Dinas PUPR Kota Padang", parent=w.padang, region=region_padang, code="padang-pupr")
    w.dinkes = make_agency(
        "Dinas Kesehatan Kota Padang", parent=w.padang, region=region_padang, code="padang-dinkes"
    )
    w.solok = make_agency(
        "Pemerintah Kabupaten Solok",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=w.prov,
        region=village_solok.parent.parent,
        code="pemkab-solok",
    )
    w.solok_pupr = make_agency("Dinas PUPR Kabupaten Solok", parent=w.solok, code="solok-pupr")
    w.riau = make_agency("Pemerintah Provinsi Riau", kind=AgencyKind.PEMPROV, region=region_riau, code="riau")
    w.riau_pu = make_agency("Dinas PU Riau", parent=w.riau, code="riau-pu")
    w.category = make_category("Jalan Rusak", code="C-JALAN")
    ArchiveReason.objects.get_or_create(code="tidak-jelas", defaults={"name": "Tidak Jelas"})

    # The demo's logins (ops/demo.py DEMO_PEOPLE): same roles, scopes and admin flags.
    managers = build_directory_managers_group()
    w.users = {
        ADMIN_NASIONAL: make_staff(Role.ADMIN_NASIONAL, None, username="admin.nasional", is_staff=True),
        ADMIN_SUMBAR: make_staff(Role.ADMIN_INSTANSI, w.prov, username="admin.sumbar", is_staff=True),
        ADMIN_PADANG: make_staff(Role.ADMIN_INSTANSI, w.padang, username="admin.padang", is_staff=True),
        PENGHUBUNG_PUPR: make_staff(Role.PENGHUBUNG, w.pupr, username="penghubung.pupr"),
        PENGHUBUNG_DINKES: make_staff(Role.PENGHUBUNG, w.dinkes, username="penghubung.dinkes"),
        PIMPINAN_SUMBAR: make_staff(Role.PIMPINAN, w.prov, username="pimpinan.sumbar"),
        AUDITOR_INSPEKTORAT: make_staff(Role.AUDITOR, w.prov, username="auditor.inspektorat"),
        AUDITOR_OMBUDSMAN: make_staff(Role.AUDITOR, None, username="auditor.ombudsman"),
        SYSADMIN: make_staff(Role.SYSADMIN, None, username="sysadmin", is_staff=True, is_superuser=True),
        CITIZEN: make_user("warga.demo", full_name="Siti Aisyah", email="siti.aisyah@example.id"),
    }
    for role in (ADMIN_NASIONAL, ADMIN_SUMBAR, ADMIN_PADANG):
        w.users[role].groups.add(managers)
    conf_reporter = make_user(
        "pelapor.rahasia",
        full_name="Sukmawindari Rambeyanto",
        email="sukmawindari.rambeyanto@contoh.id",
        phone="081298887766",
    )
    anon_reporter = make_user(
        "pelapor.anonim",
        full_name="Wiradharma Sitanggangpati",
        email="wiradharma.sitanggang77@contoh.id",
        phone="0813 7771 2345",
    )

    def submit(**values):
        values.setdefault("kind", ReportType.PENGADUAN)
        values.setdefault("channel", Channel.WEB)
        values.setdefault("region", w.village_padang)
        values.setdefault("category", w.category)
        actor = values.pop("actor", None)
        if "attachments" in values:
            values["attachments"] = tuple(values["attachments"])
        return actions.submit_report(new=NewReport(**values), actor=actor)

    def verify_and_dispose(report, verifier, agency):
        report = actions.verify_report(
            report=report, actor=verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
        )
        return actions.dispose_report(
            report=report, actor=verifier, agencies=[agency], instruction="Mohon dicek."
        )

    admin_padang, admin_sumbar = w.users[ADMIN_PADANG], w.users[ADMIN_SUMBAR]
    r = {}
    r[CONF_PADANG] = verify_and_dispose(
        submit(
            title="RHSPDGJUDUL pungutan liar di kantor kelurahan",
            description="RHSPDGISI: petugas kelurahan meminta uang Rp 200.000 untuk surat domisili.",
            actor=conf_reporter,
            is_confidential=True,
            attachments=[SimpleUploadedFile("bukti-rhspdgberkas.pdf", _pdf("RHSPDGLAMPIRAN"))],
        ),
        admin_padang,
        w.pupr,
    )
    r[ANON_PADANG] = verify_and_dispose(
        submit(
            title="ANMPDGJUDUL drainase tersumbat di lorong",
            description="Saluran air tersumbat sampah sejak tiga minggu, air meluap ke jalan saat hujan.",
            actor=anon_reporter,
            is_anonymous=True,
            address="Lorong Tembesu Indah 17B",
            latitude="-0.947123",
            longitude="100.417456",
            attachments=[SimpleUploadedFile("foto-saluran.pdf", _pdf("LMPANONPRIVAT"))],
        ),
        admin_padang,
        w.pupr,
    )
    r[ANON_TEXT_PADANG] = verify_and_dispose(
        submit(
            title="Jalan amblas di depan pasar",
            description=(
                "Jalan di depan pasar amblas sedalam setengah meter dan membahayakan pengendara. "
                "Nama saya Rosmaniar Pohan, NIK 1371024509870003, HP 0812-6677-4411, "
                "email rosmaniar.pohan@contoh.id, silakan hubungi saya."
            ),
            reporter_name="Marlindawati Situmeang",
            reporter_email="marlindawati.situmeang41@contoh.id",
            reporter_phone="085261234987",
            is_anonymous=True,
        ),
        admin_padang,
        w.pupr,
    )
    guest_report = submit(
        title="RHSDKSJUDUL obat kosong di puskesmas",
        description="RHSDKSISI: apotek puskesmas selalu menyuruh pasien membeli obat di apotek swasta.",
        reporter_name="Yohannabatu Simanjorang",
        reporter_email="yohanna.batubara58@contoh.id",
        reporter_phone="082174650391",
        is_confidential=True,
    )
    w.guest_access_code = guest_report.access_code
    r[GUEST_CONF_DINKES] = verify_and_dispose(guest_report, admin_padang, w.dinkes)
    r[CONF_SOLOK] = verify_and_dispose(
        submit(
            title="RHSSLKJUDUL dana nagari diselewengkan",
            description="RHSSLKISI: bantuan dana nagari tidak pernah sampai ke kelompok tani kami.",
            reporter_name="Hendrawina Chaniago",
            reporter_phone="085374519926",
            region=village_solok,
            is_confidential=True,
        ),
        admin_sumbar,
        w.solok_pupr,
    )
    r[CONF_RIAU] = verify_and_dispose(
        submit(
            title="RHSRIAUJUDUL izin usaha dipersulit",
            description="RHSRIAUISI: pengurusan izin usaha mikro diminta biaya tambahan oleh oknum.",
            reporter_name="Putrianggun Lestari",
            reporter_email="putrianggun.lestari@contoh.id",
            region=village_riau,
            is_confidential=True,
        ),
        w.users[ADMIN_NASIONAL],
        w.riau_pu,
    )
    # Another citizen: a non-confidential report's tracking page names its reporter's first name.
    r[UNVERIFIED_PADANG] = submit(
        title="BLMVRFJUDUL lampu jalan mati",
        description="BLMVRFISI: lampu penerangan jalan di simpang empat mati sejak sebulan lalu.",
        actor=make_user("pelapor.lampu", full_name="Gusnaldi Tanjung", email="gusnaldi@contoh.id"),
    )
    # Through the SMS gateway's webhook, as the gateway would post it (the intake log keeps the text).
    with override_settings(CHANNELS_SMS_SECRET=SMS_SECRET):
        response = Client().post(
            "/kanal/sms/",
            {
                "MessageSid": "matriks-1",
                "From": "085366112299",
                "Body": "LAPOR SMSRHSISI lampu jalan di Jalan Veteran mati total sejak seminggu lalu",
            },
            HTTP_AUTHORIZATION=f"Bearer {SMS_SECRET}",
        )
    assert response.status_code == 200, response.content
    r[SMS_NATIONAL] = Report.objects.get(description__contains="SMSRHSISI")
    assert r[SMS_NATIONAL].verifying_agency_id is None and not r[SMS_NATIONAL].is_confidential
    for report in r.values():
        report.refresh_from_db()
    w.reports = r
    w.attachments = {key: list(report.attachments.all()) for key, report in r.items()}
    w.dispositions = {key: list(report.dispositions.all()) for key, report in r.items()}
    return w
