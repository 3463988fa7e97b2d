"""Bulk work from a queue: each report gets its own action call and timeline event, and one
failure (stale, illegal, out of reach) is reported without stopping the others."""

import re
from collections import Counter

import pytest
from django.contrib.messages import get_messages

from jembatan.directory.tests.factories import make_category, make_rule
from jembatan.reports import actions
from jembatan.reports.models import Classification, Event, Status, Support
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def sel(obj, version=None):
    report = getattr(obj, "report", obj)
    report.refresh_from_db()
    return f"{obj.pk}:{version if version is not None else report.version}"


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_bulk_verify_and_dispose_reports_each_failure_and_does_the_rest(w, as_user):
    a, b, stale = f.submit(w), f.submit(w), f.submit(w)
    stale_version = stale.version
    actions.add_note(report=stale, actor=w.verifier_prov, text="Catatan yang membuat pilihan basi.")
    response = as_user(w.verifier).post(
        "/kerja/antrean/verifikasi/massal/",
        {
            "action": "verify_dispose",
            "items": [sel(a), sel(b), sel(stale, stale_version)],
            "classification": Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
            "agencies": [w.pupr.pk],
            "instruction": "Mohon ditinjau minggu ini.",
            "back": "/kerja/antrean/verifikasi/",
        },
    )
    # The page comes back with the failed row still ticked and the reason on it.
    assert response.status_code == 200
    page = response.content.decode()
    stale.refresh_from_db()
    assert f'value="{stale.pk}:{stale.version}" checked' in page
    assert f'id="gagal-{stale.tracking_number}"' in page
    for report in (a, b):
        report.refresh_from_db()
        assert report.status == Status.TERDISPOSISI
        assert Event.objects.filter(report=report, action="verified", actor=w.verifier).count() == 1
        assert Event.objects.filter(report=report, action="disposed", actor=w.verifier).count() == 1
    stale.refresh_from_db()
    assert stale.status == Status.BELUM_TERVERIFIKASI and stale.verified_at is None
    messages = texts(response)
    assert "2 laporan berhasil diproses; setiap laporan dicatat di riwayatnya." in messages
    assert any(m.startswith(f"#{stale.tracking_number} gagal: Laporan ini sudah diubah") for m in messages)


def test_bulk_dispose_follows_each_reports_routing_proposal(w, as_user):
    make_rule(w.category, w.pupr, "13.71")
    unrouted = make_category("Kategori tanpa aturan")
    routed, lost = f.submit(w), f.submit(w, category=unrouted)
    response = as_user(w.verifier).post(
        "/kerja/antrean/verifikasi/massal/",
        {
            "action": "verify_dispose",
            "items": [sel(routed), sel(lost)],
            "classification": Classification.ASPIRASI,
        },
    )
    assert routed.dispositions.get().agency == w.pupr
    assert not lost.dispositions.exists()
    assert any("Tidak ada usulan instansi" in m for m in texts(response))


def test_bulk_assign_liaison_on_the_inbox(w, as_user):
    one, two = f.disposed(w), f.disposed(w)
    d1, d2 = one.dispositions.get(), two.dispositions.get()
    response = as_user(w.coordinator_pupr).post(
        "/kerja/antrean/masuk/massal/",
        {"action": "assign_liaison", "items": [sel(d1), sel(d2)], "liaison": w.liaison_pupr.pk},
    )
    assert response.status_code == 302
    d1.refresh_from_db()
    d2.refresh_from_db()
    assert d1.liaison == d2.liaison == w.liaison_pupr
    assert Event.objects.filter(action="liaison_assigned", report__in=[one, two]).count() == 2


def test_bulk_assigning_someone_who_is_not_the_offices_liaison_fails_per_row(w, as_user):
    report = f.disposed(w)
    d = report.dispositions.get()
    response = as_user(w.verifier).post(
        "/kerja/antrean/masuk/massal/",
        {"action": "assign_liaison", "items": [sel(d)], "liaison": w.liaison_dinkes.pk},
    )
    d.refresh_from_db()
    assert d.liaison is None
    assert any("bukan penghubung Dinas PUPR Kota Padang" in m for m in texts(response))


