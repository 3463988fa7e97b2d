"""Builders for the demo tests: the Sumatera Barat slice of the region file, and seed_demo itself."""

import functools
from io import StringIO

from django.core.management import call_command

from jembatan.directory.sources import read_regions


@functools.cache
def sumbar_rows():
    """Sumatera Barat, its 19 kabupaten/kota, and everything inside Kota Padang (135 rows)."""
    return [
        row
        for row in read_regions()
        if row.code == "13"
        or (row.code.startswith("13.") and row.level == "kabupaten_kota")
        or row.code.startswith("13.71.")
    ]


def seed(*args):
    """Run `manage.py seed_demo` and return what it printed."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()
