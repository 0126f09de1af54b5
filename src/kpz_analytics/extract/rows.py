"""Row validation of one extract table in DuckDB SQL: every row gets at most one reason.

The checks are generated from ``spec.py`` rather than written out as 11 near-identical SQL
files: each column's kind (date, month, decimal, integer, flag) and its allowed values or
pattern decide its check, so a change of the contract changes validation in one place. All
row checks run as one set-based pass per table (``try_strptime``/``try_cast``/regular
expressions), after two small statements that find the repeated keys and the lines credits
name (what conflicts, orphan credits and netting are decided from), so the same code scales out
of core to national extracts.

Priority (the first failing check decides the reason; within a step, spec column order):

1. ``fields``          — the CSV row has another number of fields than the header, or malformed
                          quoting (pipeline code: the values cannot be assigned to columns)
2. ``header``          — the row is the header line again (pipeline code: files concatenated)
3. ``characters``      — a value holds an invisible or control character inside it (pipeline
                          code; such characters at the edge of a value are trimmed)
4. ``missing``         — a required value is empty
5. ``date`` / ``number`` / ``enum`` — unparsable date or month, a number that is not a finite
                          number, value outside the allowed set, pattern or plausible range
6. ``negative``        — negative amount or quantity on a line that is not a credit line
7. ``period_order``    — ``einddatum`` before ``begindatum``
8. ``implausible``     — (pipeline code) a date outside 1900-2099, a birth month after the
                          extract period, a death before the birth month, a claims line longer
                          than the table's ``max_line_days`` (366; Wmo/Jeugdwet 1827)
9. ``out_of_period``   — a claims line entirely outside [period_start, period_end]; an activity
                          dated outside it; a ``populatie`` year outside the period's years
10. ``unknown_person`` — ``persoon_id`` not among the accepted ``personen`` rows
11. ``conflict``       — rows sharing the key but differing in content (all rows of the key)
12. ``orphan_credit``  — a credit naming no non-credit line of the same file and person
13. ``unknown_line``   — (``dot_zorgactiviteiten``, pipeline code) ``declaratie_id`` is no
                          accepted ``dot`` line

Conflicts and credit targets are judged on all rows of the file that could be split into
columns (step 1 passed), whatever their other problems: a re-delivered line that differs from
the first delivery only by a broken date still means the pipeline cannot know which is right.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from . import spec
from .readers import INVISIBLE_RE, native_name, stored_name

# Reasons of the spec plus the pipeline's own (documented above and in docs/ingest.md).
PIPELINE_REASONS = ("fields", "header", "characters", "implausible", "unknown_line")
REASON_PRIORITY = (
    "fields", "header", "characters", "missing", "date", "number", "enum", "negative", "period_order",
    "implausible", "out_of_period", "unknown_person", "conflict", "orphan_credit", "unknown_line",
)

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


# Every number, date and month is parsed once per row (``_parsed_columns``, in the ``flagged``
# step); the checks refer to the parsed value by these names.
def _num(column: str) -> str:
    return _q(f"__num_{column}")


def _date(column: str) -> str:
    return _q(f"__date_{column}")


_month = _date


def _sure(col: spec.Column, base: str) -> str:
    """SQL: true when the typed value of a fast-path column (``readers.native_name``) is what
    parsing its text would give and that text passes the parse check. The rare other rows (a
    date beyond year 9999, a non-finite or fractional double...) are checked from their text,
    as every value of a CSV file is, so both paths quarantine the same rows for the same reason."""
    v = _q(native_name(col.name))
    if col.kind in (spec.DATE, spec.MONTH):
        return f"{v} between date '1000-01-01' and date '9999-12-31'"
    if base != "DOUBLE":
        return "true"  # an integer is a whole, finite number whatever its size
    if col.kind == spec.DECIMAL:
        return f"isfinite({v})"
    # A whole double below 1e15 is written as digits and '.0'; a larger one with an exponent,
    # which is not a whole number to the text check.
    return f"(isfinite({v}) and {v} = trunc({v}) and abs({v}) < 1e15)"


def _parsed_value(col: spec.Column, native: dict[str, str]) -> str | None:
    """SQL: the parsed value of a number (DOUBLE), date or month (DATE) column; NULL when its
    text does not parse. A fast-path column gives its typed value where that is sure."""
    c = _q(col.name)
    if col.kind == spec.DATE:
        parsed = f"cast(try_strptime({c}, '%Y-%m-%d') as date)"
    elif col.kind == spec.MONTH:
        parsed = f"cast(try_strptime({c} || '-01', '%Y-%m-%d') as date)"
    elif col.kind in (spec.DECIMAL, spec.INTEGER):
        parsed = f"try_cast({c} as double)"
    else:
        return None
    if col.name not in native:
        return parsed
    sure = _sure(col, native[col.name])
    v = _q(native_name(col.name))
    return v if sure == "true" else f"case when {sure} then {v} else {parsed} end"


def _parsed_columns(table: spec.Table, native: dict[str, str]) -> list[str]:
    """SQL select items: the parsed value of every number, date and month column (NULL when it
    does not parse)."""
    items = []
    for col in table.columns:
        parsed = _parsed_value(col, native)
        if parsed is not None:
            name = _date(col.name) if col.kind in (spec.DATE, spec.MONTH) else _num(col.name)
            items.append(f"{parsed} as {name}")
    return items


def _number_text(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:g}"


def _parse_check(table: spec.Table, col: spec.Column, native: dict[str, str]) -> tuple[str, str, str] | None:
    """(condition that the value is bad, reason, detail SQL) for a column's kind and set."""
    check = _text_parse_check(table, col)
    if check is None or col.name not in native:
        return check
    sure = _sure(col, native[col.name])
    if sure == "true":
        return None
    bad, reason, detail = check
    return f"not ({sure}) and {bad}", reason, detail


