"""The officer's work queues: who sees which rows, in what order, a page at a time.

Each queue is a QuerySet over reports or over dispositions (a report disposed to two offices is
two pieces of work) for one officer's scopes. Rows are sorted by SLA urgency, which for a
deadline is simply "earliest first": an overdue row's deadline is in the past, so it comes before
every row still on time. Rows without a running deadline (paused, waiting) come last.

A queue is read as a few ordered streams, one per (status, deadline column), each of which an
existing (status, deadline) index returns in order; a page merges them (see Order). Pages are cut
with keyset (seek) pagination on (due, pk): page 500 costs what page 1 costs. A page first reads
only (pk, due), then loads its 50 rows with everything they show in a fixed number of queries.
No page view counts a million-report table: the menu's counts stop at COUNT_CAP.
"""

import base64
import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Exists, F, OuterRef, Prefetch, Q, Value
from django.db.models.fields import DateTimeField
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND, OR, NothingNode, WhereNode
from django.utils.translation import gettext_lazy as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.directory.models import Agency, prefix_q
from jembatan.reports.models import (
    ACTIVE_STATUSES,
    OPEN_DISPOSITION_STATUSES,
    VERIFICATION_STATUSES,
    Disposition,
    DispositionStatus,
    Escalation,
    Report,
    Status,
    visible_reports_q,
)

PAGE_SIZE = 50
COUNT_CAP = 999


# --- Scopes ------------------------------------------------------------------------------------------


def _within(scopes, field):
    """A Q for "`field` (an agency FK) lies in one of these subtrees"; None when there is no scope.

    One subquery over the agency tree's materialized paths (indexed), not a join per scope.
    """
    if not scopes:
        return None
    if None in scopes:
        return Q()
    agencies = Agency.objects.all()
    paths = reduce(operator.or_, (prefix_q(agencies, "path", a.path) for a in scopes))
    return Q(**{f"{field}__in": agencies.filter(paths).values("pk")})


def verify_scope(user, field="verifying_agency"):
    return _within(access.scopes_for(user, Action.VERIFY), field)


def follow_up_scope(user, field="agency"):
    return _within(access.scopes_for(user, Action.FOLLOW_UP), field)


def escalation_scope(user):
    # Escalations go to coordinators (admin instansi) and, at the top, the national admins: the
    # roles that verify or assign liaisons. Liaisons hear about their own deadlines by reminder.
    scopes = access.scopes_for(user, Action.VERIFY) + access.scopes_for(user, Action.ASSIGN_LIAISON)
    return _within(scopes, "to_agency")


def _is_read_only(user):
    return bool(access.scopes_for(user, Action.VIEW_REPORTS)) and not (
        access.scopes_for(user, Action.VERIFY) or access.scopes_for(user, Action.FOLLOW_UP)
    )


def _or(*parts):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return reduce(operator.or_, parts)


def with_status(queryset, *statuses):
    """`queryset.filter(status__in=statuses)`, with the queryset's own conditions on the status folded.

    A queue filters `status IN (…)` (or names a status per branch) and each stream adds `status =
    S`. PostgreSQL multiplies the selectivities of the two as if they were independent: at
    5,000,000 reports it estimated the verification stream (50,000 rows) at 34, fetched all of them
    through the agency index and sorted them (973 ms) instead of walking the (status, deadline)
    index for one page (docs/scale.md). Within the stream's statuses a condition on the row's own
    status is often a constant: TRUE when it holds for every one of them, FALSE when for none; it
    is replaced by that constant, and the stream's condition is the only one left. Conditions on
    other tables (subqueries, joins) stay as they are.
    """
    queryset = queryset.all()
    query = queryset.query
    query.where = _fold_status(query.where, query.base_table, frozenset(statuses))
    if len(statuses) == 1:
        return queryset.filter(status=statuses[0])
    return queryset.filter(status__in=statuses)


