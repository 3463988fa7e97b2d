"""The first screen: which agencies are late now, what is rising, and the comparison, in words."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine

from jembatan.insights import rollups
from jembatan.insights.tests.conftest import HEADLINE_NOW as NOW
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def first_screen(client, user):
    client.force_login(user)
    html = client.get("/data/").content.decode()
    return html.split('class="answer"', 1)[1].split("</section>", 1)[0]


def test_the_first_screen_names_the_late_agency_and_links_its_late_reports(client, late_and_rising):
    w = late_and_rising
    with time_machine.travel(NOW, tick=False):
        answer = first_screen(client, w.pimpinan_prov)
        assert re.search(r'<p class="late-total"><a href="[^"]+">2</a>', answer)
        worst = answer.split('class="worst"', 1)[1].split("</ol>", 1)[0]
        short = w.pupr.short_name or w.pupr.name
        assert f'title="{w.pupr.name}">{short}</a> <span class="n">2</span>' in worst
        url = unescape(re.search(r'<a href="([^"]+)" title="' + re.escape(w.pupr.name), worst).group(1))
        listing = client.get(url).content.decode()
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == {r.tracking_number for r in w.late}


def test_the_first_screen_says_what_is_rising_in_a_plain_sentence(client, late_and_rising):
    w = late_and_rising
    with time_machine.travel(NOW, tick=False):
        answer = first_screen(client, w.pimpinan_prov)
        sentence = "Drainase di Kota Bukittinggi naik tajam: 7 laporan minggu ini, biasanya hampir tidak ada"
        assert sentence in answer
        assert " z " not in answer and "p &lt;" not in answer and "Poisson" not in answer
        url = unescape(re.search(r'<a href="([^"]+)">' + re.escape(sentence), answer).group(1))
        listing = client.get(url).content.decode()
    assert set(re.findall(r"/kerja/laporan/(\d+)/", listing)) == {r.tracking_number for r in w.burst}


def test_the_first_screen_compares_the_period_with_the_one_before(client, late_and_rising):
    with time_machine.travel(NOW, tick=False):
        answer = first_screen(client, late_and_rising.pimpinan_prov)
    # The seven of this week against the two reports disposed a month ago (17 Feb – 18 Mar is now).
    assert "Laporan masuk: 7, naik 250% dari 2 pada periode sebelumnya." in answer


def test_a_province_leader_of_riau_sees_nothing_late_of_sumatera_barat(client, late_and_rising):
    with time_machine.travel(NOW, tick=False):
        answer = first_screen(client, late_and_rising.pimpinan_riau)
    assert late_and_rising.pupr.name not in answer and "Bukittinggi" not in answer


def test_the_trends_page_honours_the_period_filter(client, late_and_rising):
    w = late_and_rising
    client.force_login(w.pimpinan_prov)
    sentence = "Drainase di Kota Bukittinggi naik tajam"
    with time_machine.travel(NOW, tick=False):
        this_week = client.get("/data/tren/").content.decode()
        last_month = client.get("/data/tren/", {"periode": "bulan-lalu"}).content.decode()
        csv_last_month = client.get(
            "/data/tren/", {"periode": "bulan-lalu", "unduh": "csv", "tabel": "naik-kategori"}
        ).content.decode("utf-8-sig")
    assert sentence in this_week
    assert sentence not in last_month and "Drainase" not in csv_last_month
    assert "22 Feb 2026 – 28 Feb 2026" in last_month  # the window ends where February ends


def test_the_statistics_stay_behind_how_it_is_counted(client, late_and_rising):
    client.force_login(late_and_rising.pimpinan_prov)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/data/tren/").content.decode()
    before, method = html.split('<details id="cara-menghitung"', 1)
    assert "Poisson" not in before and ">z<" not in before
    assert "Poisson" in method and ">z</th>" in method


def test_topic_clusters_are_not_shown_under_a_filter_they_cannot_honour(client, late_and_rising):
    w = late_and_rising
    client.force_login(w.pimpinan_prov)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/data/tren/", {"wilayah": "13.75"}).content.decode()
    assert "hapus saringan itu untuk melihatnya" in html and 'class="clusters"' not in html


def _pair_counts(rows):
    counts = {}
    for row in rows:
        key = (row["category"], row["region"])
        values = [v or 0 for name, v in sorted(row.items()) if name.startswith("reports__")]
        counts[key] = [a + b for a, b in zip(counts.get(key, [0] * len(values)), values, strict=True)]
    return {key: n for key, n in counts.items() if any(n)}


@pytest.mark.parametrize("window", ["minggu", "bulan"])
def test_the_stored_rising_series_count_what_the_report_cube_counts_under_every_filter(
    late_and_rising, window
):
    from jembatan.insights import emerging, headline
    from jembatan.insights.models import SignalSnapshot
    from jembatan.insights.queries import Catalog, Filters, Period, Scope, fetch

    w = late_and_rising
    with time_machine.travel(NOW, tick=False):
        today = NOW.date()
        bounds = emerging.window_bounds(today, window)
        span = Period(bounds[-1][0], bounds[0][1])
        cases = [
            {},
            {"region": "13"},
            {"region": w.region_bukittinggi.code},
            {"category": w.category2},
            {"category": w.group},
            {"region": w.region_bukittinggi.code, "category": w.group},
        ]
        for scopes in ([Scope(None)], [Scope(w.prov)], [Scope(w.bukittinggi), Scope(w.riau)]):
            for case in cases:
                filters = Filters(period=span, **case)
                stored = headline._signal_rows(scopes, filters, Catalog(), window, bounds, today)
                live = fetch(
                    "report", scopes, filters, ["category", "region"], period=span, measures=["reports"],
                    windows=bounds,
                )  # fmt: skip
                assert _pair_counts(stored) == _pair_counts(live), (scopes, case)
        assert SignalSnapshot.objects.filter(window=window).count() == 4
        burst = _pair_counts(
            headline._signal_rows([Scope(w.prov)], filters, Catalog(), window, bounds, today)
        )
    # A new report counts once the rollups have seen it: the stored series is recomputed.
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        f.submit(w, region=w.region_bkt_village, category=w.category2, title="Selokan meluap lagi")
        rollups.refresh()
        after = _pair_counts(
            headline._signal_rows([Scope(w.prov)], filters, Catalog(), window, bounds, today)
        )
    key = (w.category2.pk, w.region_bukittinggi.code)
    assert after[key][0] == burst[key][0] + 1
