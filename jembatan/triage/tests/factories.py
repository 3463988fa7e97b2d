"""A small province for the triage tests, and a verified history driven through the real actions."""

import random
from types import SimpleNamespace

from jembatan.accounts.models import Role
from jembatan.accounts.tests.factories import make_staff, make_user
from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency, make_category, make_region
from jembatan.reports import actions
from jembatan.reports.models import ArchiveReason, Channel, Classification, ReportType

# What people write about each kind of problem; the history mixes the pieces at random (seeded).
TOPICS = {
    "road": (
        ["Jalan berlubang", "Jalan rusak parah", "Aspal jalan hancur", "Jalan berlobang besar"],
        [
            "jalan di depan rumah kami berlubang besar dan sering membuat pengendara motor jatuh",
            "aspal jalan sudah hancur sejak musim hujan, lubangnya dalam dan tergenang air",
            "jln rusak parah, banyak lubang, tdk pernah diperbaiki padahal jalan utama",
            "tolong perbaiki jalan berlobang di dekat sekolah, sangat membahayakan anak2",
        ],
    ),
    "health": (
        ["Pelayanan puskesmas lambat", "Antrian puskesmas", "Dokter puskesmas tidak ada", "Obat habis"],
        [
            "pelayanan di puskesmas sangat lambat, pasien menunggu berjam-jam untuk diperiksa dokter",
            "dokter di puskesmas tidak datang dan obat untuk pasien sering habis",
            "antrian pasien di puskesmas panjang sekali, petugas kesehatan kurang ramah",
            "puskesmas tutup sebelum jam pelayanan selesai, pasien lansia pulang tanpa berobat",
        ],
    ),
    "parking": (
        ["Parkir liar", "Juru parkir liar", "Parkir di trotoar", "Pungutan parkir"],
        [
            "banyak juru parkir liar memungut biaya parkir tanpa karcis di depan pasar",
            "kendaraan parkir di atas trotoar sehingga pejalan kaki harus turun ke jalan",
            "tarif parkir dinaikkan sepihak oleh tukang parkir liar, tidak ada karcis resmi",
            "parkir liar di bahu jalan menyebabkan macet setiap sore",
        ],
    ),
}
PLACES = ["Jl. Sudirman", "Jl. Khatib Sulaiman", "dekat Pasar Raya", "di Kelurahan Contoh", "RT 03 RW 02"]


def build_world():
    """Two cities of Sumatera Barat, four offices, three categories, a national verifier."""
    w = SimpleNamespace()
    w.region_prov = make_region("13", "Sumatera Barat")
    w.region_padang = make_region("13.71", "Kota Padang")
    w.region_bukittinggi = make_region("13.75", "Kota Bukittinggi")
    w.village_padang = make_region("13.71.01.1001", "Kelurahan Contoh")
    w.village_bukittinggi = make_region("13.75.01.1001", "Kelurahan Benteng")
    w.prov = make_agency("Pemprov Sumatera Barat", kind=AgencyKind.PEMPROV, region=w.region_prov)
    w.padang = make_agency(
        "Pemerintah Kota Padang", kind=AgencyKind.PEMKAB_PEMKOT, parent=w.prov, region=w.region_padang
    )
    w.bukittinggi = make_agency(
        "Pemerintah Kota Bukittinggi",
        kind=AgencyKind.PEMKAB_PEMKOT,
        parent=w.prov,
        region=w.region_bukittinggi,
    )
    w.pupr_padang = make_agency("Dinas PUPR Kota Padang", parent=w.padang, region=w.region_padang)
    w.dinkes_padang = make_agency("Dinas Kesehatan Kota Padang", parent=w.padang, region=w.region_padang)
    w.dishub_padang = make_agency("Dinas Perhubungan Kota Padang", parent=w.padang, region=w.region_padang)
    w.pupr_bukittinggi = make_agency(
        "Dinas PUPR Kota Bukittinggi", parent=w.bukittinggi, region=w.region_bukittinggi
    )
    w.cat_road = make_category("Jalan Rusak")
    w.cat_health = make_category("Pelayanan Kesehatan")
    w.cat_parking = make_category("Parkir Liar")
    w.admin = make_staff(Role.ADMIN_NASIONAL, None, username="admin.nasional")
    w.liaison_dinkes = make_staff(Role.PENGHUBUNG, w.dinkes_padang, username="hub.dinkes")
    w.citizen = make_user("warga.triage", full_name="Siti Rahmawati", email="siti@example.id")
    w.routes = {
        ("road", "padang"): (w.cat_road, w.pupr_padang, w.village_padang),
        ("road", "bukittinggi"): (w.cat_road, w.pupr_bukittinggi, w.village_bukittinggi),
        ("health", "padang"): (w.cat_health, w.dinkes_padang, w.village_padang),
        ("parking", "padang"): (w.cat_parking, w.dishub_padang, w.village_padang),
    }
    w.reason_unclear, _ = ArchiveReason.objects.get_or_create(
        code="tidak-jelas", defaults={"name": "Tidak Jelas"}
    )
    return w


def complaint(rng, topic):
    titles, bodies = TOPICS[topic]
    return rng.choice(
        titles
    ), f"{rng.choice(bodies)}, lokasinya {rng.choice(PLACES)}. Mohon segera ditindaklanjuti."


def submit(w, *, title, description, region, channel=Channel.WEB, **extra):
    new = actions.NewReport(
        kind=ReportType.PENGADUAN,
        title=title,
        description=description,
        channel=channel,
        region=region,
        **extra,
    )
    return actions.submit_report(new=new, actor=w.citizen)


def settle(w, report, *, category, agency):
    """Verify `report` with `category` and dispose it to `agency`, as a verifier would."""
    report = actions.verify_report(
        report=report,
        actor=w.admin,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        category=category,
    )
    return actions.dispose_report(report=report, actor=w.admin, agencies=[agency])


def build_history(w, *, per_route=5, seed=7):
    """`per_route` settled reports for each (topic, city) route, in a seeded random order."""
    rng = random.Random(seed)
    plan = [route for route in w.routes for _i in range(per_route)]
    rng.shuffle(plan)
    reports = []
    for topic, _city in plan:
        category, agency, region = w.routes[(topic, _city)]
        title, description = complaint(rng, topic)
        report = submit(w, title=title, description=description, region=region)
        reports.append(settle(w, report, category=category, agency=agency))
    return reports
