"""The care landscape on a hand-built extract, with every expected value worked out by hand.

A tiny spec-v1 extract (``extract_builder``) goes through the real ingest, marts, case finding
and ``sql/landscape``. Period 2022-01-01 … 2023-12-31, default parameters (ages 0–25, lookback 2,
windows 30 and 90 days). Every LLC person is found by a hospital line with an LLC ICD-10 code
(G71.0, neurology); ages are on 1 July from the 15th of the birth month.

Persons (province → NIK region: PV26 Utrecht, PV20 Noordoost)
- K4 (born 2015-05, PV26; age 7 in 2022): in March 2022 one line of each law — DOT at a UMC
  (Zvw), Wlz verblijf (in kind), Wmo begeleiding (pgb), Jeugdwet ambulant (in kind): all four
  laws in one month, four financing streams. No care in 2023: a case by lookback with no law
  (combination ``none``). Wlz indications (VG7, not severe) 2022-02-01 … 12-31 (complete, 334
  days) and from 2023-02-01, open (cut by the period end); a gap of 31 days between them.
- J1 (born 2010-01, PV26; 12): 2022 DOT at a general hospital + Jeugdwet respite (pgb);
  2023 DOT at a UMC + Jeugdwet ambulant (in kind).
- Y20 (born 2002-03, PV20; 20 in 2022): 2022 DOT at a UMC, wijkverpleging as pgb, Wmo respite
  (in kind): Zvw + Wmo, three streams. Nothing in 2023 (case by lookback).
- D1 (born 2020-06; 2 in 2022) dies on **2023-03-01** (the first of a month): the 30-day window
  2023-01-31 … 03-01 touches January, February and March; the 90-day window 2022-12-02 … 03-01
  also December. Care: LLC DOT 2022-10 (UMC), Wlz 2022-11 (in neither window), a palliative care
  activity 2022-12-10 (UMC line; 90 days only), IKZ January 2023 (both), a general-hospital line
  2023-02-20 … 03-01 with an emergency visit (02-20) and a PICU day (02-25): high intensity
  (an IC day), hospital care in the month of death.
- D2 (born 2008-09; 14 in 2023) dies on 2023-12-31: LLC DOT 2023-06 (UMC); an admission (nursing
  day) on a general-hospital line in October (90 days only); two emergency visits on 2023-12-05
  (general hospital): high intensity (≥ 2 emergency visits), hospital care in the month of death.
- N0 (born 2012-01): Jeugdwet respite but no LLC code: never in the cohort.
"""

from __future__ import annotations

import pandas as pd
import pytest

from extract_builder import activity, build_extract, dot_line, insured, municipal_line, person, population, \
    wlz_indication, wlz_line, zvw_line
from kpz_analytics.analyses import landscape as A
from kpz_analytics.cohorts.landscape import LandscapeParams, build_cohort
from kpz_analytics.errors import ParameterError
from kpz_analytics.warehouse.connect import connect
from kpz_analytics.warehouse.ingest import ingest

PERIOD = ("2022-01-01", "2023-12-31")
PERSONS = {"K4": ("2015-05", "PV26", None), "J1": ("2010-01", "PV26", None), "Y20": ("2002-03", "PV20", None),
           "D1": ("2020-06", "PV26", "2023-03-01"), "D2": ("2008-09", "PV26", "2023-12-31"),
           "N0": ("2012-01", "PV26", None)}


def _dot(did, pid, begin, end, kind="umc", llc=False):
    return dot_line(did, pid, begindatum=begin, einddatum=end, instelling_type=kind,
                    icd10="G71.0" if llc else "J18.9")


def _mun(did, pid, cat, begin, end, financing, unit="uur", volume="10"):
    return municipal_line(did, pid, productcategorie=cat, product_code=f"{cat}A01", begindatum=begin,
                          einddatum=end, leveringsvorm=financing, eenheid=unit, volume=volume)


