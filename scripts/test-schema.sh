#!/usr/bin/env bash
# The schemathesis stage of `make test`: REST API v1 fuzzed through its own OpenAPI schema
# (/api/v1/schema/), in process through the WSGI application, on a throwaway SQLite test database.
# Fails on any 5xx. SCHEMA_MAX_EXAMPLES (default 25) sets the examples per operation; the run is
# derandomized, so a failure repeats.
set -euo pipefail
echo "== schemathesis: REST API v1 against its OpenAPI schema (no 5xx)"
JEMBATAN_ENV=test DATABASE_URL= .venv/bin/pytest jembatan/api/tests/schema_fuzz.py \
  -p no:cacheprovider -q -o addopts="-p jembatan.testenv --strict-markers" "$@"
