"""import_lapor reads the Anonim/Rahasia column however a spreadsheet spells it, and fails closed."""

import pytest

from jembatan.intake.lapor import COLUMNS, RowError, parse_row


def _row(flags):
    values = {c: "" for c in COLUMNS}
    values.update(
        {
            "Tracking ID": "123",
            "Tanggal Laporan Masuk": "23 Sep 2024",
            "Waktu Laporan Masuk": "00:41:43",
            "Klasifikasi Laporan": "Aspirasi",
            "Judul Laporan": "Pungli di kantor kelurahan",
            "Isi Laporan Awal": "Petugas kelurahan meminta uang untuk surat pengantar, mohon ditindak.",
            "Tipe Laporan (Anonim/Rahasia)": flags,
            "Status Laporan": "Ditutup oleh Sistem",
        }
    )
    return values


@pytest.mark.parametrize(
    ("flags", "anonymous", "confidential"),
    [
        ("", False, False),
        ("Anonim", True, False),
        ("Rahasia", False, True),
        ("Anonim|Rahasia", True, True),
        ("Anonim dan Rahasia", True, True),
        ("Anonim & Rahasia", True, True),
        ("Anonim; Rahasia", True, True),
        ("Rahasia (R)", False, True),
        ("RAHASIA", False, True),
    ],
)
def test_the_flags_are_read_in_any_spelling(flags, anonymous, confidential):
    row = parse_row(2, _row(flags))
    assert (row.is_anonymous, row.is_confidential) == (anonymous, confidential)


@pytest.mark.parametrize("flags", ["Confidential", "Rhs", "Privat", "R", "A", "Ya", "1", "Anonim (R)"])
def test_an_unknown_flag_stops_the_row_rather_than_publishing_it(flags):
    with pytest.raises(RowError, match="Tipe laporan tidak dikenal"):
        parse_row(2, _row(flags))
