"""An anonymous reporter's identity is shown to the report's verifiers only, on every workbench page
and in every export; a named reporter's to every officer who may open the report. Table-driven."""

import pytest

from jembatan.reports import actions
from jembatan.reports.tests import factories as f
from jembatan.workbench.tests.helpers import SLUGS

pytestmark = pytest.mark.django_db

ROLES = [
    "admin_nasional",
    "verifier",
    "verifier_prov",
    "coordinator_pupr",
    "liaison_pupr",
    "liaison_dinkes",
    "auditor",
]
VERIFIERS = {"admin_nasional", "verifier", "verifier_prov"}

# Who may open the report at all, per state (the auditor's scope is the province, which holds Padang).
VIEWERS = {
    "new": VERIFIERS | {"auditor"},
    "disposed": VERIFIERS | {"auditor", "coordinator_pupr", "liaison_pupr"},
    "replied": VERIFIERS | {"auditor", "coordinator_pupr", "liaison_pupr"},
}

REPORTERS = {
    # kind -> (submit overrides, identity strings that must never leak)
    "registered": (lambda w: {}, ["Siti Rahmawati", "siti@example.id", "6281234567890", "081234567890"]),
    "guest": (
        lambda w: {
            "actor": None,
            "reporter_name": "Ahmad Fauzi",
            "reporter_email": "ahmad.fauzi@example.id",
            "reporter_phone": "081311112222",
        },
        ["Ahmad Fauzi", "ahmad.fauzi@example.id", "6281311112222", "081311112222"],
    ),
}


def build(w, state, anonymous, reporter):
    overrides, _secrets = REPORTERS[reporter]
    values = {**overrides(w), "is_anonymous": anonymous}
    if state == "new":
        return f.submit(w, **values)
    if state == "disposed":
        return f.disposed(w, **values)
    report = f.answered(w, **values)
    actions.reply_as_reporter(
        report=report,
        actor=w.citizen if reporter == "registered" else None,
        access_code=report.access_code,
        text="Tambalannya lepas lagi setelah hujan deras semalam.",
    )
    return report


def pages(client, report):
    """(label, body) for every workbench page and export the client can open."""
    found = []
    response = client.get(f"/kerja/laporan/{report.tracking_number}/")
    if response.status_code == 200:
        found.append(("report", response.content.decode()))
    else:
        assert response.status_code == 403
    for slug in SLUGS:
        response = client.get(f"/kerja/antrean/{slug}/")
        if response.status_code != 200:
            continue
        found.append((slug, response.content.decode()))
        found.append(
            (f"{slug}.csv", b"".join(client.get(f"/kerja/antrean/{slug}/csv/").streaming_content).decode())
        )
    found.append(("index", client.get("/kerja/").content.decode()))
    return found


@pytest.mark.parametrize("reporter", list(REPORTERS))
@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
@pytest.mark.parametrize("state", list(VIEWERS))
def test_reporter_identity_on_every_page_and_export_follows_the_table(w, as_user, state, anonymous, reporter):
    report = build(w, state, anonymous, reporter)
    secrets = REPORTERS[reporter][1]
    name = secrets[0]
    for role in ROLES:
        may_view = role in VIEWERS[state]
        may_see = may_view and (role in VERIFIERS if anonymous else True)
        listed = False
        for label, body in pages(as_user(getattr(w, role)), report):
            if report.tracking_number in body:
                listed = True
                if may_see:
                    assert name in body, (role, label)
                    if label == "report" or label.endswith(".csv"):
                        assert secrets[1] in body, (role, label)
            if not may_see:
                for secret in secrets:
                    assert secret not in body, (role, label, secret)
                if anonymous and label == "report":
                    assert "Anonim" in body
        assert listed == may_view, role


def test_the_reporters_own_words_in_the_timeline_are_signed_pelapor_without_a_name(w, as_user):
    report = build(w, "replied", True, "registered")
    body = as_user(w.liaison_pupr).get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert "Tambalannya lepas lagi" in body
    assert "Pelapor" in body and "Siti" not in body
    body = as_user(w.verifier).get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert "Pelapor (Siti Rahmawati)" in body


