"""Read-only admin pages of federation: peers, remote agencies, both halves of the wire.

Changes go through `manage.py federation` (actions.py), never through these forms.
"""

from django.contrib import admin

from jembatan.federation.models import (
    FederationMessage,
    Instance,
    Link,
    NetworkPeriod,
    ReceivedMessage,
    RemoteAgency,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Instance)
class InstanceAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "protocol", "base_url", "is_self", "is_active")
    exclude = ("shared_secret",)  # the key (a LAPOR! peer's token) is never shown


@admin.register(RemoteAgency)
class RemoteAgencyAdmin(ReadOnlyAdmin):
    list_display = ("agency", "instance")
    list_select_related = ("agency", "instance")


@admin.register(Link)
class LinkAdmin(ReadOnlyAdmin):
    list_display = (
        "origin_instance",
        "origin_number",
        "peer",
        "role",
        "next_seq",
        "remote_id",  # a LAPOR! peer's tracking id
        "remote_status",
    )
    list_filter = ("role", "peer")


@admin.register(FederationMessage)
class FederationMessageAdmin(ReadOnlyAdmin):
    list_display = ("kind", "seq", "destination", "status", "attempts", "outcome", "created_at", "last_error")
    list_filter = ("status", "kind", "destination")
    exclude = ("payload",)  # report text; read it on the report, where access decides


@admin.register(ReceivedMessage)
class ReceivedMessageAdmin(ReadOnlyAdmin):
    list_display = ("kind", "seq", "sender", "origin_number", "state", "received_at", "error")
    list_filter = ("state", "kind", "sender")
    exclude = ("payload",)


@admin.register(NetworkPeriod)
class NetworkPeriodAdmin(ReadOnlyAdmin):
    """The hub's copy of each instance's monthly figures (counts only): when it reported, as of when."""

    list_display = ("instance", "period", "as_of", "received_at")
    list_filter = ("instance",)
    list_select_related = ("instance",)
