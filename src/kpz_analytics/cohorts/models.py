"""Running the SQL models of an analysis (``sql/<folder>/<name>.sql``) as temporary tables.

The transition and landscape cohorts are built by SQL files that read the marts and a few
temporary tables of parameters and definitions; these helpers load such a table from a data
frame and run a model, with a one-line error naming the file when it fails, or make a temporary
table from generated SQL once per read-only connection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from .. import config
from ..errors import KpzError
from ..warehouse.connect import warehouse_file


def sql_dir(folder: str) -> Path:
    """Directory of the SQL models of ``folder`` (``sql/transition``, ``sql/landscape``)."""
    return Path(config.SQL_DIR) / folder


def run_model(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> None:
    """Create or replace temp table ``name`` from ``sql/<folder>/<name>.sql``."""
    path = sql_dir(folder) / f"{name}.sql"
    if not path.exists():
        raise KpzError(f"missing SQL model {path}")
    try:
        con.execute(f"create or replace temp table {name} as\n{path.read_text(encoding='utf-8')}")
    except duckdb.Error as exc:
        raise KpzError(f"sql/{folder}/{name}.sql failed: {str(exc).splitlines()[0]}") from None


def temp_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Create or replace temp table ``name`` holding ``frame``."""
    view = f"{name}_df"
    con.register(view, frame)
    try:
        con.execute(f"create or replace temp table {name} as select * from {view}")
    finally:
        con.unregister(view)


def definition_table(con: duckdb.DuckDBPyConnection, name: str, definition: pd.DataFrame) -> None:
    """Temp table ``name`` of an outcome/measure definition, empty subdomain/financing as NULL."""
    temp_table(con, name, definition.assign(subdomain=definition["subdomain"].replace("", None),
                                            financing=definition["financing"].replace("", None)))


def derived_table(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    """Create or replace temp table ``name`` as ``sql``, unless this connection made it already.

    On a warehouse opened read-only nothing the SQL reads can change, so a table made from the
    same SQL text before is kept: the prevalence finds cases twice (the trend without the 2023
    source builds the same source and marker tables) and one need definition's criteria twice,
    and each such person-year table takes 3-5 s at national scale. On a writable or in-memory
    connection the table is always made afresh.
    """
    digest = hashlib.sha256(sql.encode("utf-8")).hexdigest()
    keep = warehouse_file(con) is not None
    if keep:
        con.execute("create temp table if not exists _kpz_derived (name varchar, sha256 varchar)")
        made = con.execute(
            "select count(*) from _kpz_derived as d join duckdb_tables() as t "
            "on t.table_name = d.name and t.temporary where d.name = ? and d.sha256 = ?",
            [name, digest]).fetchone()[0]
        if made:
            return
    con.execute(f"create or replace temp table {name} as {sql}")
    if keep:
        con.execute("delete from _kpz_derived where name = ?", [name])
        con.execute("insert into _kpz_derived values (?, ?)", [name, digest])
