"""The monthly report (task and command), the public statistics page, and rising topics end to end."""

import datetime as dt
import io

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from jembatan.insights import rollups
from jembatan.insights.models import MonthlyReport, WordSnapshot
from jembatan.insights.tasks import monthly_report_task, refresh_rollups_task
from jembatan.reports.sla import JAKARTA
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

FEBRUARY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=JAKARTA)
MARCH_FIRST = dt.datetime(2026, 3, 1, 8, 0, tzinfo=JAKARTA)


@pytest.fixture
def february(w):
    with time_machine.travel(FEBRUARY, tick=False):
        f.disposed(w, title="Jalan berlubang di Padang Barat")
        f.submit(w, region=w.region_bkt_village, title="Drainase tersumbat di Bukittinggi")
        f.submit(w, region=w.region_pekanbaru, title="Banjir di Pekanbaru kota")
    with time_machine.travel(MARCH_FIRST, tick=False):
        rollups.refresh()
    return w


def test_the_task_on_the_first_stores_last_months_report_for_the_instance_and_each_pimpinan(february):
    with time_machine.travel(MARCH_FIRST, tick=False):
        monthly_report_task()
    stored = {m.scope: m for m in MonthlyReport.objects.all()}
    assert set(stored) == {0, february.prov.pk, february.padang.pk, february.riau.pk}
    assert all(m.month == dt.date(2026, 2, 1) for m in stored.values())
    padang = stored[february.padang.pk].html
    assert "Laporan Bulanan" in padang and "Kota Padang" in padang and "Pekanbaru" not in padang
    # The map's attribution travels with the map: Padang's is a map of Sumatera Barat's kab/kota.
    assert "MIT, © 2023 Creasi.co" in padang and 'class="map kabkota"' in padang
    assert "CC BY 4.0" in stored[0].html  # the instance's report keeps the provinces


def test_the_command_writes_one_report_to_a_file(february, tmp_path):
    target = tmp_path / "laporan.html"
    with time_machine.travel(MARCH_FIRST, tick=False):
        call_command(
            "monthly_report",
            "--month",
            "2026-02",
            "--agency",
            "riau",
            "--output",
            str(target),
            stdout=io.StringIO(),
        )
    html = target.read_text(encoding="utf-8")
    assert "Pemprov Riau" in html and "Padang" not in html


def test_a_stored_monthly_report_is_shown_only_within_scope(client, february):
    with time_machine.travel(MARCH_FIRST, tick=False):
        monthly_report_task()
    riau = MonthlyReport.objects.get(scope=february.riau.pk)
    client.force_login(february.pimpinan_prov)
    assert client.get(f"/data/laporan-bulanan/arsip/{riau.pk}/").status_code == 403
    client.force_login(february.pimpinan_riau)
    assert client.get(f"/data/laporan-bulanan/arsip/{riau.pk}/").status_code == 200
    listing = client.get("/data/laporan-bulanan/").content.decode()
    assert "Pemprov Riau" in listing and "Pemerintah Kota Padang" not in listing


def test_a_monthly_report_can_be_stored_on_demand(client, february):
    client.force_login(february.pimpinan_padang)
    with time_machine.travel(MARCH_FIRST, tick=False):
        response = client.post("/data/laporan-bulanan/simpan/", {"bulan": "2026-02", "instansi": "padang"})
        refused = client.post("/data/laporan-bulanan/simpan/", {"bulan": "2026-02", "instansi": "riau"})
    assert response.status_code == 302
    assert MonthlyReport.objects.filter(scope=february.padang.pk, month=dt.date(2026, 2, 1)).exists()
    assert refused.status_code == 403


def test_the_public_statistics_page_needs_no_login_and_shows_the_map_with_its_attribution(client, february):
    with time_machine.travel(MARCH_FIRST, tick=False):
        response = client.get("/data/statistik/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "CC BY 4.0" in html
    assert "/data/laporan/" not in html  # no drill-down into reports for the public
    assert "Siti" not in html


def test_a_category_that_jumps_this_week_is_listed_as_rising_and_a_steady_one_is_not(client, w):
    """Constructed: 2 reports a week for 8 weeks then 9 this week, against 3 every week."""
    today = dt.datetime(2026, 3, 18, 9, 0, tzinfo=JAKARTA)
    for week in range(9):
        monday = today - dt.timedelta(days=7 * week + 1)
        jumps = 9 if week == 0 else 2
        for i in range(jumps):
            with time_machine.travel(monday - dt.timedelta(hours=i), tick=False):
                f.submit(w, category=w.category2, title=f"Saluran drainase mampet {week} {i}")
        for i in range(3):
            with time_machine.travel(monday - dt.timedelta(hours=i, minutes=30), tick=False):
                f.submit(w, category=w.health, title=f"Antrean puskesmas lama {week} {i}")
    with time_machine.travel(today, tick=False):
        refresh_rollups_task()  # also stores the word series of every hub someone views
        client.force_login(w.pimpinan_prov)
        response = client.get("/data/tren/", {"unduh": "csv", "tabel": "naik-kategori"})
        rows = response.content.decode("utf-8-sig").splitlines()
        words = client.get("/data/tren/", {"unduh": "csv", "tabel": "naik-kata"}).content.decode("utf-8-sig")
        assert WordSnapshot.objects.filter(scope=w.prov.pk).count() == 2
        WordSnapshot.objects.all().delete()  # the page computes the same without the stored series
        live = client.get("/data/tren/", {"unduh": "csv", "tabel": "naik-kata"}).content.decode("utf-8-sig")
        # With a filter the words are counted from the facts of the filtered reports instead.
        filtered = client.get(
            "/data/tren/", {"unduh": "csv", "tabel": "naik-kata", "kategori": w.category2.pk}
        ).content.decode("utf-8-sig")
        page = client.get("/data/tren/").content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get("/data/tren/").content.decode()
    # p-values read as people write them, in the page's language; the export keeps the number.
    assert "&lt; 0,001" in page and "e-0" not in page
    assert "&lt; 0.001" in english and "e-0" not in english
    assert len(rows) == 2 and rows[1].startswith("Drainase,9,2")
    assert "drainase" in words and "puskesmas" not in words
    assert live == words == filtered


def test_the_monthly_report_opens_with_a_narrative_in_both_languages(client, february):
    client.force_login(february.pimpinan_prov)
    with time_machine.travel(MARCH_FIRST, tick=False):
        html = client.get("/data/laporan-bulanan/lihat/", {"bulan": "2026-02"}).content.decode()
    narrative = html.split('class="narrative"', 1)[1].split("</section>", 1)[0]
    assert html.index('class="narrative"') < html.index("1. Ringkasan")  # at the top, then the tables
    indonesian = narrative.split('<p lang="id">', 1)[1].split("</p>", 1)[0]
    english = narrative.split('<p lang="en">', 1)[1].split("</p>", 1)[0]
    assert "Laporan masuk: 2 (periode sebelumnya: 0)." in indonesian
    assert "Reports received: 2 (previous period: 0)." in english
    assert "Tidak ada disposisi yang terlambat" in indonesian
    assert "No disposition was late" in english
