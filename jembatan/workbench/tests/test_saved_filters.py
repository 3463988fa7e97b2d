"""Saved filters: an officer names the current filters of a queue and comes back to them later."""

import pytest

from jembatan.workbench.models import SavedFilter

pytestmark = pytest.mark.django_db


def test_an_officer_saves_lists_and_reuses_a_filter(w, as_user):
    client = as_user(w.verifier)
    response = client.post(
        "/kerja/filter/simpan/",
        {"queue": "verifikasi", "name": "SMS Padang", "query": "channel=sms&region=13.71&bogus=1"},
    )
    saved = SavedFilter.objects.get(user=w.verifier)
    assert saved.query == "region=13.71&channel=sms"  # only known filters are kept
    assert response.url == "/kerja/antrean/verifikasi/?region=13.71&channel=sms"
    body = client.get("/kerja/antrean/masuk/").content.decode()
    assert 'href="/kerja/antrean/verifikasi/?region=13.71&amp;channel=sms">SMS Padang</a>' in body


def test_saving_under_the_same_name_replaces_the_filter(w, as_user):
    client = as_user(w.verifier)
    client.post("/kerja/filter/simpan/", {"queue": "verifikasi", "name": "Saya", "query": "channel=sms"})
    client.post("/kerja/filter/simpan/", {"queue": "masuk", "name": "Saya", "query": "channel=web"})
    saved = SavedFilter.objects.get(user=w.verifier)
    assert (saved.queue, saved.query) == ("masuk", "channel=web")


def test_filters_are_private_to_their_owner(w, as_user):
    as_user(w.verifier).post(
        "/kerja/filter/simpan/", {"queue": "verifikasi", "name": "Punya saya", "query": "channel=sms"}
    )
    saved = SavedFilter.objects.get()
    other = as_user(w.verifier_prov)
    assert "Punya saya" not in other.get("/kerja/antrean/verifikasi/").content.decode()
    assert other.post(f"/kerja/filter/{saved.pk}/hapus/").status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    assert as_user(w.verifier).post(f"/kerja/filter/{saved.pk}/hapus/").status_code == 302
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_filter_needs_a_name(w, as_user):
    as_user(w.verifier).post(
        "/kerja/filter/simpan/", {"queue": "verifikasi", "name": "", "query": "channel=sms"}
    )
    assert not SavedFilter.objects.exists()
