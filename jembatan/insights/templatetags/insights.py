"""{% dash_table table %}: a dashboard table, rendered by Table.html (fast; see dashboards.py)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def dash_table(context, table, links=True, downloads=True):
    return table.html(links=links, downloads=downloads, query=context.get("query") or "")


@register.simple_tag
def may_view_dashboards(user):
    """For the site menu: {% may_view_dashboards request.user as show %}{% if show %}…"""
    from jembatan.accounts import access
    from jembatan.accounts.access import Action

    return bool(access.scopes_for(user, Action.VIEW_DASHBOARD))
