"""Facts: what the dashboards count about one report and one disposition, derived once.

Definitions used by every number on the dashboards (and by the drill-down lists behind them):

- A report's day is the Asia/Jakarta date it was received (`submitted_at`); a disposition's day
  is the date it was disposed.
- Region: the kabupaten/kota containing the report's region (a village counts for its kabupaten/
  kota), or its province when only the province is known.
- Responsible agency (instansi penanggung jawab): the first live disposition's agency (not returned
  as bukan wewenang, not forwarded away), else the verifying agency, else none (national). Every
  report counts for exactly one agency, so the numbers of two offices always add up; and that
  agency is always one whose staff may see the report (Report.objects.visible_to).
- Verified on time: verified by `verification_due_at`, which already holds the PermenPANRB 62/2018
  rule of 3 hari kerja and the pause while the reporter completes information. Overdue: not yet
  verified and the SLA sweep has marked the deadline breached.
- First follow-up on time: the disposition's first response by `first_response_due_at` (5 hari
  kerja); overdue: still open, no response, breached. Completed on time: answered by the
  disposition's `completion_due_at`; overdue: still open after a response, breached.
- Working days are counted with reports.sla.WorkingCalendar (holidays and cuti bersama excluded).

The breach markers are set by the SLA sweep through an action, which writes a timeline event, so a
fact only changes when an event is written: that is what lets rollups.refresh follow the events.
"""

import functools

from django.db import connection, transaction
from django.utils import timezone

from jembatan.insights.models import NATIONAL, DispositionFact, ReportFact
from jembatan.reports.models import (
    OPEN_DISPOSITION_STATUSES,
    Disposition,
    DispositionStatus,
    Report,
    Status,
)
from jembatan.reports.search import words_of
from jembatan.reports.sla import JAKARTA

# Words too common in complaint titles to say what a complaint is about (after the 4-letter minimum).
STOPWORDS = frozenset(
    """
    yang dengan untuk dari pada adalah dalam oleh juga agar bagi para sebagai serta kepada tersebut
    mohon tolong bapak terima kasih sudah belum tidak sangat karena akan bisa masih lagi kami saya
    kita mereka laporan lapor pengaduan keluhan aduan terkait mengenai tentang atas bagaimana kenapa
    mengapa apakah minta meminta permohonan harap segera banyak sering setiap hari tahun bulan
    minggu sekarang hingga sampai sejak belakang depan samping dekat sekitar dapat telah pernah
    kepada kenapa dimana kapan siapa agar supaya namun tetapi tapi atau serta maupun lain lainnya
    yth pemerintah pemkot pemkab pemprov kota kabupaten provinsi kecamatan kelurahan desa warga
    masyarakat wilayah daerah tinggal mohonkan ditindaklanjuti tindak lanjut perihal
    """.split()
)
MAX_WORDS = 10  # 10 × (30 + 1) characters fit ReportFact.words
WORD_MIN_LENGTH = 4
WORD_MAX_LENGTH = 30
REBUILD_BATCH = 5000  # reports whose facts a full rebuild replaces in one transaction


def local_day(moment):
    return moment.astimezone(JAKARTA).date()


def month_of(day):
    return day.replace(day=1)


def region_parts(code):
    """(province code, kabupaten/kota code) of a region code; ("", "") when unknown."""
    if not code:
        return "", ""
    parts = code.split(".")
    return parts[0], ".".join(parts[:2])


# Many reports share a title (a campaign, a form's default text): each is read once.
@functools.lru_cache(maxsize=10_000)
def title_words(title):
    """The distinct topic words of a title, in a stable order (at most MAX_WORDS)."""
    seen = []
    for word in words_of(title):
        if (
            WORD_MIN_LENGTH <= len(word) <= WORD_MAX_LENGTH
            and word.isalpha()
            and word not in STOPWORDS
            and word not in seen
        ):
            seen.append(word)
        if len(seen) == MAX_WORDS:
            break
    return " ".join(seen)


# --- The rows the facts are computed from, and the facts' values ------------------------------------
#
# Facts are computed from plain rows (tuples of these columns, as values_list returns them), not
# from model instances: a full rebuild computes millions of them, and building a model instance
# cost more than computing its fact.

