"""Rollups for the dashboards, and the jobs and snapshots built from them.

Three layers, each derived from the one before and rebuildable from the reports alone
(`manage.py rebuild_rollups`):

1. Facts: one row per report (ReportFact) and per disposition (DispositionFact), holding the
   dimensions and the derived values that are costly to compute at query time: the local day, the
   kabupaten/kota, the responsible agency, working-day durations, on-time flags.
2. Cubes: counts and duration sums per period (day, and month) × dimensions, aggregated from the
   facts by SQL. Two shapes per family:
   - the *full* cube keeps every dimension (region, agency, category, channel, type, status) at the
     leaf agency; it answers filtered questions (one kabupaten/kota, one category) through an index
     on the filter, and scopes by `agency IN (subtree)`;
   - the *scope* cubes drop the fine dimensions and fan each fact out to every "hub" above its
     agency (an agency with children, and the national scope 0), so "everything under Pemprov
     Sumatera Barat" is a handful of rows per day however many offices and reports it has.
3. Snapshots: topic clusters, monthly reports, export files, open data, written by tasks.

A dashboard query never reads Report: its cost follows the number of periods and categories
shown, not the number of reports (see bench/bench_dashboards.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NATIONAL = 0  # the scope/agency value of "no agency": the whole instance
# The dispositions still open (reports.OPEN_DISPOSITION_STATUSES), as plain values: an index holds them.
OPEN_STATUSES = ["terdisposisi", "diproses"]


class Grain(models.TextChoices):
    DAY = "d", _("Hari")
    MONTH = "m", _("Bulan")


# --- Facts -------------------------------------------------------------------------------------------


class ReportFact(models.Model):
    """One report as the dashboards count it (derived; never edited by hand)."""

    report = models.OneToOneField(
        "reports.Report", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()  # submitted_at, Asia/Jakarta
    month = models.DateField()  # first day of `day`'s month
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)  # kabupaten/kota code, else the province's
    # The agency that answers for the report: its primary live disposition, else its verifier.
    agency = models.IntegerField(default=NATIONAL)
    verifier = models.IntegerField(default=NATIONAL)
    category = models.IntegerField(default=0)
    category_group = models.IntegerField(default=0)
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=24)
    verified = models.BooleanField(default=False)
    verified_on_time = models.BooleanField(default=False)
    verify_overdue = models.BooleanField(default=False)  # still unverified, deadline breached
    verify_wd = models.IntegerField(default=-1)
    answered = models.BooleanField(default=False)
    answered_on_time = models.BooleanField(default=False)
    answer_wd = models.IntegerField(default=-1)
    rating = models.IntegerField(default=0)  # 0: not rated
    words = models.CharField(max_length=400, blank=True)  # distinct title words, for emerging issues
    # The report's coordinates, for the map's hotspots: read from the facts alone, not by looking up
    # each fact's report (a province's month is ~130,000 look-ups at 5,000,000 reports).
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            # The hotspots of a province's map: only the facts of reports with coordinates (many
            # reports have none; without the condition a month of a province reads all of them).
            models.Index(
                fields=["province", "day"],
                condition=models.Q(latitude__isnull=False),
                name="insights_reportfact_located",
            ),
            models.Index(fields=["agency", "day"]),
            models.Index(fields=["verifier", "day"]),
            models.Index(fields=["region", "day"]),
            models.Index(fields=["category", "day"]),
            models.Index(fields=["category_group", "day"]),
        ]


class DispositionFact(models.Model):
    """One disposition (disposisi) as the SLA league table counts it."""

    disposition = models.OneToOneField(
        "reports.Disposition", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # disposed_at, Asia/Jakarta
    month = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    agency = models.IntegerField()
    category = models.IntegerField(default=0)
    category_group = models.IntegerField(default=0)
    status = models.CharField(max_length=20)
    responded = models.BooleanField(default=False)
    responded_on_time = models.BooleanField(default=False)
    response_overdue = models.BooleanField(default=False)
    completed = models.BooleanField(default=False)
    completed_on_time = models.BooleanField(default=False)
    completion_overdue = models.BooleanField(default=False)
    returned = models.BooleanField(default=False)
    wd = models.IntegerField(default=-1)  # working days from disposal to answer; -1 unanswered
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "day"]), models.Index(fields=["day"])]


class ScopeLink(models.Model):
    """agency → each hub containing it (itself if it is one, its ancestors that are, and 0).

    A hub is an agency with children, or the national scope: the places where a subtree's numbers
    are worth pre-summing. Rebuilt when the agency tree changes.
    """

    agency = models.IntegerField()
    hub = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "hub"], name="insights_scopelink_unique")]
        indexes = [models.Index(fields=["hub"])]


# --- Cubes -------------------------------------------------------------------------------------------


class ReportMeasures(models.Model):
    reports = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    verified_on_time = models.IntegerField(default=0)
    verify_overdue = models.IntegerField(default=0)
    verify_wd_sum = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    answered_on_time = models.IntegerField(default=0)
    answer_wd_sum = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DispositionMeasures(models.Model):
    dispositions = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    responded_on_time = models.IntegerField(default=0)
    response_overdue = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    completed_on_time = models.IntegerField(default=0)
    completion_overdue = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    wd_sum = models.IntegerField(default=0)

    class Meta:
        abstract = True


class ReportCube(ReportMeasures):
    """Full report cube: period × province × kab/kota × agency × verifier × category × channel × type
    × status."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    agency = models.IntegerField()
    verifier = models.IntegerField()
    category = models.IntegerField()
    category_group = models.IntegerField()
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=24)

    class Meta:
        indexes = [
            models.Index(fields=["grain", "period"]),
            models.Index(fields=["agency", "grain", "period"]),
            models.Index(fields=["verifier", "grain", "period"]),
            # A kabupaten/kota filter reads one region's rows over consecutive days: with every
            # column in the key, SQLite answers from the index alone (3× faster at a million
            # reports) and PostgreSQL can too. It costs about the size of the table.
            models.Index(
                fields=[
                    "region",
                    "grain",
                    "period",
                    "agency",
                    "verifier",
                    "category",
                    "category_group",
                    "channel",
                    "kind",
                    "status",
                    "reports",
                    "verified",
                    "verified_on_time",
                    "verify_overdue",
                    "answered",
                    "answered_on_time",
                    "rated",
                    "rating_sum",
                ],
                name="insights_reportcube_region",
            ),  # fmt: skip
            models.Index(fields=["category", "grain", "period"]),
            models.Index(fields=["category_group", "grain", "period"]),
        ]


