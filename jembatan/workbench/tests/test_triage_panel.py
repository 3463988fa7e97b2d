"""Triage on the report page: likely duplicates in the verifier's scope and merging them, the model's
agency and category suggestion, quality flags, and asking for missing details in one click."""

import html
import random
import re

import pytest
from django.db import transaction

from jembatan.directory.tests.factories import make_category, make_region
from jembatan.reports import actions
from jembatan.reports.models import Classification, Status
from jembatan.reports.tests import factories as f
from jembatan.triage import actions as triage_actions
from jembatan.triage import services as triage
from jembatan.triage.tests.factories import complaint
from jembatan.workbench.models import ResponseTemplate, TemplatePurpose

pytestmark = pytest.mark.django_db

STREETLIGHT = (
    "Lampu penerangan jalan umum di Jalan Veteran dekat Masjid Raya Padang sudah mati sejak tiga minggu, "
    "malam hari gelap gulita dan sudah dua kali terjadi penjambretan."
)
# The same complaint sent again, lightly reworded.
STREETLIGHT_AGAIN = (
    "Lampu penerangan jalan umum di Jalan Veteran dekat Masjid Raya Padang sudah mati sejak tiga minggu, "
    "malam hari gelap gulita dan sudah tiga kali terjadi penjambretan. Mohon segera."
)
ROAD = "Jalan berlubang. Aspal di jalan menuju terminal hancur, lubangnya dalam dan motor sering jatuh"


