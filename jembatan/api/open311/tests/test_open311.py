"""Open311 GeoReport v2 conformance, per endpoint and per format.

JSON answers are validated against the official schemas copied into tests/schemas (jsonschema),
with a date-time check that insists on a time zone, as the spec does.
"""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from jembatan.api import actions as api_actions
from jembatan.directory.tests.factories import make_category
from jembatan.reports import actions
from jembatan.reports.models import Channel, Report, Status
from jembatan.reports.tests import factories as rf

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
checker = FormatChecker()


@checker.checks("date-time")
def _w3c(value):
    return not isinstance(value, str) or bool(W3C_DATETIME.match(value))


def _load(name):
    return json.loads((SCHEMAS / name).read_text())


REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(_load(name), default_specification=DRAFT202012))
    for name in ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")
)


def assert_valid(name, document):
    validator = Draft202012Validator(_load(name), registry=REGISTRY, format_checker=checker)
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, [e.message for e in errors]


@pytest.fixture
def api():
    return Client()


@pytest.fixture
def pothole(w):
    """A leaf category under a group: the service clients will pick."""
    group = make_category("Infrastruktur", code="G-INFRA")
    return make_category("Jalan Rusak", parent=group, code="INFRA-JALAN", keywords="jalan, lubang, aspal")


@pytest.fixture
def api_key(w):
    _key, raw = api_actions.issue_open311_key(name="Aplikasi Warga Padang")
    return raw


def post_request(api, api_key, fmt="json", **fields):
    data = {
        "api_key": api_key,
        "service_code": "INFRA-JALAN",
        "lat": "-0.949",
        "long": "100.354",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya bagi motor.",
        "email": "warga@example.id",
        **fields,
    }
    return api.post(f"/open311/v2/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def xml_of(response):
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)


# --- Discovery and services ------------------------------------------------------------------------