class AgencyReportCube(ReportMeasures):
    """The full report cube without its fine dimensions: period × province × kab/kota × agency.

    A league's rows for its leaf offices (and the parent's own reports), and an office's own pages:
    a leaf is no hub, so without this they sum the full cube's rows of each office, about a row per
    report (a city's year at 5,000,000 reports: hundreds of thousands of rows per measure).
    """

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    agency = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["agency", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class AgencyVerifierCube(ReportMeasures):
    """The verification measures per verifying agency: period × province × kab/kota × verifier."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    verifier = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["verifier", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class ScopeCube(ReportMeasures):
    """The report measures of one hub (`scope`, an agency id) in one period and province."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    scope = models.IntegerField()
    province = models.CharField(max_length=2, blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["scope", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class ScopeReportCube(ScopeCube):
    """Reports per hub (by responsible agency): period × province × channel × type × status."""

    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=24)


class ScopeVerifierCube(ScopeCube):
    """Reports per hub of their verifying agency: period × province (verification measures)."""


class ScopePlaceCube(ScopeCube):
    """Reports per hub: period × province × kabupaten/kota (the map)."""

    region = models.CharField(max_length=13, blank=True)


class ScopeTopicCube(ScopeCube):
    """Reports per hub: period × province × category (categories table, emerging categories)."""

    category = models.IntegerField()
    category_group = models.IntegerField()


class ScopeRegionReportCube(ScopeCube):
    """Reports per hub: period × province × kabupaten/kota × channel × type × status.

    The ringkasan's split by channel, type and status under a kabupaten/kota filter. Kept apart from
    ScopeReportCube so the unfiltered pages do not read a row per kabupaten/kota: these rows are
    only read with one kabupaten/kota (or province) chosen, through the region index.
    """

    region = models.CharField(max_length=13, blank=True)
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=24)

    class Meta:
        indexes = [
            models.Index(fields=["scope", "region", "grain", "period"]),
            models.Index(fields=["grain", "period"]),  # re-aggregating a period deletes it first
        ]


class ScopeRegionTopicCube(ScopeCube):
    """Reports per hub: period × province × kabupaten/kota × category (the categories table and
    the rising categories under a kabupaten/kota filter)."""

    region = models.CharField(max_length=13, blank=True)
    category = models.IntegerField()
    category_group = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "region", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class ScopeRegionVerifierCube(ScopeCube):
    """Reports per hub of their verifying agency: period × province × kabupaten/kota (verification
    under a kabupaten/kota filter)."""

    region = models.CharField(max_length=13, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["scope", "region", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class DispositionCube(DispositionMeasures):
    """Full disposition cube: period × province × kab/kota × agency × category × status × working days."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    agency = models.IntegerField()
    category = models.IntegerField()
    category_group = models.IntegerField()
    status = models.CharField(max_length=20)
    wd = models.IntegerField()  # the median needs the distribution, not a sum

    class Meta:
        indexes = [
            models.Index(fields=["grain", "period"]),
            models.Index(fields=["agency", "grain", "period"]),
            models.Index(fields=["agency", "grain", "status", "period"]),
            models.Index(fields=["region", "grain", "period"]),
            models.Index(fields=["category", "grain", "period"]),
            models.Index(fields=["category_group", "grain", "period"]),
            # "Late now" and the backlog read the open dispositions of every period since the
            # beginning: without this, every row of the cube (all periods, all statuses) is read
            # to find the few open ones. Partial and covering, so it holds only those rows and the
            # dashboards never visit the table for them (PostgreSQL; SQLite keeps the key only).
            models.Index(
                fields=["status", "grain", "period"],
                include=[
                    "agency",
                    "region",
                    "province",
                    "category",
                    "category_group",
                    "wd",
                    "dispositions",
                    "response_overdue",
                    "completion_overdue",
                ],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="insights_dispcube_open",
            ),
            # The same under a category group filter (a kinerja page "by category"): the group
            # first, so the open rows of one group are read, not those of all ten.
            models.Index(
                fields=["category_group", "status", "grain", "period"],
                include=[
                    "agency",
                    "region",
                    "province",
                    "category",
                    "wd",
                    "dispositions",
                    "response_overdue",
                    "completion_overdue",
                ],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="insights_dispcube_open_group",
            ),
        ]


class ScopeDispositionCube(DispositionMeasures):
    """Dispositions per hub of the disposed agency: period × province × status × working days."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    scope = models.IntegerField()
    province = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=20)
    wd = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "grain", "period"]),
            models.Index(fields=["grain", "period"]),  # re-aggregating a period deletes it first
            # The backlog reads the open dispositions of every day since the beginning.
            models.Index(fields=["scope", "grain", "status", "period"]),
        ]


