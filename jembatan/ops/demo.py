"""The demo province (Sumatera Barat): its agencies, routing rules and one login per role.

`manage.py seed_demo` calls `seed_demo()`. Every object has a stable code (agencies, categories)
or natural key (users, rules), and a builder only writes when something differs from the spec
below, so running it twice changes nothing, and running it after an upgrade brings the demo up to
date without duplicating anything.
"""

from base64 import b32encode
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jembatan.accounts.access import SECOND_FACTOR_ROLES
from jembatan.accounts.models import Role, StaffRole, User
from jembatan.directory.actions import load_categories
from jembatan.directory.models import Agency, AgencyKind, Category, Region, RegionLevel, RoutingRule
from jembatan.directory.sources import read_categories
from jembatan.notify.phones import normalize_phone
from jembatan.workbench.models import ResponseTemplate, TemplatePurpose

# Development only: `make run` prints these, the README lists them.
DEMO_PASSWORD = "jembatan-demo-2026"
# The authenticator secret of every demo officer whose role needs a second factor (admins and the
# sysadmin, see access.SECOND_FACTOR_ROLES). Published like the password: `manage.py demo_totp`
# prints the current code, and any authenticator app takes DEMO_TOTP_SECRET_BASE32.
DEMO_TOTP_KEY = b"jembatan-demo-totp-1"
DEMO_TOTP_SECRET_BASE32 = b32encode(DEMO_TOTP_KEY).decode()

PROVINCE_CODE = "13"  # Sumatera Barat
CITY_CODE = "13.71"  # Kota Padang
PROVINCE_AGENCY = "pemprov-sumbar"
CITY_AGENCY = "pemkot-padang"


class DemoError(Exception):
    """The demo cannot be built on this database as it is (e.g. the regions are not loaded)."""


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    email: str
    role: str | None  # None: a citizen
    agency: str | None  # agency code of the StaffRole; None for national roles
    agency_label: str  # what `make run` prints beside the username
    phone: str = ""
    is_staff: bool = False  # may open the Django admin (directory management)
    is_superuser: bool = False


DEMO_PEOPLE = [
    DemoPerson(
        "admin.nasional", "Rina Kusumawardhani", "rina.kusumawardhani@example.id",
        Role.ADMIN_NASIONAL, None, "Nasional (KemenPANRB)", is_staff=True,
    ),
    DemoPerson(
        "admin.sumbar", "Yulia Rahmi", "yulia.rahmi@example.id",
        Role.ADMIN_INSTANSI, PROVINCE_AGENCY, "Pemprov Sumatera Barat", is_staff=True,
    ),
    DemoPerson(
        "admin.padang", "Rahmat Hidayat", "rahmat.hidayat@example.id",
        Role.ADMIN_INSTANSI, CITY_AGENCY, "Pemerintah Kota Padang", is_staff=True,
    ),
    DemoPerson(
        "penghubung.pupr", "Fadli Syahputra", "fadli.syahputra@example.id",
        Role.PENGHUBUNG, "padang-dinas-pupr", "Dinas PUPR Kota Padang",
    ),
    DemoPerson(
        "penghubung.dinkes", "Desi Fitriani", "desi.fitriani@example.id",
        Role.PENGHUBUNG, "padang-dinas-kesehatan", "Dinas Kesehatan Kota Padang",
    ),
    DemoPerson(
        "pimpinan.sumbar", "Syafrizal Malin Kayo", "syafrizal.malinkayo@example.id",
        Role.PIMPINAN, PROVINCE_AGENCY, "Pemprov Sumatera Barat",
    ),
    DemoPerson(
        "auditor.inspektorat", "Nofrianti Zainal", "nofrianti.zainal@example.id",
        Role.AUDITOR, PROVINCE_AGENCY, "Pemprov Sumatera Barat (Inspektorat)",
    ),
    DemoPerson(
        "auditor.ombudsman", "Bagus Prasetyo", "bagus.prasetyo@example.id",
        Role.AUDITOR, None, "Nasional (Ombudsman RI)",
    ),
    DemoPerson(
        "sysadmin", "Irwan Kurniawan", "irwan.kurniawan@example.id",
        Role.SYSADMIN, None, "Nasional (Diskominfotik Sumbar)", is_staff=True, is_superuser=True,
    ),
    DemoPerson(
        "warga.demo", "Siti Aisyah", "siti.aisyah@example.id",
        None, None, "—", phone="081200000001",
    ),
]  # fmt: skip

