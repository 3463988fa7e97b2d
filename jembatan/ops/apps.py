from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operational commands and hooks: the server pair, backups, the demo province, request ids."""

    name = "jembatan.ops"
    verbose_name = _("Operasional")

    def ready(self):
        from huey.contrib.djhuey import HUEY

        from jembatan.observability import connect_huey

        connect_huey(HUEY)
