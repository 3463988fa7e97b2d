from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """SMS, WhatsApp and e-mail intake: adapters around reports.actions."""

    name = "jembatan.channels"
    label = "intake"
    verbose_name = _("Kanal Masuk")
