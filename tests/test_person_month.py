"""mart_person_month on a hand-built fixture with the exact expected panel.

Period 2020-01-01 .. 2021-12-31. Persons (see test_marts.PERSONS): P1 insured throughout,
P2 dies 2020-06-10, P3 uninsured in April-May 2020, P5 never insured within the period.
Every line below says which rule it exercises and what it must yield.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from test_marts import build

D = dt.date
Z9 = "1" * 9

DOT = [
    # declaratie_id, persoon_id, instelling_id, instelling_type, specialisme, diagnose_code,
    # icd10, zorgproduct_code, begindatum, einddatum, bedrag, icd10_norm
    # Across the year boundary, 22 days: Dec 12 days, Jan 10 days. 0316 not in ref -> paediatrics.
    ("D1", "P1", "I1", "umc", "0316", "x", "G71.0", Z9, D(2020, 12, 20), D(2021, 1, 10), 2200.0, "G710"),
    # Starts on a month's last day, 3 days: Mar 1, Apr 2. 0330 -> adult (ref).
    ("D2", "P1", "I2", "algemeen", "0330", "x", None, Z9, D(2020, 3, 31), D(2020, 4, 2), 300.0, None),
    # Partly before period start, 20 days of which 10 inside. Unknown 9999 -> adult.
    ("D3", "P1", "I1", "umc", "9999", "x", None, Z9, D(2019, 12, 22), D(2020, 1, 10), 400.0, None),
    # One day; 0303 is paediatrics in the (hypothetical) ref.
    ("D7", "P1", "I2", "algemeen", "0303", "x", None, Z9, D(2021, 5, 1), D(2021, 5, 1), 50.0, None),
    # P2 dies 2020-06-10 mid-line, 61 days: May 17, Jun 30, Jul 14 (July absent).
    ("D4", "P2", "I1", "umc", "0316", "x", None, Z9, D(2020, 5, 15), D(2020, 7, 14), 610.0, None),
    # P3's insurance gap, 122 days: Mar 31, Apr 30, May 31, Jun 30 (Apr, May absent).
    ("D5", "P3", "I3", "categoraal", "0316", "x", None, Z9, D(2020, 3, 1), D(2020, 6, 30), 1220.0, None),
    # P5 is not insured within the period: nothing.
    ("D6", "P5", "I1", "umc", "0316", "x", None, Z9, D(2020, 2, 1), D(2020, 2, 10), 100.0, None),
]
ACTIVITIES = [
    # declaratie_id, zorgactiviteit_code, datum, aantal, persoon_id
    ("D1", "190150", D(2020, 12, 25), 3, "P1"),  # IC day (paediatric) in December
    ("D1", "190150", D(2021, 1, 2), 2, "P1"),  # and in January
    ("D1", "999999", D(2020, 12, 21), 1, "P1"),  # unknown code -> other
    ("D3", "190150", D(2019, 12, 25), 4, "P1"),  # before the period: nothing
    ("D4", "190151", D(2020, 7, 1), 1, "P2"),  # after death: nothing
]
ZVW = [
    # declaratie_id, persoon_id, zorgsoort, prestatie_code, begindatum, einddatum, aantal,
    # eenheid, bedrag, leveringsvorm
    ("Z1", "P1", "intensieve_kindzorg", "p", D(2020, 2, 1), D(2020, 2, 29), 29.0, "uur", 2900.0, "pgb"),
    ("Z3", "P1", "intensieve_kindzorg", "p", D(2020, 2, 10), D(2020, 2, 10), 1.0, "uur", 100.0, "pgb"),
    # 30 days: Feb 15, Mar 15.
    ("Z2", "P1", "intensieve_kindzorg", "p", D(2020, 2, 15), D(2020, 3, 15), 60.0, "uur", 3000.0, "zin"),
    # Across period end, 30 days: Dec 16 inside, Jan 14 outside.
    ("Z4", "P1", "wijkverpleging", "p", D(2021, 12, 16), D(2022, 1, 14), 30.0, "uur", 300.0, "zin"),
]
WLZ = [
    # declaratie_id, persoon_id, leveringsvorm, prestatie_code, meerzorg, begindatum, einddatum,
    # aantal, eenheid, bedrag
    ("W1", "P1", "verblijf", "p", False, D(2021, 1, 1), D(2021, 1, 31), 31.0, "etmaal", 3100.0),
    # Meerzorg, 59 days: Jan 31, Feb 28.
    ("W2", "P1", "verblijf", "p", True, D(2021, 1, 1), D(2021, 2, 28), 59.0, "uur", 5900.0),
    ("W3", "P1", "pgb", "p", False, D(2021, 1, 1), D(2021, 1, 31), 10.0, "euro", 500.0),
    ("W4", "P1", "pgb", "p", True, D(2021, 3, 1), D(2021, 3, 31), 31.0, "uur", 620.0),
]
JEUGDWET = [
    # declaratie_id, persoon_id, gemeente_code, productcategorie, product_code, begindatum,
    # einddatum, volume, eenheid, bedrag, leveringsvorm
    ("J1", "P3", "GM0599", "45", "45A01", D(2020, 1, 1), D(2020, 1, 31), 10.0, "uur", 1000.0, "zin"),
    ("J2", "P3", "GM0599", "99", "99X", D(2020, 6, 10), D(2020, 6, 19), 5.0, "dagdeel", 500.0, "pgb"),
    ("J3", "P3", "GM0599", "45", "45A01", D(2020, 4, 1), D(2020, 4, 30), 9.0, "uur", 900.0, "zin"),  # gap
]
WMO = [
    # Category 45 is dagbesteding under the Wmo but jeugdhulp_ambulant under the Jeugdwet.
    ("M1", "P3", "GM0599", "45", "45B", D(2021, 7, 1), D(2021, 7, 31), 4.0, "dagdeel", 400.0, "zin"),
    # Category 10 exists only for the Jeugdwet: overig under the Wmo.
    ("M2", "P3", "GM0599", "10", "10C", D(2021, 8, 1), D(2021, 8, 31), 2.0, "stuk", 200.0, "zin"),
]

N = None
EXPECTED = [
    # persoon_id, month, domain, subdomain, financing, institution_type, n_lines, volume, cost
    ("P1", D(2020, 1, 1), "hospital", "adult", N, "umc", 1, 10, 200),
    ("P1", D(2020, 2, 1), "zvw", "intensieve_kindzorg", "pgb", N, 2, 30, 3000),
    ("P1", D(2020, 2, 1), "zvw", "intensieve_kindzorg", "zin", N, 1, 30, 1500),
    ("P1", D(2020, 3, 1), "hospital", "adult", N, "algemeen", 1, 1, 100),
    ("P1", D(2020, 3, 1), "zvw", "intensieve_kindzorg", "zin", N, 1, 30, 1500),
    ("P1", D(2020, 4, 1), "hospital", "adult", N, "algemeen", 1, 2, 200),
    ("P1", D(2020, 12, 1), "hospital", "paediatrics", N, "umc", 1, 12, 1200),
    ("P1", D(2020, 12, 1), "hospital_activity", "ic_day_paediatric", N, "umc", 1, 3, N),
    ("P1", D(2020, 12, 1), "hospital_activity", "other", N, "umc", 1, 1, N),
    ("P1", D(2021, 1, 1), "hospital", "paediatrics", N, "umc", 1, 10, 1000),
    ("P1", D(2021, 1, 1), "hospital_activity", "ic_day_paediatric", N, "umc", 1, 2, N),
    ("P1", D(2021, 1, 1), "wlz", "meerzorg", "zin", N, 1, 31, 3100),
    ("P1", D(2021, 1, 1), "wlz", "pgb", "pgb", N, 1, 10, 500),
    ("P1", D(2021, 1, 1), "wlz", "verblijf", "zin", N, 1, 31, 3100),
    ("P1", D(2021, 2, 1), "wlz", "meerzorg", "zin", N, 1, 28, 2800),
    ("P1", D(2021, 3, 1), "wlz", "meerzorg", "pgb", N, 1, 31, 620),
    ("P1", D(2021, 5, 1), "hospital", "paediatrics", N, "algemeen", 1, 1, 50),
    ("P1", D(2021, 12, 1), "zvw", "wijkverpleging", "zin", N, 1, 16, 160),
    ("P2", D(2020, 5, 1), "hospital", "paediatrics", N, "umc", 1, 17, 170),
    ("P2", D(2020, 6, 1), "hospital", "paediatrics", N, "umc", 1, 30, 300),
    ("P3", D(2020, 1, 1), "jeugdwet", "jeugdhulp_ambulant", "zin", N, 1, 10, 1000),
    ("P3", D(2020, 3, 1), "hospital", "paediatrics", N, "categoraal", 1, 31, 310),
    ("P3", D(2020, 6, 1), "hospital", "paediatrics", N, "categoraal", 1, 30, 300),
    ("P3", D(2020, 6, 1), "jeugdwet", "overig", "pgb", N, 1, 5, 500),
    ("P3", D(2021, 7, 1), "wmo", "dagbesteding", "zin", N, 1, 4, 400),
    ("P3", D(2021, 8, 1), "wmo", "overig", "zin", N, 1, 2, 200),
]


@pytest.fixture
def panel(monkeypatch):
    con = duckdb.connect()
    build(con, monkeypatch, dot=DOT, dot_zorgactiviteiten=ACTIVITIES, zvw_overig=ZVW,
          wlz_declaraties=WLZ, jeugdwet=JEUGDWET, wmo=WMO)
    yield con
    con.close()


def test_person_month_exact_panel(panel):
    got = panel.execute(
        "select * from mart_person_month "
        "order by persoon_id, month, domain, subdomain, financing, institution_type"
    ).fetchall()
    assert [r[:7] for r in got] == [r[:7] for r in EXPECTED]
    for row, exp in zip(got, EXPECTED):
        for value, expected in zip(row[7:], exp[7:]):
            if expected is None:
                assert value is None, row
            else:
                assert value == pytest.approx(expected, rel=1e-12), row


def test_person_month_columns_and_types(panel):
    described = panel.execute("describe mart_person_month").fetchall()
    assert [(r[0], r[1]) for r in described] == [
        ("persoon_id", "VARCHAR"), ("month", "DATE"), ("domain", "VARCHAR"),
        ("subdomain", "VARCHAR"), ("financing", "VARCHAR"), ("institution_type", "VARCHAR"),
        ("n_lines", "BIGINT"), ("volume", "DOUBLE"), ("cost", "DOUBLE"),
    ]


def test_shares_add_up_to_line_totals_within_insured_period(panel):
    """A fully insured line's monthly costs add up to its cost within the period."""
    (d1,) = panel.execute(
        "select sum(cost) from mart_person_month where persoon_id = 'P1' and domain = 'hospital' "
        "and subdomain = 'paediatrics' and institution_type = 'umc'"
    ).fetchone()
    assert d1 == pytest.approx(2200.0)