def tables():
    t = {"personen": [], "verzekeringsperioden": [],
         "populatie": [population(jaar=str(y), leeftijd="10", aantal="1000") for y in (2022, 2023)]}
    for pid, (born, prov, died) in PERSONS.items():
        t["personen"].append(person(pid, geboortemaand=born, provincie_code=prov, gemeente_code=None,
                                    overlijdensdatum=died))
        t["verzekeringsperioden"].append(insured(pid, begindatum=f"{born}-01", einddatum=None))
    t["dot"] = [
        _dot("dK4", "K4", "2022-03-01", "2022-03-05", llc=True),
        _dot("dJ1a", "J1", "2022-06-01", "2022-06-02", kind="algemeen", llc=True),
        _dot("dJ1b", "J1", "2023-02-01", "2023-02-02"),
        _dot("dY20", "Y20", "2022-01-10", "2022-01-12", llc=True),
        _dot("dD1a", "D1", "2022-10-03", "2022-10-04", llc=True),
        _dot("dD1p", "D1", "2022-12-10", "2022-12-10"),
        _dot("dD1b", "D1", "2023-02-20", "2023-03-01", kind="algemeen"),
        _dot("dD2a", "D2", "2023-06-01", "2023-06-02", llc=True),
        _dot("dD2b", "D2", "2023-10-14", "2023-10-16", kind="algemeen"),
        _dot("dD2c", "D2", "2023-12-05", "2023-12-05", kind="algemeen"),
    ]
    t["dot_zorgactiviteiten"] = [
        activity("dD1p", zorgactiviteit_code="199850", datum="2022-12-10"),
        activity("dD1b", zorgactiviteit_code="190015", datum="2023-02-20"),
        activity("dD1b", zorgactiviteit_code="190161", datum="2023-02-25"),
        activity("dD2b", zorgactiviteit_code="190218", datum="2023-10-15"),
        activity("dD2c", zorgactiviteit_code="190015", datum="2023-12-05", aantal="2"),
    ]
    t["zvw_overig"] = [
        zvw_line("zY20", "Y20", zorgsoort="wijkverpleging", begindatum="2022-05-01", einddatum="2022-05-31",
                 leveringsvorm="pgb"),
        zvw_line("zD1", "D1", zorgsoort="intensieve_kindzorg", begindatum="2023-01-01", einddatum="2023-01-31"),
    ]
    # K4: a Wlz indication 2022-02-01 … 2022-12-31 (complete: 334 days) and one from 2023-02-01, open
    # (clipped to the period end: not complete); 31 days without an indication in between
    t["wlz_indicaties"] = [wlz_indication("iK4a", "K4", begindatum="2022-02-01", einddatum="2022-12-31"),
                           wlz_indication("iK4b", "K4", begindatum="2023-02-01", einddatum=None)]
    t["wlz_declaraties"] = [wlz_line("wK4", "K4", begindatum="2022-03-01", einddatum="2022-03-31"),
                            wlz_line("wD1", "D1", begindatum="2022-11-01", einddatum="2022-11-30")]
    t["wmo"] = [_mun("mK4", "K4", "02", "2022-03-01", "2022-03-31", "pgb"),
                _mun("mY20", "Y20", "04", "2022-05-01", "2022-05-03", "zin", "etmaal", "3")]
    t["jeugdwet"] = [_mun("jK4", "K4", "45", "2022-03-01", "2022-03-31", "zin"),
                     _mun("jJ1a", "J1", "51", "2022-07-01", "2022-07-02", "pgb", "etmaal", "2"),
                     _mun("jJ1b", "J1", "45", "2023-02-01", "2023-02-28", "zin"),
                     _mun("jN0", "N0", "51", "2022-07-01", "2022-07-02", "zin", "etmaal", "2")]
    return t


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("landscape")
    ext = build_extract(root, tables(), period=PERIOD, design="population")
    result = ingest(ext, warehouse=root / "w.duckdb", progress=False)
    assert (result.dq_summary["rows_quarantined"] == 0).all()
    return result.warehouse


