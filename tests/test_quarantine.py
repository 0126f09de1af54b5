"""Row validation: every quarantine reason, one reason per row by priority, exact row numbers.

One hand-built extract plants every reason of the spec plus the pipeline's own (``fields``,
``unknown_line``) in known rows; the test compares the whole ``quarantine`` table and the
``dq_summary`` counts with what the spec's "Row validity" section says they must be.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from extract_builder import (
    activity, build_extract, dot_line, insured, minimal_tables, municipal_line, person, population,
    refresh_manifest, wlz_indication, wlz_line, zvw_line,
)
from kpz_analytics.extract import spec
from kpz_analytics.errors import TooManyBadRows
from kpz_analytics.warehouse.ingest import ingest


@pytest.fixture(autouse=True)
def _no_marts(monkeypatch):
    """Marts are tested in tests/test_marts.py; these tests are about validation only."""
    monkeypatch.setattr("kpz_analytics.warehouse.marts.build_marts", lambda con, **_: None)


def _append_lines(path, lines):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))


def _planted_tables():
    p = person
    personen = [
        p("p1"),                                     # 1 ok
        p("p2"),                                     # 2 ok
        p("p3", geslacht="X"),                       # 3 enum geslacht
        p("p4", geboortemaand="2010-13"),            # 4 date geboortemaand
        p("p5", provincie_code=None),                # 5 missing provincie_code
        p("p6", gemeente_code="GM12"),               # 6 enum gemeente_code (pattern)
        p("p7", in_steekproef="2"),                  # 7 enum in_steekproef
        p("p8", geslacht="M"),                       # 8 conflict
        p("p8", geslacht="V"),                       # 9 conflict
        p("p1"),                                     # 10 exact duplicate of row 1: kept, counted
    ]
    verzekering = [
        insured("p1"),                                                  # 1 ok
        insured("p3"),                                                  # 2 unknown_person (p3 quarantined)
        insured("p99"),                                                 # 3 unknown_person
        insured("p1", begindatum="2020/01/01"),                         # 4 date
        insured("p2", begindatum="2021-01-01", einddatum="2020-01-01"),  # 5 period_order
        insured("p2", begindatum="2015-01-01", einddatum="2016-01-01"),  # 6 ok: not a claims line
    ]
    populatie = [
        population(),                               # 1 ok
        population(leeftijd="100"),                 # 2 enum (0-99)
        population(leeftijd="11", aantal="-5"),     # 3 negative
        population(jaar="2020.5"),                  # 4 number
        population(),                               # 5 exact duplicate
        population(jaar="2021"),                    # 6 ok (every period year needs a cell)
        population(jaar="2021", leeftijd="12", aantal="36"),    # 7 conflict: one cell, two counts
        population(jaar="2021", leeftijd="12", aantal="1036"),  # 8 conflict
    ]
    d = dot_line
    dot = [
        d("d1", "p1"),                                                            # 1 ok, cancelled by d2
        d("d2", "p1", bedrag="-1500.00", credit_voor_id="d1"),                    # 2 ok credit
        d("d3", "p1", bedrag="-10"),                                              # 3 negative
        d("d4", "p1", begindatum="2019-12-01", einddatum="2019-12-31"),           # 4 out_of_period
        d("d5", "p1", begindatum="2021-12-20", einddatum="2022-01-10"),           # 5 ok, partial overlap
        d("d6", "p1", begindatum="2022-01-01", einddatum="2022-01-02"),           # 6 out_of_period
        d("d7", "p1", bedrag="-5", credit_voor_id="d404"),                        # 7 orphan_credit
        d("d8", "p2", bedrag="-5", credit_voor_id="d5"),                          # 8 orphan: d5 is p1's
        d("d9", "p1", instelling_type="kliniek"),                                 # 9 enum
        d("d10", "p1", specialisme="316"),                                        # 10 enum (pattern)
        d("d11", "p99"),                                                          # 11 unknown_person
        d("d12", "p1"),                                                           # 12 conflict
        d("d12", "p1", bedrag="1600.00"),                                         # 13 conflict
        d("d13", "p1", einddatum=None),                                           # 14 missing
        d("d14", "p1", bedrag="12,50"),                                           # 15 number
        d("d15", "p1", begindatum="2020-03-01", einddatum="2020-02-01"),          # 16 period_order
        d("d16", "p1", bedrag="-5", credit_voor_id="d16"),                        # 17 orphan: names itself
        d("d17", "p8"),                                                           # 18 unknown_person (conflict)
        d("d18", "p1", begindatum="2020-13-01", bedrag="-3"),                     # 19 date before negative
    ]
    activities = [
        activity("d1"),                               # 1 ok, leaves with cancelled d1
        activity("d404"),                             # 2 unknown_line
        activity("d5", aantal="-1"),                  # 3 negative
        activity("d5", datum="2020-02-31"),           # 4 date
        activity("d4"),                               # 5 unknown_line (d4 quarantined)
        activity("d5", zorgactiviteit_code="12345"),  # 6 enum
        activity("d2", aantal="-1"),                  # 7 ok: negative on a credit line's activity
        activity("d5"),                               # 8 ok
        activity("d5"),                               # 9 exact duplicate
    ]
    zvw = [
        zvw_line("z1", "p1"),                          # 1 ok
        zvw_line("z2", "p1", zorgsoort="tandarts"),    # 2 enum
        zvw_line("z3", "p1", aantal="-3"),             # 3 negative aantal
        zvw_line("z4", "p1", eenheid="week"),          # 4 enum
        zvw_line("z5", "p1", leveringsvorm="cash"),    # 5 enum
    ]
    indicaties = [
        wlz_indication("i1", "p1"),                     # 1 conflict
        wlz_indication("i2", "p1", grondslag="XX"),     # 2 enum
        wlz_indication("i1", "p1", zorgprofiel="VG6"),  # 3 conflict
        wlz_indication("i4", "p2"),                     # 4 ok, open
    ]
    wlz = [
        wlz_line("w1", "p1"),                   # 1 ok
        wlz_line("w2", "p1", meerzorg="ja"),    # 2 enum
        wlz_line("w3", "p1", aantal="abc"),     # 3 number
    ]
    wmo = [
        municipal_line("m1", "p1"),                           # 1 ok
        municipal_line("m2", "p1", productcategorie="2"),     # 2 enum
        municipal_line("m3", "p1", gemeente_code=None),       # 3 missing
    ]
    jeugdwet = [
        municipal_line("j1", "p2"),                                                     # 1 ok, cancelled
        municipal_line("j2", "p2", volume="-10", bedrag="-650.00", credit_voor_id="j1"),  # 2 ok credit
        municipal_line("j3", "p2", begindatum="2020-1-5"),                              # 3 date
    ]
    return {
        "personen": personen, "verzekeringsperioden": verzekering, "populatie": populatie, "dot": dot,
        "dot_zorgactiviteiten": activities, "zvw_overig": zvw, "wlz_indicaties": indicaties,
        "wlz_declaraties": wlz, "wmo": wmo, "jeugdwet": jeugdwet,
    }


EXPECTED_QUARANTINE = [
    ("personen.csv", 3, "geslacht", "enum"),
    ("personen.csv", 4, "geboortemaand", "date"),
    ("personen.csv", 5, "provincie_code", "missing"),
    ("personen.csv", 6, "gemeente_code", "enum"),
    ("personen.csv", 7, "in_steekproef", "enum"),
    ("personen.csv", 8, "persoon_id", "conflict"),
    ("personen.csv", 9, "persoon_id", "conflict"),
    ("personen.csv", 11, None, "fields"),                 # too many fields (raw line)
    ("personen.csv", 12, "overlijdensdatum", "date"),
    ("personen.csv", 13, "geboortemaand", "missing"),     # missing beats enum (geslacht Q)
    ("verzekeringsperioden.csv", 2, "persoon_id", "unknown_person"),
    ("verzekeringsperioden.csv", 3, "persoon_id", "unknown_person"),
    ("verzekeringsperioden.csv", 4, "begindatum", "date"),
    ("verzekeringsperioden.csv", 5, "einddatum", "period_order"),
    ("verzekeringsperioden.csv", 7, None, "fields"),     # too few fields (raw line)
    ("populatie.csv", 2, "leeftijd", "enum"),
    ("populatie.csv", 3, "aantal", "negative"),
    ("populatie.csv", 4, "jaar", "number"),
    ("populatie.csv", 7, "jaar", "conflict"),
    ("populatie.csv", 8, "jaar", "conflict"),
    ("dot.csv", 3, "bedrag", "negative"),
    ("dot.csv", 4, "begindatum", "out_of_period"),
    ("dot.csv", 6, "begindatum", "out_of_period"),
    ("dot.csv", 7, "credit_voor_id", "orphan_credit"),
    ("dot.csv", 8, "credit_voor_id", "orphan_credit"),
    ("dot.csv", 9, "instelling_type", "enum"),
    ("dot.csv", 10, "specialisme", "enum"),
    ("dot.csv", 11, "persoon_id", "unknown_person"),
    ("dot.csv", 12, "declaratie_id", "conflict"),
    ("dot.csv", 13, "declaratie_id", "conflict"),
    ("dot.csv", 14, "einddatum", "missing"),
    ("dot.csv", 15, "bedrag", "number"),
    ("dot.csv", 16, "einddatum", "period_order"),
    ("dot.csv", 17, "credit_voor_id", "orphan_credit"),
    ("dot.csv", 18, "persoon_id", "unknown_person"),
    ("dot.csv", 19, "begindatum", "date"),
    ("dot_zorgactiviteiten.csv", 2, "declaratie_id", "unknown_line"),
    ("dot_zorgactiviteiten.csv", 3, "aantal", "negative"),
    ("dot_zorgactiviteiten.csv", 4, "datum", "date"),
    ("dot_zorgactiviteiten.csv", 5, "declaratie_id", "unknown_line"),
    ("dot_zorgactiviteiten.csv", 6, "zorgactiviteit_code", "enum"),
    ("jeugdwet.csv", 3, "begindatum", "date"),
    ("wlz_declaraties.csv", 2, "meerzorg", "enum"),
    ("wlz_declaraties.csv", 3, "aantal", "number"),
    ("wlz_indicaties.csv", 1, "indicatie_id", "conflict"),
    ("wlz_indicaties.csv", 2, "grondslag", "enum"),
    ("wlz_indicaties.csv", 3, "indicatie_id", "conflict"),
    ("wmo.csv", 2, "productcategorie", "enum"),
    ("wmo.csv", 3, "gemeente_code", "missing"),
    ("zvw_overig.csv", 2, "zorgsoort", "enum"),
    ("zvw_overig.csv", 3, "aantal", "negative"),
    ("zvw_overig.csv", 4, "eenheid", "enum"),
    ("zvw_overig.csv", 5, "leveringsvorm", "enum"),
]

# file: rows_in, rows_kept, rows_quarantined, duplicates_removed, credits_netted, lines_cancelled
EXPECTED_SUMMARY = {
    "personen.csv": (13, 3, 10, 1, 0, 0),
    "verzekeringsperioden.csv": (7, 2, 5, 0, 0, 0),
    "populatie.csv": (8, 3, 5, 1, 0, 0),
    "dot.csv": (19, 3, 16, 0, 1, 1),
    "dot_zorgactiviteiten.csv": (9, 4, 5, 1, 1, 1),
    "zvw_overig.csv": (5, 1, 4, 0, 0, 0),
    "wlz_indicaties.csv": (4, 1, 3, 0, 0, 0),
    "wlz_declaraties.csv": (3, 1, 2, 0, 0, 0),
    "wmo.csv": (3, 1, 2, 0, 0, 0),
    "jeugdwet.csv": (3, 2, 1, 0, 1, 1),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    ext = build_extract(tmp, _planted_tables())
    n_cols = len(spec.TABLES["personen"].columns)
    _append_lines(ext / "personen.csv", [
        "p9;2010-03;V;;PV26;GM0344;0;extra",               # 11: one field too many
        "p10;2010-03;V;2021-02-30;PV26;GM0344;0",          # 12: date overlijdensdatum
        "p11;;Q;;PV26;GM0344;0",                           # 13: missing geboortemaand (and enum)
    ])
    assert len("p9;2010-03;V;;PV26;GM0344;0;extra".split(";")) == n_cols + 1
    _append_lines(ext / "verzekeringsperioden.csv", ["p2;2020-01-01"])  # 7: one field short
    refresh_manifest(ext, ["personen", "verzekeringsperioden"])
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse fixture does not reach here
        mp.setattr("kpz_analytics.warehouse.marts.build_marts", lambda con, **_: None)
        result = ingest(ext, warehouse=tmp / "w.duckdb", max_bad_share=1.0, progress=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    yield result, con
    con.close()


def test_every_reason_lands_on_the_intended_row(planted):
    _, con = planted
    got = con.execute(
        "select file, row_number, column_name, reason from quarantine order by file, row_number"
    ).fetchall()
    assert got == sorted(EXPECTED_QUARANTINE, key=lambda r: (r[0], r[1]))


def test_all_spec_reasons_are_covered(planted):
    _, con = planted
    reasons = {r[0] for r in con.execute("select distinct reason from quarantine").fetchall()}
    assert set(spec.QUARANTINE_REASONS) <= reasons
    assert reasons - set(spec.QUARANTINE_REASONS) == {"fields", "unknown_line"}


def test_dq_summary_counts_and_reconciliation(planted):
    result, con = planted
    summary = con.execute("select * from dq_summary").df().set_index("file")
    got = {f: tuple(int(v) for v in row) for f, row in summary.iterrows()}
    assert got == EXPECTED_SUMMARY
    assert (summary.rows_in == summary.rows_kept + summary.rows_quarantined).all()
    pd.testing.assert_frame_equal(result.dq_summary.set_index("file"), summary, check_dtype=False)
    for file, (_, kept, _, dup, cred, canc) in EXPECTED_SUMMARY.items():
        table = file.removesuffix(".csv")
        n_core = con.execute(f"select count(*) from core_{table}").fetchone()[0]
        assert n_core == kept - dup - cred - canc, file


def test_quarantine_by_reason_table(planted):
    result, con = planted
    by_reason = con.execute("select file, reason, n_rows from dq_quarantine_by_reason").fetchall()
    expected = pd.DataFrame(EXPECTED_QUARANTINE, columns=["file", "row", "col", "reason"])
    expected = expected.groupby(["file", "reason"]).size()
    assert {(f, r): n for f, r, n in by_reason} == expected.to_dict()
    assert int(result.quarantine_by_reason.n_rows.sum()) == len(EXPECTED_QUARANTINE)


def test_details_name_the_value(planted):
    _, con = planted
    detail = dict(
        ((f, r), d) for f, r, d in con.execute("select file, row_number, detail from quarantine").fetchall()
    )
    assert detail[("dot.csv", 15)] == "'12,50' is not a number with a decimal point"
    assert detail[("personen.csv", 3)] == "'X' is not one of M/V/O"
    assert detail[("personen.csv", 11)] == "8 fields, header has 7"
    assert detail[("dot.csv", 7)] == "credit names 'd404', no line of the same file and person"
    assert detail[("populatie.csv", 2)] == "'100' is outside 0-99"


def test_accepted_rows_reach_staging_typed(planted):
    _, con = planted
    assert con.execute("select row_number, persoon_id from stg_personen order by row_number").fetchall() == [
        (1, "p1"), (2, "p2"), (10, "p1"),
    ]
    # partial overlap with the period is kept; the credit and its line are in staging
    assert con.execute("select row_number, declaratie_id, bedrag from stg_dot order by 1").fetchall() == [
        (1, "d1", 1500.0), (2, "d2", -1500.0), (5, "d5", 1500.0),
    ]
    # an insured period entirely before the extract period is not a claims line: kept
    assert con.execute("select count(*) from stg_verzekeringsperioden where einddatum < date '2020-01-01'").fetchone()[0] == 1
    types = dict(con.execute("select column_name, column_type from (describe stg_personen)").fetchall())
    assert types["geboortemaand"] == "DATE" and types["in_steekproef"] == "BOOLEAN"


def test_too_many_bad_rows_stops_the_run(tmp_path):
    tables = minimal_tables()
    tables["personen"] = [person(f"p{i}") for i in range(1, 10)] + [person("p10", geslacht="X")]
    ext = build_extract(tmp_path, tables)
    target = tmp_path / "w.duckdb"
    with pytest.raises(TooManyBadRows, match=r"^personen\.csv: 1 of 10 rows \(10\.0%\) are bad, more than the allowed 5\.0% \(main reasons: enum 1\)"):
        ingest(ext, warehouse=target, max_bad_share=0.05, progress=False)
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["extract"]
    # exactly at the threshold is allowed
    result = ingest(ext, warehouse=target, max_bad_share=0.10, progress=False)
    assert result.dq_summary.set_index("file").loc["personen.csv", "rows_quarantined"] == 1


def test_default_threshold_comes_from_config(tmp_path, monkeypatch):
    tables = minimal_tables()
    tables["personen"] = [person(f"p{i}") for i in range(1, 10)] + [person("p10", geslacht="X")]
    ext = build_extract(tmp_path, tables)
    monkeypatch.setattr("kpz_analytics.config.MAX_BAD_SHARE", 0.2)
    ingest(ext, warehouse=tmp_path / "a.duckdb", progress=False)
    monkeypatch.setattr("kpz_analytics.config.MAX_BAD_SHARE", 0.05)
    with pytest.raises(TooManyBadRows):
        ingest(ext, warehouse=tmp_path / "b.duckdb", progress=False)


def test_quoted_csv_fields_are_parsed(tmp_path):
    tables = minimal_tables()
    tables["dot"] = [dot_line("d1", "p1", diagnose_code='14;01 "x"')]
    ext = build_extract(tmp_path, tables)
    path = ext / "dot.csv"
    path.write_text(path.read_text().replace('14;01 "x"', '"14;01 ""x"""'), encoding="utf-8")
    refresh_manifest(ext, ["dot"])
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    assert con.execute("select diagnose_code from core_dot").fetchall() == [('14;01 "x"',)]