def test_grain_is_unique(panel):
    (dups,) = panel.execute(
        "select count(*) from (select persoon_id, month, domain, subdomain, financing, "
        "institution_type from mart_person_month group by all having count(*) > 1)"
    ).fetchone()
    assert dups == 0


def test_end_to_end_through_ingest_nets_credits(tmp_path, monkeypatch):
    """Through ingest: a credited line is no care, its replacement is, a re-delivered line counts once."""
    from extract_builder import build_extract, dot_line, insured, person, zvw_line

    from kpz_analytics.warehouse.ingest import ingest
    from test_marts import fake_reference

    tables = {
        "personen": [person("p1", provincie_code="PV28", gemeente_code="GM0546")],
        "verzekeringsperioden": [insured("p1", begindatum="2015-01-01")],
        "dot": [
            dot_line("d1", "p1", begindatum="2020-02-01", einddatum="2020-02-10", bedrag="1000.00"),
            dot_line("d1c", "p1", begindatum="2020-02-01", einddatum="2020-02-10", bedrag="-1000.00",
                     credit_voor_id="d1"),
            # The replacement: same period, corrected amount, spans into March.
            dot_line("d2", "p1", begindatum="2020-02-01", einddatum="2020-03-11", bedrag="800.00"),
        ],
        "zvw_overig": [
            zvw_line("z1", "p1", begindatum="2020-05-01", einddatum="2020-05-31", aantal="10",
                     bedrag="500"),
            zvw_line("z1", "p1", begindatum="2020-05-01", einddatum="2020-05-31", aantal="10",
                     bedrag="500"),  # exact duplicate: one copy counts
            zvw_line("z2", "p1", begindatum="2020-06-01", einddatum="2020-06-30", aantal="4",
                     bedrag="200"),
            zvw_line("z2c", "p1", begindatum="2020-06-01", einddatum="2020-06-30", aantal="-4",
                     bedrag="-200", credit_voor_id="z2"),  # credited, no replacement
        ],
    }
    extract = build_extract(tmp_path, tables)
    fake_reference(monkeypatch)
    result = ingest(extract, warehouse=tmp_path / "w.duckdb", progress=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        got = con.execute(
            "select month, domain, subdomain, financing, institution_type, n_lines, volume, cost "
            "from mart_person_month order by month, domain"
        ).fetchall()
        (nik,) = con.execute("select nik_region_gemeente from mart_person").fetchone()
    finally:
        con.close()
    # d2: 40 days, Feb 29 (2020 is a leap year) and Mar 11; cost 800 split 580 / 220.
    expected = [
        (D(2020, 2, 1), "hospital", "paediatrics", None, "umc", 1, 29.0, 580.0),
        (D(2020, 3, 1), "hospital", "paediatrics", None, "umc", 1, 11.0, 220.0),
        (D(2020, 5, 1), "zvw", "wijkverpleging", "zin", None, 1, 10.0, 500.0),
    ]
    assert [r[:6] for r in got] == [r[:6] for r in expected]
    for row, exp in zip(got, expected):
        assert row[6:] == pytest.approx(exp[6:], rel=1e-12)
    assert nik == "Holland Rijnland"


def test_real_reference_changes_labels_not_amounts(panel, monkeypatch):
    """With the package's reference CSVs the same lines give the same months and totals."""
    from kpz_analytics.warehouse import marts

    totals = (
        "select persoon_id, month, domain, sum(n_lines), round(sum(volume), 9), "
        "round(sum(cost), 9) from mart_person_month group by all order by all"
    )
    with_fake = panel.execute(totals).fetchall()
    monkeypatch.undo()  # the panel was built with the hand-written reference stand-in
    marts.build_marts(panel)
    assert panel.execute(totals).fetchall() == with_fake
    # 0316 is kindergeneeskunde in the real table too.
    assert panel.execute(
        "select distinct subdomain from mart_person_month where domain = 'hospital' "
        "and persoon_id = 'P2'"
    ).fetchall() == [("paediatrics",)]


PERSONS_PER_MONTH = (
    "select month, domain, count(distinct persoon_id), sum(n_lines), sum(cost) "
    "from mart_person_month group by all order by all"
)


def assert_same_counts(rollup: list[tuple], direct: list[tuple]) -> None:
    assert [r[:4] for r in rollup] == [r[:4] for r in direct]
    for got, expected in zip(rollup, direct):  # cost: NULL for hospital activities
        assert (got[4] is None) if expected[4] is None else got[4] == pytest.approx(expected[4], rel=1e-12)


def test_persons_per_month_counts_each_person_once(panel):
    """Built in one part, the rollup is the count over the whole table: a person with care in
    two subdomains of a domain in a month is one person."""
    rollup = panel.execute("select * from mart_persons_per_month order by month, domain").fetchall()
    direct = panel.execute(PERSONS_PER_MONTH).fetchall()
    assert rollup
    assert_same_counts(rollup, direct)
    rows = panel.execute(
        "select count(*) from mart_person_month group by month, domain, persoon_id having count(*) > 1"
    ).fetchall()
    assert rows, "the fixture should have a person with two rows in one month and domain"


def test_built_in_parts_by_person_gives_the_same_panel(monkeypatch):
    """At national scale the mart is built in parts by person; the parts add up to the same table."""
    from kpz_analytics import config
    from kpz_analytics.warehouse import marts

    monkeypatch.setattr(config, "LINES_PER_PART", 2)  # 20 claim lines -> 10 parts
    con = duckdb.connect()
    build(con, monkeypatch, dot=DOT, dot_zorgactiviteiten=ACTIVITIES, zvw_overig=ZVW,
          wlz_declaraties=WLZ, jeugdwet=JEUGDWET, wmo=WMO)
    assert marts.model_parts(con) == 10
    assert len(marts.part_bounds(con, 10)) > 1  # the fixture's persons do fall into several parts
    got = con.execute(
        "select * from mart_person_month order by persoon_id, month, domain, subdomain, financing, institution_type"
    ).fetchall()
    # The rollup was summed from the parts; it equals the count over the whole table.
    rollup = con.execute("select * from mart_persons_per_month order by month, domain").fetchall()
    direct = con.execute(PERSONS_PER_MONTH).fetchall()
    assert {t for (t,) in con.execute("select table_name from duckdb_tables() where temporary").fetchall()} == set()
    con.close()
    assert_same_counts(rollup, direct)
    assert max(r[2] for r in rollup) > 1  # some month and domain has several persons
    assert [r[:7] for r in got] == [r[:7] for r in EXPECTED]
    for row, exp in zip(got, EXPECTED):
        for value, expected in zip(row[7:], exp[7:]):
            assert (value is None) if expected is None else value == pytest.approx(expected, rel=1e-12)


def test_part_bounds_cover_every_id_once():
    """The person ranges of the parts cover every string exactly once, quotes included."""
    from kpz_analytics.warehouse import marts

    con = duckdb.connect()
    ids = ["P1", "P2", "O'Brien", "P3", "P4", "Z9", "P5", "A0"]
    con.execute("create table mart_person as select unnest(?) as persoon_id", [ids])
    bounds = marts.part_bounds(con, 4)
    assert len(bounds) == 4 and bounds[0][0] is None and bounds[-1][1] is None
    probes = [*ids, "", "0", "P10", "zzz", "\uffff"]  # also ids of no person in mart_person
    for probe in probes:
        hits = [
            (low, high) for low, high in bounds
            if con.execute(
                f"select ({marts._sql_literal(low)} is null or ? >= {marts._sql_literal(low)}) "
                f"and ({marts._sql_literal(high)} is null or ? < {marts._sql_literal(high)})",
                [probe, probe],
            ).fetchone()[0]
        ]
        assert len(hits) == 1, (probe, hits)
    assert marts.part_bounds(con, 1) == [(None, None)]
