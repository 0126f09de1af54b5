"""Paths and settings in one place.

Every setting can be overridden by an environment variable (named in the comment), so a
secure research environment can point the pipeline elsewhere without code changes.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository root (src layout: src/kpz_analytics/ -> repo). KPZ_HOME overrides it.
REPO_ROOT = Path(os.environ.get("KPZ_HOME", PACKAGE_DIR.parents[1])).resolve()

SQL_DIR = REPO_ROOT / "sql"
DATA_PROCESSED = REPO_ROOT / "data" / "processed"
REPORTS_DIR = REPO_ROOT / "reports"
# Full (unprotected) result tables for analysts inside the research environment; never published.
RESULTS_DIR = REPO_ROOT / "results"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
REFERENCE_DIR = PACKAGE_DIR / "reference"
CODELIST_DIR = PACKAGE_DIR / "codelists"

# Seed of the built-in synthetic extract that `make report` generates (`kpz synth` default).
DEFAULT_SEED = 42

# Ingest stops when more than this share of a file's rows is quarantined (KPZ_MAX_BAD_SHARE).
MAX_BAD_SHARE = float(os.environ.get("KPZ_MAX_BAD_SHARE", "0.05"))

# DuckDB resources: keep within a 2-core / 16 GB machine by default.
DUCKDB_THREADS = int(os.environ.get("KPZ_DUCKDB_THREADS", "2"))
DUCKDB_MEMORY_LIMIT = os.environ.get("KPZ_DUCKDB_MEMORY_LIMIT", "8GB")


def warehouse_path(extract_id: str) -> Path:
    """Default warehouse file for an extract: ``data/processed/<extract_id>.duckdb``."""
    return DATA_PROCESSED / f"{extract_id}.duckdb"