# The columns the facts are computed from (and no others: the description is not read).
REPORT_SOURCE = (
    "pk",
    "submitted_at",
    "region_id",
    "category_id",
    "category__parent_id",
    "verifying_agency_id",
    "channel",
    "kind",
    "status",
    "verified_at",
    "verification_due_at",
    "breached_at",
    "answered_at",
    "completion_due_at",
    "rating",
    "title",
    "duplicate_of_id",
    "latitude",
    "longitude",
)
DISPOSITION_SOURCE = (
    "pk",
    "report_id",
    "agency_id",
    "status",
    "disposed_at",
    "first_response_due_at",
    "first_response_at",
    "completion_due_at",
    "answered_at",
    "breached_at",
)
# The stored columns of each fact besides its key and computed_at, in the order of the model (and of
# the tuples report_fact and disposition_fact return; tests/test_fact_rebuild.py checks both).
REPORT_FACT_FIELDS = (
    "day",
    "month",
    "province",
    "region",
    "agency",
    "verifier",
    "category",
    "category_group",
    "channel",
    "kind",
    "status",
    "verified",
    "verified_on_time",
    "verify_overdue",
    "verify_wd",
    "answered",
    "answered_on_time",
    "answer_wd",
    "rating",
    "words",
    "latitude",
    "longitude",
)
DISPOSITION_FACT_FIELDS = (
    "report_id",
    "day",
    "month",
    "province",
    "region",
    "agency",
    "category",
    "category_group",
    "status",
    "responded",
    "responded_on_time",
    "response_overdue",
    "completed",
    "completed_on_time",
    "completion_overdue",
    "returned",
    "wd",
)
_R_PK, _R_DUPLICATE_OF = REPORT_SOURCE.index("pk"), REPORT_SOURCE.index("duplicate_of_id")
_D_PK, _D_REPORT = DISPOSITION_SOURCE.index("pk"), DISPOSITION_SOURCE.index("report_id")
_D_AGENCY, _D_STATUS = DISPOSITION_SOURCE.index("agency_id"), DISPOSITION_SOURCE.index("status")
_D_DISPOSED = DISPOSITION_SOURCE.index("disposed_at")
# What a disposition's fact takes from its report's fact (the report's place and category).
_PLACE = slice(REPORT_FACT_FIELDS.index("province"), REPORT_FACT_FIELDS.index("region") + 1)
_CATEGORY = slice(REPORT_FACT_FIELDS.index("category"), REPORT_FACT_FIELDS.index("category_group") + 1)


class FactCalendar:
    """The working calendar for computing many facts: the working days between two local days are
    counted once per pair of days (a rebuild asks for a few thousand pairs, millions of times)."""

    def __init__(self, cal):
        self.cal = cal
        self._between = {}

    def working_days(self, start_day, start, end):
        """cal.working_days_between(start, end); `start_day` is local_day(start)."""
        key = (start_day, local_day(end))
        count = self._between.get(key)
        if count is None:
            count = self._between[key] = self.cal.working_days_between(start, end)
        return count


def responsible_agency(verifying_agency_id, dispositions):
    """The first live disposition's agency, else the verifier, else national (rows of DISPOSITION_SOURCE)."""
    live = [
        d
        for d in dispositions
        if d[_D_STATUS] not in (DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN)
    ]
    if live:
        return min(live, key=lambda d: (d[_D_DISPOSED], d[_D_PK]))[_D_AGENCY]
    return verifying_agency_id or NATIONAL


def report_fact(row, dispositions, clock):
    """The ReportFact values (REPORT_FACT_FIELDS) of a report row (REPORT_SOURCE); `dispositions` are
    the rows (DISPOSITION_SOURCE) of all of its dispositions; `clock` a FactCalendar."""
    (
        _pk,
        submitted_at,
        region_id,
        category_id,
        category_parent_id,
        verifying_agency_id,
        channel,
        kind,
        status,
        verified_at,
        verification_due_at,
        breached_at,
        answered_at,
        completion_due_at,
        rating,
        title,
        _duplicate_of_id,
        latitude,
        longitude,
    ) = row
    day = local_day(submitted_at)
    province, region = region_parts(region_id)
    verified = verified_at is not None
    answered = answered_at is not None
    return (
        day,  # day
        month_of(day),  # month
        province,
        region,
        responsible_agency(verifying_agency_id, dispositions),  # agency
        verifying_agency_id or NATIONAL,  # verifier
        category_id or 0,  # category
        (category_parent_id or category_id) if category_id else 0,  # category_group
        channel,
        kind,
        status,
        verified,
        bool(verified and verification_due_at and verified_at <= verification_due_at),  # verified_on_time
        not verified and status == Status.BELUM_TERVERIFIKASI and breached_at is not None,  # verify_overdue
        clock.working_days(day, submitted_at, verified_at) if verified else -1,  # verify_wd
        answered,
        bool(answered and completion_due_at and answered_at <= completion_due_at),  # answered_on_time
        clock.working_days(day, submitted_at, answered_at) if answered else -1,  # answer_wd
        rating or 0,  # rating
        title_words(title),  # words
        latitude,
        longitude,
    )


