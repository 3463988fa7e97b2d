""" "Laporan serupa sudah ada: dukung saja?": before a report is saved, the citizen is shown the
similar public reports (without JavaScript: the submit page comes back with them; with it: a JSON
lookup while typing), and never a confidential, unverified or archived one."""

import re

import pytest
from django.test import Client

from jembatan.portal.models import SubmissionToken
from jembatan.portal.tests.helpers import form_data, upload
from jembatan.reports import actions
from jembatan.reports.models import Attachment, Report
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

# A citizen's wording of the problem rf.DESCRIPTION already reports (word-pair similarity ≈ 0.7).
TYPED = (
    "Jalan di depan SDN 12 Padang berlubang besar sejak dua minggu, berbahaya sekali untuk pengendara motor."
)
PRIVATE = " Hubungi saya di 0812 3456 7890 atau andi.pelapor@example.id."


def lookup(client, text=TYPED, region="13.71.01.1001", **extra):
    return client.post("/lapor/serupa", {"teks": text, "wilayah": region, **extra})


def token_in(html):
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_a_public_near_duplicate_is_shown_and_nothing_is_created(client, w):
    existing = rf.disposed(w)
    data = form_data(description=TYPED, title="Lubang besar di depan SDN 12")
    response = client.post("/lapor/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Laporan serupa sudah ada: dukung saja?" in html
    assert "Laporan Anda belum terkirim." in html
    assert f'href="/laporan/{existing.tracking_number}/"' in html
    assert f'action="/laporan/{existing.tracking_number}/dukung/"' in html and "Dukung laporan ini" in html
    assert "Anda perlu masuk untuk mendukung" in html  # a guest
    assert 'form="submit-form" name="tetap_kirim" value="1"' in html
    assert 'name="tetap_kirim" id="id_tetap_kirim" value="1"' in html  # the bottom button confirms too
    # Everything typed is kept, with the same (unclaimed) token.
    assert 'value="Lubang besar di depan SDN 12"' in html and TYPED in html
    assert '<option value="13.71.01.1001" selected>' in html
    assert token_in(html) == data["token"]
    assert list(Report.objects.all()) == [existing]
    assert not SubmissionToken.objects.exists()


def test_confirming_creates_the_report_once(client, w):
    existing = rf.disposed(w)
    data = form_data(description=TYPED)
    client.post("/lapor/", data)
    data["tetap_kirim"] = "1"
    first = client.post("/lapor/", data)
    again = client.post("/lapor/", data)  # a double click on "Tetap kirim"
    created = Report.objects.exclude(pk=existing.pk).get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/lapor/terkirim/{created.tracking_number}/"
    assert created.description == TYPED
    assert SubmissionToken.objects.get().report == created


def test_supporting_from_the_prompt_counts_and_creates_nothing(client, w):
    existing = rf.disposed(w)
    client.force_login(w.other_citizen)
    html = client.post("/lapor/", form_data(description=TYPED, reporter_email=None)).content.decode()
    action = re.search(r'action="(/laporan/\d+/dukung/)"', html).group(1)
    response = client.post(action)
    existing.refresh_from_db()
    assert response.status_code == 302 and existing.support_count == 1
    assert Report.objects.count() == 1


def test_own_report_is_pointed_out_instead_of_offered_for_support(client, w):
    existing = rf.disposed(w)
    client.force_login(w.citizen)
    html = client.post("/lapor/", form_data(description=TYPED, reporter_email=None)).content.decode()
    assert "Ini laporan Anda sendiri." in html and f'href="/lacak/{existing.tracking_number}/"' in html
    assert f"/laporan/{existing.tracking_number}/dukung/" not in html


def test_attachments_must_be_chosen_again_and_the_notice_says_so(client, w):
    rf.disposed(w)
    data = form_data(description=TYPED)
    data["attachments"] = [upload("lubang.png")]
    html = client.post("/lapor/", data).content.decode()
    assert "Anda memilih 1 lampiran, tetapi browser tidak dapat menyimpannya" in html
    assert 'href="#lampiran"' in html and 'id="lampiran"' in html
    # No button up top that would send the report without the files; the one below the form does.
    assert 'form="submit-form" name="tetap_kirim"' not in html
    assert re.search(r'id="submit-button">\s*Tetap kirim laporan saya', html)
    assert Report.objects.count() == 1 and not Attachment.objects.exists()


def test_different_text_goes_straight_through(client, w):
    rf.disposed(w)
    response = client.post(
        "/lapor/", form_data(description="Lampu penerangan jalan di Jalan Sudirman padam sejak seminggu.")
    )
    assert response.status_code == 302 and Report.objects.count() == 2


def _confidential(w):
    return rf.disposed(w, is_confidential=True)


def _unverified(w):
    return rf.submit(w)


def _archived(w):
    return actions.archive_report(report=rf.submit(w), actor=w.verifier, reason=w.reason_unclear)


@pytest.mark.parametrize("make", [_confidential, _unverified, _archived], ids=["rahasia", "belum", "arsip"])
def test_a_hidden_near_duplicate_is_never_shown_on_submit(client, w, make):
    hidden = make(w)
    response = client.post("/lapor/", form_data(description=TYPED))
    assert response.status_code == 302  # nothing to show: the report is simply sent
    assert Report.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert hidden.tracking_number not in page


@pytest.mark.parametrize("make", [_confidential, _unverified, _archived], ids=["rahasia", "belum", "arsip"])
def test_a_hidden_near_duplicate_is_never_returned_by_the_lookup(client, w, make):
    hidden = make(w)
    body = lookup(client, text=hidden.description).json()
    assert body == {"results": [], "html": ""}


def test_the_lookup_returns_public_reports_with_personal_data_hidden(client, w):
    existing = rf.disposed(w, description=rf.DESCRIPTION + PRIVATE)
    secret = rf.DESCRIPTION + " Rahasia: nama saya Budi dari RT 03."
    confidential = rf.disposed(w, description=secret, is_confidential=True)
    # The same complaint sent again with other contact details (which do not count as an edit).
    response = lookup(client, text=rf.DESCRIPTION + " Hubungi saya di 0813 9999 0000 atau budi@example.id.")
    body = response.json()
    assert response.status_code == 200
    [item] = body["results"]
    assert item["number"] == existing.tracking_number != confidential.tracking_number
    assert item["url"] == f"/laporan/{existing.tracking_number}/"
    assert item["status"] == "terdisposisi" and item["supports"] == 0
    assert item["excerpt"].startswith("Jalan di depan SDN 12 Padang")
    assert "[nomor telepon disembunyikan]" in item["excerpt"]
    assert "3456" not in item["excerpt"] and "andi.pelapor" not in item["excerpt"]
    assert set(item) == {
        "number", "title", "excerpt", "status", "status_label", "submitted_at", "supports", "region", "url"
    }  # fmt: skip
    html = body["html"]
    assert "Laporan serupa sudah ada: dukung saja?" in html
    assert f'href="/laporan/{existing.tracking_number}/#dukung"' in html and "Lihat dan dukung" in html
    for secret in ("3456", "andi.pelapor", "Siti", "Rahasia", confidential.tracking_number):
        assert secret not in html


def test_the_lookup_compares_within_the_same_city(client, w):
    rf.disposed(w)
    from jembatan.directory.tests.factories import make_region

    make_region("13.72", "Kota Solok")
    assert lookup(client, region="13.72").json()["results"] == []
    assert len(lookup(client, region="13").json()["results"]) == 1  # a province-wide report may match


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"wilayah": "99.99"}, 200),  # no such region
        ({"wilayah": "13.71'; DROP TABLE--"}, 200),
        ({"wilayah": "1" * 500}, 200),
        ({"wilayah": "13.71\x00"}, 200),  # a NUL byte would make PostgreSQL raise
        ({"wilayah": ""}, 200),
        ({"teks": "Jalan rusak."}, 200),  # too short to compare
        ({"teks": ""}, 200),
    ],
)
def test_bad_lookup_input_finds_nothing_rather_than_failing(client, w, params, status):
    rf.disposed(w)
    response = client.post("/lapor/serupa", {"teks": TYPED, "wilayah": "13.71.01.1001", **params})
    assert response.status_code == status
    assert response.json() == {"results": [], "html": ""}


