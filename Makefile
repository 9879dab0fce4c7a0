# EWERS — the two commands: `make run` (demo) and `make test` (the whole suite).
# Both create the virtualenv and install on first use; nothing else is needed but Python 3.11+.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
# pytest in two processes (pytest-xdist), a whole test module to each: module-scoped
# fixtures (a browser, a seeded demo) stay one per module. TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 2

.PHONY: run test setup lint format typecheck lock check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "EWERS needs Python 3.11 or newer (set PYTHON=...)")'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $(STAMP)

# The catalogues (locale/, README "Languages"), compiled with polib: no GNU gettext needed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

setup: $(STAMP) $(MO_FILES)
	@mkdir -p var/staticfiles

locale/%.mo: locale/%.po $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py translations_compile --stale

# The demo: embedded SQLite and in-process tasks unless DATABASE_URL / REDIS_URL are set;
# with REDIS_URL, a Celery worker and beat run beside the web server (Ctrl-C stops all).
run: setup
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	@echo "EWERS on http://$(HOST):$(PORT)/ — demo logins above, password ewers-demo"
ifeq ($(strip $(REDIS_URL)),)
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)
else
	DEBUG=true HOST=$(HOST) PORT=$(PORT) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho -f Procfile.dev start
endif

# check, migrations in step with the models, lint and format, the layers contract (import-linter),
# types (mypy --strict), then pytest. With
# DATABASE_URL / REDIS_URL set (CI sets them) the suite runs on PostgreSQL with a real worker.
test: setup
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/mypy config ewers indicators alerts intake learning training analytics audit retention demo bench
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The pipeline's figures on PostgreSQL and Redis, each beside a baseline of the same run
# (README "Benchmarks"). Its own database ewers_bench, dropped and re-created each run.
.PHONY: bench
bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	DJANGO_SETTINGS_MODULE=config.settings_test $(BIN)/mypy config ewers indicators alerts intake learning training analytics audit retention demo bench

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing requirements*.txt: install the newest allowed versions and pin them.
lock: check-python
	rm -rf $(VENV).lock && $(PYTHON) -m venv $(VENV).lock
	$(VENV).lock/bin/python -m pip install --quiet -r requirements-dev.txt
	(echo "# Exact versions that make test and the image were checked with. Regenerate with 'make lock'"; \
	 echo "# after changing requirements*.txt; it constrains, it does not add packages."; \
	 $(VENV).lock/bin/pip freeze --exclude-editable | sort -f) > constraints.txt
	rm -rf $(VENV).lock

clean:
	rm -rf $(VENV) var/ewers.sqlite3 var/celerybeat-schedule .pytest_cache .ruff_cache .mypy_cache
