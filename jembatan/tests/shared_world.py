"""A test module's world built once, not once per test (Django's `setUpTestData` for pytest).

`w = world_fixture(build_world)` in a conftest gives the tests a `w` fixture. The first test of a
module that asks for it builds the world inside a transaction that stays open until the module's
last test and is then rolled back; every test runs in its own savepoint inside it (pytest-django's
usual per-test transaction, nested), so whatever a test writes is undone before the next one, and
each test gets a deep copy of the built objects, so changing them in memory does not leak either.

The world is built per test, as before, whenever sharing could change what a test sees:
- a test of the module commits for real (transactional_db, live_server, django_db(transaction=True),
  reset_sequences, serialized_rollback): its flush would remove the world, and other threads or
  processes would not see rows of a transaction that never commits;
- a test of the module uses the database without asking for `w`: it would see the world's rows.
A test that asks for `w` while the clock is moved fails loudly instead: the shared rows carry the
real time, not the test's.
"""

import copy

import pytest
import time_machine
from django.db import transaction
from pytest_django.fixtures import validate_django_db

_TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _can_share(request, name):
    """True when every database test of the requesting module asks for `name` and none commits."""
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _TRANSACTIONAL_FIXTURES:
            return False
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            transactional, reset_sequences, _dbs, serialized_rollback, _apps = validate_django_db(marker)
            if transactional or reset_sequences or serialized_rollback:
                return False
        uses_db = marker is not None or "db" in fixtures
        if uses_db and name not in fixtures:
            return False
    return True


def world_fixture(builder):
    """The fixtures of a `w` returning `builder()`'s world, built once per module where it can be.

    Assign both in a conftest: `_w_built_once_per_module, w = world_fixture(build_world)`.
    """

    @pytest.fixture(scope="module", name="_w_built_once_per_module")
    def template(request, django_db_setup, django_db_blocker):
        if not _can_share(request, "w"):
            yield None
            return
        # Marked as Django's TestCase marks its class-wide transaction, so a durable atomic block
        # in a test still nests inside it.
        module_transaction = transaction.atomic()
        module_transaction._from_testcase = True
        with django_db_blocker.unblock(), module_transaction:
            yield builder()
            transaction.set_rollback(True)

    # The module-scoped template is set up before `db` opens the test's transaction (pytest sets up
    # wider scopes first), so the test's savepoint nests inside the module's transaction.
    @pytest.fixture(name="w")
    def world(_w_built_once_per_module, db):
        if _w_built_once_per_module is None:
            return builder()
        if time_machine.escape_hatch.is_travelling():
            raise RuntimeError(
                "`w` was asked for while the clock is moved, but this module's world was built once "
                "at the real time: ask for `w` before the fixture that moves the clock."
            )
        return copy.deepcopy(_w_built_once_per_module)

    return template, world