def test_csv_leaves_identity_columns_empty_row_by_row(w, as_user):
    anonymous = f.answered(w, is_anonymous=True)
    named = f.answered(w, actor=None, reporter_name="Ahmad Fauzi", reporter_email="ahmad.fauzi@example.id")
    response = as_user(w.liaison_pupr).get("/kerja/antrean/menunggu-pelapor/csv/")
    rows = {
        line.split(",")[0]: line for line in b"".join(response.streaming_content).decode().splitlines()[1:]
    }
    assert rows[anonymous.tracking_number].endswith(",ya,,,")
    assert rows[named.tracking_number].endswith(",tidak,Ahmad Fauzi,ahmad.fauzi@example.id,")


SELF_NAMING = (
    "Saya melapor jalan berlubang di depan SDN 12 yang sudah tiga bulan tidak diperbaiki. "
    "Nama saya Rahmat Hidayat, NIK 1371012345678901, HP 081298765432, email rahmat.h@contoh.id."
)
SELF_NAMING_SECRETS = ["Rahmat Hidayat", "1371012345678901", "081298765432", "rahmat.h@contoh.id"]


def test_personal_data_in_an_anonymous_reports_text_is_redacted_for_everyone_but_its_verifiers(w, as_user):
    # Finding 4 of issue 12: the liaison and the auditor read "Nama saya …, NIK …" whole.
    report = f.disposed(
        w, is_anonymous=True, description=SELF_NAMING, title="Jalan rusak, hubungi 081298765432"
    )
    for role in ("liaison_pupr", "coordinator_pupr", "auditor"):
        client = as_user(getattr(w, role))
        body = client.get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
        assert "tiga bulan tidak diperbaiki" in body, role
        queue = "".join(
            b"".join(client.get(f"/kerja/antrean/{slug}/csv/").streaming_content).decode()
            + client.get(f"/kerja/antrean/{slug}/").content.decode()
            for slug in SLUGS
            if client.get(f"/kerja/antrean/{slug}/").status_code == 200
        )
        for secret in SELF_NAMING_SECRETS:
            assert secret not in body, (role, secret)
            assert secret not in queue, (role, secret)
    verifier = as_user(w.verifier).get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert all(secret in verifier for secret in SELF_NAMING_SECRETS)


def test_a_named_reports_text_is_shown_whole_to_staff_in_scope(w, as_user):
    report = f.disposed(w, description=SELF_NAMING)
    body = as_user(w.liaison_pupr).get(f"/kerja/laporan/{report.tracking_number}/").content.decode()
    assert all(secret in body for secret in SELF_NAMING_SECRETS)


def test_a_liaison_does_not_see_other_reports_merged_into_the_one_disposed_to_them(w, as_user):
    # "Duplikat digabungkan #…" names another complaint (perhaps confidential, perhaps from the
    # same neighbour): the report's verifiers, and whoever may open that other report, see it; a
    # liaison reading the report for their disposition does not.
    original = f.disposed(w)
    duplicate = f.submit(w, title="Jalan berlubang lagi di depan SDN 12", is_confidential=True)
    actions.mark_duplicate(report=duplicate, original=original, actor=w.verifier)
    actions.unmerge_report(report=duplicate, actor=w.verifier)
    page = f"/kerja/laporan/{original.tracking_number}/"
    for role in ("liaison_pupr", "coordinator_pupr"):
        body = as_user(getattr(w, role)).get(page).content.decode()
        assert "Didisposisikan" in body, role  # the timeline is there
        assert duplicate.tracking_number not in body, role
        assert "Duplikat digabungkan" not in body and "Penggabungan dibatalkan" not in body, role
    for role in ("verifier", "admin_nasional", "auditor"):
        body = as_user(getattr(w, role)).get(page).content.decode()
        assert duplicate.tracking_number in body, role
        assert "Duplikat digabungkan" in body and "Penggabungan dibatalkan" in body, role