def _fold_status(node, alias, statuses):
    if isinstance(node, WhereNode):
        children = [_fold_status(child, alias, statuses) for child in node.children]
        return type(node).create(children, node.connector, node.negated)
    lhs = getattr(node, "lhs", None)
    if (
        isinstance(node, Exact | In)
        and getattr(lhs, "alias", None) == alias
        and getattr(getattr(lhs, "target", None), "name", None) == "status"
        and not hasattr(node.rhs, "resolve_expression")
    ):
        values = {node.rhs} if isinstance(node, Exact) else set(node.rhs)
        if statuses <= values:
            return WhereNode()  # TRUE: no condition
        if not statuses & values:
            return NothingNode()  # FALSE
    return node


# --- Branches: an OR read one branch at a time ---------------------------------------------------------


class _Branches(WhereNode):
    """An OR of a queue's pieces that its streams read one piece at a time (see `branched`)."""


def branched(queryset, pieces):
    """`queryset.filter(piece | piece | …)`, marked so that each stream reads each piece on its own.

    PostgreSQL cannot walk one index for an OR of conditions on the report's own columns and a
    subquery (the overdue queue: the verifier's pieces or the late dispositions' ids; its page took
    415 ms at 5,000,000 reports, docs/scale.md). Read alone, each piece walks the stream's (status,
    deadline) index for a page. The queryset keeps its meaning: whatever filters are added to it,
    the OR is still one condition among them, and `Queue.streams` splits it at that node.
    """
    pieces = [p for p in pieces if p is not None]
    if not pieces:
        return None
    if len(pieces) == 1:
        return queryset.filter(pieces[0])
    # Each piece wrapped in a Q of its own, so that an OR inside a piece stays inside that piece.
    queryset = queryset.filter(Q(*(Q(p) for p in pieces), _connector=Q.OR))
    where = queryset.query.where
    node = where.children[-1]
    if not (isinstance(node, WhereNode) and node.connector == OR and len(node.children) == len(pieces)):
        raise ValueError(f"Cannot mark the branches of {node!r}.")
    where.children[-1] = _Branches.create(node.children, OR, node.negated)
    return queryset


def _simplified(node):
    """The node with its FALSE branches dropped (None when every branch is FALSE)."""
    if isinstance(node, NothingNode):
        return None
    if not isinstance(node, WhereNode) or node.negated:
        return node
    children = [_simplified(child) for child in node.children]
    if node.connector == AND and None in children:
        return None
    children = [child for child in children if child is not None]
    if not children:
        return None if node.connector == OR else node
    return type(node).create(children, node.connector)


def _split(node):
    """The where tree once for each branch of its _Branches node, or None when it has none.

    Only a _Branches node reached through ANDs is split: under an OR or a NOT the rows of the whole
    are not the union of the branches' rows.
    """
    if isinstance(node, _Branches):
        if any(isinstance(c, WhereNode) and not (c.children or c.negated) for c in node.children):
            return [WhereNode()]  # one branch is TRUE: it holds every row of the others
        return list(node.children)
    if not isinstance(node, WhereNode) or node.negated or node.connector != AND:
        return None
    for i, child in enumerate(node.children):
        parts = _split(child)
        if parts is not None:
            before, after = node.children[:i], node.children[i + 1 :]
            return [type(node).create([*before, part, *after], AND) for part in parts]
    return None


def branches(queryset):
    """[queryset] once for each branch of its `branched` OR that can hold a row (itself if none).

    The branches may overlap (a report late for its verifier and for an office): a page merges
    their keys without repeats (`_keys`), a count counts each row once (`count_rows`).
    """
    where = _simplified(queryset.query.where)  # FALSE branches (folded by with_status) dropped
    if where is None:
        return []
    result = []
    for part in _split(where) or [where]:
        qs = queryset.all()
        qs.query.where = part
        result.append(qs)
    return result


