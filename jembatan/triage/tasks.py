"""Background jobs of triage (Huey): keep the duplicate index current, retrain the model weekly."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from jembatan.triage import actions, duplicates

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("triage-duplicate-index")
def index_duplicates_task():
    """Every minute: add new reports to the duplicate index."""
    added = duplicates.index_new_reports()
    if added:
        logger.info("duplicate index: %s reports added", added)
    return added


# Huey runs in UTC: Saturday 19:40 UTC is Sunday 02:40 WIB, when nobody is working the queues.
@db_periodic_task(crontab(day_of_week="6", hour="19", minute="40"))
@lock_task("triage-retrain")
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
@lock_task("triage-auto-route")
def auto_route_task():
    """Every minute, when TRIAGE_AUTO_ROUTE is on: route new reports the model is sure about."""
    from jembatan.triage import autoroute

    if not autoroute.enabled():
        return 0
    routed = autoroute.route_new_reports()
    if routed:
        logger.info("auto-routed %s reports", routed)
    return routed