class AgencyDispositionCube(DispositionMeasures):
    """The full disposition cube without its fine dimensions: period × province × kab/kota ×
    agency × working days (a league's leaf offices; the open ones are read through the full cube's
    partial index, which needs the status)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    agency = models.IntegerField()
    wd = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["agency", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
        ]


class AgencyTotalDispositionCube(DispositionMeasures):
    """AgencyDispositionCube without the kabupaten/kota, with the status: period × province ×
    agency × status × working days.

    A league without a place filter reads its leaf offices here: a provincial office answers
    reports from every kab/kota, so the cube with the kab/kota held five times the month rows (the
    province's 40 offices over 12 months at 5,000,000 reports: 75,000). With the status, "late
    now" per agency (the first screen) and the leaf offices' backlog read the open rows here
    instead of the full cube's, which are split by kab/kota and category as well.
    """

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    province = models.CharField(max_length=2, blank=True)
    agency = models.IntegerField()
    status = models.CharField(max_length=20)
    wd = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["agency", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
            # The open rows of every period, as insights_dispcube_open does for the full cube.
            models.Index(
                fields=["status", "grain", "period"],
                include=[
                    "agency",
                    "province",
                    "wd",
                    "dispositions",
                    "response_overdue",
                    "completion_overdue",
                ],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="insights_agencydisp_open",
            ),
        ]


class ScopeRegionDispositionCube(DispositionMeasures):
    """Dispositions per hub of the disposed agency: period × province × kabupaten/kota × status ×
    working days (the league's disposition columns under a kabupaten/kota filter)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    scope = models.IntegerField()
    province = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=13, blank=True)
    status = models.CharField(max_length=20)
    wd = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "region", "grain", "period"]),
            models.Index(fields=["grain", "period"]),
            # "Late now" and the backlog under a kabupaten/kota filter: the open rows of every day.
            models.Index(fields=["scope", "region", "grain", "status", "period"]),
        ]


class ScopeTopicDispositionCube(DispositionMeasures):
    """Dispositions per hub of the disposed agency: period × province × category group × status ×
    working days (the league's disposition columns under a category group filter).

    Without it such a league sums the full cube's rows of every office under the root, about a row
    per disposition of that group (a province's 30 days at 5,000,000 reports: seven queries of
    15,000 rows). A single category is selective enough for the full cube; a group is not.
    """

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    scope = models.IntegerField()
    province = models.CharField(max_length=2, blank=True)
    category_group = models.IntegerField()
    status = models.CharField(max_length=20)
    wd = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "category_group", "grain", "period"]),
            models.Index(fields=["grain", "period"]),  # re-aggregating a period deletes it first
            # "Late now" and the backlog under a category group filter: the open rows of every day.
            models.Index(fields=["scope", "category_group", "grain", "status", "period"]),
        ]


