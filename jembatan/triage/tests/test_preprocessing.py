"""Indonesian preprocessing: what the model and the duplicate check see of a complaint."""

import pytest

from jembatan.triage import text


def test_national_header_is_removed_so_the_addressee_cannot_leak():
    body = "Yth. Dinas Perhubungan Kota Semarang, <br><br>Banyak parkir liar di Simpang Lima."
    assert text.normalize(body) == "banyak parkir liar di simpang lima"


def test_header_without_markup_is_removed_too():
    assert text.normalize("Yth. BPJS Kesehatan, kartu saya hilang") == "kartu saya hilang"


def test_regional_portal_line_after_the_header_stays():
    body = "Yth. Dinas Perhubungan, <br><br>Kpd Yth. Pemprov DKI Jakarta<br /> Bus tidak sesuai rute."
    assert text.normalize(body) == "kepada yth pemerintah provinsi dki jakarta bus tidak sesuai rute"


@pytest.mark.parametrize(
    ("footer", "marker"),
    [
        ("<br><br>Mohon ditindaklanjuti, terima kasih", "zzpengaduan"),
        ("<br><br>Mohon informasinya, terima kasih", "zzinformasi"),
        ("<br><br>Mohon dipertimbangkan, terima kasih", "zzaspirasi"),
        (" Mohon ditindak lanjuti. Terima kasih!", "zzpengaduan"),
    ],
)
def test_footer_becomes_a_marker_of_the_kind_of_report(footer, marker):
    assert text.normalize(f"Lampu jalan mati.{footer}") == f"lampu jalan mati {marker}"


def test_markup_and_entities_are_stripped():
    assert text.normalize("Air&nbsp;PDAM<br />keruh &amp; bau") == "air pdam keruh bau"


def test_slang_and_abbreviations_are_normalised():
    assert text.normalize("Jln yg rusak tdk diperbaiki dgn baik, sdh lama bgt") == (
        "jalan yang rusak tidak diperbaiki dengan baik sudah lama sekali"
    )


def test_an_expansion_gives_separate_words():
    assert text.words("trims pak") == ["terima", "kasih", "bapak"]


def test_ambiguous_abbreviations_are_left_alone():
    # "smp" is a school and "dr" may be a doctor: expanding them would change the meaning.
    assert text.normalize("SMP 5 dan dr Budi") == "smp 0 dan dr budi"


def test_reduplication_and_stretched_letters():
    assert text.normalize("anak2 tolonggggg") == "anak anak tolong"


def test_numbers_are_masked():
    assert text.normalize("RT 03 RW 12, rumah no 45") == "rt 0 rw 0 rumah no 0"


def test_personal_data_is_masked_before_learning():
    words = text.words("Nama saya Budi Santoso, NIK 1371012345678901, hp 0812-3456-7890, budi@mail.id")
    assert words == ["nama", "saya", "zznama", "nik", "zznik", "ponsel", "zztelepon", "zzemail"]


def test_urls_are_masked():
    assert text.normalize("lihat https://contoh.id/foto?id=1 ya") == "lihat zzurl ya"


def test_stemming_is_optional_and_reduces_words_to_their_root():
    assert (
        text.normalize("jalan berlubang membahayakan pengendara") == "jalan berlubang membahayakan pengendara"
    )
    assert (
        text.normalize("jalan berlubang membahayakan pengendara", stem=True) == "jalan lubang bahaya kendara"
    )


def test_masks_are_not_stemmed():
    assert "zztelepon" in text.words("hubungi 081234567890", stem=True)


def test_empty_text():
    assert text.normalize("") == "" and text.words(None) == []
