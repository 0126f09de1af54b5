"""The generator's transition truth and the planted expected values, on hand-built inputs.

``transition_truth.chunk_truth`` is fed a hand-built chunk (persons, their support, hospital
and source lines, as ``care.generate`` records them) whose truth-side cohorts, follow-up, gap
and time to adult care are worked out by hand; ``planted`` is fed curves with a known jump.
The end-to-end check that the pipeline reproduces this truth on generated extracts is
``tests/test_validation_transition.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.synthetic import planted as PL
from kpz_analytics.synthetic import transition_truth as TT
from kpz_analytics.synthetic.care import SUPPORT_DOMAINS, ChunkCare
from kpz_analytics.synthetic.population import NEVER, Persons, day, month_start

YEARS = (2018, 2021)


def _m(y, m):
    """Month number since 1970-01."""
    return (y - 1970) * 12 + m - 1


# persons: birth month, ins_start, ins_end, death (or None), sample, llc
PEOPLE = {
    # M18 2020-06 (birthday 2020-06-15), LLC code line 2018-02-05: found at e -28
    "a_gap": (_m(2002, 6), day(2002, 6, 1), NEVER, None, False, True),
    # same, dies 2020-09-20 (e +3): followup_end 3, death; not gap-eligible; died before adult care
    "b_dies": (_m(2002, 6), day(2002, 6, 1), day(2020, 9, 20), day(2020, 9, 20), False, True),
    # found only by IKZ in 2020-03 = e -3 for M18 2020-06: too late (found_by -6) -> no cohort
    "c_late": (_m(2002, 6), day(2002, 6, 1), NEVER, None, False, True),
    # comparison (in sample, never found), M18 2020-07; emigrates 2021-03-31 (e +8)
    "d_comp": (_m(2002, 7), day(2002, 7, 1), day(2021, 3, 31), None, True, False),
    # not in the sample, never found: no cohort
    "e_none": (_m(2002, 7), day(2002, 7, 1), NEVER, None, False, False),
    # M18 2019-12: months -24 .. -1 start before the period -> no cohort
    "f_early": (_m(2001, 12), day(2001, 12, 1), NEVER, None, False, True),
    # M18 2022-01: after the period: not a row at all
    "g_out": (_m(2004, 1), day(2004, 1, 1), NEVER, None, True, False),
}
IDS = list(PEOPLE)


def _persons():
    n = len(PEOPLE)
    bm = np.array([v[0] for v in PEOPLE.values()], np.int64)
    death = np.array([v[3] if v[3] is not None else NEVER for v in PEOPLE.values()], np.int64)
    return Persons(
        index=np.arange(n), birth_month=bm, birth_day=month_start(bm), sex=np.zeros(n, np.int64),
        province=np.full(n, 6), gemeente=np.zeros(n, np.int64),
        ins_start=np.array([v[1] for v in PEOPLE.values()], np.int64),
        ins_end=np.array([v[2] for v in PEOPLE.values()], np.int64), death=death,
        died_insured=death < NEVER, llc=np.array([v[5] for v in PEOPLE.values()]),
        group=np.where([v[5] for v in PEOPLE.values()], 2, -1), onset=np.zeros(n, np.int64))


def _lines(rows):
    """(person, start, end, domain, pgb) arrays from (id, start, end, domain, pgb) tuples."""
    p = np.array([IDS.index(r[0]) for r in rows], np.int64)
    s = np.array([r[1] for r in rows], np.int64)
    e = np.array([r[2] for r in rows], np.int64)
    d = np.array([SUPPORT_DOMAINS.index(r[3]) for r in rows], np.int64)
    g = np.array([r[4] for r in rows], bool)
    return p, s, e, d, g


SUPPORT = [
    # a_gap: Jeugdwet (pgb) e -6 .. 0, Wmo e +4 .. +6: gap (1, 2, 3), adult care at 4
    ("a_gap", day(2019, 12, 1), day(2020, 6, 14), "jeugdwet", True),
    ("a_gap", day(2020, 10, 1), day(2020, 12, 31), "wmo", False),
    # b_dies: Wlz (in kind) e -8 .. -5 only -> Wlz before 18 (in -6..-1), no support after
    ("b_dies", day(2019, 10, 1), day(2020, 1, 31), "wlz", False),
    # c_late: IKZ e -3 .. -1
    ("c_late", day(2020, 3, 1), day(2020, 5, 31), "ikz_mkv", False),
    # d_comp: Jeugdwet e -6 .. 0 and wijkverpleging from e +2 (2020-09) to the period end; the
    # wijkverpleging after emigration (2021-03-31) is not observable
    ("d_comp", day(2020, 1, 1), day(2020, 7, 14), "jeugdwet", False),
    ("d_comp", day(2020, 9, 1), day(2021, 12, 31), "wijkverpleging", False),
]
HOSPITAL = [
    # a_gap: paediatric line across the birthday (e 0) and an adult line in e +1
    ("a_gap", day(2020, 6, 10), day(2020, 6, 20), "0316"),
    ("a_gap", day(2020, 7, 1), day(2020, 7, 2), "0313"),
]
SOURCES = {
    "hospital_llc_code": [("a_gap", day(2018, 2, 5)), ("b_dies", day(2018, 2, 5)), ("f_early", day(2018, 2, 5))],
    "ikz_mkv": [("c_late", day(2020, 3, 1))],
}


@pytest.fixture(scope="module")
def truth():
    persons = _persons()
    care = ChunkCare(
        tables={}, support=_lines(SUPPORT), successor_delay_days=np.array([]),
        sources={k: (np.array([IDS.index(p) for p, _ in v]), np.array([d for _, d in v]))
                 for k, v in SOURCES.items()},
        hospital=(np.array([IDS.index(r[0]) for r in HOSPITAL]), np.array([r[1] for r in HOSPITAL]),
                  np.array([r[2] for r in HOSPITAL]), np.array([r[3] for r in HOSPITAL])))
    in_sample = np.array([v[4] for v in PEOPLE.values()])
    return TT.chunk_truth(persons, np.ones(len(IDS), bool), in_sample, care, "cohort_sample", YEARS,
                          np.array(IDS))


def test_rows_and_cohorts(truth):
    p = truth.persons.set_index("persoon_id")
    assert sorted(p.index) == sorted(set(IDS) - {"g_out"})  # M18 outside the period: no row
    assert p["cohort"].to_dict() == {"a_gap": "llc", "b_dies": "llc", "c_late": "", "d_comp": "comparison",
                                     "e_none": "", "f_early": ""}
    assert p.loc["a_gap", "found_event_month"] == -28 and p.loc["c_late", "found_event_month"] == -3
    assert pd.isna(p.loc["d_comp", "found_event_month"])
    assert p.loc["f_early", "step_window"] == 0 and p.loc["a_gap", "first_hospital_llc_code"] == "2018-02-05"
    assert p.loc["a_gap", "month_18"] == "2020-06" and p.loc["a_gap", "nik_region"] == "Utrecht"
    assert p.loc["a_gap", "diagnostic_group"] == list(TT.GROUPS)[2]


def test_follow_up_support_gap_and_adult_care(truth):
    p = truth.persons.set_index("persoon_id")
    cols = ["followup_end", "censor_reason", "support_before", "wlz_before", "pgb_before", "gap_eligible",
            "care_time", "care_event", "care_status"]
    got = {pid: tuple(p.loc[pid, cols]) for pid in ("a_gap", "b_dies", "d_comp")}
    assert got == {
        # 2020-06 .. 2021-12: 19 months; gap months 1-3; Wmo at 4
        "a_gap": (18, "end_of_data", 1, 0, 1, 1, 4, 1, 1),
        # dies in e +3; Wlz in -6, -5; no adult care before death
        "b_dies": (3, "death", 1, 1, 0, 0, 3, 0, 2),
        # emigrates in e +8: not followed through +11; wijkverpleging from e +2
        "d_comp": (8, "insurance_end", 1, 0, 0, 0, 2, 1, 1),
    }
    assert p.loc["a_gap", "gap"] == 1 and pd.isna(p.loc["b_dies", "gap"])
    assert p.loc["d_comp", "first_adult_care_month"] == 2


def test_curves(truth):
    at, use = truth.at_risk, truth.using
    k = TT.MONTHS_BEFORE  # index of event month 0
    llc, comp = TT.COHORTS.index("llc"), TT.COHORTS.index("comparison")
    j = {o: TT.OUTCOMES.index(o) for o in TT.OUTCOMES}
    assert at[llc, 0] == 2 and at[llc, k + 3] == 2 and at[llc, k + 4] == 1  # b_dies followed to +3
    assert at[comp, k + 8] == 1 and at[comp, k + 9] == 0
    # month 0: a_gap's Jeugdwet (to the 14th) and paediatric line; -1: Jeugdwet of a_gap
    assert use[llc, k, j["jeugdwet_any"]] == 1 and use[llc, k, j["hospital_paediatric"]] == 1
    assert use[llc, k + 1, j["hospital_adult"]] == 1 and use[llc, k + 1, j["any_support"]] == 0
    assert use[llc, k + 4, j["wmo_any"]] == 1 and use[llc, k + 4, j["adult_successor"]] == 1
    assert use[llc, k - 6, j["wlz_any"]] == 1 and use[llc, k - 4, j["wlz_any"]] == 0
    assert use[llc, k - 1, j["pgb_support"]] == 1  # a_gap's pgb Jeugdwet
    # comparison: wijkverpleging e +2 .. +8 while insured, nothing after emigration
    assert [use[comp, k + e, j["wijkverpleging"]] for e in range(1, 11)] == [0, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    table = TT.curves_table(at, use)
    assert len(table) == len(TT.COHORTS) * len(TT.OUTCOMES) * TT.N_MONTHS
    row = table[(table.cohort == "llc") & (table.outcome == "jeugdwet_any") & (table.event_month == 0)]
    assert row["share_using"].item() == 0.5


# --------------------------------------------------------------------------- Kaplan-Meier
def test_km_quantile_rules():
    # S(1) = 3/4 and S(2) = 3/4 * 2/3 = 1/2 exactly, flat until the next event at 4: the median is
    # the midpoint (2 + 4) / 2 and the 25th percentile (1 + 2) / 2 (R quantile.survfit)
    t = np.array([1, 2, 3, 4.0])
    e = np.array([1, 1, 0, 1])
    assert TT.km_quantile(t, e, 0.5) == 3.0
    assert TT.km_quantile(t, e, 0.25) == 1.5
    assert TT.km_quantile(t, e, 0.75) == 4.0
    assert np.isnan(TT.km_quantile(t, np.zeros(4), 0.5))
    # hand: S(1) = 4/5, S(2) = 4/5 * 3/4 = 0.6, S(3) = 0.6 * 1/2 = 0.3 -> median 3
    assert TT.km_quantile(np.array([1, 2, 3, 3, 6.0]), np.array([1, 1, 1, 0, 1]), 0.5) == 3.0
    assert TT.km_reached(np.array([1, 2, 3, 3, 6.0]), np.array([1, 1, 1, 0, 1]), 2) == pytest.approx(0.4)
    assert np.isnan(TT.km_reached(np.array([1, 2.0]), np.array([0, 0]), 5))


# --------------------------------------------------------------------------- planted jumps
def _curves(fn_llc, fn_comp, n=1000):
    rows = []
    for cohort, fn in (("llc", fn_llc), ("comparison", fn_comp)):
        for e in range(-24, 24):
            for o in TT.OUTCOMES:
                rows.append((cohort, o, e, n, round(fn(e) * n)))
    return pd.DataFrame(rows, columns=["cohort", "outcome", "event_month", "n_at_risk", "n_using"]).assign(seed=1)


def test_limit_at_cutoff_is_exact_for_a_quadratic():
    mu = pd.Series({e: 0.3 + 0.01 * e + 0.002 * e * e for e in range(-24, 24)})
    assert PL.limit_at_cutoff(mu, "left") == pytest.approx(0.3, abs=1e-12)
    assert PL.limit_at_cutoff(mu, "right") == pytest.approx(0.3, abs=1e-12)
    assert PL.limit_at_cutoff(mu, "left", window=3, degree=1) != pytest.approx(0.3, abs=1e-6)


def test_planted_jumps_recover_a_known_jump():
    # LLC: linear trend with a jump of -0.200 at 0 (month 0 on the after curve); comparison -0.050
    llc = lambda e: 0.5 + 0.002 * e - (0.2 if e >= 0 else 0.0)  # noqa: E731
    comp = lambda e: 0.2 - (0.05 if e >= 0 else 0.0)  # noqa: E731
    j = PL.jumps(_curves(llc, comp, n=100_000)).set_index(["cohort", "outcome", "spec"])
    for spec in ("main", "donut"):
        assert j.loc[("llc", "any_support", spec), "value"] == pytest.approx(-0.2, abs=1e-4)
        assert j.loc[("comparison", "any_support", spec), "value"] == pytest.approx(-0.05, abs=1e-4)
        assert j.loc[("difference", "any_support", spec), "value"] == pytest.approx(-0.15, abs=1e-4)
        r = j.loc[("llc", "any_support", spec)]
        assert r["value_min"] <= r["value"] <= r["value_max"]


def test_planted_month_zero_spike_is_main_not_donut():
    # month 0 alone is high (half child, half adult): main sees it, the donut does not
    llc = lambda e: 0.4 + (0.3 if e == 0 else 0.0) + (-0.1 if e >= 1 else 0.0)  # noqa: E731
    j = PL.jumps(_curves(llc, lambda e: 0.1, n=100_000)).set_index(["cohort", "outcome", "spec"])
    assert j.loc[("llc", "wmo_any", "main"), "value"] == pytest.approx(0.3, abs=1e-4)
    assert j.loc[("llc", "wmo_any", "donut"), "value"] == pytest.approx(-0.1, abs=1e-4)


def test_stored_planted_values_exist_and_are_consistent():
    doc = PL.load_planted((2019, 2024))
    assert doc is not None, "synthetic/planted/transition_2019-2024.json is missing"
    v = PL.values_frame(doc)
    jumps = v[v["quantity"] == "rd_jump"]
    assert set(jumps["outcome"]) == set(TT.OUTCOMES)
    assert ((jumps["value_min"] <= jumps["value"] + 1e-12) & (jumps["value"] <= jumps["value_max"] + 1e-12)).all()
    # the stored jumps are those of the stored curves
    curves = pd.DataFrame(doc["curves"]).assign(seed=0)
    again = PL.jumps(curves).set_index(["cohort", "outcome", "spec"])["value"]
    stored = jumps.set_index(["cohort", "outcome", "spec"])["value"]
    assert np.allclose(again.loc[stored.index], stored, atol=1e-9)
    # mechanism checks: IKZ cannot continue after 18 (the donut jump is minus the share before),
    # Wlz has no jump, and adult care rises for LLC persons
    ikz = doc_curve(doc, "llc", "ikz_mkv")
    assert stored[("llc", "ikz_mkv", "donut")] == pytest.approx(-ikz[-1], abs=0.02)
    assert abs(stored[("llc", "wlz_any", "main")]) < 0.01
    assert stored[("llc", "adult_successor", "main")] > 0.1


def doc_curve(doc, cohort, outcome):
    c = pd.DataFrame(doc["curves"])
    c = c[(c["cohort"] == cohort) & (c["outcome"] == outcome)]
    return c.set_index("event_month")["share_using"]


# --------------------------------------------------------------------------- scenario
def test_anticipation_changes_only_youth_care_before_18(tmp_path):
    """The scenario cuts Jeugdwet 1-3 months before 18 for some persons; every other file is the
    default extract's, and the truth curves fall in months -2 .. 0 only."""
    import json

    from kpz_analytics.synthetic import write_extract

    kw = dict(seed=3, design="cohort_sample", fmt="csv", scale=0.01, years=(2019, 2024), progress=False)
    base = write_extract(tmp_path / "base", **kw)
    ant = write_extract(tmp_path / "ant", scenario="anticipation", **kw)
    differing = {t for t in base["files"] if base["files"][t]["sha256"] != ant["files"][t]["sha256"]}
    assert differing == {"jeugdwet"}
    assert ant["extract_id"] == base["extract_id"] + "-anticipation"
    truth_ant = json.loads((tmp_path / "ant" / "_truth" / "truth.json").read_text())
    truth_base = json.loads((tmp_path / "base" / "_truth" / "truth.json").read_text())
    assert truth_ant["scenario"] == "anticipation" and truth_base["scenario"] is None
    # each carries the planted values stored for its period and scenario
    assert truth_base["transition"]["planted"]["source"] == "synthetic/planted/transition_2019-2024.json"
    assert truth_ant["transition"]["planted"]["source"].endswith("transition_2019-2024_anticipation.json")
    assert truth_base["transition"]["n_persons"]["llc"] > 0
    b = pd.read_csv(tmp_path / "base" / "_truth" / "transition_curves.csv")
    a = pd.read_csv(tmp_path / "ant" / "_truth" / "transition_curves.csv")
    m = b.merge(a, on=["cohort", "outcome", "event_month"], suffixes=("_base", "_ant"))
    assert (m["n_at_risk_base"] == m["n_at_risk_ant"]).all()
    jw = m[m["outcome"] == "jeugdwet_any"].groupby("event_month")[["n_using_base", "n_using_ant"]].sum()
    assert (jw.loc[:-3, "n_using_base"] == jw.loc[:-3, "n_using_ant"]).all()
    assert (jw.loc[-2:0, "n_using_ant"] <= jw.loc[-2:0, "n_using_base"]).all()
    assert jw.loc[-1, "n_using_ant"] < jw.loc[-1, "n_using_base"]
    assert (jw.loc[1:, "n_using_base"] == jw.loc[1:, "n_using_ant"]).all()  # extensions untouched
    other = m[~m["outcome"].isin(["jeugdwet_any", "any_support", "pgb_support"])]
    assert (other["n_using_base"] == other["n_using_ant"]).all()
    with pytest.raises(Exception, match="unknown scenario 'nope'"):
        write_extract(tmp_path / "x", scenario="nope", **kw)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_truth_tables_written_chunk_by_chunk_equal_the_whole_table(tmp_path, fmt):
    """The generator appends truth tables chunk by chunk (bounded memory); a chunk without rows
    (a national chunk of persons who are never 18 in the period) neither fixes the column types
    nor repeats the CSV header, and the file reads back as the concatenated table."""
    from kpz_analytics.synthetic.truth import _Spool

    chunks = [pd.DataFrame({"persoon_id": pd.Series([], dtype=object), "gap": pd.array([], dtype="Int64")}),
              pd.DataFrame({"persoon_id": ["a", "b"], "gap": pd.array([1, None], dtype="Int64")}),
              pd.DataFrame({"persoon_id": pd.Series([], dtype=object), "gap": pd.array([], dtype="Int64")}),
              pd.DataFrame({"persoon_id": ["c"], "gap": pd.array([0], dtype="Int64")})]
    spool = _Spool(tmp_path / f"t.{fmt}")
    for c in chunks:
        spool.append(c)
    spool.close()
    whole = pd.concat(chunks[1::2], ignore_index=True)
    got = pd.read_csv(tmp_path / "t.csv", dtype={"gap": "Int64"}) if fmt == "csv" else \
        pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(got, whole)
    if fmt == "csv":
        assert (tmp_path / "t.csv").read_text() == whole.to_csv(index=False)
    empty = _Spool(tmp_path / f"e.{fmt}")
    empty.append(chunks[0])
    empty.close()
    assert (tmp_path / f"e.{fmt}").exists()
