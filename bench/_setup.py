"""Shared set-up for the benchmarks: their own database, Django configured for it, migrated.

A benchmark never touches the development database: it points DATABASE_URL (and JEMBATAN_VAR_DIR,
where the Huey queue file would go) at its own place before Django reads the settings.
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path("/tmp/jembatan-bench")
DEFAULT_DATABASE_URL = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"


def prepare_database(url, *, rebuild=False):
    """Create the benchmark's database (PostgreSQL: CREATE DATABASE; SQLite: the folder) if missing.

    With `rebuild`, drop it first. Returns True when the database is new (empty).
    """
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return not path.exists()
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise SystemExit(
            "Give the benchmark its own database, e.g. postgres://postgres@127.0.0.1:5432/jb_bench"
        )
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


def setup_django(database_url, *, migrate=True):
    """Configure Django for the benchmark database and migrate it (unless `migrate` is False: a
    data set another run owns, read only); call before importing models."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("JEMBATAN_ENV", "development")
    os.environ.setdefault("JEMBATAN_VAR_DIR", str(BENCH_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jembatan.settings")
    # DEBUG keeps every query in memory: a benchmark of a million rows must not.
    os.environ["DEBUG"] = "false"
    # Queue delivery in memory: the benchmark measures the sweep, not a Huey backend's disk.
    os.environ.setdefault("HUEY_BACKEND", "memory")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not migrate:
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


class Stopwatch:
    """`with Stopwatch() as t: …` then t.seconds."""

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False


def timestamp_formatter(suffix):
    """Epoch seconds → the text the database takes for a timestamp, fast (a million rows, several
    timestamps each): the date part is formatted once per day. `suffix` is the zone: "+00" for
    PostgreSQL, "" for SQLite."""
    days = {}

    def fmt(epoch):
        if epoch is None:
            return None
        day, seconds = divmod(int(epoch), 86_400)
        text = days.get(day)
        if text is None:
            text = days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))
        hours, rest = divmod(seconds, 3600)
        return f"{text} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}{suffix}"

    return fmt


def secondary_indexes(cursor, table, vendor):
    """(name, CREATE statement) of the table's indexes that no constraint owns: dropped before a bulk
    load and created again after it."""
    if vendor == "postgresql":
        cursor.execute(
            """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
               WHERE t.relname = %s
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
            [table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
    return cursor.fetchall()


# Memory for building an index after a bulk load (PostgreSQL's default, 64 MB, makes the sort of a
# 5,000,000-row table, or a GIN index over its texts, spill to disk in many passes). A session
# setting: the server's configuration is not changed. BENCH_MAINTENANCE_WORK_MEM overrides it.
INDEX_BUILD_MEMORY = os.environ.get("BENCH_MAINTENANCE_WORK_MEM", "1GB")


def index_build_memory(cursor, vendor):
    """Give this session's index builds INDEX_BUILD_MEMORY (PostgreSQL; nothing on SQLite)."""
    if vendor == "postgresql":
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [INDEX_BUILD_MEMORY])


def bulk_insert(vendor, cursor, table, columns, rows):
    """Rows into a table as fast as the database takes them: COPY on PostgreSQL, executemany on SQLite."""
    if vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    cursor.executemany(sql, rows)


class QueryTimer:
    """Times every query a page makes (use with connection.execute_wrapper): `queries` holds
    (seconds, sql) in order, `params` the parameters of each (for EXPLAIN)."""

    def __init__(self):
        self.queries = []
        self.params = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql))
            self.params.append(params)