def test_row_numbers_count_data_lines_with_crlf_and_blank_lines(tmp_path):
    tables = minimal_tables()
    tables["personen"] = [person("p1"), person("p2"), person("p3", geslacht="X")]
    ext = build_extract(tmp_path, tables)
    path = ext / "personen.csv"
    header, r1, r2, r3 = path.read_text().splitlines()
    # CRLF line ends and a blank line between rows 1 and 2: the blank line is no row, but the
    # line numbers after it shift (row_number is the physical data line).
    path.write_bytes("\r\n".join([header, r1, "", r2, r3]).encode() + b"\r\n")
    refresh_manifest(ext, ["personen"])
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False, max_bad_share=1.0)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    assert con.execute("select file, row_number, reason from quarantine").fetchall() == [("personen.csv", 4, "enum")]
    assert con.execute("select row_number, persoon_id from stg_personen order by 1").fetchall() == [(1, "p1"), (3, "p2")]
    assert result.dq_summary.set_index("file").loc["personen.csv", "rows_in"] == 3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_synthetic_faults_are_quarantined_exactly(tmp_path, fmt):
    """The generator's planted faults (``_truth/faults.csv``) are exactly the quarantine; without
    --faults nothing is quarantined."""
    from kpz_analytics.synthetic import write_extract

    for faults in (False, True):
        ext = tmp_path / f"x{faults}"
        write_extract(ext, seed=7, fmt=fmt, scale=0.002, years=(2019, 2021), faults=faults, progress=False)
        result = ingest(ext, warehouse=tmp_path / f"w{faults}.duckdb", progress=False)
        con = duckdb.connect(str(result.warehouse), read_only=True)
        got = con.execute("select file, row_number, coalesce(column_name, ''), reason from quarantine").fetchall()
        con.close()
        got = sorted((f.rsplit(".", 1)[0], int(r), c, reason) for f, r, c, reason in got)
        if not faults:
            assert got == []
            continue
        truth = pd.read_csv(ext / "_truth" / "faults.csv", dtype=str, keep_default_na=False)
        expected = sorted((t.file, int(t.row_number), t.column_name, t.reason) for t in truth.itertuples())
        assert len(expected) > 20 and got == expected
