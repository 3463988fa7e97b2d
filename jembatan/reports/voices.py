"""How many people a problem has: who reported it (the report and those merged into it) and who
supports it besides them. Counted per page of reports in three queries, for the public page, the
merged report's page and the workbench queue ("12 warga melaporkan ini")."""

from dataclasses import dataclass

from jembatan.reports.models import Follower, Report, Support


@dataclass(frozen=True)
class Voices:
    reported: int = 1  # the report's own reporter and the reporters of the reports merged into it
    supporters: int = 0  # "Dukung", without the merged reporters whose support the merge added
    followers: int = 0

    @property
    def people(self):
        return self.reported + self.supporters


def voices_of(reports, *, with_followers=False):
    """{report pk: Voices} for `reports` (Report instances, support_count read from them)."""
    reports = list(reports)
    ids = [r.pk for r in reports]
    merged = {}
    # `or [0]`: one query even for an empty page, so a page's query count never depends on its rows.
    for original_id, reporter_id in Report.objects.filter(duplicate_of_id__in=ids or [0]).values_list(
        "duplicate_of_id", "reporter_id"
    ):
        merged.setdefault(original_id, []).append(reporter_id)
    merged_users = {uid for users in merged.values() for uid in users if uid}
    counted_twice = {}
    if merged_users:
        pairs = Support.objects.filter(report_id__in=ids, user_id__in=merged_users).values_list(
            "report_id", "user_id"
        )
        for report_id, user_id in pairs:
            if user_id in merged.get(report_id, ()):
                counted_twice[report_id] = counted_twice.get(report_id, 0) + 1
    followers = {}
    if with_followers:
        for report_id in (
            Follower.objects.active().filter(report_id__in=ids).values_list("report_id", flat=True)
        ):
            followers[report_id] = followers.get(report_id, 0) + 1
    return {
        r.pk: Voices(
            reported=1 + len(merged.get(r.pk, ())),
            supporters=max(0, r.support_count - counted_twice.get(r.pk, 0)),
            followers=followers.get(r.pk, 0),
        )
        for r in reports
    }
