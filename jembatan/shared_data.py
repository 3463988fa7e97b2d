"""Where the workspace's reference data (../shared/data) lives, for tests, benches and scripts.

The product never reads it at run time (what it ships is copied into the project). A checkout
normally sits beside `shared/`; a clone elsewhere (a CI scratch directory) finds it through
JEMBATAN_SHARED_DATA or the workspace's fixed location.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_CANDIDATES = [
    os.environ.get("JEMBATAN_SHARED_DATA", ""),
    str(_ROOT.parent / "shared" / "data"),
    "/work/shared/data",
]


def shared_data_dir():
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "The reference data (shared/data) was not found; set JEMBATAN_SHARED_DATA to its folder."
    )


def shared_data_path(name):
    return shared_data_dir() / name
