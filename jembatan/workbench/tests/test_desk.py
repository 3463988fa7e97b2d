"""Clearing a queue at the desk: next in queue, claims, undoing a merge, progress updates, the
region named by level, a suggestion panel that does not contradict itself, and the skip link."""

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from jembatan.notify.models import Notification
from jembatan.reports import actions
from jembatan.reports.events import EventAction
from jembatan.reports.models import DispositionStatus, Event, Status, Support, Visibility
from jembatan.reports.notifications import reporter_routes
from jembatan.reports.tests import factories as f
from jembatan.workbench.models import Claim
from jembatan.workbench.tests.helpers import at

pytestmark = pytest.mark.django_db

QUEUE = "/kerja/antrean/verifikasi/"


def url(report, suffix=""):
    return f"/kerja/laporan/{report.tracking_number}/{suffix}"


def test_after_an_action_the_verifier_lands_on_the_next_report_of_the_same_queue(w, as_user):
    first, second = f.submit(w), f.submit(w)
    client = as_user(w.verifier)
    body = client.get(QUEUE).content.decode()
    assert f'href="{url(first)}?dari=/kerja/antrean/verifikasi/"' in body
    body = client.get(url(first), {"dari": QUEUE}).content.decode()
    assert f'name="dari" value="{QUEUE}"' in body
    response = client.post(
        url(first, "verifikasi/"),
        {
            "verify-version": first.version,
            "verify-classification": "aspirasi",
            "verify-title": first.title,
            "verify-agencies": [w.pupr.pk],
            "verify-then": "dispose",
            "dari": QUEUE,
        },
    )
    assert response.status_code == 302
    assert response.url.startswith(url(second) + "?")
    assert f"sebelumnya={first.tracking_number}" in response.url
    body = client.get(response.url).content.decode()
    assert f"Kembali ke laporan #{first.tracking_number}" in body


def test_after_a_note_the_officer_stays_on_the_report(w, as_user):
    first, _second = f.submit(w), f.submit(w)
    response = as_user(w.verifier).post(url(first, "catatan/"), {"note-text": "Dicek.", "dari": QUEUE})
    assert response.url == url(first)


