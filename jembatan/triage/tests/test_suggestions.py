"""Suggestions from a model trained on the instance's own verified history."""

import pytest
from django.db import transaction

from jembatan.reports import actions as report_actions
from jembatan.reports.models import DispositionStatus
from jembatan.triage import actions, services, training
from jembatan.triage.models import TriageModel
from jembatan.triage.quality import FlagKind
from jembatan.triage.tests import factories as tf
from jembatan.triage.text import STOPWORDS

pytestmark = pytest.mark.django_db

COMPLAINT = "Jalan berlubang. aspal jalan di depan sekolah hancur, lubangnya dalam, motor sering jatuh"


@pytest.fixture(scope="module")
def trained(django_db_setup, django_db_blocker):
    """A province with 20 settled reports, one misrouted then corrected, and a trained model."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = tf.build_world()
        tf.build_history(w)
        # Disposed to the wrong office, returned as "bukan wewenang", disposed again to the right one.
        w.corrected = tf.submit(
            w,
            title="Puskesmas kekurangan dokter",
            description="Puskesmas di kelurahan kami tidak punya dokter jaga, pasien dirujuk jauh sekali.",
            region=w.village_padang,
        )
        tf.settle(w, w.corrected, category=w.cat_health, agency=w.pupr_padang)
        disposition = w.corrected.dispositions.get()
        report_actions.return_disposition(
            disposition=disposition,
            actor=make_liaison(w.pupr_padang),
            reason="Bukan kewenangan Dinas PUPR, ini urusan kesehatan.",
        )
        report_actions.dispose_report(report=w.corrected, actor=w.admin, agencies=[w.dinkes_padang])
        # Reports the verifier archived as unclear: the archive model learns what they look like.
        for i in range(6):
            unclear = tf.submit(
                w,
                title=f"Halo admin {i}",
                description=f"halo admin cek cek saja ya, coba kirim pesan nomor {i} dulu",
                region=w.village_padang,
            )
            report_actions.archive_report(report=unclear, actor=w.admin, reason=w.reason_unclear)
        w.model = actions.train_model(note="uji")
        yield w
        transaction.set_rollback(True)


def make_liaison(agency):
    from jembatan.accounts.models import Role
    from jembatan.accounts.tests.factories import make_staff

    return make_staff(Role.PENGHUBUNG, agency)


def new_report(w, title, description, region):
    return tf.submit(w, title=title, description=description, region=region)


def test_training_learns_the_final_agency_after_a_return_not_the_mistake(trained):
    w = trained
    assert w.corrected.dispositions.filter(status=DispositionStatus.BUKAN_WEWENANG).exists()
    assert training.final_agencies([w.corrected.pk]) == {w.corrected.pk: w.dinkes_padang.pk}


def test_archive_model_flags_what_verifiers_used_to_archive_and_keeps_word_flags(trained):
    found = services.flags("halo admin, cek cek saja ya, coba kirim pesan dulu")
    model_flags = [f for f in found if f.source == "model"]
    assert [f.kind for f in model_flags] == [FlagKind.UNACTIONABLE]
    assert "Tidak Jelas" in model_flags[0].reason and 0.5 <= model_flags[0].score <= 1
    assert services.flags(COMPLAINT) == []


def test_new_model_is_version_one_and_active(trained):
    model = trained.model
    assert (model.version, model.is_active) == (1, True)
    assert model.trained_on["agency"] == 21 and model.trained_on["classes"]["agency"] == 4
    assert model.size_bytes == len(bytes(TriageModel.objects.get(pk=model.pk).payload))


def test_suggestion_gives_top_three_agencies_and_categories_with_probabilities(trained):
    w = trained
    report = new_report(
        w,
        "Jalan berlubang di depan sekolah",
        "jalan di depan sekolah berlubang besar dan aspal hancur, motor sering jatuh",
        w.village_padang,
    )
    suggestion = services.suggest(report)
    assert suggestion.model_version == trained.model.version
    assert len(suggestion.agencies) == 3 and len(suggestion.categories) == 3
    assert suggestion.agency.item == w.pupr_padang and suggestion.category.item == w.cat_road
    probabilities = [c.probability for c in suggestion.agencies]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0001 and suggestion.confidence == probabilities[0]
    assert suggestion.words and all(isinstance(word, str) for word in suggestion.words)
    assert any(
        word in {"jalan", "berlubang", "aspal", "hancur", "jalan berlubang"} for word in suggestion.words
    )
    # Never a placeholder or a bare function word ("di", "dan") as the reason.
    assert not [w for w in suggestion.words if w.startswith("zz") or w in STOPWORDS]


def test_same_complaint_goes_to_the_office_of_its_own_city(trained):
    w = trained
    text = "aspal jalan sudah hancur dan lubangnya dalam, tolong diperbaiki"
    padang = services.suggest(new_report(w, "Jalan rusak", text, w.village_padang))
    bukittinggi = services.suggest(new_report(w, "Jalan rusak", text, w.village_bukittinggi))
    assert padang.agency.item == w.pupr_padang
    assert bukittinggi.agency.item == w.pupr_bukittinggi


def test_suggestion_works_for_text_not_yet_saved(trained):
    suggestion = services.suggest(
        text="Pelayanan puskesmas lambat. pasien menunggu dokter berjam-jam", region=trained.village_padang
    )
    assert suggestion.agency.item == trained.dinkes_padang


def test_inactive_agencies_are_never_suggested(trained):
    w = trained
    w.dishub_padang.is_active = False
    w.dishub_padang.save()
    suggestion = services.suggest(
        text="juru parkir liar memungut biaya tanpa karcis", region=w.village_padang
    )
    assert w.dishub_padang not in [c.item for c in suggestion.agencies]
    # The explaining words were about the hidden first choice: they are not shown either.
    assert suggestion.words == [] and suggestion.category_words


def test_no_suggestion_without_an_active_model(trained):
    TriageModel.objects.update(is_active=False)
    assert services.suggest(text="jalan rusak parah") is None


def test_activating_an_older_version_switches_suggestions_and_keeps_both(trained):
    second = actions.train_model(note="kedua")
    assert second.version == 2 and second.is_active
    assert services.active_model()[0] == 2
    actions.activate_model(version=1)
    assert services.active_model()[0] == 1
    assert services.suggest(text="jalan rusak", region=trained.village_padang).model_version == 1
    assert list(TriageModel.objects.order_by("version").values_list("version", "is_active")) == [
        (1, True),
        (2, False),
    ]


def test_activating_an_unknown_version_is_refused(trained):
    with pytest.raises(actions.TriageError):
        actions.activate_model(version=99)


def test_training_the_same_history_twice_gives_the_same_model(trained):
    second = actions.train_model(activate=False)
    assert second.fingerprint == trained.model.fingerprint
    assert bytes(second.payload) == bytes(TriageModel.objects.get(pk=trained.model.pk).payload)


@pytest.mark.parametrize(
    ("enabled", "minimum", "expected"),
    [(False, 0.3, False), (True, 0.3, True), (True, 0.99, False)],
)
def test_auto_routing_is_off_by_default_and_needs_the_confidence(
    trained, settings, enabled, minimum, expected
):
    suggestion = services.suggest(
        text="Jalan berlubang. aspal jalan hancur, lubang dalam", region=trained.village_padang
    )
    assert 0.3 < suggestion.confidence < 0.99
    settings.TRIAGE_AUTO_ROUTE = enabled
    settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = minimum
    assert services.should_auto_route(suggestion) is expected


def test_auto_routing_setting_defaults_to_off(trained, settings):
    from django.conf import settings as real_settings

    assert real_settings.TRIAGE_AUTO_ROUTE is False  # no TRIAGE_AUTO_ROUTE in the environment
    assert real_settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE == 0.95
    suggestion = services.suggest(text="jalan rusak berlubang", region=trained.village_padang)
    assert services.should_auto_route(suggestion) is False
    assert services.should_auto_route(None) is False


def test_prune_keeps_the_active_and_newest_versions(trained):
    for _i in range(3):
        actions.train_model(activate=False)
    assert actions.prune_models(keep=1) == 2
    kept = TriageModel.objects.filter(payload__isnull=False).values_list("version", flat=True)
    assert sorted(kept) == [1, 4]
    with pytest.raises(actions.TriageError):
        actions.activate_model(version=2)


# --- Automatic routing (off by default) --------------------------------------------------------------

ROAD = (
    "Jalan berlubang di Jl. Sudirman",
    "aspal jalan di depan sekolah hancur sejak kemarin, lubangnya dalam dan motor sering jatuh di sana",
)


def _later():
    import datetime as dt

    from django.utils import timezone

    return timezone.now() + dt.timedelta(hours=1)


def _new_complete_report(w, **extra):
    import datetime as dt

    title, description = ROAD
    return tf.submit(
        w,
        title=title,
        description=description,
        region=w.village_padang,
        incident_date=dt.date(2026, 11, 2),
        **extra,
    )


def test_auto_routing_routes_a_sure_complete_new_report_and_says_so(trained, settings):
    from jembatan.reports.models import Event, Report, Status
    from jembatan.triage import autoroute

    settings.TRIAGE_AUTO_ROUTE = True
    settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = 0.3
    waiting = _new_complete_report(trained)
    # Switched on now: the cursor starts after the reports already waiting, those stay with verifiers.
    assert autoroute.route_new_reports() == 0
    fresh = _new_complete_report(trained)
    assert autoroute.route_new_reports(now=_later()) == 1
    fresh = Report.objects.get(pk=fresh.pk)
    assert fresh.status == Status.TERDISPOSISI
    assert fresh.verified_at is not None
    assert [d.agency for d in fresh.dispositions.all()] == [trained.pupr_padang]
    verified = Event.objects.get(report=fresh, action="verified")
    assert verified.actor is None and verified.actor_role == "sistem"
    assert verified.data["auto"] is True and verified.data["model_version"] == trained.model.version
    assert 0.3 <= verified.data["confidence"] <= 1
    assert Event.objects.get(report=fresh, action="disposed").data["auto"] is True
    assert Report.objects.get(pk=waiting.pk).status == Status.BELUM_TERVERIFIKASI
    # A second run finds nothing new, and never routes a report twice.
    assert autoroute.route_new_reports(now=_later()) == 0
    assert fresh.dispositions.count() == 1


@pytest.mark.parametrize("case", ["off", "unsure", "incomplete", "flagged", "addressed", "confidential"])
def test_auto_routing_leaves_a_report_to_the_verifiers(trained, settings, case):
    from jembatan.reports.models import Report, Status
    from jembatan.triage import autoroute

    settings.TRIAGE_AUTO_ROUTE = True
    settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = 0.99 if case == "unsure" else 0.3
    autoroute.route_new_reports()  # the cursor starts here
    if case == "incomplete":  # no place below the city, no date, no street
        report = tf.submit(
            trained,
            title="Jalan berlubang",
            description="aspal jalan hancur, lubangnya dalam dan motor sering jatuh karena lubang itu",
            region=trained.region_padang,
        )
    elif case == "flagged":
        report = _new_complete_report(trained)
        report.description += " dasar bajingan semua pegawainya"
        report.save(update_fields=["description"])
    elif case == "addressed":
        report = _new_complete_report(trained, target_agency=trained.dinkes_padang)
    elif case == "confidential":
        report = _new_complete_report(trained, is_confidential=True)
    else:
        report = _new_complete_report(trained)
    if case == "off":
        settings.TRIAGE_AUTO_ROUTE = False
    if case == "flagged":
        assert services.flags(report)
    assert autoroute.route_new_reports(now=_later()) == 0
    report = Report.objects.get(pk=report.pk)
    assert report.status == Status.BELUM_TERVERIFIKASI and report.verified_at is None
    assert not report.dispositions.exists()


def test_auto_route_action_never_touches_a_report_a_verifier_already_took(trained):
    report = _new_complete_report(trained)
    report_actions.verify_report(
        report=report, actor=trained.admin, classification="aspirasi", category=trained.cat_road
    )
    assert (
        report_actions.auto_route_report(
            report=report, agency=trained.dinkes_padang, confidence=0.99, model_version=1
        )
        is None
    )
    report.refresh_from_db()
    assert report.classification == "aspirasi" and not report.dispositions.exists()


def test_train_if_none_keeps_the_active_model(trained):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("triage", "train", "--if-none", stdout=out)
    assert "already active" in out.getvalue()
    assert TriageModel.objects.count() == 1


def test_auto_route_action_refuses_confidential_reports_even_when_called_directly(trained):
    report = _new_complete_report(trained, is_confidential=True)
    routed = report_actions.auto_route_report(
        report=report, agency=trained.pupr_padang, confidence=0.99, model_version=1
    )
    assert routed is None
    report.refresh_from_db()
    assert report.verified_at is None and not report.dispositions.exists()


# --- Explanations without places; the auto-routing bar from the precision curve --------------------


def test_explanations_leave_out_the_names_of_regions(trained):
    words = services.region_words(trained.village_padang.code)
    assert {"padang", "contoh", "bukittinggi", "kelurahan", "kota"} <= words
    suggestion = services.suggest(
        title="Jalan berlubang di Kota Padang",
        text="Jalan berlubang di Kota Padang. aspal jalan di kelurahan Contoh Padang hancur, lubang dalam",
        region=trained.village_padang,
    )
    shown = " ".join(suggestion.words + suggestion.category_words).split()
    assert shown and not set(shown) & words


CURVE = {
    "agency": {
        "n_test": 200,
        # [confidence, share at or above it, precision among them, count]
        "precision_curve": [
            [0.5, 0.8, 0.85, 160],
            [0.6, 0.6, 0.93, 120],
            [0.7, 0.4, 0.96, 80],
            [0.9, 0.05, 1.0, 10],
        ],
    }
}


def test_auto_route_bar_is_read_off_the_held_out_precision_curve():
    bar = services.auto_route_bar(CURVE, precision=0.95)
    assert (bar.confidence, bar.share, bar.error_rate, bar.held_out) == (0.7, 0.4, 0.04, 200)
    assert "40%" in bar.describe() and "4.0% wrong" in bar.describe()
    # 0.99 is only reached by 10 held-out reports: too few to promise it, so nothing is routed.
    assert services.auto_route_bar(CURVE, precision=0.99).confidence is None
    # A version trained before the curve was kept: the setting itself is the bar, and says so.
    old = services.auto_route_bar({"agency": {"accuracy": 0.9}}, precision=0.95)
    assert old.confidence == 0.95 and not old.measured and "unknown" in old.describe()


def test_auto_routing_uses_the_bar_of_the_active_model_not_the_raw_setting(trained, settings):
    suggestion = services.suggest(
        text="Jalan berlubang. aspal jalan hancur, lubang dalam", region=trained.village_padang
    )
    settings.TRIAGE_AUTO_ROUTE = True
    settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = 0.95
    metrics = TriageModel.objects.get(pk=trained.model.pk).metrics
    try:
        # The model's own held-out reports say 95 % precision starts lower than 0.95 confidence.
        TriageModel.objects.filter(pk=trained.model.pk).update(
            metrics={"agency": {"n_test": 100, "precision_curve": [[0.3, 0.9, 0.96, 90]]}}
        )
        services._bars.clear()
        assert suggestion.confidence < 0.95 and services.should_auto_route(suggestion) is True
        # …or that the model never reached it: nothing is routed, however sure it says it is.
        TriageModel.objects.filter(pk=trained.model.pk).update(
            metrics={"agency": {"n_test": 100, "precision_curve": [[0.3, 0.9, 0.6, 90]]}}
        )
        services._bars.clear()
        assert services.should_auto_route(suggestion) is False
    finally:
        TriageModel.objects.filter(pk=trained.model.pk).update(metrics=metrics)
        services._bars.clear()


def test_triage_autoroute_command_shows_the_bar_share_and_error_rate(trained, settings):
    import io

    from django.core.management import call_command

    settings.TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = 0.95
    out = io.StringIO()
    call_command("triage", "autoroute", stdout=out)
    assert out.getvalue().startswith("automatic routing is off")
    assert "auto-routing" in out.getvalue()


def test_triage_list_shows_each_versions_auto_routing_bar(trained):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("triage", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.lstrip().startswith("auto-routing") for line in lines)


def test_a_bukan_wewenang_return_is_kept_as_negative_evidence_for_that_agency(trained):
    w = trained
    data = training.build_dataset()
    assert [(r.report_id, r.agency) for r in data.returns] == [(w.corrected.pk, str(w.pupr_padang.pk))]
    assert w.model.trained_on["returns"] == 1
    _version, bundle = services.active_model()
    returns = bundle.classifiers["agency"].returns
    assert returns is not None and returns.rows_t.shape[1] == 1


def test_a_return_by_the_agency_it_finally_went_to_is_not_negative_evidence(trained):
    w = trained
    report = tf.submit(
        w, title="Jalan rusak", description="jalan rusak dan berlubang besar", region=w.village_padang
    )
    disposition = tf.settle(w, report, category=w.cat_road, agency=w.pupr_padang).dispositions.get()
    liaison = make_liaison(w.pupr_padang)
    report_actions.return_disposition(
        disposition=disposition, actor=liaison, reason="Salah kirim, coba lagi."
    )
    report_actions.dispose_report(report=report, actor=w.admin, agencies=[w.pupr_padang])
    assert report.pk not in {r.report_id for r in training.build_dataset().returns}


def test_the_agency_that_returned_a_report_is_lowered_for_it_and_for_alike_reports(trained):
    from jembatan.triage import learning

    w = trained
    _version, bundle = services.active_model()
    pupr = str(w.pupr_padang.pk)
    text = training.report_text(w.corrected.title, w.corrected.description)
    facts = training.report_facts(
        region_id=w.corrected.region_id, channel=w.corrected.channel, kind="pengaduan"
    )

    def pupr_probability(**kwargs):
        top = learning.predict(bundle, text, facts, title=w.corrected.title, k=10, explain=0, **kwargs)
        return dict(top["agency"].top).get(pupr, 0.0)

    lowered = pupr_probability()
    classifier = bundle.classifiers["agency"]
    saved, classifier.returns = classifier.returns, None
    try:
        plain = pupr_probability()
        # Without the model's memory the report's own return still lowers PUPR (suggest() passes it).
        assert pupr_probability(returned={"agency": {pupr}}) < plain
    finally:
        classifier.returns = saved
    assert 0 < lowered < plain
    shown = services.suggest(w.corrected)
    assert all(choice.pk != w.pupr_padang.pk or choice.probability < plain for choice in shown.agencies)
