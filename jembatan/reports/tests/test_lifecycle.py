"""Every legal and illegal move of the SP4N-LAPOR! lifecycle, table-driven, through actions.py."""

import pytest
from django.core.exceptions import PermissionDenied

from jembatan.reports import actions
from jembatan.reports.models import Classification, DispositionStatus, Event, Report, Status
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return f.build_world()


# --- starting points -----------------------------------------------------------------------------


def new(w):
    return f.submit(w)


def incomplete(w):
    report = f.submit(w)
    return actions.request_information(
        report=report, actor=w.verifier, message="Mohon sebutkan nama jalannya."
    )


def verified(w):
    return actions.verify_report(
        report=f.submit(w),
        actor=w.verifier,
        classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
    )


def disposed(w):
    return f.disposed(w)


def in_progress(w):
    return f.in_progress(w)


def answered(w):
    return f.answered(w)


def closed_by_reporter(w):
    return actions.close_report(report=f.answered(w), actor=w.citizen)


def archived(w):
    return actions.archive_report(report=f.submit(w), actor=w.verifier, reason=w.reason_unclear)


def reopened_once(w):
    report = closed_by_reporter(w)
    return actions.reopen_report(report=report, actor=w.citizen, reason="Lubang muncul lagi setelah hujan.")


def disp(report):
    return report.dispositions.order_by("-pk").first()


# --- moves ---------------------------------------------------------------------------------------

MOVES = {
    "request_information": lambda w, r: actions.request_information(
        report=r, actor=w.verifier, message="Mohon lampirkan foto lokasi."
    ),
    "complete_information": lambda w, r: actions.complete_information(
        report=r, actor=w.citizen, text="Jalan Sudirman, depan SDN 12."
    ),
    "verify": lambda w, r: actions.verify_report(
        report=r, actor=w.verifier, classification=Classification.PENGADUAN_BERKADAR_PENGAWASAN
    ),
    "dispose": lambda w, r: actions.dispose_report(report=r, actor=w.verifier, agencies=[w.pupr]),
    "dispose_dinkes": lambda w, r: actions.dispose_report(report=r, actor=w.verifier, agencies=[w.dinkes]),
    "archive_admin": lambda w, r: actions.archive_report(report=r, actor=w.verifier, reason=w.reason_unclear),
    "archive_reporter": lambda w, r: actions.archive_report(
        report=r, actor=w.citizen, reason=w.reason_unclear
    ),
    "start": lambda w, r: actions.start_follow_up(disposition=disp(r), actor=w.liaison_pupr),
    "post": lambda w, r: actions.post_follow_up(
        disposition=disp(r),
        actor=w.liaison_pupr,
        text="Perbaikan jalan telah dijadwalkan minggu depan oleh UPT.",
    ),
    "return": lambda w, r: actions.return_disposition(
        disposition=disp(r), actor=w.liaison_pupr, reason="Jalan provinsi, bukan wewenang kota."
    ),
    "forward": lambda w, r: actions.forward_disposition(
        disposition=disp(r), actor=w.liaison_pupr, agency=w.dinkes, reason="Menyangkut limbah puskesmas."
    ),
    "reply": lambda w, r: actions.reply_as_reporter(report=r, actor=w.citizen, text="Belum diperbaiki, Pak."),
    "close_reporter": lambda w, r: actions.close_report(report=r, actor=w.citizen),
    "close_admin": lambda w, r: actions.close_report(
        report=r, actor=w.verifier, note="Sudah ditangani di lapangan."
    ),
    "rate": lambda w, r: actions.rate_report(report=r, actor=w.citizen, rating=4, comment="Cepat."),
    "reopen": lambda w, r: actions.reopen_report(report=r, actor=w.citizen, reason="Lubang muncul lagi."),
    "assign_liaison": lambda w, r: actions.assign_liaison(
        disposition=disp(r), actor=w.coordinator_pupr, liaison=w.liaison_pupr
    ),
    "note": lambda w, r: actions.add_note(
        report=r, actor=w.liaison_pupr, text="Sudah koordinasi dengan UPT."
    ),
}

