"""Open a warehouse built by ``kpz ingest`` and read its extract metadata."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import config
from .errors import KpzError


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file; a clear error when it is missing or not a kpz warehouse."""
    path = Path(path)
    if not path.exists():
        raise KpzError(f"warehouse {path} does not exist (build it with `kpz ingest EXTRACT_DIR`)")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise KpzError(f"warehouse {path} cannot be opened: {exc}") from None
    con.execute(f"set threads = {config.DUCKDB_THREADS}")
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    if "meta_extract" not in tables:
        con.close()
        raise KpzError(f"{path} is not a kpz warehouse (no table meta_extract)")
    return con


def extract_meta(con: duckdb.DuckDBPyConnection) -> dict:
    """The one row of ``meta_extract`` as a dict (extract id, period, design, checksums...)."""
    cur = con.execute("select * from meta_extract")
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise KpzError("meta_extract is empty: the warehouse was not built completely")
    return dict(zip(names, row))