def test_without_a_queue_the_officer_stays_on_the_report(w, as_user):
    first, _second = f.submit(w), f.submit(w)
    response = as_user(w.verifier).post(
        url(first, "catatan/"), {"note-text": "Dicek lewat telepon.", "dari": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == url(first)


def test_a_claim_is_seen_by_a_second_verifier_and_expires(w, as_user):
    report = f.submit(w)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        assert as_user(w.verifier).post(url(report, "tangani/")).status_code == 302
        claim = Claim.objects.get(report=report)
        assert claim.user == w.verifier
        second = as_user(w.verifier_prov)
        body = second.get(url(report)).content.decode()
        assert f"Sedang ditangani {w.verifier.display_name} sampai 09:30" in body
        assert f"ditangani {w.verifier.display_name}" in second.get(QUEUE).content.decode()
        second.post(url(report, "tangani/"))
        assert Claim.objects.get(report=report).user == w.verifier  # refused while it holds
    with time_machine.travel(at(2026, 11, 23, 9, 31), tick=False):
        second = as_user(w.verifier_prov)
        assert "Sedang ditangani" not in second.get(url(report)).content.decode()
        second.post(url(report, "tangani/"))
        assert Claim.objects.get(report=report).user == w.verifier_prov


def test_acting_on_a_report_releases_ones_claim(w, as_user):
    report = f.submit(w)
    client = as_user(w.verifier)
    client.post(url(report, "tangani/"))
    client.post(url(report, "catatan/"), {"note-text": "Sudah saya telepon pelapornya."})
    assert not Claim.objects.filter(report=report).exists()


def test_a_claim_needs_the_report_in_ones_scope(w, as_user):
    report = f.submit(w)
    response = as_user(w.liaison_dinkes).post(url(report, "tangani/"))
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_a_merge_can_be_undone_for_a_while_and_the_backers_go_back(w):
    original = f.submit(w)
    dup = f.submit(w, actor=w.other_citizen)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        actions.mark_duplicate(report=dup, original=original, actor=w.verifier)
        assert Support.objects.filter(report=original, user=w.other_citizen).exists()
    with time_machine.travel(at(2026, 11, 23, 9, 10), tick=False):
        dup.refresh_from_db()
        actions.unmerge_report(report=dup, actor=w.verifier)
    dup.refresh_from_db()
    original.refresh_from_db()
    assert dup.status == Status.BELUM_TERVERIFIKASI and dup.duplicate_of is None and dup.closed_at is None
    assert not Support.objects.filter(report=original, user=w.other_citizen).exists()
    assert original.support_count == 0
    event = Event.objects.get(report=dup, action=EventAction.DUPLICATE_UNMERGED)
    assert event.visibility == Visibility.PUBLIC and event.data["original"] == original.tracking_number
    assert Event.objects.filter(report=original, action=EventAction.DUPLICATE_UNMERGED).exists()
    # The reporter had been told it was merged; now told it is not (one message per channel).
    told = Notification.objects.filter(report=dup, template="merge_undone")
    assert told.count() == len(reporter_routes(dup)) >= 1
    assert {n.recipient for n in told} == {recipient for _channel, recipient in reporter_routes(dup)}


@override_settings(WORKBENCH_UNMERGE_MINUTES=15)
def test_a_merge_cannot_be_undone_after_the_window(w, as_user):
    original, dup = f.submit(w), f.submit(w)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        actions.mark_duplicate(report=dup, original=original, actor=w.verifier)
        dup.refresh_from_db()
        assert "Batalkan penggabungan" in as_user(w.verifier).get(url(dup)).content.decode()
    with time_machine.travel(at(2026, 11, 23, 9, 16), tick=False):
        dup.refresh_from_db()
        assert "Batalkan penggabungan" not in as_user(w.verifier).get(url(dup)).content.decode()
        with pytest.raises(actions.IllegalTransition):
            actions.unmerge_report(report=dup, actor=w.verifier)


def test_unmerge_through_the_page(w, as_user):
    original, dup = f.submit(w), f.submit(w)
    actions.mark_duplicate(report=dup, original=original, actor=w.verifier)
    dup.refresh_from_db()
    response = as_user(w.verifier).post(url(dup, "batal-gabung/"), {"unmerge-version": dup.version})
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.duplicate_of is None


def test_a_liaison_posts_progress_that_keeps_the_disposition_open(w, as_user):
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        report = f.disposed(w)
        d = report.dispositions.get()
        due = d.completion_due_at
        report.refresh_from_db()
        response = as_user(w.liaison_pupr).post(
            f"/kerja/disposisi/{d.pk}/perkembangan/",
            {
                f"d{d.pk}-progress-version": report.version,
                f"d{d.pk}-progress-text": "Sedang dikerjakan, aspal sudah dipesan.",
                f"d{d.pk}-progress-expected_completion": "2026-12-04",
                f"d{d.pk}-progress-public": "on",
            },
        )
    assert response.status_code == 302
    d.refresh_from_db()
    report.refresh_from_db()
    assert d.status == DispositionStatus.DIPROSES and d.is_open and d.answered_at is None
    assert d.completion_due_at == due  # the completion clock runs on
    assert d.first_response_at is not None
    assert report.status == Status.DIPROSES
    event = Event.objects.get(report=report, action=EventAction.PROGRESS_POSTED)
    assert event.visibility == Visibility.PUBLIC and event.data["expected_completion"] == "2026-12-04"
    body = as_user(w.citizen).get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Sedang dikerjakan, aspal sudah dipesan." in body
    assert "4 Desember 2026" in body


def test_an_internal_progress_note_is_not_shown_to_the_reporter(w, as_user):
    report = f.in_progress(w)
    d = report.dispositions.get()
    actions.post_progress(disposition=d, actor=w.liaison_pupr, text="Menunggu anggaran cair.", public=False)
    body = as_user(w.citizen).get(f"/lacak/{report.tracking_number}/").content.decode()
    assert "Menunggu anggaran cair." not in body


def test_progress_refuses_a_date_in_the_past(w):
    report = f.in_progress(w)
    with pytest.raises(actions.ReportError):
        actions.post_progress(
            disposition=report.dispositions.get(),
            actor=w.liaison_pupr,
            text="Sedang dikerjakan di lapangan.",
            expected_completion=dt.date(2000, 1, 1),
        )


def test_the_region_reads_with_its_levels(w, as_user):
    report = f.submit(w)
    body = as_user(w.verifier).get(url(report)).content.decode()
    assert report.region.place_label in body
    assert "Kota Padang" in report.region.place_label
    assert report.region.place_label.startswith(("Kel. ", "Desa ", "Kec. "))


def test_the_report_page_has_a_skip_link_to_the_actions(w, as_user):
    report = f.submit(w)
    body = as_user(w.verifier).get(url(report)).content.decode()
    assert 'href="#tindakan"' in body and 'id="tindakan"' in body
    assert body.index('href="#tindakan"') < body.index('class="brand"')


def _photo(width=1200, height=900):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "JPEG")
    return SimpleUploadedFile("lubang.jpg", out.getvalue(), content_type="image/jpeg")


def test_photos_show_as_small_server_made_thumbnails_for_those_who_may_see_them(w, as_user, client):
    import io

    from PIL import Image

    report = f.submit(w, attachments=[_photo()], is_confidential=True)
    item = report.attachments.get()
    body = as_user(w.verifier).get(url(report)).content.decode()
    assert f'src="/kerja/lampiran/{item.pk}/kecil/"' in body
    response = as_user(w.verifier).get(f"/kerja/lampiran/{item.pk}/kecil/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as small:
        assert small.size == (320, 240)
    # Not for an office that may not open the report, nor for a stranger on the portal.
    assert as_user(w.liaison_dinkes).get(f"/kerja/lampiran/{item.pk}/kecil/").status_code == 403
    client.logout()
    assert client.get(f"/lampiran/{item.pk}/kecil/").status_code == 404
    # The reporter sees it on the tracking page.
    body = as_user(w.citizen).get(f"/lacak/{report.tracking_number}/").content.decode()
    assert f'src="/lampiran/{item.pk}/kecil/"' in body
    assert as_user(w.citizen).get(f"/lampiran/{item.pk}/kecil/").status_code == 200


def test_the_reporter_sees_nilai_before_tanggapi_and_the_address_they_typed(w, as_user):
    report = f.answered(w)
    report.address = "Jl. Khatib Sulaiman, depan SDN 12"
    report.save(update_fields=["address"])
    body = as_user(w.citizen).get(f"/lacak/{report.tracking_number}/").content.decode()
    assert body.index("Nilai tindak lanjut") < body.index("Tutup laporan") < body.index("Kirim tanggapan")
    assert "Jl. Khatib Sulaiman, depan SDN 12" in body
    # The public page does not show it.
    assert (
        "Khatib Sulaiman"
        not in as_user(w.other_citizen).get(f"/laporan/{report.tracking_number}/").content.decode()
    )


def test_after_rating_the_confirmation_is_the_jump_target_and_menilai_is_no_longer_offered(w, as_user):
    report = f.answered(w)
    client = as_user(w.citizen)
    response = client.post(f"/lacak/{report.tracking_number}/nilai/", {"rating": "5", "comment": "Cepat."})
    assert response.status_code == 302 and response.url.endswith("#pesan")
    body = client.get(response.url.split("#")[0]).content.decode()
    assert 'id="pesan"' in body and body.index('id="pesan"') < body.index('id="status"')
    assert "sudah menilainya" in body
    assert "menanggapi, menilai" not in body


def test_the_receipt_has_copy_and_share_buttons_in_a_static_script_and_a_summary(w, client):
    from jembatan.portal.tests.helpers import form_data

    response = client.post("/lapor/", form_data(address="Depan toko roti Jl. Sudirman"), follow=True)
    body = response.content.decode()
    assert "Laporan Anda sudah kami terima" in body
    assert 'data-copy="tracking-number"' in body and "data-share-url=" in body
    assert "/static/js/receipt.js" in body and "<script>" not in body
    assert "Depan toko roti Jl. Sudirman" in body and "Yang Anda kirim" in body
