"""Background jobs of the insights app (Huey). Thin: the work is in rollups, topics, exports,
opendata and monthly."""

import datetime as dt
import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jembatan.accounts.access import ROLE_ACTIONS, Action
from jembatan.accounts.models import StaffRole
from jembatan.insights import dashboards, exports, headline, monthly, opendata, rollups, topics
from jembatan.insights.models import NATIONAL
from jembatan.insights.queries import Catalog
from jembatan.jobs.periodic import periodic_work

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@periodic_work("insights-rollups", period=timedelta(minutes=5))
def refresh_rollups_task():
    """Every five minutes: bring the facts and cubes up to date with the timeline."""
    result = rollups.refresh()
    # Emerging words of every hub someone views, so a province's trends page reads a few rows.
    hubs = rollups.hubs()
    viewed = [key for key, _ids in dashboard_scopes() if key in hubs]
    dashboards.refresh_word_snapshots(viewed)
    # And their first screen's rising signals (a category in a kabupaten/kota), likewise.
    headline.refresh_signal_snapshots(viewed)
    logger.info("Rollups: %s reports rechecked, %s periods re-aggregated", result.reports, result.periods)
    return result.periods


def dashboard_scopes():
    """[(scope key, agency ids or None)] of every scope someone views dashboards in."""
    catalog = Catalog()
    roles = StaffRole.objects.filter(is_active=True).select_related("agency")
    result, seen = [], set()
    for role in roles:
        if Action.VIEW_DASHBOARD not in ROLE_ACTIONS[role.role]:
            continue
        key = role.agency_id or NATIONAL
        if key in seen:
            continue
        seen.add(key)
        if role.agency is None:
            result.append((NATIONAL, None))
        else:
            result.append((key, catalog.subtree_ids(role.agency)))
    return result


@db_periodic_task(crontab(minute="17", hour="*/6"))
@periodic_work("insights-topics", period=timedelta(hours=6))
def topic_clusters_task():
    """Four times a day: the topic clusters of every dashboard scope."""
    return topics.refresh_snapshots(dashboard_scopes())


# Huey schedules in UTC (settings.HUEY["utc"]): 18:30 UTC is 01:30 WIB, when nobody is working.
@db_periodic_task(crontab(minute="30", hour="18"))
@periodic_work("insights-open-data", period=timedelta(days=1))
def publish_open_data_task():
    """Every night: the open data files (public reports, anonymised)."""
    return opendata.publish()


@db_periodic_task(crontab(minute="0", hour="0", day="1"))  # 07:00 WIB on the 1st
@periodic_work("insights-monthly-report", period=timedelta(days=31))
def monthly_report_task():
    """On the 1st of each month: the Laporan Bulanan of last month, for the instance and each pimpinan."""
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return len(monthly.store_all(last_month))


@db_task()
def build_export_task(job_id):
    """Build one large export (queued when the job row is committed)."""
    exports.build_job(job_id)
