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


def responsible_agency(report, dispositions):
    live = [
        d
        for d in dispositions
        if d.status not in (DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN)
    ]
    if live:
        return min(live, key=lambda d: (d.disposed_at, d.pk)).agency_id
    return report.verifying_agency_id or NATIONAL


def _wd(cal, start, end):
    return cal.working_days_between(start, end)


def report_fact(report, dispositions, cal):
    """The ReportFact of `report` (unsaved); `dispositions` are all of its dispositions."""
    day = local_day(report.submitted_at)
    province, region = region_parts(report.region_id)
    category = report.category
    verified = report.verified_at is not None
    answered = report.answered_at is not None
    return ReportFact(
        report_id=report.pk,
        day=day,
        month=month_of(day),
        province=province,
        region=region,
        agency=responsible_agency(report, dispositions),
        verifier=report.verifying_agency_id or NATIONAL,
        category=category.pk if category else 0,
        category_group=(category.parent_id or category.pk) if category else 0,
        channel=report.channel,
        kind=report.kind,
        status=report.status,
        verified=verified,
        verified_on_time=bool(
            verified and report.verification_due_at and report.verified_at <= report.verification_due_at
        ),
        verify_overdue=(
            not verified and report.status == Status.BELUM_TERVERIFIKASI and report.breached_at is not None
        ),
        verify_wd=_wd(cal, report.submitted_at, report.verified_at) if verified else -1,
        answered=answered,
        answered_on_time=bool(
            answered and report.completion_due_at and report.answered_at <= report.completion_due_at
        ),
        answer_wd=_wd(cal, report.submitted_at, report.answered_at) if answered else -1,
        rating=report.rating or 0,
        words=title_words(report.title),
    )


def disposition_fact(disposition, report, cal):
    """The DispositionFact of `disposition` (unsaved)."""
    day = local_day(disposition.disposed_at)
    province, region = region_parts(report.region_id)
    category = report.category
    is_open = disposition.status in OPEN_DISPOSITION_STATUSES
    responded = disposition.first_response_at is not None
    completed = disposition.answered_at is not None
    breached = disposition.breached_at is not None
    return DispositionFact(
        disposition_id=disposition.pk,
        report_id=report.pk,
        day=day,
        month=month_of(day),
        province=province,
        region=region,
        agency=disposition.agency_id,
        category=category.pk if category else 0,
        category_group=(category.parent_id or category.pk) if category else 0,
        status=disposition.status,
        responded=responded,
        responded_on_time=bool(
            responded
            and disposition.first_response_due_at
            and disposition.first_response_at <= disposition.first_response_due_at
        ),
        response_overdue=is_open and not responded and breached,
        completed=completed,
        completed_on_time=bool(
            completed
            and disposition.completion_due_at
            and disposition.answered_at <= disposition.completion_due_at
        ),
        completion_overdue=is_open and responded and breached,
        returned=disposition.status == DispositionStatus.BUKAN_WEWENANG,
        wd=_wd(cal, disposition.disposed_at, disposition.answered_at) if completed else -1,
    )


REPORT_FACT_FIELDS = [
    f.attname for f in ReportFact._meta.concrete_fields if f.attname not in ("report_id", "computed_at")
]
DISPOSITION_FACT_FIELDS = [
    f.attname
    for f in DispositionFact._meta.concrete_fields
    if f.attname not in ("disposition_id", "computed_at")
]


def _values(fact, fields):
    return tuple(getattr(fact, name) for name in fields)


class Touched:
    """The periods whose cubes must be re-aggregated after facts changed."""

    def __init__(self):
        self.report_days, self.report_months = set(), set()
        self.disposition_days, self.disposition_months = set(), set()

    def add_report(self, *facts):
        for fact in facts:
            if fact is not None:
                self.report_days.add(fact.day)
                self.report_months.add(fact.month)

    def add_disposition(self, *facts):
        for fact in facts:
            if fact is not None:
                self.disposition_days.add(fact.day)
                self.disposition_months.add(fact.month)

    def __bool__(self):
        return bool(self.report_days or self.disposition_days)


# The columns the facts are computed from (and no others: the description is not read).
REPORT_SOURCE = (
    "pk",
    "submitted_at",
    "region_id",
    "category__id",
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


def _drop_merged(reports, old_reports, touched):
    """The reports that are problems of their own; the facts of merged ones are deleted.

    One problem counts once: a report merged into another is one more voice of the original
    (its page and the workbench queue count them), not one more problem.
    """
    live, merged = [], []
    for report in reports:
        if not report.duplicate_of_id:
            live.append(report)
        elif report.pk in old_reports:
            touched.add_report(old_reports[report.pk])
            merged.append(report.pk)
    if merged:
        ReportFact.objects.filter(report_id__in=merged).delete()
    return live


def refresh_facts(report_ids, cal, touched=None):
    """Recompute the facts of these reports and their dispositions; write only what changed.

    Returns the Touched periods (old and new values of every changed fact).
    """
    touched = touched if touched is not None else Touched()
    report_ids = list(report_ids)
    if not report_ids:
        return touched
    reports = Report.objects.filter(pk__in=report_ids).select_related("category").only(*REPORT_SOURCE)
    dispositions = {}
    for d in Disposition.objects.filter(report_id__in=report_ids).only(*DISPOSITION_SOURCE):
        dispositions.setdefault(d.report_id, []).append(d)
    old_reports = ReportFact.objects.in_bulk(report_ids)
    old_dispositions = {f.disposition_id: f for f in DispositionFact.objects.filter(report_id__in=report_ids)}
    write_reports, write_dispositions, seen_dispositions = [], [], set()
    for report in _drop_merged(reports, old_reports, touched):
        own = dispositions.get(report.pk, [])
        fact = report_fact(report, own, cal)
        old = old_reports.get(report.pk)
        if old is None or _values(old, REPORT_FACT_FIELDS) != _values(fact, REPORT_FACT_FIELDS):
            write_reports.append(fact)
            touched.add_report(old, fact)
        for disposition in own:
            seen_dispositions.add(disposition.pk)
            dfact = disposition_fact(disposition, report, cal)
            dold = old_dispositions.get(disposition.pk)
            if dold is None or _values(dold, DISPOSITION_FACT_FIELDS) != _values(
                dfact, DISPOSITION_FACT_FIELDS
            ):
                write_dispositions.append(dfact)
                touched.add_disposition(dold, dfact)
    gone = [pk for pk in old_dispositions if pk not in seen_dispositions]
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