@pytest.fixture(scope="module")
def result(warehouse):
    con = connect(warehouse)
    try:
        return A.compute_landscape(con, progress=False)
    finally:
        con.close()


def _row(df, **where):
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


def test_cohort_case_years_and_age_bands(result):
    cases = result.cohort.cases.set_index(["persoon_id", "jaar"])["age_band"].to_dict()
    assert cases == {("K4", 2022): "0-17", ("J1", 2022): "0-17", ("Y20", 2022): "18-25", ("D1", 2022): "0-17",
                     ("K4", 2023): "0-17", ("J1", 2023): "0-17", ("Y20", 2023): "18-25", ("D1", 2023): "0-17",
                     ("D2", 2023): "0-17"}
    cohort = result.tables["cohort"].set_index(["jaar", "age_band"])["n_persons"].to_dict()
    assert cohort == {(2022, "0-17"): 3, (2022, "18-25"): 1, (2023, "0-17"): 4, (2023, "18-25"): 1}


def test_four_laws_in_one_month_and_combinations(result):
    py = A.person_years(result.cohort).set_index(["persoon_id", "jaar"])
    assert py.loc[("K4", 2022), "combination"] == "zvw+wlz+wmo+jeugdwet"
    assert py.loc[("K4", 2022), "n_streams"] == 4
    assert py.loc[("K4", 2023), "combination"] == "none" and py.loc[("K4", 2023), "n_laws"] == 0
    assert py.loc[("J1", 2022), "combination"] == "zvw+jeugdwet"
    assert py.loc[("Y20", 2022), "combination"] == "zvw+wmo" and py.loc[("Y20", 2022), "n_streams"] == 3
    assert py.loc[("D1", 2022), "combination"] == "zvw+wlz"
    assert py.loc[("D1", 2023), "combination"] == "zvw" and py.loc[("D2", 2023), "combination"] == "zvw"
    comb = result.tables["law_combinations"]
    assert _row(comb, jaar=2022, age_band="0-17", combination="zvw+wlz+wmo+jeugdwet")["n_using"] == 1
    assert _row(comb, jaar=2023, age_band="0-17", combination="zvw")["n_using"] == 2
    assert _row(comb, jaar=2023, age_band="18-25", combination="none")["n_using"] == 1
    # the combinations of a year and band add up to its case-years
    sums = comb.groupby(["jaar", "age_band"])["n_using"].sum().to_dict()
    assert sums == {(2022, "0-17"): 3, (2022, "18-25"): 1, (2023, "0-17"): 4, (2023, "18-25"): 1}
    laws = result.tables["laws_by_year"]
    r = _row(laws, jaar=2022, age_band="all", measure="three_streams")
    assert (r["n_persons"], r["n_using"]) == (4, 2)  # K4 (4 streams), Y20 (3)
    r = _row(laws, jaar=2022, age_band="0-17", measure="three_laws")
    assert (r["n_persons"], r["n_using"]) == (3, 1)


def test_pgb_share_per_domain(result):
    pgb = result.tables["pgb_share"].set_index(["jaar", "domain"])[["n_persons", "n_using"]]
    assert pgb.apply(tuple, axis=1).to_dict() == {
        (2022, "zvw_home"): (1, 1), (2022, "wlz"): (2, 0), (2022, "wmo"): (2, 1), (2022, "jeugdwet"): (2, 1),
        (2023, "zvw_home"): (1, 0), (2023, "wlz"): (0, 0), (2023, "wmo"): (0, 0), (2023, "jeugdwet"): (1, 0)}


