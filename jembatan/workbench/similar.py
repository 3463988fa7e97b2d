"""Reports that may be the same complaint as this one, for the verifier's "Laporan serupa" card.

The finding is triage's (triage.find_duplicates: the same problem by place, category, time and
words, or a near-identical text in the same kabupaten/kota, within 90 days), limited to the
reports the verifier may see in the workbench. This module adds what the card shows for each match
(the kabupaten/kota) and which way a merge goes:

- The newer report is the duplicate: it is archived and its reporter and supporters back the older
  original (reports/actions.mark_duplicate).
- When the match is older, the current report is offered as its duplicate.
- When the match is newer and the verifier may verify it, the match is offered as the duplicate of
  the current report (the form posts to the match's own duplicate view).
- When the match is newer but verified elsewhere, the verifier cannot archive it: the current report
  may still be marked as its duplicate, and the card says the direction is reversed.
"""

from dataclasses import dataclass

from jembatan.accounts import access
from jembatan.directory.models import Region
from jembatan.reports.models import ACTIVE_STATUSES, Report
from jembatan.triage import services as triage

LIMIT = 5

# Which report a merge archives.
MERGE_THIS = "this"  # the current report is the duplicate of the match
MERGE_OTHER = "other"  # the match is the duplicate of the current report


@dataclass(frozen=True)
class Match:
    report: Report
    similarity: float  # 0..1, triage's calibrated duplicate score (how likely the same problem)
    city: str  # the kabupaten/kota (or province) name, "" when the report has no region
    merge: str | None  # MERGE_THIS, MERGE_OTHER, or None when no merge is possible from this page
    is_newer: bool  # the match was submitted after the current report

    @property
    def percent(self):
        return round(self.similarity * 100)


def _city_code(region_code):
    if not region_code:
        return None
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else parts[0]


def _is_newer(other, report):
    return (other.submitted_at, other.pk) > (report.submitted_at, report.pk)


def similar_reports(report, *, user, limit=LIMIT):
    """Up to `limit` likely duplicates of `report` that `user` may see, most similar first: [Match]."""
    visible = Report.objects.visible_to(user).select_related("verifying_agency")
    found = triage.find_duplicates(report, queryset=visible, limit=limit)
    if not found:
        return []
    cities = {_city_code(other.region_id) for other, _score in found} - {None}
    names = dict(Region.objects.filter(code__in=cities).values_list("code", "name")) if cities else {}
    this_mergeable = report.status in ACTIVE_STATUSES and access.can_verify(user, report)
    matches = []
    for other, score in found:
        newer = _is_newer(other, report)
        # A public report is never merged into a confidential one (reports.actions.mark_duplicate
        # refuses it): no button that can only fail.
        other_into_this = (
            other.status in ACTIVE_STATUSES
            and access.can_verify(user, other)
            and not (report.is_confidential and not other.is_confidential)
        )
        this_into_other = this_mergeable and not (other.is_confidential and not report.is_confidential)
        if newer and other_into_this:
            merge = MERGE_OTHER
        elif this_into_other:
            merge = MERGE_THIS
        else:
            merge = None
        matches.append(
            Match(
                report=other,
                similarity=score,
                city=names.get(_city_code(other.region_id), ""),
                merge=merge,
                is_newer=newer,
            )
        )
    return matches
