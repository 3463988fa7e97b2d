from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    """Routing suggestions, duplicates, spam and personal-data detection."""

    name = "jembatan.triage"
    verbose_name = _("Triase")
