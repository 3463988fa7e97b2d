"""Duplicate detection on the Samarinda gold set: the 9 duplicated bodies are found, and no false pair."""

import csv
import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from jembatan.directory.tests.factories import make_region
from jembatan.reports import actions as report_actions
from jembatan.reports.models import Channel, Report, ReportType
from jembatan.shared_data import needed_by_test
from jembatan.triage import duplicates, services
from jembatan.triage.models import DuplicateKey, IndexCursor, IndexedReport

pytestmark = pytest.mark.django_db

SAMARINDA = "lapor-export-samarinda-2024.csv"  # not shipped: see jembatan/shared_data.py
KINDS = {"Aspirasi": ReportType.ASPIRASI, "Permintaan Informasi": ReportType.PERMINTAAN_INFORMASI}
# Kecamatan of Kota Samarinda (64.72) and two outside it, for the "same place" rule.
DISTRICTS = {
    "SAMARINDA ILIR": "64.72.01",
    "SAMARINDA ULU": "64.72.02",
    "SUNGAI KUNJANG": "64.72.03",
    "SAMARINDA UTARA": "64.72.04",
    "SAMARINDA SEBERANG": "64.72.05",
    "PALARAN": "64.72.06",
    "LOA JANAN": "64.02.01",
    "BALIKPAPAN SELATAN": "64.71.01",
}
# Pairs the index finds beyond the gold set, each read side by side: the same complaint sent again
# (resubmitted, reworded a little, or the same text under another sender's name), within 90 days.
REVIEWED_NEAR_DUPLICATES = {
    ("7812538", "7905631"),  # sertifikasi guru swasta: identical after normalisation, 26 days apart
    ("7482808", "7482820"),  # surat terbuka untuk wali kota & Satpol PP, same day
    ("7810396", "7905613"),  # pencurian identitas oleh pegawai DLH, resent 27 days later
    ("7557565", "7560286"),  # kerja loyalitas tapi tidak dibayar, next day
    ("7454125", "7478008"),  # jalan licin berlumut di Gunung Lingai, a week later, another sender
    ("7560463", "7560496"),  # distribusi air PDAM, same day, with a new opening line
    ("7785208", "7999426"),  # klaim uang operasional PT Indomarco, resent 59 days later
    ("7423507", "7423537"),  # permintaan maaf kepada PPS Dadimulya, same day
    ("8278948", "8372733"),  # the same two potholes on Jl. Belimau, Lempake, a month later
    # The Dishub parking complaint sent once more on 24 April, with a longer ending:
    *(
        (other, "7718200")
        for other in (
            "7692365",
            "7692367",
            "7692393",
            "7692395",
            "7692495",
            "7693739",
            "7694279",
            "7694295",
            "7697842",
        )
    ),
}

# Pairs the calibrated score finds beyond the near-copies (issue 17), each read side by side: the same
# problem in other words, in the same place, within 90 days.
REVIEWED_REWORDED_DUPLICATES = {
    # The housing project on Jl. Belimau, Lempake (RT 21/22) that dug up the road: mud and a ridge
    # "seperti polisi tidur", reported by three citizens over a month.
    ("7319179", "7405816"),
    ("7319179", "7434883"),
    ("7353397", "7405816"),
    ("7353397", "7434883"),
    ("7381672", "7459633"),  # street vendors' stalls over the drains of Jl. Jelawat
    ("7710151", "7747897"),  # no street lighting on Jl. Pusaka, RT 21, a reporter writing again
    ("7749205", "7840681"),  # the unrepaired Gg Saka / Gg H Juhri off Jl. P Suryanata, Bukit Pinang
    ("7966879", "8029219"),  # the broken road at Perumahan Korpri Blok BR 42, Loa Bakung, same day
    ("8209411", "8213956"),  # no car parking at Puskesmas Samarinda Kota, the next day
    # The Dishub parking complaint (above) sent once more on 2 May, to the province:
    *(
        (other, "7729918")
        for other in ("7692393", "7692395", "7692495", "7693739", "7694279", "7694295", "7697842", "7718200")
    ),
}


def samarinda_rows():
    with needed_by_test(SAMARINDA).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def samarinda(django_db_setup, django_db_blocker):
    """The 240 reports of the Samarinda export, submitted through the real action, and indexed."""
    with django_db_blocker.unblock(), transaction.atomic():
        make_region("64.72", "Kota Samarinda")
        regions = {name: make_region(code) for name, code in DISTRICTS.items()}
        city = make_region("64.72")
        for row in samarinda_rows():
            moment = dt.datetime.strptime(
                f"{row['Tanggal Laporan Masuk']} {row['Waktu Laporan Masuk']}", "%d %b %Y %H:%M:%S"
            )
            body = row["Isi Laporan Awal"]
            if len(body) < 20:  # below the portal's minimum: the title completes it
                body = f"{body} ({row['Judul Laporan']})"
            report_actions.submit_report(
                new=report_actions.NewReport(
                    kind=KINDS.get(row["Klasifikasi Laporan"], ReportType.PENGADUAN),
                    title=row["Judul Laporan"],
                    description=body,
                    channel=Channel.IMPORT,
                    region=regions.get(row["Kecamatan"], city),
                    external_id=row["Tracking ID"],
                    submitted_at=timezone.make_aware(moment),
                )
            )
        # Old enough to settle: the cursor moves over all of them.
        duplicates.index_new_reports(now=timezone.now() + dt.timedelta(hours=1))
        yield
        transaction.set_rollback(True)


def found_pairs(limit=20):
    pairs = set()
    for report in Report.objects.exclude(external_id=""):
        for other, score in services.find_duplicates(report, limit=limit):
            assert duplicates.threshold_for(duplicates.VERIFIER) <= score <= 1.0
            pairs.add(tuple(sorted((report.external_id, other.external_id))))
    return pairs


def test_every_duplicated_body_in_the_gold_set_is_found_and_nothing_false(samarinda):
    groups = {}
    for row in samarinda_rows():
        groups.setdefault(row["Isi Laporan Awal"], []).append(row["Tracking ID"])
    gold = {
        tuple(sorted(p)) for ids in groups.values() if len(ids) > 1 for p in itertools.combinations(ids, 2)
    }
    assert len(gold) == 36 + 1  # nine copies of one body (36 pairs), and one body sent twice
    found = found_pairs()
    assert gold <= found
    reviewed = {tuple(sorted(p)) for p in REVIEWED_NEAR_DUPLICATES | REVIEWED_REWORDED_DUPLICATES}
    assert found - gold == reviewed


def test_index_holds_every_report_and_the_cursor_is_at_the_end(samarinda):
    assert IndexedReport.objects.count() == Report.objects.count() == 240
    assert (
        IndexCursor.objects.get(name=duplicates.CURSOR).position == Report.objects.order_by("-pk").first().pk
    )
    assert DuplicateKey.objects.count() == 240 * duplicates.BANDS


def test_a_new_text_finds_the_original_before_it_is_submitted(samarinda):
    original = Report.objects.get(external_id="8151349")  # rapelan gaji PPPK
    found = services.find_duplicates(
        text=original.description, date=original.submitted_at + dt.timedelta(days=3)
    )
    # Both copies, equally similar: the newer one first.
    assert [(r.external_id, score) for r, score in found] == [("8290444", 1.0), ("8151349", 1.0)]