LEGAL = [
    ("new", "request_information", Status.MENUNGGU_KELENGKAPAN),
    ("incomplete", "complete_information", Status.BELUM_TERVERIFIKASI),
    ("incomplete", "reply", Status.BELUM_TERVERIFIKASI),
    ("new", "verify", Status.BELUM_TERVERIFIKASI),
    ("new", "archive_admin", Status.DIARSIPKAN_ADMIN),
    ("incomplete", "archive_admin", Status.DIARSIPKAN_ADMIN),
    ("new", "archive_reporter", Status.DIARSIPKAN_PELAPOR),
    ("verified", "dispose", Status.TERDISPOSISI),
    ("disposed", "dispose_dinkes", Status.TERDISPOSISI),
    ("disposed", "assign_liaison", Status.TERDISPOSISI),
    ("disposed", "start", Status.DIPROSES),
    ("disposed", "post", Status.SELESAI),
    ("in_progress", "post", Status.SELESAI),
    ("disposed", "return", Status.TERDISPOSISI),
    ("in_progress", "return", Status.TERDISPOSISI),
    ("disposed", "forward", Status.TERDISPOSISI),
    ("disposed", "note", Status.TERDISPOSISI),
    ("disposed", "reply", Status.TERDISPOSISI),
    ("answered", "reply", Status.DIPROSES),
    ("answered", "rate", Status.SELESAI),
    ("answered", "close_reporter", Status.DITUTUP_PELAPOR),
    ("in_progress", "close_reporter", Status.DITUTUP_PELAPOR),
    ("in_progress", "close_admin", Status.DITUTUP_ADMIN),
    ("answered", "close_admin", Status.DITUTUP_ADMIN),
    ("closed_by_reporter", "reopen", Status.DIPROSES),
    ("closed_by_reporter", "rate", Status.DITUTUP_PELAPOR),
]

ILLEGAL = [
    ("new", "dispose", actions.IllegalTransition),  # not classified yet
    ("new", "complete_information", actions.IllegalTransition),
    ("new", "close_reporter", actions.IllegalTransition),
    ("new", "close_admin", actions.IllegalTransition),
    ("new", "rate", actions.IllegalTransition),
    ("new", "reopen", actions.IllegalTransition),
    ("incomplete", "request_information", actions.IllegalTransition),
    ("incomplete", "dispose", actions.IllegalTransition),
    ("verified", "complete_information", actions.IllegalTransition),
    ("disposed", "archive_admin", actions.IllegalTransition),
    ("disposed", "archive_reporter", actions.IllegalTransition),
    ("disposed", "dispose", actions.IllegalTransition),  # already with that agency
    ("disposed", "request_information", actions.IllegalTransition),
    ("disposed", "reopen", actions.IllegalTransition),
    ("in_progress", "start", actions.IllegalTransition),
    ("answered", "post", actions.IllegalTransition),
    ("answered", "return", actions.IllegalTransition),
    ("answered", "start", actions.IllegalTransition),
    ("closed_by_reporter", "reply", actions.IllegalTransition),
    ("closed_by_reporter", "close_reporter", actions.IllegalTransition),
    ("closed_by_reporter", "dispose", actions.IllegalTransition),
    ("archived", "dispose", actions.IllegalTransition),
    ("archived", "verify", actions.IllegalTransition),
    ("archived", "reply", actions.IllegalTransition),
    ("archived", "reopen", actions.IllegalTransition),
    ("reopened_once", "close_reporter", None),  # legal: closing again is fine …
]

STARTS = {
    "new": new,
    "incomplete": incomplete,
    "verified": verified,
    "disposed": disposed,
    "in_progress": in_progress,
    "answered": answered,
    "closed_by_reporter": closed_by_reporter,
    "archived": archived,
    "reopened_once": reopened_once,
}


@pytest.mark.parametrize(("start", "move", "expected"), LEGAL, ids=[f"{s}-{m}" for s, m, _ in LEGAL])
def test_legal_move_reaches_expected_status_and_is_recorded(w, start, move, expected):
    report = STARTS[start](w)
    events_before = Event.objects.filter(report=report).count()
    MOVES[move](w, Report.objects.get(pk=report.pk))
    report.refresh_from_db()
    assert report.status == expected
    assert Event.objects.filter(report=report).count() > events_before


@pytest.mark.parametrize(("start", "move", "error"), ILLEGAL, ids=[f"{s}-{m}" for s, m, _ in ILLEGAL])
def test_illegal_move_is_refused_and_changes_nothing(w, start, move, error):
    report = STARTS[start](w)
    snapshot = Report.objects.values().get(pk=report.pk)
    events_before = Event.objects.filter(report=report).count()
    if error is None:
        MOVES[move](w, Report.objects.get(pk=report.pk))
        return
    with pytest.raises(error) as raised:
        MOVES[move](w, Report.objects.get(pk=report.pk))
    assert raised.value.message  # a sentence for the user, not an empty error
    assert Report.objects.values().get(pk=report.pk) == snapshot
    assert Event.objects.filter(report=report).count() == events_before


