"""Completeness (what, where, when) and the spam, abuse and SARA flags."""

import datetime as dt

import pytest

from jembatan.reports.models import ReportType
from jembatan.triage import services
from jembatan.triage.quality import FlagKind
from jembatan.triage.tests import factories as tf

COMPLETE = (
    "Jalan di depan SDN 12 Jl. Sudirman berlubang besar sejak dua minggu lalu, "
    "sudah tiga pengendara motor jatuh pada malam hari."
)


def test_complete_complaint_lacks_nothing():
    result = services.completeness(text=COMPLETE)
    assert result.is_complete and result.missing == [] and result.message == ""


def test_complaint_without_place_or_time_asks_for_both():
    result = services.completeness(
        text="Jalannya rusak berat, banyak lubang besar, motor sering jatuh, tolong perbaiki"
    )
    assert result.codes == ["where", "when"]
    assert "lokasi kejadian" in result.message and "waktu kejadian" in result.message
    assert result.message.startswith("Terima kasih atas laporan Anda.")
    assert "30 hari" in result.message


def test_a_text_may_be_passed_as_it_is():
    assert services.completeness(COMPLETE).is_complete


def test_too_short_a_report_lacks_the_what():
    assert services.completeness(text="Tolong pak, mohon dibantu segera ya pak.").codes == [
        "what",
        "where",
        "when",
    ]


@pytest.mark.parametrize(
    "when",
    [
        "kemarin sore",
        "pada 12 Maret",
        "tanggal 12/03/2026",
        "hari Senin",
        "sejak tiga bulan",
        "pukul 08.30",
        "2025",
    ],
)
def test_time_cues_in_the_text_count_as_when(when):
    text = f"Lampu penerangan di Jl. Sudirman mati total, gelap gulita dan rawan kejahatan, {when}."
    assert "when" not in services.completeness(text=text).codes


def test_a_question_only_needs_the_what():
    text = "Apa saja syarat untuk mengurus penggantian kartu BPJS yang hilang dan berapa lama prosesnya?"
    assert services.completeness(text=text, kind=ReportType.PERMINTAAN_INFORMASI).is_complete


def test_report_fields_count_as_where_and_when(db):
    w = tf.build_world()
    text = "Jalannya rusak berat, banyak lubang besar, motor sering jatuh, tolong perbaiki segera"
    vague = tf.submit(w, title="Jalan rusak berat", description=text, region=w.region_padang)
    precise = tf.submit(
        w,
        title="Jalan rusak berat",
        description=text,
        region=w.village_padang,
        incident_date=dt.date(2026, 1, 5),
    )
    assert services.completeness(vague).codes == ["where", "when"]
    assert services.completeness(precise).is_complete


def test_prefilled_message_can_be_sent_as_it_is(db):
    from jembatan.reports import actions as report_actions
    from jembatan.reports.models import Status

    w = tf.build_world()
    report = tf.submit(
        w,
        title="Jalan rusak berat",
        description="Jalannya rusak berat, banyak lubang besar, motor jatuh.",
        region=w.region_padang,
    )
    result = services.completeness(report)
    report = report_actions.request_information(report=report, actor=w.admin, message=result.message)
    assert report.status == Status.MENUNGGU_KELENGKAPAN


# --- Flags -----------------------------------------------------------------------------------------


def kinds(text):
    return [f.kind for f in services.flags(text)]


def test_an_ordinary_complaint_raises_no_flag(db):
    assert services.flags(COMPLETE) == []


@pytest.mark.parametrize(
    "text",
    [
        "Petugasnya goblok semua, dasar bajingan tidak mau melayani warga",
        "Pak camat dasar babi, kerjanya cuma makan gaji buta",
        "kalian monyet semua di kantor itu, tidak becus",
    ],
)
def test_insults_are_flagged_as_abuse(db, text):
    assert FlagKind.ABUSE in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Anjing liar berkeliaran di taman dan menggigit anak-anak",
        "Bau dari peternakan babi di belakang perumahan sangat menyengat",
        "Jalan menuju Kampung Jawa rusak, bau busuk dari selokan",
    ],
)
def test_animals_and_places_are_not_insults(db, text):
    assert kinds(text) == []


def test_hostility_towards_a_group_is_flagged_as_sara(db):
    flag = next(f for f in services.flags("usir saja orang cina dari pasar ini") if f.kind == FlagKind.SARA)
    assert set(flag.evidence) >= {"cina", "usir"} and flag.source == "words"


def test_naming_a_religion_is_not_sara(db):
    assert kinds("Jalan menuju masjid dan gereja Katolik di Jl. Sudirman rusak berat") == []


@pytest.mark.parametrize(
    "text",
    [
        "Slot gacor hari ini maxwin, deposit 10rb langsung cair, hubungi WA 081234567890",
        "promo bonus cashback 100% klik https://contoh.example/daftar sekarang",
        "tes tes coba",
        "tolong tolong tolong tolong tolong tolong tolong",
    ],
)
def test_adverts_tests_and_gibberish_are_flagged_as_spam(db, text):
    assert FlagKind.SPAM in kinds(text)


def test_a_complaint_about_online_gambling_is_not_spam(db):
    assert kinds("Mohon blokir situs judi slot online yang meresahkan warga, banyak remaja kecanduan") == []


def test_flags_never_change_the_report(db):
    w = tf.build_world()
    report = tf.submit(
        w, title="Tes tes", description="tes tes coba coba tes tes tes tes", region=w.village_padang
    )
    before = (report.status, report.version)
    assert FlagKind.SPAM in [f.kind for f in services.flags(report)]
    report.refresh_from_db()
    assert (report.status, report.version) == before
