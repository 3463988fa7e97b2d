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


@register.simple_tag
def staff_menu(user):
    """What the staff menu offers `user` on the dashboards: the same links as on the workbench,
    so an officer opening /data/ keeps the staff menu rather than the citizens' one."""
    from jembatan.accounts import access
    from jembatan.accounts.access import Action

    return {
        "workbench": access.is_staff_member(user),
        "enter": bool(access.scopes_for(user, Action.ENTER_REPORT)),
        "admin": bool(user.is_staff),
    }
