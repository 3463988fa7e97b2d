"""Personal data in free text: NIK, phone numbers, e-mail addresses, "nama saya X"."""

import pytest

from jembatan.reports.pii import Kind, redact
from jembatan.triage import services


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("NIK saya 1371012345678901.", "1371012345678901"),
        ("NIK: 1371 0123 4567 8901", "1371 0123 4567 8901"),
        ("NIK 1371.0123.4567.8901", "1371.0123.4567.8901"),
        ("hubungi 081234567890", "081234567890"),
        ("hubungi 0812-3456-7890 ya", "0812-3456-7890"),
        ("WA +62 812 3456 7890", "812 3456 7890"),
        ("nomor 6281234567890", "6281234567890"),
        ("telepon kantor (0751) 123456", "123456"),
        ("kirim ke budi.santoso@example.co.id segera", "budi.santoso@example.co.id"),
        ("Nama saya Budi Santoso, warga Kelurahan Jati.", "Budi Santoso"),
        ("saya bernama siti rahma dari Padang", "siti rahma"),
        ("Nama lengkap saya: Ahmad Yani", "Ahmad Yani"),
        ("Nama: Ir. H. Rusli. Alamat di Padang", "Rusli"),
        ("nama pelapor : Dewi Lestari", "Dewi Lestari"),
    ],
)
def test_personal_data_is_hidden(text, hidden):
    assert hidden not in services.redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Biaya Rp 150.000.000 untuk 12 km jalan pada tahun 2026.",
        "SDN 12 Padang, RT 03/RW 05, tanggal 12-03-2026, pukul 08.30.",
        "Kode pos 25111, nomor rumah 45A.",
        "Nama jalan itu sudah diganti, nama sekolahnya SDN 12.",
        "Atas nama warga RT 03 kami mohon jalan diperbaiki.",
    ],
)
def test_ordinary_numbers_and_words_are_left_alone(text):
    assert services.redact(text) == text


def test_labels_say_what_was_hidden():
    assert services.redact("1371012345678901 / 081234567890 / a@b.id / nama saya Rina, warga") == (
        "[NIK disembunyikan] / [nomor telepon disembunyikan] / [e-mail disembunyikan] / "
        "nama saya [nama disembunyikan], warga"
    )


def test_spans_give_kind_and_position_in_reading_order():
    text = "Nama saya Budi. HP 081234567890, email budi@mail.id, NIK 1371012345678901"
    spans = services.detect_personal_data(text)
    assert [s.kind for s in spans] == [Kind.NAME, Kind.PHONE, Kind.EMAIL, Kind.NIK]
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert spans[0].text == "Budi"


def test_an_email_with_digits_is_one_email_not_a_phone_number():
    spans = services.detect_personal_data("tulis ke warga081234567890@mail.id")
    assert [s.kind for s in spans] == [Kind.EMAIL]


def test_redaction_keeps_the_signature_of_the_portal_stop_gap():
    assert services.redact(None) == "" and services.redact("") == ""


@pytest.mark.parametrize(
    "text",
    ["Lokasi -0.502106, 117.153709 dekat pasar", "titik GPS: -0.9471;100.4172 di depan rumah"],
)
def test_gps_coordinates_are_hidden_whole(text):
    redacted = redact(text)
    assert "[koordinat disembunyikan]" in redacted
    assert not any(ch.isdigit() for ch in redacted)  # no half-read phone number or NIK left over


def test_money_and_short_decimals_are_not_coordinates():
    assert redact("Biaya Rp 1.500.000 untuk jarak 0.5 km") == "Biaya Rp 1.500.000 untuk jarak 0.5 km"
