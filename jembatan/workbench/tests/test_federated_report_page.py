"""The workbench's report page with federation (issue 16): a verifier can pick an agency another
instance hosts, the disposition says where it is handled, and a copy another instance forwarded here
says where it came from, under which number, and that the reporter's identity stayed there."""

import re

import pytest

from jembatan.directory.models import AgencyKind
from jembatan.directory.tests.factories import make_agency
from jembatan.federation import actions as federated
from jembatan.federation.models import FederationMessage, MessageKind
from jembatan.federation.tests.test_federation import HUB_KEY, envelope, forwarded, send
from jembatan.reports.models import Classification, Report, Status
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def fw(w):
    w.ministry = make_agency("Kementerian PU", kind=AgencyKind.KEMENTERIAN_LEMBAGA, code="kemen-pu")
    federated.register_instance(slug="sumbar", name="Jembatan Sumbar", is_self=True)
    hub = federated.register_instance(
        slug="hub", name="Hub Nasional", base_url="http://127.0.0.1:9", shared_secret=HUB_KEY
    )
    pu = federated.register_instance(
        slug="pu", name="Jembatan Kementerian PU", base_url="http://127.0.0.1:9", shared_secret="kunci-pu"
    )
    federated.host_agency(agency=w.ministry, instance=pu)
    w.hub = hub
    return w


def remote_options(html):
    """The options of the 'other instances' group of the verify form's agency list."""
    group = re.search(r'<optgroup label="Instansi di instans lain">(.*?)</optgroup>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", group.group(1)) if group else []


def test_a_verifier_may_dispose_to_an_agency_hosted_on_another_instance(fw, client):
    report = f.submit(fw)
    client.force_login(fw.verifier)
    page = client.get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    # Kementerian PU is outside the city verifier's own tree: it is offered as another instance's.
    assert remote_options(page) == ["Kementerian PU — di Jembatan Kementerian PU"]

    response = client.post(
        f"/kerja/laporan/{report.tracking_number}/verifikasi/",
        {
            "verify-version": report.version,
            "verify-classification": Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
            "verify-title": report.title,
            "verify-agencies": [fw.ministry.pk],
            "verify-then": "dispose",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.TERDISPOSISI
    assert FederationMessage.objects.get().kind == MessageKind.REPORT_FORWARDED

    # The disposition says where it is handled.
    page = client.get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert "Dikelola di" in page and "Jembatan Kementerian PU (instans lain" in page


def test_no_agency_of_another_instance_is_offered_when_none_is_hosted_elsewhere(w, client):
    report = f.submit(w)
    client.force_login(w.verifier)
    page = client.get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert "Instansi di instans lain" not in page and "Dikelola di" not in page


def test_a_copy_held_here_shows_its_origin_and_number_and_offers_no_third_instance(fw, client):
    send(client, "hub", HUB_KEY, envelope("report_forwarded", 1, forwarded(fw), number="2612010000001"))
    copy = Report.objects.get()
    client.force_login(fw.verifier)
    page = client.get(f"/kerja/laporan/{copy.tracking_number}/").content.decode()
    assert "Diteruskan dari" in page and "Hub Nasional, nomor asal #2612010000001" in page
    # The reporter of the copy is the origin's service account: said so, not shown as a person.
    assert "Identitasnya tidak dikirim ke instans ini" in page and "akun terdaftar" not in page
    # The agency it was sent for was the origin verifier's choice, not the reporter's.
    assert "Diteruskan untuk" in page and "Instansi pilihan pelapor" not in page
    # It came over the federation, not from a LAPOR! export file ("Impor").
    assert "Federasi (dari instans lain)" in page and "<dd>Impor</dd>" not in page
    # Disposing a copy on to a third instance is refused, so it is not offered.
    assert remote_options(page) == []
    assert "Kembalikan ke Hub Nasional (bukan wewenang)" in page