def disposition_fact(row, report_values, clock):
    """The DispositionFact values (DISPOSITION_FACT_FIELDS) of a disposition row (DISPOSITION_SOURCE);
    `report_values` is its report's fact (whose place and category it counts under)."""
    (
        _pk,
        report_id,
        agency_id,
        status,
        disposed_at,
        first_response_due_at,
        first_response_at,
        completion_due_at,
        answered_at,
        breached_at,
    ) = row
    day = local_day(disposed_at)
    is_open = status in OPEN_DISPOSITION_STATUSES
    responded = first_response_at is not None
    completed = answered_at is not None
    breached = breached_at is not None
    return (
        report_id,
        day,  # day
        month_of(day),  # month
        *report_values[_PLACE],  # province, region
        agency_id,  # agency
        *report_values[_CATEGORY],  # category, category_group
        status,
        responded,
        bool(
            responded and first_response_due_at and first_response_at <= first_response_due_at
        ),  # responded_on_time
        is_open and not responded and breached,  # response_overdue
        completed,
        bool(completed and completion_due_at and answered_at <= completion_due_at),  # completed_on_time
        is_open and responded and breached,  # completion_overdue
        status == DispositionStatus.BUKAN_WEWENANG,  # returned
        clock.working_days(day, disposed_at, answered_at) if completed else -1,  # wd
    )


def by_report(disposition_rows):
    """{report id: [disposition rows]}."""
    result = {}
    for row in disposition_rows:
        result.setdefault(row[_D_REPORT], []).append(row)
    return result


def facts_of(report_rows, dispositions, clock):
    """The facts of these reports: ({report id: values}, {disposition id: values}).

    A report merged into another has none (nor have its dispositions): one problem counts once, and
    a merged report is one more voice of the original (its page and the workbench queue count them),
    not one more problem.
    """
    reports, disposition_facts = {}, {}
    for row in report_rows:
        if row[_R_DUPLICATE_OF]:
            continue
        own = dispositions.get(row[_R_PK], ())
        values = reports[row[_R_PK]] = report_fact(row, own, clock)
        for disposition in own:
            disposition_facts[disposition[_D_PK]] = disposition_fact(disposition, values, clock)
    return reports, disposition_facts


class Touched:
    """The periods whose cubes must be re-aggregated after facts changed."""

    def __init__(self):
        self.report_days, self.report_months = set(), set()
        self.disposition_days, self.disposition_months = set(), set()

    def add_report(self, *facts):
        """Facts are value tuples (REPORT_FACT_FIELDS) or None."""
        for fact in facts:
            if fact is not None:
                self.report_days.add(fact[_RF_DAY])
                self.report_months.add(fact[_RF_MONTH])

    def add_disposition(self, *facts):
        """Facts are value tuples (DISPOSITION_FACT_FIELDS) or None."""
        for fact in facts:
            if fact is not None:
                self.disposition_days.add(fact[_DF_DAY])
                self.disposition_months.add(fact[_DF_MONTH])

    def __bool__(self):
        return bool(self.report_days or self.disposition_days)


_RF_DAY, _RF_MONTH = REPORT_FACT_FIELDS.index("day"), REPORT_FACT_FIELDS.index("month")
_DF_DAY, _DF_MONTH = DISPOSITION_FACT_FIELDS.index("day"), DISPOSITION_FACT_FIELDS.index("month")


# --- Incremental: the facts of some reports, written where they changed -----------------------------


def refresh_facts(report_ids, cal, touched=None):
    """Recompute the facts of these reports and their dispositions; write only what changed.

    Returns the Touched periods (old and new values of every changed fact).
    """
    touched = touched if touched is not None else Touched()
    report_ids = list(report_ids)
    if not report_ids:
        return touched
    rows = read_rows(Report.objects.filter(pk__in=report_ids).values_list(*REPORT_SOURCE))
    dispositions = by_report(
        read_rows(Disposition.objects.filter(report_id__in=report_ids).values_list(*DISPOSITION_SOURCE))
    )
    old_reports = {
        pk: values
        for pk, *values in ReportFact.objects.filter(report_id__in=report_ids).values_list(
            "report_id", *REPORT_FACT_FIELDS
        )
    }
    old_dispositions = {
        pk: values
        for pk, *values in DispositionFact.objects.filter(report_id__in=report_ids).values_list(
            "disposition_id", *DISPOSITION_FACT_FIELDS
        )
    }
    reports, disposition_facts = facts_of(rows, dispositions, FactCalendar(cal))
    write_reports, write_dispositions = [], []
    for pk, fact in reports.items():
        old = old_reports.get(pk)
        if old is None or tuple(old) != fact:
            write_reports.append(ReportFact(report_id=pk, **dict(zip(REPORT_FACT_FIELDS, fact, strict=True))))
            touched.add_report(old, fact)
    for pk, fact in disposition_facts.items():
        old = old_dispositions.get(pk)
        if old is None or tuple(old) != fact:
            write_dispositions.append(
                DispositionFact(disposition_id=pk, **dict(zip(DISPOSITION_FACT_FIELDS, fact, strict=True)))
            )
            touched.add_disposition(old, fact)
    # Facts of reports merged since (or gone), and of dispositions that are no more.
    gone_reports = [pk for pk in old_reports if pk not in reports]
    if gone_reports:
        touched.add_report(*(old_reports[pk] for pk in gone_reports))
        ReportFact.objects.filter(report_id__in=gone_reports).delete()
    gone = [pk for pk in old_dispositions if pk not in disposition_facts]
    if gone:
        touched.add_disposition(*(old_dispositions[pk] for pk in gone))
        DispositionFact.objects.filter(pk__in=gone).delete()
    _write_facts(write_reports, write_dispositions)
    return touched


