"""While a citizen writes, the portal suggests categories from the instance's routing model."""

import pytest
from django.db import transaction
from django.test import Client

from jembatan.directory.tests.factories import make_category
from jembatan.triage import actions as triage_actions
from jembatan.triage.models import TriageModel
from jembatan.triage.tests import factories as tf

pytestmark = pytest.mark.django_db

ROAD = "aspal jalan di depan sekolah hancur, lubangnya dalam dan motor sering jatuh di sana"


@pytest.fixture(scope="module")
def trained(django_db_setup, django_db_blocker):
    """The triage test province, its categories under a group (as citizens choose them), a model."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = tf.build_world()
        group = make_category("Infrastruktur")
        for category in (w.cat_road, w.cat_health, w.cat_parking):
            category.parent = group
            category.save(update_fields=["parent"])
        w.group = group
        tf.build_history(w)
        w.model = triage_actions.train_model(note="uji portal")
        yield w
        transaction.set_rollback(True)


def ask(client, text=ROAD, region="13.71.01.1001"):
    return client.post("/lapor/saran-kategori", {"teks": text, "wilayah": region})


def test_a_road_complaint_gets_the_road_category_first(trained):
    response = ask(Client())
    assert response.status_code == 200
    categories = response.json()["categories"]
    assert categories[0]["id"] == trained.cat_road.pk and categories[0]["name"] == "Jalan Rusak"
    # Names only: no percentages for citizens, nothing about other reports.
    assert set(categories[0]) == {"id", "name"}


def test_citizens_get_a_chip_only_when_the_model_is_fairly_sure(trained):
    from jembatan.portal.views import CITIZEN_SUGGESTION_MIN_PERCENT
    from jembatan.triage import services as triage

    shown = [c["id"] for c in ask(Client()).json()["categories"]]
    choices = triage.suggest_categories(ROAD, region="13.71.01.1001", channel="web")
    sure = [c.pk for c in choices if c.percent >= CITIZEN_SUGGESTION_MIN_PERCENT]
    assert shown == sure  # the model's order, the unsure ones left out
    assert len(sure) < len(choices)


def test_only_categories_a_citizen_can_choose_are_suggested(trained):
    trained.cat_road.parent = None  # a group heading cannot be chosen on the form
    trained.cat_road.save(update_fields=["parent"])
    ids = [c["id"] for c in ask(Client()).json()["categories"]]
    assert trained.cat_road.pk not in ids


def test_no_model_no_suggestion(trained):
    TriageModel.objects.update(is_active=False)
    assert ask(Client()).json() == {"categories": []}


@pytest.mark.parametrize(
    ("text", "region", "status"),
    [
        ("jalan rusak", "13.71", 200),  # too short to say anything
        (ROAD, "13.71\x00", 200),  # a bad region is ignored, the text still counts
        (ROAD, "", 200),
        ("jalan rusak " * 1000, "13.71", 400),
    ],
)
def test_bad_input_is_answered_not_failed(trained, text, region, status):
    response = ask(Client(), text=text, region=region)
    assert response.status_code == status
    if status == 400:
        assert response.json()["error"] == "Isi laporan terlalu panjang: paling banyak 10000 karakter."


def test_suggestions_are_limited_per_address(trained, settings):
    settings.PORTAL_SIMILAR_LIMIT_PER_IP = 2
    client = Client(REMOTE_ADDR="10.9.9.9")
    assert [ask(client).status_code for _i in range(2)] == [200, 200]
    throttled = ask(client)
    assert throttled.status_code == 429 and throttled.json()["categories"] == []
    # The similar-report look-up has its own count.
    assert client.post("/lapor/serupa", {"teks": ROAD, "wilayah": "13.71.01.1001"}).status_code == 200


def test_suggestion_endpoint_is_a_post_with_a_csrf_token(trained):
    assert Client().get("/lapor/saran-kategori", {"teks": ROAD}).status_code == 302  # to /lapor/
    assert ask(Client(enforce_csrf_checks=True)).status_code == 403
