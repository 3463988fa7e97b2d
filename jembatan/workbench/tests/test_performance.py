"""The "my performance" strip: this month's on-time rate for the officer's agency and the officer."""

import pytest
import time_machine

from jembatan.reports import actions
from jembatan.reports.models import Classification
from jembatan.reports.tests import factories as f
from jembatan.workbench.performance import performance
from jembatan.workbench.tests.helpers import at

pytestmark = pytest.mark.django_db


def test_on_time_rates_count_answers_and_verifications_this_month(w, as_user):
    with time_machine.travel(at(2026, 10, 26, 9), tick=False):
        last_month = f.answered(w)  # answered in October: not counted in November
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):  # Monday; verification due Thursday
        on_time = f.in_progress(w)  # verified on time by the verifier, answered later
        aspirasi = f.submit(w, kind="aspirasi")
    with time_machine.travel(at(2026, 11, 3, 9), tick=False):
        late_verify = f.submit(w)
    with time_machine.travel(at(2026, 11, 4, 10), tick=False):
        actions.post_follow_up(
            disposition=on_time.dispositions.get(),
            actor=w.liaison_pupr,
            text="Sudah diperbaiki dengan aspal baru.",
        )
        # Aspirasi: 5 working days to complete, answered late below.
        actions.verify_report(report=aspirasi, actor=w.verifier, classification=Classification.ASPIRASI)
        actions.dispose_report(report=aspirasi, actor=w.verifier, agencies=[w.pupr])
    with time_machine.travel(at(2026, 11, 16, 9), tick=False):
        actions.verify_report(
            report=late_verify, actor=w.verifier_prov, classification=Classification.ASPIRASI
        )
        actions.post_follow_up(
            disposition=aspirasi.dispositions.get(),
            actor=w.liaison_pupr,
            text="Aspirasi sudah kami teruskan ke bidang.",
        )
        liaison = performance(w.liaison_pupr)
        verifier = performance(w.verifier)
        body = as_user(w.liaison_pupr).get("/kerja/").content.decode()
    assert last_month.answered_at.month == 10
    # PUPR: two answers this month, one on time.
    assert (liaison["agency"].answers, liaison["agency"].answers_on_time) == (2, 1)
    assert (liaison["mine"].answers, liaison["mine"].answers_on_time, liaison["mine"].percent) == (2, 1, 50)
    # Padang (the verifier's scope holds PUPR): the two answers, and three verifications, one late.
    assert (verifier["agency"].verifications, verifier["agency"].verifications_on_time) == (3, 2)
    assert (verifier["agency"].answers, verifier["agency"].answers_on_time) == (2, 1)
    assert verifier["agency"].percent == 60
    assert (
        verifier["mine"].verifications,
        verifier["mine"].verifications_on_time,
        verifier["mine"].answers,
    ) == (2, 2, 0)
    # The headline says the share is of work done, beside the count still late (the wording was
    # "Kinerja bulan ini", which read as a contradiction next to the late queue's count).
    assert "Tepat waktu bulan ini (pekerjaan yang sudah selesai)" in body and "50%" in body
    assert "Tindak lanjut tepat waktu: 1 dari 2" in body
    assert "Verifikasi tepat waktu: 0 dari 0" not in body  # a liaison verifies nothing: no empty line


def test_a_month_without_work_shows_a_dash(w, as_user):
    body = as_user(w.verifier).get("/kerja/").content.decode()
    assert "Tepat waktu bulan ini" in body and "—" in body


def test_the_on_time_share_stands_beside_the_count_still_late(w, as_user):
    with time_machine.travel(at(2026, 11, 2, 9), tick=False):
        f.submit(w)  # verification due Thursday 5 November
    with time_machine.travel(at(2026, 11, 16, 9), tick=False):
        body = as_user(w.verifier).get("/kerja/").content.decode()
    assert 'href="/kerja/antrean/terlambat/">1 terlambat sekarang</a>' in body