def test_reopening_a_second_time_is_refused(w):
    report = reopened_once(w)
    report = MOVES["post"](w, report).report
    actions.close_report(report=Report.objects.get(pk=report.pk), actor=w.citizen)
    with pytest.raises(actions.IllegalTransition, match="satu kali"):
        MOVES["reopen"](w, Report.objects.get(pk=report.pk))


PERMISSION = [
    ("new", lambda w, r: actions.verify_report(report=r, actor=w.citizen, classification="aspirasi")),
    ("new", lambda w, r: actions.verify_report(report=r, actor=w.liaison_pupr, classification="aspirasi")),
    (
        "new",
        lambda w, r: actions.request_information(report=r, actor=w.auditor, message="Lengkapi datanya ya."),
    ),
    ("verified", lambda w, r: actions.dispose_report(report=r, actor=w.liaison_pupr, agencies=[w.pupr])),
    ("disposed", lambda w, r: actions.start_follow_up(disposition=disp(r), actor=w.liaison_dinkes)),
    ("disposed", lambda w, r: actions.start_follow_up(disposition=disp(r), actor=w.auditor)),
    (
        "disposed",
        lambda w, r: actions.assign_liaison(
            disposition=disp(r), actor=w.liaison_pupr, liaison=w.liaison_pupr
        ),
    ),
    ("disposed", lambda w, r: actions.add_note(report=r, actor=w.auditor, text="Catatan auditor.")),
    ("disposed", lambda w, r: actions.add_note(report=r, actor=w.liaison_dinkes, text="Bukan urusan kami.")),
    ("answered", lambda w, r: actions.close_report(report=r, actor=w.other_citizen)),
    ("answered", lambda w, r: actions.rate_report(report=r, actor=w.other_citizen, rating=1)),
    ("answered", lambda w, r: actions.reply_as_reporter(report=r, actor=w.other_citizen, text="Saya juga!")),
    (
        "answered",
        lambda w, r: actions.reply_as_reporter(report=r, actor=None, text="Tebak kode", access_code="X"),
    ),
]


@pytest.mark.parametrize(("start", "move"), PERMISSION, ids=range(len(PERMISSION)))
def test_actor_without_the_right_is_refused(w, start, move):
    report = STARTS[start](w)
    snapshot = Report.objects.values().get(pk=report.pk)
    with pytest.raises(PermissionDenied):
        move(w, Report.objects.get(pk=report.pk))
    assert Report.objects.values().get(pk=report.pk) == snapshot


def test_guest_reporter_acts_with_the_access_code(w):
    report = f.submit(w, actor=None, reporter_email="tamu@example.id", reporter_name="Tamu")
    code = report.access_code  # known to the new report only; the table holds its hash
    report = actions.request_information(report=report, actor=w.verifier, message="Mohon sebutkan RT/RW-nya.")
    report = actions.complete_information(report=report, actor=None, text="RT 02 RW 05.", access_code=code)
    assert report.status == Status.BELUM_TERVERIFIKASI


def test_every_return_goes_back_to_the_verifier_for_pelimpahan_and_the_clock_follows(w):
    report = f.disposed(w)
    due = report.completion_due_at
    actions.return_disposition(
        disposition=disp(report), actor=w.liaison_pupr, reason="Bukan wewenang dinas ini."
    )
    report.refresh_from_db()
    assert not report.dispositions.filter(status__in=["terdisposisi", "diproses"]).exists()
    report = actions.dispose_report(report=report, actor=w.verifier, agencies=[w.dinkes])
    new = disp(report)
    assert new.agency == w.dinkes and new.status == DispositionStatus.TERDISPOSISI
    assert report.completion_due_at == due == new.completion_due_at


def test_two_agencies_the_report_is_answered_only_when_both_answer(w):
    report = f.disposed(w)
    report = actions.dispose_report(report=report, actor=w.verifier, agencies=[w.dinkes])
    pupr = report.dispositions.get(agency=w.pupr)
    dinkes = report.dispositions.get(agency=w.dinkes)
    actions.post_follow_up(
        disposition=pupr, actor=w.liaison_pupr, text="Bagian kami sudah selesai dikerjakan."
    )
    report.refresh_from_db()
    assert report.status == Status.TERDISPOSISI
    actions.post_follow_up(
        disposition=dinkes, actor=w.liaison_dinkes, text="Bagian kesehatan juga sudah selesai."
    )
    report.refresh_from_db()
    assert report.status == Status.SELESAI and report.answered_at is not None


