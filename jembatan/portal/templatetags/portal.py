"""Template helpers of the citizen portal."""

from django import template

from jembatan.portal import presenters
from jembatan.reports.pii import redact as redact_text

register = template.Library()


@register.filter
def redact(text):
    """Personal data hidden; the result is plain text and is still escaped by the template."""
    return redact_text(text)


@register.filter
def public(report, name):
    """A report's title, description or address with personal data hidden, from the redacted form
    stored beside it (no detector run on the read); still escaped by the template."""
    return report.public(name)


@register.filter
def excerpt(text):
    """The redacted start of a report's text, for lists."""
    return presenters.public_excerpt(text)


@register.filter
def status_tone(status):
    return presenters.status_tone(status)


@register.filter
def status_plain(status):
    return presenters.STATUS_PLAIN.get(status, "")


@register.inclusion_tag("portal/_field.html")
def field(bound_field, **attrs):
    return {"field": bound_field, **attrs}


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key, "")
