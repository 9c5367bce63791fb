# PetLand: `make run` serves the app with demo data on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-dev migrate seed test test-nospeedups test-browser lint bench bench-smoke clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# A development .env that settings read (petland/settings.py): DEBUG on, a secret key and a Web
# Push (VAPID) key pair of its own (when the project's virtualenv is there to make one: `make run`
# installs it first). Written once, never overwritten; variables set in the environment win over it.
.env:
	@$(PYTHON) -c 'import secrets; print("# Written by make run for local development: DEBUG on, a generated secret key and Web Push keys.\n# Never use it in production; variables set in the environment win over this file.\nDJANGO_DEBUG=1\nDJANGO_SECRET_KEY=" + secrets.token_urlsafe(50))' > $@.tmp
	@if [ -x $(PY) ] && [ -f manage.py ]; then \
	  DJANGO_DEBUG=1 DJANGO_ENV_FILE= $(PY) manage.py webpush_keys >> $@.tmp && echo "WEBPUSH_SUBJECT=mailto:admin@localhost" >> $@.tmp; fi
	@mv $@.tmp $@
	@echo "wrote .env (development settings: DJANGO_DEBUG=1, a generated DJANGO_SECRET_KEY and, with the virtualenv, a VAPID key pair)"

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install .env
	DJANGO_DEBUG=$${DJANGO_DEBUG-1} $(PY) manage.py migrate --no-input

seed: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG-1} $(PY) manage.py seed_demo

run: seed
	DJANGO_DEBUG=$${DJANGO_DEBUG-1} $(PY) manage.py runserver $(HOST):$(PORT)

# The tests that start real servers use Redis at REDIS_URL (default: the local one). Then the
# second project's suite (examples/clinic: realtime's core, on DATABASE_URL's database server too);
# both run, and either failing fails.
test: install-dev
	@export REDIS_URL=$${REDIS_URL-redis://127.0.0.1:6379/0}; status=0; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	echo "=== examples/clinic"; \
	(cd examples/clinic && $(abspath $(PY)) -m pytest -q) || status=$$?; \
	exit $$status

# The real-time, API and browser tests with every speed-up off (REALTIME_SPEEDUPS=0: public APIs
# only, docs/performance.md); the speed-ups' own guard tests (tests/*/speedups) are left out. Then
# the clinic's suite (realtime's core) with them off too; both run, and either failing fails.
NOSPEEDUPS_TESTS ?= tests/realtime tests/browser $(wildcard tests/petland/test_api_*.py)
test-nospeedups: install-dev
	@export REALTIME_SPEEDUPS=0 REDIS_URL=$${REDIS_URL-redis://127.0.0.1:6379/0}; status=0; \
	$(PY) -m pytest $(NOSPEEDUPS_TESTS) --ignore=tests/realtime/speedups $(PYTEST_ARGS) || status=$$?; \
	echo "=== examples/clinic (REALTIME_SPEEDUPS=0)"; \
	(cd examples/clinic && $(abspath $(PY)) -m pytest -q) || status=$$?; \
	exit $$status

# Only the tests that drive Chromium (tests/browser).
test-browser: install-dev
	REDIS_URL=$${REDIS_URL-redis://127.0.0.1:6379/0} $(PY) -m pytest tests/browser $(PYTEST_ARGS)

# ruff's checks and format check, then mypy (pyproject.toml: strict for realtime/), then the example
# project's mypy (examples/clinic/mypy.ini); CI runs them before the tests.
lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	cd examples/clinic && PYTHONPATH=.:../.. $(abspath $(PY)) -m mypy

# The fan-out benchmark (docs/performance.md): the project and ../shared/peers, each on its own
# loopback port, Redis at REDIS_URL. `make bench BENCH_ARGS="--sockets 10 --concurrency 1"`.
bench: install-dev
	$(PY) -m bench --redis-url $${REDIS_URL-redis://127.0.0.1:6379/0} $(BENCH_ARGS)

# The same at a tiny size, as CI runs it (tests/bench).
bench-smoke: install-dev
	$(PY) -m bench --redis-url $${REDIS_URL-redis://127.0.0.1:6379/0} --sockets 20 --changes 5 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 test-db.sqlite3* .pytest_cache
