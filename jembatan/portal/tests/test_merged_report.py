"""A report merged into a similar one tells its reporter so, instead of "archived, not acted on"."""

import pytest

from jembatan.notify.models import Notification
from jembatan.reports import actions
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def test_the_reporter_of_a_merged_report_is_pointed_to_the_original(client, w):
    original = rf.disposed(w)
    duplicate = rf.submit(w, actor=w.other_citizen)
    actions.mark_duplicate(report=duplicate, original=original, actor=w.verifier)
    client.force_login(w.other_citizen)
    page = client.get(f"/lacak/{duplicate.tracking_number}/").content.decode()
    assert "digabungkan dengan laporan serupa" in page
    assert f'href="/laporan/{original.tracking_number}/"' in page
    assert "tidak ditindaklanjuti" not in page
    message = Notification.objects.filter(template="report_archived", report=duplicate).latest("pk")
    assert "digabungkan" in message.subject and "mengirim laporan baru" not in message.body


def test_an_archived_report_still_says_it_is_not_acted_on(client, w):
    report = rf.submit(w, actor=w.other_citizen)
    actions.archive_report(report=report, actor=w.verifier, reason=w.reason_unclear)
    message = Notification.objects.filter(template="report_archived", report=report).latest("pk")
    assert "tidak diproses lebih lanjut" in message.body and "digabungkan" not in message.subject


@pytest.mark.parametrize(
    ("path", "parent"),
    [("/lacak/123456789/nilai/", "/lacak/123456789/"), ("/laporan/123456789/dukung/", "/laporan/123456789/"),
     ("/lapor/serupa", "/lapor/")],
)  # fmt: skip
def test_opening_a_form_only_address_leads_to_its_page(client, path, parent):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == parent


def test_machine_addresses_keep_their_405(client):
    assert client.get("/kanal/sms/").status_code != 302
