"""Open311's public reads (GET requests and requests/{id}) from the public-answer cache.

What may be cached and how it stays correct is decided in reports/publication.py; the views only
come here for a request the public as a whole may read (no api_key). A cached answer is kept as
its body, its ETag and its Last-Modified, so a hit costs one version query and one cache read:
no ORM, no presenter, no timestamps, no XML or JSON. A client that holds the answer gets its 304
before any body is built.

A list page also files each of its requests as the single request would answer it (the same item
plus service_notice), under the same version: a client that reads a list and then opens its
requests one by one finds them ready. Only the lean form (without extensions) is filed so.
"""

import time
from datetime import UTC, datetime

from django.http import HttpResponse

from jembatan.api import conditional
from jembatan.api.open311 import formats, mapping
from jembatan.reports import publication

LIST = "open311-list"
ONE = "open311-one"


def one_key(fmt, number, extensions):
    return publication.key(ONE, fmt, publication.language(), number, extensions)


def _last_modified(items):
    changed = [item["updated_datetime"] for item in items if item.get("updated_datetime")]
    return int(max(changed).timestamp()) if changed else None


def _respond(request, fmt, payload, response=None):
    body, etag, last_modified = payload
    if response is None:
        response = HttpResponse(body, content_type=formats.CONTENT_TYPES[fmt])
    moment = None
    if last_modified is not None:
        moment = datetime.fromtimestamp(last_modified, UTC)
    return conditional.answer(request, response, last_modified=moment, etag=etag)


def _payload(fmt, items):
    response = formats.render(fmt, "service_requests", items)
    return response, (response.content, conditional.etag_of(response.content), _last_modified(items))


def cached(request, fmt, namespace, parts, build, *, file_singles=False):
    """The answer for `parts` from the cache, else `build()` → (items, valid_until) rendered and
    kept. `build` raises Open311Error for an answer that is not a 200 (never kept)."""
    lookup = publication.Lookup(publication.key(namespace, *parts))
    if lookup.hit is not None:
        return _respond(request, fmt, lookup.hit)
    items, valid_until = build()
    response, payload = _payload(fmt, items)
    lookup.store(payload, valid_until=valid_until, size=len(payload[0]))
    if file_singles and items and (valid_until is None or time.time() < valid_until):
        _file_singles(fmt, items, lookup.version)
    return _respond(request, fmt, payload, response)


def _file_singles(fmt, items, version):
    notice = mapping.service_notice()
    entries = {}
    for item in items:
        single = [{**item, "service_notice": notice}]
        body = formats.content(fmt, "service_requests", single)
        payload = (body, conditional.etag_of(body), _last_modified(single))
        entries[one_key(fmt, item["service_request_id"], None)] = (payload, len(body))
    publication.store_many(entries, version)