def _write_facts(reports, dispositions):
    """Insert or update the changed facts, a batch at a time."""
    if reports:
        ReportFact.objects.bulk_create(
            reports,
            update_conflicts=True,
            unique_fields=["report"],
            update_fields=[*REPORT_FACT_FIELDS, "computed_at"],
            batch_size=500,
        )
    if dispositions:
        DispositionFact.objects.bulk_create(
            dispositions,
            update_conflicts=True,
            unique_fields=["disposition"],
            update_fields=[*DISPOSITION_FACT_FIELDS, "computed_at"],
            batch_size=500,
        )


# --- Full rebuild: every fact, replaced a batch of reports at a time ---------------------------------


def rebuild_facts(cal, progress=None, batch=REBUILD_BATCH):
    """Recompute the facts of every report; return how many reports were read.

    The reports are read in order of id, `batch` at a time; in one transaction per batch, every fact
    of a report id in (previous batch's last id, this batch's last id] is deleted and the new ones
    are inserted (COPY on PostgreSQL). The old facts are not read: a rebuild writes them all. The
    ranges cover every id (the first from below, the last to above), so the facts of reports that
    are gone, merged or lost a disposition go with them; until its batch commits, a report keeps
    its old facts.
    """
    clock = FactCalendar(cal)
    low, count = None, 0
    while True:
        reports = Report.objects.order_by("pk")
        if low is not None:
            reports = reports.filter(pk__gt=low)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A crash may lose the last batches' commits, not corrupt them (the rebuild is run
                # again); the final commit of rebuild() makes every earlier one durable.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            rows = read_rows(reports.values_list(*REPORT_SOURCE)[:batch])
            high = rows[-1][_R_PK] if len(rows) == batch else None  # the last batch: every id above
            dispositions = []
            if rows:
                dispositions = read_rows(
                    Disposition.objects.filter(
                        report_id__gte=rows[0][_R_PK], report_id__lte=rows[-1][_R_PK]
                    ).values_list(*DISPOSITION_SOURCE)
                )
            facts, disposition_facts = facts_of(rows, by_report(dispositions), clock)
            for model in (ReportFact, DispositionFact):
                old = model.objects.all()
                if low is not None:
                    old = old.filter(report_id__gt=low)
                if high is not None:
                    old = old.filter(report_id__lte=high)
                old.delete()  # one DELETE: nothing refers to a fact
            now = timezone.now()
            insert_rows(
                ReportFact,
                ("report_id", *REPORT_FACT_FIELDS, "computed_at"),
                ((pk, *values, now) for pk, values in facts.items()),
            )
            insert_rows(
                DispositionFact,
                ("disposition_id", *DISPOSITION_FACT_FIELDS, "computed_at"),
                ((pk, *values, now) for pk, values in disposition_facts.items()),
            )
        count += len(rows)
        if progress and rows:
            progress(len(rows))
        if high is None:
            return count
        low = high


def read_rows(queryset):
    """The rows of a values_list() queryset of plain columns (no converters needed), as a list.

    On PostgreSQL they are read with psycopg's own timestamptz loader (in C) instead of Django's,
    a Python subclass of it that only sets the zone to the connection's (UTC, as psycopg's does):
    parsing the timestamps was a third of the time of computing the facts.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    from psycopg.types.datetime import TimestamptzLoader

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def insert_rows(model, columns, rows):
    """Insert plain rows (tuples of Python values for `columns`) into the model's table, fast:
    COPY on PostgreSQL, one executemany elsewhere. No model instance is built and nothing is
    computed on save: `rows` holds every value (an auto_now column too)."""
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = [
            connection.ops.adapt_datetimefield_value
            if model._meta.get_field(c).get_internal_type() == "DateTimeField"
            else None
            for c in columns
        ]
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
            [tuple(a(v) if a else v for a, v in zip(adapt, row, strict=True)) for row in rows],
        )