_ROLE_LABELS = {
    Role.ADMIN_NASIONAL: "Admin Nasional",
    Role.ADMIN_INSTANSI: "Admin Instansi / Koordinator",
    Role.PENGHUBUNG: "Penghubung",
    Role.PIMPINAN: "Pimpinan",
    Role.AUDITOR: "Auditor",
    Role.SYSADMIN: "Sysadmin",
    None: "Warga",
}

# (username, role label, agency label) — one demo login per role; `make run` prints this table.
DEMO_USERS = [(person.username, _ROLE_LABELS[person.role], person.agency_label) for person in DEMO_PEOPLE]

# Django model permissions of the admin.* users. They no longer decide anything in the directory's
# admin: accounts/access.py does (own subtree only, national data for admin nasional and sysadmin),
# and every change goes through an audited action. Kept so an existing database's group stays valid.
DIRECTORY_MANAGERS_GROUP = "Pengelola Direktori"
DIRECTORY_MANAGER_PERMISSIONS = [
    "view_region", "change_region",
    "view_agency", "add_agency", "change_agency",
    "view_category", "add_category", "change_category",
    "view_routingrule", "add_routingrule", "change_routingrule", "delete_routingrule",
]  # fmt: skip

# National layer: no region, the whole country.
NATIONAL_AGENCIES = [
    # (code, name, short name, kind)
    (
        "kemenpanrb",
        "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
        "KemenPANRB",
        AgencyKind.KEMENTERIAN_LEMBAGA,
    ),
    ("kemenkes", "Kementerian Kesehatan", "Kemenkes", AgencyKind.KEMENTERIAN_LEMBAGA),
    (
        "kemendikdasmen",
        "Kementerian Pendidikan Dasar dan Menengah",
        "Kemendikdasmen",
        AgencyKind.KEMENTERIAN_LEMBAGA,
    ),
    ("kemen-pu", "Kementerian Pekerjaan Umum", "Kementerian PU", AgencyKind.KEMENTERIAN_LEMBAGA),
    ("kemendagri", "Kementerian Dalam Negeri", "Kemendagri", AgencyKind.KEMENTERIAN_LEMBAGA),
    ("bpjs-kesehatan", "BPJS Kesehatan", "BPJS Kesehatan", AgencyKind.BUMN),
    ("ombudsman-ri", "Ombudsman Republik Indonesia", "Ombudsman RI", AgencyKind.OMBUDSMAN),
]

# Perangkat daerah (OPD) of the province and of Kota Padang: (code suffix, name, short name, kind).
# The full name appends the government ("Dinas Kesehatan Kota Padang"), the code prefixes it.
_COMMON_OPD = [
    ("dinas-pupr", "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas PUPR", AgencyKind.DINAS),
    ("dinas-kesehatan", "Dinas Kesehatan", "Dinkes", AgencyKind.DINAS),
    ("dinas-pendidikan", "Dinas Pendidikan", "Disdik", AgencyKind.DINAS),
    ("dinas-perhubungan", "Dinas Perhubungan", "Dishub", AgencyKind.DINAS),
    ("satpol-pp", "Satuan Polisi Pamong Praja", "Satpol PP", AgencyKind.SATPOL_PP),
    ("dinas-sosial", "Dinas Sosial", "Dinsos", AgencyKind.DINAS),
    ("disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil", AgencyKind.DINAS),
    ("dlh", "Dinas Lingkungan Hidup", "DLH", AgencyKind.DINAS),
    ("inspektorat", "Inspektorat", "Inspektorat", AgencyKind.INSPEKTORAT),
]
PROVINCE_OPD = [
    *_COMMON_OPD,
    ("diskominfotik", "Dinas Komunikasi, Informatika dan Statistik", "Diskominfotik", AgencyKind.DINAS),
    ("bkd", "Badan Kepegawaian Daerah", "BKD", AgencyKind.BADAN),
]
CITY_OPD = [
    *_COMMON_OPD,
    ("diskominfo", "Dinas Komunikasi dan Informatika", "Diskominfo", AgencyKind.DINAS),
    ("bkpsdm", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "BKPSDM", AgencyKind.BADAN),
    ("perumda-air-minum", "Perumda Air Minum", "Perumda AM", AgencyKind.BUMD),
]

