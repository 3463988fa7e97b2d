from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operational commands: the development server pair and the demo province."""

    name = "jembatan.ops"
    verbose_name = _("Operasional")
