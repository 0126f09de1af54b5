"""The typed Parquet fast path (extract/readers.py, extract/rows.py) changes nothing but cost.

A date, month or number column whose Parquet type already guarantees the parse is validated from
its typed value; every other column (and the rare typed value that is not sure, e.g. a date
beyond year 9999) from its text. These tests ingest the same delivery with the fast path and
with it forced off, and the generator's text Parquet against a typed copy of it, and require the
same quarantine (file, row, column, reason, detail) and the same content of every table.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from extract_builder import build_extract, dot_line, minimal_tables, population, refresh_manifest, retype_parquet

from kpz_analytics.extract import readers, spec
from kpz_analytics.warehouse.ingest import ingest

# Tables whose content names the delivery (manifest checksum, time stamp) rather than its data.
_DELIVERY_TABLES = {"meta_extract"}


@pytest.fixture(autouse=True)
def _no_marts(monkeypatch):
    from kpz_analytics.warehouse import marts

    monkeypatch.setattr(marts, "build_marts", lambda con, **_: None)


def _content(warehouse) -> tuple[list, dict[str, tuple]]:
    """(every quarantine row, table -> (columns and types, rows, order-free content hash))."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        quarantine = con.execute(
            "select file, row_number, column_name, reason, detail from quarantine order by file, row_number"
        ).fetchall()
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by table_name"
        ).fetchall()]
        content = {}
        for t in tables:
            if t in _DELIVERY_TABLES:
                continue
            cols = [(c, typ) for c, typ, *_ in con.execute(f'describe "{t}"').fetchall()]
            sel = ", ".join(f'"{c}"' for c, _ in cols)
            n, total = con.execute(f'select count(*), coalesce(sum(hash(row({sel}))::hugeint), 0) from "{t}"').fetchone()
            content[t] = (cols, n, total)
    finally:
        con.close()
    return quarantine, content


def _ingest(extract, warehouse, monkeypatch, fast: bool):
    monkeypatch.setattr(readers, "TYPED_FAST_PATH", fast)
    ingest(extract, warehouse=warehouse, progress=False, max_bad_share=1.0)
    return _content(warehouse)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """A synthetic delivery with every quarantine reason (``--faults``), text Parquet, and its
    typed copy (every clean date, month and number column typed)."""
    from kpz_analytics.synthetic import write_extract

    root = tmp_path_factory.mktemp("typed")
    text = root / "text"
    write_extract(text, seed=7, fmt="parquet", scale=0.002, years=(2019, 2021), faults=True, progress=False)
    typed = root / "typed"
    typed_columns = retype_parquet(text, typed)
    return text, typed, typed_columns


def test_typed_copy_takes_the_fast_path(faulty, monkeypatch, tmp_path):
    """The typed copy really has fast-path columns, in claims tables too, and quarantined rows
    whose offending column is one of them (so the fast path's checks are exercised)."""
    text, typed, typed_columns = faulty
    fast_columns = 0
    con = duckdb.connect()
    for table, cols in typed_columns.items():
        types = dict(r[:2] for r in con.execute(f"describe select * from '{typed / f'{table}.parquet'}'").fetchall())
        fast_columns += sum(readers.fast_path_type(spec.TABLES[table].column(c), types[c]) is not None for c in cols)
    con.close()
    assert fast_columns >= 15
    claims = [t for t in typed_columns if spec.TABLES[t].is_claims]
    assert {"begindatum", "einddatum", "bedrag"} <= {c for t in claims for c in typed_columns[t]}
    quarantine, _ = _ingest(typed, tmp_path / "w.duckdb", monkeypatch, fast=True)
    on_typed = [q for q in quarantine if q[2] in typed_columns[q[0].rsplit(".", 1)[0]]]
    reasons = {q[3] for q in on_typed}
    assert len(on_typed) >= 3 and {"period_order", "out_of_period"} <= reasons, reasons


def test_fast_and_slow_path_agree_on_faults(faulty, monkeypatch, tmp_path):
    """Typed copy with the fast path = typed copy with it off = the text Parquet it came from:
    the same quarantine rows, reasons and details, and the same content of every table."""
    text, typed, _ = faulty
    fast = _ingest(typed, tmp_path / "fast.duckdb", monkeypatch, fast=True)
    slow = _ingest(typed, tmp_path / "slow.duckdb", monkeypatch, fast=False)
    as_text = _ingest(text, tmp_path / "text.duckdb", monkeypatch, fast=True)
    assert len(fast[0]) > 20
    assert fast[0] == slow[0] == as_text[0]
    assert set(fast[1]) >= {"stg_dot", "core_dot", "stg_personen", "core_personen", "quarantine"}
    for table in fast[1]:
        assert fast[1][table] == slow[1][table] == as_text[1][table], table