def test_an_overlong_text_is_refused_with_a_message(client, w):
    response = lookup(client, text="jalan rusak " * 1000)
    assert response.status_code == 400
    assert response.json()["error"] == "Isi laporan terlalu panjang: paling banyak 10000 karakter."


def test_the_lookup_is_a_post_with_a_csrf_token(w):
    assert Client().get("/lapor/serupa", {"teks": TYPED, "wilayah": "13.71"}).status_code == 302  # to /lapor/
    assert lookup(Client(enforce_csrf_checks=True)).status_code == 403


def test_lookups_are_limited_per_address(w, settings):
    settings.PORTAL_SIMILAR_LIMIT_PER_IP = 2
    rf.disposed(w)
    client = Client(REMOTE_ADDR="10.2.2.2")
    assert [len(lookup(client).json()["results"]) for _i in range(2)] == [1, 1]
    throttled = lookup(client)
    assert throttled.status_code == 429 and throttled.json()["results"] == []
    assert "Terlalu banyak pencarian laporan serupa" in throttled.json()["error"]
    assert len(lookup(Client(REMOTE_ADDR="10.2.2.3")).json()["results"]) == 1
    # The submit page's own look-up counts against the same limit: past it, the report is sent.
    before = Report.objects.count()
    response = client.post("/lapor/", form_data(description=TYPED))
    assert response.status_code == 302 and Report.objects.count() == before + 1
    # Another address still gets the prompt from the submit page, and that look-up is counted.
    other = Client(REMOTE_ADDR="10.2.2.4")
    html = other.post("/lapor/", form_data(description=TYPED)).content.decode()
    assert "Laporan serupa sudah ada: dukung saja?" in html
    assert len(lookup(other).json()["results"]) == 1
    assert lookup(other).status_code == 429


def test_hidden_copies_cannot_crowd_a_public_duplicate_out_of_the_prompt(db):
    """More unverified copies than one page of candidates: the public report is still found."""
    import datetime as dt

    from django.utils import timezone

    from jembatan.portal.views import similar_public_reports
    from jembatan.reports.models import Report
    from jembatan.reports.tests import factories as rf
    from jembatan.triage import duplicates

    text = (
        "Lampu penerangan jalan di simpang empat pasar raya sudah tiga minggu mati total, malam hari "
        "sangat gelap dan sudah dua kali terjadi penjambretan di sana, mohon segera diperbaiki petugas."
    )
    w = rf.build_world()
    public = rf.disposed(w, description=text, title="Lampu jalan mati di pasar raya")
    assert Report.objects.public().filter(pk=public.pk).exists()
    for i in range(duplicates.MAX_CANDIDATES + 1):  # unverified copies, never public, all newer
        rf.submit(w, description=f"{text} ({i})", title=f"Lampu mati {i}")
    duplicates.index_new_reports(now=timezone.now() + dt.timedelta(hours=1))
    assert [r.pk for r in similar_public_reports(text, w.region_village)] == [public.pk]
