from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    """Federation: Jembatan instances and the national hub pass reports between them, exactly once."""

    name = "jembatan.federation"
    verbose_name = _("Federasi")
