"""Full-text search over reports, with Indonesian stemming, shared by the portal, the workbench and the API.

`search_reports(queryset, text)` is the one entry point; callers never build text filters
themselves, so the search engine can change underneath them.

Two engines, one behaviour: every word of the query must occur in the title or the text, after
both are reduced to their root words ("berlubang", "lubangnya" and "lubang" all find "lubang").

- PostgreSQL: the built-in `indonesian` text search configuration (a Snowball stemmer) over
  title + description, stored in the generated column `reports_report.search_document` with a GIN
  index on it (migration reports/0012). PostgreSQL computes the column on every INSERT and UPDATE
  (actions, imports, COPY), so it is never stale; a query reads the stored vector instead of
  stemming each candidate row's text again. `indonesian`, not `simple`: it is what the SQLite
  engine does too (roots, not surface words), and the stemmer strips only affixes, so names and
  numbers stay as written. The column is not a model field: SQLite has no such column, and no
  page shows it.
- SQLite: an FTS5 table `reports_search` (rowid = report id) holding the text already stemmed in
  Python by Sastrawi, the standard Indonesian stemmer. SQLite cannot call Python while it
  indexes, so the writes that change a title or a text write the index row inside their own
  transaction: the index row commits or rolls back with the report, and is never stale.
  `rebuild_index()` refills it after a bulk import that bypassed the actions.

Two documents per report: the texts as written, for staff (a verifier looks for the name a
reporter gave), and the stored redacted texts (`title_public`, `description_public`, pii.py), for a
public search (`public=True`). A public search matches only what the public page shows, so it
cannot confirm which report holds a name, a number or an address the page hides. PostgreSQL:
the generated column `search_document_public` (migration reports/0015), from the two *_public
columns, so it follows them when `store_public_texts` re-derives them. SQLite: the second column
`document_public` of the same FTS5 table (a query names its column), written where the redacted
texts are derived (Report.save(), public_texts.fill_public_texts), in the same transaction. One
table, not two (migration reports/0020): a new report is one FTS5 row, and each FTS5 table writes
a segment of its own at every commit (issue 15: a third of the full-text cost of a POST). A report
whose redacted texts are not stored yet (NULL: a bulk path skipped save()) has an empty public
document: a public search does not find it until `manage.py store_public_texts --apply` fills them.

A few very common function words are dropped from the query only ("jalan rusak di depan sekolah"
must not miss a report that says "depan sekolah"); PostgreSQL's configuration has no stop words,
so both engines get the same cleaned query.
"""

import functools
import re
import unicodedata

from django.db import connections
from django.db.models import Expression, Q
from django.db.models.expressions import RawSQL

from jembatan.reports import pii

SQLITE_TABLE = "reports_search"
SQLITE_COLUMN = "document"  # the texts as written (staff)
SQLITE_PUBLIC_COLUMN = "document_public"  # the stored redacted texts (public search)
_SQLITE_INSERT = (
    f"INSERT INTO {SQLITE_TABLE} (rowid, {SQLITE_COLUMN}, {SQLITE_PUBLIC_COLUMN}) VALUES (%s, %s, %s)"
)
# The configuration the stored column is made with (migration 0012): the query must be parsed with
# the same one, or a query word's root differs from the stored roots.
PG_CONFIG = "indonesian"
PG_COLUMN = "search_document"
PG_INDEX_NAME = "report_search_document_idx"
PG_PUBLIC_COLUMN = "search_document_public"
PG_PUBLIC_INDEX_NAME = "report_search_document_public_idx"

QUERY_STOPWORDS = frozenset(
    "yang di ke dari dan atau untuk dengan pada ini itu ada adalah dalam oleh juga agar bagi para "
    "sebagai serta kepada tersebut mohon yth".split()
)
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"[0-9a-z]+")
_TRACKING = re.compile(r"#?\d{6,12}")


