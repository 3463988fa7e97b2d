"""Django's SQLite backend with one change: a statement's placeholders are converted once.

Django writes "%s" placeholders; Python's sqlite3 wants "?". The stock cursor converts every
statement on every execute with a regular expression (a look-behind, so "%%s" stays literal) over
the whole text: for the INSERT of a new report (51 columns, 2 kB of SQL) that scan cost more than
SQLite spent storing the row, and an Open311 POST ran it on seven statements (issue 15: 7% of the
instructions of a POST). The same statement texts come back request after request (the ORM's for
a code path, fastinsert's prepared INSERTs), so their converted form is kept in a bounded LRU
cache; a statement seen once costs one more dict look-up. Named ("%(name)s") parameters are
converted as before. Everything else is Django's backend: settings.py selects this module for
sqlite:// URLs, and its vendor is still "sqlite".
"""

import functools

from django.db.backends.sqlite3 import base

# Distinct statement texts kept: an IN list of a different length is a different text, so the
# bound keeps a long run of such lists from growing the cache without end.
CACHED_STATEMENTS = 2048


@functools.lru_cache(maxsize=CACHED_STATEMENTS)
def _qmark(query):
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
