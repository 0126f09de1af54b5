"""Numerator and denominator on one basis (issue 15, section 2), pinned on births, deaths,
emigration and immigration either side of 1 July 2022.

The hand-built warehouse of test_cases.py (period 2019-2023, ``cohort_sample`` design, sample
fraction 0.05, populatie 100 per age x sex x province) gets these persons, every one with an
LLC-coded hospital line in 2022 unless said otherwise:

| id | event in 2022 | period basis 2022 | point basis (1 July 2022) |
|---|---|---|---|
| B1 | born March 2022 | case, age 0 | case, age 0 |
| B2 | born September 2022 (line in October) | case, age 0 | not alive yet |
| D1 | dies 1 May 2022 (age 6) | case | dead |
| D2 | dies 1 August 2022 (age 6) | case | case |
| E1 | emigrates 31 March 2022 (age 8) | case | not insured |
| I1 | immigrates 1 October 2022 (age 8; line in November) | case | not insured yet |
| S1 | born October 2022, random sample, no LLC | not a case; weight 20 in the denominator | - |
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kpz_analytics.analyses import prevalence as P
from kpz_analytics.cohorts import cases as C

sys.path.insert(0, str(Path(__file__).parent))
from test_cases import build_fixture  # noqa: E402

NEW = [  # id, born, died, sample, insured from, insured to, line date
    ("B1", "2022-03-01", None, False, "2022-03-15", "2023-12-31", "2022-04-01"),
    ("B2", "2022-09-01", None, False, "2022-09-15", "2023-12-31", "2022-10-01"),
    ("D1", "2016-01-01", "2022-05-01", False, "2019-01-01", "2022-05-01", "2022-02-01"),
    ("D2", "2016-01-01", "2022-08-01", False, "2019-01-01", "2022-08-01", "2022-02-01"),
    ("E1", "2014-01-01", None, False, "2019-01-01", "2022-03-31", "2022-02-01"),
    ("I1", "2014-01-01", None, False, "2022-10-01", "2023-12-31", "2022-11-01"),
    ("S1", "2022-10-01", None, True, "2022-10-15", "2023-12-31", None),
]


@pytest.fixture(scope="module")
def con():
    c = build_fixture(design="cohort_sample")
    for pid, born, died, sample, start, end, line in NEW:
        c.execute("insert into mart_person values (?, ?::date, ?::date + 14, ?::date + interval 18 year, "
                  "'M', 'PV26', null, 'Utrecht', ?::date, ?, null, null)", [pid, born, born, born, died, sample])
        c.execute("insert into mart_insured_period values (?, ?::date, ?::date)", [pid, start, end])
        if line:
            c.execute("insert into mart_diagnosis values (?, ?, ?::date, ?::date, 'Q913', '0316', "
                      "'paediatrics', 'umc')", [pid, f"L{pid}", line, line])
    C.build_cohort_tables(c)
    yield c
    c.close()


def _cases_2022(con, basis):
    t = C.find_cases(con, C.CaseParams(basis=basis, years=(2022, 2022)))
    llc = C.llc_cases(t)
    return set(llc.loc[llc["persoon_id"].isin([n[0] for n in NEW]), "persoon_id"])


def test_insured_on_1_july(con):
    py = con.execute("select persoon_id, jaar, insured_1july, leeftijd from cohort_person_year "
                     "where jaar = 2022").df().set_index("persoon_id")
    assert py.loc["B1", "insured_1july"] and not py.loc["B2", "insured_1july"]
    assert not py.loc["D1", "insured_1july"] and py.loc["D2", "insured_1july"]
    assert not py.loc["E1", "insured_1july"] and not py.loc["I1", "insured_1july"]
    assert py.loc["B2", "leeftijd"] == 0 and py.loc["S1", "leeftijd"] == 0


def test_numerator_per_basis(con):
    assert _cases_2022(con, "period") == {"B1", "B2", "D1", "D2", "E1", "I1"}
    assert _cases_2022(con, "point") == {"B1", "D2"}
    t = C.find_cases(con, C.CaseParams(basis="point", years=(2023, 2023)))
    assert {"B1", "B2", "I1"} <= set(C.llc_cases(t)["persoon_id"])  # all insured on 1 July 2023


def test_denominator_per_basis(con):
    point = C.CaseParams(basis="point", years=(2022, 2022))
    period = C.CaseParams(basis="period", years=(2022, 2022))
    d_point = P.denominators(con, point.validated((2019, 2023)), ["age_group"]).set_index("age_group")
    d_period = P.denominators(con, period.validated((2019, 2023)), ["age_group"]).set_index("age_group")
    # point: populatie only (100 x 2 sexes x 2 provinces per age)
    assert d_point.loc["<1", "population"] == 400 and d_point.loc["5-9", "population"] == 2000
    # period: + persons alive and insured in 2022 but not on 1 July, with the design weight:
    # <1: B2 (selection, 1) + S1 (random sample, 1 / 0.05 = 20); 5-9: D1 (6) and E1, I1 (8)
    assert d_period.loc["<1", "population"] == pytest.approx(400 + 1 + 20)
    assert d_period.loc["<1", "population_not_1july"] == pytest.approx(21)
    assert d_period.loc["5-9", "population"] == pytest.approx(2000 + 3)
    assert d_period.loc["1-4", "population"] == pytest.approx(1600)


def test_rates_share_the_basis(con):
    rows = {}
    for basis in ("period", "point"):
        res = P.compute_prevalence(con, C.CaseParams(basis=basis, years=(2022, 2022)),
                                   capture_recapture=False, sensitivity=False, progress=False)
        t = res.tables["prevalence_by_age_group"]
        rows[basis] = t[(t["measure"] == "llc") & (t["age_group"] == "<1")].iloc[0]
        assert (res.tables["prevalence_by_year"]["basis"] == basis).all()
    # under 1 in 2022: period counts B1 and B2 over 421 persons, point counts B1 over 400
    assert rows["period"]["n_cases"] == 2 and rows["period"]["population"] == pytest.approx(421)
    assert rows["point"]["n_cases"] == 1 and rows["point"]["population"] == 400
    assert rows["point"]["rate_per_10000"] == pytest.approx(1 / 400 * 10_000)


def test_bad_basis(con):
    from kpz_analytics.errors import ParameterError

    with pytest.raises(ParameterError, match="basis must be one of period, point"):
        C.find_cases(con, C.CaseParams(basis="midyear"))