def _text_parse_check(table: spec.Table, col: spec.Column) -> tuple[str, str, str] | None:
    c = _q(col.name)
    if col.kind == spec.DATE:
        bad = f"not (regexp_full_match({c}, '{_DATE_RE}') and {_date(col.name)} is not null)"
        return bad, "date", f"{_shown(col.name)} || ' is not a date YYYY-MM-DD'"
    if col.kind == spec.MONTH:
        bad = f"not (regexp_full_match({c}, '{_MONTH_RE}') and {_date(col.name)} is not null)"
        return bad, "date", f"{_shown(col.name)} || ' is not a month YYYY-MM'"
    if col.kind in (spec.DECIMAL, spec.INTEGER):
        regex = _DECIMAL_RE if col.kind == spec.DECIMAL else _INTEGER_RE
        what = "a number with a decimal point" if col.kind == spec.DECIMAL else "a whole number"
        # isfinite: '1e309' parses as a double, to infinity.
        bad = f"not (regexp_full_match({c}, '{regex}') and coalesce(isfinite({_num(col.name)}), false))"
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


def _implausible(table: spec.Table, period: tuple[dt.date, dt.date]) -> list[str]:
    """WHEN clauses of the plausibility rules (reason ``implausible``), per column in spec order."""
    start, end = period
    whens: list[str] = []
    lo, hi = spec.FIRST_DATE, spec.LAST_DATE
    for col in table.columns:
        if col.kind not in (spec.DATE, spec.MONTH):
            continue
        value = _date(col.name) if col.kind == spec.DATE else _month(col.name)
        shown = _shown(col.name)
        whens.append(
            f"when {value} not between date '{lo}' and date '{hi}' then "
            f"{_issue(col.name, 'implausible', shown + ' || ' + _lit(f' is outside {lo[:4]}-{hi[:4]}'))}"
        )
    if table.name == "personen":
        end_month = end.replace(day=1)
        whens.append(
            f"when {_month('geboortemaand')} > date '{end_month}' then "
            f"{_issue('geboortemaand', 'implausible', _shown('geboortemaand') + ' || ' + _lit(f' is after the extract period (ends {end})'))}"
        )
        whens.append(
            f"when {_date('overlijdensdatum')} < {_month('geboortemaand')} then "
            f"{_issue('overlijdensdatum', 'implausible', _shown('overlijdensdatum') + ' || ' + _lit(' is before the birth month ') + ' || geboortemaand')}"
        )
    if table.is_claims:
        days = f"datediff('day', {_date('begindatum')}, {_date('einddatum')}) + 1"
        detail = (
            f"'line of ' || ({days}) || ' days (' || begindatum || ' to ' || einddatum || ') is longer than "
            f"{table.max_line_days} days'"
        )
        whens.append(f"when {days} > {table.max_line_days} then {_issue('einddatum', 'implausible', detail)}")
    return whens


