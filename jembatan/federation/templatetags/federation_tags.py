"""{% may_view_network user as show %}: the dashboards' "Jaringan" tab."""

from django import template

register = template.Library()


@register.simple_tag
def may_view_network(user):
    """For the dashboard tabs: is this the network's hub, and may `user` see the whole instance?"""
    from jembatan.federation import figures
    from jembatan.insights.queries import viewer_scopes

    scopes = viewer_scopes(user)
    return bool(scopes) and scopes[0].is_national and figures.is_hub()
