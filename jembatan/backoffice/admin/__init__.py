"""The Django admin's screens for the directory and the outbox (autodiscovered through this package)."""

from jembatan.backoffice.admin import directory, outbox  # noqa: F401
