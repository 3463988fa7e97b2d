"""The timeline's vocabulary: EventAction and ActorRole, and the wordings read from them."""

import pytest

from jembatan.accounts.models import Role
from jembatan.reports import events
from jembatan.reports.events import ActorRole, EventAction
from jembatan.reports.models import Event
from jembatan.reports.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return f.build_world()


def test_every_staff_role_is_an_actor_role_with_the_same_label():
    for role in Role:
        assert ActorRole(role.value).label == role.label


def test_every_event_the_lifecycle_writes_is_a_known_action_and_role(w):
    f.answered(w)
    written = Event.objects.values_list("action", "actor_role")
    assert written
    for action, role in written:
        assert action in EventAction.values
        assert role in ActorRole.values


def test_an_action_this_version_does_not_know_reads_as_its_value():
    assert events.staff_label("from_the_future") == "from_the_future"
