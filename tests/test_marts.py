"""Marts on hand-built core tables: persons, insured periods, denominators, diagnoses, Wlz
indications, reference loading and the layer's file conventions.

The helpers here (``core_schema``, ``fake_reference``, ``build``) are also used by
``test_person_month.py``. Reference data is a tiny hand-written stand-in (patched into
``refdata``) so the expected numbers do not move when the package's CSVs are edited.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pandas as pd
import pytest

from kpz_analytics import config, refdata
from kpz_analytics.warehouse import marts
from kpz_analytics.errors import KpzError

D = dt.date

CORE_SCHEMA = """
create table meta_extract (extract_id varchar, spec_version varchar, period_start date,
    period_end date, design varchar, sample_fraction double, manifest_sha256 varchar,
    ingested_at timestamp, package_version varchar, git_commit varchar);
create table core_personen (persoon_id varchar, geboortemaand date, geslacht varchar,
    overlijdensdatum date, provincie_code varchar, gemeente_code varchar, in_steekproef boolean);
create table core_verzekeringsperioden (persoon_id varchar, begindatum date, einddatum date);
create table core_populatie (jaar integer, leeftijd integer, geslacht varchar,
    provincie_code varchar, aantal integer);
create table core_dot (declaratie_id varchar, persoon_id varchar, instelling_id varchar,
    instelling_type varchar, specialisme varchar, diagnose_code varchar, icd10 varchar,
    zorgproduct_code varchar, begindatum date, einddatum date, bedrag double, icd10_norm varchar);
create table core_dot_zorgactiviteiten (declaratie_id varchar, zorgactiviteit_code varchar,
    datum date, aantal integer, persoon_id varchar);
create table core_zvw_overig (declaratie_id varchar, persoon_id varchar, zorgsoort varchar,
    prestatie_code varchar, begindatum date, einddatum date, aantal double, eenheid varchar,
    bedrag double, leveringsvorm varchar);
create table core_wlz_indicaties (indicatie_id varchar, persoon_id varchar, zorgprofiel varchar,
    grondslag varchar, begindatum date, einddatum date);
create table core_wlz_declaraties (declaratie_id varchar, persoon_id varchar,
    leveringsvorm varchar, prestatie_code varchar, meerzorg boolean, begindatum date,
    einddatum date, aantal double, eenheid varchar, bedrag double);
create table core_wmo (declaratie_id varchar, persoon_id varchar, gemeente_code varchar,
    productcategorie varchar, product_code varchar, begindatum date, einddatum date,
    volume double, eenheid varchar, bedrag double, leveringsvorm varchar);