def test_discovery_lists_the_v2_endpoint_in_both_formats(api, w):
    document = api.get("/open311/v2/discovery.json").json()
    endpoint = document["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert {"changeset", "contact", "key_service"} <= set(document)
    root = xml_of(api.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_are_the_leaf_categories_with_group_and_keywords(api, pothole):
    response = api.get("/open311/v2/services.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    assert_valid("services.json", services)
    service = next(s for s in services if s["service_code"] == "INFRA-JALAN")
    assert service == {
        "service_code": "INFRA-JALAN",
        "service_name": "Jalan Rusak",
        "description": "Infrastruktur: Jalan Rusak",
        "metadata": True,
        "type": "realtime",
        "keywords": "jalan, lubang, aspal",
        "group": "Infrastruktur",
    }
    assert "G-INFRA" not in {s["service_code"] for s in services}  # a group is not a service
    root = xml_of(api.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    xml_service = next(s for s in root.findall("service") if s.findtext("service_code") == "INFRA-JALAN")
    assert xml_service.findtext("metadata") == "true" and xml_service.findtext("group") == "Infrastruktur"


def test_a_service_definition_has_the_incident_date_and_other_attributes(api, pothole):
    definition = api.get("/open311/v2/services/INFRA-JALAN.json").json()
    assert_valid("service-definition.json", definition)
    codes = {a["code"]: a for a in definition["attributes"]}
    assert codes["incident_date"]["datatype"] == "datetime"
    assert [v["key"] for v in codes["report_type"]["values"]] == [
        "pengaduan",
        "aspirasi",
        "permintaan_informasi",
    ]
    root = xml_of(api.get("/open311/v2/services/INFRA-JALAN.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values") is None or root.findall(
        "attributes/attribute/values/value"
    )
    assert len(root.findall("attributes/attribute")) == 4


def test_an_unknown_service_is_404_in_the_spec_error_format(api, pothole):
    response = api.get("/open311/v2/services/TIDAK-ADA.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404 and response.json()[0]["description"]
    root = xml_of(api.get("/open311/v2/services/TIDAK-ADA.xml"))
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_jurisdiction_id_is_ours_or_404_and_an_empty_one_is_ignored(api, pothole, settings):
    settings.SITE_URL = "https://www.lapor.sumbarprov.go.id"
    assert (
        api.get("/open311/v2/services.json", {"jurisdiction_id": "lapor.sumbarprov.go.id"}).status_code == 200
    )
    assert api.get("/open311/v2/services.json", {"jurisdiction_id": ""}).status_code == 200
    assert api.get("/open311/v2/services.json", {"jurisdiction_id": "sfgov.org"}).status_code == 404
    settings.OPEN311_JURISDICTION = "sumbarprov.go.id"
    assert api.get("/open311/v2/services.json", {"jurisdiction_id": "sumbarprov.go.id"}).status_code == 200


def test_an_unknown_resource_or_format_is_404(api, w):
    assert api.get("/open311/v2/services.html").status_code == 404
    assert api.get("/open311/v2/whatever.json").json()[0]["code"] == 404


# --- POST requests -----------------------------------------------------------------------------------


def test_posting_needs_a_valid_api_key(api, pothole):
    missing = post_request(api, None)
    assert missing.status_code == 403 and missing.json()[0]["code"] == 403
    wrong = post_request(api, "jb_bukan-kunci")
    assert wrong.status_code == 403
    assert not Report.objects.exists()


def test_posting_an_unknown_service_is_404(api, api_key, pothole):
    assert post_request(api, api_key, service_code="TIDAK-ADA").status_code == 404


def test_posting_without_a_location_is_400(api, api_key, pothole):
    response = post_request(api, api_key, lat="", long="")
    assert response.status_code == 400
    assert "Lokasi" in response.json()[0]["description"]
    assert post_request(api, api_key, lat="-0.9", long=None).status_code == 400


def test_a_rule_of_the_report_itself_is_a_400_with_its_message(api, api_key, pothole):
    response = post_request(api, api_key, description="terlalu pendek")
    assert response.status_code == 400
    assert "description" in response.json()[0]["description"]


def test_a_posted_request_becomes_a_report_and_answers_with_its_id(api, api_key, pothole, w):
    response = post_request(
        api,
        api_key,
        address_id="13.71",
        **{"attribute[incident_date]": "2026-01-05T08:00:00+07:00", "attribute[anonymous]": "true"},
    )
    assert response.status_code == 200, response.content
    [created] = response.json()
    report = Report.objects.get(tracking_number=created["service_request_id"])
    assert report.channel == Channel.OPEN311 and report.category == pothole
    assert report.region_id == "13.71" and report.verifying_agency == w.padang
    assert report.is_anonymous and str(report.incident_date) == "2026-01-05"
    assert "token" not in created and created["service_notice"]
    xml = xml_of(post_request(api, api_key, "xml", **{"attribute[title]": "Lubang di Jalan Sudirman"}))
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text.isdigit()


def test_a_post_retried_with_its_idempotency_key_creates_one_report(api, api_key, pothole):
    data = {
        "api_key": api_key,
        "service_code": "INFRA-JALAN",
        "address_string": "Jl. Sudirman No. 1, Padang",
        "description": "Jalan berlubang besar di depan SDN 12 Padang, berbahaya.",
        "phone": "081234567000",
    }
    first = api.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="satu")
    again = api.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="satu")
    assert first.json() == again.json()
    assert Report.objects.count() == 1
    changed = api.post(
        "/open311/v2/requests.json", {**data, "phone": "081299999999"}, HTTP_IDEMPOTENCY_KEY="satu"
    )
    assert changed.status_code == 400


# --- GET requests ------------------------------------------------------------------------------------


def test_a_third_party_client_follows_its_request_until_it_is_closed(api, api_key, pothole, w):
    services = api.get("/open311/v2/services.json").json()
    assert "INFRA-JALAN" in {s["service_code"] for s in services}
    [created] = post_request(api, api_key, address_id="13.71").json()
    number = created["service_request_id"]
    # Not verified yet: only the key that posted it may read it.
    assert api.get(f"/open311/v2/requests/{number}.json").status_code == 404
    [opened] = api.get(f"/open311/v2/requests/{number}.json", {"api_key": api_key}).json()
    assert_valid("request.json", opened)
    assert opened["status"] == "open" and opened["expected_datetime"]
    report = Report.objects.get(tracking_number=number)
    actions.verify_report(report=report, actor=w.verifier, classification="aspirasi")
    actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr])
    actions.start_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr)
    actions.post_follow_up(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        text="Lubang sudah ditambal oleh tim pemeliharaan jalan pada hari Senin.",
    )
    [answered] = api.get(f"/open311/v2/requests/{number}.json").json()
    assert_valid("request.json", answered)
    assert answered["status"] == "closed"
    assert answered["status_notes"].startswith("Lubang sudah ditambal")
    assert answered["agency_responsible"] == "Dinas PUPR Kota Padang"
    assert answered["updated_datetime"] >= answered["requested_datetime"]
    root = xml_of(api.get(f"/open311/v2/requests/{number}.xml"))
    assert root.tag == "service_requests" and root.find("request/status").text == "closed"


def test_the_request_list_validates_and_filters(api, pothole, w):
    open_report = rf.disposed(w, category=pothole)
    closed_report = rf.answered(w, category=pothole)
    rf.submit(w, category=pothole)  # not yet verified: not listed
    everything = api.get("/open311/v2/requests.json").json()
    assert_valid("requests.json", everything)
    assert {r["service_request_id"] for r in everything} == {
        open_report.tracking_number,
        closed_report.tracking_number,
    }
    only_open = api.get("/open311/v2/requests.json", {"status": "open"}).json()
    assert [r["service_request_id"] for r in only_open] == [open_report.tracking_number]
    both = api.get(
        "/open311/v2/requests.json", {"status": "open,closed", "service_code": "INFRA-JALAN"}
    ).json()
    assert len(both) == 2
    assert api.get("/open311/v2/requests.json", {"service_code": "LAIN"}).json() == []
    by_id = api.get(
        "/open311/v2/requests.json", {"service_request_id": closed_report.tracking_number, "status": "open"}
    ).json()
    assert [r["service_request_id"] for r in by_id] == [closed_report.tracking_number]  # overrides the rest
    paged = api.get("/open311/v2/requests.json", {"page_size": "1", "page": "2"}).json()
    assert [r["service_request_id"] for r in paged] == [open_report.tracking_number]
    root = xml_of(api.get("/open311/v2/requests.xml"))
    assert [r.tag for r in root] == ["request", "request"]


def test_dates_must_carry_a_time_zone_and_span_at_most_90_days(api, pothole, w):
    rf.disposed(w, category=pothole)
    assert api.get("/open311/v2/requests.json", {"start_date": "2026-01-01T00:00:00"}).status_code == 400
    assert api.get("/open311/v2/requests.json", {"start_date": "kemarin"}).status_code == 400
    too_long = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    assert api.get("/open311/v2/requests.json", too_long).status_code == 400
    past = {"start_date": "2020-01-01T00:00:00+07:00", "end_date": "2020-02-01T00:00:00+07:00"}
    assert api.get("/open311/v2/requests.json", past).json() == []
    for value in api.get("/open311/v2/requests.json").json()[0].values():
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
            assert W3C_DATETIME.match(value), value


def test_confidential_reports_never_appear(api, pothole, w):
    secret = rf.disposed(w, category=pothole, is_confidential=True)
    assert api.get("/open311/v2/requests.json").json() == []
    assert api.get(f"/open311/v2/requests/{secret.tracking_number}.json").status_code == 404
    assert api.get("/open311/v2/requests.json", {"service_request_id": secret.tracking_number}).json() == []
    assert api.get(f"/open311/v2/tokens/{secret.tracking_number}.json").status_code == 404


def test_the_reporter_is_never_exposed_and_personal_data_is_filtered(api, pothole, w):
    report = rf.disposed(
        w,
        category=pothole,
        is_anonymous=True,
        description="Jalan rusak parah, silakan hubungi Siti di 0812 3456 7890 atau siti@example.id.",
    )
    text = api.get(f"/open311/v2/requests/{report.tracking_number}.json?extensions=true").content.decode()
    assert "0812 3456 7890" not in text and "siti@example.id" not in text
    assert "Rahmawati" not in text


def test_extensions_add_the_public_timeline_as_notes(api, pothole, w):
    report = rf.answered(w, category=pothole)
    [item] = api.get(f"/open311/v2/requests/{report.tracking_number}.json", {"extensions": "true"}).json()
    assert_valid("request.json", item)
    types = [n["type"] for n in item["notes"]]
    assert types[0] == "submitted" and "follow_up_posted" in types
    assert "note" not in types and "disposed" not in types  # internal events stay inside
    assert item["extended_attributes"]["tracking_number"] == report.tracking_number
    root = xml_of(api.get(f"/open311/v2/requests/{report.tracking_number}.xml", {"extensions": "true"}))
    assert root.find("request/notes/note/type").text == "submitted"
    [plain] = api.get(f"/open311/v2/requests/{report.tracking_number}.json").json()
    assert "notes" not in plain


def test_a_token_maps_to_its_request(api, api_key, pothole, w):
    [created] = post_request(api, api_key).json()
    number = created["service_request_id"]
    assert api.get(f"/open311/v2/tokens/{number}.json", {"api_key": api_key}).json() == [
        {"service_request_id": number, "token": number}
    ]
    assert (
        xml_of(api.get(f"/open311/v2/tokens/{number}.xml", {"api_key": api_key})).find("request/token")
        is not None
    )
    assert api.get("/open311/v2/tokens/123456789.json").status_code == 404


def test_an_archived_request_reads_as_closed(api, api_key, pothole, w):
    [created] = post_request(api, api_key, address_id="13.71").json()
    report = Report.objects.get(tracking_number=created["service_request_id"])
    actions.archive_report(
        report=report, actor=w.verifier, reason=w.reason_unclear, note="Lokasi tidak jelas."
    )
    [item] = api.get(f"/open311/v2/requests/{report.tracking_number}.json", {"api_key": api_key}).json()
    assert item["status"] == "closed" and item["status_notes"] == "Lokasi tidak jelas."
    assert Report.objects.get(pk=report.pk).status == Status.DIARSIPKAN_ADMIN


def test_too_many_requests_from_one_address_get_429(api, pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_ip": "2/min"}
    statuses = [api.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert api.get("/open311/v2/services.xml")["Retry-After"]


def test_unverified_reports_are_readable_only_by_the_key_that_posted_them(api, api_key, pothole, w):
    # Finding 10 of issue 12: anyone could read the redacted text of unverified reports by number.
    web = rf.submit(w, category=pothole)
    [created] = post_request(api, api_key).json()
    mine = created["service_request_id"]
    _other, other_key = api_actions.issue_open311_key(name="Aplikasi Lain")
    numbers = f"{web.tracking_number},{mine}"
    for query in ({}, {"api_key": other_key}, {"api_key": "salah"}):
        assert api.get("/open311/v2/requests.json", {"service_request_id": numbers, **query}).json() == []
        assert api.get(f"/open311/v2/requests/{mine}.json", query).status_code == 404
        assert api.get(f"/open311/v2/tokens/{web.tracking_number}.json", query).status_code == 404
    own = api.get("/open311/v2/requests.json", {"service_request_id": numbers, "api_key": api_key}).json()
    assert [r["service_request_id"] for r in own] == [mine]
    public = rf.disposed(w, category=pothole)
    listed = api.get("/open311/v2/requests.json", {"service_request_id": public.tracking_number}).json()
    assert [r["service_request_id"] for r in listed] == [public.tracking_number]


def test_each_number_of_a_batch_counts_against_the_rate_limit(api, pothole, settings):
    settings.API_THROTTLE_RATES = {"open311_ip": "10/min"}
    batch = ",".join(str(123456780 + n) for n in range(8))
    assert api.get("/open311/v2/requests.json", {"service_request_id": batch}).status_code == 200
    refused = api.get("/open311/v2/requests.json", {"service_request_id": batch})
    assert refused.status_code == 429 and refused["Retry-After"]
    too_many = ",".join(str(123456780 + n) for n in range(21))
    settings.API_THROTTLE_RATES = {"open311_ip": "1000/min"}
    assert api.get("/open311/v2/requests.json", {"service_request_id": too_many}).status_code == 400


def test_an_anonymous_reports_location_is_coarse_and_its_address_left_out(api, pothole, w):
    # Finding 6 of issue 12: exact coordinates and the free-text address of anonymous reports.
    anonymous = rf.disposed(
        w,
        category=pothole,
        is_anonymous=True,
        address="Jl. Melati No. 12, depan rumah saya",
        latitude="-0.947123",
        longitude="100.417456",
    )
    named = rf.disposed(
        w, category=pothole, address="Jl. Sudirman No. 1", latitude="-0.947123", longitude="100.417456"
    )
    [item] = api.get(f"/open311/v2/requests/{anonymous.tracking_number}.json").json()
    assert item["lat"] == -0.947 and item["long"] == 100.417 and "address" not in item  # absent, not null
    assert "Melati" not in api.get(f"/open311/v2/requests/{anonymous.tracking_number}.xml").content.decode()
    assert "Melati" not in str(api.get(f"/api/v1/reports/{anonymous.tracking_number}/").json())
    [item] = api.get(f"/open311/v2/requests/{named.tracking_number}.json").json()
    assert item["lat"] == -0.947123 and item["address"] == "Jl. Sudirman No. 1"


def test_a_wrong_method_is_refused(api, pothole):
    response = api.delete("/open311/v2/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"


PARAMS = [
    "service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size",
    "extensions", "jurisdiction_id", "api_key", "lat", "long", "address_string", "address_id", "email",
    "phone", "description", "attribute[incident_date]", "attribute[report_type]", "attribute[anonymous]",
    "attribute[title]", "first_name", "media_url",
]  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "open", "closed", "INFRA-JALAN", "13.71", "2026-01-01T00:00:00Z", "-0.9", "true", "0"]
    ),
)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=6),
    method=st.sampled_from(["get", "post"]),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_no_combination_of_parameters_makes_open311_fail(api, api_key, pothole, query, method, fmt):
    if method == "post" and "api_key" in query:
        query["api_key"] = api_key
    response = getattr(api, method)(f"/open311/v2/requests.{fmt}", query)
    assert response.status_code in (200, 400, 403, 404), (query, response.content[:300])
    if fmt == "xml":
        ET.fromstring(response.content)
    else:
        json.loads(response.content)


