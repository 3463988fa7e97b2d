"""Every state change of a report, one function each (the SP4N-LAPOR! lifecycle).

Each action: asks accounts.access, refuses an illegal transition with a ReportError, changes state
inside transaction.atomic() on a freshly locked row, writes the timeline Event in the same
transaction, and queues notifications (outbox rows in the same transaction, delivery on commit).

Concurrency: `_lock` re-reads the report with SELECT … FOR UPDATE (PostgreSQL) or inside an
IMMEDIATE transaction (SQLite, see settings), so two officers acting at once are serialised; the
second one then finds the report changed (a different `version`, or a status that no longer
allows the move) and gets ReportConflict instead of overwriting the first one's work.

Split by subject, as Zulip splits zerver/actions/: intake, reporter, verification, agency,
deadlines, imported; shared internals in _common. Import from `jembatan.reports.actions`.
"""

from jembatan.reports.actions._common import (  # noqa: F401
    ESCALATION_STEP_WORKING_DAYS,
    MIN_DESCRIPTION_LENGTH,
    MIN_TITLE_LENGTH,
    STALE_MESSAGE,
    IllegalTransition,
    ReportConflict,
    ReportError,
)
from jembatan.reports.actions.agency import (  # noqa: F401
    assign_liaison,
    forward_disposition,
    post_follow_up,
    post_progress,
    return_disposition,
    start_follow_up,
)
from jembatan.reports.actions.calendar import (  # noqa: F401
    delete_calendar_override,
    set_calendar_override,
)
from jembatan.reports.actions.deadlines import (  # noqa: F401
    check_disposition_deadlines,
    check_report_deadlines,
)
from jembatan.reports.actions.followers import (  # noqa: F401
    confirm_follow,
    follow_report,
    unfollow_report,
)
from jembatan.reports.actions.imported import (  # noqa: F401
    IMPORT_KEPT,
    apply_imported_report,
)
from jembatan.reports.actions.intake import (  # noqa: F401
    harden_access_codes,
    submit_report,
)
from jembatan.reports.actions.reporter import (  # noqa: F401
    close_report,
    complete_information,
    rate_report,
    reopen_report,
    reply_as_reporter,
    support_report,
)
from jembatan.reports.actions.verification import (  # noqa: F401
    AUTO_ROUTE_CLASSIFICATION,
    add_note,
    archive_report,
    auto_route_report,
    dispose_report,
    find_original,
    mark_duplicate,
    request_information,
    unmerge_report,
    verify_report,
)
from jembatan.reports.submission import NewReport  # noqa: F401
