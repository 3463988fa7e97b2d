"""Conditional GETs for the API's reads: an ETag (and a Last-Modified where the caller knows one),
and 304 Not Modified when the client already holds this very answer.

The ETag is the hash of the body, so it changes whenever anything the client would see changes
(a status, a note, a page shifting), and two callers who see different things (an api_key that
may see its own unverified reports) never share one. `Cache-Control: no-cache` lets a client or
proxy keep the answer but makes it ask again each time; `private` when the answer depends on who
asks.
"""

import hashlib

from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date, quote_etag


def etag_of(content):
    """The ETag set_response_etag gives this body (kept with a cached body: no hashing per hit)."""
    return quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())


def answer(request, response, *, last_modified=None, private=False, etag=None):
    """`response` with validators; a 304 instead when the request's If-None-Match /
    If-Modified-Since say the client has it. `etag`: the body's ETag when already known."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if etag is None:
        set_response_etag(response)
    else:
        response.headers["ETag"] = etag
    timestamp = None
    if last_modified is not None:
        timestamp = int(last_modified.timestamp())
        response.headers["Last-Modified"] = http_date(timestamp)
    patch_cache_control(response, no_cache=True, **({"private": True} if private else {}))
    return get_conditional_response(
        request, etag=response.headers["ETag"], last_modified=timestamp, response=response
    )
