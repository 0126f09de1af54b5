"""Data-quality overview of a warehouse: what came in, what was kept, what the marts hold.

Functions return tidy DataFrames of aggregates for the data-quality report
(``notebooks/01_data_quality``); nothing here returns person-level rows.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ..warehouse.connect import extract_meta


def _tables(con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_name like ? order by 1",
        [f"{prefix}%"],
    ).fetchall()
    return [r[0] for r in rows]


def meta_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The extract's metadata as a two-column table (field, value)."""
    return pd.DataFrame(
        [(k, "" if v is None else str(v)) for k, v in extract_meta(con).items()],
        columns=["veld", "waarde"],
    )


def dq_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows in/kept/quarantined per file, with the row-count reconciliation checked."""
    df = con.execute("select * from dq_summary order by file").df()
    bad = df[df["rows_in"] != df["rows_kept"] + df["rows_quarantined"]]
    if not bad.empty:
        raise AssertionError(f"dq_summary does not reconcile for {', '.join(bad['file'])}")
    return df


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows per file and reason."""
    return con.execute("select * from dq_quarantine_by_reason order by file, reason").df()


def table_sizes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Row counts of every core and mart table (layer, table, rows)."""
    out = []
    for layer in ("core_", "mart_"):
        for name in _tables(con, layer):
            n = con.execute(f'select count(*) from "{name}"').fetchone()[0]
            out.append((layer.rstrip("_"), name, n))
    return pd.DataFrame(out, columns=["laag", "tabel", "rijen"])


def care_per_month(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Persons with care and cost per calendar month and domain (from ``mart_person_month``)."""
    return con.execute(
        """
        select month, domain, count(distinct persoon_id) as persons, sum(cost) as cost
        from mart_person_month
        group by month, domain
        order by month, domain
        """
    ).df()


def population_by_age(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Insured population on 1 July per year and age (from ``mart_denominator``)."""
    return con.execute(
        """
        select jaar, leeftijd, geslacht, sum(aantal) as aantal
        from mart_denominator
        group by jaar, leeftijd, geslacht
        order by jaar, leeftijd, geslacht
        """
    ).df()
