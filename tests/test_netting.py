"""Credit netting, orphan credits, conflicts and exact duplicates: exact core contents.

Also: re-running is idempotent, a failed run leaves no warehouse, CSV and Parquet deliveries
give the same tables, and the marts are built after core.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extract_builder import (
    activity, build_extract, dot_line, minimal_tables, municipal_line, person, refresh_manifest,
)
from kpz_analytics import config
from kpz_analytics.errors import ExtractRefused, KpzError
from kpz_analytics.warehouse.ingest import ingest


@pytest.fixture(autouse=True)
def marts_calls(monkeypatch):
    """Record build_marts calls (the tables present when it runs) instead of building marts."""
    calls = []

    def fake(con, progress=True):
        calls.append({r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()})

    monkeypatch.setattr("kpz_analytics.warehouse.marts.build_marts", fake)
    return calls


def netting_tables():
    d = dot_line
    tables = minimal_tables()
    tables["personen"] = [person("p1"), person("p2", geslacht="M")]
    tables["dot"] = [
        d("c1", "p1", bedrag="-100", credit_voor_id="a1"),           # 1 credit before its line
        d("a1", "p1", bedrag="100"),                                  # 2 cancelled by c1
        d("a2", "p1", bedrag="200"),                                  # 3 cancelled by c2 ...
        d("c2", "p1", bedrag="-200", credit_voor_id="a2"),           # 4
        d("a3", "p1", bedrag="250"),                                  # 5 ... and replaced by a3
        d("b1", "p1", bedrag="300"),                                  # 6 cancelled, no replacement
        d("c3", "p1", bedrag="-300", credit_voor_id="b1"),           # 7
        d("c3", "p1", bedrag="-300", credit_voor_id="b1"),           # 8 duplicate of a credit
        d("x1", "p2", bedrag="50", icd10="g71.0"),                    # 9
        d("c4", "p2", bedrag="-250", credit_voor_id="a3"),           # 10 names p1's line: orphan
        d("e1", "p2", bedrag="70", icd10=None),                       # 11
        d("e1", "p2", bedrag="70", icd10=None),                       # 12 exact duplicate
        d("k1", "p2", bedrag="80"),                                   # 13 conflict
        d("k1", "p2", bedrag="81"),                                   # 14 conflict
    ]
    tables["dot_zorgactiviteiten"] = [
        activity("a1"),                                # 1 leaves with its cancelled line
        activity("c1", aantal="-1"),                   # 2 leaves with the credit line
        activity("a3", zorgactiviteit_code="190150"),  # 3 core
        activity("a3", zorgactiviteit_code="190150"),  # 4 exact duplicate
        activity("x1", zorgactiviteit_code="190015", datum="2020-05-01", aantal="2"),  # 5 core
        activity("k1"),                                # 6 unknown_line: k1 is quarantined
    ]
    tables["wmo"] = [municipal_line("m1", "p1")]
    # a credit must name a line of the *same file*: m1 is a wmo line, not a jeugdwet line
    tables["jeugdwet"] = [municipal_line("jc", "p1", volume="-10", bedrag="-650", credit_voor_id="m1")]
    return tables


@pytest.fixture
def netted(tmp_path):
    ext = build_extract(tmp_path, netting_tables())
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield result, con
    con.close()


def test_core_dot_is_net(netted):
    _, con = netted
    rows = con.execute(
        "select declaratie_id, persoon_id, bedrag, icd10, icd10_norm from core_dot order by declaratie_id"
    ).fetchall()
    assert rows == [
        ("a3", "p1", 250.0, "G71.0", "G710"),
        ("e1", "p2", 70.0, None, None),
        ("x1", "p2", 50.0, "g71.0", "G710"),
    ]
    cols = [r[0] for r in con.execute("describe core_dot").fetchall()]
    assert "credit_voor_id" not in cols and "row_number" not in cols and cols[-1] == "icd10_norm"


def test_core_activities_follow_their_line(netted):
    _, con = netted
    assert con.execute(
        "select declaratie_id, persoon_id, zorgactiviteit_code, datum, aantal from core_dot_zorgactiviteiten order by 1"
    ).fetchall() == [
        ("a3", "p1", "190150", dt.date(2020, 2, 2), 1.0),
        ("x1", "p2", "190015", dt.date(2020, 5, 1), 2.0),
    ]


def test_netting_dq_summary(netted):
    result, con = netted
    s = result.dq_summary.set_index("file")
    cols = ["rows_in", "rows_kept", "rows_quarantined", "duplicates_removed", "credits_netted", "lines_cancelled"]
    assert s.loc["dot.csv", cols].tolist() == [14, 11, 3, 2, 3, 3]
    assert s.loc["dot_zorgactiviteiten.csv", cols].tolist() == [6, 5, 1, 1, 1, 1]
    assert s.loc["jeugdwet.csv", cols].tolist() == [1, 0, 1, 0, 0, 0]
    assert s.loc["wmo.csv", cols].tolist() == [1, 1, 0, 0, 0, 0]
    q = con.execute("select file, row_number, reason from quarantine order by file, row_number").fetchall()
    assert q == [
        ("dot.csv", 10, "orphan_credit"),
        ("dot.csv", 13, "conflict"),
        ("dot.csv", 14, "conflict"),
        ("dot_zorgactiviteiten.csv", 6, "unknown_line"),
        ("jeugdwet.csv", 1, "orphan_credit"),
    ]
    assert con.execute("select declaratie_id from core_wmo").fetchall() == [("m1",)]


def test_staging_keeps_credits_and_duplicates(netted):
    _, con = netted
    assert con.execute("select row_number, declaratie_id, credit_voor_id from stg_dot order by 1").fetchall() == [
        (1, "c1", "a1"), (2, "a1", None), (3, "a2", None), (4, "c2", "a2"), (5, "a3", None), (6, "b1", None),
        (7, "c3", "b1"), (8, "c3", "b1"), (9, "x1", None), (11, "e1", None), (12, "e1", None),
    ]


def test_netting_table_names_every_removed_row(netted):
    """netting_dot: each staged row that is not net care, once, with why; core_dot is the rest."""
    _, con = netted
    assert con.execute("select row_number, declaratie_id, reason from netting_dot order by 1").fetchall() == [
        (1, "c1", "credit"), (2, "a1", "cancelled"), (3, "a2", "cancelled"), (4, "c2", "credit"),
        (6, "b1", "cancelled"), (7, "c3", "credit"), (8, "c3", "duplicate"), (12, "e1", "duplicate"),
    ]
    kinds = dict(con.execute(
        "select table_name, table_type from information_schema.tables where table_name like 'core_%'"
    ).fetchall())
    assert kinds["core_dot"] == "VIEW" and kinds["core_dot_zorgactiviteiten"] == "BASE TABLE"


@pytest.mark.parametrize("typed", [False, True])
def test_parquet_rows_equal_after_trimming_are_duplicates_not_a_conflict(tmp_path, typed):
    """Repeated keys are compared on the stored Parquet values first: rows that differ as stored
    only by white space or an edge character are confirmed equal after trimming (a duplicate),
    rows that differ in a value stay a conflict."""
    d = dot_line
    tables = minimal_tables()
    tables["dot"] = [
        d("w1", "p1", bedrag="70"),                       # 1 kept
        d("w1", "p1", bedrag="70 "),                      # 2 duplicate of 1 after trimming
        d("w1", "p1", bedrag="70", icd10="G71.0\u200b"),  # 3 duplicate: a zero-width space at the edge
        d("k1", "p1", bedrag="80"),                       # 4 conflict
        d("k1", "p1", bedrag="81"),                       # 5 conflict
    ]
    ext = build_extract(tmp_path, tables, fmt="parquet", typed_parquet=typed)
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        assert con.execute("select row_number, reason from quarantine where file = 'dot.parquet' order by 1").fetchall() == [
            (4, "conflict"), (5, "conflict"),
        ]
        assert con.execute("select row_number, reason from netting_dot order by 1").fetchall() == [
            (2, "duplicate"), (3, "duplicate"),
        ]
        assert con.execute("select declaratie_id, bedrag from core_dot").fetchall() == [("w1", 70.0)]
    finally:
        con.close()


def test_marts_are_built_after_core(netted, marts_calls):
    assert len(marts_calls) == 1
    present = marts_calls[0]
    assert {"meta_extract", "core_dot", "core_dot_zorgactiviteiten", "core_personen", "dq_summary"} <= present


def test_marts_are_built_with_their_own_memory_limit(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr("kpz_analytics.warehouse.marts.build_marts", lambda con, **_: seen.append(
        con.execute("select current_setting('memory_limit')").fetchone()[0]))
    monkeypatch.setattr(config, "DUCKDB_MEMORY_LIMIT", "200MB")
    monkeypatch.setattr(config, "DUCKDB_MARTS_MEMORY_LIMIT", "300MB")
    ext = build_extract(tmp_path, netting_tables())
    ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    assert seen == ["286.1 MiB"]  # 300 MB as DuckDB shows it


def test_a_bad_memory_limit_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DUCKDB_MARTS_MEMORY_LIMIT", "lots")
    ext = build_extract(tmp_path, netting_tables())
    with pytest.raises(KpzError, match=r"^KPZ_DUCKDB_MARTS_MEMORY_LIMIT='lots' is not a memory size"):
        ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    assert not (tmp_path / "w.duckdb").exists()
    monkeypatch.setattr(config, "DUCKDB_MARTS_MEMORY_LIMIT", "6GB")
    monkeypatch.setattr(config, "DUCKDB_MEMORY_LIMIT", "4 elephants")
    with pytest.raises(KpzError, match=r"^KPZ_DUCKDB_MEMORY_LIMIT='4 elephants' is not a memory size"):
        ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)


def _table_contents(path):
    con = duckdb.connect(str(path), read_only=True)
    names = sorted(r[0] for r in con.execute("select table_name from information_schema.tables").fetchall())
    out = {}
    for name in names:
        cols = [r[0] for r in con.execute(f"describe {name}").fetchall() if r[0] != "ingested_at"]
        sel = ", ".join(f'"{c}"' for c in cols)
        out[name] = con.execute(f"select {sel} from {name} order by all").fetchall()
    con.close()
    return out


def test_ingest_twice_is_idempotent(tmp_path):
    ext = build_extract(tmp_path, netting_tables())
    target = tmp_path / "w.duckdb"
    ingest(ext, warehouse=target, progress=False, max_bad_share=1.0)
    first = _table_contents(target)
    ingest(ext, warehouse=target, progress=False, max_bad_share=1.0)
    second = _table_contents(target)
    assert first == second
    assert {"quarantine", "dq_summary", "dq_quarantine_by_reason", "dq_extensions", "meta_extract",
            "core_dot", "stg_dot"} <= set(first)
    assert not any(n.startswith(("raw_", "checked_", "lines_")) for n in first), "no text copies in the warehouse"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract", "w.duckdb"]


def test_failed_ingest_leaves_no_warehouse_and_keeps_the_old_one(tmp_path):
    ext = build_extract(tmp_path, netting_tables())
    target = tmp_path / "w.duckdb"
    ingest(ext, warehouse=target, progress=False, max_bad_share=1.0)
    before = target.read_bytes()
    path = ext / "wmo.csv"
    path.write_text(path.read_text().replace(";", ","), encoding="utf-8")
    refresh_manifest(ext, ["wmo"])
    with pytest.raises(ExtractRefused):
        ingest(ext, warehouse=target, progress=False, max_bad_share=1.0)
    assert target.read_bytes() == before  # the previous warehouse is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract", "w.duckdb"]
    fresh = tmp_path / "fresh" / "w.duckdb"
    with pytest.raises(ExtractRefused):
        ingest(ext, warehouse=fresh, progress=False, max_bad_share=1.0)
    assert list(fresh.parent.iterdir()) == []


def test_failure_inside_the_build_cleans_up(tmp_path, monkeypatch):
    ext = build_extract(tmp_path, netting_tables())

    def boom(con, progress=True):
        raise RuntimeError("interrupted")

    monkeypatch.setattr("kpz_analytics.warehouse.marts.build_marts", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        ingest(ext, warehouse=tmp_path / "out" / "w.duckdb", progress=False, max_bad_share=1.0)
    assert list((tmp_path / "out").iterdir()) == []


def test_default_warehouse_path(tmp_path, monkeypatch):
    ext = build_extract(tmp_path, minimal_tables(), extract_id="unit-x")
    monkeypatch.setattr("kpz_analytics.config.DATA_PROCESSED", tmp_path / "processed")
    result = ingest(ext, progress=False)
    assert result.warehouse == tmp_path / "processed" / "unit-x.duckdb" and result.warehouse.exists()
    assert result.extract_id == "unit-x"


def _typed_personen_parquet(path, rows):
    """personen.parquet as a typed writer would produce it: month as DATE, flag as BOOLEAN."""
    pq.write_table(pa.table({
        "persoon_id": [r["persoon_id"] for r in rows],
        "geboortemaand": pa.array([dt.date.fromisoformat(r["geboortemaand"] + "-01") for r in rows], pa.date32()),
        "geslacht": [r["geslacht"] for r in rows],
        "overlijdensdatum": pa.array([None for _ in rows], pa.date32()),
        "provincie_code": [r["provincie_code"] for r in rows],
        "gemeente_code": [r["gemeente_code"] for r in rows],
        "in_steekproef": pa.array([r["in_steekproef"] == "1" for r in rows], pa.bool_()),
    }), path)


def test_csv_and_parquet_give_the_same_tables(tmp_path):
    tables = netting_tables()
    tables["personen"].append(person("p3", in_steekproef="1", geboortemaand="2003-11"))
    csv = build_extract(tmp_path / "c", tables, fmt="csv")
    par = build_extract(tmp_path / "p", tables, fmt="parquet")
    _typed_personen_parquet(par / "personen.parquet", tables["personen"])
    refresh_manifest(par, ["personen"])
    a = _table_contents(ingest(csv, warehouse=tmp_path / "c.duckdb", progress=False, max_bad_share=1).warehouse)
    b = _table_contents(ingest(par, warehouse=tmp_path / "p.duckdb", progress=False, max_bad_share=1).warehouse)
    layers = [n for n in a if n.startswith(("core_", "stg_"))]
    assert len(layers) == 20
    for name in layers:
        assert a[name] == b[name], name
    assert a["core_personen"][2][1:3] == (dt.date(2003, 11, 1), "V") and a["core_personen"][2][-1] is True
    strip = lambda rows: [(f.rsplit(".", 1)[0], *rest) for f, *rest in rows]  # noqa: E731
    assert strip(a["quarantine"]) == strip(b["quarantine"])
    assert strip(a["dq_summary"]) == strip(b["dq_summary"])


def test_end_to_end_marts_see_net_care_only(tmp_path, monkeypatch):
    """With the real marts: p1's hospital cost is the replacement line a3 only (250), not the
    cancelled a1/a2/b1 or their credits."""
    monkeypatch.undo()  # the real kpz_analytics.warehouse.marts.build_marts
    ext = build_extract(tmp_path, netting_tables())
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    rows = con.execute(
        "select persoon_id, month, n_lines, cost from mart_person_month where domain = 'hospital'"
    ).fetchall()
    assert rows == [("p1", dt.date(2020, 2, 1), 1, 250.0)]
    assert con.execute("select count(*) from mart_person").fetchone()[0] == 2