class ScopeWordCube(models.Model):
    """Reports per hub and day whose title uses a word (recent days only: emerging issues)."""

    day = models.DateField()
    scope = models.IntegerField()
    word = models.CharField(max_length=40)
    reports = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "day"]),
            models.Index(fields=["word", "scope", "day"]),
            models.Index(fields=["day"]),  # pruning the days no window reaches any more
        ]


class ScopeRegionWordCube(models.Model):
    """Reports per hub, kabupaten/kota and day whose title uses a word (recent days only): the
    emerging words under a kabupaten/kota filter, which would otherwise count the words of every
    title of that place in the facts (a city's 63 days at 5,000,000 reports: 84,000 titles)."""

    day = models.DateField()
    scope = models.IntegerField()
    region = models.CharField(max_length=13, blank=True)
    word = models.CharField(max_length=40)
    reports = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scope", "region", "day"]),
            models.Index(fields=["day"]),  # pruning the days no window reaches any more
        ]


class RollupState(models.Model):
    """Where the incremental refresh stopped (a single row)."""

    last_event_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    agency_signature = models.CharField(max_length=200, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # Cube tables a migration created on a database that already had facts, not yet filled: the
    # read side asks the cubes it had before (same answers, more rows read) until the rollup task
    # fills them (rollups.build_unbuilt) or a rebuild_rollups does.
    unbuilt = models.JSONField(default=list, blank=True, null=True)  # nullable: old code inserts without it


# --- Snapshots and jobs ------------------------------------------------------------------------------


class TopicSnapshot(models.Model):
    """Topic clusters of a scope's recent reports (TF-IDF + k-means), computed by a task."""

    scope = models.IntegerField(unique=True)
    window_start = models.DateField()
    window_end = models.DateField()
    reports = models.IntegerField(default=0)
    clusters = models.JSONField(default=list)  # [{"size", "words": [...], "examples": [report ids]}]
    computed_at = models.DateTimeField()


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Menunggu")
    RUNNING = "running", _("Sedang dibuat")
    DONE = "done", _("Selesai")
    FAILED = "failed", _("Gagal")


class ExportJob(models.Model):
    """A large export built in the background; its file is private to the user who asked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    format = models.CharField(max_length=4)  # csv | xlsx
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self):
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class MonthlyReport(models.Model):
    """A "Laporan Bulanan" as generated on the 1st of the month (or on demand), kept as HTML."""

    scope = models.IntegerField()  # agency id, or 0 for the whole instance
    month = models.DateField()
    html = models.TextField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "month"], name="insights_monthlyreport_unique")
        ]


class DirtyPeriod(models.Model):
    """A period whose cubes must be re-aggregated, written with the facts that changed it.

    Written in the same transaction as the facts, consumed in the transaction that re-aggregates:
    a refresh that dies half-way leaves the list behind, and the next run finishes the job.
    """

    family = models.CharField(max_length=1)  # r: report cubes, d: disposition cubes, w: words
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["family", "grain", "period"], name="insights_dirtyperiod_unique")
        ]


class WordSnapshot(models.Model):
    """Title-word counts per window of a hub scope, for emerging words (refreshed with the rollups).

    Only the words that reach the minimum count in the current window are kept: the statistic
    (emerging.py) is applied when the page is shown. Reading them from the word cube takes longer
    than a dashboard may take for a province or the whole instance.
    """

    scope = models.IntegerField()
    window = models.CharField(max_length=10)
    day = models.DateField()  # the last day of the current window
    series = models.JSONField(default=dict)  # {word: [current window, baseline 1, …]}
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "window"], name="insights_wordsnapshot_unique")
        ]


class SignalSnapshot(models.Model):
    """Reports per category × kabupaten/kota in each window of a hub scope (the first screen's
    rising signals), refreshed with the rollups.

    The windows span 9 weeks (or 16): read from the full report cube that is about one row per
    report, too many for a province's or the whole instance's first screen. Stored with every key
    column (category, its group, province, kabupaten/kota), so a region or category filter is
    answered exactly by picking keys.
    """

    scope = models.IntegerField()
    window = models.CharField(max_length=10)
    day = models.DateField()  # the last day of the current window
    series = models.JSONField(default=list)  # [[category, group, province, region, n0, n1, …], …]
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "window"], name="insights_signalsnapshot_unique")
        ]
