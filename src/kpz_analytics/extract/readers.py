"""Read one extract file (CSV or Parquet) into a text table, refusing file-level problems.

Every value is read as text so that validation (``rows.py``) can say *why* a value is bad
instead of a reader failing on it. The result is ``<schema>.raw_<table>`` with

- ``row_number`` — 1 = first data row (CSV: the physical data line; Parquet: the row index + 1),
- ``fields_ok`` — the row has as many fields as the header and sound quoting (always true for
  Parquet),
- ``n_fields`` — number of fields found on the CSV line (NULL for Parquet),
- ``bad_quotes`` — the CSV line's quoting is malformed (text after a closing quote),
- ``plain`` — the CSV line is printable ASCII only (no value can hold an invisible character;
  always false for Parquet),
- one VARCHAR column per spec column, trimmed, empty → NULL ("empty field = missing").

Values are trimmed of white space *and* of the invisible characters a copy, an editor or two
concatenated files leave at the edge of a value (TAB, NBSP, zero-width space, BOM, ...): ``p1``
and ``p1`` followed by U+200B are one person. An invisible or control character *inside* a value is
not removed; validation quarantines the row (reason ``characters``).

Parquet: ``raw_<table>`` is a *view* over the file (nothing is copied; DuckDB reads the
columns it needs, out of core, each time validation or staging reads it). A date or number
column whose Parquet type guarantees the parse is also there as its typed value,
``__native_<column>`` (the typed fast path, ``TYPED_FAST_PATH``), and every spec column as
stored, ``__stored_<column>`` (untrimmed, of its own type: ``stored_name``). Its schema is checked
first: every spec column once, of a type that can carry it (``PARQUET_TYPES``). CSV: a table in
the scratch database, because a CSV line has to be split once to be read by column.

CSV is read as whole lines by DuckDB's own reader (out of core, parallel) and split in SQL,
because DuckDB's CSV reader cannot tell the line number of a row nor keep a row with the wrong
number of fields; splitting ourselves gives both. ``new_line = '\\r\\n'`` makes the reader end
a line at LF or CRLF alike, so a file with mixed line ends keeps its physical line numbers (a
lone CR is refused before, in ``manifest.check_files``). Blank lines are not rows: they are
skipped and not counted (row numbers still count physical data lines). Measured against
DuckDB's ``read_csv(store_rejects = true)``: it reports line numbers only for the rows it
rejects, and skips blank lines without a trace, so the accepted rows' physical line numbers
cannot be recovered from it (docs/ingest.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
# A line with sound quoting: every field is a closed quoted string, or does not start with a quote.
_SOUND_QUOTES = r'''(?:"(?:[^"]|"")*"|[^;"][^;]*|)(?:;(?:"(?:[^"]|"")*"|[^;"][^;]*|))*'''
# A field that opens a quote the line does not close: a line break inside a quoted field.
_OPEN_QUOTE = r'''(?:^|;)"(?:[^"]|"")*$'''

# Trimmed from both ends of every value: white space, and characters that are invisible at the
# edge of a value (zero-width space/joiners, word joiner, BOM, Mongolian vowel separator).
TRIM_CHARS = (
    " \t\n\r\x0b\x0c\u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\u180e\u200b\u200c\u200d\u2060\ufeff"
)
_TRIM_SQL = "'" + TRIM_CHARS + "'"  # a literal: DuckDB does not fold chr() || chr() ... once
# A line (or value) of printable ASCII only: nothing but spaces can stand at the edge of its
# values, so the plain trim() does (trim() with a set of 30 characters costs 5-7 times as much;
# measured on a 280,000-line file, docs/ingest.md).
PLAIN_LINE = "regexp_full_match(line, '[ -~]*')"
# Characters that may not occur inside a value (reason `characters`): C0/C1 controls (TAB too),
# soft hyphen, zero-width and directional marks (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069:
# "Trojan source" reordering), word joiner and invisible operators, BOM.
INVISIBLE_RE = (
    r"[\x00-\x1f\x7f-\x9f\x{ad}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{2064}\x{2066}-\x{2069}\x{feff}]"
)
_INVISIBLE_PY = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def trimmed(value_sql: str, plain: str | None = None) -> str:
    """SQL: a text value trimmed of white space and edge-invisible characters, empty → NULL.

    ``plain``: an SQL condition that is true when the value is printable ASCII (e.g.
    :data:`PLAIN_LINE` for every field of a CSV line): then the cheap ``trim()`` is exact.
    """
    # trim() with the set of 30 characters is the cost of reading a text Parquet column (3.6 s
    # against 0.2 s for 1.8 million ids, docs/ingest.md). A value that begins and ends with a
    # printable ASCII character other than a space has nothing to trim (no character of the set
    # is printable ASCII), so only the others take it; checked equal for every code point at
    # either edge (tests/test_typed_parquet.py). ``x[-1]`` is the last code point, like
    # ``right(x, 1)`` but at 40 % of its cost.
    full = (
        f"case when ascii({value_sql}) between 33 and 126 and ascii({value_sql}[-1]) between 33 and 126 "
        f"then {value_sql} else nullif(trim({value_sql}, {_TRIM_SQL}), '') end"
    )
    if plain is None:
        return full
    if plain == "true":
        return f"nullif(trim({value_sql}), '')"
    return f"case when {plain} then nullif(trim({value_sql}), '') else {full} end"


# Parquet physical types (as DuckDB names them) that can carry a column of each kind, and what
# the spec expects, for the refusal message. Integer ids are accepted (an id has no leading
# zeros to lose); codes with a pattern (``0316``, ``GM0344``) must be text.
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT")
_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
PARQUET_TYPES: dict[str, tuple[tuple[str, ...], str]] = {
    spec.TEXT: (("VARCHAR",), "text (VARCHAR)"),
    spec.DATE: (("VARCHAR", "DATE") + _TIMESTAMPS, "DATE or text YYYY-MM-DD"),
    spec.MONTH: (("VARCHAR", "DATE") + _TIMESTAMPS, "DATE or text YYYY-MM"),
    spec.DECIMAL: (("VARCHAR", "DOUBLE", "FLOAT", "DECIMAL") + _INTEGERS, "a number or text"),
    spec.INTEGER: (("VARCHAR", "DOUBLE", "FLOAT", "DECIMAL") + _INTEGERS, "an integer or text"),
    spec.FLAG: (("VARCHAR", "BOOLEAN") + _INTEGERS, "BOOLEAN, 0/1 or text"),
}


# Typed Parquet fast path. A spec column whose Parquet type already guarantees the parse (a
# DATE column of a date or month, a DOUBLE or integer column of a number) is also exposed in
# ``raw_<table>`` as its typed value, ``__native_<column>`` (``native_name``): validation reads
# the value from it instead of parsing the text back, and staging takes it as it is. The text
# column stays (detail messages, conflicts compare text), so the checks are the same; a column
# of another type (strings in a date column, FLOAT, DECIMAL(p, s), timestamps) is validated
# value by value from its text (the slow path). ``TYPED_FAST_PATH = False`` turns it off (the
# tests compare both paths).
TYPED_FAST_PATH = True
_FAST_NUMBER_TYPES = ("DOUBLE", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


def native_name(column: str) -> str:
    """Name of the typed value of a fast-path column in ``raw_<table>``."""
    return f"__native_{column}"


def stored_name(column: str) -> str:
    """Name of a Parquet column's value as stored (untrimmed, of its own type) in ``raw_<table>``.

    Two rows whose stored values are equal have equal text after trimming, so comparing them
    (which costs no trim) can clear most repeated keys of a conflict (``rows.repeated_sql``).
    """
    return f"__stored_{column}"


def fast_path_type(col: spec.Column, duck_type: str) -> str | None:
    """The Parquet base type when ``col`` can take the fast path with it, else None."""
    base = _base_type(duck_type)
    if col.kind in (spec.DATE, spec.MONTH) and base == "DATE":
        return base
    if col.kind in (spec.DECIMAL, spec.INTEGER) and base in _FAST_NUMBER_TYPES:
        return base
    return None


def _native_value(col: spec.Column, base: str) -> str:
    """SQL: the typed value of a fast-path column (a DATE, or a DOUBLE for numbers), which is
    what parsing the column's text would give (``rows._parsed_columns``)."""
    c = _q(col.name)
    if col.kind == spec.MONTH:
        return f"cast(date_trunc('month', {c}) as date)"
    if col.kind == spec.DATE:
        return c
    return c if base == "DOUBLE" else f"cast({c} as double)"


