from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The back office: what staff change in the Django admin (the map of government, the outbox),
    checked against accounts.access and audited. It sits above accounts, which sits above the
    directory and the outbox, so those stay free of roles."""

    name = "jembatan.backoffice"
    verbose_name = _("Kantor belakang")
