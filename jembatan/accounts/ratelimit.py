"""The one rate counter every limit of the site uses: logins, access codes, the portal's and the
accounts' per-address limits, the REST API, Open311 and the intake webhooks.

Interface (small on purpose, so a Redis backend is a few lines: INCRBY + EXPIRE per bucket, MGET):

    counter().add(kind, key, window=…)     count one event (or `amount`)
    counter().count(kind, key, window=…)   the count inside the window, without adding
    counter().clear(kind, key)             forget the key (e.g. a successful login)
    counter().count_many([(kind, key, window), …]) / add_many([(kind, key, window, amount), …])
                                           several limits of one request in one round trip each
    counter().add_many_with_next_transaction([…])
                                           add_many in the transaction the request's work opens
                                           (SQLite: one write transaction a request, not two)

Refusals are remembered in the process (`refused`, `remember_refusal`): once a key's count has
reached its limit it cannot fall below it before the next bucket boundary (a refused event is not
counted, and counts only leave the window bucket by bucket), so until then this process refuses
that key again without asking the database: a flood of refused requests costs a dict look-up each.
Refusals are counted in the metric jembatan_rate_limited_total{kind}, not written to the log.

`window` is a number of seconds. Counts are kept in buckets of a tenth of the window and a count
sums the buckets whose start lies inside the window, so it may miss up to a tenth of the window's
oldest events (it never counts an event older than the window). A limit is checked with count()
before the work and add() after it, so a refused request writes nothing: refusals are cheap.

The counts must agree across web workers. Two backends do that:
- "database" (RateCount rows, one per kind, key and bucket, updated in place);
- "cache" (Django's default cache), only when that cache is shared between processes (Redis).
RATE_COUNTER picks one; by default the cache when CACHE_URL is redis://, else the database.

The cache counter fails open: while Redis does not answer, add() and clear() do nothing and count()
says 0, so every limit lets requests through instead of failing them with a 5xx. A limit is a
brake on abuse, not a guard of data; a Redis restart must not take logins, submissions and the API
down with it. The outage is logged once per episode and counted in /metrics
(jembatan_fail_open_total{component="ratelimit"}).
"""

import contextlib
import functools
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from jembatan.accounts.models import RateCount
from jembatan.observability import Outage

BUCKETS_PER_WINDOW = 10
# Keys are hashed: a phone number or an e-mail address is neither a safe cache key nor something
# to keep readable in a counter table.
KEY_LENGTH = 40


def _digest(key):
    return hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:KEY_LENGTH]


