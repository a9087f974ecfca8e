# sessionkeeper — `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What running needs; the tests add pgTAP, plpgsql_check, pg_auto_failover and a headless browser. `make run`
# installs only the first list, so a newcomer who only runs it never waits for a browser to download.
RUN_PACKAGES := postgresql-15 postgresql-client-15 postgresql-15-cron
APT_PACKAGES := $(RUN_PACKAGES) postgresql-15-pgtap postgresql-15-plpgsql-check postgresql-15-auto-failover \
	libtap-parser-sourcehandler-pgtap-perl chromium chromium-driver
SQL_DIRS := migrations sql tests/pgtap
PY_DIRS := runner tests bench

.PHONY: help deps system-deps python-deps run test test-fast lint test-pgtap test-python test-faults test-ha ha-demo soak schema bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

deps: system-deps python-deps ## Install what is missing: Debian packages (as root) and .venv

system-deps: ## Install the PostgreSQL 15 packages with apt-get when missing (root), else say how
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

python-deps: $(VENV)/.installed ## Create .venv and install sessionkeeper with its dev tools

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "sessionkeeper needs Python >= 3.11 ($(PYTHON) is $$($(PYTHON) --version))" >&2; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else echo "$(PYTHON) cannot create a virtual environment; run: sudo apt-get install -y python3-venv" >&2; exit 1; fi; }
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

run: APT_PACKAGES = $(RUN_PACKAGES)
run: deps ## Start the embedded database, migrate, and keep the system running (Ctrl-C stops)
	$(BIN)/sessionkeeper run --demo

test: deps lint test-pgtap test-python ## Lint, then pgTAP and pytest against throwaway clusters

test-fast: deps lint test-pgtap ## The same without the fault and failover suites (tests/faults, tests/ha), for the edit-test loop
	$(BIN)/pytest --ignore=tests/faults --ignore=tests/ha

lint: python-deps ## sqlfluff (dialect postgres) and ruff
	$(BIN)/sqlfluff lint --processes 2 $(SQL_DIRS)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

test-pgtap: deps ## pg_prove over tests/pgtap against a freshly migrated database
	$(BIN)/python tests/run_pgtap.py

test-python: deps ## pytest (each test gets a fresh copy of a migrated template database), the fault suite included
	$(BIN)/pytest

test-faults: deps ## Only the fault suite (tests/faults): kills, restarts, provider down, races
	$(BIN)/pytest tests/faults

test-ha: deps ## The failover test (tests/ha): SIGKILL the primary of a pg_auto_failover formation mid-run
	$(BIN)/pytest -s tests/ha

ha-demo: APT_PACKAGES = $(RUN_PACKAGES) postgresql-15-auto-failover
ha-demo: deps ## Start a local pg_auto_failover formation (monitor + two nodes), migrated; `sessionkeeper ha down` stops it
	$(BIN)/sessionkeeper ha up

SOAK_EXAMPLES ?= 10000

soak: deps ## Property tests at scale: recurrence vs dateutil, quiet hours vs zoneinfo, SOAK_EXAMPLES (10000) each
	SESSIONKEEPER_PROPERTY_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/pytest -s -q -p no:cacheprovider \
	  tests/test_recurrence_property.py tests/test_quiet_hours_property.py

schema: deps ## Rewrite docs/schema.sql, the state the migrations build, from a freshly migrated database
	$(BIN)/python -m tests.schema_snapshot

bench: deps ## Run the benchmarks under bench/ and print their figures
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@set -e; for script in bench/bench_*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks yet"; break; }; \
	  echo "== $$script"; $(BIN)/python "$$script"; \
	done

clean: ## Stop the embedded database and delete .venv and .pgdata
	-[ -x $(BIN)/sessionkeeper ] && $(BIN)/sessionkeeper db down
	rm -rf $(VENV) .pgdata .pytest_cache .ruff_cache
