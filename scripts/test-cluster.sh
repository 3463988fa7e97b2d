#!/usr/bin/env bash
# The cluster stage of `make test`: PostgreSQL primary + replica, Redis, two web and two worker nodes
# behind HAProxy, on loopback, under faults (scripts/test_cluster.py). Skipped (loudly) when a part
# is missing; under CI=true a skipped stage fails the run.
set -euo pipefail
echo "== cluster test (PostgreSQL 15 primary + replica, Redis, 2 web, 2 workers, HAProxy)"
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("postgresql-15 (/usr/lib/postgresql/15/bin)")
command -v redis-server >/dev/null || missing+=(redis-server)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v runuser >/dev/null || missing+=(runuser)
id postgres >/dev/null 2>&1 || missing+=("the postgres user")
[ "$(id -u)" = "0" ] || missing+=("root (to run PostgreSQL as the postgres user)")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "!! cluster stage SKIPPED under CI=true (missing: ${missing[*]}): failing the run." >&2
    exit 1
  fi
  echo "!! cluster stage SKIPPED: missing ${missing[*]} (apt-get install -y postgresql-15 redis-server haproxy)"
  exit 0
fi
exec timeout 420 .venv/bin/python scripts/test_cluster.py
