"""The queues: who sees which report where, in SLA order, a page at a time, with filters, in a
fixed number of queries."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jembatan.directory.tests.factories import make_category, make_region
from jembatan.reports import actions
from jembatan.reports.models import Channel, Classification, Report
from jembatan.reports.sla import JAKARTA
from jembatan.reports.sweep import run_sla_sweep
from jembatan.reports.tests import factories as f
from jembatan.workbench.queues import (
    PAGE_SIZE,
    QUEUES_BY_SLUG,
    capped_count,
    decode_cursor,
    format_count,
    loader,
    paginate,
)
from jembatan.workbench.tests.helpers import SLUGS, at, numbers_on, queues_listing

pytestmark = pytest.mark.django_db


def returned(w):
    report = f.disposed(w)
    actions.return_disposition(
        disposition=report.dispositions.get(),
        actor=w.liaison_pupr,
        reason="Bukan jalan kota, jalan provinsi.",
    )
    return report


def incomplete(w):
    report = f.submit(w)
    return actions.request_information(
        report=report, actor=w.verifier, message="Mohon sebutkan patokan lokasi."
    )


STATES = {
    "new": f.submit,
    "incomplete": incomplete,
    "disposed": f.disposed,
    "in_progress": f.in_progress,
    "returned": returned,
    "answered": f.answered,
}

# (state, role) -> the queues listing the report. Written out by hand from the rules in the brief,
# not computed from the code under test.
EXPECTED = {
    "new": {
        "admin_nasional": {"verifikasi"},
        "verifier": {"verifikasi"},
        "verifier_prov": {"verifikasi"},
        "coordinator_pupr": set(),
        "liaison_pupr": set(),
        "liaison_dinkes": set(),
        "auditor": set(),
    },
    "incomplete": {
        "admin_nasional": {"verifikasi", "menunggu-pelapor"},
        "verifier": {"verifikasi", "menunggu-pelapor"},
        "verifier_prov": {"verifikasi", "menunggu-pelapor"},
        "coordinator_pupr": set(),
        "liaison_pupr": set(),
        "liaison_dinkes": set(),
        "auditor": {"menunggu-pelapor"},
    },
    "disposed": {
        "admin_nasional": set(),  # disposition work is the agencies'; the national admin has no FOLLOW_UP
        "verifier": {"masuk"},
        "verifier_prov": {"masuk"},
        "coordinator_pupr": {"masuk"},
        "liaison_pupr": {"masuk"},
        "liaison_dinkes": set(),
        "auditor": set(),
    },
    "in_progress": {
        "admin_nasional": set(),
        "verifier": {"diproses"},
        "verifier_prov": {"diproses"},
        "coordinator_pupr": {"diproses"},
        "liaison_pupr": {"diproses"},
        "liaison_dinkes": set(),
        "auditor": set(),
    },
    "returned": {
        "admin_nasional": {"dikembalikan"},
        "verifier": {"dikembalikan"},
        "verifier_prov": {"dikembalikan"},
        "coordinator_pupr": set(),
        "liaison_pupr": set(),
        "liaison_dinkes": set(),
        "auditor": set(),
    },
    "answered": {
        "admin_nasional": {"menunggu-pelapor"},
        "verifier": {"menunggu-pelapor"},
        "verifier_prov": {"menunggu-pelapor"},
        "coordinator_pupr": {"menunggu-pelapor"},
        "liaison_pupr": {"menunggu-pelapor"},
        "liaison_dinkes": set(),
        "auditor": {"menunggu-pelapor"},
    },
}


@pytest.mark.parametrize("state", list(STATES))
def test_each_report_sits_in_exactly_the_right_queues_for_each_role(w, as_user, state):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = STATES[state](w)
        for role, expected in EXPECTED[state].items():
            assert queues_listing(as_user(getattr(w, role)), report) == expected, role


def test_overdue_and_escalated_reports_reach_the_late_and_escalation_queues(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):  # Monday; verification due Thursday
        report = f.submit(w)
        late_disposition = f.disposed(w)
    with time_machine.travel(at(2026, 12, 4, 9), tick=False):  # past verification and first response
        run_sla_sweep()
        assert queues_listing(as_user(w.verifier), report) == {"verifikasi", "terlambat", "eskalasi"}
        assert queues_listing(as_user(w.liaison_pupr), late_disposition) == {"masuk", "terlambat"}
        assert queues_listing(as_user(w.coordinator_pupr), late_disposition) == {
            "masuk",
            "terlambat",
            "eskalasi",
        }
        assert queues_listing(as_user(w.liaison_dinkes), late_disposition) == set()


def test_the_late_queue_names_the_agency_each_report_waits_on(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        late = f.disposed(w)
    with time_machine.travel(at(2026, 12, 4, 9), tick=False):
        run_sla_sweep()
        html = as_user(w.verifier).get("/kerja/antrean/terlambat/").content.decode()
    assert ">Instansi / status</th>" in html
    row = html.split(f"#{late.tracking_number}", 1)[1].split("</tr>", 1)[0]
    agency = w.pupr.short_name or w.pupr.name
    assert f'<span class="wb-agencies">{agency}</span>' in row


MONTHS = {
    "id": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}


@pytest.mark.parametrize(
    "language, submitted, status",
    [
        ("id", "1 Des 2026", "Terverifikasi &amp; Terdisposisi (belum ditindaklanjuti)"),
        ("en", "1 Dec 2026", "Verified &amp; disposed (not yet followed up)"),
    ],
)
def test_a_queue_row_shows_its_dates_offices_and_status_in_the_officers_language(
    w, as_user, language, submitted, status
):
    # 00:30 in Jakarta is still 30 November in UTC: the page writes the officer's local day.
    with time_machine.travel(at(2026, 12, 1, 0, 30), tick=False):
        report = actions.verify_report(
            report=f.submit(w),
            actor=w.verifier,
            classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        )
        actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr, w.dinkes])
    with time_machine.travel(at(2027, 2, 1, 9), tick=False):
        run_sla_sweep()
        client = as_user(w.verifier)
        client.cookies["django_language"] = language
        html = client.get("/kerja/antrean/terlambat/?q=jalan&kanal=web").content.decode()
    before, after = html.split(f"data-row-link>#{report.tracking_number}<", 1)
    row = before.rsplit("<tr", 1)[1] + after.split("</tr>", 1)[0]
    back = "/kerja/antrean/terlambat/%3Fq%3Djalan%26kanal%3Dweb"
    assert f'<a href="/kerja/laporan/{report.tracking_number}/?dari={back}" ' in row
    # Both offices, in the order the dispositions are read (the prefetch names none).
    offices = re.search(r'<span class="wb-agencies">([^<]*)</span>', row).group(1)
    assert sorted(offices.split(", ")) == sorted([w.pupr.name, w.dinkes.name])
    assert f'<span class="helptext">{status}</span>' in row
    assert f'<time datetime="2026-12-01T00:30:00+07:00">{submitted}</time>' in row
    due = Report.objects.get(pk=report.pk).completion_due_at.astimezone(JAKARTA)
    due_text = f"{due.day} {MONTHS[language][due.month - 1]} {due.year}"
    assert f'<time datetime="{due.isoformat()}">{due_text}</time>' in row


def test_escalations_stop_showing_once_the_report_is_finished(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.submit(w)
    with time_machine.travel(at(2026, 12, 4, 9), tick=False):
        run_sla_sweep()
        actions.archive_report(report=report, actor=w.verifier, reason=w.reason_unclear)
        assert "eskalasi" not in queues_listing(as_user(w.verifier), report)


def test_queues_put_overdue_reports_first_then_by_deadline(w, as_user):
    with time_machine.travel(at(2026, 11, 16, 9), tick=False):
        oldest = f.submit(w, title="Laporan paling lama")
    with time_machine.travel(at(2026, 11, 20, 9), tick=False):
        middle = f.submit(w, title="Laporan minggu lalu")
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        newest = f.submit(w, title="Laporan hari ini")
        paused = incomplete(w)
        body = as_user(w.verifier).get("/kerja/antrean/verifikasi/")
    assert numbers_on(body) == [r.tracking_number for r in (oldest, middle, newest, paused)]
    html = body.content.decode()
    assert "terlambat" in html and "dijeda" in html  # the oldest is overdue; the paused one waits


def test_keyset_pages_cover_every_row_once_and_go_back(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=True):
        reports = [f.submit(w, title=f"Laporan nomor {i:02d} tentang jalan") for i in range(PAGE_SIZE + 5)]
    client = as_user(w.verifier)
    first = client.get("/kerja/antrean/verifikasi/")
    page1 = numbers_on(first)
    assert len(page1) == PAGE_SIZE
    next_url = first.context["next_url"]
    second = client.get("/kerja/antrean/verifikasi/" + next_url)
    page2 = numbers_on(second)
    assert len(page2) == 5
    assert set(page1) | set(page2) == {r.tracking_number for r in reports}
    assert not set(page1) & set(page2)
    assert second.context["next_url"] is None
    back = client.get("/kerja/antrean/verifikasi/" + second.context["prev_url"])
    assert numbers_on(back) == page1
    assert back.context["page"].is_first


def test_a_garbled_cursor_shows_the_first_page(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).get("/kerja/antrean/verifikasi/?setelah=%%%bukan-kursor")
    assert response.status_code == 200
    assert numbers_on(response) == [report.tracking_number]


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def assorted(w):
    """Reports that differ in one attribute each, all waiting for verification in Padang."""
    drainage = make_category("Drainase Tersumbat")
    other_city = make_region("13.72.01.1001", "Kelurahan di Kota Lain")
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        early = f.submit(w, title="Got mampet di Jalan Veteran", category=drainage)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        road = f.submit(w, title="Aspal mengelupas di Jalan Sudirman")
        sms = f.submit(
            w, title="Lampu lalu lintas mati", channel=Channel.SMS, actor=None, reporter_phone="081299998888"
        )
        elsewhere = f.submit(w, title="Trotoar rusak di kota lain", region=other_city, target_agency=w.padang)
        classified = actions.verify_report(
            report=f.submit(w, title="Permohonan informasi anggaran jalan"),
            actor=w.verifier,
            classification=Classification.PERMINTAAN_INFORMASI,
        )
    return {
        "early": early,
        "road": road,
        "sms": sms,
        "elsewhere": elsewhere,
        "classified": classified,
        "drainage": drainage,
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        (lambda a, w: {"q": "Sudirman"}, {"road"}),
        (lambda a, w: {"q": a["sms"].tracking_number}, {"sms"}),
        (lambda a, w: {"category": a["drainage"].pk}, {"early"}),
        (lambda a, w: {"region": "13.72"}, {"elsewhere"}),
        (lambda a, w: {"channel": "sms"}, {"sms"}),
        (lambda a, w: {"classification": "permintaan_informasi"}, {"classified"}),
        (lambda a, w: {"date_from": "2026-11-01", "date_to": "2026-11-03"}, {"early"}),
        (lambda a, w: {"agency": w.padang.pk, "q": "informasi"}, {"classified"}),
        (lambda a, w: {"date_from": "bukan-tanggal"}, {"early", "road", "sms", "elsewhere", "classified"}),
    ],
    ids=[
        "text",
        "tracking-number",
        "category",
        "region",
        "channel",
        "classification",
        "dates",
        "agency+text",
        "bad-date-ignored",
    ],
)
def test_queue_filters_narrow_the_rows(w, as_user, assorted, query, expected):
    response = as_user(w.verifier).get("/kerja/antrean/verifikasi/", query(assorted, w))
    assert response.status_code == 200
    assert set(numbers_on(response)) == {assorted[name].tracking_number for name in expected}


def test_the_agency_filter_on_an_inbox_means_the_disposed_office(w, as_user):
    to_pupr = f.disposed(w)
    to_dinkes = f.submit(w)
    actions.verify_report(report=to_dinkes, actor=w.verifier, classification=Classification.ASPIRASI)
    actions.dispose_report(report=to_dinkes, actor=w.verifier, agencies=[w.dinkes])
    client = as_user(w.verifier)
    assert set(numbers_on(client.get("/kerja/antrean/masuk/"))) == {
        to_pupr.tracking_number,
        to_dinkes.tracking_number,
    }
    assert numbers_on(client.get("/kerja/antrean/masuk/", {"agency": w.dinkes.pk})) == [
        to_dinkes.tracking_number
    ]


# --- Counts and queries --------------------------------------------------------------------------


def test_menu_counts_are_capped(w):
    for _ in range(5):
        f.submit(w)
    qs = Report.objects.all()
    assert capped_count(qs, cap=3) == 4
    assert format_count(capped_count(qs, cap=3), cap=3) == "3+"
    assert format_count(capped_count(qs, cap=10), cap=10) == "5"


def test_the_menu_shows_each_queues_count(w, as_user):
    f.submit(w)
    f.submit(w)
    f.disposed(w)
    response = as_user(w.verifier).get("/kerja/")
    menu = {item["queue"].slug: item["count"] for item in response.context["menu"]}
    assert menu == {
        "verifikasi": "2",
        "masuk": "1",
        "diproses": "0",
        "dikembalikan": "0",
        "menunggu-pelapor": "0",
        "terlambat": "0",
        "eskalasi": "0",
    }


def _queries(client, url):
    cache.clear()  # the menu's counts computed, not kept from the request before: like for like
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill(w, n, anonymous_every=2):
    """n reports in every queue state (some anonymous, from registered and guest reporters)."""
    for i in range(n):
        flags = {"is_anonymous": i % anonymous_every == 0}
        if i % 3 == 0:
            flags.update(actor=None, reporter_name=f"Tamu {i}", reporter_email=f"tamu{i}@example.id")
        f.submit(w, **flags)
        incomplete(w)
        f.disposed(w, **flags)
        f.in_progress(w, **flags)
        returned(w)
        f.answered(w, **flags)


@pytest.mark.parametrize(
    "role", ["admin_nasional", "verifier", "verifier_prov", "coordinator_pupr", "liaison_pupr", "auditor"]
)
def test_queue_pages_take_the_same_few_queries_however_many_rows(
    w, as_user, role, django_assert_max_num_queries
):
    client = as_user(getattr(w, role))
    with time_machine.travel(at(2026, 11, 23, 9), tick=True):
        _fill(w, 1)
        small = {
            slug: _queries(client, f"/kerja/antrean/{slug}/")
            for slug in SLUGS
            if client.get(f"/kerja/antrean/{slug}/").status_code == 200
        }
        _fill(w, 6)
    with time_machine.travel(at(2026, 12, 10, 9), tick=False):
        run_sla_sweep()  # some of them overdue and escalated too
        large = {slug: _queries(client, f"/kerja/antrean/{slug}/") for slug in small}
        for slug in small:
            with django_assert_max_num_queries(30):
                client.get(f"/kerja/antrean/{slug}/")
            with django_assert_max_num_queries(30):
                client.get(f"/kerja/antrean/{slug}/csv/").getvalue()
    assert small, "the role has no queue at all"
    for slug in small:
        # Not one query per row: six times the rows, the same number of queries (± the empty-page
        # shortcut Django takes for a prefetch over no rows).
        assert large[slug] - small[slug] <= 2, (slug, small[slug], large[slug])


def _fill_every_cell(w, n):
    """n reports of each kind whose row shows more: held by a colleague, disposed to two offices
    (one with its liaison assigned), from an anonymous, a guest and a confidential reporter."""
    from jembatan.workbench import actions as wb_actions

    for i in range(n):
        held = f.submit(w, is_anonymous=i % 2 == 0)
        wb_actions.claim_report(report=held, actor=w.verifier_prov)
        report = actions.verify_report(
            report=f.submit(w, actor=None, reporter_name=f"Tamu {i}", reporter_email=f"tamu{i}@example.id"),
            actor=w.verifier,
            classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
        )
        report = actions.dispose_report(report=report, actor=w.verifier, agencies=[w.pupr, w.dinkes])
        pupr = report.dispositions.get(agency=w.pupr)
        actions.assign_liaison(disposition=pupr, actor=w.coordinator_pupr, liaison=w.liaison_pupr)
        f.answered(w, is_confidential=True)


@pytest.mark.parametrize("role", ["verifier", "coordinator_pupr", "liaison_pupr", "admin_nasional"])
def test_a_queue_page_loads_every_column_its_rows_show_at_once(w, as_user, role):
    # A page loads only the columns it shows (queues.shown_only): one it reads and did not load
    # would be read again for each row.
    client = as_user(getattr(w, role))
    with time_machine.travel(at(2026, 11, 23, 9), tick=True):
        _fill_every_cell(w, 1)
        slugs = [s for s in SLUGS if client.get(f"/kerja/antrean/{s}/").status_code == 200]
        few = {slug: _queries(client, f"/kerja/antrean/{slug}/") for slug in slugs}
        _fill_every_cell(w, 5)
        many = {slug: _queries(client, f"/kerja/antrean/{slug}/") for slug in slugs}
        pages = "".join(client.get(f"/kerja/antrean/{slug}/").content.decode() for slug in slugs)
    assert many == few
    if role == "verifier":
        assert f"ditangani {w.verifier_prov.display_name}" in pages
    if role == "coordinator_pupr":
        assert w.liaison_pupr.display_name in pages


def test_csv_export_takes_a_fixed_number_of_queries(w, as_user):
    client = as_user(w.verifier)
    _fill(w, 1)
    with CaptureQueriesContext(connection) as few:
        client.get("/kerja/antrean/menunggu-pelapor/csv/").getvalue()
    _fill(w, 5)
    with CaptureQueriesContext(connection) as many:
        client.get("/kerja/antrean/menunggu-pelapor/csv/").getvalue()
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Keyset pages across the ordered streams -----------------------------------------------------


def walk(queue, user, now, size):
    """Every page forward, then every page back from the last one: (forward ids, backward ids)."""
    streams = queue.streams(queue.base(user, now), user)
    load = loader(queue)
    forward, page = [], paginate(streams, load=load, size=size)
    pages = [page]
    forward += [r.pk for r in page.rows]
    while page.next_cursor:
        page = paginate(streams, load=load, size=size, after=decode_cursor(page.next_cursor))
        pages.append(page)
        forward += [r.pk for r in page.rows]
    backward = [r.pk for r in pages[-1].rows]
    page = pages[-1]
    while page.prev_cursor:
        page = paginate(streams, load=load, size=size, before=decode_cursor(page.prev_cursor))
        backward = [r.pk for r in page.rows] + backward
    assert page.is_first
    return forward, backward


def test_pages_cross_from_deadlines_to_paused_reports_and_back(w):
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        paused_early = incomplete(w)
    with time_machine.travel(at(2026, 11, 9, 9), tick=False):
        late = f.submit(w)
        paused_late = incomplete(w)
    with time_machine.travel(at(2026, 11, 16, 9), tick=False):
        due_soon = [f.submit(w) for _ in range(3)]  # the same deadline: ordered by id
    with time_machine.travel(at(2026, 11, 18, 9), tick=False):
        last = f.submit(w)
        now = at(2026, 11, 18, 10)
        expected = [late.pk, *(r.pk for r in due_soon), last.pk, paused_early.pk, paused_late.pk]
        for size in (1, 2, 3, 50):
            assert walk(QUEUES_BY_SLUG["verifikasi"], w.verifier, now, size) == (expected, expected), size


def test_pages_merge_verification_and_completion_deadlines_in_one_order(w):
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        unverified = f.submit(w)
        disposed = f.disposed(w)
    with time_machine.travel(at(2026, 11, 3, 9), tick=False):
        working = f.in_progress(w)
    with time_machine.travel(at(2026, 11, 20, 9), tick=False):
        later = f.submit(w)
    now = at(2026, 12, 30, 9)  # everything is overdue by then
    reports = [Report.objects.get(pk=r.pk) for r in (unverified, disposed, working, later)]
    expected = [r.pk for r in sorted(reports, key=lambda r: (r.sla_due_at, r.pk))]
    assert len({r.sla_due_at for r in reports}) == 4  # distinct deadlines from three streams
    for size in (1, 3):
        assert walk(QUEUES_BY_SLUG["terlambat"], w.verifier, now, size) == (expected, expected)


def test_the_menu_counts_follow_an_action_at_once(w, as_user):
    client = as_user(w.verifier)
    f.submit(w)

    def menu():
        response = client.get("/kerja/antrean/verifikasi/")
        return {item["queue"].slug: item["count"] for item in response.context["menu"]}

    before = menu()
    assert menu() == before  # kept: the second page view reads the counts from the cache
    f.submit(w)  # a new report writes a timeline row: the kept counts no longer answer
    assert int(menu()["verifikasi"]) == int(before["verifikasi"]) + 1


def _count_queries(queries):
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("SELECT COUNT(*)"))


def test_the_turn_of_a_minute_recounts_only_the_overdue_queue(w, as_user):
    # The overdue count follows the clock alone (no timeline row marks a deadline passing); the
    # other counts follow the timeline. The minute's turn must not recount the whole menu.
    with time_machine.travel(at(2026, 11, 18, 9), tick=False):
        report = f.submit(w)
    due = Report.objects.get(pk=report.pk).verification_due_at
    client = as_user(w.verifier)

    def view(moment):
        with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as queries:
            response = client.get("/kerja/antrean/verifikasi/")
        menu = {item["queue"].slug: item["count"] for item in response.context["menu"]}
        return menu, _count_queries(queries)

    cache.clear()
    before, cold = view(due - dt.timedelta(seconds=90))
    assert before["terlambat"] == "0" and before["verifikasi"] == "1"
    _menu, warm = view(due - dt.timedelta(seconds=90))
    assert warm < cold  # the same minute: every count kept
    after, turned = view(due + dt.timedelta(seconds=90))
    assert after["terlambat"] == "1"  # the deadline passed: the overdue count moved with the clock
    assert after["verifikasi"] == "1"
    # The verifier's overdue queue is three streams (unverified, disposed, in progress), the last
    # two read as two branches each (the verifier's own, the offices' late dispositions): at most
    # five counts more than a kept view, not the whole menu's.
    assert warm < turned <= warm + 5 < cold


def test_a_granted_role_shows_in_the_menu_at_once(w, as_user):
    from jembatan.accounts import actions as accounts

    f.submit(w)  # verified by Pemkot Padang: not in the PUPR coordinator's scope
    client = as_user(w.coordinator_pupr)

    def menu():
        response = client.get("/kerja/antrean/verifikasi/")
        return {item["queue"].slug: item["count"] for item in response.context["menu"]}

    assert menu()["verifikasi"] == "0"
    accounts.grant_staff_role(actor=None, user=w.coordinator_pupr, role="admin_instansi", agency=w.padang)
    # No timeline row was written: the kept counts must still not answer for the new scope.
    assert menu()["verifikasi"] == "1"


@pytest.mark.parametrize("who", ["verifier", "liaison_pupr", "coordinator_pupr", "admin_nasional"])
def test_each_stream_names_its_status_once(w, who):
    # `status IN (…) AND status = S` made PostgreSQL multiply two selectivities of one column and
    # sort 50,000 rows for a page at 5,000,000 reports: a stream's own status condition is the
    # only one on its table (conditions in subqueries are on other aliases and stay).
    from django.core.exceptions import EmptyResultSet

    from jembatan.workbench.queues import queues_for

    user = getattr(w, who)
    now = at(2026, 11, 18, 9)
    streams = 0
    for queue, qs in queues_for(user, now):
        table = queue.model._meta.db_table
        for stream, dated in queue.streams(qs, user):
            if not dated:
                continue  # undated streams keep the queue's conditions on purpose (Queue.streams)
            try:
                where = str(stream.query).split(" WHERE ", 1)[1]
            except EmptyResultSet:  # a stream that cannot hold a row (no query is run for it)
                assert list(stream) == [] and stream.count() == 0
                continue
            assert where.count(f'"{table}"."status"') == 1, (queue.slug, where)
            streams += 1
    assert streams >= 4
