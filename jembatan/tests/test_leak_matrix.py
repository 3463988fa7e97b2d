"""The leak matrix: every role × every page, export, feed and API endpoint that shows reports.

Each cell logs in as one role (the demo's logins, an anonymous visitor, a guest with and without the
access code, a citizen who is not the reporter), fetches every URL of one surface for every secret
report of leak_world.py, decodes the answer (HTML, JSON, XML, CSV, XLSX, gzip) and fails when it
holds a secret the role may not read there. test_every_url_pattern_is_in_the_matrix makes a new
page or endpoint fail until it is added to a surface here or to NOT_SHOWING_REPORTS with a reason.

Known leaks another branch is fixing are strict xfails (KNOWN_LEAKS): the mark turns into a
failure the day the leak is gone, and is then removed.
"""

import gzip
import html
import io
import json
import re
import urllib.parse
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jembatan.directory.models import region_ancestor_codes
from jembatan.portal.forms import REGION_LEVELS
from jembatan.reports.models import Follower
from jembatan.reports.notifications import unfollow_token
from jembatan.tests import leak_world as lw

pytestmark = [pytest.mark.django_db, pytest.mark.security]


# --- The world, once per module ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_in_tmp():
    """Replaces the project-wide per-test MEDIA_ROOT: the attachments are stored once, below."""
    yield


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The province of leak_world.py, built once inside a transaction that is rolled back at the end.

    Each test runs in a savepoint inside it (pytest-django's own atomic), so what a request writes
    (sessions, rate counters) is undone after every cell, and the world after the last.
    """
    base = tmp_path_factory.mktemp("leaks")
    overrides = override_settings(
        MEDIA_ROOT=base / "media",
        INSIGHTS_EXPORT_DIR=base / "exports",
        INSIGHTS_OPEN_DATA_DIR=base / "opendata",
    )
    with django_db_blocker.unblock(), overrides:
        with transaction.atomic():
            # Notifications, rollups and the like are queued on commit; run them here, as a commit would.
            with TestCase.captureOnCommitCallbacks(execute=True):
                w = lw.build_leak_world()
            _derive_published_data()
            yield w
            transaction.set_rollback(True)


def _derive_published_data():
    """What the worker derives from the reports: rollups, topic clusters, open data, a monthly report."""
    from jembatan.insights import opendata, rollups, topics
    from jembatan.insights.tasks import dashboard_scopes

    with TestCase.captureOnCommitCallbacks(execute=True):
        rollups.rebuild()
        topics.refresh_snapshots(dashboard_scopes())
        opendata.publish()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached numbers and per-officer strips must not carry one role's view into another's cell.
    cache.clear()
    yield
    cache.clear()


# --- Fetching and decoding --------------------------------------------------------------------------


def decode(response):
    """The text of a response as a reader would get it: files unpacked, entities and escapes undone."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    if content[:4] == b"PK\x03\x04":  # XLSX
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = [
            str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
        ]
        text = "\n".join(c for c in cells if c != "None")
    else:
        text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        try:
            text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    text = html.unescape(text)
    # Headers too: a file name in Content-Disposition, a Location with a title in it.
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return f"{text}\n{urllib.parse.unquote_plus(text)}\n{headers}"


_SEPARATORS = re.compile(r"[\s\-.()+/]")


def secrets_in(text, role, surface):
    """The secrets in `text` that `role` may not read on `surface`."""
    low = text.lower()
    flat = _SEPARATORS.sub("", low)
    found = []
    for secret in lw.SECRETS:
        if surface.allows(role, secret):
            continue
        if secret.marker.lower() in (flat if secret.is_phone else low):
            found.append(secret)
    return found


class Visitor:
    """One role's browser (or API client) on one surface: fetches and keeps what came back."""

    def __init__(self, w, role):
        self.w = w
        self.role = role
        self.client = Client()
        self.seen = []  # (label, decoded text)
        user = w.users.get(role)
        if user is not None:
            self.client.force_login(user)
        if role == lw.GUEST_WITH_CODE:
            number = w.reports[lw.GUEST_CONF_DINKES].tracking_number
            response = self.client.post(
                reverse("portal:track-code", args=[number]), {"kode": w.guest_access_code}
            )
            assert response.status_code == 302, "the guest's access code was not accepted"

    def _headers(self):
        # The guest's API client sends its report's access code with every request.
        if self.role == lw.GUEST_WITH_CODE:
            return {"HTTP_X_ACCESS_CODE": self.w.guest_access_code}
        return {}

    def get(self, url, data=None, follow=False, echo=None):
        """GET `url`; `echo`: a search term the page repeats in its own form, left out of the check
        (a hit still shows: the probes search one marker and look for the report's others)."""
        response = self.client.get(url, data, follow=follow, **self._headers())
        text = decode(response)
        if echo:
            text = re.sub(re.escape(echo), "", text, flags=re.IGNORECASE)
        self.seen.append((f"GET {url} {data or ''}", text))
        return response

    def post(self, url, data=None, follow=False):
        response = self.client.post(url, data or {}, follow=follow, **self._headers())
        self.seen.append((f"POST {url}", decode(response)))
        return response

    def numbers(self, keys=None):
        return [self.w.reports[k].tracking_number for k in (keys or lw.REPORTS)]


# Reports whose state-changing endpoints are probed with an empty form: an anonymous report in Padang
# (in scope for Padang's roles, with identity in its text) and a confidential one outside Padang.
PROBED = [lw.ANON_TEXT_PADANG, lw.CONF_SOLOK]


@dataclass(frozen=True)
class Surface:
    name: str
    covers: frozenset  # URL pattern names (or routes of unnamed patterns) fetched by `fetch`
    fetch: object
    public: bool = False  # shown to everyone: no secret of any kind, whoever looks
    number_opens: bool = (
        False  # the tracking number opens a non-confidential report (access.can_track_report)
    )
    lists_accounts: bool = False  # the accounts admin: account holders' own names are what it manages

    def allows(self, role, secret):
        if secret.kind == lw.LINK and not self.lists_accounts:
            return True  # a public title, on a page that names no account
        if self.lists_accounts and secret.account_holder and secret.kind == lw.IDENTITY:
            return True
        if self.number_opens and secret.kind == lw.CONTENT and secret.report in lw.OPEN_BY_NUMBER:
            return True
        return lw.may_read(role, secret, public_surface=self.public)


SURFACES = []


def surface(name, covers, **flags):
    def register(fetch):
        SURFACES.append(Surface(name, frozenset(covers), fetch, **flags))
        return fetch

    return register


# Searched for on the public lists: each hidden report's title marker (a hit would show its text),
# its text marker (a hit would show its title), and identities (a hit would show the report).
SEARCH_TERMS = [
    "RHSPDGJUDUL",
    "RHSDKSISI",
    "RHSSLKJUDUL",
    "BLMVRFJUDUL",
    "SMSRHSISI",
    "Marlindawati",
    "Rosmaniar",
]


# --- Portal -------------------------------------------------------------------------------------------


@surface("portal-public", {"portal:home", "portal:reports", "portal:report", "portal:support"}, public=True)
def _portal_public(v):
    v.get("/")
    v.get(reverse("portal:reports"))
    v.get(reverse("portal:reports"), {"urut": "dukungan"})
    for term in SEARCH_TERMS:
        v.get(reverse("portal:reports"), {"q": term}, echo=term)
    for number in v.numbers():
        v.get(reverse("portal:report", args=[number]))
    for number in v.numbers(PROBED):
        v.post(reverse("portal:support", args=[number]))


@surface("portal-similar", {"portal:submit", "portal:similar", "portal:suggest-category"}, public=True)
def _portal_similar(v):
    v.get(reverse("portal:submit"))
    for report in v.w.reports.values():
        data = {"teks": report.description, "wilayah": report.region.code if report.region_id else "13.71"}
        v.post(reverse("portal:similar"), data)
        v.post(reverse("portal:suggest-category"), data)


def _nearby_form(report):
    """The submit form's "Lihat laporan di sekitar" step, as a citizen near `report` would send it
    (its own words, and a pin some 50 m away: the form shows back what was typed)."""
    words = "Jalan rusak berlubang dalam di depan pasar, berbahaya bagi pengendara motor malam hari."
    data = {"step": "nearby", "description": words, "category": report.category_id or ""}
    code = report.region.code if report.region_id else "13.71"
    for (name, *_rest), part in zip(REGION_LEVELS, region_ancestor_codes(code), strict=False):
        data[name] = part
    if report.latitude is not None:
        data.update(
            latitude=str(report.latitude + Decimal("0.0004")),
            longitude=str(report.longitude - Decimal("0.0003")),
        )
    return data


@surface(
    "portal-voices",
    {"portal:follow", "portal:follow-code", "portal:unfollow-account", "portal:join", "portal:unfollow"},
    public=True,
)
def _portal_voices(v):
    for report in v.w.reports.values():
        number = report.tracking_number
        v.post(reverse("portal:submit"), _nearby_form(report))
        v.post(reverse("portal:follow", args=[number]), {"kontak": "pengikut@example.org"})
        v.get(reverse("portal:follow-code", args=[number]))
        v.post(reverse("portal:follow-code", args=[number]), {"kode": "000000"})
        v.post(reverse("portal:unfollow-account", args=[number]))
        v.post(reverse("portal:join", args=[number]), {"reporter_email": "pengikut@example.org"})
        follower = Follower.objects.create(
            report=report, email="baca@example.org", confirmed_at=report.submitted_at
        )
        v.get(reverse("portal:unfollow", args=[unfollow_token(follower)]))
        v.post(reverse("portal:unfollow", args=[unfollow_token(follower)]))


@surface(
    "portal-track",
    {
        "portal:track",
        "portal:track-lookup",
        "portal:track-code",
        "portal:submitted",
        "portal:attachment",
        "portal:attachment-thumbnail",
        "portal:reply",
        "portal:complete",
        "portal:rate",
        "portal:close",
        "portal:reopen",
    },
    number_opens=True,
)
def _portal_track(v):
    for number in v.numbers():
        v.get(reverse("portal:track", args=[number]))
        v.get(reverse("portal:track-lookup"), {"nomor": number})
        v.get(reverse("portal:submitted", args=[number]))
    for attachments in v.w.attachments.values():
        for item in attachments:
            v.get(reverse("portal:attachment", args=[item.pk]))
            v.get(reverse("portal:attachment-thumbnail", args=[item.pk]))
    for number in v.numbers(PROBED):
        v.post(reverse("portal:track-code", args=[number]), {"kode": "AAAAAAAAAA"})
        for name in ("portal:reply", "portal:complete", "portal:rate", "portal:close", "portal:reopen"):
            v.post(reverse(name, args=[number]))


@surface("portal-my-reports", {"portal:my-reports"})
def _portal_mine(v):
    v.get(reverse("portal:my-reports"))


# --- Workbench ----------------------------------------------------------------------------------------


@surface(
    "workbench-queues", {"workbench:index", "workbench:queue", "workbench:queue-csv", "workbench:queue-bulk"}
)
def _workbench_queues(v):
    from jembatan.workbench.queues import QUEUES

    v.get(reverse("workbench:index"))
    for queue in QUEUES:
        v.get(reverse("workbench:queue", args=[queue.slug]))
        v.get(reverse("workbench:queue", args=[queue.slug]), {"q": "RHS"}, echo="RHS")
        v.get(reverse("workbench:queue-csv", args=[queue.slug]))
        v.post(reverse("workbench:queue-bulk", args=[queue.slug]))


WORKBENCH_REPORT_ACTIONS = [
    "workbench:verify",
    "workbench:request-information",
    "workbench:archive",
    "workbench:dispose",
    "workbench:close",
    "workbench:duplicate",
    "workbench:note",
    "workbench:return-origin",
    "workbench:send-lapor",
    "workbench:unmerge",
    "workbench:claim",
    "workbench:release",
]
WORKBENCH_DISPOSITION_ACTIONS = [
    "workbench:assign-liaison",
    "workbench:start-follow-up",
    "workbench:progress",
    "workbench:follow-up",
    "workbench:return",
    "workbench:forward",
]


@surface(
    "workbench-report",
    {"workbench:report", "workbench:find", "workbench:attachment", "workbench:attachment-thumbnail",
     "workbench:merge-confirm",
     *WORKBENCH_REPORT_ACTIONS, *WORKBENCH_DISPOSITION_ACTIONS},
)  # fmt: skip
def _workbench_report(v):
    numbers = list(v.numbers())
    for number in numbers:
        v.get(reverse("workbench:report", args=[number]))
        v.get(reverse("workbench:find"), {"nomor": number})
        # The merge confirmation shows both reports: each one against its neighbour, both ways.
        other = numbers[(numbers.index(number) + 1) % len(numbers)]
        v.get(reverse("workbench:merge-confirm", args=[number, other]))
    for attachments in v.w.attachments.values():
        for item in attachments:
            v.get(reverse("workbench:attachment", args=[item.pk]))
            v.get(reverse("workbench:attachment-thumbnail", args=[item.pk]))
    for key in PROBED:
        number = v.w.reports[key].tracking_number
        for name in WORKBENCH_REPORT_ACTIONS:
            v.post(reverse(name, args=[number]))
        for disposition in v.w.dispositions[key]:
            for name in WORKBENCH_DISPOSITION_ACTIONS:
                v.post(reverse(name, args=[disposition.pk]))


@surface("workbench-enter", {"workbench:enter-report", "workbench:enter-report-suggest"})
def _workbench_enter(v):
    v.get(reverse("workbench:enter-report"))
    for report in v.w.reports.values():
        v.post(reverse("workbench:enter-report-suggest"), {"teks": report.description, "wilayah": "13.71"})


# --- Dashboards, drill-downs, exports -----------------------------------------------------------------

_TABLE = re.compile(r"tabel=([\w-]+)")
_DRILL = re.compile(r'href="(/data/laporan/\?[^"]*)"')


@surface(
    "insights-dashboards",
    {"insights:overview", "insights:map", "insights:league", "insights:trends", "insights:monthly",
     "insights:monthly-view", "insights:monthly-generate", "insights:monthly-snapshot"},
)  # fmt: skip
def _insights_dashboards(v):
    drills = set()
    for name in ("insights:overview", "insights:map", "insights:league", "insights:trends"):
        url = reverse(name)
        response = v.get(url)
        page = response.content.decode("utf-8", "replace") if response.status_code == 200 else ""
        for key in sorted(set(_TABLE.findall(page))):
            v.get(url, {"unduh": "csv", "tabel": key})
            v.get(url, {"unduh": "xlsx", "tabel": key})
        drills.update(html.unescape(link) for link in _DRILL.findall(page))
    for link in sorted(drills)[:25]:
        v.get(link)
    v.get(reverse("insights:monthly"))
    for code in ("", v.w.padang.code, v.w.solok.code, v.w.riau.code):
        v.get(reverse("insights:monthly-view"), {"instansi": code} if code else None)
        v.post(reverse("insights:monthly-generate"), {"instansi": code} if code else {}, follow=True)


@surface("insights-drill", {"insights:reports", "insights:export-job", "insights:export-download"})
def _insights_drill(v):
    url = reverse("insights:reports")
    for params in ({}, {"fakta": "disposisi"}, {"status": "terbuka"}, {"kata": "RHSPDGJUDUL"}):
        echo = params.get("kata")
        v.get(url, params, echo=echo)
        v.get(url, {**params, "unduh": "csv"}, echo=echo)
        v.get(url, {**params, "unduh": "xlsx"}, echo=echo)
    # Over the synchronous limit, the export is a job the worker builds (Huey runs it at once here).
    from jembatan.insights import exports

    limit, exports.SYNC_LIMIT = exports.SYNC_LIMIT, 0
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = v.get(url, {"unduh": "csv"})
        if response.status_code == 302:
            v.get(response["Location"])
            token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
            v.get(reverse("insights:export-download", args=[token]))
    finally:
        exports.SYNC_LIMIT = limit


@surface(
    "insights-public",
    {"insights:public-stats", "insights:open-data", "insights:open-data-file"},
    public=True,
)
def _insights_public(v):
    url = reverse("insights:public-stats")
    response = v.get(url)
    for key in sorted(set(_TABLE.findall(response.content.decode("utf-8", "replace")))):
        v.get(url, {"unduh": "csv", "tabel": key})
        v.get(url, {"unduh": "xlsx", "tabel": key})
    v.get(reverse("insights:open-data"))
    for name in ("laporan.csv", "laporan.json", "kamus-data.json"):
        v.get(reverse("insights:open-data-file", args=[name]))


# --- REST API v1 --------------------------------------------------------------------------------------


@surface("api-public", {"api:public-reports"}, public=True)
def _api_public(v):
    url = reverse("api:public-reports")
    v.get(url)
    for term in SEARCH_TERMS:
        v.get(url, {"q": term}, echo=term)


@surface("api-citizen", {"api:submit", "api:report", "api:reply", "api:rate", "api:close", "api:my-reports"},
         number_opens=True)  # fmt: skip
def _api_citizen(v):
    v.get(reverse("api:submit"))
    v.get(reverse("api:my-reports"))
    for number in v.numbers():
        v.get(reverse("api:report", args=[number]))
    for number in v.numbers(PROBED):
        for name in ("api:reply", "api:rate", "api:close"):
            v.post(reverse(name, args=[number]))


API_STAFF_REPORT_ACTIONS = [
    "api:staff-verify",
    "api:staff-request-information",
    "api:staff-archive",
    "api:staff-dispose",
    "api:staff-close",
    "api:staff-mark-duplicate",
    "api:staff-note",
    "api:staff-return-to-origin",
]
API_STAFF_DISPOSITION_ACTIONS = [
    "api:staff-assign-liaison",
    "api:staff-start",
    "api:staff-follow-up",
    "api:staff-return",
    "api:staff-forward",
]


@surface(
    "api-staff",
    {"api:staff-reports", "api:staff-report", "api:staff-attachment", "api:staff-webhooks",
     *API_STAFF_REPORT_ACTIONS, *API_STAFF_DISPOSITION_ACTIONS},
)  # fmt: skip
def _api_staff(v):
    url = reverse("api:staff-reports")
    v.get(url)
    for status in ("belum_terverifikasi", "terdisposisi"):
        v.get(url, {"status": status})
    v.get(reverse("api:staff-webhooks"))
    for number in v.numbers():
        v.get(reverse("api:staff-report", args=[number]))
    for attachments in v.w.attachments.values():
        for item in attachments:
            v.get(reverse("api:staff-attachment", args=[item.pk]))
    for key in PROBED:
        number = v.w.reports[key].tracking_number
        for name in API_STAFF_REPORT_ACTIONS:
            v.post(reverse(name, args=[number]))
        for disposition in v.w.dispositions[key]:
            for name in API_STAFF_DISPOSITION_ACTIONS:
                v.post(reverse(name, args=[disposition.pk]))


# --- Open311 GeoReport v2 -----------------------------------------------------------------------------


@surface("open311", {"open311:requests", "open311:request", "open311:token"}, public=True)
def _open311(v):
    numbers = v.numbers()
    for fmt in ("json", "xml"):
        url = reverse("open311:requests", kwargs={"fmt": fmt})
        v.get(url)
        v.get(url, {"extensions": "true"})
        v.get(url, {"service_request_id": ",".join(numbers)})
        for number in numbers:
            v.get(reverse("open311:request", kwargs={"number": number, "fmt": fmt}), {"extensions": "true"})
            v.get(reverse("open311:token", kwargs={"token": number, "fmt": fmt}))


# --- Django admin -------------------------------------------------------------------------------------

ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete")


def _admin_objects(model, w):
    """The rows worth opening: those about the secret reports or their people, else the first two.

    A row a report points to (its agency, category, region) is opened too: its delete page lists the
    reports it protects."""
    from jembatan.reports.models import Disposition, Report

    fields = {f.name for f in model._meta.get_fields()}
    reports = list(w.reports.values())
    if "report" in fields:
        return list(model.objects.filter(report__in=reports)[:20])
    if model._meta.label == "accounts.User":
        return [report.reporter for report in reports if report.reporter_id]
    referenced = set()
    for source, rows in ((Report, reports), (Disposition, Disposition.objects.filter(report__in=reports))):
        for field in source._meta.concrete_fields:
            if field.many_to_one and field.related_model is model:
                referenced.update(getattr(row, field.attname) for row in rows)
    referenced.discard(None)
    if referenced:
        return list(model.objects.filter(pk__in=referenced)[:10])
    return list(model.objects.all()[:2])


def _admin_apps():
    return sorted({model._meta.app_label for model in admin.site._registry})


def _admin_covers(app_label):
    names = set()
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label == app_label:
            names.update(f"admin:{opts.app_label}_{opts.model_name}_{view}" for view in ADMIN_VIEWS)
    return names


def _admin_fetch(app_label):
    def fetch(v):
        v.get(reverse("admin:app_list", args=[app_label]))
        for model in admin.site._registry:
            opts = model._meta
            if opts.app_label != app_label:
                continue
            prefix = f"admin:{opts.app_label}_{opts.model_name}"
            v.get(reverse(f"{prefix}_changelist"))
            v.get(reverse(f"{prefix}_changelist"), {"q": "RHS"}, echo="RHS")
            v.get(reverse(f"{prefix}_add"))
            for obj in _admin_objects(model, v.w):
                for view in ("change", "history", "delete"):
                    v.get(reverse(f"{prefix}_{view}", args=[obj.pk]))

    return fetch


@surface("admin-index", {"admin:index", "admin:app_list"})
def _admin_index(v):
    v.get(reverse("admin:index"))


# One surface per app, so a leak in one app's admin marks only its cells. The accounts admin
# manages people: an account holder's name there is its purpose (but not beside an anonymous
# report's title, nor a guest's identity, nor a report's content).
for _app in _admin_apps():
    SURFACES.append(
        Surface(
            f"admin-{_app}",
            frozenset(_admin_covers(_app)),
            _admin_fetch(_app),
            lists_accounts=_app == "accounts",
        )
    )


# --- The cells ----------------------------------------------------------------------------------------

# (surface, role) → why the cell leaks today. Only leaks another branch is fixing belong here; when
# the fix is merged the cell passes, the strict xfail fails, and its line here is deleted.
KNOWN_LEAKS = {}  # none since h-secdata's merge (issue 12 findings 4, 6 and 10)


def _cells():
    for s in SURFACES:
        for role in lw.ROLES:
            reason = KNOWN_LEAKS.get((s.name, role))
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
            yield pytest.param(s, role, id=f"{s.name}-{role}", marks=marks)


# (surface, role) → markers the cell must find: a cell that only ever met a login page or a 404 would
# pass without proving anything, so each kind of surface shows some reader what they may read.
SHOWS = {
    ("portal-public", lw.ANONYMOUS): ["ANMPDGJUDUL"],
    ("portal-similar", lw.ANONYMOUS): ["ANMPDGJUDUL"],
    ("portal-track", lw.GUEST_WITH_CODE): ["RHSDKSISI"],
    ("portal-track", lw.ADMIN_PADANG): ["RHSPDGJUDUL"],
    ("workbench-queues", lw.ADMIN_PADANG): ["RHSPDGJUDUL"],
    ("workbench-queues", lw.PENGHUBUNG_DINKES): ["RHSDKSJUDUL"],
    ("workbench-report", lw.PENGHUBUNG_DINKES): ["RHSDKSISI"],
    ("workbench-report", lw.ADMIN_PADANG): ["RHSPDGLAMPIRAN", "marlindawati.situmeang41", "Rosmaniar"],
    ("insights-dashboards", lw.ADMIN_SUMBAR): ["Dinas PUPR Kabupaten Solok"],
    ("insights-drill", lw.PIMPINAN_SUMBAR): ["RHSSLKJUDUL"],
    ("insights-drill", lw.AUDITOR_OMBUDSMAN): ["RHSRIAUJUDUL"],
    ("insights-public", lw.ANONYMOUS): ["ANMPDGJUDUL"],
    ("api-public", lw.ANONYMOUS): ["ANMPDGJUDUL"],
    ("api-citizen", lw.GUEST_WITH_CODE): ["RHSDKSISI"],
    ("api-staff", lw.ADMIN_SUMBAR): ["RHSSLKISI", "wiradharma.sitanggang77"],
    ("admin-directory", lw.ADMIN_PADANG): ["Dinas PUPR Kota Padang"],
    ("admin-accounts", lw.SYSADMIN): ["Sukmawindari"],
}


@pytest.mark.parametrize(("surface", "role"), list(_cells()))
def test_no_role_reads_a_secret_it_may_not_see(world, surface, role):
    visitor = Visitor(world, role)
    surface.fetch(visitor)
    assert visitor.seen, "the surface fetched nothing"
    for marker in SHOWS.get((surface.name, role), []):
        assert any(marker.lower() in text.lower() for _label, text in visitor.seen), (
            f"{role} should read {marker} on {surface.name}: the cell does not reach real content"
        )
    leaks = [
        f"{label}: {secret}" for label, text in visitor.seen for secret in secrets_in(text, role, surface)
    ]
    assert not leaks, f"{role} reads on {surface.name}:\n" + "\n".join(sorted(set(leaks)))


# --- The matrix knows every URL -----------------------------------------------------------------------

# URL patterns that show no report, each with the reason. Everything else must be in a surface.
NOT_SHOWING_REPORTS = {
    "healthz": "liveness probe: a fixed status",
    "readyz": "readiness probe: dependency states and periodic-task names, no report",
    "metrics": "Prometheus counters and gauges: aggregate numbers, no report text (loopback or token only)",
    "set_language": "switches the interface language and redirects",
    "accounts:login": "login form",
    "accounts:login-token": "second login step (TOTP code)",
    "accounts:logout": "logs out",
    "accounts:register": "registration form of a new citizen",
    "accounts:password-reset": "asks for a reset code",
    "accounts:password-reset-confirm": "sets a new password with the code",
    "accounts:verify": "confirms the signed-in user's own e-mail or phone",
    "accounts:resend-code": "sends the user's own verification code again",
    "accounts:profile": "the signed-in user's own account; no report",
    "accounts:totp-setup": "the signed-in user's own authenticator",
    "accounts:totp-start": "starts the user's own authenticator enrolment",
    "admin:login": "redirects to /akun/masuk/",
    "admin:logout": "logs out",
    "admin:password_change": "the admin user's own password",
    "admin:password_change_done": "confirmation page",
    "admin:auth_user_password_change": "sets an account's password",
    "admin:otp_totp_totpdevice_config": "an authenticator's key as an otpauth URL, no report",
    "admin:otp_totp_totpdevice_qrcode": "an authenticator's key as a QR code, no report",
    "admin:jsi18n": "the admin's JavaScript translation catalogue",
    "admin:autocomplete": "answers only for admin fields declared autocomplete_fields; no report "
    "model is registered in the admin, so none can be looked up",
    "admin:view_on_site": "redirects to an object's own URL (the pages there are in the matrix)",
    "admin/auth/group/<path:object_id>/": "redirect to the change page (covered)",
    "admin/otp_totp/totpdevice/<path:object_id>/": "redirect to the change page (covered)",
    "admin/(?P<url>.*)$": "the admin's catch-all: 404 or a redirect to the login",
    "workbench:filter-save": "stores the officer's own saved queue filter and redirects",
    "workbench:filter-delete": "deletes the officer's own saved queue filter and redirects",
    "workbench:templates": "response templates (texts officers reuse), no report",
    "workbench:template-edit": "one response template, no report",
    "api:schema": "the OpenAPI description",
    "api:docs": "the API documentation page",
    "api:redoc": "the API documentation page",
    "api:categories": "the category list",
    "api:agencies": "the agency directory",
    "api:archive-reasons": "the archive reasons",
    "api:token": "issues a token for the caller's own credentials",
    "api:token-current": "describes or revokes the caller's own token",
    "api:staff-enter": "records a report from the caller's own input; answers with that report only",
    "api:staff-webhook": "one webhook subscription (URL, events), no report",
    "api/v1/^.*$": "the API's catch-all 404",
    "open311:discovery": "Open311 discovery document",
    "open311:services": "the service (category) list",
    "open311:service": "one service definition",
    "open311/v2/^(?P<path>.*)$": "Open311's catch-all 404",
    "intake:sms": "gateway webhook (shared secret): creates a report or answers STATUS with a status "
    "label only (a confidential report only to its reporter's own number)",
    "intake:whatsapp": "gateway webhook (shared secret): creates a report or answers STATUS with a status "
    "label only (a confidential report only to its reporter's own number)",
    "intake:email": "gateway webhook (shared secret): creates a report or answers STATUS with a status "
    "label only (a confidential report only to its reporter's own number)",
    "federation:messages": "signed peer-to-peer endpoint (POST only, HMAC per pair of instances): answers "
    "with the message id and the receiver's verdict, no report",
    "federation:directory": "signed peer-to-peer GET (HMAC per pair of instances): the agency tree and "
    "which instance hosts each agency, no report",
    "federation:figures": "signed peer-to-peer endpoint (POST only, HMAC per pair of instances): takes "
    "aggregate counts per agency and month, answers each month's verdict, no report",
    "network": "the hub's network figures: aggregate counts per instance and agency, no report; "
    "404 on an instance that reports to a hub, 403 for viewers of less than the whole instance",
    "portal:region-search": "region names for the picker",
    "portal:region-children": "region names for the picker",
}


def _url_keys(resolver=None, prefix="", namespace=""):
    """Every URL pattern of the project as its namespaced name, or its full route when unnamed."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _url_keys(entry, route, ns)
        elif isinstance(entry, URLPattern):
            if entry.name:
                yield f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                yield route


def _admin_redirect_routes():
    # Every registered ModelAdmin adds an unnamed "<object_id>/" route that redirects to the change page.
    return {f"admin/{m._meta.app_label}/{m._meta.model_name}/<path:object_id>/" for m in admin.site._registry}


def test_every_url_pattern_is_in_the_matrix():
    covered = set().union(*(s.covers for s in SURFACES))
    known = covered | set(NOT_SHOWING_REPORTS) | _admin_redirect_routes()
    missing = sorted(set(_url_keys()) - known)
    assert not missing, (
        "These URL patterns are not in the leak matrix: add them to a surface in "
        "jembatan/tests/test_leak_matrix.py, or to NOT_SHOWING_REPORTS with the reason they show no report:\n"
        + "\n".join(missing)
    )


def test_the_matrix_lists_no_url_pattern_that_is_gone():
    keys = set(_url_keys())
    stale = sorted(
        key
        for key in (set().union(*(s.covers for s in SURFACES)) | set(NOT_SHOWING_REPORTS))
        if key not in keys
    )
    assert not stale, "The leak matrix names URL patterns that no longer exist:\n" + "\n".join(stale)


def test_the_matrix_can_find_each_secret(world):
    """The detector itself: each secret is found where its reader may legitimately see it."""
    for secret in lw.SECRETS:
        probe = Surface("probe", frozenset(), None, lists_accounts=secret.kind == lw.LINK)
        text = (
            f"… {secret.marker[:3]}-{secret.marker[3:]} …" if secret.is_phone else f"<p>{secret.marker}</p>"
        )
        assert secret in secrets_in(decode_text(text), lw.ANONYMOUS, probe), secret


def decode_text(text):
    from django.http import HttpResponse

    return decode(HttpResponse(text))
