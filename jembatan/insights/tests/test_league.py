"""The league table: worst first by a stated rule, sortable by any column (in the URL), on-time
shares banded against the targets with a symbol and words, a trend against the period before."""

import csv
import io
import re
from html import unescape

import pytest
import time_machine

from jembatan.insights.dashboards import on_time_band
from jembatan.insights.tests.conftest import HEADLINE_NOW as NOW

pytestmark = pytest.mark.django_db


def league_rows(client, user, **params):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            "/data/kinerja/",
            {"unduh": "csv", "tabel": f"kinerja-{user.staff_roles.get().agency.pk}", **params},
        )
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_league_puts_the_agency_with_most_late_dispositions_first(client, late_and_rising):
    w = late_and_rising
    header, *rows = league_rows(client, w.pimpinan_prov)
    assert header[1] == "Terlambat sekarang"
    assert rows[0][0] == "Pemerintah Kota Padang" and rows[0][1] == "2"
    assert all(row[1] == "0" for row in rows[1:])


def test_the_league_sorts_by_any_column_named_in_the_url(client, late_and_rising):
    w = late_and_rising
    _header, *rows = league_rows(client, w.pimpinan_prov, urut="laporan")
    reports = [int(row[10]) for row in rows]
    assert reports == sorted(reports, reverse=True)
    assert rows[0][0] == "Pemerintah Kota Bukittinggi"  # seven reports this week
    _header, *rows = league_rows(client, w.pimpinan_prov, urut="laporan", arah="naik")
    assert [int(row[10]) for row in rows] == sorted(reports)


def test_the_sort_links_keep_the_filters_and_flip_the_sorted_column(client, late_and_rising):
    w = late_and_rising
    client.force_login(w.pimpinan_prov)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/data/kinerja/", {"periode": "90"}).content.decode()
    sorted_header = re.search(r'<th scope="col" class=num aria-sort="descending"><a href="([^"]+)"', html)
    assert unescape(sorted_header.group(1)).startswith("?periode=90&urut=terlambat&arah=naik")


def test_on_time_shares_carry_a_band_in_words_as_well_as_colour(client, late_and_rising):
    w = late_and_rising
    client.force_login(w.pimpinan_prov)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/data/kinerja/", {"periode": "90"}).content.decode()
    assert '<td class="num band-bad"><a href' in html  # Padang: nothing completed, both late
    assert re.search(
        r'<span class="band" title="[^"]+">[✓!✗]<span class="visually-hidden"> [a-z ]+</span>', html
    )
    assert [on_time_band(p) for p in (None, 95, 90, 89.9, 75, 74.9)] == [
        "",
        "ok",
        "ok",
        "warn",
        "warn",
        "bad",
    ]


def test_the_league_shows_the_trend_against_the_period_before(client, late_and_rising):
    w = late_and_rising
    header, *rows = league_rows(client, w.pimpinan_prov, periode="7")
    assert header[2] == "Tren tepat waktu (poin)"
    # Padang's two dispositions, late now, fall in neither this week nor the one before: no trend.
    padang = next(row for row in rows if row[0] == "Pemerintah Kota Padang")
    assert padang[2] == ""
