# The two set-up commands: `make run` (the product on its embedded default) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench bench-summary lint install install-dev clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes, so a second `make run` starts in seconds.
$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# rundemo starts the embedded Postgres (var/postgres/, created once), migrates, seeds the demo once, and
# serves with a Celery worker and beat; Ctrl-C stops them all, Postgres included.
run: $(VENV)/.installed-run
	DEBUG=true PORT=$(PORT) $(PY) manage.py rundemo --port $(PORT)

test: $(VENV)/.installed-dev
	bash scripts/with-services.sh $(PY) -m pytest $(PYTEST_ARGS)

# The design's rules, checked (README "Checks"): style, formatting, types, layers, sizes.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_sizes.py

clean:
	rm -rf var/ .pytest_cache

# Speed and memory figures, measured side by side in one run against real Postgres and Redis: JSON under
# var/bench/, then one summary table of every benchmark against its targets. The full run is long (about
# half an hour); BENCH names the ones to run: `make bench BENCH=load`, `make bench BENCH="ingest dashboard"`.
BENCH ?=
bench: $(VENV)/.installed-dev
	@if [ -z "$(BENCH)" ] || [[ " $(BENCH) " == *" load "* ]]; then bash scripts/install-wrk.sh || exit 2; fi
	bash scripts/with-services.sh $(PY) -m bench $(BENCH)

# The summary table alone, from the figures the last runs left in var/bench/.
bench-summary: $(VENV)/.installed-dev
	@$(PY) -m bench --summary