def test_decedents_and_death_on_the_first_of_a_month(result):
    dec = result.cohort.decedents.set_index("persoon_id")
    assert dec["age_at_death"].to_dict() == {"D1": 2, "D2": 15}
    eol = result.cohort.end_of_life
    d1 = eol[(eol["persoon_id"] == "D1")]
    months30 = d1[(d1["window_days"] == 30) & (d1["measure"] == "hospital")]["n_months"].iloc[0]
    assert months30 == 2  # February and March (January has no hospital line)
    flags = A.decedent_flags(result.cohort).set_index(["persoon_id", "window_days"])
    expect = {  # measure: (D1 30, D1 90, D2 30, D2 90)
        "hospital": (1, 1, 1, 1), "admissions": (0, 0, 0, 1), "intensive_care": (1, 1, 0, 0),
        "emergency": (1, 1, 1, 1), "palliative_activity": (0, 1, 0, 0), "wijkverpleging": (0, 0, 0, 0),
        "ikz_mkv": (1, 1, 0, 0), "wlz": (0, 0, 0, 0)}
    for measure, values in expect.items():
        got = tuple(int(flags.loc[(p, w), measure]) for p in ("D1", "D2") for w in (30, 90))
        assert got == values, measure
    assert flags.loc[("D2", 30), "emergency_volume"] == 2
    assert flags.loc[("D1", 30), "high_intensity"] == 1 and flags.loc[("D2", 30), "high_intensity"] == 1
    assert flags.loc[("D1", 90), "high_intensity"] == 1 and flags.loc[("D2", 90), "high_intensity"] == 1
    assert flags["hospital_death_month"].eq(1).all()
    table = result.tables["end_of_life"]
    r = _row(table, window_days=90, age_band="all", measure="palliative_activity")
    assert (r["n_persons"], r["n_using"]) == (2, 1)
    r = _row(table, window_days=30, age_band="all", measure="high_intensity")
    assert (r["n_persons"], r["n_using"], r["share"]) == (2, 2, 1.0)


def test_respite_per_region_and_year(result):
    year = result.tables["respite_by_year"].set_index(["jaar", "age_band"])[["n_persons", "n_using"]]
    assert year.apply(tuple, axis=1).to_dict() == {(2022, "0-17"): (3, 1), (2022, "18-25"): (1, 1),
                                                   (2023, "0-17"): (4, 0), (2023, "18-25"): (1, 0)}
    # reference year 2023: nobody had respite, so there is no national rate and no funnel
    reg = result.tables["respite_by_region"]
    assert set(reg["nik_region"]) == {"Utrecht", "Noordoost", "national"}
    assert reg["n_using"].eq(0).all() and "flag" not in reg


def test_respite_funnel_in_2022(warehouse):
    con = connect(warehouse)
    try:
        res = A.compute_landscape(con, LandscapeParams(reference_year=2022), progress=False)
    finally:
        con.close()
    reg = res.tables["respite_by_region"]
    r = _row(reg, age_band="0-17", nik_region="Utrecht")
    assert (r["n_persons"], r["n_using"]) == (3, 1)
    assert r["rate_per_1000"] == pytest.approx(1000 / 3)
    assert r["national_rate_per_1000"] == pytest.approx(1000 / 3) and r["flag"] == "within"
    assert r["expected"] == pytest.approx(1.0)


