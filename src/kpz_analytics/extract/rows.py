"""Row validation of one extract table in DuckDB SQL: every row gets at most one reason.

The checks are generated from ``spec.py`` rather than written out as 11 near-identical SQL
files: each column's kind (date, month, decimal, integer, flag) and its allowed values or
pattern decide its check, so a change of the contract changes validation in one place. All
checks run as one set-based pass per table (``try_strptime``/``try_cast``/regular
expressions), so the same code scales out of core to national extracts.

Priority (the first failing check decides the reason; within a step, spec column order):

1. ``fields``          — the CSV row has another number of fields than the header (pipeline
                          code: the values cannot be assigned to columns)
2. ``missing``         — a required value is empty
3. ``date`` / ``number`` / ``enum`` — unparsable date or month, unparsable number, value
                          outside the allowed set or pattern (``populatie.leeftijd`` 0–99)
4. ``negative``        — negative amount or quantity on a line that is not a credit line
5. ``period_order``    — ``einddatum`` before ``begindatum``
6. ``out_of_period``   — a claims line entirely outside [period_start, period_end]
7. ``unknown_person``  — ``persoon_id`` not among the accepted ``personen`` rows
8. ``conflict``        — rows sharing the key but differing in content (all rows of the key)
9. ``orphan_credit``   — a credit naming no non-credit line of the same file and person
10. ``unknown_line``   — (``dot_zorgactiviteiten``, pipeline code) ``declaratie_id`` is no
                          accepted ``dot`` line

Conflicts and credit targets are judged on all rows of the file that could be split into
columns (step 1 passed), whatever their other problems: a re-delivered line that differs from
the first delivery only by a broken date still means the pipeline cannot know which is right.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from . import spec

# Reasons of the spec plus the pipeline's own (documented above and in docs/ingest.md).
PIPELINE_REASONS = ("fields", "unknown_line")
REASON_PRIORITY = (
    "fields", "missing", "date", "number", "enum", "negative", "period_order",
    "out_of_period", "unknown_person", "conflict", "orphan_credit", "unknown_line",
)

# Numeric ranges the spec states in prose rather than as a kind (reason `enum`).
RANGES: dict[tuple[str, str], tuple[int, int]] = {("populatie", "leeftijd"): (0, 99)}
# Quantities that may never be negative, although they are not credit-signed amounts.
NON_NEGATIVE: dict[str, tuple[str, ...]] = {"populatie": ("aantal",), "dot_zorgactiviteiten": ("aantal",)}

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_MONTH_RE = r"\d{4}-\d{2}"
_DECIMAL_RE = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_INTEGER_RE = r"[+-]?\d+(\.0*)?"  # '3.0' is what a float Parquet column turns into


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _issue(column: str | None, reason: str, detail_sql: str) -> str:
    col = "cast(null as varchar)" if column is None else _lit(column)
    return f"{{'column_name': {col}, 'reason': {_lit(reason)}, 'detail': {detail_sql}}}"


def _shown(column: str) -> str:
    """SQL for the offending value as shown in a detail message (cut at 40 characters)."""
    return f"'''' || left({_q(column)}, 40) || ''''"


def _num(column: str) -> str:
    return f"try_cast({_q(column)} as double)"


def _date(column: str) -> str:
    return f"cast(try_strptime({_q(column)}, '%Y-%m-%d') as date)"


def _parse_check(table: spec.Table, col: spec.Column) -> tuple[str, str, str] | None:
    """(condition that the value is bad, reason, detail SQL) for a column's kind and set."""
    c = _q(col.name)
    if col.kind == spec.DATE:
        bad = f"not (regexp_full_match({c}, '{_DATE_RE}') and try_strptime({c}, '%Y-%m-%d') is not null)"
        return bad, "date", f"{_shown(col.name)} || ' is not a date YYYY-MM-DD'"
    if col.kind == spec.MONTH:
        bad = f"not (regexp_full_match({c}, '{_MONTH_RE}') and try_strptime({c} || '-01', '%Y-%m-%d') is not null)"
        return bad, "date", f"{_shown(col.name)} || ' is not a month YYYY-MM'"
    if col.kind in (spec.DECIMAL, spec.INTEGER):
        regex = _DECIMAL_RE if col.kind == spec.DECIMAL else _INTEGER_RE
        what = "a number with a decimal point" if col.kind == spec.DECIMAL else "a whole number"
        bad = f"not (regexp_full_match({c}, '{regex}') and {_num(col.name)} is not null)"
        return bad, "number", f"{_shown(col.name)} || ' is not {what}'"
    if col.allowed is not None:
        allowed = ", ".join(_lit(v) for v in col.allowed)
        shown = "/".join(col.allowed) if len(col.allowed) <= 4 else f"the {len(col.allowed)} allowed values"
        return f"{c} not in ({allowed})", "enum", f"{_shown(col.name)} || ' is not one of {shown}'"
    if col.pattern is not None:
        return (
            f"not regexp_full_match({c}, {_lit(col.pattern)})", "enum",
            f"{_shown(col.name)} || ' does not match {col.pattern}'",
        )
    return None


