# Kopra Bill Reminder. `make run` starts the demo, `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
export BIND ?= 127.0.0.1:$(PORT)
export KOPRA_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: install run test test-embedded migrate seed services lint clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Run the product on the embedded default: SQLite + filesystem broker, web + worker + beat.
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Starting web, worker and beat. Console: $(KOPRA_BASE_URL)/  Admin: $(KOPRA_BASE_URL)/admin/  (Ctrl-C stops all)"
	PATH="$(abspath $(VENV))/bin:$$PATH" exec $(VENV)/bin/honcho start

## Run the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL point at them).
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Lint the code (ruff, configured in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var
