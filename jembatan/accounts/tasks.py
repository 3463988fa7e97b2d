"""Background housekeeping for accounts."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jembatan.accounts import actions
from jembatan.jobs.periodic import periodic_work


@db_periodic_task(crontab(hour="19", minute="17"))  # 02:17 WIB, when nobody is filing complaints
@periodic_work("accounts-login-prune", period=timedelta(days=1))
def prune_login_attempts_task():
    """Delete failed-login records past their retention, every night."""
    return actions.prune_login_attempts()
