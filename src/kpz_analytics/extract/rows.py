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


def issues_sql(table: spec.Table, schema: str, period: tuple[dt.date, dt.date], n_header: int | None) -> str:
    """SQL creating ``<schema>.bad_<table>``: ``row_number, issue`` of every row with a problem.

    Reads ``<schema>.raw_<table>`` (a view over a Parquet file or a table of split CSV lines) and,
    for tables with persons / activities, the already validated ``<schema>.accepted_personen`` /
    ``<schema>.accepted_dot`` views. Only bad rows are written: the accepted rows are the raw
    rows without one (``accepted_sql``), so the delivery is never copied as text.

    Cost at national scale: one scan for the row checks, one aggregate on the key (only keys
    that occur more than once are compared in content), and a join of the few credit lines
    against the lines they name. No window, no sort.
    """
    raw = f"{schema}.raw_{table.name}"
    names = table.column_names
    ctes = [f"raw as (\n        select * from {raw}\n    )"]
    flags = ["raw.*"]
    if table.is_claims:
        flags.append("credit_voor_id is not null as is_credit")
    if table.person_column is not None:
        ctes.append(
            f"persons as (\n        select distinct persoon_id from {schema}.accepted_personen\n    )"
        )
        flags.append(
            f"coalesce({_q(table.person_column)} in (select persoon_id from persons), false) as known_person"
        )
    if table.key is not None:
        key = _q(table.key)
        content = ", ".join(_q(n) for n in names)
        # Rows that could not be split into columns take no part: their "key" is unreliable.
        # Most keys occur once; only repeated keys are compared in content.
        ctes.append(
            f"repeated_keys as (\n        select {key} as k from raw where fields_ok and {key} is not null\n"
            f"        group by {key} having count(*) > 1\n    )"
        )
        ctes.append(
            f"conflicting_keys as (\n        select {key} as k from raw\n"
            f"        where fields_ok and {key} in (select k from repeated_keys)\n"
            f"        group by {key} having count(distinct row({content})) > 1\n    )"
        )
        flags.append(f"coalesce({key} in (select k from conflicting_keys), false) as in_conflict")
    if table.is_claims:
        # A credit is found when a non-credit line of the same file and person carries the id it
        # names. The join is driven by the (few) credit lines.
        ctes.append(
            "credits as (\n        select row_number, declaratie_id, persoon_id, credit_voor_id from raw\n"
            "        where credit_voor_id is not null and credit_voor_id <> declaratie_id\n    )"
        )
        ctes.append(
            "found_credits as (\n        select distinct c.row_number from credits as c\n"
            "        inner join raw as t on t.declaratie_id = c.credit_voor_id and t.persoon_id = c.persoon_id\n"
            "        where t.fields_ok and t.credit_voor_id is null\n    )"
        )
        flags.append("row_number in (select row_number from found_credits) as credit_target_found")
    if table.name == "dot_zorgactiviteiten":
        ctes.append(
            f"dot_lines as (\n        select declaratie_id, bool_or(credit_voor_id is not null) as is_credit_line\n"
            f"        from {schema}.accepted_dot group by declaratie_id\n    )"
        )
        flags.append("dot_lines.declaratie_id is not null as known_line")
        flags.append("coalesce(dot_lines.is_credit_line, false) as of_credit_line")
    from_ = "raw"
    if table.name == "dot_zorgactiviteiten":
        from_ = "raw left join dot_lines on dot_lines.declaratie_id = raw.declaratie_id"
    ctes.append("flagged as (\n        select " + ",\n            ".join(flags) + f"\n        from {from_}\n    )")
    n_header_sql = str(n_header) if n_header is not None else "n_fields"
    issue = _issue_case(table, period, n_header_sql)
    return (
        f"create or replace table {schema}.bad_{table.name} as\n"
        f"with " + ",\n    ".join(ctes) + ",\n"
        f"    checked as (\n        select row_number,\n        {issue} as issue\n        from flagged\n    ),\n"
        f"    final as (\n        select row_number, issue from checked where issue is not null\n    )\n"
        f"select * from final"
    )


def accepted_sql(table: spec.Table, schema: str) -> str:
    """SQL creating the view ``<schema>.accepted_<table>``: the raw rows without a problem."""
    cols = ", ".join(f"raw.{_q(n)}" for n in table.column_names)
    return (
        f"create or replace view {schema}.accepted_{table.name} as\n"
        f"select raw.row_number, {cols}\n"
        f"from {schema}.raw_{table.name} as raw\n"
        f"anti join {schema}.bad_{table.name} as bad on bad.row_number = raw.row_number"
    )


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    file_name: str,
    schema: str,
    period: tuple[dt.date, dt.date],
    n_header: int | None,
    rows_in: int,
) -> tuple[int, int]:
    """Check every row of ``<schema>.raw_<table>``, append bad rows to ``quarantine``.

    Creates ``<schema>.bad_<table>`` (row_number, issue of each bad row) and the view
    ``<schema>.accepted_<table>`` (every other raw row, as text) that staging reads.

    Returns
    -------
    (rows_in, rows_quarantined)
    """
    table = spec.TABLES[table_name]
    con.execute(issues_sql(table, schema, period, n_header))
    con.execute(
        f"""insert into quarantine
        select {_lit(file_name)} as file, row_number, issue.column_name, issue.reason, issue.detail
        from {schema}.bad_{table_name} order by row_number"""
    )
    (bad,) = con.execute(f"select count(*) from {schema}.bad_{table_name}").fetchone()
    con.execute(accepted_sql(table, schema))
    return rows_in, bad
