# kpz-analytics — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KPZ := $(BIN)/kpz
SEED ?= 42
EXTRACT ?= data/raw/synthetic-default

WAREHOUSE ?= data/processed/synthetic-default.duckdb
SCALE ?= 1
VALIDATE_ARGS ?=
BENCH_SCALES ?= 0.03,0.1,1
# Real file targets, so a second `make report` on an unchanged extract redoes nothing: the
# warehouse is rebuilt only when the manifest (which holds every file's checksum), the SQL or
# the ingest code changed; the reports only when the warehouse, a notebook or the package did.
NAME := $(basename $(notdir $(WAREHOUSE)))
SQL := $(shell find sql -name '*.sql' 2>/dev/null)
INGEST_CODE := $(shell find src/kpz_analytics/extract src/kpz_analytics/warehouse -name '*.py' 2>/dev/null)
PACKAGE := $(shell find src/kpz_analytics -name '*.py' -o -name '*.csv' -o -name '*.j2' 2>/dev/null)
NOTEBOOKS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
REPORT_DONE := reports/.$(NAME).done
EXPORT_DONE := exports/.$(NAME).done

.DEFAULT_GOAL := help
.PHONY: help setup lock data warehouse report export test validate bench lab strip clean

help: ## List the targets with a line each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# The environment is locked: every package at the exact version of requirements.lock (made by
# `make lock` from pyproject.toml), then the project itself without touching them.
$(BIN)/kpz: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	@touch $@

setup: $(BIN)/kpz ## Create .venv from requirements.lock with the package, its `kpz` command and the test tools

lock: ## Re-resolve requirements.lock from pyproject.toml (newest allowed versions; commit the result)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[test]'
	{ echo "# Locked environment of kpz-analytics: made by \`make lock\` ($$(.lock-venv/bin/python --version), $$(date -u +%F))."; \
	  echo "# \`make setup\` installs exactly these versions; pyproject.toml says what is allowed."; \
	  .lock-venv/bin/pip freeze --exclude-editable | LC_ALL=C sort -f; } > requirements.lock
	rm -rf .lock-venv

$(EXTRACT)/manifest.json: | $(BIN)/kpz
	$(KPZ) synth --out $(EXTRACT) --seed $(SEED) --scale $(SCALE)

data: $(EXTRACT)/manifest.json ## Generate the built-in synthetic extract (national scale, seed 42; SEED=, SCALE= to change)

$(WAREHOUSE): $(EXTRACT)/manifest.json $(SQL) $(INGEST_CODE) | $(BIN)/kpz
	$(KPZ) ingest $(EXTRACT) --warehouse $(WAREHOUSE)

warehouse: $(WAREHOUSE) ## Validate and ingest the extract into data/processed/synthetic-default.duckdb (only when it changed)

$(REPORT_DONE): $(WAREHOUSE) $(NOTEBOOKS) $(PACKAGE) $(BIN)/kpz
	$(KPZ) report $(WAREHOUSE)
	@touch $@

report: $(REPORT_DONE) ## Render the reports (reports/<extract_id>/index.html) on the built-in synthetic extract
	@echo "reports up to date: $$(ls -d reports/*/index.html 2>/dev/null | tr '\n' ' ')"

$(EXPORT_DONE): $(WAREHOUSE) $(PACKAGE) $(BIN)/kpz
	$(KPZ) export $(WAREHOUSE) --out exports/$(NAME)
	@mkdir -p $(@D) && touch $@

export: $(EXPORT_DONE) ## Export the suppressed tables (CSV, xlsx, audit) to exports/synthetic-default/

# Two workers (pytest-xdist), one per core; a test file stays on one worker so its fixtures are built once.
test: setup ## Run the test suite (without the checks marked slow: those run in `make validate`)
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --dist loadfile

validate: setup ## Slow checks, then quick replicated validation against planted truth (VALIDATE_ARGS= for the full run)
	$(BIN)/python -m pytest -q -m slow -n 2 --dist loadfile
	$(BIN)/python -m kpz_analytics.validation $(VALIDATE_ARGS)

bench: setup ## Benchmark every stage at BENCH_SCALES (default 0.03,0.1,1) against one bare DuckDB pass and the panel pass: bench/summary.md
	$(KPZ) bench --scales $(BENCH_SCALES)

lab: setup ## Start JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

strip: setup ## Strip outputs from the notebooks before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean: ## Remove generated data, warehouses and reports (keeps .venv; `make report` then regenerates)
	rm -rf data/raw/synthetic-* data/processed/*.duckdb data/processed/*.results/ reports/*/ reports/*.html reports/.*.done results/*/ exports/