def test_unsure_typed_values_take_the_slow_path(tmp_path, monkeypatch):
    """Typed values whose text would not pass (a date beyond year 9999 or before 1000, an
    infinite or NaN amount, a fractional or huge whole number in an integer column) are
    quarantined for the same reason and with the same detail as with the fast path off."""
    tables = minimal_tables()
    tables["dot"] = [dot_line(f"d{i}", "p1") for i in range(1, 9)]
    ext = build_extract(tmp_path, tables, fmt="parquet", name="edge")
    # Rewrite dot.parquet with typed columns holding the edge values.
    dot = pq.read_table(ext / "dot.parquet").to_pydict()
    n = len(dot["declaratie_id"])
    begin = [dt.date(2020, 3, 1)] * n
    end = [dt.date(2020, 3, 5)] * n
    amount = [100.0] * n
    begin[1] = dt.date(999, 12, 31)
    end[2] = dt.date(9999, 12, 31)  # sure, but implausible
    amount[3] = math.inf
    amount[4] = math.nan
    amount[5] = -0.0
    amount[6] = 1e300
    dot["begindatum"], dot["einddatum"], dot["bedrag"] = begin, end, amount
    schema = pq.read_schema(ext / "dot.parquet")
    arrays = {k: pa.array(v, pa.date32() if k in ("begindatum", "einddatum") else
                          pa.float64() if k == "bedrag" else schema.field(k).type) for k, v in dot.items()}
    pq.write_table(pa.table(arrays), ext / "dot.parquet")
    # populatie: integer columns as doubles, one fractional and one too large for a whole number.
    cells = [population(jaar=2020, leeftijd=a) for a in range(4)] + [population(jaar=2021)]
    pq.write_table(pa.table({
        "jaar": pa.array([2020.0, 2020.0, 2020.0, 2020.0, 2021.0]),
        "leeftijd": pa.array([0.0, 1.5, 1e16, 3.0, 0.0]),
        "geslacht": pa.array([c["geslacht"] for c in cells]),
        "provincie_code": pa.array([c["provincie_code"] for c in cells]),
        "aantal": pa.array([10.0, 10.0, 10.0, float("-inf"), 10.0]),
    }), ext / "populatie.parquet")
    refresh_manifest(ext)
    assert readers.fast_path_type(spec.TABLES["populatie"].column("leeftijd"), "DOUBLE") == "DOUBLE"
    fast = _ingest(ext, tmp_path / "fast.duckdb", monkeypatch, fast=True)
    slow = _ingest(ext, tmp_path / "slow.duckdb", monkeypatch, fast=False)
    assert fast == slow
    got = {(f, r): (c, reason) for f, r, c, reason, _ in fast[0]}
    assert got[("dot.parquet", 2)] == ("begindatum", "implausible")
    assert got[("dot.parquet", 3)] == ("einddatum", "implausible")
    assert got[("dot.parquet", 4)] == ("bedrag", "number")
    assert got[("dot.parquet", 5)] == ("bedrag", "number")
    assert got[("dot.parquet", 7)] == ("bedrag", "enum")
    assert ("dot.parquet", 6) not in got  # -0.0 is a number
    assert got[("populatie.parquet", 2)] == ("leeftijd", "number")
    assert got[("populatie.parquet", 3)] == ("leeftijd", "number")
    assert got[("populatie.parquet", 4)] == ("aantal", "number")


def test_edge_check_trims_like_the_full_set():
    """``readers.trimmed`` skips trim() with the set of invisible characters for a value that
    begins and ends with printable ASCII other than a space; for every code point of the Basic
    Multilingual Plane (where every character of the set lies) and a sample of the others, at
    either edge of a value and inside it, the result equals the full trim's."""
    full = f"nullif(trim(v, {readers._TRIM_SQL}), '')"
    con = duckdb.connect()
    n, differ = con.execute(f"""
        with cps as (select chr(i::int) as c from range(1, 1114112) t(i)
                     where (i < 55296 or i > 57343) and (i < 65536 or i % 997 = 0)),
        values_ as (
            select unnest([c, 'a' || c, c || 'a', ' a' || c, c || 'b ', 'x' || c || 'y']) as v from cps
            union all select unnest(['', ' ', 'a', ' a ', 'ab', chr(8203) || 'p1', 'p1' || chr(8205)])
        )
        select count(*), count(*) filter (where ({readers.trimmed('v')}) is distinct from ({full}))
        from values_""").fetchone()
    con.close()
    assert n > 300_000 and differ == 0
