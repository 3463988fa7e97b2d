"""Background jobs of triage (Huey): keep the duplicate index current, retrain the model weekly."""

import logging
from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.jobs.periodic import periodic_work
from jembatan.triage import actions, duplicates

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@periodic_work("triage-duplicate-index", period=timedelta(minutes=1), watched=True)
def index_duplicates_task():
    """Every minute: add new reports to the duplicate index."""
    added = duplicates.index_new_reports()
    if added:
        logger.info("duplicate index: %s reports added", added)
    return added


# Huey runs in UTC: Saturday 19:40 UTC is Sunday 02:40 WIB, when nobody is working the queues.
@db_periodic_task(crontab(day_of_week="6", hour="19", minute="40"))
@periodic_work("triage-retrain", period=timedelta(days=7), ttl=timedelta(minutes=10))
def retrain_triage_model_task():
    """Every week (Sunday 02:40 WIB): train a new model version; activate it unless it is clearly worse."""
    try:
        model = actions.train_model(note="mingguan", only_if_not_worse=True)
    except actions.TriageError as error:
        logger.info("triage retraining skipped: %s", error)
        return None
    logger.info(
        "triage model v%s trained (%s s, active: %s)", model.version, model.train_seconds, model.is_active
    )
    return model.version


@db_periodic_task(crontab(minute="*"))
@periodic_work("triage-auto-route", period=timedelta(minutes=1))
def auto_route_task():
    """Every minute, when TRIAGE_AUTO_ROUTE is on: route new reports the model is sure about."""
    from jembatan.triage import autoroute

    if not autoroute.enabled():
        return 0
    routed = autoroute.route_new_reports()
    if routed:
        logger.info("auto-routed %s reports", routed)
    return routed
