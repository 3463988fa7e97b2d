"""Every portal page renders, in Bahasa Indonesia by default and in English on request; user text
is always escaped; the 403 page speaks Bahasa Indonesia."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from jembatan.portal.tests.helpers import XSS_PAYLOADS, form_data
from jembatan.reports import actions
from jembatan.reports.models import Classification, Report
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def test_every_page_renders(client, w):
    report = rf.answered(w)
    client.force_login(w.citizen)
    for url in (
        "/",
        "/lapor/",
        "/lacak/",
        f"/lacak/{report.tracking_number}/",
        "/laporan/",
        f"/laporan/{report.tracking_number}/",
        "/saya/",
        "/wilayah/cari?q=pad",
        "/wilayah/13/anak",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    for url in ("/", "/lapor/", "/laporan/", f"/laporan/{report.tracking_number}/"):
        html = Client().get(url).content.decode()
        assert '<html lang="id">' in html and 'href="#main"' in html


def test_every_input_has_a_label(client, w):
    for url in ("/lapor/", "/laporan/", "/"):
        html = client.get(url).content.decode()
        ids = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag or 'type="submit"' in tag:
                continue
            match = re.search(r'id="([^"]+)"', tag)
            assert match and match.group(1) in ids, (url, tag)


def test_language_switch_to_english(client, w):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/lapor/"})
    assert response.status_code == 302 and response["Location"] == "/lapor/"
    html = client.get("/lapor/").content.decode()
    assert '<html lang="en">' in html
    assert 'value="id"' in html and "Bahasa Indonesia</button>" in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_escaped_from_submit_to_public_and_track_pages(client, w, payload):
    response = client.post(
        "/lapor/",
        form_data(
            title=f"Judul {payload}",
            description=f"Isi laporan yang cukup panjang {payload}",
            reporter_name=payload,
        ),
    )
    assert response.status_code == 302
    report = Report.objects.get()
    report = actions.verify_report(
        report=report, actor=w.verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
    )
    actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    tracker = client  # the guest's session holds the access code: the unredacted reporter view
    tracker.post(f"/lacak/{report.tracking_number}/balas/", {"text": f"Balasan {payload}"})
    pages = [
        tracker.get(f"/lacak/{report.tracking_number}/").content.decode(),
        Client().get(f"/laporan/{report.tracking_number}/").content.decode(),
        Client().get("/laporan/").content.decode(),
        Client().get("/").content.decode(),
    ]
    for html in pages:
        if set(payload) & set("<>\"'"):
            assert payload not in html
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg" not in html
        assert 'href="javascript:' not in html
    assert f"Judul {escape(payload)}" in pages[0] and f"Judul {escape(payload)}" in pages[1]
    assert f"Balasan {escape(payload)}" in pages[0]


def test_xss_payload_in_a_rejected_form_is_escaped_when_it_comes_back(client, w):
    payload = "</textarea><script>alert(2)</script>"
    html = client.post("/lapor/", form_data(title="", description=payload)).content.decode()
    assert payload not in html and "&lt;/textarea&gt;&lt;script&gt;" in html


def test_xss_payload_in_the_region_search_is_escaped(client, w):
    html = client.post(
        "/lapor/", form_data(step="region_search", region_q='"><script>alert(1)</script>')
    ).content.decode()
    assert "<script>alert(1)" not in html


def test_forbidden_page_speaks_bahasa_indonesia(client, w):
    report = rf.submit(w)
    client.force_login(w.other_citizen)
    response = client.post(f"/lacak/{report.tracking_number}/tutup/", {})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Akses ditolak" in html and '<html lang="id">' in html


def test_a_phone_set_to_english_still_gets_bahasa_indonesia_until_the_switch_is_used(client, w, settings):
    at = settings.MIDDLEWARE.index("jembatan.middleware.LocaleMiddleware")
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:at],
        "jembatan.middleware.IndonesianFirstMiddleware",
        *settings.MIDDLEWARE[at:],
    ]
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="id">' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


def test_search_index_can_be_rebuilt_from_the_command_line(w):
    from io import StringIO

    from django.core.management import call_command

    from jembatan.reports.search import search_reports

    report = rf.submit(w, title="Genangan air di Jalan Sudirman")
    Report.objects.filter(pk=report.pk).update(title="Banjir rob di Pantai Padang")
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert out.getvalue().strip()
    assert list(search_reports(Report.objects.all(), "rob")) == [report]
