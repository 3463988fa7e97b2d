# Jembatan: `make run` and `make test` do all set-up on a fresh machine with only python3 >= 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
STATIC_MANIFEST := $(or $(JEMBATAN_VAR_DIR),var)/static/staticfiles.json

.PHONY: run test setup lint test-sqlite test-postgres test-browser test-schema test-faults test-cluster test-federation bench screenshots messages clean

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Jembatan needs Python >= 3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "== installing the locked packages into $(VENV)"
	@set -o pipefail; $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock \
		2>&1 | (grep -v "is ignored: it is neither a file nor a directory" || true)
	@touch $@

setup: $(VENV)/.installed
	@JEMBATAN_ENV=development $(PY) manage.py migrate --no-input -v0
	@JEMBATAN_ENV=development $(PY) manage.py load_regions --if-empty
	@JEMBATAN_ENV=development $(PY) manage.py seed_demo
	@# The demo reports' messages link to where `make run` will serve them (HOST/PORT, or SITE_URL).
	@JEMBATAN_ENV=development SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py seed_demo_reports
	@JEMBATAN_ENV=development $(PY) manage.py triage train --if-none --note demo >/dev/null && echo "Model triase siap."
	@JEMBATAN_ENV=development $(PY) manage.py rebuild_rollups --no-progress
	@JEMBATAN_ENV=development $(PY) manage.py publish_open_data
	@$(MAKE) --no-print-directory $(STATIC_MANIFEST)

# Hashed, gzip- and brotli-compressed copies of the static files, rebuilt only when a source changed
# (compressing every file takes a minute on a busy machine).
$(STATIC_MANIFEST): $(shell find jembatan/static -type f 2>/dev/null) requirements.lock
	@echo "== collecting static files (hashed names, gzip + brotli)"
	@JEMBATAN_ENV=development $(PY) manage.py collectstatic --no-input -v0
	@touch $@

run: setup
	@JEMBATAN_ENV=development HOST=$(HOST) PORT=$(PORT) SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
		$(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed
	@echo "== ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check . >/dev/null || { $(VENV)/bin/ruff format --diff . | head -40; exit 1; }

test-sqlite: $(VENV)/.installed
	@echo "== pytest on SQLite"
	@JEMBATAN_ENV=test DATABASE_URL= $(VENV)/bin/pytest -m "not browser"

test-postgres: $(VENV)/.installed
	@bash scripts/test-postgres.sh "$(PG_URL)"

test-browser: $(VENV)/.installed
	@bash scripts/test-browser.sh

test-schema: $(VENV)/.installed
	@bash scripts/test-schema.sh

test-faults: $(VENV)/.installed
	@bash scripts/test-faults.sh

test-cluster: $(VENV)/.installed
	@bash scripts/test-cluster.sh

test-federation: $(VENV)/.installed
	@bash scripts/test-federation.sh

test: setup lint test-sqlite test-postgres test-browser test-schema test-faults test-cluster test-federation
	@echo "== all test stages passed"

bench: setup
	@for b in bench/bench_*.py; do echo "== $$b"; JEMBATAN_ENV=development $(PY) $$b || exit 1; done

screenshots: setup
	@$(PY) scripts/screenshots.py

messages: $(VENV)/.installed
	@cd jembatan && JEMBATAN_ENV=development ../$(PY) ../manage.py makemessages -l en --no-location --no-obsolete \
		--ignore "tests/*" --ignore "*/tests/*" && JEMBATAN_ENV=development ../$(PY) ../manage.py compilemessages -l en

clean:
	rm -rf $(VENV) var