# Below Kota Padang, for realism: (code, name, short name, kind, region code, parent agency code).
CITY_LOCAL_UNITS = [
    ("padang-kec-padang-barat", "Kecamatan Padang Barat", "", AgencyKind.KECAMATAN, "13.71.03", CITY_AGENCY),
    ("padang-kec-padang-timur", "Kecamatan Padang Timur", "", AgencyKind.KECAMATAN, "13.71.02", CITY_AGENCY),
    ("padang-kec-koto-tangah", "Kecamatan Koto Tangah", "", AgencyKind.KECAMATAN, "13.71.11", CITY_AGENCY),
    ("padang-kel-olo", "Kelurahan Olo", "", AgencyKind.KELURAHAN, "13.71.03.1006", "padang-kec-padang-barat"),
    (
        "padang-kel-andalas", "Kelurahan Andalas", "", AgencyKind.KELURAHAN, "13.71.02.1007",
        "padang-kec-padang-timur",
    ),
    (
        "padang-puskesmas-andalas", "Puskesmas Andalas", "", AgencyKind.PUSKESMAS, "13.71.02",
        "padang-dinas-kesehatan",
    ),
    (
        "padang-puskesmas-padang-pasir", "Puskesmas Padang Pasir", "", AgencyKind.PUSKESMAS, "13.71.03",
        "padang-dinas-kesehatan",
    ),
    (
        "padang-rsud-rasidin", "RSUD dr. Rasidin Padang", "RSUD Rasidin", AgencyKind.RUMAH_SAKIT, CITY_CODE,
        CITY_AGENCY,
    ),
]  # fmt: skip

# (category or group code, region code or None for national, agency code, note). A category's own
# rule beats its group's (see directory/routing.py), so a few categories get their own rule where
# the office differs from the group's: street lighting is Dishub's, water is the Perumda's.
# Aparatur has no rule on purpose: its categories' default kinds (badan "Kepegawaian", and
# inspektorat for KKN) already find the most local BKD/BKPSDM or Inspektorat.
_LOCAL_GROUP_OFFICES = [
    ("G-INFRA", "dinas-pupr"),
    ("G-KESEHATAN", "dinas-kesehatan"),
    ("G-PENDIDIKAN", "dinas-pendidikan"),
    ("G-PERHUBUNGAN", "dinas-perhubungan"),
    ("G-ADMINDUK", "disdukcapil"),
    ("G-TRANTIBUM", "satpol-pp"),
    ("G-LINGKUNGAN", "dlh"),
    ("G-SOSIAL", "dinas-sosial"),
]
ROUTING_RULES = [
    *[(group, CITY_CODE, f"padang-{office}", "") for group, office in _LOCAL_GROUP_OFFICES],
    ("1398", CITY_CODE, "padang-dinas-perhubungan", "Penerangan jalan umum dikelola Dishub Kota Padang."),
    ("1010", CITY_CODE, "padang-perumda-air-minum", ""),
    ("1618", CITY_CODE, "padang-perumda-air-minum", ""),
    ("1620", CITY_CODE, "padang-perumda-air-minum", ""),
    *[(group, PROVINCE_CODE, f"sumbar-{office}", "") for group, office in _LOCAL_GROUP_OFFICES],
    ("1387", None, "bpjs-kesehatan", "Kepesertaan dan iuran JKN ditangani BPJS Kesehatan."),
    ("1391", None, "bpjs-kesehatan", ""),
    ("G-LAPOR", None, "kemenpanrb", "Pengelola SP4N-LAPOR!"),
]


@dataclass
class DemoSummary:
    """What seed_demo found and did, per kind of object: Counter(created=, updated=, unchanged=)."""

    agencies: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)
    users: Counter = field(default_factory=Counter)
    roles: Counter = field(default_factory=Counter)
    templates: Counter = field(default_factory=Counter)

    @property
    def changed(self):
        tallies = (self.agencies, self.categories, self.rules, self.users, self.roles, self.templates)
        return any(tally["created"] or tally["updated"] for tally in tallies)


