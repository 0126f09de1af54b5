"""Data-quality bookkeeping of an ingest: ``dq_summary``, ``dq_quarantine_by_reason``, reconciliation.

Counts per file (see ``docs/warehouse.md``)::

    rows_in   = rows_kept + rows_quarantined
    core rows = rows_kept - duplicates_removed - credits_netted - lines_cancelled

Both identities are checked; a failure is a bug in the pipeline, not bad input, and raises
:class:`ReconciliationError`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ..extract import spec

SUMMARY_COLUMNS = [
    "file", "rows_in", "rows_kept", "rows_quarantined", "duplicates_removed", "credits_netted", "lines_cancelled",
]


class ReconciliationError(AssertionError):
    """The row counts of a file do not add up: a pipeline bug (never caused by input)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts_sql(table: spec.Table) -> str:
    """SQL returning (rows_kept, duplicates_removed, credits_netted, lines_cancelled, core_rows).

    Generated from ``spec.py`` (key, claims or not) rather than written per table: the counts
    are the same four questions for every file, and they must stay in step with the contract.
    """
    t = table.name
    stg, core = f"stg_{t}", f"core_{t}"
    if table.key is not None:
        distinct = f"(select count(distinct {_q(table.key)}) from {stg})"
    else:
        cols = ", ".join(_q(c) for c in table.column_names)
        distinct = f"(select count(*) from (select distinct {cols} from {stg}))"
    credits = cancelled = "0"
    if table.is_claims:
        credits = f"(select count(distinct declaratie_id) from {stg} where credit_voor_id is not null)"
        cancelled = f"""(select count(distinct line.declaratie_id) from {stg} as line
            semi join {stg} as credit
                on credit.credit_voor_id = line.declaratie_id and credit.persoon_id = line.persoon_id
            where line.credit_voor_id is null)"""
    elif t == "dot_zorgactiviteiten":
        # Activities leave core with their line: with a credit line, or with the line it cancels.
        activities = "(select distinct declaratie_id, zorgactiviteit_code, datum, aantal from stg_dot_zorgactiviteiten)"
        credits = f"""(select count(*) from {activities} as a
            semi join stg_dot as d on d.declaratie_id = a.declaratie_id and d.credit_voor_id is not null)"""
        cancelled = f"""(select count(*) from {activities} as a
            semi join stg_dot as d on d.declaratie_id = a.declaratie_id and d.credit_voor_id is null
            anti join core_dot as c on c.declaratie_id = a.declaratie_id)"""
    return (
        f"select (select count(*) from {stg}) as kept, (select count(*) from {stg}) - {distinct} as dup, "
        f"{credits} as credits, {cancelled} as cancelled, (select count(*) from {core}) as core_rows"
    )


def summarise(
    con: duckdb.DuckDBPyConnection, files: dict[str, str], rows_in: dict[str, int], quarantined: dict[str, int]
) -> pd.DataFrame:
    """Write ``dq_summary`` and ``dq_quarantine_by_reason``; return the summary.

    Parameters
    ----------
    files : spec table name -> file name (``dot.csv``)
    rows_in, quarantined : spec table name -> counts from validation
    """
    rows = []
    for name, file in files.items():
        table = spec.TABLES[name]
        kept, dup, credits, cancelled, core_rows = con.execute(_counts_sql(table)).fetchone()
        if rows_in[name] != kept + quarantined[name]:
            raise ReconciliationError(
                f"{file}: rows_in {rows_in[name]} != rows_kept {kept} + rows_quarantined {quarantined[name]}"
            )
        if core_rows != kept - dup - credits - cancelled:
            raise ReconciliationError(
                f"{file}: core_{name} has {core_rows} rows, expected kept {kept} - duplicates {dup} "
                f"- credits {credits} - cancelled {cancelled}"
            )
        rows.append((file, rows_in[name], kept, quarantined[name], dup, credits, cancelled))
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    con.execute(
        "create or replace table dq_summary (file varchar, rows_in bigint, rows_kept bigint, "
        "rows_quarantined bigint, duplicates_removed bigint, credits_netted bigint, lines_cancelled bigint)"
    )
    con.executemany("insert into dq_summary values (?, ?, ?, ?, ?, ?, ?)", [tuple(r) for r in rows])
    con.execute(
        """create or replace table dq_quarantine_by_reason as
        select file, reason, count(*) as n_rows from quarantine group by file, reason order by file, reason"""
    )
    return summary


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``dq_quarantine_by_reason`` as a DataFrame (file, reason, n_rows)."""
    return con.execute("select * from dq_quarantine_by_reason order by file, reason").df()