def words_of(text):
    """Lower-case ASCII words of `text` (accents folded, punctuation and hyphens split)."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    return _WORD.findall(text.lower())


@functools.cache
def _stemmer():
    from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
    from Sastrawi.Stemmer.Stemmer import Stemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    class SetDictionary(ArrayDictionary):
        # Sastrawi's own dictionary is a list: every lookup scans 30,000 root words, which made a
        # single report take a second and a half to stem. A set answers in constant time.
        def __init__(self, words):
            self.words = frozenset(w.strip() for w in words if w.strip())

        def contains(self, word):
            return word in self.words

    return Stemmer(SetDictionary(StemmerFactory().get_words()))


@functools.lru_cache(maxsize=200_000)
def stem(word):
    """The root of one lower-case word ("membahayakan" → "bahaya"); numbers stay as they are."""
    if len(word) < 3 or len(word) > 40 or not word.isalpha():
        return word
    return _stemmer().stem_word(word) or word


def document(title, description):
    """The stemmed text the SQLite index stores for a report."""
    return " ".join(stem(w) for w in words_of(f"{title} {description}"))


def public_document(title_public, description_public):
    """The stemmed redacted texts the SQLite public index stores (empty while they are not stored)."""
    return document(title_public or "", description_public or "")


def query_words(text):
    """The words a query searches for: stop words dropped unless nothing else is left."""
    words = words_of(text)[: MAX_QUERY_WORDS * 2]
    kept = [w for w in words if w not in QUERY_STOPWORDS]
    return list(dict.fromkeys(kept or words))[:MAX_QUERY_WORDS]


def public_query(text):
    """`text` without the personal data public pages hide: a NIK, a phone number, an e-mail address,
    coordinates, a name after "nama saya", or any word of five digits or more (what pii.py needs to
    see one). A public search reads the redacted texts' index, where none of these is; dropping them
    from the query as well keeps a query that was only personal data from matching the placeholders
    ("[nomor telepon disembunyikan]") of every report that hides one."""
    text = (text or "").strip()
    if _TRACKING.fullmatch(text):
        return text
    text = pii.replace_spans(text, pii.detect_personal_data(text), lambda span: " ")
    return " ".join(word for word in text.split() if sum(c.isdigit() for c in word) < 5)


def search_reports(queryset, text, *, public=False):
    """Filter `queryset` to reports matching `text` (words AND-ed; a tracking number matches exactly).

    `public`: a search anyone may make (portal, public API): it matches the redacted texts the
    public sees, not the texts as written; personal data in the query is not searched for
    (public_query), and a query that was only that finds nothing.
    """
    text = (text or "").strip()
    if not text:
        return queryset
    if _TRACKING.fullmatch(text):
        return queryset.filter(tracking_number=text.lstrip("#"))
    words = query_words(public_query(text) if public else text)
    if not words:
        return queryset.none()
    vendor = connections[queryset.db].vendor
    if vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        column = PG_PUBLIC_COLUMN if public else PG_COLUMN
        return queryset.alias(_search_document=StoredSearchDocument(column)).filter(
            _search_document=SearchQuery(" ".join(words), config=PG_CONFIG, search_type="plain")
        )
    if vendor == "sqlite":
        # Quoted stems are FTS5 string literals: no query syntax from the user reaches MATCH. The
        # column filter keeps a public search to the redacted texts.
        column = SQLITE_PUBLIC_COLUMN if public else SQLITE_COLUMN
        stems = " AND ".join(f'"{s}"' for s in dict.fromkeys(stem(w) for w in words))
        match = f"{column} : ({stems})"
        return queryset.filter(
            pk__in=RawSQL(f"SELECT rowid FROM {SQLITE_TABLE} WHERE {SQLITE_TABLE} MATCH %s", [match])
        )
    title, description = ("title_public", "description_public") if public else ("title", "description")
    for word in words:  # any other database: unstemmed substring search
        queryset = queryset.filter(
            Q(**{f"{title}__icontains": word}) | Q(**{f"{description}__icontains": word})
        )
    return queryset


class StoredSearchDocument(Expression):
    """A stored tsvector column of the report row (PostgreSQL only: `search_document` or
    `search_document_public`), under whatever alias the query gives the report table
    (`reports_report`, or `U0` inside a subquery)."""

    contains_aggregate = False

    def __init__(self, column=PG_COLUMN):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.column = column

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(self.column)}", []


def index_new_report(report, using=None):
    """Write a report inserted in this transaction into the SQLite index: both documents, one row
    (PostgreSQL needs nothing: its columns are generated). Report ids are AUTOINCREMENT, never
    reused: a stray row would make the INSERT fail, not go unseen."""
    connection = connections[using or report._state.db or "default"]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _SQLITE_INSERT,
            [
                report.pk,
                document(report.title, report.description),
                public_document(report.title_public, report.description_public),
            ],
        )


def index_report(report, using=None):
    """Write one report's stemmed texts as written into the SQLite index (PostgreSQL needs nothing:
    its column is generated). The public document follows the redacted texts: Report.save() writes
    it where it derives them (index_public_texts); a report with no index row yet gets both."""
    connection = connections[using or report._state.db or "default"]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SQLITE_TABLE} SET {SQLITE_COLUMN} = %s WHERE rowid = %s",
            [document(report.title, report.description), report.pk],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                _SQLITE_INSERT,
                [
                    report.pk,
                    document(report.title, report.description),
                    public_document(report.title_public, report.description_public),
                ],
            )


def index_public_texts(rows, using="default"):
    """Write (pk, title_public, description_public) rows into the public document of the SQLite
    index (after the stored redactions were derived again); nothing elsewhere. A report with no
    index row yet gets one with an empty staff document (rebuild_index fills it)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for pk, title, description in rows:
            public = public_document(title, description)
            cursor.execute(
                f"UPDATE {SQLITE_TABLE} SET {SQLITE_PUBLIC_COLUMN} = %s WHERE rowid = %s", [public, pk]
            )
            if cursor.rowcount == 0:
                cursor.execute(
                    _SQLITE_INSERT,
                    [pk, "", public],
                )


def create_sqlite_index(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5("
            f"{SQLITE_COLUMN}, {SQLITE_PUBLIC_COLUMN}, tokenize = 'unicode61 remove_diacritics 2')"
        )


def rebuild_index(using="default", batch=2000):
    """Refill the SQLite index (both documents) from every report (after a bulk import); returns
    the count."""
    from jembatan.reports.models import Report

    connection = connections[using]
    if connection.vendor != "sqlite":
        return 0
    rows = (
        Report.objects.using(using)
        .order_by("pk")
        .values_list("pk", "title", "description", "title_public", "description_public")
    )
    create_sqlite_index(connection)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SQLITE_TABLE}")
        chunk = []
        for pk, title, description, title_public, description_public in rows.iterator(chunk_size=batch):
            chunk.append(
                (pk, document(title, description), public_document(title_public, description_public))
            )
            if len(chunk) >= batch:
                cursor.executemany(_SQLITE_INSERT, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(_SQLITE_INSERT, chunk)
            count += len(chunk)
    return count