# --- The queues --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """How a queue sorts: one index-ordered stream per (status, deadline column), plus the rows
    that have no running deadline (paused, waiting), which come last in id order.

    Each stream is `status = S AND <field> IS NOT NULL ORDER BY <field>, id`: the shape the
    (status, deadline) indexes answer in order, stopping after a page. Sorting one CASE
    expression over every row instead would make the database read and sort the whole queue
    (tens of thousands of rows at a million reports) on every page.
    """

    streams: tuple  # ((status, deadline field, extra Q or None), ...)
    undated: tuple = ()  # the statuses of the rows listed after the dated ones (none: no such rows)
    # Statuses that only reach the queue through the VERIFY scope: skipped for an officer without
    # one (a liaison's overdue list holds no unverified report), instead of searched in vain.
    verify_only: tuple = ()


# Overdue rows all have a running deadline, by definition.
OVERDUE = Order(
    streams=(
        (Status.BELUM_TERVERIFIKASI, "verification_due_at", Q(paused_at__isnull=True)),
        (Status.TERDISPOSISI, "completion_due_at", None),
        (Status.DIPROSES, "completion_due_at", None),
    ),
    verify_only=(Status.BELUM_TERVERIFIKASI,),
)
DEADLINES = Order(
    streams=(
        (Status.BELUM_TERVERIFIKASI, "verification_due_at", Q(paused_at__isnull=True)),
        (Status.TERDISPOSISI, "completion_due_at", None),
        (Status.DIPROSES, "completion_due_at", None),
    ),
    undated=(Status.MENUNGGU_KELENGKAPAN, Status.SELESAI),
)


# The URL word of each queue (Indonesian, as officers say it) → the method that selects its rows.
QUEUE_METHODS = {
    "verifikasi": "_to_verify",
    "masuk": "_incoming",
    "diproses": "_in_progress",
    "dikembalikan": "_returned",
    "terlambat": "_overdue",
    "menunggu-pelapor": "_waiting_for_reporter",
    "eskalasi": "_escalated",
}


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str
    help: str
    accesskey: str
    model: type  # Report or Disposition: what one row is
    order: Order
    bulk: tuple = ()  # the bulk actions offered on this queue
    shows_clock: bool = True  # False where no SLA deadline runs (the reporter owes the next move)

    @property
    def of_dispositions(self):
        return self.model is Disposition

    def base(self, user, now):
        """The queue's rows for `user`, unordered (None when the queue does not apply to them)."""
        return getattr(self, QUEUE_METHODS[self.slug])(user, now)

    def streams(self, queryset, user):
        """[(queryset annotated with `due`, dated?)]: the ordered pieces of a (filtered) queue."""
        return [(qs, dated) for parts, dated in self.stream_branches(queryset, user) for qs in parts]

    def stream_branches(self, queryset, user):
        """[([branch, …], dated?)]: each stream as the branches of a `branched` queue (one if none).

        The branches of one stream may share rows (see `branches`); two streams never do (each is
        one status, or the undated statuses).
        """
        result = []
        verifies = bool(access.scopes_for(user, Action.VERIFY))
        for status, field, extra in self.order.streams:
            if status in self.order.verify_only and not verifies:
                continue
            qs = with_status(queryset, status).filter(**{f"{field}__isnull": False})
            if extra is not None:
                qs = qs.filter(extra)
            result.append(([part.annotate(due=F(field)) for part in branches(qs)], True))
        if self.order.undated:
            # Not folded (with_status): ordered by id alone, an undated stream whose rows the
            # planner counts right is read by walking the primary key from the oldest report, and
            # the paused and answered ones are all among the newest: 9.4 s at 5,000,000 reports,
            # against 0.3 s for the underestimated plan (the queue's rows through the agency index,
            # then sorted). The paused reports now have a partial (id) index of their own, which
            # the planner walks for this unfolded stream too (reports 0019: 103-340 ms → 1 ms).
            undated = queryset.filter(status__in=self.order.undated)
            none = Value(None, output_field=DateTimeField())
            result.append(([part.annotate(due=none) for part in branches(undated)], False))
        return [(parts, dated) for parts, dated in result if parts]

    # Each method below returns the queue's QuerySet for the user, or None.

    def _to_verify(self, user, now):
        scope = verify_scope(user)
        if scope is None:
            return None
        return Report.objects.filter(status__in=VERIFICATION_STATUSES).filter(scope)

    def _incoming(self, user, now):
        scope = follow_up_scope(user)
        if scope is None:
            return None
        return Disposition.objects.filter(status=DispositionStatus.TERDISPOSISI).filter(scope)

    def _in_progress(self, user, now):
        scope = follow_up_scope(user)
        if scope is None:
            return None
        return Disposition.objects.filter(status=DispositionStatus.DIPROSES).filter(scope)

    def _returned(self, user, now):
        scope = verify_scope(user)
        if scope is None:
            return None
        # Driven from the returned dispositions (few) rather than from every report awaiting work
        # (many): "has a returned disposition" is a list of ids; "no open one" is checked per row.
        returned = Disposition.objects.filter(status=DispositionStatus.BUKAN_WEWENANG).values("report_id")
        still_open = Disposition.objects.filter(report=OuterRef("pk"), status__in=OPEN_DISPOSITION_STATUSES)
        return (
            Report.objects.filter(status=Status.TERDISPOSISI, pk__in=returned)
            .filter(scope)
            .filter(~Exists(still_open))
        )

    def _waiting_for_reporter(self, user, now):
        waiting = Q(status__in=(Status.SELESAI, Status.MENUNGGU_KELENGKAPAN))
        verify = verify_scope(user)
        follow_up = follow_up_scope(user)
        pieces = []
        if verify is not None:
            pieces.append(waiting & verify)
        if follow_up is not None:
            # An office waits on the reporter once it has answered: driven from its own answered
            # dispositions, not from every answered report in the province.
            answered = Disposition.objects.filter(follow_up, status=DispositionStatus.SELESAI)
            pieces.append(Q(status=Status.SELESAI, pk__in=answered.values("report_id")))
        if _is_read_only(user):
            pieces.append(waiting & visible_reports_q(user))
        where = _or(*pieces)
        return None if where is None else Report.objects.filter(where)

    def _overdue(self, user, now):
        verify = verify_scope(user)
        follow_up = follow_up_scope(user)
        pieces = []
        if verify is not None:
            pieces.append(
                verify
                & Q(status=Status.BELUM_TERVERIFIKASI, paused_at__isnull=True, verification_due_at__lt=now)
            )
            pieces.append(
                verify & Q(status__in=(Status.TERDISPOSISI, Status.DIPROSES), completion_due_at__lt=now)
            )
        if follow_up is not None:
            late = Disposition.objects.filter(follow_up).filter(
                Q(status=DispositionStatus.TERDISPOSISI, first_response_due_at__lt=now)
                | Q(status__in=OPEN_DISPOSITION_STATUSES, completion_due_at__lt=now)
            )
            # A report with an open disposition is disposed or in progress (actions._derive_status):
            # named, so that the unverified stream does not search the late dispositions in vain.
            pieces.append(
                Q(status__in=(Status.TERDISPOSISI, Status.DIPROSES), pk__in=late.values("report_id"))
            )
        if _is_read_only(user):
            pieces.append(
                visible_reports_q(user)
                & Q(status__in=(Status.TERDISPOSISI, Status.DIPROSES), completion_due_at__lt=now)
            )
        # Every piece names its statuses, so there is no status filter around them. Each piece is
        # read on its own (branched): the verifier's own reports by the deadline indexes, the late
        # dispositions of their offices apart; for a liaison the late dispositions' ids drive it.
        return branched(Report.objects.all(), pieces)

    def _escalated(self, user, now):
        scope = escalation_scope(user)
        if scope is None:
            return None
        # COALESCE(EXISTS(…), false) is `pk IN (escalated)` in a form PostgreSQL does not turn into
        # a semi-join. As a semi-join it took 1 report in 250 to be escalated (20,007 escalations
        # among 5,000,000 reports), when 1 open report in 20 is: sure to find few rows, it read every
        # report of the stream's status into a hash join, or split the walk among parallel workers
        # that ran far past the page (63-198 ms a stream). As a filter it walks the stream's
        # (status, deadline) index and tests each entry against the escalations (one hash of them,
        # or an index probe per entry), stopping after a page: 8 ms (docs/scale.md).
        escalated = Escalation.objects.filter(scope, report=OuterRef("pk"))
        return Report.objects.filter(status__in=ACTIVE_STATUSES).filter(
            Coalesce(Exists(escalated), Value(False))
        )


