"""Data-quality bookkeeping of an ingest: ``dq_summary``, ``dq_quarantine_by_reason``,
``dq_checks``, reconciliation, and a checksum of a warehouse's content.

Counts per file (see ``docs/warehouse.md``)::

    rows_in   = rows_kept + rows_quarantined
    core rows = rows_kept - duplicates_removed - credits_netted - lines_cancelled

Both identities are checked; a failure is a bug in the pipeline, not bad input, and raises
:class:`ReconciliationError`.

Consistency the spec states across rows (periods of a person do not overlap, ``populatie`` is
complete) cannot be judged row by row: :data:`CHECKS` are queries on the core tables, each with
a severity. ``error`` stops the run (:class:`DataQualityError`, nothing is written), ``warn`` is
reported (printed, and in ``dq_checks``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
import pandas as pd

from ..errors import KpzError
from ..extract import spec

SUMMARY_COLUMNS = [
    "file", "rows_in", "rows_kept", "rows_quarantined", "duplicates_removed", "credits_netted", "lines_cancelled",
]


class ReconciliationError(AssertionError):
    """The row counts of a file do not add up: a pipeline bug (never caused by input)."""


class DataQualityError(KpzError):
    """A data-quality check of severity ``error`` failed: the run stops, nothing is written."""


@dataclass(frozen=True)
class Check:
    """A data-quality query on the core tables.

    ``sql`` returns one row ``(n, example)``: how many units fail the check (0 = pass) and one
    failing unit to show; ``{start}``, ``{end}``, ``{first_year}``, ``{last_year}`` are the
    extract period, ``{claims_years}`` a query of the calendar years (``y``) a core claims line
    covers. ``what`` names the unit counted; ``table`` is the spec table whose file the
    check is about, or a file name (``manifest.json``).
    """

    name: str
    severity: str  # "error" stops the run, "warn" is reported
    table: str  # spec table whose file the check is about
    what: str
    sql: str


CHECKS: tuple[Check, ...] = (
    Check(
        "populatie_years_missing", "error", "populatie",
        "years of the extract period without any populatie cell (denominators need every year)",
        """select count(*), string_agg(cast(y as varchar), ', ' order by y)
        from range({first_year}, {last_year} + 1) as t(y)
        anti join core_populatie as p on p.jaar = t.y""",
    ),
    Check(
        "period_years_without_claims", "warn", "manifest.json",
        "years of the manifest's period that no claims line of any file covers "
        "(is the period right?)",
        """with covered as (
            {claims_years}
        )
        select count(*), string_agg(cast(y as varchar), ', ' order by y)
        from range({first_year}, {last_year} + 1) as t(y)
        anti join covered as c on c.y = t.y""",
    ),
    Check(
        "populatie_cells_missing", "warn", "populatie",
        "cells missing from the grid period years x ages x sexes x provinces delivered",
        """with ages as (
            select a from range((select min(leeftijd) from core_populatie),
                                (select max(leeftijd) from core_populatie) + 1) as t(a)
        ),
        grid as (
            select y as jaar, a as leeftijd, s.geslacht, r.provincie_code
            from range({first_year}, {last_year} + 1) as t(y)
            cross join ages
            cross join (select distinct geslacht from core_populatie) as s
            cross join (select distinct provincie_code from core_populatie) as r
        ),
        missing as (
            select * from grid
            anti join core_populatie as p
                on p.jaar = grid.jaar and p.leeftijd = grid.leeftijd
                and p.geslacht = grid.geslacht and p.provincie_code = grid.provincie_code
        )
        select count(*), min(jaar || '/' || leeftijd || '/' || geslacht || '/' || provincie_code) from missing""",
    ),
    Check(
        "insured_periods_overlap", "warn", "verzekeringsperioden",
        "persons whose delivered insured periods overlap (the spec says they do not; the marts merge them)",
        """with ordered as (
            select persoon_id, begindatum,
                max(coalesce(einddatum, date '9999-12-31')) over (
                    partition by persoon_id order by begindatum, einddatum
                    rows between unbounded preceding and 1 preceding) as previous_end
            from core_verzekeringsperioden
        )
        select count(distinct persoon_id), min(persoon_id) from ordered where begindatum <= previous_end""",
    ),
    Check(
        "insured_before_birth", "warn", "verzekeringsperioden",
        "persons with an insured period that begins before their birth month",
        """select count(distinct v.persoon_id), min(v.persoon_id)
        from core_verzekeringsperioden as v
        inner join core_personen as p on p.persoon_id = v.persoon_id
        where v.begindatum < p.geboortemaand""",
    ),
    Check(
        "death_after_period_end", "warn", "personen",
        "persons whose death lies after the extract period (kept: alive throughout the period)",
        """select count(*), cast(max(overlijdensdatum) as varchar)
        from core_personen where overlijdensdatum > date '{end}'""",
    ),
)


def run_checks(con: duckdb.DuckDBPyConnection, files: dict[str, str],
               period: tuple[dt.date, dt.date]) -> pd.DataFrame:
    """Run :data:`CHECKS`, write ``dq_checks``; raise on a failed check of severity ``error``.

    ``dq_checks``: one row per check, ``check_name, severity, file, n_failing, status, detail``
    (``status`` is ``pass``, ``warn`` or ``error``).

    Raises
    ------
    DataQualityError
        A check of severity ``error`` failed (the message names the check, file and example).
    """
    start, end = period
    claims_years = "\n            union\n            ".join(
        f"select distinct unnest(range(year(begindatum), year(einddatum) + 1)) as y from core_{t}"
        for t in spec.CLAIMS_TABLES
    )
    rows = []
    for check in CHECKS:
        sql = check.sql.format(start=start, end=end, first_year=start.year, last_year=end.year,
                               claims_years=claims_years)
        n, example = con.execute(sql).fetchone()
        n = int(n or 0)
        status = "pass" if n == 0 else check.severity
        detail = f"{n} {check.what}" + (f"; e.g. {example}" if n and example is not None else "")
        rows.append((check.name, check.severity, files.get(check.table, check.table), n, status, detail))
    table = pd.DataFrame(rows, columns=["check_name", "severity", "file", "n_failing", "status", "detail"])
    con.execute(
        "create or replace table dq_checks (check_name varchar, severity varchar, file varchar, "
        "n_failing bigint, status varchar, detail varchar)"
    )
    con.executemany("insert into dq_checks values (?, ?, ?, ?, ?, ?)", rows)
    failed = table[table.status == "error"]
    if len(failed):
        first = failed.iloc[0]
        raise DataQualityError(f"{first.file}: data-quality check {first.check_name} failed (error): {first.detail}")
    return table


def warehouse_checksum(con: duckdb.DuckDBPyConnection) -> str:
    """SHA-256 over the content of every table of a warehouse, independent of row order.

    Per table: its name, columns and types, row count and the sum of DuckDB's ``hash`` of each
    row (order-independent, and a changed last bit of a double changes it). The run's time stamp
    (``meta_extract.ingested_at``) is left out, so two ingests of one extract with the same code
    have the same checksum: a rerun can be proven identical, e.g.
    ``warehouse_checksum(connect(path))``.
    """
    h = hashlib.sha256()
    tables = con.execute(
        "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "and table_schema = 'main' order by table_name"
    ).fetchall()
    for (t,) in tables:
        described = con.execute(f"describe {_q(t)}").fetchall()
        cols = [(c, typ) for c, typ, *_ in described if not (t == "meta_extract" and c == "ingested_at")]
        sel = ", ".join(_q(c) for c, _ in cols)
        n, total = con.execute(
            f"select count(*), coalesce(sum(hash(row({sel}))::hugeint), 0) from {_q(t)}"
        ).fetchone()
        h.update(f"{t}|{cols}|{n}|{total}\n".encode())
    return h.hexdigest()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts_sql(table: spec.Table) -> str:
    """SQL returning (rows_kept, duplicates_removed, credits_netted, lines_cancelled, core_rows).

    Generated from ``spec.py`` (key, claims or not) rather than written per table: the counts
    are the same four questions for every file, and they must stay in step with the contract.
    A claims file's netting was decided during validation (``netting_<table>``, one reason per
    removed row), so its counts are read from that small table, not from the staged lines.
    """
    t = table.name
    stg, core = f"stg_{t}", f"core_{t}"
    kept = f"(select count(*) from {stg})"
    if table.is_claims:
        def removed(reason: str) -> str:
            return f"(select count(*) from netting_{t} where reason = '{reason}')"

        return (
            f"select {kept} as kept, {removed('duplicate')} as dup, {removed('credit')} as credits, "
            f"{removed('cancelled')} as cancelled, (select count(*) from {core}) as core_rows"
        )
    if isinstance(table.key, str):
        distinct = f"(select count(distinct {_q(table.key)}) from {stg})"
    else:
        cols = ", ".join(_q(c) for c in table.column_names)
        distinct = f"(select count(*) from (select distinct {cols} from {stg}))"
    credits = cancelled = "0"
    if t == "dot_zorgactiviteiten":
        # Activities leave core with their line: with a credit line, or with the line it cancels.
        activities = "(select distinct declaratie_id, zorgactiviteit_code, datum, aantal from stg_dot_zorgactiviteiten)"
        credits = f"""(select count(*) from {activities} as a
            semi join netting_dot as n on n.declaratie_id = a.declaratie_id and n.reason = 'credit')"""
        cancelled = f"""(select count(*) from {activities} as a
            semi join netting_dot as n on n.declaratie_id = a.declaratie_id and n.reason = 'cancelled')"""
    return (
        f"select {kept} as kept, {kept} - {distinct} as dup, "
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
