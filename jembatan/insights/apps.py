from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Rollups, dashboards, exports, open data and imports."""

    name = "jembatan.insights"
    verbose_name = _("Data untuk Kebijakan")
