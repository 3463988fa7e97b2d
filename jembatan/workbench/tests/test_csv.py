"""CSV export of a queue view: the same rows and filters as the page, safe to open in a spreadsheet."""

import csv
import io

import pytest

from jembatan.reports.models import Channel
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


def read(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_the_queues_rows_in_queue_order_with_the_filters_applied(w, as_user):
    first = f.submit(w, title="Jembatan kayu lapuk di Kuranji")
    second = f.submit(
        w,
        title="Drainase tersumbat di Kuranji",
        channel=Channel.SMS,
        actor=None,
        reporter_phone="081299998888",
    )
    f.submit(w, title="Lampu jalan mati")
    client = as_user(w.verifier)
    response = client.get("/kerja/antrean/verifikasi/csv/", {"q": "Kuranji"})
    assert 'filename="antrean-verifikasi-' in response["Content-Disposition"]
    rows = read(response)
    assert rows[0][:3] == ["Nomor", "Judul", "Status"]
    assert [r[0] for r in rows[1:]] == [first.tracking_number, second.tracking_number]
    assert rows[2][6] == "SMS"
    assert rows[2][14] == "6281299998888"  # the verifier may see who reported
    assert [r[0] for r in read(client.get("/kerja/antrean/verifikasi/csv/", {"channel": "sms"}))[1:]] == [
        second.tracking_number
    ]


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(w, as_user):
    report = f.submit(w, title='=HYPERLINK("http://contoh.invalid")')
    rows = read(as_user(w.verifier).get("/kerja/antrean/verifikasi/csv/"))
    assert rows[1][0] == report.tracking_number
    assert rows[1][1].startswith("'=")


def test_csv_of_a_queue_the_role_does_not_have_is_refused(w, as_user):
    response = as_user(w.liaison_pupr).get("/kerja/antrean/verifikasi/csv/")
    assert response.status_code == 403