def _bucket_seconds(window):
    return max(1, int(window) // BUCKETS_PER_WINDOW)


def _first_counted(window, now):
    """The earliest bucket start still inside the window ending at `now`."""
    size = _bucket_seconds(window)
    return (math.floor(now - window) // size + 1) * size


def _bucket(window, now):
    size = _bucket_seconds(window)
    return math.floor(now) // size * size


_TABLE = RateCount._meta.db_table
# Plain SQL: every API request runs both, and building them through the ORM cost more than running
# them. The upsert is one statement on SQLite (3.24+) and PostgreSQL, on the unique bucket index.
_COUNT_SQL = (
    f"SELECT COALESCE(SUM(count), 0) FROM {_TABLE} "  # noqa: S608 (the table name is ours)
    "WHERE kind = %s AND key = %s AND bucket >= %s AND bucket <= %s"
)
_ADD_SQL = (
    f"INSERT INTO {_TABLE} (kind, key, bucket, count) VALUES (%s, %s, %s, %s) "
    f"ON CONFLICT (kind, key, bucket) DO UPDATE SET count = {_TABLE}.count + excluded.count"
)


def _count_many_sql(n):
    """One SELECT summing n (kind, key) windows: the limits of one request in one round trip."""
    where = " OR ".join(["(kind = %s AND key = %s AND bucket >= %s AND bucket <= %s)"] * n)
    return (
        f"SELECT kind, key, COALESCE(SUM(count), 0) FROM {_TABLE} "  # noqa: S608 (ours)
        f"WHERE {where} GROUP BY kind, key"
    )


def _add_many_sql(n):
    """One multi-row upsert (distinct (kind, key) pairs: no row of it conflicts with another)."""
    rows = ", ".join(["(%s, %s, %s, %s)"] * n)
    return (
        f"INSERT INTO {_TABLE} (kind, key, bucket, count) VALUES {rows} "  # noqa: S608 (ours)
        f"ON CONFLICT (kind, key, bucket) DO UPDATE SET count = {_TABLE}.count + excluded.count"
    )


class DatabaseCounter:
    def count_many(self, items, *, now=None):
        """The counts of several (kind, key, window), in their order, with one query."""
        if len(items) == 1:
            kind, key, window = items[0]
            return [self.count(kind, key, window=window, now=now)]
        now = time.time() if now is None else now
        params, wanted = [], []
        for kind, key, window in items:
            digest = _digest(key)
            wanted.append((kind, digest))
            params += [kind, digest, _first_counted(window, now), math.floor(now)]
        with connection.cursor() as cursor:
            cursor.execute(_count_many_sql(len(items)), params)
            found = {(kind, digest): int(total or 0) for kind, digest, total in cursor.fetchall()}
        return [found.get(pair, 0) for pair in wanted]

    def add_many(self, items, *, now=None):
        """Count several (kind, key, window, amount) with one statement (distinct (kind, key))."""
        if not items:
            return
        now = time.time() if now is None else now
        params = []
        for kind, key, window, amount in items:
            params += [kind, _digest(key), _bucket(window, now), amount]
        with connection.cursor() as cursor:
            cursor.execute(_add_many_sql(len(items)) if len(items) > 1 else _ADD_SQL, params)

    def add_many_with_next_transaction(self, items, *, now=None):
        """add_many, written in the first transaction the `with` block opens (see _AddInTransaction)
        on SQLite; at once elsewhere. Returns the context manager to run the block in."""
        now = time.time() if now is None else now
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            # PostgreSQL: an upsert inside the report's transaction would hold the bucket row's lock
            # until its commit and queue every request of the key behind it; there the count is
            # its own short transaction. Already inside a transaction: it is that one's anyway.
            self.add_many(items, now=now)
            return contextlib.nullcontext()
        return _AddInTransaction(self, items, now)

    def add(self, kind, key, *, window, now=None, amount=1):
        now = time.time() if now is None else now
        with connection.cursor() as cursor:
            cursor.execute(_ADD_SQL, [kind, _digest(key), _bucket(window, now), amount])

    def count(self, kind, key, *, window, now=None):
        now = time.time() if now is None else now
        with connection.cursor() as cursor:
            cursor.execute(_COUNT_SQL, [kind, _digest(key), _first_counted(window, now), math.floor(now)])
            return int(cursor.fetchone()[0] or 0)

    def clear(self, kind, key):
        _refused_until.pop((kind, key), None)
        RateCount.objects.filter(kind=kind, key=_digest(key)).delete()

    def prune(self, *, older_than):
        """Delete buckets that started before `older_than` (epoch seconds); return how many."""
        return RateCount.objects.filter(bucket__lt=older_than).delete()[0]


class _AddInTransaction:
    """Count a request's events in the first write transaction its work opens, on SQLite.

    SQLite has one writer at a time for the whole file: a count written on its own is a second
    write transaction per request (a commit, and a wait for the write lock that the other web
    workers' transactions hold), and the report's transaction takes that lock anyway. So the upsert
    waits for the first statement run inside a transaction (a database execute wrapper: Django's
    documented hook, and the only place a transaction's first statement can be seen without the
    action knowing about rate limits) and is run just before it, in the same transaction. It
    commits with it. When no transaction commits in the block (the request failed validation
    before its action began, or its transaction rolled back), the events are counted on their own
    when the block ends: a request that went on to the work counts whatever happened to it.
    Until the commit, other processes do not see these events yet: a limit may let through as
    many extra requests as there are web workers writing at that moment (the check and the add
    were never one atomic step either).
    """

    def __init__(self, counts, items, now):
        self.counts, self.items, self.now = counts, items, now
        self.state = "pending"  # -> "in_transaction" -> "committed"

    def _wrapper(self, execute, sql, params, many, context):
        if self.state == "pending" and context["connection"].in_atomic_block:
            self.state = "in_transaction"
            self.counts.add_many(self.items, now=self.now)
            # Registered at the level (savepoint) the upsert ran in: it is dropped with a rollback.
            transaction.on_commit(self._committed, using=context["connection"].alias)
        return execute(sql, params, many, context)

    def _committed(self):
        self.state = "committed"

    def __enter__(self):
        self._wrapping = connection.execute_wrapper(self._wrapper)
        self._wrapping.__enter__()
        return self

    def __exit__(self, *exc_info):
        self._wrapping.__exit__(*exc_info)
        if self.state != "committed":
            self.counts.add_many(self.items, now=self.now)
        return False


outage = Outage("ratelimit", "rate limits let every request through")


def _fail_open(method, fallback=None):
    """Run the cache operation; when the cache fails, count the outage and return `fallback`."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
        except Exception as exc:  # the backend's own errors (redis.ConnectionError, timeouts, …)
            outage.failed(exc)
            return fallback
        outage.ok()
        return result

    return wrapper


class CacheCounter:
    """Buckets as cache entries that expire with the window. Only correct with a shared cache.

    Fails open (see the module docstring): add() and clear() are skipped and count() is 0 while
    the cache does not answer.
    """

    def __init__(self, backend=None):
        self.cache = backend or cache

    def _name(self, kind, key, bucket):
        return f"rate:{kind}:{_digest(key)}:{bucket}"

    def _buckets(self, window, now):
        size = _bucket_seconds(window)
        return range(_first_counted(window, now), _bucket(window, now) + 1, size)

    def add(self, kind, key, *, window, now=None, amount=1):
        now = time.time() if now is None else now
        name = self._name(kind, key, _bucket(window, now))
        # add() then incr() is atomic on Redis and memcached; the entry outlives its window.
        self.cache.add(name, 0, timeout=int(window) + _bucket_seconds(window) + 1)
        try:
            self.cache.incr(name, amount)
        except ValueError:
            # Evicted between add() and incr(): start again from this event.
            self.cache.set(name, amount, timeout=int(window) + _bucket_seconds(window) + 1)
        # The kind's known windows are not stored; clear() removes the most recent day's keys.
        self.cache.add(f"rate-window:{kind}:{_digest(key)}", int(window), timeout=86400)

    add = _fail_open(add)

    def count(self, kind, key, *, window, now=None):
        now = time.time() if now is None else now
        names = [self._name(kind, key, b) for b in self._buckets(window, now)]
        return sum(int(v) for v in self.cache.get_many(names).values())

    count = _fail_open(count, fallback=0)

    def count_many(self, items, *, now=None):
        """The counts of several (kind, key, window), in their order, with one get_many."""
        now = time.time() if now is None else now
        names = [
            [self._name(kind, key, b) for b in self._buckets(window, now)] for kind, key, window in items
        ]
        try:
            values = self.cache.get_many([n for group in names for n in group])
        except Exception as exc:  # fail open, as count()
            outage.failed(exc)
            return [0] * len(items)
        outage.ok()
        return [sum(int(values[n]) for n in group if n in values) for group in names]

    def add_many(self, items, *, now=None):
        for kind, key, window, amount in items:
            self.add(kind, key, window=window, now=now, amount=amount)

    def add_many_with_next_transaction(self, items, *, now=None):
        """Redis is not in the database's transactions: counted at once (as add_many)."""
        self.add_many(items, now=now)
        return contextlib.nullcontext()

    def clear(self, kind, key):
        _refused_until.pop((kind, key), None)
        window = self.cache.get(f"rate-window:{kind}:{_digest(key)}")
        if window:
            now = time.time()
            self.cache.delete_many([self._name(kind, key, b) for b in self._buckets(window, now)])

    clear = _fail_open(clear)

    def prune(self, *, older_than):
        return 0  # entries expire by themselves


# --- Refusals remembered in this process ----------------------------------------------------------

_refused_until = {}
MAX_REMEMBERED = 10_000  # distinct refused keys kept at once; the memory starts again beyond it


def refused(kind, key, *, now=None):
    """Seconds until (kind, key) can be allowed again, from this process's memory; 0 when unknown."""
    until = _refused_until.get((kind, key))
    if until is None:
        return 0
    now = time.time() if now is None else now
    if now >= until:
        _refused_until.pop((kind, key), None)
        return 0
    return until - now


def remember_refusal(kind, key, *, window, now=None):
    """(kind, key) has reached its limit: refuse it here until the next bucket boundary."""
    now = time.time() if now is None else now
    size = _bucket_seconds(window)
    if len(_refused_until) >= MAX_REMEMBERED:
        _refused_until.clear()
    _refused_until[(kind, key)] = (math.floor(now) // size + 1) * size


def forget_refusals():
    """Drop what this process remembers (a test's fresh start; clear() drops one key's)."""
    _refused_until.clear()


_refusal_counter = None


def count_refusal(kind):
    """One refused request of `kind`, in the metric jembatan_rate_limited_total (no log line)."""
    global _refusal_counter
    if _refusal_counter is None:
        from prometheus_client import REGISTRY, Counter

        try:
            _refusal_counter = Counter(
                "jembatan_rate_limited", "Requests refused by a rate limit, by limit.", ["kind"]
            )
        except ValueError:  # registered already (another thread was first)
            _refusal_counter = REGISTRY._names_to_collectors["jembatan_rate_limited_total"]
    _refusal_counter.labels(kind).inc()


def backend_name():
    return settings.RATE_COUNTER


def counter():
    """The counter the settings choose (see the module docstring)."""
    return CacheCounter() if settings.RATE_COUNTER == "cache" else DatabaseCounter()


def retry_after(window):
    """Seconds a refused caller is told to wait: the time for one bucket to leave the window."""
    return _bucket_seconds(window)