QUEUES = [
    Queue(
        "verifikasi",
        _("Verifikasi"),
        _("Belum terverifikasi dan menunggu kelengkapan informasi."),
        "1",
        Report,
        Order(
            streams=((Status.BELUM_TERVERIFIKASI, "verification_due_at", Q(paused_at__isnull=True)),),
            # Paused: the reporter owes an answer and the clock stands still; listed after the rest.
            # (request_information pauses and sets this status together; complete_information
            # resumes and clears both, so a paused report is always in this status.)
            undated=(Status.MENUNGGU_KELENGKAPAN,),
        ),
        bulk=("verify_dispose", "duplicate"),
    ),
    Queue(
        "masuk",
        _("Kotak masuk instansi"),
        _("Disposisi yang belum ditindaklanjuti."),
        "2",
        Disposition,
        Order(streams=((DispositionStatus.TERDISPOSISI, "first_response_due_at", None),)),
        bulk=("assign_liaison",),
    ),
    Queue(
        "diproses",
        _("Sedang diproses"),
        _("Disposisi yang sedang ditindaklanjuti."),
        "3",
        Disposition,
        Order(streams=((DispositionStatus.DIPROSES, "completion_due_at", None),)),
        bulk=("assign_liaison",),
    ),
    Queue(
        "dikembalikan",
        _("Dikembalikan"),
        _("Dikembalikan instansi karena bukan wewenangnya; perlu didisposisikan ulang."),
        "4",
        Report,
        Order(streams=((Status.TERDISPOSISI, "completion_due_at", None),)),
    ),
    Queue(
        "menunggu-pelapor",
        _("Menunggu pelapor"),
        _("Sudah dijawab, atau menunggu kelengkapan informasi dari pelapor."),
        "5",
        Report,
        # Waiting longest first: the system closes an answered report 10 working days after the
        # answer, and archives an unanswered request 30 days after it was made.
        Order(
            streams=(
                (Status.SELESAI, "answered_at", None),
                (Status.MENUNGGU_KELENGKAPAN, "paused_at", None),
            )
        ),
        shows_clock=False,
    ),
    Queue(
        "terlambat",
        _("Terlambat"),
        _("Batas waktunya sudah lewat."),
        "6",
        Report,
        OVERDUE,
    ),
    Queue(
        "eskalasi",
        _("Eskalasi"),
        _("Laporan aktif yang dieskalasikan ke instansi Anda."),
        "7",
        Report,
        DEADLINES,
    ),
]
QUEUES_BY_SLUG = {q.slug: q for q in QUEUES}