def _sync(model, lookup, values, tally):
    """Create the row, or update only the fields that differ; count what happened in `tally`."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        tally["created"] += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
        tally["updated"] += 1
    else:
        tally["unchanged"] += 1
    return obj


def check_regions():
    """Raise DemoError unless the regions the demo stands on are loaded."""
    needed = {PROVINCE_CODE, CITY_CODE} | {unit[4] for unit in CITY_LOCAL_UNITS}
    found = set(Region.objects.filter(code__in=needed).values_list("code", flat=True))
    if found != needed:
        raise DemoError(
            _("Data wilayah belum dimuat (tidak ada kode %(codes)s). Jalankan dulu: manage.py load_regions")
            % {"codes": ", ".join(sorted(needed - found))}
        )


def build_national_agencies(summary):
    """The ministries and national bodies (no region: they serve the whole country)."""
    return {
        code: _sync(
            Agency,
            {"code": code},
            {
                "name": name,
                "short_name": short,
                "kind": kind,
                "parent": None,
                "region": None,
                "is_active": True,
            },
            summary.agencies,
        )
        for code, name, short, kind in NATIONAL_AGENCIES
    }


def _government_code(region):
    prefix = "pemkot" if region.name.startswith("Kota ") else "pemkab"
    return f"{prefix}-{slugify(region.name.removeprefix('Kota ').removeprefix('Kabupaten '))}"


def _government_short_name(region):
    if region.name.startswith("Kota "):
        return "Pemkot " + region.name.removeprefix("Kota ")
    return "Pemkab " + region.name.removeprefix("Kabupaten ")


def build_province(summary):
    """Pemprov Sumatera Barat and, under it, the governments of its kabupaten and kota."""
    province = Region.objects.get(code=PROVINCE_CODE)
    agencies = {
        PROVINCE_AGENCY: _sync(
            Agency,
            {"code": PROVINCE_AGENCY},
            {
                "name": f"Pemerintah Provinsi {province.name}",
                "short_name": "Pemprov Sumbar",
                "kind": AgencyKind.PEMPROV,
                "parent": None,
                "region": province,
                "is_active": True,
            },
            summary.agencies,
        )
    }
    for region in (
        Region.objects.within(PROVINCE_CODE).filter(level=RegionLevel.KABUPATEN_KOTA).order_by("code")
    ):
        code = _government_code(region)
        agencies[code] = _sync(
            Agency,
            {"code": code},
            {
                "name": f"Pemerintah {region.name}",
                "short_name": _government_short_name(region),
                "kind": AgencyKind.PEMKAB_PEMKOT,
                "parent": agencies[PROVINCE_AGENCY],
                "region": region,
                "is_active": True,
            },
            summary.agencies,
        )
    return agencies


def build_offices(summary, *, government, prefix, place, short_place, specs):
    """The perangkat daerah of one government: `specs` rows become "<name> <place>" under it."""
    agencies = {}
    for suffix, name, short, kind in specs:
        code = f"{prefix}-{suffix}"
        agencies[code] = _sync(
            Agency,
            {"code": code},
            {
                "name": f"{name} {place}",
                "short_name": f"{short} {short_place}",
                "kind": kind,
                "parent": government,
                "region": government.region,
                "is_active": True,
            },
            summary.agencies,
        )
    return agencies


def build_city_local_units(summary, agencies):
    """Kecamatan, kelurahan, puskesmas and the city hospital of Kota Padang."""
    regions = Region.objects.in_bulk([unit[4] for unit in CITY_LOCAL_UNITS])
    for code, name, short, kind, region_code, parent_code in CITY_LOCAL_UNITS:
        agencies[code] = _sync(
            Agency,
            {"code": code},
            {
                "name": name,
                "short_name": short,
                "kind": kind,
                "parent": agencies[parent_code],
                "region": regions[region_code],
                "is_active": True,
            },
            summary.agencies,
        )
    return agencies


def build_categories(summary):
    """The shipped LAPOR! categories, through the same loader as `manage.py load_categories`."""
    result = load_categories(rows=read_categories())
    summary.categories.update(created=result.created, updated=result.updated, unchanged=result.unchanged)
    return {category.code: category for category in Category.objects.all()}


def build_routing_rules(summary, agencies, categories):
    """Who handles which category where, in Kota Padang, the province and nationally."""
    regions = Region.objects.in_bulk({region for _cat, region, _agency, _note in ROUTING_RULES if region})
    for category_code, region_code, agency_code, note in ROUTING_RULES:
        _sync(
            RoutingRule,
            {"category": categories[category_code], "region": regions.get(region_code)},
            {"agency": agencies[agency_code], "note": note},
            summary.rules,
        )


def build_directory_managers_group():
    """The Django admin permissions of the agency administrators (directory management)."""
    group, _created = Group.objects.get_or_create(name=DIRECTORY_MANAGERS_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label="directory", codename__in=DIRECTORY_MANAGER_PERMISSIONS
    )
    group.permissions.set(permissions)  # writes only the difference
    return group


def build_users(summary, agencies, *, reset_passwords=False):
    """One login per role (password DEMO_PASSWORD) with its StaffRole, and a verified citizen."""
    managers = build_directory_managers_group()
    now = timezone.now()
    # One hash for every demo login: Argon2 is slow on purpose, and ten of them would make every
    # `make run` on a fresh database wait seconds for a password the README publishes anyway.
    password_hash = None
    users = {}
    for person in DEMO_PEOPLE:
        user = User.objects.filter(username=person.username).first()
        values = {
            "full_name": person.full_name,
            "email": person.email,
            # The value User.save() stores, so an unchanged phone compares equal on the next run.
            "phone": normalize_phone(person.phone) if person.phone else "",
            "is_staff": person.is_staff,
            "is_superuser": person.is_superuser,
            "is_active": True,
        }
        if person.role is None:
            # A citizen who already proved both contacts, so the demo can report without OTPs.
            values["email_verified_at"] = user.email_verified_at if user and user.email_verified_at else now
            values["phone_verified_at"] = user.phone_verified_at if user and user.phone_verified_at else now
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = User(username=person.username, password=password_hash, **values)
            user.save()
            summary.users["created"] += 1
        else:
            changed = [name for name, value in values.items() if getattr(user, name) != value]
            if reset_passwords and not user.check_password(DEMO_PASSWORD):
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                user.password = password_hash
                changed.append("password")
            for name in changed:
                if name != "password":
                    setattr(user, name, values[name])
            if changed:
                user.save()
                summary.users["updated"] += 1
            else:
                summary.users["unchanged"] += 1
        if person.role is not None:
            _sync(
                StaffRole,
                {
                    "user": user,
                    "role": person.role,
                    "agency": agencies[person.agency] if person.agency else None,
                },
                {"is_active": True},
                summary.roles,
            )
        if person.is_staff and not person.is_superuser:
            user.groups.add(managers)
        if (
            person.role in SECOND_FACTOR_ROLES
            and not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        ):
            TOTPDevice.objects.create(
                user=user, name="Autentikator demo", key=DEMO_TOTP_KEY.hex(), confirmed=True
            )
        users[person.username] = user
    return users


def demo_totp_code(now=None):
    """The six digits the demo officers' authenticator shows at `now` (Unix time; default: now)."""
    token = TOTP(DEMO_TOTP_KEY, step=30, t0=0, digits=6)
    if now is not None:
        token.time = now
    return f"{token.token():06d}"


