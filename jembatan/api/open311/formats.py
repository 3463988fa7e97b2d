"""Open311's two formats: XML (required by the spec) and JSON (its Spark-convention mirror).

XML: UTF-8 with the declaration, no namespace, lists as a plural element holding singular ones
(<services><service>…), null as an empty element, booleans as true/false. JSON: the same tree
with lists as arrays. Errors: <errors><error><code/><description/></error></errors> and
[{"code": …, "description": …}].
"""

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The singular element of each plural one.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "errors": "error",
}

# Characters XML 1.0 cannot carry at all (a citizen's text may contain them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso(moment):
    """A w3c/ISO 8601 timestamp with its offset, in the instance's time zone."""
    if moment is None:
        return None
    # The default zone, not timezone.localtime()'s current one: nothing activates a zone per
    # request here, and looking the current one up (a context-local) was two thirds of the cost
    # of 300 timestamps a page.
    return moment.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return _NOT_XML.sub("", str(value))


def _fill(element, value):
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root, value):
    element = ET.Element(root)
    _fill(element, value)
    ET.indent(element)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")


def _json_default(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def content(fmt, root, value):
    """The body of `value` in `fmt` (bytes), with `root` as the XML root element."""
    if fmt == "xml":
        text = to_xml(root, value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=_json_default)
    return text.encode("utf-8")


def render(fmt, root, value, status=200):
    """`value` as an Open311 response in `fmt`, with `root` as the XML root element."""
    return HttpResponse(content(fmt, root, value), status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt, status, description, code=None, headers=None):
    """The spec's error body: a list of {code, description}, with the HTTP status."""
    response = render(
        fmt, "errors", [{"code": code or status, "description": str(description)}], status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