def queues_for(user, now):
    """[(queue, base queryset)] for the queues that apply to `user`, in menu order."""
    result = []
    for queue in QUEUES:
        qs = queue.base(user, now)
        if qs is not None:
            result.append((queue, qs))
    return result


def capped_count(queryset, cap=COUNT_CAP):
    """COUNT(*) over at most cap + 1 rows: "999+" costs what 999 costs, even at a million rows."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def count_rows(queue, queryset, user, cap=COUNT_CAP):
    """The queue's rows, counted stream by stream (each anchored on one status and its index, which
    both databases plan well), stopping once past `cap`.

    A stream's branches are counted one after the other, each without the rows of the ones before
    it (`NOT IN` them). Those were counted in full, so they are at most `cap` rows, and the rows a
    branch's count steps over are rows already counted: it reads at most cap + 1 of its own.
    """
    total = 0
    for parts, _dated in queue.stream_branches(queryset, user):
        counted = []
        for part in parts:
            rest = part
            for earlier in counted:
                rest = rest.exclude(pk__in=earlier.order_by().values("pk"))
            total += capped_count(rest, cap - total)
            if total > cap:
                return total
            counted.append(part)
    return total


def format_count(n, cap=COUNT_CAP):
    return f"{cap}+" if n > cap else str(n)


# --- Rows: what the page needs, in a fixed number of queries ----------------------------------------


def with_related(queue, queryset):
    """Load everything a row shows (and the access checks need) without a query per row."""
    dispositions = Prefetch("dispositions", queryset=Disposition.objects.select_related("agency", "liaison"))
    if queue.of_dispositions:
        return queryset.select_related(
            "agency",
            "liaison",
            "report",
            "report__category__parent",
            "report__region",
            "report__verifying_agency",
            "report__reporter",
            "report__workbench_claim__user",
        ).prefetch_related(Prefetch("report__dispositions", queryset=dispositions.queryset))
    return queryset.select_related(
        "category__parent", "region", "verifying_agency", "reporter", "workbench_claim__user"
    ).prefetch_related(dispositions)


# The columns a queue page reads of a row: its cells (workbench/queue.html, views._present), its SLA
# clock (sla_due_at) and the access checks on it (accounts.access: the reporter, the paths of the
# verifying agency and of the offices it was disposed to). A row joined to its six tables was ~190
# columns, most of them texts and timestamps no page shows: converting them was a third of the
# rows' loading time, and reading them half of its query's (bench/profile_workbench_queue.py). A
# column read that is not listed here costs a query per row: the query count of every queue page
# is tested against the number of its rows (test_queue_pages_take_the_same_few_queries_…).
_PERSON = ("full_name", "first_name", "last_name", "username")  # User.display_name
_AGENCY = ("name", "short_name", "path")
_REPORT = (
    "tracking_number",
    "title",
    "status",
    "is_anonymous",
    "is_confidential",
    "reporter_name",
    "support_count",
    "submitted_at",
    "verification_due_at",
    "paused_at",
    "completion_due_at",
    "version",
)
_DISPOSITION = ("status", "first_response_at", "first_response_due_at", "completion_due_at")


def _shown(prefix=""):
    """The names for .only() of what a page shows of a report (reached through `prefix`)."""
    return [
        *(prefix + name for name in _REPORT),
        *(f"{prefix}{fk}" for fk in ("category", "region", "verifying_agency", "reporter")),
        f"{prefix}category__name",
        f"{prefix}region__name",
        *(f"{prefix}verifying_agency__{name}" for name in _AGENCY),
        *(f"{prefix}reporter__{name}" for name in _PERSON),
        f"{prefix}workbench_claim__expires_at",
        f"{prefix}workbench_claim__user",
        *(f"{prefix}workbench_claim__user__{name}" for name in _PERSON),
    ]


def shown_only(queue, queryset):
    """`with_related` for a queue page: the rows with only the columns the page reads."""
    # The offices a report was disposed to: their names on a report's row, their paths for the
    # access checks on both kinds of row.
    offices = Disposition.objects.select_related("agency").only(
        "report", "agency", *(f"agency__{name}" for name in _AGENCY)
    )
    if queue.of_dispositions:
        return (
            queryset.select_related(
                "agency",
                "liaison",
                "report__category",
                "report__region",
                "report__verifying_agency",
                "report__reporter",
                "report__workbench_claim__user",
            )
            .prefetch_related(Prefetch("report__dispositions", queryset=offices))
            .only(
                *_DISPOSITION,
                "report",
                "agency",
                "liaison",
                *(f"agency__{name}" for name in _AGENCY),
                *(f"liaison__{name}" for name in _PERSON),
                *_shown("report__"),
            )
        )
    return (
        queryset.select_related("category", "region", "verifying_agency", "reporter", "workbench_claim__user")
        .prefetch_related(Prefetch("dispositions", queryset=offices))
        .only(*_shown())
    )


# --- Keyset pagination -------------------------------------------------------------------------------


def encode_cursor(due, pk):
    raw = f"{due.isoformat() if due else '-'}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token):
    """(due or None, pk) from a cursor token, or None for a token that is not ours."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        due_text, pk_text = raw.split("|")
        due = None if due_text == "-" else dt.datetime.fromisoformat(due_text)
        if due is not None and due.tzinfo is None:
            return None
        return due, int(pk_text)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool


