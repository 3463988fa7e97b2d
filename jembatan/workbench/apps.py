from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """What an officer sees (meja kerja petugas)."""

    name = "jembatan.workbench"
    verbose_name = _("Meja Kerja Petugas")
