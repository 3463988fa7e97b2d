"""Background jobs of ops (Huey): watch the heartbeats of periodic work."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.jobs.periodic import periodic_work
from jembatan.ops import watch


@db_periodic_task(crontab(minute="*/5"))
@periodic_work("ops-watch-heartbeats", period=timedelta(minutes=5))
def watch_heartbeats_task():
    """Every five minutes: tell the sysadmins about watched periodic work that has fallen behind."""
    return watch.alert_late_work()