def test_bulk_archiving_duplicates_merges_their_backers_into_the_original(w, as_user):
    original = f.submit(w)
    dup1 = f.submit(w, actor=w.other_citizen)
    dup2 = f.submit(w, actor=None, reporter_name="Tamu", reporter_email="tamu@example.id")
    response = as_user(w.verifier).post(
        "/kerja/antrean/verifikasi/massal/",
        {
            "action": "duplicate",
            "items": [sel(dup1), sel(dup2), sel(original)],
            "original": original.tracking_number,
        },
    )
    for dup in (dup1, dup2):
        dup.refresh_from_db()
        assert dup.status == Status.DIARSIPKAN_ADMIN and dup.duplicate_of == original
        assert Event.objects.filter(report=dup, action="marked_duplicate").count() == 1
    assert Support.objects.filter(report=original, user=w.other_citizen).exists()
    original.refresh_from_db()
    assert original.status == Status.BELUM_TERVERIFIKASI
    assert any(f"#{original.tracking_number} gagal" in m for m in texts(response))


def test_bulk_only_touches_rows_of_the_officers_own_queue(w, as_user):
    mine = f.disposed(w)
    elsewhere = f.submit(w)  # not in the inbox at all
    response = as_user(w.liaison_pupr).post(
        "/kerja/antrean/masuk/massal/",
        {"action": "assign_liaison", "items": [sel(elsewhere)], "liaison": w.liaison_pupr.pk},
    )
    # A liaison cannot assign liaisons: no bulk action is offered to them at all.
    assert response.status_code == 403
    response = as_user(w.coordinator_pupr).post(
        "/kerja/antrean/masuk/massal/",
        {"action": "assign_liaison", "items": [f"{elsewhere.pk + 10_000}:1"], "liaison": w.liaison_pupr.pk},
    )
    assert any("Tidak ada lagi di antrean ini" in m for m in texts(response))
    assert mine.dispositions.get().liaison is None


def test_a_liaison_cannot_bulk_verify(w, as_user):
    report = f.submit(w)
    response = as_user(w.liaison_pupr).post(
        "/kerja/antrean/verifikasi/massal/",
        {"action": "verify_dispose", "items": [sel(report)], "classification": Classification.ASPIRASI},
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.verified_at is None


def test_bulk_form_errors_come_back_on_the_form(w, as_user):
    report = f.submit(w)
    response = as_user(w.verifier).post(
        "/kerja/antrean/verifikasi/massal/", {"action": "verify_dispose", "items": [sel(report)]}
    )
    assert response.status_code == 400
    assert "Pilih klasifikasi laporan." in response.content.decode()
    assert any("periksa isian di bawah" in m for m in texts(response))
    report.refresh_from_db()
    assert report.verified_at is None


def test_the_queue_offers_checkboxes_only_with_a_bulk_action(w, as_user):
    report = f.disposed(w)
    d = report.dispositions.get()
    assert (
        f'value="{d.pk}:{report.version}"'
        in as_user(w.coordinator_pupr).get("/kerja/antrean/masuk/").content.decode()
    )
    assert 'name="items"' not in as_user(w.liaison_pupr).get("/kerja/antrean/masuk/").content.decode()


def test_a_bulk_action_missing_its_classification_keeps_the_ticked_rows_and_the_chosen_agency(w, as_user):
    a, b = f.submit(w), f.submit(w)
    response = as_user(w.verifier).post(
        "/kerja/antrean/verifikasi/massal/",
        {
            "action": "verify_dispose",
            "items": [sel(a), sel(b)],
            "classification": "",
            "agencies": [w.pupr.pk],
            "back": "/kerja/antrean/verifikasi/",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'value="{sel(a)}" checked' in page and f'value="{sel(b)}" checked' in page
    assert f'<option value="{w.pupr.pk}" selected>' in page
    assert "Pilih klasifikasi laporan." in page
    a.refresh_from_db()
    assert a.status == Status.BELUM_TERVERIFIKASI


def test_the_queue_page_has_each_id_once(w, as_user):
    f.submit(w)
    page = as_user(w.verifier).get("/kerja/antrean/verifikasi/").content.decode()
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert "id_classification" in ids and "id_bulk_classification" in ids
    assert [name for name, n in ids.items() if n > 1] == []