# Answer templates, so the picker shows on the demo agencies' pages: (agency code, name, purpose, body).
DEMO_TEMPLATES = [
    (
        "padang-dinas-pupr",
        "Perbaikan dijadwalkan",
        TemplatePurpose.FOLLOW_UP,
        "Terima kasih atas laporan #{nomor} ({judul}). {instansi} sudah meninjau lokasi dan "
        "menjadwalkan perbaikan. Kami akan mengabarkan bila pekerjaan selesai.",
    ),
    (
        "padang-dinas-pupr",
        "Perbaikan selesai",
        TemplatePurpose.FOLLOW_UP,
        "Laporan #{nomor} ({judul}) sudah ditindaklanjuti: {instansi} menyelesaikan perbaikan pada "
        "{tanggal}. Bila masih ada masalah, silakan tanggapi laporan ini.",
    ),
    (
        "padang-dinas-kesehatan",
        "Sudah ditangani puskesmas",
        TemplatePurpose.FOLLOW_UP,
        "Terima kasih atas laporan #{nomor}. {instansi} sudah meneruskan ke puskesmas setempat dan "
        "petugas sudah menindaklanjuti pada {tanggal}.",
    ),
    (
        CITY_AGENCY,
        "Minta lokasi yang lebih tepat",
        TemplatePurpose.REQUEST_INFORMATION,
        "Mohon lengkapi laporan #{nomor}: sebutkan alamat atau patokan lokasi yang lebih tepat "
        "(nama jalan, nomor rumah atau bangunan terdekat) dan, bila ada, foto kondisinya.",
    ),
]


def build_response_templates(summary, agencies):
    for code, name, purpose, body in DEMO_TEMPLATES:
        _sync(
            ResponseTemplate,
            {"agency": agencies[code], "name": name},
            {"purpose": purpose, "body": body, "is_active": True},
            summary.templates,
        )


def seed_demo(*, reset_passwords=False):
    """Build or bring up to date the Sumatera Barat demo; return what was created and updated."""
    check_regions()
    summary = DemoSummary()
    with transaction.atomic():
        agencies = build_national_agencies(summary)
        agencies |= build_province(summary)
        agencies |= build_offices(
            summary,
            government=agencies[PROVINCE_AGENCY],
            prefix="sumbar",
            place="Provinsi Sumatera Barat",
            short_place="Sumbar",
            specs=PROVINCE_OPD,
        )
        agencies |= build_offices(
            summary,
            government=agencies[CITY_AGENCY],
            prefix="padang",
            place="Kota Padang",
            short_place="Padang",
            specs=CITY_OPD,
        )
        agencies = build_city_local_units(summary, agencies)
        categories = build_categories(summary)
        build_routing_rules(summary, agencies, categories)
        build_users(summary, agencies, reset_passwords=reset_passwords)
        build_response_templates(summary, agencies)
    return summary
