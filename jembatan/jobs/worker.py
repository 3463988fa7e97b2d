"""The worker's start and stop: free dead holds on start, stop gracefully on SIGTERM.

Huey's own consumer stops at once on SIGTERM, abandoning deliveries mid-send (they went out
again ten minutes later). `GracefulConsumer` treats SIGTERM as a graceful stop: no new work,
in-flight work may finish for WORKER_STOP_TIMEOUT seconds; what is still in flight then is handed
back (made due at once for another worker) and the leases this process holds are given back.
"""

import logging
import os
import threading

from django.conf import settings
from django.db import connection
from huey.consumer import Consumer

from jembatan.jobs import leases, shutdown
from jembatan.jobs.models import Lease

logger = logging.getLogger(__name__)


def on_start(huey):
    """What a starting worker does first: free dead workers' holds, drop unread task results."""
    try:
        leases.free_dead_holds()
        if not huey.results:
            huey.storage.flush_results()  # rows from before results were turned off
    finally:
        connection.close()


def give_up():
    """Hand back in-flight deliveries and this process's leases (the stop timeout ran out)."""
    try:
        shutdown.hand_back_all()
        Lease.objects.filter(owner__startswith=f"{leases.process_owner()}:").update(owner="", expires_at=None)
    finally:
        connection.close()


class GracefulConsumer(Consumer):
    def _handle_stop_signal(self, sig_num, frame):
        self._logger.info(
            "Received SIGTERM: stopping gracefully (at most %s s)", settings.WORKER_STOP_TIMEOUT
        )
        shutdown.stopping.set()
        self._received_signal = True
        self._restart = False
        self._graceful = True

    def stop(self, graceful=False):
        shutdown.stopping.set()
        if graceful:
            timer = threading.Timer(settings.WORKER_STOP_TIMEOUT, self._give_up)
            timer.daemon = True
            timer.start()
        super().stop(graceful=graceful)

    def _give_up(self):
        self._logger.warning(
            "in-flight work did not finish within %s s: handing it back", settings.WORKER_STOP_TIMEOUT
        )
        give_up()
        os._exit(0)