def test_hospital_type_and_indicators(result):
    ht = result.tables["hospital_type"]
    r = _row(ht, jaar=2022, age_band="0-17", measure="algemeen")
    assert (r["n_persons"], r["n_using"]) == (3, 1)  # K4, J1, D1 with hospital care; J1 general
    r = _row(ht, jaar=2023, age_band="0-17", measure="algemeen")
    assert (r["n_persons"], r["n_using"]) == (3, 2)  # J1, D1, D2; D1 and D2 general
    assert not (ht["measure"].str.startswith("palliative_") & (ht["jaar"] < 2023)).any()
    by = result.tables["hospital_type_by_group"]  # reference year 2023: J1, D1, D2 in Utrecht
    r = _row(by, group_by="nik_region", group="Utrecht", measure="algemeen")
    assert (r["n_persons"], r["n_using"]) == (3, 2)
    r = _row(by, group_by="diagnostic_group", group="neurology", measure="umc")
    assert (r["n_persons"], r["n_using"]) == (3, 2)  # J1 and D2 at a UMC in 2023
    assert _row(by, group_by="nik_region", group="Utrecht", measure="palliative_umc")["n_persons"] == 0
    ind = result.tables["indicators"].set_index(["jaar", "indicator"])
    # denominator on the prevalence's period basis: populatie on 1 July (1,000) plus the persons
    # alive and insured in the year but not on 1 July — in 2023 D1, who died on 1 March
    expect = {(2022, "llc_0_19"): (3, 1000), (2023, "llc_0_19"): (4, 1001),
              (2023, "deaths_llc_0_19"): (2, 4), (2022, "three_laws_0_17"): (1, 3), (2023, "three_laws_0_17"): (0, 4),
              (2022, "pgb_support"): (3, 4), (2023, "pgb_support"): (0, 2),
              (2022, "respite_0_17"): (1, 3), (2022, "respite_18_25"): (1, 1),
              (2022, "eol_high_intensity"): (0, 0), (2023, "eol_high_intensity"): (2, 2),
              (2023, "eol_palliative_activity"): (1, 2), (2022, "hospital_general_0_17"): (1, 3),
              (2023, "hospital_general_0_17"): (2, 3)}
    for key, (num, den) in expect.items():
        assert (ind.loc[key, "numerator"], ind.loc[key, "denominator"]) == (num, den), key
    assert (2022, "eol_palliative_activity") not in ind.index  # not claimable before 2023
    assert ind.loc[(2022, "llc_0_19"), "value"] == pytest.approx(30.0)  # 3 per 1,000 = 30 per 10,000
    assert ind.loc[(2023, "eol_high_intensity"), "value"] == pytest.approx(100.0)


def test_episodes_and_renewals(result):
    # Jeugdwet: K4 March 2022 (one month); J1 July 2022 and February 2023 (a gap of 6 months);
    # all inside each person's observed months, so complete
    ep = A.care_episodes(result.cohort)
    jw = ep[ep["law"] == "jeugdwet"].sort_values(["persoon_id", "start"])
    assert jw[["persoon_id", "length"]].values.tolist() == [["J1", 1], ["J1", 1], ["K4", 1]]
    assert jw["complete"].all() and jw["gap_to_next"].dropna().tolist() == [6]
    table = result.tables["episodes"]
    r = _row(table, law="jeugdwet", nik_region="all")
    assert (r["n_persons"], r["n_episodes"], r["n_complete"], r["n_followed"]) == (2, 3, 3, 1)
    assert (r["median_length_months"], r["median_gap_months"]) == (1.0, 6.0)
    # D1's IKZ in January 2023 ends before the month of death (March): complete
    assert _row(table, law="ikz_mkv", nik_region="all")["n_complete"] == 1
    # nobody had care of a law in December 2022 and again in 2023: no renewal to judge
    rn = result.tables["renewals"]
    assert set(rn["jaar"]) == {2023} and rn["n_persons"].eq(0).all()
    wi = result.tables["wlz_indications"].set_index("severe")
    assert set(wi.index) == {"all", "no"}  # VG7 is not flagged severe
    r = wi.loc["all"]
    assert (r["n_persons"], r["n_indications"], r["n_complete"], r["n_followed"], r["n_seamless"]) == (1, 2, 1, 1, 0)
    assert r["median_length_months"] == pytest.approx(334 / 30.44)
    assert r["median_gap_months"] == pytest.approx(31 / 30.44)


def test_bad_parameters_are_one_line_errors(warehouse):
    con = connect(warehouse)
    try:
        for params, match in ((LandscapeParams(years=(2019, 2023)), "outside the extract period"),
                              (LandscapeParams(reference_year=2021), "reference_year"),
                              (LandscapeParams(windows=(0,)), "windows"),
                              (LandscapeParams(age_max=15), "children and adults"),
                              (LandscapeParams(funnel_level=1.0), "funnel_level"),
                              (LandscapeParams(sources=("nope",)), "unknown source")):
            with pytest.raises(ParameterError, match=match):
                build_cohort(con, params)
    finally:
        con.close()