def test_a_list_leaves_out_absent_fields_and_says_the_service_notice_only_on_one_request(api, pothole, w):
    report = rf.disposed(w, category=pothole)
    [item] = api.get("/open311/v2/requests.json").json()
    assert item["service_request_id"] == report.tracking_number
    assert None not in item.values() and "service_notice" not in item and "zipcode" not in item
    [one] = api.get(f"/open311/v2/requests/{report.tracking_number}.json").json()
    assert_valid("request.json", one)
    assert one["service_notice"] and {k: v for k, v in one.items() if k != "service_notice"} == item
    [extended] = api.get("/open311/v2/requests.json", {"extensions": "true"}).json()
    assert {k: extended[k] for k in item} == item  # the lean list and the full one agree


def test_lists_and_single_requests_answer_conditional_gets_with_304(api, pothole, w):
    report = rf.disposed(w, category=pothole)
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{report.tracking_number}.xml"):
        first = api.get(path)
        assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
        again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert api.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    etag = api.get("/open311/v2/requests.json")["ETag"]
    actions.start_follow_up(disposition=report.dispositions.get(), actor=w.liaison_pupr)
    actions.post_follow_up(
        disposition=report.dispositions.get(), actor=w.liaison_pupr, text="Sudah diperbaiki minggu ini."
    )
    changed = api.get("/open311/v2/requests.json", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()[0]["status_notes"] == "Sudah diperbaiki minggu ini."


def test_answers_are_gzipped_only_for_clients_that_accept_it(api, pothole, w):
    import gzip

    for _ in range(3):
        rf.disposed(w, category=pothole)
    plain = api.get("/open311/v2/requests.json")
    assert "Content-Encoding" not in plain
    packed = api.get("/open311/v2/requests.json", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content and len(packed.content) < len(plain.content)
    page = api.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in page  # HTML pages never (BREACH)
