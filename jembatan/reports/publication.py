"""Cached public answers, and the one version that keeps them correct.

Every public read (Open311's lists and requests, the REST API's public list and anonymous track,
the portal's public list and report page) is the same bytes for everyone who may read it until
something it shows changes. Those reads are cached here under a key made of everything else that
changes the answer (path, the parameters that matter, format, language), and each cached entry
remembers the **public version** it was built from. A cached answer is served only while that
version is still the current one.

The public version is a token in one row (PublicVersion), read with one primary-key query per
request. `reports/actions/_common.py:_record`, which every action calls to write its timeline event,
calls `note_change`, which sets a new random token **in the action's own transaction**:

- a reader that reads the token before the action commits gets the old token and may build its
  answer from the old data; that entry is dead the moment the action commits (the token moved with
  the data, atomically), so the very next request after a verify / close / archive / merge /
  confidentiality change / follow-up builds a fresh answer;
- the token is read *before* the data, and from the same database (the replica when a GET reads
  from one), so an entry is never filed under a newer token than the data
  it holds (the reverse, newer data under an older token, only makes it die sooner);
- the token is random, not a counter: a database restored from a backup, or a test transaction
  rolled back, can never bring back a token that a cached entry still carries.

On PostgreSQL the token's row is locked from the action's first timeline entry to its commit, so
actions that change what the public sees take their turn on it (each holds it for the rest of
its transaction: milliseconds). Rule for actions: take every row lock (the report, its
dispositions, followers) before the first timeline entry, so the token's row is the last lock a
transaction waits for and two actions can never wait on each other (mark_duplicate closes the
duplicate, which locks its dispositions, before it writes the original's entry).

Only a new report's own `submitted` event leaves the token alone (a report that nobody but its
reporter may read yet changes no public answer; a new number is never cached as "not found"), so
intake does not empty the cache. Everything else, public or internal, changes it: over-invalidating
costs one rebuild, under-invalidating would show a stale page.

What is outside the actions is covered by the entries' lifetime (PUBLIC_CACHE_SECONDS): a category,
agency or region renamed in the back office, public texts re-derived by `store_public_texts`, and
time itself where an answer depends on it (each entry may carry its own `valid_until`, e.g. the
moment the oldest report of an Open311 default 90-day window leaves it).

What is never cached (the callers decide, before asking): anything for a signed-in user or an
authenticated API caller, an Open311 request with an api_key (it may see its own unverified
reports), a track with an access code, error answers. The key never holds a credential.

The backend is Django's default cache: LocMem per process (each worker keeps its own copies; the
token makes every copy correct) or Redis when configured. A cache that does not answer is skipped
(counted in jembatan_fail_open_total{component="public_cache"}); the answer is built as usual.
"""

import hashlib
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, router
from django.utils import translation

from jembatan.observability import Outage
from jembatan.reports.events import EventAction
from jembatan.reports.models import PublicVersion

_TABLE = PublicVersion._meta.db_table
_ROW = 1
# Plain SQL: read on every cached request; the ORM would cost more to build it than to run it.
_READ_SQL = f"SELECT token FROM {_TABLE} WHERE id = %s"  # noqa: S608 (the table name is ours)
_BUMP_SQL = (
    f"INSERT INTO {_TABLE} (id, token) VALUES (%s, %s) "  # noqa: S608
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)


def _release():
    """A digest of the code and templates that build public answers (their sizes and times)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("api", "portal", "reports", "templates", "locale"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt", ".mo"):
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:8]


# A deploy that changes how an answer is built must not serve answers built by the old code from
# a shared cache (Redis outlives the processes): the key carries the release.
_RELEASE = _release()

outage = Outage("public_cache", "public answers are built on every request")


def current():
    """The public version now (0 before any action), from the database this request reads from:
    a replica's token is replicated with the data it describes (jembatan/replica.py)."""
    with connections[router.db_for_read(PublicVersion)].cursor() as cursor:
        cursor.execute(_READ_SQL, [_ROW])
        row = cursor.fetchone()
    return row[0] if row else 0


def bump():
    """Give the public data a new version (inside the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(_BUMP_SQL, [_ROW, secrets.randbits(62) + 1])


def note_change(report, action):
    """An action recorded `action` on `report`: a new public version, unless it cannot matter."""
    if action == EventAction.SUBMITTED and not report.is_public:
        return  # a new, unverified report: no public answer shows it yet
    bump()


def key(namespace, *parts):
    """A cache key for these parts (hashed: a query string is neither short nor safe as a key)."""
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
    return f"public:{_RELEASE}:{namespace}:{digest}"


def language():
    return translation.get_language() or settings.LANGUAGE_CODE


class Lookup:
    """One cache look-up: `hit` (the payload) or, on a miss, `store(payload)` for the answer built
    after it, under the version read *before* the data was."""

    def __init__(self, name):
        self.name = name
        self.version = current()
        self.hit = None
        try:
            entry = cache.get(name)
        except Exception as exc:  # the backend's own errors (redis.ConnectionError, timeouts, …)
            outage.failed(exc)
            return
        outage.ok()
        if entry is None:
            return
        version, valid_until, payload = entry
        if version == self.version and (valid_until is None or time.time() < valid_until):
            self.hit = payload

    def store(self, payload, *, valid_until=None, size=0):
        store(self.name, self.version, payload, valid_until=valid_until, size=size)


def store(name, version, payload, *, valid_until=None, size=0):
    """Keep `payload` under `name` for `version` (skipped when bigger than PUBLIC_CACHE_MAX_BYTES)."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    if not seconds or size > settings.PUBLIC_CACHE_MAX_BYTES:
        return
    if valid_until is not None:
        left = valid_until - time.time()
        if left <= 0:
            return
        seconds = min(seconds, max(1, int(left)))
    try:
        cache.set(name, (version, valid_until, payload), timeout=seconds)
    except Exception as exc:
        outage.failed(exc)


def store_many(entries, version):
    """Keep several payloads at once: {name: (payload, size)}."""
    seconds = settings.PUBLIC_CACHE_SECONDS
    if not seconds:
        return
    values = {
        name: (version, None, payload)
        for name, (payload, size) in entries.items()
        if size <= settings.PUBLIC_CACHE_MAX_BYTES
    }
    try:
        cache.set_many(values, timeout=seconds)
    except Exception as exc:
        outage.failed(exc)


def enabled():
    return bool(settings.PUBLIC_CACHE_SECONDS)
