"""A pytest plugin loaded with `-p jembatan.testenv` before Django's settings are read.

It selects the test defaults (in-memory e-mail, immediate Huey, a throwaway var dir) so a plain
`pytest` behaves like `make test`.
"""

import os
import tempfile

os.environ.setdefault("JEMBATAN_ENV", "test")
os.environ.setdefault("JEMBATAN_VAR_DIR", tempfile.mkdtemp(prefix="jembatan-test-"))
