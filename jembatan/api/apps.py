from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """REST API v1 and Open311 GeoReport v2: adapters around reports.actions."""

    name = "jembatan.api"
    verbose_name = _("API")

    def ready(self):
        # Registers the OpenAPI description of ApiKeyAuthentication with drf-spectacular.
        from jembatan.api import schema  # noqa: F401
