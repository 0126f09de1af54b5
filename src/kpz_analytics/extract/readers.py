"""Read one extract file (CSV or Parquet) into a text table, refusing file-level problems.

Every value is read as text so that validation (``rows.py``) can say *why* a value is bad
instead of a reader failing on it. The result is ``<schema>.raw_<table>`` with

- ``row_number`` — 1 = first data row (CSV: the data line number; Parquet: the row index + 1),
- ``fields_ok`` — the row has as many fields as the header (always true for Parquet),
- ``n_fields`` — number of fields found on the CSV line (NULL for Parquet),
- one VARCHAR column per spec column, trimmed, empty → NULL ("empty field = missing").

Parquet: ``raw_<table>`` is a *view* over the file (nothing is copied; DuckDB reads the
columns it needs, out of core, each time validation or staging reads it). CSV: a table in the
scratch database, because a CSV line has to be split once to be read by column.

CSV is read as whole lines by DuckDB's own reader (out of core, parallel) and split in SQL,
because DuckDB's CSV reader can not tell us the line number of a row nor keep a row with the
wrong number of fields; splitting ourselves gives both. Blank lines are not rows: they are
skipped and not counted (row numbers still count physical data lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from . import spec
from ..errors import ExtractRefused
from .manifest import FileEntry

_BOM = b"\xef\xbb\xbf"
# A field is what follows a ';': either a quoted string ("" = escaped quote) or anything up to
# the next ';'. Prefixing the line with ';' makes every match non-empty (RE2 skips empty matches).
_QUOTED_SPLIT = """list_transform(regexp_extract_all(';' || line, ';("(?:[^"]|"")*"|[^;]*)', 1),
        lambda x: case when len(x) >= 2 and x[1] = '"' and x[-1] = '"'
                       then replace(x[2:-2], '""', '"') else x end)"""


@dataclass(frozen=True)
class RawFile:
    """What reading one file produced."""

    table: str
    file: str
    rows: int
    extensions: list[str]  # columns the spec does not know (reported, ignored)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(entry: FileEntry) -> str:
    with open(entry.path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip(b"\r\n\t " + _BOM):
        raise ExtractRefused(f"{entry.name}: file is empty (no header row)")
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ExtractRefused(f"{entry.name}: header row is not UTF-8 encoded (the spec requires UTF-8)") from None


def _header_columns(entry: FileEntry, table: spec.Table) -> list[str]:
    header = _first_line(entry)
    if spec.CSV_SEPARATOR not in header:
        for sep, label in ((",", "','"), ("\t", "a tab"), ("|", "'|'")):
            if sep in header:
                raise ExtractRefused(
                    f"{entry.name}: separator is {label}, the spec requires ';' (header: {header[:60]!r})"
                )
    names = [n.strip().strip('"') for n in header.split(spec.CSV_SEPARATOR)]
    seen = set()
    for n in names:
        if n in seen:
            raise ExtractRefused(f"{entry.name}: column {n!r} appears twice in the header")
        seen.add(n)
    return names


def _check_columns(entry: FileEntry, table: spec.Table, names: list[str]) -> list[str]:
    missing = [c for c in table.column_names if c not in names]
    if missing:
        raise ExtractRefused(
            f"{entry.name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(table {table.name} needs {', '.join(table.column_names)})"
        )
    return [n for n in names if n not in table.column_names]


def _check_row_count(entry: FileEntry, rows: int) -> None:
    if rows == 0 and entry.rows > 0:
        raise ExtractRefused(
            f"{entry.name}: file has a header but no data rows; {entry.path.parent.name}/manifest.json says {entry.rows}"
        )
    if rows != entry.rows:
        raise ExtractRefused(f"{entry.name}: {rows} data rows, but manifest.json says {entry.rows}")


def _read_error(entry: FileEntry, exc: duckdb.Error) -> ExtractRefused:
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
        line = re.search(r"on Line:? (\d+)", text)
        where = f" (first bad bytes on file line {line.group(1)})" if line else ""
        return ExtractRefused(f"{entry.name}: not UTF-8 encoded{where}; the spec requires UTF-8")
    return ExtractRefused(f"{entry.name}: cannot be read as {entry.fmt}: {first}")


def load_csv(con: duckdb.DuckDBPyConnection, entry: FileEntry, table: spec.Table, schema: str) -> RawFile:
    """Load a ';'-separated UTF-8 CSV file into ``<schema>.raw_<table>`` (all text)."""
    names = _header_columns(entry, table)
    extensions = _check_columns(entry, table, names)
    lines = f"{schema}.lines_{table.name}"
    path = _lit(str(entry.path))
    (previous,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    try:
        # rowid must follow file order: keep insertion order for this load only.
        con.execute("set preserve_insertion_order = true")
        # One VARCHAR column per line: \x01 never occurs in the data, so no line is split.
        con.execute(
            f"""create or replace table {lines} as
            select line from read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = true,
                delim = chr(1), quote = '', escape = '', auto_detect = false, strict_mode = false)"""
        )
    except duckdb.Error as exc:
        raise _read_error(entry, exc) from None
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if previous else 'false'}")
    k = len(names)
    # rowid of a freshly created table follows file order (insertion order is preserved).
    fields = (
        f"case when contains(line, '\"') then {_QUOTED_SPLIT} else string_split(line, ';') end"
    )
    cols = ",\n        ".join(
        f"nullif(trim(f[{names.index(c) + 1}]), '') as {_q(c)}" for c in table.column_names
    )
    raw = f"{schema}.raw_{table.name}"
    con.execute(
        f"""create or replace table {raw} as
        with lines as (
            select rowid + 1 as row_number, line from {lines} where line is not null and line <> ''
        ),
        split as (
            select row_number, {fields} as f from lines
        )
        select row_number, len(f) = {k} as fields_ok, len(f) as n_fields,
        {cols}
        from split"""
    )
    con.execute(f"drop table {lines}")
    rows, last_ok = con.execute(
        f"select count(*), arg_max(fields_ok, row_number) from {raw}"
    ).fetchone()
    # A last line without its newline and with too few fields was cut off mid-row.
    with open(entry.path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(size - 1, 0))
        ends_with_newline = fh.read(1) in (b"\n", b"\r")
    if rows and not ends_with_newline and last_ok is False:
        raise ExtractRefused(
            f"{entry.name}: file is truncated (the last row, data row {rows}, is cut off and has no line end)"
        )
    _check_row_count(entry, rows)
    return RawFile(table.name, entry.name, rows, extensions)


def _as_text(column: str, duck_type: str, kind: str) -> str:
    """Parquet value → the text a CSV delivery would carry for it."""
    c = _q(column)
    t = duck_type.upper()
    if t == "DATE" or t.startswith("TIMESTAMP"):
        fmt = "%Y-%m" if kind == spec.MONTH else "%Y-%m-%d"
        return f"strftime({c}, '{fmt}')"
    if t == "BOOLEAN":
        return f"case when {c} then '1' when not {c} then '0' end"
    return f"cast({c} as varchar)"


def load_parquet(con: duckdb.DuckDBPyConnection, entry: FileEntry, table: spec.Table, schema: str) -> RawFile:
    """Load a Parquet file into ``<schema>.raw_<table>`` (values converted to text)."""
    path = _lit(str(entry.path))
    try:
        described = con.execute(f"describe select * from read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        raise ExtractRefused(f"{entry.name}: not a readable Parquet file ({str(exc).strip().splitlines()[0]})") from None
    types = {r[0]: r[1] for r in described}
    names = list(types)
    extensions = _check_columns(entry, table, names)
    cols = ",\n        ".join(
        f"nullif(trim({_as_text(c.name, types[c.name], c.kind)}), '') as {_q(c.name)}" for c in table.columns
    )
    raw = f"{schema}.raw_{table.name}"
    try:
        # A view: the file is read where it lies, column by column, whenever raw_ is read.
        con.execute(
            f"""create or replace view {raw} as
            select file_row_number + 1 as row_number, true as fields_ok, cast(null as integer) as n_fields,
            {cols}
            from read_parquet({path}, file_row_number = true)"""
        )
        rows = con.execute(f"select count(*) from read_parquet({path})").fetchone()[0]
    except duckdb.Error as exc:
        raise ExtractRefused(f"{entry.name}: not a readable Parquet file ({str(exc).strip().splitlines()[0]})") from None
    _check_row_count(entry, rows)
    return RawFile(table.name, entry.name, rows, extensions)


def load_raw(con: duckdb.DuckDBPyConnection, entry: FileEntry, schema: str) -> RawFile:
    """Load one extract file as text into ``<schema>.raw_<table>``; refuse file-level problems."""
    table = spec.TABLES[entry.table]
    if entry.fmt == "parquet":
        return load_parquet(con, entry, table, schema)
    return load_csv(con, entry, table, schema)