create table core_jeugdwet as select * from core_wmo;
"""

# Hypothetical reference rows, chosen to exercise every lookup rule (not the real codes).
FAKE_REFERENCE = {
    "zorgactiviteiten": pd.DataFrame({
        "zorgactiviteit_code": ["190150", "190151", "190016"],
        "category": ["ic_day_paediatric", "ic_day_adult", "emergency_visit"],
        "description": ["ic-dag kind", "ic-dag volwassene", "seh-bezoek"],
    }),
    "productcategorieen": pd.DataFrame({
        # The same category code means different things under the two laws.
        "law": ["jeugdwet", "wmo", "jeugdwet"],
        "productcategorie": ["45", "45", "10"],
        "product_group": ["jeugdhulp_ambulant", "dagbesteding", "jeugd_ggz"],
    }),
    "wlz_zorgprofielen": pd.DataFrame({
        "zorgprofiel": ["VG7", "LG5"],
        "grondslag": ["VG", "LG"],
        "sector": ["gehandicaptenzorg", "gehandicaptenzorg"],
        "severe_multiple_disability": ["true", "false"],
    }),
    # 0316 deliberately absent: the fallback rule must make it paediatrics.
    "specialismen": pd.DataFrame({
        "specialisme": ["0330", "0303"],
        "specialism_group": ["adult", "paediatrics"],
    }),
    "regions": pd.DataFrame({
        "provincie_code": ["PV20", "PV28", "PV28"],
        "gemeente_code": ["", "", "GM0546"],
        "nik_region": ["Noordoost", "Zuidwest", "Holland Rijnland"],
    }),
}
FAKE_CODELIST = pd.DataFrame({
    "code": ["G71.0", "C91"], "code_norm": ["G710", "C91"],
    "diagnostic_group": ["neurology", "oncology"], "description": ["", ""],
})


def fake_reference(monkeypatch, overrides: dict | None = None) -> None:
    """Patch refdata so build_marts loads FAKE_REFERENCE (text columns, like the CSVs)."""
    tables = {**FAKE_REFERENCE, **(overrides or {})}
    monkeypatch.setattr(refdata, "load_reference", lambda name: tables[name].astype(str).copy())
    monkeypatch.setattr(refdata, "load_codelist", lambda name: FAKE_CODELIST.copy())


def core_schema(con, period=(D(2020, 1, 1), D(2021, 12, 31))) -> None:
    """Empty core tables with the warehouse types, and meta_extract with the period."""
    for statement in CORE_SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)
    con.execute(
        "insert into meta_extract values ('t', '1', ?, ?, 'population', null, '', now(), '0', '')",
        list(period),
    )


def insert(con, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table} values ({marks})", [list(r) for r in rows])


# Persons of the shared fixture (period 2020-01-01 .. 2021-12-31).
PERSONS = [
    # P1: insured throughout, municipality override of the region.
    ("P1", D(2005, 3, 1), "M", None, "PV28", "GM0546", True),
    # P2: born December 2019, dies 10 June 2020.
    ("P2", D(2019, 12, 1), "V", D(2020, 6, 10), "PV20", None, False),
    # P3: insurance gap in April and May 2020; municipality not in ref_regions.
    ("P3", D(2003, 2, 1), "V", None, "PV28", "GM0599", False),
    # P4: adjacent and overlapping delivered periods; province not in ref_regions.
    ("P4", D(2010, 7, 1), "O", None, "PV31", None, True),
    # P5: insured only before the extract period.
    ("P5", D(2008, 1, 1), "M", None, "PV20", None, False),
]
INSURANCE = [
    ("P1", D(2019, 1, 1), None),
    ("P2", D(2019, 12, 1), None),
    ("P3", D(2020, 1, 1), D(2020, 3, 31)),
    ("P3", D(2020, 6, 1), None),
    ("P4", D(2020, 1, 1), D(2020, 5, 31)),
    ("P4", D(2020, 6, 1), D(2020, 12, 31)),  # adjacent: same insured stretch
    ("P4", D(2020, 10, 1), D(2020, 11, 30)),  # inside the previous one (breaks the promise)
    ("P4", D(2021, 3, 1), None),
    ("P5", D(2015, 1, 1), D(2019, 6, 30)),
]


def build(con, monkeypatch, *, persons=PERSONS, insurance=INSURANCE, **tables) -> None:
    """Create the core schema, insert the given rows (table name without core_) and build."""
    core_schema(con)
    insert(con, "core_personen", persons)
    insert(con, "core_verzekeringsperioden", insurance)
    for name, rows in tables.items():
        insert(con, f"core_{name}", rows)
    fake_reference(monkeypatch)
    marts.build_marts(con)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_insured_periods_clipped_to_period_and_death_and_merged(con, monkeypatch):
    build(con, monkeypatch)
    got = con.execute(
        "select persoon_id, begindatum, einddatum from mart_insured_period order by all"
    ).fetchall()
    assert got == [
        ("P1", D(2020, 1, 1), D(2021, 12, 31)),
        ("P2", D(2020, 1, 1), D(2020, 6, 10)),
        ("P3", D(2020, 1, 1), D(2020, 3, 31)),
        ("P3", D(2020, 6, 1), D(2021, 12, 31)),
        ("P4", D(2020, 1, 1), D(2020, 12, 31)),
        ("P4", D(2021, 3, 1), D(2021, 12, 31)),
    ]


def test_person_ages_regions_and_insured_span(con, monkeypatch):
    build(con, monkeypatch)
    got = con.execute(
        "select persoon_id, geboortemaand, birth_ref_date, month_18, nik_region, nik_region_gemeente, "
        "insured_from, insured_to, overlijdensdatum, in_steekproef from mart_person order by 1"
    ).fetchall()
    assert got == [
        ("P1", D(2005, 3, 1), D(2005, 3, 15), D(2023, 3, 1), "Zuidwest", "Holland Rijnland",
         D(2020, 1, 1), D(2021, 12, 31), None, True),
        ("P2", D(2019, 12, 1), D(2019, 12, 15), D(2037, 12, 1), "Noordoost", "Noordoost",
         D(2020, 1, 1), D(2020, 6, 10), D(2020, 6, 10), False),
        ("P3", D(2003, 2, 1), D(2003, 2, 15), D(2021, 2, 1), "Zuidwest", "Zuidwest",
         D(2020, 1, 1), D(2021, 12, 31), None, False),
        ("P4", D(2010, 7, 1), D(2010, 7, 15), D(2028, 7, 1), None, None,
         D(2020, 1, 1), D(2021, 12, 31), None, True),
        ("P5", D(2008, 1, 1), D(2008, 1, 15), D(2026, 1, 1), "Noordoost", "Noordoost", None, None, None, False),
    ]
    cols = [r[0] for r in con.execute("describe mart_person").fetchall()]
    assert cols == [
        "persoon_id", "geboortemaand", "birth_ref_date", "month_18", "geslacht", "provincie_code",
        "gemeente_code", "nik_region", "nik_region_gemeente", "overlijdensdatum", "in_steekproef", "insured_from",
        "insured_to",
    ]


def test_birth_ref_date_gives_age_by_the_15th(con, monkeypatch):
    """Completed years from the 15th: born 2005-03 is 13 on 2019-03-14, 14 on 2019-03-15."""
    build(con, monkeypatch)
    ages = con.execute(
        "select date_diff('year', birth_ref_date, d) - "
        "  case when strftime(d, '%m%d') < strftime(birth_ref_date, '%m%d') then 1 else 0 end "
        "from mart_person, (values (date '2019-03-14'), (date '2019-03-15')) as t(d) "
        "where persoon_id = 'P1' order by d"
    ).fetchall()
    assert ages == [(13,), (14,)]


def test_denominator_age_groups_and_regions(con, monkeypatch):
    ages = [0, 1, 4, 5, 9, 10, 14, 15, 19, 20, 24, 25, 60]
    rows = [(2020, a, "M", "PV28", 100 + a) for a in ages]
    rows += [(2020, 0, "M", "PV28", 7)]  # the same cell delivered twice: summed
    rows += [(2021, 3, "V", "PV31", 50)]  # province without a region
    build(con, monkeypatch, populatie=rows)
    got = con.execute(
        "select jaar, leeftijd, age_group, geslacht, provincie_code, nik_region, aantal "
        "from mart_denominator order by jaar, leeftijd"
    ).fetchall()
    groups = ["<1", "1-4", "1-4", "5-9", "5-9", "10-14", "10-14", "15-19", "15-19", "20-24",
              "20-24", "25+", "25+"]
    expected = [
        (2020, a, g, "M", "PV28", "Zuidwest", 100 + a + (7 if a == 0 else 0))
        for a, g in zip(ages, groups)
    ]
    expected.insert(1, (2021, 3, "1-4", "V", "PV31", None, 50))
    expected.sort(key=lambda r: (r[0], r[1]))
    assert got == expected


def test_diagnosis_lines_with_icd10_clipped(con, monkeypatch):
    dot = [
        ("D1", "P1", "I1", "umc", "0316", "x", "G71.0", "1" * 9, D(2019, 12, 20), D(2020, 1, 5),
         100.0, "G710"),
        ("D2", "P1", "I1", "algemeen", "0330", "x", None, "1" * 9, D(2020, 2, 1), D(2020, 2, 2),
         100.0, None),
        ("D3", "P3", "I2", "categoraal", "0303", "x", "C91.0", "1" * 9, D(2021, 12, 1),
         D(2022, 1, 31), 100.0, "C910"),
        ("D4", "P2", "I3", "umc", "0999", "x", "Q90", "1" * 9, D(2020, 3, 1), D(2020, 3, 1),
         100.0, "Q90"),
    ]
    build(con, monkeypatch, dot=dot)
    got = con.execute("select * from mart_diagnosis order by declaratie_id").fetchall()
    assert got == [
        ("P1", "D1", D(2020, 1, 1), D(2020, 1, 5), "G710", "0316", "paediatrics", "umc"),
        ("P3", "D3", D(2021, 12, 1), D(2021, 12, 31), "C910", "0303", "paediatrics", "categoraal"),
        ("P2", "D4", D(2020, 3, 1), D(2020, 3, 1), "Q90", "0999", "adult", "umc"),
    ]


def test_wlz_indications_clipped_to_period_and_death(con, monkeypatch):
    indications = [
        ("I1", "P1", "VG7", "VG", D(2018, 1, 1), None),  # open: ends at period end
        ("I2", "P2", "LG5", "LG", D(2020, 3, 1), None),  # ends at death
        ("I3", "P2", "VG7", "VG", D(2020, 7, 1), D(2020, 8, 1)),  # after death: left out
        ("I4", "P3", "ZZ9", "SOM", D(2021, 1, 1), D(2021, 6, 30)),  # unknown profile
    ]
    build(con, monkeypatch, wlz_indicaties=indications)
    got = con.execute("select * from mart_wlz_indication order by indicatie_id").fetchall()
    assert got == [
        ("P1", "I1", "VG7", "VG", True, D(2020, 1, 1), D(2021, 12, 31)),
        ("P2", "I2", "LG5", "LG", False, D(2020, 3, 1), D(2020, 6, 10)),
        ("P3", "I4", "ZZ9", "SOM", None, D(2021, 1, 1), D(2021, 6, 30)),
    ]


def test_reference_tables_typed(con, monkeypatch):
    build(con, monkeypatch)
    assert con.execute(
        "select zorgprofiel, severe_multiple_disability from ref_wlz_zorgprofielen order by 1"
    ).fetchall() == [("LG5", False), ("VG7", True)]
    # Empty gemeente_code is NULL (the province default row), codes keep their zeros.
    assert con.execute(
        "select count(*) from ref_regions where gemeente_code is null"
    ).fetchone() == (2,)
    assert con.execute("select specialisme from ref_specialismen order by 1").fetchall() == [
        ("0303",), ("0330",)
    ]
    assert con.execute("select code_norm, diagnostic_group from ref_llc_fraser order by 1").fetchall() == [
        ("C91", "oncology"), ("G710", "neurology")
    ]


@pytest.mark.parametrize(
    ("name", "frame", "message"),
    [
        ("specialismen", pd.DataFrame({"specialisme": ["0316", "0316"],
                                       "specialism_group": ["paediatrics", "adult"]}),
         r"specialismen\.csv row 2: key \(specialisme\) repeats"),
        ("specialismen", pd.DataFrame({"specialisme": ["0316"], "specialism_group": ["kids"]}),
         r"specialismen\.csv row 1: column specialism_group has 'kids'"),
        ("zorgactiviteiten", pd.DataFrame({"zorgactiviteit_code": ["190150"]}),
         r"zorgactiviteiten\.csv lacks column\(s\) category"),
        ("wlz_zorgprofielen", pd.DataFrame({"zorgprofiel": ["VG7"], "grondslag": ["VG"],
                                            "sector": ["gz"], "severe_multiple_disability": ["maybe"]}),
         r"wlz_zorgprofielen\.csv row 1: column severe_multiple_disability has 'maybe'"),
        ("regions", pd.DataFrame({"provincie_code": ["PV20", "PV21"], "gemeente_code": ["GM0001", "GM0001"],
                                  "nik_region": ["a", "b"]}),
         r"regions\.csv row 2: gemeente_code repeats"),
    ],
)
def test_bad_reference_file_is_a_clear_error(con, monkeypatch, name, frame, message):
    core_schema(con)
    fake_reference(monkeypatch, {name: frame})
    with pytest.raises(KpzError, match=message):
        marts.build_marts(con)


def test_missing_core_table_is_a_clear_error(con, monkeypatch):
    core_schema(con)
    con.execute("drop table core_wmo")
    fake_reference(monkeypatch)
    with pytest.raises(KpzError, match="core_wmo missing"):
        marts.build_marts(con)


def test_cohort_layer_runs_after_marts(con, monkeypatch, tmp_path):
    """sql/cohort/*.sql become tables named after the file, in file-name order, after marts."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "marts").mkdir(parents=True)
    for path in marts.mart_files():
        (sql_dir / "marts" / path.name).write_text(path.read_text())
    (sql_dir / "cohort").mkdir()
    (sql_dir / "cohort" / "cohort_b_second.sql").write_text(
        "select count(*) as n from cohort_a_first;\n")
    (sql_dir / "cohort" / "cohort_a_first.sql").write_text(
        "select persoon_id from mart_person where insured_from is not null")
    monkeypatch.setattr(config, "SQL_DIR", sql_dir)
    build(con, monkeypatch)
    assert con.execute("select n from cohort_b_second").fetchone() == (4,)


def test_failing_model_names_its_file(con, monkeypatch, tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "marts_x_broken.sql").write_text("select * from no_such_table")
    monkeypatch.setattr(config, "SQL_DIR", tmp_path)
    with pytest.raises(KpzError, match=r"marts_x_broken\.sql \(table mart_broken\) failed"):
        build(con, monkeypatch)


def test_describe_marts(con, monkeypatch):
    build(con, monkeypatch)
    described = marts.describe_marts(con)
    assert list(described.columns) == ["mart", "grain", "rows"]
    assert set(described["mart"]) == set(marts.MART_GRAINS)
    rows = dict(zip(described["mart"], described["rows"]))
    assert rows["mart_person"] == 5 and rows["mart_insured_period"] == 6
    assert rows["mart_person_month"] == 0


def test_model_files_follow_the_conventions():
    """One model per file, grain stated, select * from final, dependencies in file order."""
    files = marts.mart_files()
    tables = [marts.mart_table_name(p) for p in files]
    assert sorted(tables) == sorted(marts.MART_GRAINS)
    built: set[str] = set()
    for path, table in zip(files, tables):
        text = path.read_text()
        assert text.startswith(f"-- {table}\n"), path.name
        assert "-- Grain: one row per" in text, path.name
        assert re.search(r"select \* from final\s*$", text), path.name
        used = set(re.findall(r"\bmart_[a-z_0-9]+\b", re.sub(r"--[^\n]*", "", text)))
        assert used <= built, f"{path.name} reads {used - built} built later"
        built.add(table)


def test_real_reference_data_loads():
    """The package's own reference CSVs pass the loader's checks and type as documented."""
    con = duckdb.connect()
    marts.load_reference_tables(con)
    for ref in marts.REFERENCES:
        (n,) = con.execute(f"select count(*) from {ref.table}").fetchone()
        assert n > 0, ref.table
    types = dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'ref_wlz_zorgprofielen'"
    ).fetchall())
    assert types["severe_multiple_disability"] == "BOOLEAN"
    # Every province has exactly one default region (the denominator relies on it).
    assert con.execute(
        "select count(distinct provincie_code), count(*) from ref_regions where gemeente_code is null"
    ).fetchone() == (12, 12)


def test_rollup_parts_are_summed_per_key(tmp_path):
    """A rollup's per-part rows are added up per key: counts exactly, doubles as decimals."""
    path = tmp_path / "marts_x_summary.sql"
    path.write_text("-- mart_summary\n-- rollup of: mart_rows (summed over parts: n, c)\nselect 1")
    rollup = marts.rollup_of(path, "mart_summary")
    assert rollup == marts.Rollup(path, "mart_summary", "mart_rows", ("n", "c"))
    plain = tmp_path / "marts_x_plain.sql"
    plain.write_text("-- mart_plain\nselect 1")
    assert marts.rollup_of(plain, "mart_plain") is None
    con = duckdb.connect()
    con.execute(
        "create temp table _kpz_rollup_mart_summary as select * from (values "
        "('a', 1, 0.1), ('b', 2, 0.2), ('a', 3, 0.2), ('a', 4, cast(null as double))) t(k, n, c)"
    )
    marts._combine_parts(con, rollup)
    got = con.execute("select k, n, c from mart_summary order by k").fetchall()
    assert got == [("a", 8, pytest.approx(0.3, abs=1e-12)), ("b", 2, pytest.approx(0.2, abs=1e-12))]
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    con.execute("create temp table _kpz_rollup_mart_summary as select 'a' as k, 1 as m")
    with pytest.raises(KpzError, match=r"marts_x_summary\.sql: summed column\(s\) n, c are not in its result"):
        marts._combine_parts(con, rollup)


def test_person_years_sum_several_insured_periods():
    """cohort_person_year: a person with several periods in a year gets one person-year with
    their days summed, insured on 1 July when one period covers it, and the first insured day
    of the year deciding whether the year is before the 18th birthday."""
    con = duckdb.connect()
    con.execute("create table mart_person (persoon_id varchar, geboortemaand date, geslacht varchar, "
                "provincie_code varchar, nik_region varchar, in_steekproef boolean, overlijdensdatum date)")
    con.executemany("insert into mart_person values (?, ?::date, 'V', 'PV26', 'Utrecht', false, ?::date)", [
        ("M1", "2005-09-01", None), ("M2", "2010-01-01", None), ("M3", "2002-03-01", None),
        ("S1", "2012-05-01", "2020-12-31"),
    ])
    con.execute("create table mart_insured_period (persoon_id varchar, begindatum date, einddatum date)")
    con.executemany("insert into mart_insured_period values (?, ?::date, ?::date)", [
        ("M1", "2020-01-01", "2020-03-31"), ("M1", "2020-08-01", "2021-06-30"),
        ("M2", "2020-07-01", "2020-12-31"), ("M2", "2020-01-01", "2020-06-30"),
        ("M3", "2020-04-01", "2020-05-31"), ("M3", "2020-01-01", "2020-02-29"),
        ("S1", "2019-05-01", "2020-12-31"),
    ])
    sql = (config.SQL_DIR / "cohort" / "cohort_person_year.sql").read_text().strip().rstrip(";")
    got = {
        (r[0], r[1]): r[2:] for r in con.execute(
            f"select persoon_id, jaar, leeftijd, insured_days, insured_1july, under18_in_year, "
            f"died_in_year from ({sql})"
        ).fetchall()
    }
    assert got == {
        ("M1", 2020): (14, 91 + 153, False, True, False),
        ("M1", 2021): (15, 181, False, True, False),
        ("M2", 2020): (10, 366, True, True, False),
        ("M3", 2020): (18, 60 + 61, False, True, False),  # 18 on 15 March; insured from 1 January
        ("S1", 2019): (7, 245, True, True, False),
        ("S1", 2020): (8, 366, True, True, True),
    }
