# The two set-up commands: `make run` (the product on its embedded default) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench lint install install-dev clean

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

run: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	PORT=$(PORT) $(PY) manage.py rundemo --port $(PORT)

test: $(VENV)/.installed-dev
	bash scripts/with-services.sh $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf var/ .pytest_cache

# Speed and memory figures, measured side by side in one run against real Postgres: JSON under var/bench/.
bench: $(VENV)/.installed-dev
	bash scripts/with-services.sh $(PY) -m bench
