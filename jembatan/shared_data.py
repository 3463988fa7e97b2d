"""Reference data the repository may not ship, for the tests and benches that read it.

What the product needs at run time, and may be shipped, is in the repository with its licence
(region codes in directory/data, the province map in insights/data, the demo texts in ops/data).
The rest (the SP4N-LAPOR! Samarinda export has no licence; the 2017 LAPOR! corpus is only a bench's
input) is looked for in the folder JEMBATAN_SHARED_DATA names, else ../shared/data beside the
checkout. A test that needs an absent file is skipped with the reason, and fails under CI=true.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir():
    """The folder of the unshipped reference data (it may not exist)."""
    configured = os.environ.get("JEMBATAN_SHARED_DATA", "")
    return Path(configured) if configured else _ROOT.parent / "shared" / "data"


def shared_data_path(name):
    """The path of a reference file, or FileNotFoundError naming what to set (for benches)."""
    path = shared_data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: set JEMBATAN_SHARED_DATA to the reference data folder.")
    return path


def needed_by_test(name):
    """The path of a reference file a test reads: skip the test when it is absent, fail under CI=true."""
    import pytest

    path = shared_data_dir() / name
    if path.is_file():
        return path
    message = (
        f"{name} is not shipped with the repository (its licence does not allow it) and was not found "
        f"in {shared_data_dir()}: set JEMBATAN_SHARED_DATA to the reference data folder."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
