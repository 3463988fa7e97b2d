from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "jembatan.notify"
    verbose_name = _("Notifikasi")

    def ready(self):
        from jembatan.notify import checks  # noqa: F401  (registers the system checks)
