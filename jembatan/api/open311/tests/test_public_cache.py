"""Open311's cached public reads (reports/publication.py): a change shows on the very next request,
a caller with an api_key never reads or fills the public copy, and a cached answer is the same
bytes the uncached path builds."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jembatan.api import actions as api_actions
from jembatan.api.open311.tests.test_open311 import post_request
from jembatan.directory.tests.factories import make_category
from jembatan.reports import actions, publication
from jembatan.reports.models import Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client()


@pytest.fixture
def pothole(w):
    group = make_category("Infrastruktur", code="G-INFRA")
    return make_category("Jalan Rusak", parent=group, code="INFRA-JALAN", keywords="jalan, lubang")


@pytest.fixture
def api_key(w):
    _key, raw = api_actions.issue_open311_key(name="Aplikasi Warga Padang")
    return raw


def numbers(response):
    return [item["service_request_id"] for item in response.json()]


def report_queries(call):
    """The queries of `call` that read reports (a cached answer reads none)."""
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return response, [q["sql"] for q in ctx.captured_queries if "reports_report" in q["sql"]]


def test_a_repeated_list_or_request_is_answered_from_the_cache_with_the_same_bytes(api, pothole, w):
    report = rf.disposed(w, category=pothole)
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{report.tracking_number}.xml"):
        first, read = report_queries(lambda path=path: api.get(path, {"page_size": "100"}))
        assert read  # built from the database once
        again, read_again = report_queries(lambda path=path: api.get(path, {"page_size": "100"}))
        assert read_again == []
        assert again.content == first.content and again["ETag"] == first["ETag"]
        assert again["Last-Modified"] == first["Last-Modified"]


def test_a_verified_report_shows_on_the_very_next_request(api, pothole, w):
    shown = rf.disposed(w, category=pothole)
    waiting = rf.submit(w, category=pothole)
    assert numbers(api.get("/open311/v2/requests.json")) == [shown.tracking_number]
    assert api.get(f"/open311/v2/requests/{waiting.tracking_number}.json").status_code == 404
    actions.verify_report(report=waiting, actor=w.verifier, classification="aspirasi")
    actions.dispose_report(report=waiting, actor=w.verifier, agencies=[w.pupr])
    assert numbers(api.get("/open311/v2/requests.json")) == [waiting.tracking_number, shown.tracking_number]
    assert api.get(f"/open311/v2/requests/{waiting.tracking_number}.json").status_code == 200


def test_a_closed_or_answered_report_reads_closed_at_once_in_the_list_and_alone(api, pothole, w):
    report = rf.in_progress(w, category=pothole)
    one = f"/open311/v2/requests/{report.tracking_number}.json"
    assert api.get("/open311/v2/requests.json").json()[0]["status"] == "open"
    assert api.get(one).json()[0]["status"] == "open"
    actions.post_follow_up(
        disposition=report.dispositions.get(), actor=w.liaison_pupr, text="Lubang sudah ditambal hari ini."
    )
    [listed] = api.get("/open311/v2/requests.json").json()
    [alone] = api.get(one).json()
    assert listed["status"] == alone["status"] == "closed"
    assert alone["status_notes"].startswith("Lubang sudah ditambal")


def test_a_merged_report_vanishes_on_the_very_next_request(api, pothole, w):
    kept = rf.disposed(w, category=pothole)
    merged = rf.disposed(w, category=pothole)
    one = f"/open311/v2/requests/{merged.tracking_number}.json"
    assert merged.tracking_number in api.get("/open311/v2/requests.xml").content.decode()
    assert api.get(one).status_code == 200
    actions.mark_duplicate(report=merged, original=kept, actor=w.verifier)
    assert numbers(api.get("/open311/v2/requests.json")) == [kept.tracking_number]
    assert merged.tracking_number not in api.get("/open311/v2/requests.xml").content.decode()
    assert api.get(one).status_code == 404


def test_an_api_key_neither_reads_nor_fills_the_public_copy(api, api_key, pothole, w):
    public = rf.disposed(w, category=pothole)
    [created] = post_request(api, api_key).json()
    mine = created["service_request_id"]
    batch = {"service_request_id": f"{public.tracking_number},{mine}"}
    # The keyed caller first: what it may see must not be kept for the public.
    assert set(numbers(api.get("/open311/v2/requests.json", {**batch, "api_key": api_key}))) == {
        public.tracking_number,
        mine,
    }
    assert api.get(f"/open311/v2/requests/{mine}.json", {"api_key": api_key}).status_code == 200
    assert numbers(api.get("/open311/v2/requests.json", batch)) == [public.tracking_number]
    assert api.get(f"/open311/v2/requests/{mine}.json").status_code == 404
    # And the other way round: the public copy (now cached) is not what the key is given.
    assert set(numbers(api.get("/open311/v2/requests.json", {**batch, "api_key": api_key}))) == {
        public.tracking_number,
        mine,
    }
    keyed = api.get(f"/open311/v2/requests/{mine}.json", {"api_key": api_key})
    assert keyed.status_code == 200 and "private" in keyed["Cache-Control"]


def test_a_new_unverified_report_keeps_the_public_version_and_any_other_action_changes_it(
    api_key, api, pothole, w
):
    rf.disposed(w, category=pothole)
    before = publication.current()
    post_request(api, api_key, address_id="13.71")
    assert publication.current() == before  # intake does not empty the cache
    report = Report.objects.get(status=Status.BELUM_TERVERIFIKASI)
    actions.verify_report(report=report, actor=w.verifier, classification="aspirasi")
    assert publication.current() != before


def test_a_request_filed_by_its_list_is_the_answer_the_request_builds_itself(api, pothole, w, settings):
    reports = [rf.disposed(w, category=pothole), rf.answered(w, category=pothole)]
    for fmt in ("json", "xml"):
        api.get(f"/open311/v2/requests.{fmt}")  # files each request of the page
        for report in reports:
            path = f"/open311/v2/requests/{report.tracking_number}.{fmt}"
            filed, read = report_queries(lambda path=path: api.get(path))
            assert read == []
            settings.PUBLIC_CACHE_SECONDS = 0  # built from the database, nothing kept
            built = api.get(path)
            settings.PUBLIC_CACHE_SECONDS = 300
            assert filed.status_code == built.status_code == 200
            assert filed.content == built.content and filed["ETag"] == built["ETag"]


def test_a_cached_answer_still_gets_its_304(api, pothole, w):
    rf.disposed(w, category=pothole)
    first = api.get("/open311/v2/requests.json")
    again, read = report_queries(
        lambda: api.get("/open311/v2/requests.json", HTTP_IF_NONE_MATCH=first["ETag"])
    )
    assert again.status_code == 304 and read == []


def test_the_default_window_moves_with_the_clock_even_when_nothing_changes(api, pothole, w):
    old = rf.disposed(w, category=pothole)
    newer = rf.disposed(w, category=pothole)
    Report.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=89))
    Report.objects.filter(pk=newer.pk).update(submitted_at=timezone.now() - dt.timedelta(days=10))
    publication.bump()  # the two updates above bypass the actions (a test's shortcut)
    assert numbers(api.get("/open311/v2/requests.json")) == [newer.tracking_number, old.tracking_number]
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert numbers(api.get("/open311/v2/requests.json")) == [newer.tracking_number]


def test_languages_and_formats_are_kept_apart(api, pothole, w):
    report = rf.disposed(w, category=pothole)
    path = f"/open311/v2/requests/{report.tracking_number}"
    indonesian = api.get(path + ".json").json()[0]["service_notice"]
    english = api.get(path + ".json", HTTP_ACCEPT_LANGUAGE="en").json()[0]["service_notice"]
    assert indonesian != english
    assert api.get(path + ".xml").content.startswith(b"<?xml")
