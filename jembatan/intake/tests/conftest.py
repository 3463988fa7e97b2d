import pytest

from jembatan.api.tests.httpserver import LocalServer
from jembatan.reports.tests import factories as rf
from jembatan.tests.shared_world import world_fixture

SMS_SECRET = "rahasia-gateway-sms"
WA_SECRET = "rahasia-gateway-wa"
MAIL_SECRET = "rahasia-surel"
AUTHSERV_ID = "mx.sumbarprov.go.id"  # what our receiving server writes in Authentication-Results


@pytest.fixture(autouse=True)
def _channels_on(settings):
    from django.core.cache import cache

    cache.clear()  # rate-limit counters
    settings.CHANNELS_SMS_SECRET = SMS_SECRET
    settings.CHANNELS_WHATSAPP_SECRET = WA_SECRET
    settings.CHANNELS_EMAIL_SECRET = MAIL_SECRET
    settings.CHANNELS_EMAIL_AUTHSERV_ID = AUTHSERV_ID


# Built once per module where no test commits (jembatan/tests/shared_world.py).
_w_built_once_per_module, w = world_fixture(rf.build_world)


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running