def _issue_case(table: spec.Table, period: tuple[dt.date, dt.date], n_header: str) -> str:
    """The CASE expression that returns the first issue of a row (struct) or NULL."""
    names = table.column_names
    whens: list[str] = []
    fields_detail = "n_fields || " + _lit(" fields, header has ") + " || " + n_header
    whens.append(f"when not fields_ok then {_issue(None, 'fields', fields_detail)}")
    for col in table.columns:
        if col.required:
            whens.append(f"when {_q(col.name)} is null then {_issue(col.name, 'missing', _lit('required value is empty'))}")
    for col in table.columns:
        check = _parse_check(table, col)
        if check is not None:
            bad, reason, detail = check
            whens.append(f"when {_q(col.name)} is not null and {bad} then {_issue(col.name, reason, detail)}")
        rng = RANGES.get((table.name, col.name))
        if rng is not None:
            lo, hi = rng
            detail = _shown(col.name) + " || " + _lit(f" is outside {lo}-{hi}")
            whens.append(f"when {_num(col.name)} not between {lo} and {hi} then {_issue(col.name, 'enum', detail)}")
    for col in table.columns:
        if col.signed_on_credit:
            whens.append(
                f"when {_num(col.name)} < 0 and not is_credit then "
                f"{_issue(col.name, 'negative', _shown(col.name) + ' || ' + _lit(' is negative on a line that is not a credit line'))}"
            )
        elif col.name in NON_NEGATIVE.get(table.name, ()):
            allowed = " and not of_credit_line" if table.name == "dot_zorgactiviteiten" else ""
            whens.append(
                f"when {_num(col.name)} < 0{allowed} then "
                f"{_issue(col.name, 'negative', _shown(col.name) + ' || ' + _lit(' is negative'))}"
            )
    if "begindatum" in names and "einddatum" in names:
        whens.append(
            f"when {_date('einddatum')} < {_date('begindatum')} then "
            f"{_issue('einddatum', 'period_order', _shown('einddatum') + ' || ' + _lit(' is before begindatum ') + ' || begindatum')}"
        )
    if table.is_claims:
        start, end = period
        detail = (
            _lit("line ") + " || begindatum || " + _lit(" to ") + " || einddatum || "
            + _lit(f" lies entirely outside {start} to {end}")
        )
        whens.append(
            f"when {_date('einddatum')} < date '{start}' or {_date('begindatum')} > date '{end}' then "
            f"{_issue('begindatum', 'out_of_period', detail)}"
        )
    if table.person_column is not None:
        pc = table.person_column
        whens.append(
            f"when not known_person then {_issue(pc, 'unknown_person', _shown(pc) + ' || ' + _lit(' is not an accepted personen row'))}"
        )
    if table.key is not None:
        whens.append(
            f"when in_conflict then {_issue(table.key, 'conflict', _lit('rows sharing ' + table.key + ' ') + ' || ' + _shown(table.key) + ' || ' + _lit(' differ in content'))}"
        )
    if table.is_claims:
        whens.append(
            f"when is_credit and not credit_target_found then "
            f"{_issue('credit_voor_id', 'orphan_credit', _lit('credit names ') + ' || ' + _shown('credit_voor_id') + ' || ' + _lit(', no line of the same file and person'))}"
        )
    if table.name == "dot_zorgactiviteiten":
        whens.append(
            f"when not known_line then {_issue('declaratie_id', 'unknown_line', _shown('declaratie_id') + ' || ' + _lit(' is not an accepted dot line'))}"
        )
    return "case\n            " + "\n            ".join(whens) + "\n        end"


