"""Open a warehouse built by ``kpz ingest`` and read its extract metadata."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .. import config
from ..errors import KpzError


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file; a clear error when it is missing or not a kpz warehouse."""
    path = Path(path)
    if not path.exists():
        raise KpzError(f"warehouse {path} does not exist (build it with `kpz ingest EXTRACT_DIR`)")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise KpzError(f"warehouse {path} cannot be opened: {exc}") from None
    config.configure_duckdb(con)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    if "meta_extract" not in tables:
        con.close()
        raise KpzError(f"{path} is not a kpz warehouse (no table meta_extract)")
    return con


def warehouse_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The database file of ``con`` when it is a file opened read-only, else None."""
    try:
        rows = con.execute(
            "select path, readonly from duckdb_databases() where database_name = current_database()"
        ).fetchall()
    except duckdb.Error:
        return None
    if not rows or not rows[0][0] or not rows[0][1]:
        return None
    path = Path(rows[0][0])
    return path if path.is_file() else None


def extract_meta(con: duckdb.DuckDBPyConnection) -> dict:
    """The one row of ``meta_extract`` as a dict (extract id, period, design, checksums...)."""
    cur = con.execute("select * from meta_extract")
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise KpzError("meta_extract is empty: the warehouse was not built completely")
    return dict(zip(names, row))


def design_weight_sql(meta: dict, sample_flag: str = "in_steekproef") -> str:
    """SQL expression for a person's weight in national figures under the extract's design.

    ``population``: every person counts once. ``cohort_sample``: persons in the selection count
    once and persons drawn in the random comparison sample (``sample_flag`` true) count
    ``1 / sample_fraction`` times, so sums of the weight estimate national totals.
    """
    if meta.get("design") != "cohort_sample":
        return "1.0"
    fraction = meta.get("sample_fraction")
    if not fraction or not 0 < float(fraction) <= 1:
        raise KpzError(f"cohort_sample extract with invalid sample_fraction {fraction!r} in its manifest")
    return f"(case when coalesce({sample_flag}, false) then {1.0 / float(fraction)} else 1.0 end)"