def _key(pair):
    pk, due = pair
    return (due is None, due or dt.datetime.min.replace(tzinfo=dt.UTC), pk)


def _load(keys, load):
    """The full rows for [(pk, due)], in that order, each with its `due` set."""
    by_pk = {obj.pk: obj for obj in load([pk for pk, _due in keys])}
    rows = []
    for pk, due in keys:
        obj = by_pk.get(pk)
        if obj is not None:  # gone between the two queries: skip it rather than fail the page
            obj.due = due
            rows.append(obj)
    return rows


def _after(qs, dated, cursor):
    """The part of one stream that comes after `cursor` (None: the whole stream)."""
    if cursor is None:
        return qs
    due, pk = cursor
    if dated:
        if due is None:
            return None  # the cursor is already among the undated rows, after every dated one
        # "due >= d and not (due = d and pk <= p)": a range the (status, due) index can seek to.
        return qs.filter(due__gte=due).exclude(due=due, pk__lte=pk)
    return qs if due is not None else qs.filter(pk__gt=pk)


def _before(qs, dated, cursor):
    due, pk = cursor
    if dated:
        if due is None:
            return qs
        return qs.filter(due__lte=due).exclude(due=due, pk__gte=pk)
    return None if due is not None else qs.filter(pk__lt=pk)