def test_mark_duplicate_merges_supporters_into_the_original(w):
    original = f.disposed(w)
    duplicate = f.submit(w, actor=w.other_citizen)
    supporter = f.make_user("pendukung")
    # The duplicate is not public yet, so its supporters come from before verification in real life;
    # here we give the original one supporter and let the merge add the duplicate's reporter.
    actions.support_report(report=original, actor=supporter)
    actions.mark_duplicate(report=duplicate, original=original, actor=w.verifier)
    duplicate.refresh_from_db()
    original.refresh_from_db()
    assert duplicate.status == Status.DIARSIPKAN_ADMIN and duplicate.duplicate_of == original
    assert duplicate.archive_reason.code == "duplikat"
    assert original.support_count == 2
    assert set(original.supports.values_list("user__username", flat=True)) == {"pendukung", "warga2"}


def test_mark_duplicate_tells_the_reporter_the_original_number_only_when_it_is_public(w):
    public = f.disposed(w)
    unverified = f.submit(w, title="Jalan berlubang lagi di depan SDN 12")
    first = f.submit(w, actor=w.other_citizen)
    second = f.submit(w, actor=w.other_citizen)
    actions.mark_duplicate(report=first, original=public, actor=w.verifier)
    actions.mark_duplicate(report=second, original=unverified, actor=w.verifier)
    first_note = first.events.get(action="marked_duplicate").text
    second_note = second.events.get(action="marked_duplicate").text
    assert public.tracking_number in first_note
    assert unverified.tracking_number not in second_note
    assert second_note == "Laporan serupa sudah ada dan sedang ditangani."


def test_a_public_report_is_never_merged_into_a_confidential_one(w):
    confidential = f.disposed(w, is_confidential=True)
    public = f.disposed(w, actor=w.other_citizen)
    with pytest.raises(actions.ReportError) as refused:
        actions.mark_duplicate(report=public, original=confidential, actor=w.verifier)
    assert refused.value.field == "original"
    public.refresh_from_db()
    assert public.duplicate_of is None and public.status == Status.TERDISPOSISI
    # The other way round is allowed: the confidential report's reporter backs the public one.
    actions.mark_duplicate(report=confidential, original=public, actor=w.verifier)
    confidential.refresh_from_db()
    assert confidential.duplicate_of == public


def test_mark_duplicate_checks_access_to_the_end_of_the_chain(w):
    from django.core.exceptions import PermissionDenied

    # A report of the national body, merged there into another one: outside Padang's scope.
    root = f.submit(w, target_agency=w.national, region=None)
    link = f.submit(w, target_agency=w.national, region=None, actor=w.other_citizen)
    actions.mark_duplicate(report=link, original=root, actor=w.admin_nasional)
    mine = f.submit(w)
    with pytest.raises(PermissionDenied):
        actions.mark_duplicate(report=mine, original=link, actor=w.verifier)
    mine.refresh_from_db()
    assert mine.duplicate_of is None


def test_support_is_once_per_citizen_and_never_for_ones_own_report(w):
    report = f.disposed(w)
    actions.support_report(report=report, actor=w.other_citizen)
    with pytest.raises(actions.IllegalTransition):
        actions.support_report(report=report, actor=w.other_citizen)
    with pytest.raises(actions.IllegalTransition):
        actions.support_report(report=report, actor=w.citizen)
    report.refresh_from_db()
    assert report.support_count == 1


def test_bad_input_is_refused_with_a_field_and_nothing_is_saved(w):
    count = Report.objects.count()
    with pytest.raises(actions.ReportError) as short:
        f.submit(w, description="terlalu pendek")
    assert short.value.field == "description"
    with pytest.raises(actions.ReportError) as no_contact:
        f.submit(w, actor=None)
    assert no_contact.value.field == "reporter_email"
    with pytest.raises(actions.ReportError) as phone:
        f.submit(w, actor=None, reporter_phone="12345")
    assert phone.value.field == "reporter_phone"
    assert Report.objects.count() == count


def test_an_original_out_of_scope_gets_the_same_answer_as_an_unknown_number(w):
    report = f.submit(w)
    assert actions.find_original(number=f"#{report.tracking_number}", actor=w.verifier) == report
    with pytest.raises(actions.ReportError) as out_of_scope:
        actions.find_original(number=report.tracking_number, actor=w.liaison_dinkes)
    with pytest.raises(actions.ReportError) as unknown:
        actions.find_original(number="999999999", actor=w.verifier)
    assert out_of_scope.value.field == unknown.value.field == "original"
    assert out_of_scope.value.code == unknown.value.code == "not_found"
    assert out_of_scope.value.message.replace(report.tracking_number, "N") == unknown.value.message.replace(
        "999999999", "N"
    )
