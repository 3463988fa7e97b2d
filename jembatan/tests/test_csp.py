"""A strict Content-Security-Policy on every HTML page, and no inline script for it to block."""

import re
from pathlib import Path

import pytest
from django.test import Client

from jembatan.middleware import CONTENT_SECURITY_POLICY
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db

# A <script> element without src (JSON data blocks aside), or an on…= event handler attribute.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


def inline_scripts(html):
    return INLINE_SCRIPT.findall(html) + HANDLER.findall(html)


@pytest.fixture
def w(db):
    return f.build_world()


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert (
        "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    )


def test_every_html_page_carries_the_policy_and_no_inline_script(w):
    report = f.answered(w, is_anonymous=True)
    pages = {
        None: [
            "/",
            "/lapor/",
            f"/lacak/{report.tracking_number}/",
            f"/laporan/{report.tracking_number}/",
            "/akun/masuk/",
            "/akun/daftar/",
            "/data/statistik/",
            "/api/v1/docs/",
            "/api/v1/docs/redoc/",
            "/tidak-ada/",
        ],
        "verifier": [
            "/kerja/",
            f"/kerja/laporan/{report.tracking_number}/",
            "/kerja/laporan/baru/",
            "/admin/",
        ],
        "auditor": [
            "/data/?periode=30",
            "/data/kinerja/",
            "/data/tren/",
            "/data/laporan/",
            "/data/peta/",
            "/data/laporan-bulanan/",
            "/data/laporan-bulanan/lihat/",
        ],
    }
    checked = 0
    for who, urls in pages.items():
        client = Client()
        if who:
            client.force_login(getattr(w, who))
        for url in urls:
            response = client.get(url, follow=True)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            html = response.content.decode()
            assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
            assert inline_scripts(html) == [], url
            checked += 1
    assert checked >= 18


def test_no_template_holds_an_inline_script_or_an_event_handler():
    offenders = []
    for path in TEMPLATE_ROOT.rglob("templates/**/*.html"):
        if "/notify/templates/" in str(path):  # e-mails, not pages
            continue
        text = path.read_text(encoding="utf-8")
        if inline_scripts(text):
            offenders.append(str(path.relative_to(TEMPLATE_ROOT)))
    assert offenders == []


def test_api_json_is_left_alone(w):
    response = Client().get("/api/v1/categories/")
    assert "Content-Security-Policy" not in response
