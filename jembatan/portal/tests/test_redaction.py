"""The redaction of personal data shown on public pages."""

import pytest

from jembatan.reports.pii import redact


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
    ],
)
def test_personal_data_is_hidden(text, hidden):
    assert hidden not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Biaya Rp 150.000.000 untuk 12 km jalan pada tahun 2026.",
        "SDN 12 Padang, RT 03/RW 05, tanggal 12-03-2026, pukul 08.30.",
        "Kode pos 25111, nomor rumah 45A.",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert redact(text) == text


def test_labels_say_what_was_hidden():
    assert redact("1371012345678901 / 081234567890 / a@b.id") == (
        "[NIK disembunyikan] / [nomor telepon disembunyikan] / [e-mail disembunyikan]"
    )


def test_empty_text_stays_empty():
    assert redact(None) == "" and redact("") == ""