def _keys(streams, cursor, size, *, backward=False):
    """Up to `size` (pk, due) keys after (or before) `cursor`, merged across the streams."""
    keys = []
    for qs, dated in streams:
        part = _before(qs, dated, cursor) if backward else _after(qs, dated, cursor)
        if part is None:
            continue
        if dated:
            order = ["-due", "-pk"] if backward else ["due", "pk"]
        else:
            order = ["-pk"] if backward else ["pk"]
        keys += part.order_by(*order).values_list("pk", "due")[:size]
    # The branches of a stream may list the same row (with the same key): once on the page.
    return sorted(set(keys), key=_key, reverse=backward)[:size]


def paginate(streams, *, load, after=None, before=None, size=PAGE_SIZE):
    """One page of a queue, in (due, pk) order with undated rows last.

    Two steps: narrow queries order and cut (pk, due) only, one per stream, each walking its
    index and stopping after a page; then `load(pks)` fetches the page's rows with everything
    they show. `after`/`before` are decoded cursors: the rows strictly after the last row of the
    previous page, or strictly before the first row of the next one. size + 1 keys are read to
    learn whether another page exists, never a count.
    """
    if before is not None:
        keys = _keys(streams, before, size + 1, backward=True)
        has_more_before = len(keys) > size
        rows = _load(list(reversed(keys[:size])), load)
        return Page(
            rows=rows,
            next_cursor=encode_cursor(rows[-1].due, rows[-1].pk) if rows else None,
            prev_cursor=encode_cursor(rows[0].due, rows[0].pk) if rows and has_more_before else None,
            is_first=not has_more_before,
        )
    keys = _keys(streams, after, size + 1)
    has_more = len(keys) > size
    rows = _load(keys[:size], load)
    return Page(
        rows=rows,
        next_cursor=encode_cursor(rows[-1].due, rows[-1].pk) if rows and has_more else None,
        prev_cursor=encode_cursor(rows[0].due, rows[0].pk) if rows and after is not None else None,
        is_first=after is None,
    )


def iterate(streams, *, load, limit, chunk=500):
    """Every row of a queue in queue order (at most `limit`), loaded `chunk` at a time."""
    keys = _keys(streams, None, limit)
    for start in range(0, len(keys), chunk):
        yield from _load(keys[start : start + chunk], load)


def loader(queue, *, page=False):
    """load(pks) for paginate/iterate: the queue's rows with everything a row shows (`page`: only
    what the queue page shows, see `shown_only`; the export and the actions read more)."""
    related = shown_only if page else with_related
    return lambda pks: related(queue, queue.model.objects.filter(pk__in=pks))
