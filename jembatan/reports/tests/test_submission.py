"""NewReport: the one description of a new report every entry point builds, validated once."""

import datetime as dt

import pytest

from jembatan.reports.actions import ReportError
from jembatan.reports.models import Channel, ReportType
from jembatan.reports.submission import NewReport

TODAY = dt.date(2026, 3, 2)


def new(**overrides):
    values = dict(
        kind=ReportType.PENGADUAN,
        title="  Jalan berlubang  ",
        description="Jalan di depan pasar berlubang besar sejak dua minggu.",
        reporter_email=" Warga@Example.ID ",
        reporter_phone="0812 3456 7890",
    )
    values.update(overrides)
    return NewReport(**values)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [(91, 100, "latitude"), (-1, 181, "longitude"), (-90.5, 0, "latitude")],
)
def test_a_point_outside_wgs84_is_refused_at_its_field(latitude, longitude, field):
    with pytest.raises(ReportError) as refused:
        new(latitude=latitude, longitude=longitude).validated(today=TODAY)
    assert refused.value.field == field


def test_validation_cleans_the_text_and_the_guests_contact():
    clean = new().validated(today=TODAY)
    assert clean.title == "Jalan berlubang"
    assert clean.reporter_email == "warga@example.id"
    assert clean.reporter_phone == "6281234567890"


def test_a_guest_without_any_contact_is_refused_but_an_import_is_not():
    with pytest.raises(ReportError) as refused:
        new(reporter_email="", reporter_phone="").validated(today=TODAY)
    assert refused.value.field == "reporter_email"
    imported = new(reporter_email="", reporter_phone="", channel=Channel.IMPORT, title="X")
    assert imported.validated(today=TODAY).title == "X"


def test_from_data_takes_only_the_fields_of_a_new_report():
    data = {
        "kind": ReportType.ASPIRASI,
        "title": "Taman",
        "description": "…",
        "token": "abc",
        "confirmed": True,
    }
    assert NewReport.from_data(data, channel=Channel.API) == NewReport(
        kind=ReportType.ASPIRASI, title="Taman", description="…", channel=Channel.API
    )