def _issue_case(table: spec.Table, period: tuple[dt.date, dt.date], n_header: str,
                native: dict[str, str]) -> str:
    """The CASE expression that returns the first issue of a row (struct) or NULL."""
    names = table.column_names
    whens: list[str] = []
    fields_detail = (
        "case when bad_quotes then " + _lit("malformed quoting (text after a closing quote)")
        + " else n_fields || " + _lit(" fields, header has ") + " || " + n_header + " end"
    )
    whens.append(f"when not fields_ok then {_issue(None, 'fields', fields_detail)}")
    first = names[:2]
    whens.append(
        "when " + " and ".join(f"{_q(n)} = {_lit(n)}" for n in first) + " then "
        + _issue(None, "header", _lit("the header line again (two files concatenated?)"))
    )
    for col in table.columns:
        if col.name in native:
            continue  # a date or number written from its Parquet type is ASCII
        whens.append(
            f"when odd_chars and regexp_matches({_q(col.name)}, {_lit(INVISIBLE_RE)}) then "
            + _issue(
                col.name, "characters",
                f"{_shown(col.name)} || ' holds the invisible or control character ' || "
                f"printf('U+%04X', unicode(regexp_extract({_q(col.name)}, {_lit(INVISIBLE_RE)})))",
            )
        )
    for col in table.columns:
        if col.required:
            whens.append(f"when {_q(col.name)} is null then {_issue(col.name, 'missing', _lit('required value is empty'))}")
    for col in table.columns:
        check = _parse_check(table, col, native)
        if check is not None:
            bad, reason, detail = check
            whens.append(f"when {_q(col.name)} is not null and {bad} then {_issue(col.name, reason, detail)}")
        if col.low is not None and col.high is not None:
            lo, hi = col.low, col.high
            span = f"{lo:g}-{hi:g}" if lo >= 0 else f"{_number_text(lo)} to {_number_text(hi)}"
            detail = _shown(col.name) + " || " + _lit(f" is outside {span}")
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
    whens.extend(_implausible(table, period))
    start, end = period
    if table.is_claims:
        detail = (
            _lit("line ") + " || begindatum || " + _lit(" to ") + " || einddatum || "
            + _lit(f" lies entirely outside {start} to {end}")
        )
        whens.append(
            f"when {_date('einddatum')} < date '{start}' or {_date('begindatum')} > date '{end}' then "
            f"{_issue('begindatum', 'out_of_period', detail)}"
        )
    if table.name == "dot_zorgactiviteiten":
        detail = _shown("datum") + " || " + _lit(f" lies outside the extract period {start} to {end}")
        whens.append(
            f"when {_date('datum')} not between date '{start}' and date '{end}' then "
            f"{_issue('datum', 'out_of_period', detail)}"
        )
    if table.name == "populatie":
        detail = _shown("jaar") + " || " + _lit(f" is outside the extract period's years {start.year}-{end.year}")
        whens.append(
            f"when {_num('jaar')} not between {start.year} and {end.year} then {_issue('jaar', 'out_of_period', detail)}"
        )
    if table.person_column is not None:
        pc = table.person_column
        whens.append(
            f"when not known_person then {_issue(pc, 'unknown_person', _shown(pc) + ' || ' + _lit(' is not an accepted personen row'))}"
        )
    if table.key is not None:
        key_cols = table.key_columns
        shown_key = " || ', ' || ".join(f"coalesce({_shown(k)}, '')" for k in key_cols)
        label = table.key if isinstance(table.key, str) else "(" + ", ".join(key_cols) + ")"
        whens.append(
            f"when in_conflict then {_issue(key_cols[0], 'conflict', _lit('rows sharing ' + label + ' ') + ' || ' + shown_key + ' || ' + _lit(' differ in content'))}"
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


def issues_sql(table: spec.Table, schema: str, period: tuple[dt.date, dt.date], n_header: int | None,
               native: dict[str, str] | None = None) -> str:
    """SQL creating ``<schema>.bad_<table>``: ``row_number, issue`` of every row with a problem.

    Reads ``<schema>.raw_<table>`` (a view over a Parquet file or a table of split CSV lines),
    what :func:`repeated_sql` and :func:`credits_sql` wrote before it (keys in conflict, credits
    whose line was found) and, for tables with persons / activities, the already validated
    ``<schema>.accepted_personen`` / ``<schema>.accepted_dot`` views. Only bad rows are
    written: the accepted rows are the raw rows without one (``accepted_sql``), so the delivery
    is never copied as text.

    Cost at national scale: one scan for the row checks (the only one that trims every
    column), one aggregate on the key (only keys that occur more than once are compared in
    content), and a semi join that finds the few lines credits name. No window, no sort.

    ``native``: the fast-path columns of a typed Parquet file (``RawFile.native``).
    """
    native = native or {}
    raw = f"{schema}.raw_{table.name}"
    names = table.column_names
    # Not materialised: each use reads only the columns it needs from the file (a Parquet view)
    # or the split lines; materialising every text column of a national file spilled gigabytes.
    ctes = [f"raw as not materialized (\n        select * from {raw}\n    )"]
    # One regular expression over the row's values finds the (rare) rows with an odd character;
    # the CASE then looks for it column by column in those rows only. A line of printable ASCII
    # (``plain``, from the reader) cannot hold one.
    values = ", ".join(f"raw.{_q(n)}" for n in names if n not in native)
    flags = ["raw.*", f"not raw.plain and regexp_matches(concat({values}), {_lit(INVISIBLE_RE)}) as odd_chars"]
    flags += _parsed_columns(table, native)
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
        key = _key_sql(table)
        flags.append(
            f"coalesce({key} in (select k from {schema}.repeated_{table.name} where conflict), false) as in_conflict"
        )
    if table.is_claims:
        flags.append(
            f"row_number in (select credit_row from {schema}.credits_{table.name} where target_row is not null)"
            " as credit_target_found"
        )
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
    issue = _issue_case(table, period, n_header_sql, native)
    return (
        f"create or replace table {schema}.bad_{table.name} as\n"
        f"with " + ",\n    ".join(ctes) + ",\n"
        f"    checked as (\n        select row_number,\n        {issue} as issue\n        from flagged\n    ),\n"
        f"    final as (\n        select row_number, issue from checked where issue is not null\n    )\n"
        f"select * from final"
    )


def _key_sql(table: spec.Table) -> str:
    """SQL: the key of a row — the column itself, or a row of them (populatie's cell)."""
    key_cols = table.key_columns
    return _q(key_cols[0]) if len(key_cols) == 1 else "row(" + ", ".join(_q(k) for k in key_cols) + ")"


def repeated_sql(table: spec.Table, schema: str, stored: bool = False) -> str:
    """SQL creating ``<schema>.repeated_<table>``: every row whose key occurs more than once.

    Columns ``k, row_number, first_row`` (the key's first row) and ``conflict`` (the key's rows
    differ in content). Rows that could not be split into columns take no part: their "key" is
    unreliable. Most keys occur once, so the table is small: one aggregate on the key finds the
    repeated ones, and only their rows are compared in content. ``stored`` (Parquet): content is
    compared on the values as stored, which needs no trim; equal stored values are equal text,
    so ``conflict`` is then only a candidate, confirmed by :func:`confirm_conflicts_sql`.
    """
    raw = f"{schema}.raw_{table.name}"
    key = _key_sql(table)
    key_present = " and ".join(f"{_q(k)} is not null" for k in table.key_columns)
    names = table.column_names
    content = ", ".join(_q(stored_name(n) if stored else n) for n in names)
    return f"""create or replace table {schema}.repeated_{table.name} as
    with raw as not materialized (
        select * from {raw}
    ),
    repeated_keys as (
        select {key} as k from raw where fields_ok and {key_present}
        group by k having count(*) > 1
    ),
    repeated_rows as (
        select {key} as k, row_number, row({content}) as content from raw
        where fields_ok and {key} in (select k from repeated_keys)
    ),
    keys as (
        select k, min(row_number) as first_row, count(distinct content) > 1 as conflict
        from repeated_rows group by k
    ),
    final as (
        select r.k, r.row_number, keys.first_row, keys.conflict
        from repeated_rows as r
        inner join keys on keys.k = r.k
    )
    select * from final"""


def confirm_conflicts_sql(table: spec.Table, schema: str) -> str:
    """SQL: keep ``conflict`` only for candidate keys whose rows differ after trimming (a value
    stored with white space around it is the same value)."""
    raw = f"{schema}.raw_{table.name}"
    key = _key_sql(table)
    content = ", ".join(_q(n) for n in table.column_names)
    return f"""update {schema}.repeated_{table.name} set conflict = k in (
        select {key} as k from {raw}
        where fields_ok and {key} in (select k from {schema}.repeated_{table.name} where conflict)
        group by k having count(distinct row({content})) > 1
    )
    where conflict"""


def credits_sql(table: spec.Table, schema: str) -> str:
    """SQL creating ``<schema>.credits_<table>``: every credit line (naming another id) with
    the row of each non-credit line of the same file and person it names (``target_row``,
    NULL when none: an orphan). The join is driven by the (few) credit lines: the lines they
    name are found by a semi join that builds on the credits, never on every line of the file."""
    raw = f"{schema}.raw_{table.name}"
    return f"""create or replace table {schema}.credits_{table.name} as
    with raw as not materialized (
        select * from {raw}
    ),
    credits as (
        select row_number, declaratie_id, persoon_id, credit_voor_id from raw
        where credit_voor_id is not null and credit_voor_id <> declaratie_id
    ),
    targets as (
        select row_number, declaratie_id, persoon_id from raw
        where fields_ok and credit_voor_id is null
            and declaratie_id in (select credit_voor_id from credits)
    ),
    final as (
        select c.row_number as credit_row, c.declaratie_id, c.credit_voor_id, t.row_number as target_row
        from credits as c
        left join targets as t on t.declaratie_id = c.credit_voor_id and t.persoon_id = c.persoon_id
    )
    select * from final"""


def netting_sql(table: spec.Table, schema: str) -> str:
    """SQL (a query) of the accepted rows of a claims table that are not net care: ``row_number,
    declaratie_id, reason`` with reason ``duplicate`` (a later copy of a line: rows sharing an
    id are identical, validation quarantined every id whose rows differ), ``credit`` (a credit
    line) or ``cancelled`` (a line an accepted credit names; a replacement line has its own id
    and stays). One reason per row, in that order. Decided from what validation found
    (``repeated_<table>``, ``credits_<table>``), so netting reads no line of the file again;
    ``core_<table>`` is the staged rows without these, and ``dq_summary`` counts them.
    """
    t = table.name
    return f"""with bad as (
        select row_number from {schema}.bad_{t}
    ),
    copies as (
        select row_number, k as declaratie_id, 1 as priority, 'duplicate' as reason
        from {schema}.repeated_{t}
        where not conflict and row_number > first_row
    ),
    credit_lines as (
        select credit_row as row_number, declaratie_id, 2 as priority, 'credit' as reason
        from {schema}.credits_{t}
    ),
    cancelled as (
        select c.target_row as row_number, c.credit_voor_id as declaratie_id, 3 as priority, 'cancelled' as reason
        from {schema}.credits_{t} as c
        anti join bad on bad.row_number = c.credit_row  -- only an accepted credit cancels
        where c.target_row is not null
    ),
    removed as (
        select * from copies
        union all
        select * from credit_lines
        union all
        select * from cancelled
    ),
    final as (
        select row_number, arg_min(declaratie_id, priority) as declaratie_id, arg_min(reason, priority) as reason
        from removed
        anti join bad on bad.row_number = removed.row_number
        group by row_number
    )
    select * from final"""


def accepted_sql(table: spec.Table, schema: str, native: dict[str, str] | None = None) -> str:
    """SQL creating the view ``<schema>.accepted_<table>``: the raw rows without a problem.

    Dates and months are typed here (DATE; a month is its first day) and numbers are DOUBLE:
    validation has parsed them already, so staging takes them as they are, and a fast-path
    column of a typed Parquet file (``native``) is never turned into text and back.
    """
    native = native or {}
    cols = ", ".join(
        f"{_parsed_value(col, native) or 'raw.' + _q(col.name)} as {_q(col.name)}" for col in table.columns
    )
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
    native: dict[str, str] | None = None,
    stored: bool = False,
) -> tuple[int, int]:
    """Check every row of ``<schema>.raw_<table>``, append bad rows to ``quarantine``.

    Creates ``<schema>.bad_<table>`` (row_number, issue of each bad row) and the view
    ``<schema>.accepted_<table>`` (every other raw row; dates and numbers typed) that staging
    reads; on the way ``<schema>.repeated_<table>`` (keyed tables) and
    ``<schema>.credits_<table>`` (claims), and for a claims table ``netting_<table>`` in the
    connection's own database (:func:`netting_sql`), which ``core_<table>`` leaves out.
    ``native``: the fast-path columns of a typed Parquet file (``RawFile.native``);
    ``stored``: ``raw_<table>`` has the stored values (``RawFile.stored``).

    Returns
    -------
    (rows_in, rows_quarantined)
    """
    table = spec.TABLES[table_name]
    if table.key is not None:
        con.execute(repeated_sql(table, schema, stored))
        if stored and con.execute(f"select bool_or(conflict) from {schema}.repeated_{table_name}").fetchone()[0]:
            con.execute(confirm_conflicts_sql(table, schema))
    if table.is_claims:
        con.execute(credits_sql(table, schema))
    con.execute(issues_sql(table, schema, period, n_header, native))
    con.execute(
        f"""insert into quarantine
        select {_lit(file_name)} as file, row_number, issue.column_name, issue.reason, issue.detail
        from {schema}.bad_{table_name} order by row_number"""
    )
    (bad,) = con.execute(f"select count(*) from {schema}.bad_{table_name}").fetchone()
    con.execute(accepted_sql(table, schema, native))
    if table.is_claims:
        con.execute(f"create or replace table netting_{table_name} as\n{netting_sql(table, schema)}")
    return rows_in, bad
