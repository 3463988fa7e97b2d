"""Dashboards: who may see them, what they show, and the reports behind every number."""

import csv
import datetime as dt
import importlib
import io
import re
from html import unescape

import pytest
import time_machine
from openpyxl import load_workbook

from jembatan.insights import rollups
from jembatan.reports import actions
from jembatan.reports.models import Channel, Classification
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=JAKARTA)


@pytest.fixture
def data(w):
    """Five reports in Sumatera Barat (three in Padang, two in Bukittinggi) and two in Riau."""
    with time_machine.travel(NOW - dt.timedelta(days=6), tick=False):
        w.padang_reports = [f.submit(w, title=f"Jalan berlubang di Padang {i}") for i in range(3)]
        actions.verify_report(
            report=w.padang_reports[0],
            actor=w.verifier,
            classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        )
        actions.dispose_report(report=w.padang_reports[0], actor=w.verifier, agencies=[w.pupr])
        w.bkt_reports = [
            f.submit(w, region=w.region_bkt_village, channel=Channel.ANDROID, title=f"Drainase tersumbat {i}")
            for i in range(2)
        ]
        w.riau_reports = [
            f.submit(w, region=w.region_pekanbaru, title=f"Banjir di Pekanbaru nomor {i}") for i in range(2)
        ]
    with time_machine.travel(NOW, tick=False):
        rollups.refresh()
    return w


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_anonymous_visitors_are_sent_to_the_login_page(client, data, frozen):
    response = client.get("/data/")
    assert response.status_code == 302 and "/akun/" in response["Location"]


@pytest.mark.parametrize("who", ["citizen", "liaison_pupr"])
def test_citizens_and_liaisons_do_not_get_the_dashboards(client, data, frozen, who):
    response = get(client, getattr(data, who), "/data/")
    assert response.status_code == 403


PAGES = [
    ("/data/", "<table"),
    ("/data/peta/", "<svg"),
    ("/data/kinerja/", "<table"),
    ("/data/tren/", "Klaster topik"),
    ("/data/laporan-bulanan/", "Laporan Bulanan"),
    ("/data/laporan-bulanan/lihat/?bulan=2026-02", "Laporan Bulanan"),
    ("/data/laporan/?dari=2026-03-01", "/kerja/laporan/"),
]


@pytest.mark.parametrize(
    "who", ["pimpinan_prov", "verifier", "auditor", "auditor_national", "admin_nasional"]
)
def test_every_dashboard_page_renders_for_every_dashboard_role(client, data, frozen, who):
    client.force_login(getattr(data, who))
    for url, marker in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        assert marker in response.content.decode(), url


def _summary_count(client, user, **params):
    response = get(client, user, "/data/", unduh="csv", tabel="ringkasan", **params)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return int(rows[1][1])


def test_a_province_pimpinan_counts_only_reports_of_their_province(client, data, frozen):
    assert _summary_count(client, data.pimpinan_prov) == 5
    assert _summary_count(client, data.pimpinan_riau) == 2
    assert _summary_count(client, data.pimpinan_padang) == 3
    assert _summary_count(client, data.auditor_national) == 7


def test_a_pimpinan_of_riau_never_sees_sumatera_barat_on_any_page(client, data, frozen):
    client.force_login(data.pimpinan_riau)
    for url, _marker in PAGES:
        html = client.get(url).content.decode()
        assert "Padang" not in html and "Bukittinggi" not in html, url
    html = client.get("/data/peta/").content.decode()
    assert "Kota Pekanbaru" in html


def test_choosing_an_agency_outside_ones_scope_is_refused(client, data, frozen):
    assert get(client, data.pimpinan_riau, "/data/", instansi="padang").status_code == 403
    assert get(client, data.pimpinan_riau, "/data/laporan/", instansi="padang").status_code == 403
    assert get(client, data.pimpinan_prov, "/data/", instansi="padang").status_code == 200


