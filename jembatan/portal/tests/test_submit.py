"""Submitting a report on the portal: guests and citizens, every validation error in Bahasa
Indonesia, attachments refused without losing the form, the idempotency token, rate limits."""

import re

import pytest
from django.test import Client

from jembatan.accounts.tests.factories import make_user
from jembatan.directory.tests.factories import make_category
from jembatan.portal.models import SubmissionToken
from jembatan.portal.tests.helpers import form_data, upload
from jembatan.reports.attachments import MAX_ATTACHMENT_BYTES
from jembatan.reports.models import Attachment, Report

pytestmark = pytest.mark.django_db


def test_submit_page_renders_with_the_region_picker_and_a_fresh_token(client, w):
    response = client.get("/lapor/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="token"' in html and 'name="prov"' in html
    assert "Sumatera Barat" in html  # provinces listed without JavaScript
    assert "Biarkan admin memilih" in html
    other = client.get("/lapor/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert token not in other


def shown_code(page):
    return re.search(r'id="access-code">([A-Z0-9]+)<', page).group(1)


def test_guest_submits_a_report_and_gets_a_tracking_number_and_access_code(client, w):
    response = client.post("/lapor/", form_data(reporter_name="Andi", reporter_phone="0812 3456 7890"))
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/lapor/terkirim/{report.tracking_number}/"
    assert (
        report.reporter is None
        and report.reporter_name == "Andi"
        and report.reporter_phone == "6281234567890"
    )
    assert report.region_id == "13.71.01.1001" and report.channel == "web"
    page = client.get(response["Location"]).content.decode()
    assert f'id="tracking-number">{report.tracking_number}<' in page
    # A guest needs it to reply and rate; only its hash is stored.
    assert report.check_access_code(shown_code(page))
    assert "diverifikasi oleh admin dalam 3 hari kerja" in page


def test_access_code_is_shown_once_only(client, w):
    response = client.post("/lapor/", form_data(is_confidential="on"))
    report = Report.objects.get()
    assert report.is_confidential
    code = shown_code(client.get(response["Location"]).content.decode())
    assert report.check_access_code(code)
    again = client.get(response["Location"])
    assert again.status_code == 200 and code not in again.content.decode()


def test_logged_in_citizen_submits_with_a_photo_and_a_chosen_category_and_agency(client, w):
    client.force_login(w.citizen)
    category = make_category("Jalan Berlubang", parent=w.category)
    data = form_data(reporter_email=None, category=str(category.pk), target_agency=str(w.pupr.pk))
    data["attachments"] = [upload("jalan.png")]
    response = client.post("/lapor/", data)
    report = Report.objects.get()
    assert response.status_code == 302
    assert report.reporter == w.citizen and report.category == category and report.target_agency == w.pupr
    attachment = Attachment.objects.get(report=report)
    assert attachment.content_type == "image/png" and attachment.original_name == "jalan.png"
    page = client.get(response["Location"]).content.decode()
    assert report.tracking_number in page
    assert 'id="access-code"' not in page  # not confidential: the account is enough


def test_logged_in_citizen_is_not_asked_for_contact_details(client, w):
    client.force_login(w.citizen)
    html = client.get("/lapor/").content.decode()
    assert 'name="reporter_email"' not in html
    assert "Siti Rahmawati" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Judul wajib diisi."),
        ({"title": "Aduh"}, "title", "Judul terlalu pendek: paling sedikit 5 karakter."),
        ({"title": "x" * 201}, "title", "Judul terlalu panjang: paling banyak 200 karakter."),
        (
            {"description": "Jalan rusak."},
            "description",
            "Isi laporan terlalu pendek: paling sedikit 20 karakter.",
        ),
        ({"description": ""}, "description", "Isi laporan wajib diisi."),
        ({"kind": "gosip"}, "kind", "Pilih jenis laporan dari daftar."),
        ({"incident_date": "2999-01-01"}, "incident_date", "Tanggal kejadian tidak boleh di masa depan."),
        ({"incident_date": "kemarin"}, "incident_date", "Tanggal tidak valid."),
        ({"reporter_email": ""}, "reporter_email", "Isi alamat e-mail atau nomor ponsel"),
        ({"reporter_email": "bukan-email"}, "reporter_email", "Alamat e-mail tidak valid."),
        ({"reporter_phone": "12345"}, "reporter_phone", "Nomor ponsel tidak valid. Contoh: 0812 3456 7890."),
        (
            {"prov": "", "kab": "", "kec": "", "desa": ""},
            None,
            "Pilih wilayah kejadian, paling tidak provinsinya.",
        ),
        ({"latitude": "123"}, "latitude", "Pastikan nilai ini lebih kecil dari atau sama dengan 90."),
        ({"category": "999999"}, "category", "Pilih kategori dari daftar."),
        ({"target_agency": "999999"}, "target_agency", "Pilih instansi dari daftar."),
    ],
)
def test_each_invalid_field_is_refused_with_a_message_in_bahasa_indonesia(
    client, w, overrides, field, message
):
    response = client.post("/lapor/", form_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert not Report.objects.exists()
    if field:
        # The message is tied to its field for screen readers.
        assert f'id="id_{field}_error"' in html
        assert re.search(rf'aria-describedby="[^"]*id_{field}_error', html)
    assert 'value="Jalan berlubang di depan SDN 12"' in html or overrides.get("title") is not None


def test_more_than_five_attachments_are_refused(client, w):
    data = form_data()
    data["attachments"] = [upload(f"foto{i}.png") for i in range(6)]
    response = client.post("/lapor/", data)
    assert response.status_code == 400
    assert "Paling banyak 5 lampiran." in response.content.decode()
    assert not Report.objects.exists()


def test_fake_image_is_refused_and_everything_else_typed_is_kept(client, w):
    data = form_data(title="Lampu jalan mati di Jalan Sudirman", address="Depan masjid raya")
    data["attachments"] = [upload("foto.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")]
    response = client.post("/lapor/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "bukan gambar (JPEG, PNG, WebP, GIF) atau PDF" in html
    assert 'value="Lampu jalan mati di Jalan Sudirman"' in html
    assert 'value="Depan masjid raya"' in html
    assert data["description"] in html
    assert '<option value="13.71.01.1001" selected>' in html
    assert "lampiran perlu dipilih ulang" in html
    assert 'name="token" value="{}"'.format(data["token"]) in html  # the same token: a retry stays one report
    assert not Report.objects.exists() and not Attachment.objects.exists()


def test_oversized_file_is_refused_without_losing_the_form(client, w):
    data = form_data()
    data["attachments"] = [upload("besar.pdf", b"%PDF-1.4\n" + b"0" * MAX_ATTACHMENT_BYTES + b"\n%%EOF\n")]
    response = client.post("/lapor/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "lebih dari 10 MB" in html and data["description"] in html
    assert not Report.objects.exists()


def test_a_double_click_or_refresh_creates_one_report(client, w):
    data = form_data()
    first = client.post("/lapor/", data)
    second = client.post("/lapor/", data)
    report = Report.objects.get()
    assert first["Location"] == second["Location"] == f"/lapor/terkirim/{report.tracking_number}/"
    assert SubmissionToken.objects.get().report == report


def test_the_same_token_from_another_browser_still_creates_one_report(w):
    data = form_data()
    Client().post("/lapor/", data)
    other = Client().post("/lapor/", data)
    assert Report.objects.count() == 1
    assert other.status_code == 302
    # The second browser is sent to the report but not given its access code.
    page = Client().get(other["Location"])
    assert page.status_code == 404


def test_submissions_are_limited_per_account(client, w, settings):
    settings.PORTAL_SUBMIT_LIMIT_PER_USER = 2
    client.force_login(w.citizen)
    for _i in range(2):
        assert client.post("/lapor/", form_data(reporter_email=None)).status_code == 302
    response = client.post("/lapor/", form_data(reporter_email=None))
    assert response.status_code == 429
    assert "Terlalu banyak laporan dikirim dalam satu jam terakhir" in response.content.decode()
    assert Report.objects.count() == 2
    other = Client()
    other.force_login(w.other_citizen)
    assert other.post("/lapor/", form_data(reporter_email=None)).status_code == 302


def test_submissions_are_limited_per_address(w, settings):
    settings.PORTAL_SUBMIT_LIMIT_PER_IP = 2
    for _i in range(2):
        assert Client(REMOTE_ADDR="10.1.1.1").post("/lapor/", form_data()).status_code == 302
    assert Client(REMOTE_ADDR="10.1.1.1").post("/lapor/", form_data()).status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.2").post("/lapor/", form_data()).status_code == 302
    assert Report.objects.count() == 3


def test_limit_counts_only_the_last_hour(w, settings, time_machine):
    settings.PORTAL_SUBMIT_LIMIT_PER_IP = 1
    time_machine.move_to("2026-03-02 09:00 +07:00")
    assert Client().post("/lapor/", form_data()).status_code == 302
    assert Client().post("/lapor/", form_data()).status_code == 429
    time_machine.move_to("2026-03-02 10:01 +07:00")
    assert Client().post("/lapor/", form_data()).status_code == 302


def test_post_without_csrf_token_is_refused(w):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/lapor/", form_data())
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_region_search_step_works_without_javascript(client, w):
    data = form_data(prov="", kab="", kec="", desa="", region_q="kelurahan contoh", step="region_search")
    html = client.post("/lapor/", data).content.decode()
    assert 'name="region_pick" value="13.71.01.1001"' in html
    assert "Kel. Kelurahan Contoh, Kec. Wilayah 13.71.01, Kota Padang, Sumatera Barat" in html
    assert 'value="Jalan berlubang di depan SDN 12"' in html  # the rest of the form is kept
    assert "errorlist" not in html  # a step is not a submission: no errors yet
    assert not Report.objects.exists()


def test_region_pick_step_fills_every_level_and_offers_the_next(client, w):
    data = form_data(prov="", kab="", kec="", desa="", step="region_pick", region_pick="13.71")
    html = client.post("/lapor/", data).content.decode()
    assert '<option value="13" selected>' in html and '<option value="13.71" selected>' in html
    assert '<option value="13.71.01">' in html  # the kecamatan select now lists Kota Padang's
    assert re.search(r'<select name="desa" id="id_desa" data-level="3" disabled', html)


def test_region_next_step_drops_a_level_that_no_longer_fits(client, w):
    data = form_data(prov="13", kab="99.01", kec="", desa="", step="region_next")
    html = client.post("/lapor/", data).content.decode()
    assert '<option value="13" selected>' in html
    assert '<option value="13.71">' in html  # offered, not selected


def test_a_report_may_be_placed_at_the_province_only(client, w):
    client.post("/lapor/", form_data(kab="", kec="", desa=""))
    assert Report.objects.get().region_id == "13"


def test_region_json_endpoints_serve_the_script(client, w):
    found = client.get("/wilayah/cari", {"q": "padang"}).json()["results"]
    assert found[0]["code"] == "13.71" and found[0]["path"] == ["13", "13.71"]
    children = client.get("/wilayah/13.71/anak").json()["results"]
    assert children == [{"code": "13.71.01", "name": "Wilayah 13.71.01"}]
    assert client.get("/wilayah/99/anak").status_code == 404


def test_new_reporter_can_track_right_after_submitting_as_a_guest(client, w):
    client.post("/lapor/", form_data())
    report = Report.objects.get()
    page = client.get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Kirim tanggapan" in page  # the session holds the access code


def test_anonymous_citizen_report_keeps_the_account_but_hides_the_name(client, w):
    user = make_user(full_name="Rahasia Sekali", email="r@example.id")
    client.force_login(user)
    client.post("/lapor/", form_data(reporter_email=None, is_anonymous="on"))
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter == user


def test_a_repeat_after_reaching_the_limit_still_leads_to_the_first_report(client, w, settings):
    settings.PORTAL_SUBMIT_LIMIT_PER_IP = 1
    data = form_data()
    first = client.post("/lapor/", data)
    again = client.post("/lapor/", data)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert client.post("/lapor/", form_data()).status_code == 429


def test_region_search_puts_the_instances_province_first_and_names_each_level(client, w, settings):
    from jembatan.directory.tests.factories import make_region

    make_region("63", "Kalimantan Selatan")
    make_region("63.03", "Kabupaten Banjar")
    make_region("63.03.01", "Kuranji")
    make_region("13.71.09", "Kuranji")
    make_region("13.71.09.1007", "Kuranji")
    settings.INSTANCE_PROVINCE = "13"
    results = client.get("/wilayah/cari", {"q": "kuranji"}).json()["results"]
    labels = [r["label"] for r in results]
    assert labels[:2] == [
        "Kec. Kuranji, Kota Padang, Sumatera Barat",
        "Kel. Kuranji, Kec. Kuranji, Kota Padang, Sumatera Barat",
    ]
    assert labels[2] == "Kec. Kuranji, Kabupaten Banjar, Kalimantan Selatan"
