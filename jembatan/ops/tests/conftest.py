import pytest
from django.db import transaction

from jembatan.directory.actions import load_regions
from jembatan.ops.tests.factories import seed, sumbar_rows


@pytest.fixture
def sumbar(db):
    """The regions seed_demo stands on, loaded for one test."""
    load_regions(rows=sumbar_rows())


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for a module's read-only tests, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_regions(rows=sumbar_rows())
        seed()
        yield
        transaction.set_rollback(True)
