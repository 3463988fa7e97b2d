from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Background work that survives a killed worker: leases, heartbeats and the outbox machinery.

    Below every app that queues work (notify, api, and federation later): it imports none of them.
    """

    name = "jembatan.jobs"
    label = "jobs"
    verbose_name = _("Pekerjaan latar")
