from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """SMS, WhatsApp and e-mail intake: adapters around reports.actions."""

    name = "jembatan.intake"
    label = "intake"
    verbose_name = _("Kanal Masuk")