def checked_sql(table: spec.Table, schema: str, period: tuple[dt.date, dt.date], n_header: int | None) -> str:
    """SQL creating ``<schema>.checked_<table>``: the raw text rows plus their first ``issue``.

    Needs ``<schema>.raw_<table>``, and for tables with persons / activities the already checked
    ``<schema>.checked_personen`` / ``<schema>.checked_dot``.
    """
    raw = f"{schema}.raw_{table.name}"
    names = table.column_names
    ctes = [f"raw as (\n        select * from {raw}\n    )"]
    flags = ["raw.*"]
    if table.is_claims:
        flags.append("credit_voor_id is not null as is_credit")
    if table.person_column is not None:
        ctes.append(
            f"persons as (\n        select distinct persoon_id from {schema}.checked_personen where issue is null\n    )"
        )
        flags.append(
            f"coalesce({_q(table.person_column)} in (select persoon_id from persons), false) as known_person"
        )
    if table.key is not None:
        key = _q(table.key)
        content = ", ".join(_q(n) for n in names)
        # Rows that could not be split into columns take no part: their "key" is unreliable.
        ctes.append(
            f"conflicting_keys as (\n        select {key} as k from raw where fields_ok and {key} is not null\n"
            f"        group by {key} having count(distinct row({content})) > 1\n    )"
        )
        flags.append(f"coalesce({key} in (select k from conflicting_keys), false) as in_conflict")
    if table.is_claims:
        ctes.append(
            "credit_targets as (\n        select distinct declaratie_id, persoon_id from raw\n"
            "        where fields_ok and credit_voor_id is null and declaratie_id is not null\n    )"
        )
        flags.append(
            "exists (select 1 from credit_targets as t where t.declaratie_id = raw.credit_voor_id "
            "and t.persoon_id = raw.persoon_id and raw.credit_voor_id <> raw.declaratie_id) as credit_target_found"
        )
    if table.name == "dot_zorgactiviteiten":
        ctes.append(
            f"dot_lines as (\n        select declaratie_id, bool_or(credit_voor_id is not null) as is_credit_line\n"
            f"        from {schema}.checked_dot where issue is null group by declaratie_id\n    )"
        )
        flags.append("dot_lines.declaratie_id is not null as known_line")
        flags.append("coalesce(dot_lines.is_credit_line, false) as of_credit_line")
    from_ = "raw"
    if table.name == "dot_zorgactiviteiten":
        from_ = "raw left join dot_lines on dot_lines.declaratie_id = raw.declaratie_id"
    ctes.append("flagged as (\n        select " + ",\n            ".join(flags) + f"\n        from {from_}\n    )")
    n_header_sql = str(n_header) if n_header is not None else "n_fields"
    issue = _issue_case(table, period, n_header_sql)
    cols = ", ".join(_q(n) for n in names)
    return (
        f"create or replace table {schema}.checked_{table.name} as\n"
        f"with " + ",\n    ".join(ctes) + ",\n"
        f"    final as (\n        select row_number, {cols},\n        {issue} as issue\n        from flagged\n    )\n"
        f"select * from final"
    )


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    file_name: str,
    schema: str,
    period: tuple[dt.date, dt.date],
    n_header: int | None,
) -> tuple[int, int]:
    """Check every row of ``raw_<table>``, append bad rows to ``quarantine``.

    Returns
    -------
    (rows_in, rows_quarantined)
    """
    table = spec.TABLES[table_name]
    con.execute(checked_sql(table, schema, period, n_header))
    con.execute(
        f"""insert into quarantine
        select {_lit(file_name)} as file, row_number, issue.column_name, issue.reason, issue.detail
        from {schema}.checked_{table_name} where issue is not null order by row_number"""
    )
    rows_in, bad = con.execute(
        f"select count(*), count(issue) from {schema}.checked_{table_name}"
    ).fetchone()
    con.execute(f"drop table {schema}.raw_{table_name}")  # checked_ holds the same text: save scratch space
    return rows_in, bad
