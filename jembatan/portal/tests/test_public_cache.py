"""The portal's cached public pages (reports/publication.py): the list and a report's page change on
the very next request after an action, each visitor still gets their own CSRF token, and a signed-in
citizen's page (what they supported, their own report) is never kept nor shown to others."""

import re

import pytest
from django.test import Client

from jembatan.reports import actions
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_a_verified_report_and_a_new_support_show_on_the_list_at_once(client, w):
    shown = rf.disposed(w, title="Jalan berlubang di Jalan Veteran")
    waiting = rf.submit(w, title="Sampah menumpuk di Pasar Raya")
    html = client.get("/laporan/").content.decode()
    assert shown.title in html and waiting.title not in html and "1 dukungan" not in html
    actions.verify_report(report=waiting, actor=w.verifier, classification="aspirasi")
    actions.dispose_report(report=waiting, actor=w.verifier, agencies=[w.pupr])
    actions.support_report(report=shown, actor=w.other_citizen)
    html = client.get("/laporan/").content.decode()
    assert waiting.title in html and "1 dukungan" in html


def test_a_report_page_shows_a_follow_up_at_once_and_vanishes_when_merged(client, w):
    report = rf.in_progress(w)
    kept = rf.disposed(w)
    page = f"/laporan/{report.tracking_number}/"
    assert "Lubang sudah ditambal" not in client.get(page).content.decode()
    actions.post_follow_up(
        disposition=report.dispositions.get(), actor=w.liaison_pupr, text="Lubang sudah ditambal hari ini."
    )
    assert "Lubang sudah ditambal hari ini." in client.get(page).content.decode()
    actions.mark_duplicate(report=report, original=kept, actor=w.verifier)
    assert client.get(page).status_code == 404


def test_each_visitor_gets_their_own_csrf_token_on_a_kept_page(w):
    report = rf.disposed(w)
    tokens = set()
    for path in ("/laporan/", f"/laporan/{report.tracking_number}/"):
        for _visitor in range(2):
            visitor = Client(enforce_csrf_checks=True)
            response = visitor.get(path)
            [token] = set(TOKEN.findall(response.content.decode()))
            tokens.add(token)
            # The token works for this visitor: the language switch accepts it.
            switched = visitor.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token})
            assert switched.status_code == 302
    assert len(tokens) == 4


def test_a_supporters_page_is_their_own_and_the_public_page_stays_public(client, w):
    report = rf.disposed(w)
    page = f"/laporan/{report.tracking_number}/"
    assert "Dukung</button>" in client.get(page).content.decode()
    supporter = Client()
    supporter.force_login(w.other_citizen)
    supporter.post(f"/laporan/{report.tracking_number}/dukung/")
    own = supporter.get(page).content.decode()
    assert "Anda sudah mendukung laporan ini." in own
    public = client.get(page).content.decode()
    assert "Anda sudah mendukung" not in public and "Dukung</button>" in public
    assert "1 warga mendukung" in public
