from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """What a citizen sees."""

    name = "jembatan.portal"
    verbose_name = _("Portal Warga")
