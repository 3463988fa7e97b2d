"""Admin pages of background work: the heartbeat of each periodic task, and who holds which lease.

Read-only: these rows belong to the workers.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jembatan.jobs import heartbeats
from jembatan.jobs.models import Heartbeat, Lease


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(_ReadOnly):
    list_display = [
        "name",
        "period",
        "last_succeeded_at",
        "late",
        "last_failed_at",
        "last_duration_ms",
        "runs",
    ]
    readonly_fields = [f.name for f in Heartbeat._meta.fields]

    @admin.display(description=_("periode"))
    def period(self, obj):
        heartbeats.discover()
        entry = heartbeats.REGISTRY.get(obj.name)
        return entry.period if entry else "-"

    @admin.display(description=_("tertinggal"), boolean=True)
    def late(self, obj):
        heartbeats.discover()
        entry = heartbeats.REGISTRY.get(obj.name)
        if entry is None or obj.last_succeeded_at is None:
            return None
        return timezone.now() - obj.last_succeeded_at > entry.period + heartbeats.grace()


@admin.register(Lease)
class LeaseAdmin(_ReadOnly):
    list_display = ["name", "owner", "acquired_at", "expires_at"]
    readonly_fields = [f.name for f in Lease._meta.fields]
