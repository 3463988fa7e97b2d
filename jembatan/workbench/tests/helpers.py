"""Small helpers shared by the workbench tests (reading pages, travelling in time)."""

import datetime as dt
import re

from jembatan.reports.sla import JAKARTA
from jembatan.workbench.queues import QUEUES

SLUGS = [q.slug for q in QUEUES]


def at(*args):
    return dt.datetime(*args, tzinfo=JAKARTA)


def numbers_on(response):
    """Tracking numbers linked from a queue page, in page order."""
    return re.findall(r"data-row-link>#(\d+)<", response.content.decode())


def queues_listing(client, report):
    """The queue slugs whose first page lists `report` (403 pages count as not listing it)."""
    found = set()
    for slug in SLUGS:
        response = client.get(f"/kerja/antrean/{slug}/")
        if response.status_code == 200 and report.tracking_number in numbers_on(response):
            found.add(slug)
    return found