def test_drill_down_lists_exactly_the_reports_behind_the_number(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/").content.decode()
    kpis = html.split('class="kpis"', 1)[1]  # the first key figure: reports received
    link = unescape(re.search(r'href="(/data/laporan/\?[^"]+)"', kpis).group(1))
    listing = get(client, data.pimpinan_prov, link).content.decode()
    shown = set(re.findall(r"/kerja/laporan/(\d+)/", listing))
    expected = {r.tracking_number for r in data.padang_reports + data.bkt_reports}
    assert shown == expected


def test_drill_down_from_the_android_channel_lists_bukittinggi_reports(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/").content.decode()
    link = unescape(re.search(r'href="(/data/laporan/\?[^"]*kanal=android[^"]*)"', html).group(1))
    listing = get(client, data.pimpinan_prov, link).content.decode()
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == {r.tracking_number for r in data.bkt_reports}


def test_the_league_table_has_a_row_per_city_with_its_numbers(client, data, frozen):
    response = get(client, data.pimpinan_prov, "/data/kinerja/", unduh="csv", tabel=f"kinerja-{data.prov.pk}")
    rows = {r[0]: r for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert response["Content-Disposition"].startswith(f'attachment; filename="kinerja-{data.prov.pk}-20')
    # Columns since the worst-first layout (issue 18): name, late now, trend, four backlog ages,
    # three on-time shares, then reports and dispositions.
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[10] == "Laporan" and header[11] == "Disposisi"
    assert rows["Pemerintah Kota Padang"][10] == "3"
    assert rows["Pemerintah Kota Bukittinggi"][10] == "2"
    assert rows["Pemerintah Kota Padang"][11] == "1"  # one disposition (to Dinas PUPR)


def test_the_national_map_is_an_svg_of_the_provinces_with_the_attribution(client, data, frozen):
    html = get(client, data.auditor_national, "/data/peta/").content.decode()
    assert "<svg" in html and 'class="map"' in html
    assert "CC BY 4.0" in html and "denyherianto" in html
    assert html.count("data-kode=") == 38
    # A click on a province opens that province's own map, with the filters kept.
    assert re.search(r'<a href="/data/peta/\?dari=[^"]+&amp;wilayah=13"><path', html)


def test_a_province_leader_sees_the_kabupaten_kota_of_the_province(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/peta/").content.decode()
    assert 'class="map kabkota"' in html
    codes = set(re.findall(r'data-kode="([0-9.]+)"', html))
    assert len(codes) == 19 and all(code.startswith("13.") for code in codes)
    assert "creasico/laravel-nusa, MIT, © 2023 Creasi.co" in html
    # Padang (3 reports) and Bukittinggi (2) are coloured, in two real classes; a click lists them.
    legend = html.split('<p class="legend">', 1)[1].split("</p>", 1)[0]
    assert re.findall(r"</span> ([0-9–]+)", legend) == ["0", "2", "3"]
    link = unescape(re.search(r'<a href="([^"]+)"><path [^>]*data-kode="13.75"', html).group(1))
    listing = get(client, data.pimpinan_prov, link).content.decode()
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == {r.tracking_number for r in data.bkt_reports}


def test_choosing_a_province_gives_the_national_viewer_its_kabupaten_kota(client, data, frozen):
    html = get(client, data.auditor_national, "/data/peta/", wilayah="13").content.decode()
    assert len(set(re.findall(r'data-kode="(13\.[0-9]+)"', html))) == 19
    # Riau's kab/kota are not shipped: its own map falls back to the provinces.
    html = get(client, data.auditor_national, "/data/peta/", wilayah="14").content.decode()
    assert html.count("data-kode=") == 38


def test_a_dashboard_table_downloads_as_xlsx_with_the_same_numbers(client, data, frozen):
    response = get(client, data.pimpinan_prov, "/data/", unduh="xlsx", tabel="kanal")
    assert 'filename="ringkasan-kanal-20' in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values == {"Situs web": 3, "Android": 2}


def test_the_report_list_downloads_without_reporter_identity(client, data, frozen):
    response = get(
        client, data.pimpinan_prov, "/data/laporan/", dari="2026-03-01", sampai="2026-03-31", unduh="csv"
    )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 5
    assert "Siti" not in text and "siti@example.id" not in text and "081234567890" not in text


def test_drill_down_from_the_league_lists_the_disposed_report_and_the_backlog(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/kinerja/").content.decode()
    links = [unescape(u) for u in re.findall(r'href="(/data/laporan/\?[^"]+)"', html)]
    dispositions = next(
        u for u in links if "fakta=disposisi" in u and "instansi=padang" in u and "ukuran" not in u
    )
    listing = get(client, data.pimpinan_prov, dispositions).content.decode()
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == {data.padang_reports[0].tracking_number}
    assert "1 disposisi pada 1 laporan" in listing
    backlog = [u for u in links if "ukuran=open" in u and "instansi=padang" in u]
    shown = []
    for url in backlog:
        shown += re.findall(r"/kerja/laporan/(\d+)/", get(client, data.pimpinan_prov, url).content.decode())
    assert len(backlog) == 4
    assert shown == [data.padang_reports[0].tracking_number]  # open, and in exactly one age bucket


def test_the_site_menu_can_ask_whether_to_show_the_dashboards(data):
    from jembatan.insights.templatetags.insights import may_view_dashboards

    assert may_view_dashboards(data.pimpinan_riau) and may_view_dashboards(data.auditor_national)
    assert not may_view_dashboards(data.liaison_pupr) and not may_view_dashboards(data.citizen)


def test_the_site_menu_links_the_dashboards_for_leaders_and_the_statistics_for_everyone(client, data, frozen):
    anonymous = client.get("/").content.decode()
    assert 'href="/data/statistik/"' in anonymous and 'href="/data/"' not in anonymous
    assert 'href="/data/"' not in get(client, data.liaison_pupr, "/").content.decode()
    assert 'href="/data/"' in get(client, data.pimpinan_prov, "/").content.decode()


def test_the_charts_are_labelled_with_the_names_in_their_tables(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/").content.decode()
    assert "bound method" not in html
    assert re.search(r"<svg[^>]*>.*Android.*</svg>", html, re.S)


def test_dates_without_a_preset_are_shown_as_a_chosen_range(client, data, frozen):
    html = get(
        client, data.pimpinan_prov, "/data/peta/", dari="2026-03-01", sampai="2026-03-18"
    ).content.decode()
    assert '<option value="atur" selected>' in html


def test_the_dashboards_keep_the_staff_menu_not_the_citizens_one(client, data, frozen):
    html = get(client, data.pimpinan_prov, "/data/").content.decode()
    menu = html.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/kerja/"' in menu
    assert 'href="/lapor/"' not in menu and "Laporan saya" not in menu


def test_reports_with_coordinates_make_a_hotspot_layer_that_drills_down(client, data, frozen):
    from jembatan.reports.models import Report

    Report.objects.filter(pk__in=[r.pk for r in data.padang_reports[:2]]).update(
        latitude="-0.9471", longitude="100.4172"
    )
    Report.objects.filter(pk=data.bkt_reports[0].pk).update(latitude="-0.3056", longitude="100.3692")
    # Coordinates come with the submission; set afterwards here, so the facts are derived again.
    rollups.refresh_facts_of([*(r.pk for r in data.padang_reports), data.bkt_reports[0].pk])
    html = get(client, data.pimpinan_prov, "/data/peta/").content.decode()
    layer = html.split('class="map hotspots"', 1)[1].split("</svg>", 1)[0]
    circles = re.findall(r'<a href="([^"]+)"><circle [^>]*r="([0-9.]+)"', layer)
    assert len(circles) == 2
    biggest = max(circles, key=lambda c: float(c[1]))
    listing = get(client, data.pimpinan_prov, unescape(biggest[0])).content.decode()
    expected = {r.tracking_number for r in data.padang_reports[:2]}
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == expected
    # Riau's leader sees no hotspot of Sumatera Barat.
    assert 'class="map hotspots"' not in get(client, data.pimpinan_riau, "/data/peta/").content.decode()


def test_a_map_without_coordinates_has_no_hotspot_layer(client, data, frozen):
    assert 'class="map hotspots"' not in get(client, data.pimpinan_prov, "/data/peta/").content.decode()


def test_a_bad_coordinate_in_a_drill_down_is_a_clear_error(client, data, frozen):
    response = get(client, data.pimpinan_prov, "/data/laporan/", lintang="abc")
    assert response.status_code == 400 and "Koordinat tidak valid" in response.content.decode()


def test_hotspots_are_left_out_of_periods_longer_than_the_day_cubes(client, data, frozen):
    from jembatan.reports.models import Report

    Report.objects.filter(pk=data.padang_reports[0].pk).update(latitude="-0.9471", longitude="100.4172")
    rollups.refresh_facts_of([data.padang_reports[0].pk])
    html = get(client, data.pimpinan_prov, "/data/peta/", periode="365").content.decode()
    assert 'class="map hotspots"' not in html and "periode sampai 92 hari" in html


def test_a_filtered_question_answered_by_another_hub_cube_counts_what_the_full_cube_counts(
    data, frozen, monkeypatch
):
    from dataclasses import replace

    from jembatan.insights import queries
    from jembatan.insights.queries import Catalog, Filters, Period, Scope, fetch, fetch_by_child

    w = data
    f.submit(w, category=w.category2, title="Selokan meluap di Padang")
    f.submit(w, region=w.region_bkt_village, category=w.category2, title="Selokan meluap di Bukittinggi")
    rollups.refresh()
    today = NOW.date()
    period = Period(today - dt.timedelta(days=29), today)
    cases = [
        {"region": "13"},
        {"region": "13.71"},
        {"region": w.region_bukittinggi.code},
        {"category": w.category2},
        {"category": w.group},
    ]
    scopes = [[Scope(None)], [Scope(w.prov)], [Scope(w.padang)], [Scope(w.bukittinggi), Scope(w.riau)]]

    def answers():
        result = []
        for case in cases:
            filters = Filters(period=period, **case)
            for group_by in ([], ["period"]):
                for scope_list in scopes:
                    rows = fetch("report", scope_list, filters, group_by, catalog=Catalog())
                    result.append(sorted((sorted(r.items()) for r in rows), key=str))
                for root in (Scope(None), Scope(w.prov)):
                    _children, by_child = fetch_by_child("report", root, filters, group_by, catalog=Catalog())
                    result.append(
                        {k: sorted((sorted(r.items()) for r in v), key=str) for k, v in by_child.items()}
                    )
        return result

    quick = answers()
    assert any(quick), "the cases count some reports"
    monkeypatch.setitem(queries.KINDS, "report", replace(queries.KINDS["report"], alternates=()))
    assert answers() == quick


def _full_cubes_only(monkeypatch):
    """The answer paths as they were before the kabupaten/kota hub cubes and the agency cubes: the
    full cubes (and the words counted in the facts under a kabupaten/kota filter)."""
    from dataclasses import replace

    from jembatan.insights import queries

    monkeypatch.setattr(
        queries.Catalog, "unbuilt", property(lambda self: frozenset({"insights_scoperegionwordcube"}))
    )

    for name, kind in list(queries.KINDS.items()):
        kept = tuple(a for a in kind.alternates if not a.startswith("region_") and a != "topic_disposition")
        monkeypatch.setitem(queries.KINDS, name, replace(kind, alternates=kept, leaves=()))


def test_pages_with_or_without_a_region_or_category_filter_show_what_the_full_cubes_show(
    data, late_and_rising, frozen, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jembatan.insights import dashboards
    from jembatan.insights.queries import Catalog, Filters, Period, Scope

    w = data
    # Verified by Kota Padang, answered by a Puskesmas under Dinkes (a hub): the verifier's hubs and
    # the responsible agency's hubs differ, so a cube fanned out by the wrong one shows.
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        report = f.submit(w, category=w.health, title="Antrean panjang di puskesmas")
        actions.verify_report(
            report=report, actor=w.verifier, classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN
        )
        actions.dispose_report(report=report, actor=w.verifier, agencies=[w.puskesmas])
    rollups.refresh()
    today = NOW.date()
    periods = [
        Period(today - dt.timedelta(days=29), today),
        Period.between(today - dt.timedelta(days=364), today),
    ]
    regions = ["", "13.71", w.region_bukittinggi.code, w.region_pekanbaru.code, "13"]
    viewers = {
        "national": [Scope(None)],
        "province hub": [Scope(w.prov)],
        "city hub": [Scope(w.padang)],
        "department hub": [Scope(w.dinkes)],
        "office": [Scope(w.pupr)],
        "two scopes": [Scope(w.bukittinggi), Scope(w.riau)],
    }

    def pages():
        result = {}
        for name, scopes in viewers.items():
            for period in periods:
                for region, category in [(r, None) for r in regions] + [
                    ("", w.group),
                    ("", w.health),
                    ("13.71", w.group),
                ]:
                    filters = Filters(period=period, region=region, category=category)
                    found = [
                        dashboards.overview(scopes, filters, Catalog()),
                        dashboards.places(scopes, filters, Catalog()),
                        dashboards.league(scopes, filters, Catalog(), today=today),
                        dashboards.trends(scopes, filters, "minggu", Catalog(), today=today),
                        dashboards.trends(scopes, filters, "bulan", Catalog(), today=today),
                    ]
                    result[(name, period, region, category and category.pk)] = [
                        list(table.export_rows()) for page in found for table in page["tables"]
                    ]
        return result

    with CaptureQueriesContext(connection) as queries_run:
        quick = pages()
    read = " ".join(q["sql"] for q in queries_run.captured_queries)
    for table in ("scoperegionreportcube", "scoperegiontopiccube", "scoperegionverifiercube"):
        assert f"insights_{table}" in read, f"{table} answers some question"
    assert "insights_scoperegiondispositioncube" in read
    assert "insights_scopetopicdispositioncube" in read, "a category group's league reads it"
    assert "insights_scoperegionwordcube" in read, "the trends under a kabupaten/kota read it"
    for table in (
        "agencyreportcube",
        "agencyverifiercube",
        "agencydispositioncube",
        "agencytotaldispositioncube",
    ):
        assert f"insights_{table}" in read, f"{table} answers some question"
    counted = quick[("national", periods[0], "13.71", None)][0]
    assert counted[1][1] > 0, "the cases count some reports"
    assert quick[("office", periods[0], "", None)][0][1][1] > 0, "an office's own reports are counted"
    # An office sees only its own reports: none in Bukittinggi or Riau, whatever the path.
    for region in (w.region_bukittinggi.code, w.region_pekanbaru.code):
        assert quick[("office", periods[0], region, None)][0][1][1] == 0
        assert quick[("city hub", periods[0], region, None)][0][1][1] == 0
    _full_cubes_only(monkeypatch)
    assert pages() == quick


def test_hotspots_read_from_the_facts_are_the_cells_of_the_reports_coordinates(data, frozen):
    import math

    from jembatan.insights import dashboards
    from jembatan.insights.models import ReportFact
    from jembatan.insights.queries import Catalog, Filters, Period, Scope
    from jembatan.reports.models import Report

    w = data
    coordinates = {
        w.padang_reports[0].pk: ("-0.9471", "100.4172"),
        w.padang_reports[1].pk: ("-0.9402", "100.4101"),
        w.bkt_reports[0].pk: ("-0.3056", "100.3692"),
        w.riau_reports[0].pk: ("0.5071", "101.4478"),
    }
    for pk, (lat, lon) in coordinates.items():
        Report.objects.filter(pk=pk).update(latitude=lat, longitude=lon)
    rollups.refresh_facts_of(list(coordinates))
    today = NOW.date()
    for scopes in ([Scope(None)], [Scope(w.prov)], [Scope(w.padang)], [Scope(w.pupr)], [Scope(w.riau)]):
        for region in ("", "13.71", w.region_bukittinggi.code):
            filters = Filters(period=Period(today - dt.timedelta(days=29), today), region=region)
            found = dashboards.hotspot_cells(scopes, filters, Catalog(), "13")
            # The same facts (scope, period, filters), with each report's own coordinates.
            facts = ReportFact.objects.filter(day__gte=filters.period.start, day__lte=today, province="13")
            if region:
                facts = facts.filter(region=region)
            if not scopes[0].is_national:
                facts = facts.filter(agency__in=Catalog().subtree_ids(scopes[0].agency))
            cells = {}
            for report in Report.objects.filter(pk__in=facts.values("report_id"), latitude__isnull=False):
                lat, lon = float(report.latitude), float(report.longitude)
                key = (math.floor(lat / dashboards.HOTSPOT_CELL), math.floor(lon / dashboards.HOTSPOT_CELL))
                cells.setdefault(key, []).append((lat, lon))
            expected = sorted(
                (
                    round(i * dashboards.HOTSPOT_CELL, 4),
                    round(j * dashboards.HOTSPOT_CELL, 4),
                    len(points),
                    pytest.approx(sum(p[0] for p in points) / len(points)),
                    pytest.approx(sum(p[1] for p in points) / len(points)),
                )
                for (i, j), points in cells.items()
            )
            assert sorted(found) == expected, (scopes, region)
    national = dashboards.hotspot_cells(
        [Scope(None)], Filters(period=Period(today - dt.timedelta(days=29), today)), Catalog(), "13"
    )
    assert sorted(n for *_cell, n, _lat, _lon in national) == [1, 2], "the cases have cells"


def test_a_drill_down_counted_from_the_cubes_counts_the_reports_it_lists(
    client, data, late_and_rising, frozen
):
    from jembatan.insights import drill

    w = data
    cases = [
        {},
        {"dari": "2026-03-01"},
        {"dari": "2000-01-01", "wilayah": "13.71"},
        {"dari": "2026-02-01", "sampai": "2026-03-12", "wilayah": "13"},
        {"wilayah": w.region_bukittinggi.code, "instansi": w.bukittinggi.code},
        {"kategori": str(w.group.pk)},
        {"kategori": str(w.category2.pk), "wilayah": w.region_bukittinggi.code},
        {"wilayah": w.region_pekanbaru.code},
    ]
    counted = []
    for user in (w.auditor_national, w.pimpinan_prov, w.pimpinan_padang, w.pimpinan_riau):
        for params in cases:
            if params.get("instansi") and user in (w.pimpinan_padang, w.pimpinan_riau):
                continue  # outside their scope: 403
            result = drill.build(user, dict(params))
            assert result.question is not None, params
            listed = result.report_ids().count()
            assert result.count() == listed, (user.username, params)
            counted.append(listed)
    assert max(counted) > 0 and 0 in counted, "the cases list some reports and none"
    # A term the cubes do not have is counted on the facts.
    assert drill.build(w.pimpinan_prov, {"kanal": "android"}).question is None
    assert drill.build(w.pimpinan_prov, {"wilayah": "-"}).question is None
    html = get(client, w.pimpinan_prov, "/data/laporan/", dari="2000-01-01", wilayah="13.71").content.decode()
    n = drill.build(w.pimpinan_prov, {"dari": "2000-01-01", "wilayah": "13.71"}).report_ids().count()
    assert f"{n} laporan." in html


# The tables 0006, 0008 and 0011–0013 created, as 0009 and 0011–0013 list them.
UNBUILT_MIGRATION = importlib.import_module("jembatan.insights.migrations.0009_rollupstate_unbuilt")
LATER_MIGRATIONS = [
    importlib.import_module("jembatan.insights.migrations.0011_topic_disposition_cube"),
    importlib.import_module("jembatan.insights.migrations.0012_region_word_cube"),
    importlib.import_module("jembatan.insights.migrations.0013_agency_total_disposition_cube"),
]
NEW_CUBES = UNBUILT_MIGRATION.NEW_CUBES + [t for m in LATER_MIGRATIONS for t in m.NEW_CUBES]


def test_cubes_a_migration_left_empty_are_not_read_until_the_rollup_task_fills_them(
    data, late_and_rising, frozen
):
    """An upgraded database has facts but empty new cubes (insights 0006, 0008, 0011–0013): their
    migrations mark them unbuilt, the pages answer from the older cubes (the same numbers, never zeros),
    and the next rollup run fills them and lets the pages read them."""
    from django.apps import apps
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jembatan.insights import dashboards
    from jembatan.insights.models import RollupState
    from jembatan.insights.queries import Catalog, Filters, Period, Scope

    w = data
    today = NOW.date()
    viewers = [[Scope(None)], [Scope(w.prov)], [Scope(w.padang)], [Scope(w.pupr)]]

    def pages():
        with CaptureQueriesContext(connection) as run:
            found = []
            for scopes in viewers:
                for region, category in (("", None), ("13.71", None), ("", w.group)):
                    filters = Filters(
                        period=Period(today - dt.timedelta(days=29), today), region=region, category=category
                    )
                    for page in (
                        dashboards.overview(scopes, filters, Catalog()),
                        dashboards.league(scopes, filters, Catalog(), today=today),
                        dashboards.trends(scopes, filters, "minggu", Catalog(), today=today),
                    ):
                        found.append([list(table.export_rows()) for table in page["tables"]])
        read = {t for t in NEW_CUBES if t in " ".join(q["sql"] for q in run.captured_queries)}
        return found, read

    built, read = pages()
    asked = {
        "insights_agencyreportcube",
        "insights_scoperegionreportcube",
        "insights_scopetopicdispositioncube",
        "insights_scoperegionwordcube",
        "insights_agencytotaldispositioncube",
    }
    assert asked <= read
    # As right after `migrate` on a database that had facts: the new tables exist, empty.
    with connection.cursor() as cursor:
        for table in NEW_CUBES:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    UNBUILT_MIGRATION.mark_unbuilt(apps, connection.schema_editor())
    for migration in LATER_MIGRATIONS:
        migration.mark_unbuilt(apps, connection.schema_editor())
    assert sorted(RollupState.objects.get().unbuilt) == sorted(NEW_CUBES)
    answered, read = pages()
    assert read == set(), "an empty cube is never asked"
    assert answered == built
    rollups.refresh()
    assert RollupState.objects.get().unbuilt == []
    refilled, read = pages()
    assert refilled == built
    assert read >= asked


def test_a_new_database_marks_no_cube_unbuilt(w):
    from django.apps import apps
    from django.db import connection

    from jembatan.insights.models import RollupState

    UNBUILT_MIGRATION.mark_unbuilt(apps, connection.schema_editor())
    for migration in LATER_MIGRATIONS:
        migration.mark_unbuilt(apps, connection.schema_editor())
    assert list(RollupState.objects.values_list("unbuilt", flat=True)) in ([], [[]])
