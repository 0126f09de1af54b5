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

# DuckDB resources (docs/scale.md). The defaults fit a 2-core / 16 GB laptop with room for
# Python next to DuckDB: every stage keeps its peak resident memory under 8 GB at national
# scale, because DuckDB spills what does not fit in DUCKDB_MEMORY_LIMIT to DUCKDB_TEMP_DIR.
#   KPZ_DUCKDB_THREADS       worker threads (default 2)
#   KPZ_DUCKDB_MEMORY_LIMIT  DuckDB's buffer limit, e.g. 4GB (default); raise it on a bigger
#                            machine to spill less, lower it to leave more to other programs
#   KPZ_DUCKDB_MARTS_MEMORY_LIMIT  the same while the marts are built (below)
#   KPZ_DUCKDB_TEMP_DIR      where DuckDB spills (default: next to the warehouse being built, or
#                            DuckDB's own default for analyses); needs free disk of about the
#                            size of the extract
DUCKDB_THREADS = int(os.environ.get("KPZ_DUCKDB_THREADS", "2"))
DUCKDB_MEMORY_LIMIT = os.environ.get("KPZ_DUCKDB_MEMORY_LIMIT", "4GB")
# The marts are built with more (KPZ_DUCKDB_MARTS_MEMORY_LIMIT; default 6GB, or
# KPZ_DUCKDB_MEMORY_LIMIT when that is set; ingest and the benchmark's marts stage set it before
# building them): one part of the person-month mart aggregates ~20 million person-month rows,
# which do not fit in 4 GB; DuckDB 2.0.1 then spills and finishes the aggregate on one of the two
# threads. One part at scale 1 took 39-48 s with 4 GB, 31 s with 5 GB, 28-33 s with 6 GB (peak 5.3
# and 5.6 GB; docs/scale.md).
DUCKDB_MARTS_MEMORY_LIMIT = os.environ.get("KPZ_DUCKDB_MARTS_MEMORY_LIMIT") or (
    DUCKDB_MEMORY_LIMIT if "KPZ_DUCKDB_MEMORY_LIMIT" in os.environ else "6GB")
DUCKDB_TEMP_DIR = os.environ.get("KPZ_DUCKDB_TEMP_DIR") or None
# Claim lines per part of the person-month mart (KPZ_LINES_PER_PART). DuckDB spills a large
# aggregate to disk, but above some tens of millions of groups one aggregate asks for hash
# directories of 512 MB and more and stops with "Out of Memory" under a 4 GB limit (measured
# at national scale, DuckDB 2.0.1); the mart is therefore built in parts by person, each part
# one statement over a range of persoon_id (docs/scale.md). Smaller parts were not measurably
# faster (5 million lines: 19 parts at scale 1, wall time the same within the machine's noise,
# CPU time +28 %).
LINES_PER_PART = int(os.environ.get("KPZ_LINES_PER_PART", "10000000"))
# Worker processes for independent model fits (KPZ_FIT_WORKERS, default 2): the transition
# analysis fits dozens of single-threaded models (rdrobust jumps, GEE rate ratios) and runs them
# side by side when the panels are large enough to pay for starting the workers
# (FIT_PARALLEL_MIN_ROWS panel rows in all, KPZ_FIT_PARALLEL_MIN_ROWS). 1 fits them one by one.
FIT_WORKERS = int(os.environ.get("KPZ_FIT_WORKERS", "2"))
FIT_PARALLEL_MIN_ROWS = int(os.environ.get("KPZ_FIT_PARALLEL_MIN_ROWS", "200000"))
# Report notebooks rendered side by side (KPZ_REPORT_WORKERS, default 2; 1 renders them one after
# the other). A notebook spends most of its time in single-threaded Python (kernel start, pandas,
# figures), so two kernels use the two cores that one leaves half idle. Each kernel's DuckDB gets
# KPZ_DUCKDB_MEMORY_LIMIT divided by the workers (reporting/render.py), so together they stay
# within the memory of one.
REPORT_WORKERS = int(os.environ.get("KPZ_REPORT_WORKERS", "2"))


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def spill_directory(temp_directory: str | Path | None = None) -> Path | None:
    """Where DuckDB spills: ``KPZ_DUCKDB_TEMP_DIR`` (a subdirectory named after the caller's
    default, so parallel runs do not share files), else the caller's default, else None
    (DuckDB's own default)."""
    if DUCKDB_TEMP_DIR and temp_directory is not None:
        return Path(DUCKDB_TEMP_DIR) / Path(temp_directory).name
    if DUCKDB_TEMP_DIR:
        return Path(DUCKDB_TEMP_DIR)
    return None if temp_directory is None else Path(temp_directory)


def configure_duckdb(con, temp_directory: str | Path | None = None) -> None:
    """Apply the DuckDB settings above to a connection (threads, memory limit, spill directory).

    ``temp_directory`` is the caller's default spill directory; ``KPZ_DUCKDB_TEMP_DIR`` wins
    over it (see :func:`spill_directory`).
    """
    con.execute(f"set threads = {int(DUCKDB_THREADS)}")
    set_memory_limit(con, DUCKDB_MEMORY_LIMIT, "KPZ_DUCKDB_MEMORY_LIMIT")
    spill = spill_directory(temp_directory)
    if spill is not None:
        con.execute(f"set temp_directory = {_sql_text(str(spill))}")


def set_memory_limit(con, limit: str, setting: str) -> None:
    """``set memory_limit``; a size DuckDB does not accept is an error naming the ``setting``."""
    import duckdb

    from .errors import KpzError

    try:
        con.execute(f"set memory_limit = {_sql_text(limit)}")
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise KpzError(f"{setting}={limit!r} is not a memory size DuckDB accepts (e.g. 4GB): {first_line}") from None


_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def split_memory_limit(limit: str, parts: int) -> str:
    """``limit`` (a DuckDB size such as ``4GB``) divided into ``parts``, as whole MiB.

    A size this cannot read (another notation DuckDB accepts) is returned unchanged, so every
    part keeps the whole limit rather than an invented one.
    """
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(limit))
    if parts <= 1 or not found or found.group(2).lower() not in _SIZE_UNITS:
        return limit
    size = float(found.group(1)) * _SIZE_UNITS[found.group(2).lower()]
    return f"{max(1, int(size / parts) // 2**20)}MiB"


def check_memory_limits() -> None:
    """Both memory settings are sizes DuckDB accepts (else the error of :func:`set_memory_limit`)."""
    import duckdb

    con = duckdb.connect()
    try:
        set_memory_limit(con, DUCKDB_MEMORY_LIMIT, "KPZ_DUCKDB_MEMORY_LIMIT")
        set_memory_limit(con, DUCKDB_MARTS_MEMORY_LIMIT, "KPZ_DUCKDB_MARTS_MEMORY_LIMIT")
    finally:
        con.close()


def warehouse_path(extract_id: str) -> Path:
    """Default warehouse file for an extract: ``data/processed/<extract_id>.duckdb``."""
    return DATA_PROCESSED / f"{extract_id}.duckdb"


# Result cache of the analyses (KPZ_CACHE; analyses/cache.py, docs/scale.md): `kpz report`
# reuses the tables `kpz prevalence`, `kpz transition` and `kpz landscape` computed on the same
# warehouse build with the same parameters and code, from data/processed/<warehouse>.results/.
# On by default; KPZ_CACHE=0 (or false, no, off) computes everything afresh. Read at every call,
# so a notebook or test can switch it with the environment.
def result_cache_enabled() -> bool:
    """Whether the analyses may read and write the result cache (``KPZ_CACHE``, default on)."""
    return os.environ.get("KPZ_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")
