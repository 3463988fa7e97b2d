"""`manage.py run_worker`: the Huey consumer with a graceful SIGTERM (see jobs/worker.py).

Takes the same options as `run_huey`; use it wherever the worker is started (systemd, make).
"""

from huey.contrib.djhuey import HUEY
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey

from jembatan.jobs.worker import GracefulConsumer


class Command(RunHuey):
    help = "Run the background worker (Huey consumer) with a graceful stop on SIGTERM."

    def handle(self, *args, **options):
        # run_huey builds its consumer through HUEY.create_consumer: hand it ours.
        HUEY.create_consumer = lambda **values: GracefulConsumer(HUEY, **values)
        return super().handle(*args, **options)