@pytest.fixture(scope="module")
def w(django_db_setup, django_db_blocker):
    """The small government of the reports factories, a verified history, and a model trained on it."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = f.build_world()
        w.cat_health = make_category("Pelayanan Kesehatan")
        w.region_bukittinggi = make_region("13.75.01.1001", "Kelurahan Benteng")
        make_region("13.75", "Kota Bukittinggi")
        rng = random.Random(5)
        for topic, category, agency in (("road", w.category, w.pupr), ("health", w.cat_health, w.dinkes)):
            for _i in range(4):
                title, description = complaint(rng, topic)
                report = f.submit(w, title=title, description=description, category=category)
                report = actions.verify_report(
                    report=report,
                    actor=w.verifier,
                    classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
                )
                actions.dispose_report(report=report, actor=w.verifier, agencies=[agency])
        w.model = triage_actions.train_model(note="workbench")
        yield w
        transaction.set_rollback(True)


def page(client, report, **params):
    response = client.get(f"/kerja/laporan/{report.tracking_number}/", params)
    assert response.status_code == 200
    return response.content.decode()


def card(body, css_class):
    return re.search(rf'class="card {css_class}".*?</section>', body, re.S).group(0)


def form_with(body, button):
    """(action, {name: value}) of the form whose submit button reads `button`."""
    for match in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', body, re.S):
        if button in match.group(2):
            fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(2))
            return match.group(1), {name: html.unescape(value) for name, value in fields}
    raise AssertionError(f"no form with {button!r}")


def confirmed_merge(client, body, link_text):
    """Follow the merge link reading `link_text` to its confirmation page; its form (action, data)."""
    match = re.search(r'<a class="wb-merge" href="([^"]+)">' + re.escape(link_text), body)
    assert match, f"no merge link {link_text!r}"
    confirm = client.get(html.unescape(match.group(1)))
    assert confirm.status_code == 200
    return form_with(confirm.content.decode(), "Ya, gabungkan")


def test_near_identical_reports_from_the_same_city_are_listed_with_their_similarity(w, client):
    original = f.submit(w, title="Lampu jalan mati", description=STREETLIGHT)
    elsewhere = f.submit(
        w,
        title="Lampu jalan mati",
        description=STREETLIGHT,
        region=w.region_bukittinggi,
        target_agency=w.padang,
    )
    different = f.submit(w, title="Sampah menumpuk", description="Sampah di pasar tidak diangkut " * 3)
    report = f.submit(w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN)
    client.force_login(w.verifier)
    box = card(page(client, report), "wb-similar")
    assert re.findall(r'href="/kerja/laporan/(\d+)/"', box) == [original.tracking_number]
    score = dict(triage.find_duplicates(report))[original]
    assert f"{round(score * 100)}% mirip" in box and 60 <= round(score * 100) < 100
    assert "Belum Terverifikasi" in box and "Kota Padang" in box
    assert elsewhere.tracking_number not in box and different.tracking_number not in box
    assert "Gabungkan: duplikat dari ini" in box


def test_duplicates_outside_the_verifiers_scope_are_never_shown(w, client):
    # Addressed to the ministry and, confidentially, to the province: verified above Kota Padang.
    national = f.submit(w, title="Lampu jalan mati", description=STREETLIGHT, target_agency=w.national)
    confidential = f.submit(
        w, title="Lampu jalan mati", description=STREETLIGHT, target_agency=w.prov, is_confidential=True
    )
    report = f.submit(w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN)
    client.force_login(w.verifier)
    box = card(page(client, report), "wb-similar")
    assert national.tracking_number not in box and confidential.tracking_number not in box
    assert "teks yang mirip dari kabupaten/kota yang sama dalam 90 hari" in box
    # The province's verifier does see them.
    client.force_login(w.verifier_prov)
    box = card(page(client, report), "wb-similar")
    assert national.tracking_number not in box and confidential.tracking_number in box


def test_merging_archives_the_newer_report_as_a_duplicate_of_the_older(w, client):
    original = f.submit(w, title="Lampu jalan mati", description=STREETLIGHT)
    report = f.submit(w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN)
    client.force_login(w.verifier)
    action, data = confirmed_merge(client, page(client, report), "Gabungkan: duplikat dari ini")
    assert action == f"/kerja/laporan/{report.tracking_number}/duplikat/"
    response = client.post(action, data)
    assert response.status_code == 302
    assert response["Location"] == f"/kerja/laporan/{report.tracking_number}/"
    report.refresh_from_db()
    assert report.duplicate_of == original and report.status == Status.DIARSIPKAN_ADMIN
    assert original.events.filter(action="duplicate_merged").exists()


def test_from_the_older_report_the_newer_one_is_offered_as_its_duplicate(w, client):
    original = f.submit(w, title="Lampu jalan mati", description=STREETLIGHT)
    newer = f.submit(w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN)
    client.force_login(w.verifier)
    body = page(client, original)
    assert "Gabungkan: duplikat dari ini" not in card(body, "wb-similar")
    action, data = confirmed_merge(client, body, "Gabungkan ke laporan ini")
    assert action == f"/kerja/laporan/{newer.tracking_number}/duplikat/"
    response = client.post(action, data)
    # Back on the original's page, not on the report just archived.
    assert response["Location"] == f"/kerja/laporan/{original.tracking_number}/"
    newer.refresh_from_db()
    original.refresh_from_db()
    assert newer.duplicate_of == original and newer.status == Status.DIARSIPKAN_ADMIN
    assert original.status == Status.BELUM_TERVERIFIKASI


def test_a_newer_report_verified_elsewhere_is_not_archived_from_here(w, client):
    original = f.submit(w, title="Lampu jalan mati", description=STREETLIGHT)
    # Verified by the province and disposed into Kota Padang: Padang sees it but may not verify it.
    newer = f.submit(w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN, target_agency=w.prov)
    newer = actions.verify_report(
        report=newer, actor=w.verifier_prov, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
    )
    actions.dispose_report(report=newer, actor=w.verifier_prov, agencies=[w.pupr])
    client.force_login(w.verifier)
    box = card(page(client, original), "wb-similar")
    assert newer.tracking_number in box
    assert f'action="/kerja/laporan/{newer.tracking_number}/duplikat/"' not in box
    assert "Gabungkan: duplikat dari ini" in box and "di luar wewenang verifikasi Anda" in box


def test_the_model_suggests_agencies_and_categories_with_percents_and_why(w, client):
    report = f.submit(w, title="Jalan berlubang", description=ROAD, category=None)
    suggestion = triage.suggest(report)
    assert suggestion.agency.item == w.pupr
    client.force_login(w.verifier)
    body = page(client, report)
    box = card(body, "wb-usulan")
    assert f"versi {w.model.version}" in box
    for choice in suggestion.agencies:
        assert f'{choice.item.name} <span class="badge">{choice.percent}%</span>' in box
    for choice in suggestion.categories:
        assert f'{choice.item.name} <span class="badge">{choice.percent}%</span>' in box
    assert (
        "Kata penentu:" in box and suggestion.words and all(f"<q>{w_}</q>" in box for w_ in suggestion.words)
    )
    # Without a routing rule the model's first agency is preselected, never disposed to.
    select = re.search(r'<select name="verify-agencies".*?</select>', body, re.S).group(0)
    assert re.search(rf'<option value="{w.pupr.pk}" selected>', select)
    assert len(re.findall(r" selected>", select)) == 1
    report.refresh_from_db()
    assert report.status == Status.BELUM_TERVERIFIKASI and not report.dispositions.exists()


def test_officers_who_may_not_verify_see_no_triage_panels(w, client):
    report = f.disposed(w, description=ROAD)
    client.force_login(w.liaison_pupr)
    body = page(client, report)
    for marker in ("wb-usulan", "wb-similar", "wb-quality", "Usulan model triase", "Minta kelengkapan"):
        assert marker not in body


def test_flags_are_hints_that_hide_nothing(w, client):
    report = f.submit(
        w,
        title="Pegawai kelurahan goblok",
        description="Pegawai kelurahan itu goblok dan bangsat, dasar tolol, tidak becus kerja di kantor.",
    )
    client.force_login(w.verifier)
    box = card(page(client, report), "wb-quality")
    assert "kata kasar" in box and "<q>goblok</q>" in box
    assert "tidak disembunyikan atau dihapus" in box
    report.refresh_from_db()
    assert report.status == Status.BELUM_TERVERIFIKASI


def incomplete(w):
    return f.submit(
        w, title="Lampu mati", description="Lampunya mati, tolong diganti ya.", region=w.region_padang
    )


def test_an_incomplete_report_prefills_the_request_for_information(w, client):
    report = incomplete(w)
    expected = triage.completeness(report)
    assert expected.codes == ["what", "where", "when"]
    client.force_login(w.verifier)
    body = page(client, report)
    box = card(body, "wb-quality")
    assert all(html.escape(item.label) in box for item in expected.missing)
    textarea = re.search(r'<textarea name="request-message".*?</textarea>', body, re.S).group(0)
    assert html.escape(expected.message) in textarea


def test_a_chosen_template_wins_over_the_prefilled_request(w, client):
    template = ResponseTemplate.objects.create(
        agency=w.padang,
        name="Minta foto",
        purpose=TemplatePurpose.REQUEST_INFORMATION,
        body="Mohon kirim foto lokasi untuk laporan #{nomor}.",
    )
    report = incomplete(w)
    client.force_login(w.verifier)
    body = page(client, report, untuk="request", templat=template.pk)
    textarea = re.search(r'<textarea name="request-message".*?</textarea>', body, re.S).group(0)
    assert f"Mohon kirim foto lokasi untuk laporan #{report.tracking_number}." in textarea
    assert "mohon lengkapi" not in textarea


def test_a_complete_report_has_no_prefilled_request(w, client):
    report = f.submit(w)  # where (SDN 12, the village), when (dua minggu) and what are all there
    client.force_login(w.verifier)
    body = page(client, report)
    textarea = re.search(r'<textarea name="request-message".*?</textarea>', body, re.S).group(0)
    assert "mohon lengkapi" not in textarea and "wb-quality" not in body


def test_asking_for_the_missing_details_takes_one_click(w, client):
    report = incomplete(w)
    client.force_login(w.verifier)
    action, data = form_with(page(client, report), "Minta kelengkapan")
    assert action == f"/kerja/laporan/{report.tracking_number}/minta-informasi/"
    response = client.post(action, data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.MENUNGGU_KELENGKAPAN
    event = report.events.get(action="information_requested")
    assert event.text == triage.completeness(report).message


def test_the_officer_recording_a_report_gets_category_suggestions(w, client):
    group = make_category("Infrastruktur")
    for category in (w.category, w.cat_health):
        category.parent = group
        category.save(update_fields=["parent"])
    client.force_login(w.verifier)
    form = client.get("/kerja/laporan/baru/").content.decode()
    assert 'data-suggest-url="/kerja/laporan/baru/saran/"' in form and 'id="category-suggestions"' in form
    response = client.post("/kerja/laporan/baru/saran/", {"teks": ROAD, "wilayah": "13.71.01.1001"})
    categories = response.json()["categories"]
    assert categories[0]["id"] == w.category.pk and set(categories[0]) == {"id", "name", "percent"}
    assert client.post("/kerja/laporan/baru/saran/", {"teks": "jalan rusak"}).json() == {"categories": []}
    assert client.get("/kerja/laporan/baru/saran/").status_code == 302  # to the form
    client.force_login(w.liaison_pupr)  # records no reports for citizens
    assert client.post("/kerja/laporan/baru/saran/", {"teks": ROAD}).status_code == 403


def test_no_merge_button_would_hide_a_public_report_in_a_confidential_one(w, client):
    public = f.disposed(w, title="Lampu jalan mati", description=STREETLIGHT)
    confidential = f.submit(
        w, title="Lampu jalan masih mati", description=STREETLIGHT_AGAIN, is_confidential=True
    )
    client.force_login(w.verifier)
    # From the confidential (newer) report: archiving itself into the public one is the only way.
    box = card(page(client, confidential), "wb-similar")
    assert public.tracking_number in box and "Gabungkan: duplikat dari ini" in box
    # From the public (older) report: the newer one is confidential and may go into it...
    box = card(page(client, public), "wb-similar")
    assert "Gabungkan ke laporan ini" in box
    # ...but a public report never goes into a confidential one.
    older_confidential = f.submit(w, title="Lampu mati", description=STREETLIGHT, is_confidential=True)
    newer_public = f.submit(w, title="Lampu jalan mati lagi", description=STREETLIGHT_AGAIN)
    actions.mark_duplicate(report=confidential, original=public, actor=w.verifier)
    box = card(page(client, newer_public), "wb-similar")
    row = re.search(rf"#{older_confidential.tracking_number}.*?</li>", box, re.S).group(0)
    assert "Gabungkan" not in row
