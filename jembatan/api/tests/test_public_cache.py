"""The REST API's cached public reads (reports/publication.py): the public search and an anonymous
track change on the very next request after an action, and a reporter's view (access code or
login) is never kept nor given to anyone else."""

import pytest

from jembatan.reports import actions
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


def track(client, report, **headers):
    return client.get(f"/api/v1/reports/{report.tracking_number}/", **headers)


def test_an_anonymous_track_shows_each_action_on_the_very_next_request(client, w):
    report = rf.submit(w)
    assert track(client, report).json()["status"] == "belum_terverifikasi"
    assert track(client, report).json()["status"] == "belum_terverifikasi"  # the kept answer
    actions.verify_report(report=report, actor=w.verifier, classification="aspirasi")
    actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    body = track(client, report).json()
    assert body["status"] == "terdisposisi" and body["agencies"] == ["Dinas PUPR Kota Padang"]


def test_the_reporters_view_is_never_kept_for_others_nor_others_view_given_to_the_reporter(client, w):
    guest = rf.submit(
        w, actor=None, reporter_email="tamu@example.id", description="Jalan rusak, hubungi 0812 3456 7890 ya."
    )
    code = guest.access_code
    stranger = track(client, guest).json()
    assert stranger["is_reporter"] is False and "0812" not in stranger["description"]
    own = track(client, guest, HTTP_X_ACCESS_CODE=code).json()
    assert own["is_reporter"] is True and "0812 3456 7890" in own["description"]
    again = track(client, guest).json()
    assert again["is_reporter"] is False and "0812" not in again["description"]


def test_a_signed_in_reporter_gets_their_own_view_after_the_public_one_was_kept(client, citizen_client, w):
    report = rf.submit(w, description="Jalan rusak di depan rumah, hubungi 0812 3456 7890 segera.")
    assert track(client, report).json()["is_reporter"] is False
    mine = track(citizen_client, report).json()
    assert mine["is_reporter"] is True and "0812 3456 7890" in mine["description"]
    assert track(client, report).json()["is_reporter"] is False


def test_a_confidential_report_is_never_answered_from_the_cache(client, w):
    secret = rf.submit(w, actor=None, reporter_email="rahasia@example.id", is_confidential=True)
    assert track(client, secret, HTTP_X_ACCESS_CODE=secret.access_code).status_code == 200
    assert track(client, secret).status_code == 403
    assert track(client, secret).status_code == 403


def test_the_public_search_shows_a_verified_report_on_the_very_next_request(client, w):
    shown = rf.disposed(w, title="Lampu jalan padam di Jalan Sudirman")
    waiting = rf.submit(w, title="Sampah menumpuk di Pasar Raya")
    first = client.get("/api/v1/public/reports/").json()
    assert [r["tracking_number"] for r in first["results"]] == [shown.tracking_number]
    assert client.get("/api/v1/public/reports/").json() == first
    actions.verify_report(report=waiting, actor=w.verifier, classification="aspirasi")
    actions.dispose_report(report=waiting, actor=w.verifier, agencies=[w.pupr])
    numbers = [r["tracking_number"] for r in client.get("/api/v1/public/reports/").json()["results"]]
    assert numbers == [waiting.tracking_number, shown.tracking_number]
    found = client.get("/api/v1/public/reports/", {"q": "sampah"}).json()["results"]
    assert [r["tracking_number"] for r in found] == [waiting.tracking_number]
