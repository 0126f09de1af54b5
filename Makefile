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

.DEFAULT_GOAL := help
.PHONY: help setup data warehouse report test validate lab strip clean

help: ## List the targets with a line each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/kpz: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/kpz ## Create .venv with the package, its `kpz` command and the test tools

$(EXTRACT)/manifest.json: | $(BIN)/kpz
	$(KPZ) synth --out $(EXTRACT) --seed $(SEED) --scale $(SCALE)

data: $(EXTRACT)/manifest.json ## Generate the built-in synthetic extract (national scale, seed 42; SEED=, SCALE= to change)

warehouse: data ## Validate and ingest the extract into data/processed/synthetic-default.duckdb
	$(KPZ) ingest $(EXTRACT) --warehouse $(WAREHOUSE)

report: warehouse ## Render the reports (HTML in reports/) on the built-in synthetic extract
	$(KPZ) report $(WAREHOUSE)

test: setup ## Run the test suite
	$(BIN)/python -m pytest -q

validate: setup ## Quick replicated validation against planted truth (VALIDATE_ARGS= for the full run)
	$(BIN)/python -m kpz_analytics.validation $(VALIDATE_ARGS)

lab: setup ## Start JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

strip: setup ## Strip outputs from the notebooks before committing
	$(BIN)/nbstripout notebooks/*.ipynb

clean: ## Remove generated data, warehouses and reports (keeps .venv; `make report` then regenerates)
	rm -rf data/raw/synthetic-* data/processed/*.duckdb reports/*/ reports/*.html results/*/