@dataclass(frozen=True)
class RawFile:
    """What reading one file produced."""

    table: str
    file: str
    rows: int
    extensions: list[str]  # columns the spec does not know (reported, ignored)
    # Fast-path columns (Parquet): column -> Parquet base type; ``raw_<table>`` has their typed
    # value as ``native_name(column)``.
    native: dict[str, str] = field(default_factory=dict)
    # Parquet: ``raw_<table>`` also has every spec column as stored, ``stored_name(column)``.
    stored: bool = False


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(entry: FileEntry, source: str) -> str:
    with open(source, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip(b"\r\n\t " + _BOM):
        raise ExtractRefused(f"{entry.name}: file is empty (no header row)")
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if not line.strip():
        raise ExtractRefused(f"{entry.name}: the first line is blank; the header row must be the first line")
    if b"\x00" in line:
        raise ExtractRefused(f"{entry.name}: header row holds NUL bytes (UTF-16 or a binary file?); the spec requires UTF-8")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise ExtractRefused(f"{entry.name}: header row is not UTF-8 encoded (the spec requires UTF-8)") from None


def _header_columns(entry: FileEntry, source: str) -> list[str]:
    header = _first_line(entry, source)
    if spec.CSV_SEPARATOR not in header:
        for sep, label in ((",", "','"), ("\t", "a tab"), ("|", "'|'")):
            if sep in header:
                raise ExtractRefused(
                    f"{entry.name}: separator is {label}, the spec requires ';' (header: {header[:60]!r})"
                )
    names = [n.strip(TRIM_CHARS).strip('"') for n in header.split(spec.CSV_SEPARATOR)]
    _check_unique(entry, names, "header")
    return names


def _check_unique(entry: FileEntry, names: list[str], where: str) -> None:
    seen: dict[str, str] = {}
    for n in names:
        if n in seen:
            raise ExtractRefused(f"{entry.name}: column {n!r} appears twice in the {where}")
        # DuckDB binds column names case-insensitively: two names differing only in case are
        # one column to it (and a Parquet reader renames the second).
        if n.lower() in seen:
            raise ExtractRefused(
                f"{entry.name}: columns {seen[n.lower()]!r} and {n!r} in the {where} differ only in case"
            )
        seen[n] = n
        seen[n.lower()] = n


def _check_columns(entry: FileEntry, table: spec.Table, names: list[str]) -> list[str]:
    missing = [c for c in table.column_names if c not in names]
    if missing:
        # The usual cause of a column that is there but not found: an invisible character in its name.
        for n in names:
            clean = _INVISIBLE_PY.sub("", n)
            if clean != n and clean in missing:
                code = next(f"U+{ord(c):04X}" for c in n if _INVISIBLE_PY.match(c))
                raise ExtractRefused(
                    f"{entry.name}: column name {n!r} holds an invisible character ({code}); the spec column is {clean!r}"
                )
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
    line = re.search(r"on Line:? (\d+)", text)
    if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
        where = f" (first bad bytes on file line {line.group(1)})" if line else ""
        return ExtractRefused(f"{entry.name}: not UTF-8 encoded{where}; the spec requires UTF-8")
    if "maximum line size" in text.lower():
        where = f"file line {line.group(1)}" if line else "a line"
        return ExtractRefused(f"{entry.name}: {where} is longer than the reader's limit of 2 MB: not a CSV of this spec")
    return ExtractRefused(f"{entry.name}: cannot be read as {entry.fmt}: {first}")


def load_csv(con: duckdb.DuckDBPyConnection, entry: FileEntry, table: spec.Table, schema: str,
             source: str | None = None, plain_file: bool = False) -> RawFile:
    """Load a ';'-separated UTF-8 CSV file into ``<schema>.raw_<table>`` (all text).

    ``source`` is the name to read the file by (an open descriptor, see
    ``manifest.check_files``); default the entry's path. ``plain_file``: the file is known to
    hold printable ASCII only (``OpenFile.plain``), so no line is tested for other characters.
    """
    source = source or str(entry.path)
    names = _header_columns(entry, source)
    extensions = _check_columns(entry, table, names)
    lines = f"{schema}.lines_{table.name}"
    path = _lit(source)
    (previous,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    try:
        # rowid must follow file order: keep insertion order for this load only.
        con.execute("set preserve_insertion_order = true")
        # One VARCHAR column per line: 0x01 never occurs in the data (checked byte by byte in
        # manifest.check_files), so no line is split. '\r\n' ends a line at LF or CRLF.
        con.execute(
            f"""create or replace table {lines} as
            select line from read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = true,
                delim = chr(1), quote = '', escape = '', new_line = '\\r\\n', auto_detect = false,
                strict_mode = false)"""
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
        f"{trimmed(f'f[{names.index(c) + 1}]', 'true' if plain_file else 'plain')} as {_q(c)}"
        for c in table.column_names
    )
    raw = f"{schema}.raw_{table.name}"
    con.execute(
        f"""create or replace table {raw} as
        with lines as (
            select rowid + 1 as row_number, line from {lines} where line is not null and line <> ''
        ),
        split as (
            select row_number, {fields} as f, {'true' if plain_file else PLAIN_LINE} as plain,
                contains(line, '"') and regexp_matches(line, {_lit(_OPEN_QUOTE)}) as open_quote,
                contains(line, '"') and not regexp_full_match(line, {_lit(_SOUND_QUOTES)}) as bad_quotes
            from lines
        )
        select row_number, len(f) = {k} and not bad_quotes as fields_ok, len(f) as n_fields,
        open_quote, bad_quotes, plain,
        {cols}
        from split"""
    )
    con.execute(f"drop table {lines}")
    rows, last_ok, first_open = con.execute(
        f"select count(*), arg_max(fields_ok, row_number), min(row_number) filter (where open_quote) from {raw}"
    ).fetchone()
    # A last line without its newline and with too few fields was cut off mid-row.
    with open(source, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(size - 1, 0))
        ends_with_newline = fh.read(1) in (b"\n", b"\r")
    if rows and not ends_with_newline and last_ok is False:
        raise ExtractRefused(
            f"{entry.name}: file is truncated (the last row, data row {rows}, is cut off and has no line end)"
        )
    if first_open is not None:
        # A quoted field running to the end of its line: a line break inside a quoted value.
        # Values of this spec are single-line; the row would be split in two.
        raise ExtractRefused(
            f"{entry.name}: data row {first_open} (file line {first_open + 1}) opens a quoted field that the line "
            "does not close: a line break inside a quoted value is not allowed (one row per line)"
        )
    _check_row_count(entry, rows)
    return RawFile(table.name, entry.name, rows, extensions)


def _as_text(column: str, duck_type: str, kind: str) -> str:
    """Parquet value → the text a CSV delivery would carry for it."""
    c = _q(column)
    t = duck_type.upper()
    if t == "DATE":
        fmt = "%Y-%m" if kind == spec.MONTH else "%Y-%m-%d"
        return f"strftime({c}, '{fmt}')"
    if t in _TIMESTAMPS:
        # A timestamp without time zone is a date only at midnight; otherwise its full text
        # reaches validation and is quarantined as `date`, showing the value.
        fmt = "%Y-%m" if kind == spec.MONTH else "%Y-%m-%d"
        return f"case when cast({c} as time) = time '00:00:00' then strftime({c}, '{fmt}') else cast({c} as varchar) end"
    if t == "BOOLEAN":
        return f"case when {c} then '1' when not {c} then '0' end"
    return f"cast({c} as varchar)"


def _parquet_text(col: spec.Column, duck_type: str) -> str:
    """SQL: a Parquet column as trimmed text. Only text can carry invisible characters; dates,
    numbers and flags converted by :func:`_as_text` are ASCII and take the cheap ``trim()``."""
    text = _as_text(col.name, duck_type, col.kind)
    return trimmed(text, "true" if _base_type(duck_type) != "VARCHAR" else None)


def _base_type(duck_type: str) -> str:
    return duck_type.upper().split("(", 1)[0].strip()


def _top_level_names(schema_rows: list[tuple[str, int | None]]) -> list[str]:
    """Names of the top-level columns in ``parquet_schema`` rows (depth first, root first)."""
    names: list[str] = []
    if not schema_rows:
        return names
    pending = [schema_rows[0][1] or 0]  # children still to visit, per open node
    for name, children in schema_rows[1:]:
        if len(pending) == 1:
            names.append(name)
        pending[-1] -= 1
        if children:
            pending.append(children)
        while len(pending) > 1 and pending[-1] == 0:
            pending.pop()
    return names


def _check_parquet_types(entry: FileEntry, table: spec.Table, types: dict[str, str]) -> None:
    """Refuse a spec column whose physical type cannot carry it (column, type, expected type)."""
    for col in table.columns:
        found = types[col.name]
        accepted, expected = PARQUET_TYPES[col.kind]
        base = _base_type(found)
        ok = base in accepted
        if col.kind == spec.TEXT and base in _INTEGERS:
            ok = col.allowed is None and col.pattern is None  # an integer id is text without leading zeros
        if not ok:
            why = ""
            if base.startswith("TIMESTAMP") and "TIME ZONE" in found.upper():
                why = "; a time-zone-aware timestamp has no date of its own (the day depends on the zone)"
            raise ExtractRefused(
                f"{entry.name}: column {col.name} has Parquet type {found}, the spec expects {expected}{why}"
            )


def load_parquet(con: duckdb.DuckDBPyConnection, entry: FileEntry, table: spec.Table, schema: str,
                 source: str | None = None) -> RawFile:
    """Load a Parquet file into ``<schema>.raw_<table>`` (values converted to text, plus the
    typed value of every fast-path column: ``RawFile.native``)."""
    path = _lit(source or str(entry.path))
    try:
        # The file's own column names: DuckDB's reader renames a repeated name (persoon_id_1).
        schema_rows = con.execute(f"select name, num_children from parquet_schema({path})").fetchall()
        described = con.execute(f"describe select * from read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        raise ExtractRefused(f"{entry.name}: not a readable Parquet file ({str(exc).strip().splitlines()[0]})") from None
    types = {r[0]: r[1] for r in described}
    top = [r[0] for r in described]
    _check_unique(entry, _top_level_names(schema_rows), "Parquet schema")
    extensions = _check_columns(entry, table, top)
    _check_parquet_types(entry, table, types)
    cols = ",\n        ".join(
        f"{_parquet_text(c, types[c.name])} as {_q(c.name)}" for c in table.columns
    )
    native: dict[str, str] = {}
    if TYPED_FAST_PATH:
        for c in table.columns:
            base = fast_path_type(c, types[c.name])
            if base is not None:
                native[c.name] = base
                cols += f",\n        {_native_value(c, base)} as {_q(native_name(c.name))}"
    cols += "".join(f",\n        {_q(c.name)} as {_q(stored_name(c.name))}" for c in table.columns)
    raw = f"{schema}.raw_{table.name}"
    try:
        # A view: the file is read where it lies, column by column, whenever raw_ is read.
        con.execute(
            f"""create or replace view {raw} as
            select file_row_number + 1 as row_number, true as fields_ok, cast(null as integer) as n_fields,
            false as open_quote, false as bad_quotes, false as plain,
            {cols}
            from read_parquet({path}, file_row_number = true)"""
        )
        rows = con.execute(f"select count(*) from read_parquet({path})").fetchone()[0]
    except duckdb.Error as exc:
        raise ExtractRefused(f"{entry.name}: not a readable Parquet file ({str(exc).strip().splitlines()[0]})") from None
    _check_row_count(entry, rows)
    return RawFile(table.name, entry.name, rows, extensions, native, stored=True)


def load_raw(con: duckdb.DuckDBPyConnection, entry: FileEntry, schema: str, source: str | None = None,
             plain_file: bool = False) -> RawFile:
    """Load one extract file as text into ``<schema>.raw_<table>``; refuse file-level problems.

    ``source``: the name to read the file by (``Delivery.source``), default its path;
    ``plain_file``: a CSV known to be printable ASCII (``Delivery.plain``).
    """
    table = spec.TABLES[entry.table]
    if entry.fmt == "parquet":
        return load_parquet(con, entry, table, schema, source)
    return load_csv(con, entry, table, schema, source, plain_file)
