"""Case finding on a tiny hand-built warehouse: who is a case in which year, exactly.

The fixture builds the marts (``docs/warehouse.md``) directly in an in-memory DuckDB, so these
tests pin the case definitions independently of the generator and ingest. Period 2019–2023.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from kpz_analytics.cohorts import cases as C
from kpz_analytics.errors import ParameterError
from kpz_analytics.refdata import load_codelist

PROVINCE = "PV26"


def _person(pid, born, sex="M", died=None, sample=False, province=PROVINCE, nik="Utrecht"):
    return (pid, born, sex, province, None, nik, died, sample)


# persons: id, geboortemaand, geslacht, overlijdensdatum
PERSONS = [
    _person("P1", "2010-03-01"),                      # LLC code 2019: case 2019-2021 with lookback 2
    _person("P2", "2003-06-01"),                      # age 19 in 2022, 20 in 2023
    _person("P3", "2003-07-01", sex="V"),             # age 18 in 2022, 19 in 2023 (July: not yet)
    _person("P4", "2012-01-01", died="2021-06-10"),   # LLC 2020, dies mid-2021
    _person("P5", "2021-09-01", sex="V"),             # born after 1 July 2021: age 0 in 2021
    _person("P6", "2015-05-01"),                      # LLC line only while uninsured: never a case
    _person("P7", "2016-02-01", sex="V", province="PV27", nik="Noord-Holland & Flevoland"),
    _person("P8", "2014-02-01"),                      # non-severe Wlz: never a case
    _person("P9", "2013-02-01", sample=True),         # non-LLC code only: never a case
]

INSURED = [
    ("P1", "2019-01-01", "2023-12-31"),
    ("P2", "2019-01-01", "2023-12-31"),
    ("P3", "2019-01-01", "2023-12-31"),
    ("P4", "2019-01-01", "2021-06-10"),
    ("P5", "2021-09-15", "2023-12-31"),
    ("P6", "2019-01-01", "2019-12-31"),
    ("P6", "2021-01-01", "2023-12-31"),
    ("P7", "2019-01-01", "2023-12-31"),
    ("P8", "2019-01-01", "2023-12-31"),
    ("P9", "2019-01-01", "2023-12-31"),
]

# persoon_id, declaratie_id, begindatum, einddatum, icd10_norm
DIAGNOSES = [
    ("P1", "D1", "2019-05-01", "2019-05-20", "G710"),
    ("P2", "D2", "2022-03-01", "2022-03-02", "E849"),   # 3-character code E84 includes subcodes
    ("P2", "D2b", "2023-03-01", "2023-03-02", "E84"),
    ("P3", "D3", "2022-12-20", "2023-01-10", "C910"),   # spans a year boundary: 2022 and 2023
    ("P4", "D4", "2020-02-01", "2020-02-03", "Q913"),
    ("P6", "D6", "2020-04-01", "2020-04-05", "G710"),   # uninsured in 2020
    ("P9", "D9", "2020-04-01", "2020-04-05", "G801"),   # G80.1 is not on the list (G80.0, G80.8 are)
    ("P9", "D9b", "2021-04-01", "2021-04-05", "J189"),
    ("P1", "D1x", "2018-12-01", "2019-01-03", "G710"),  # partly before the period: counts in 2019
]

# persoon_id, month, domain, subdomain, volume
PERSON_MONTH = [
    ("P1", "2019-06-01", "hospital_activity", "emergency_visit", 2.0),   # below threshold 3
    ("P1", "2020-02-01", "hospital_activity", "emergency_visit", 2.0),
    ("P1", "2020-09-01", "hospital_activity", "emergency_visit", 1.0),   # 3 in 2020: need
    ("P1", "2021-03-01", "hospital_activity", "ic_day_adult", 1.0),      # IC in 2021: need
    ("P5", "2022-11-01", "hospital_activity", "palliative_care", 1.0),   # before 2023: ignored
    ("P5", "2023-02-01", "hospital_activity", "palliative_care", 1.0),
    ("P7", "2021-05-01", "zvw", "intensieve_kindzorg", 10.0),
    ("P7", "2021-06-01", "zvw", "medisch_kindzorgverblijf", 3.0),
    ("P8", "2021-06-01", "hospital_activity", "ic_day_paediatric", 2.0),  # not a case: no need
    ("P3", "2023-04-01", "hospital_activity", "nursing_day", 9.0),        # below 10
]

# persoon_id, indicatie_id, zorgprofiel, severe, begindatum, einddatum
WLZ = [
    ("P7", "W7", "VG7", True, "2018-01-01", "2030-12-31"),
    ("P8", "W8", "VG3", False, "2019-01-01", "2023-12-31"),
]


def denominator_rows():
    rows = []
    for jaar in range(2019, 2024):
        for age in range(0, 26):
            group = ("<1" if age < 1 else "1-4" if age <= 4 else "5-9" if age <= 9 else
                     "10-14" if age <= 14 else "15-19" if age <= 19 else "20-24" if age <= 24 else "25+")
            for sex in ("M", "V"):
                for prov, nik in ((PROVINCE, "Utrecht"), ("PV27", "Noord-Holland & Flevoland")):
                    rows.append((jaar, age, group, sex, prov, nik, 100))
    return rows


def build_fixture(con: duckdb.DuckDBPyConnection | None = None, design="population"):
    """Create meta_extract, the marts and ref_llc_fraser for the hand-built fixture."""
    con = con or duckdb.connect()
    con.execute("""create table meta_extract as select 'fixture-1' as extract_id, '1' as spec_version,
        date '2019-01-01' as period_start, date '2023-12-31' as period_end, ? as design,
        0.05 as sample_fraction, 'abc' as manifest_sha256, now() as ingested_at,
        '0.1.0' as package_version, 'deadbeef' as git_commit""", [design])
    con.execute("""create table mart_person (persoon_id varchar, geboortemaand date,
        birth_ref_date date, month_18 date, geslacht varchar, provincie_code varchar,
        gemeente_code varchar, nik_region varchar, overlijdensdatum date, in_steekproef boolean,
        insured_from date, insured_to date)""")
    for pid, born, sex, prov, gem, nik, died, sample in PERSONS:
        con.execute("""insert into mart_person values (?, ?::date, ?::date + 14,
            ?::date + interval 18 year, ?, ?, ?, ?, ?::date, ?, null, null)""",
                    [pid, born, born, born, sex, prov, gem, nik, died, sample])
    con.execute("create table mart_insured_period (persoon_id varchar, begindatum date, einddatum date)")
    con.executemany("insert into mart_insured_period values (?, ?, ?)", INSURED)
    con.execute("""create table mart_diagnosis (persoon_id varchar, declaratie_id varchar,
        begindatum date, einddatum date, icd10_norm varchar, specialisme varchar,
        specialism_group varchar, instelling_type varchar)""")
    con.executemany("insert into mart_diagnosis values (?, ?, ?, ?, ?, '0316', 'paediatrics', 'umc')",
                    DIAGNOSES)
    con.execute("""create table mart_person_month (persoon_id varchar, month date, domain varchar,
        subdomain varchar, financing varchar, institution_type varchar, n_lines integer,
        volume double, cost double)""")
    con.executemany("insert into mart_person_month values (?, ?, ?, ?, null, null, 1, ?, 100.0)",
                    PERSON_MONTH)
    con.execute("""create table mart_wlz_indication (persoon_id varchar, indicatie_id varchar,
        zorgprofiel varchar, grondslag varchar, severe_multiple_disability boolean,
        begindatum date, einddatum date)""")
    con.executemany("insert into mart_wlz_indication values (?, ?, ?, 'VG', ?, ?, ?)", WLZ)
    con.execute("""create table mart_denominator (jaar integer, leeftijd integer, age_group varchar,
        geslacht varchar, provincie_code varchar, nik_region varchar, aantal integer)""")
    con.executemany("insert into mart_denominator values (?, ?, ?, ?, ?, ?, ?)", denominator_rows())
    ref = load_codelist("llc_fraser_v1")[["code_norm", "diagnostic_group"]]
    con.register("ref_df", ref)
    con.execute("create table ref_llc_fraser as select * from ref_df")
    con.unregister("ref_df")
    return con


@pytest.fixture()
def con():
    c = build_fixture()
    C.build_cohort_tables(c)
    yield c
    c.close()


def _case_years(table, lookback=None):
    df = C.llc_cases(table, lookback)
    return {pid: sorted(g["jaar"].tolist()) for pid, g in df.groupby("persoon_id")}


def test_llc_diagnosis_prefix_match_and_groups(con):
    df = con.execute("select declaratie_id, code_norm, diagnostic_group from cohort_llc_diagnosis "
                     "order by declaratie_id").df()
    assert df.values.tolist() == [
        ["D1", "G710", "neurology"], ["D1x", "G710", "neurology"], ["D2", "E84", "metabolic"],
        ["D2b", "E84", "metabolic"], ["D3", "C91", "oncology"], ["D4", "Q91", "congenital"],
        ["D6", "G710", "neurology"],
    ]
    years = con.execute("select declaratie_id, jaar from cohort_llc_diagnosis join cohort_llc_group_year "
                        "using (persoon_id) where persoon_id = 'P3'").fetchall()
    assert sorted({y for _, y in years}) == [2022, 2023]


def test_person_year_ages_at_15th_of_month(con):
    py = con.execute("select persoon_id, jaar, leeftijd, age_group, died_in_year, insured_days, under18_in_year "
                     "from cohort_person_year").df().set_index(["persoon_id", "jaar"])
    assert py.loc[("P2", 2022), "leeftijd"] == 19 and py.loc[("P2", 2023), "leeftijd"] == 20
    assert py.loc[("P3", 2022), "leeftijd"] == 18 and py.loc[("P3", 2023), "leeftijd"] == 19
    assert py.loc[("P5", 2021), "leeftijd"] == 0 and py.loc[("P5", 2021), "age_group"] == "<1"
    assert py.loc[("P5", 2022), "leeftijd"] == 0 and py.loc[("P5", 2023), "leeftijd"] == 1
    assert py.loc[("P4", 2021), "died_in_year"] and not py.loc[("P4", 2020), "died_in_year"]
    assert ("P4", 2022) not in py.index and ("P6", 2020) not in py.index
    assert py.loc[("P4", 2021), "insured_days"] == 161  # 1 Jan to 10 June 2021
    # 18th birthday: P2 15 June 2021, P3 15 July 2021 -> both under 18 on a day of 2021, not 2022
    assert py.loc[("P2", 2021), "under18_in_year"] and py.loc[("P3", 2021), "under18_in_year"]
    assert not py.loc[("P2", 2022), "under18_in_year"] and not py.loc[("P3", 2022), "under18_in_year"]
    assert py.loc[("P1", 2023), "under18_in_year"]
    assert py.loc[("P5", 2021), "insured_days"] == 108


def test_who_is_a_case_in_which_year(con):
    table = C.find_cases(con, C.CaseParams(lookback=2), max_lookback=4)
    assert _case_years(table) == {
        "P1": [2019, 2020, 2021],           # code 2019 + lookback 2; not 2022
        "P2": [2022],                        # aged 20 in 2023: outside 0-19
        "P3": [2022, 2023],                  # line spans the year boundary; 18 and 19
        "P4": [2020, 2021],                  # dies 2021: no 2022
        "P5": [2023],                        # palliative activity 2022 is before valid_from
        "P7": [2019, 2020, 2021, 2022, 2023],
    }
    assert _case_years(table, 0) == {
        "P1": [2019], "P2": [2022], "P3": [2022, 2023], "P4": [2020], "P5": [2023],
        "P7": [2019, 2020, 2021, 2022, 2023],
    }
    assert _case_years(table, 4)["P1"] == [2019, 2020, 2021, 2022, 2023]
    assert _case_years(table, 1)["P4"] == [2020, 2021]


def test_lookback_edge_and_age_range_parameters(con):
    t = C.find_cases(con, C.CaseParams(lookback=1, age_min=18, age_max=20))
    assert _case_years(t) == {"P2": [2022, 2023], "P3": [2022, 2023]}
    t = C.find_cases(con, C.CaseParams(lookback=3, years=(2022, 2022)))
    assert _case_years(t) == {"P1": [2022], "P2": [2022], "P3": [2022], "P7": [2022]}


def test_source_flags_in_year(con):
    t = C.find_cases(con, C.CaseParams())
    df = t.cases.set_index(["persoon_id", "jaar"])
    assert df.loc[("P7", 2021), ["src_hospital_llc_code", "src_palliative_activity", "src_ikz_mkv",
                                 "src_wlz_severe"]].tolist() == [0, 0, 1, 1]
    assert df.loc[("P7", 2022), "src_ikz_mkv"] == 0
    assert df.loc[("P5", 2023), "src_palliative_activity"] == 1
    assert df.loc[("P1", 2020), "in_year"] == False  # noqa: E712 - seen only through the lookback
    assert df.loc[("P1", 2020), "gap"] == 1


def test_sources_parameter(con):
    t = C.find_cases(con, C.CaseParams(sources=("wlz_severe", "ikz_mkv")))
    assert _case_years(t) == {"P7": [2019, 2020, 2021, 2022, 2023]}
    t = C.find_cases(con, C.CaseParams(sources=("hospital_llc_code",), lookback=0))
    assert set(_case_years(t)) == {"P1", "P2", "P3", "P4"}


def test_palliative_need_markers(con):
    """v2 (default): intensity markers, LLC found by a source that exists in every year."""
    t = C.find_cases(con, C.CaseParams())
    need = C.need_cases(t)
    got = sorted(zip(need["persoon_id"], need["jaar"]))
    # P5 (palliative activity only) and P7 (IKZ/MKV only) are not flagged under v2
    assert got == [("P1", 2020), ("P1", 2021), ("P4", 2021)]
    assert got == sorted(zip(*t.cases.loc[t.cases["palliative_need"], ["persoon_id", "jaar"]].T.values))
    df = t.cases.set_index(["persoon_id", "jaar"])
    assert df.loc[("P1", 2020), "mk_emergency_run"] == 1 and df.loc[("P1", 2019), "mk_emergency_run"] == 0
    assert df.loc[("P1", 2021), "mk_intensive_care"] == 1
    assert df.loc[("P4", 2021), "mk_death"] == 1
    assert df.loc[("P3", 2023), "mk_admission_run"] == 0
    # P5 is an LLC case in 2023 only through the palliative source: not eligible under v2
    assert df.loc[("P5", 2023), "need_base"] == False  # noqa: E712
    assert df.loc[("P7", 2021), "need_gap"] == 0


def test_need_definition_v1_and_plus_activity(con):
    t1 = C.find_cases(con, C.CaseParams(need_definition="palliative_need_v1"))
    got = sorted(zip(*C.need_cases(t1)[["persoon_id", "jaar"]].T.values))
    assert got == [("P1", 2020), ("P1", 2021), ("P4", 2021), ("P5", 2023), ("P7", 2021)]
    t = C.find_cases(con, C.CaseParams())
    plus = C.need_flags(con, t, C.NEED_PLUS_ACTIVITY)
    got = sorted(zip(*t.cases.loc[plus, ["persoon_id", "jaar"]].T.values))
    # the 2023 activity flags P5 (and makes it eligible: palliative activity is one of its sources)
    assert got == [("P1", 2020), ("P1", 2021), ("P4", 2021), ("P5", 2023)]
    # a narrower lookback narrows eligibility too
    plus0 = C.need_flags(con, t, C.NEED_PLUS_ACTIVITY, lookback=0)
    assert sorted(zip(*t.cases.loc[plus0, ["persoon_id", "jaar"]].T.values)) == [("P5", 2023)]
    v2_l0 = C.need_cases(t, 0)
    assert len(v2_l0) == 0  # P1 (2020, 2021) and P4 (2021) are seen only through the lookback


def test_diagnostic_groups_within_lookback(con):
    t = C.find_cases(con, C.CaseParams(lookback=2))
    g = C.llc_groups(t)
    got = sorted(zip(g["persoon_id"], g["jaar"], g["diagnostic_group"]))
    assert ("P1", 2021, "neurology") in got and ("P3", 2023, "oncology") in got
    assert not any(p == "P7" for p, _, _ in got)   # P7 has no LLC code: no group
    assert len(got) == 3 + 1 + 2 + 2


def test_attrition_counts(con):
    t = C.find_cases(con, C.CaseParams())
    a = C.attrition(con, t).set_index("name")
    assert a.loc["hospital_lines_icd10", "n_rows"] == 9
    assert a.loc["hospital_lines_llc", "n_rows"] == 7
    assert a.loc["age_range", "n_rows"] == 14 and a.loc["age_range", "n_persons"] == 6
    assert a.loc["need_sources", "n_rows"] == 13  # P5 2023 found by the palliative source only
    assert a.loc["any_marker", "n_rows"] == 3
    assert a.loc["source_hospital_llc_code", "n_persons"] == 4  # P6 excluded (uninsured year)


@pytest.mark.parametrize("kwargs, message", [
    (dict(age_min=10, age_max=5), "empty or invalid age range"),
    (dict(sources=("hospital_llc_code", "gp_visits")), "unknown source gp_visits"),
    (dict(years=(2010, 2020)), "outside the extract period 2019-2023"),
    (dict(lookback=-1), "lookback"),
    (dict(sources=()), "no case-finding sources"),
    (dict(need_definition="palliative_need_v9"), "unknown case definition"),
])
def test_bad_parameters(con, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        C.find_cases(con, C.CaseParams(**kwargs))


def test_temp_cohort_tables_on_read_only_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    c = duckdb.connect(str(path))
    build_fixture(c)
    c.close()
    ro = duckdb.connect(str(path), read_only=True)
    t = C.find_cases(ro, C.CaseParams())
    assert len(C.llc_cases(t)) == 14
    ro.close()


def test_definitions_are_consistent():
    for s in C.SOURCES:
        d = C.load_definition(C.SOURCE_DEFINITIONS[s])
        assert set(d["criterion"]) == {s}
    need = C.load_definition(C.NEED_DEFINITION)
    assert list(dict.fromkeys(need["criterion"])) == [
        "intensive_care", "emergency_run", "admission_run", "death"]
    assert C.definition_sources(need) == ("hospital_llc_code", "ikz_mkv", "wlz_severe")
    v1 = C.load_definition("palliative_need_v1")
    assert list(dict.fromkeys(v1["criterion"])) == [
        "palliative_activity", "intensive_care", "emergency_run", "admission_run", "ikz_mkv", "death"]
    assert C.definition_sources(v1) == ()  # v1: the run's own sources
    plus = C.load_definition(C.NEED_PLUS_ACTIVITY)
    assert set(plus["criterion"]) == set(need["criterion"]) | {"palliative_activity"}
    assert C.definition_sources(plus) == C.SOURCES
    assert isinstance(need, pd.DataFrame)


def test_groups_follow_the_lookback_not_the_widest_window(con):
    """A code older than the lookback must not give its group, even when a wider window is kept."""
    con.execute("insert into mart_person values ('P10', date '2008-01-01', date '2008-01-15', "
                "date '2026-01-01', 'M', 'PV26', null, 'Utrecht', null, false, null, null)")
    con.execute("insert into mart_insured_period values ('P10', date '2019-01-01', date '2023-12-31')")
    con.execute("insert into mart_diagnosis values ('P10', 'D10a', date '2019-03-01', date '2019-03-01', "
                "'G710', '0316', 'paediatrics', 'umc'), ('P10', 'D10b', date '2022-03-01', "
                "date '2022-03-01', 'C910', '0316', 'paediatrics', 'umc')")
    C.build_cohort_tables(con)
    t = C.find_cases(con, C.CaseParams(lookback=2), max_lookback=5)
    g = C.llc_groups(t)
    got = sorted((int(j), grp) for p, j, grp in g[g["persoon_id"] == "P10"].itertuples(index=False))
    assert got == [(2019, "neurology"), (2020, "neurology"), (2021, "neurology"),
                   (2022, "oncology"), (2023, "oncology")]


def test_group_variant_e84_under_respiratory(con):
    t = C.find_cases(con, C.CaseParams())
    base = C.llc_groups(t)
    var = C.llc_groups_variant(con, t, "e84_respiratory")
    p2 = lambda g: sorted(g.loc[g["persoon_id"] == "P2", "diagnostic_group"])  # noqa: E731
    assert p2(base) == ["metabolic"] and p2(var) == ["respiratory"]  # P2: E84.9 in 2022
    others = lambda g: g[g["persoon_id"] != "P2"].reset_index(drop=True)  # noqa: E731
    assert others(base).sort_values(["jaar", "persoon_id"]).values.tolist() == \
        others(var).sort_values(["jaar", "persoon_id"]).values.tolist()
    with pytest.raises(ParameterError, match="unknown diagnostic-group variant"):
        C.llc_groups_variant(con, t, "e84_nowhere")


def test_ccc_case_years(con):
    ccc = C.codelist_case_years(con, C.CaseParams())
    got = {p: sorted(g["jaar"].tolist()) for p, g in ccc.groupby("persoon_id")}
    # G71.0, E84, C91, Q91.3 are CCC codes too; G80.1 (P9) is CCC but not LLC; P6's line falls in
    # a year without insurance; P2 is 20 in 2023
    assert got == {"P1": [2019, 2020, 2021], "P2": [2022], "P3": [2022, 2023], "P4": [2020, 2021],
                   "P9": [2020, 2021, 2022]}
    point = C.codelist_case_years(con, C.CaseParams(basis="point"))
    assert 2021 not in set(point.loc[point["persoon_id"] == "P4", "jaar"])  # died 10 June 2021


# --------------------------------------------------------------------------- derived temp tables
def test_derived_table_is_made_once_per_read_only_connection(tmp_path):
    from kpz_analytics.cohorts import models

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    sql = "select random() as r"

    def value(con):
        return con.execute("select r from _kpz_t").fetchone()[0]

    ro = duckdb.connect(str(path), read_only=True)
    models.derived_table(ro, "_kpz_t", sql)
    first = value(ro)
    models.derived_table(ro, "_kpz_t", sql)
    assert value(ro) == first  # same SQL, nothing can have changed: kept
    models.derived_table(ro, "_kpz_t", sql + " ")
    assert value(ro) != first  # other SQL: made again
    ro.execute("drop table _kpz_t")
    models.derived_table(ro, "_kpz_t", sql)
    assert ro.execute("select count(*) from _kpz_t").fetchone() == (1,)  # dropped: made again
    ro.close()
    rw = duckdb.connect(str(path))
    models.derived_table(rw, "_kpz_t", sql)
    first = value(rw)
    models.derived_table(rw, "_kpz_t", sql)
    assert value(rw) != first  # writable: the data may have changed, always made afresh
    rw.close()
