"""The transition cohorts and their panel on a hand-built extract, with exact expected results.

A tiny spec-v1 extract (``extract_builder``) goes through the real ingest, marts and
``sql/transition``; every person below exercises one rule of ``docs/transition.md`` and the
comment beside it works out by hand what the cohort, the follow-up, the panel and the gap must
be. Period 2018-01-01 … 2021-12-31 (48 months), design ``cohort_sample``; default parameters
(months −24 … +23, found by −6, support window 6, gap window 12, gap length 3) unless a test
says otherwise.

Conventions used in the comments: M18 = ``geboortemaand`` + 18 years, birthday = the 15th of
M18, event month e = calendar months from M18. "found" = the first observable month in which
a source sees the person. Every LLC person is found by a hospital line with an LLC ICD-10 code
(G71.0, neurology) unless the comment says otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd
import pytest

from extract_builder import build_extract, dot_line, insured, municipal_line, person, wlz_indication, wlz_line, zvw_line
from kpz_analytics.cohorts import transition as T
from kpz_analytics.errors import KpzError, ParameterError
from kpz_analytics.warehouse.connect import connect
from kpz_analytics.warehouse.ingest import ingest

PERIOD = ("2018-01-01", "2021-12-31")
EARLY_LLC = dict(begindatum="2018-02-05", einddatum="2018-02-05")  # found in 2018-02


def _person(pid, born, *, died=None, sample="0", sex="M", province="PV26"):
    return person(pid, geboortemaand=born, overlijdensdatum=died, in_steekproef=sample, geslacht=sex,
                  provincie_code=province, gemeente_code=None)


def _llc(pid, n=1, **kw):
    """An LLC-coded hospital line (the case-finding source hospital_llc_code)."""
    return dot_line(f"dl{n}_{pid}", pid, icd10="G71.0", **{**EARLY_LLC, **kw})


def _jw(did, pid, begin, end, **kw):
    return municipal_line(did, pid, productcategorie="45", product_code="45A01", begindatum=begin,
                          einddatum=end, eenheid="uur", leveringsvorm="zin", **kw)


def _wmo(did, pid, begin, end, **kw):
    return municipal_line(did, pid, productcategorie="02", product_code="02A01", begindatum=begin,
                          einddatum=end, eenheid="uur", leveringsvorm="zin", **kw)


def _zvw(did, pid, zorgsoort, begin, end, **kw):
    return zvw_line(did, pid, zorgsoort=zorgsoort, begindatum=begin, einddatum=end, **kw)


# persoon_id, geboortemaand, person kwargs, insured periods (begin, end)
PERSONS = {
    # --- A: the window and the period edges
    # M18 2020-01: months -24..-1 = 2018-01..2019-12, exactly inside -> in. Follow-up 0..23 =
    # 2020-01..2021-12: all 24 months -> followup_end 23, window_end (also the end of the data,
    # window_end is said first). Found 2018-02 = e -23.
    "A_m24": ("2002-01", {}, [("2002-01-01", None)]),
    # M18 2019-12: month -24 = 2017-12 lies before the period -> out at window_in_period.
    "A_m23": ("2001-12", {}, [("2001-12-01", None)]),
    # M18 2021-12 = the last month of the period -> in, followup_end 0, end_of_data.
    "A_last": ("2003-12", {}, [("2003-12-01", None)]),
    # M18 2018-01 = the first month of the period: found in 2018-02 = e +1 -> out at found_by
    # (nobody can be found 6 months before a birthday month at the period start).
    "A_first": ("2000-01", {}, [("2000-01-01", None)]),
    # M18 2022-01 after the period -> never a candidate (m18_in_period).
    "A_out": ("2004-01", {}, [("2004-01-01", None)]),
    # --- B: death, emigration, insurance (M18 2020-03, birthday 2020-03-15, unless said)
    # dies 2020-03-14, the day before the birthday -> out at alive_insured_at_18.
    "B_d14": ("2002-03", {"died": "2020-03-14"}, [("2002-03-01", None)]),
    # dies on the birthday: insured through the day of death -> in, followup_end 0, death.
    "B_d15": ("2002-03", {"died": "2020-03-15"}, [("2002-03-01", None)]),
    # dies 2020-11-02 (e +8) -> followup_end 8, death.
    "B_dlater": ("2002-03", {"died": "2020-11-02"}, [("2002-03-01", None)]),
    # M18 2020-04, emigrates 2020-09-10 (e +5) -> followup_end 5, insurance_end.
    "B_emig": ("2002-04", {}, [("2002-04-01", "2020-09-10")]),
    # M18 2020-05, uninsured Aug-Sep 2020 (e +3, +4) -> followup_end 2 (July), insurance_end;
    # the months after the insurance gap are not followed.
    "B_insgap": ("2002-05", {}, [("2002-05-01", "2020-07-31"), ("2020-10-01", None)]),
    # M18 2020-05, uninsured all of 2019-02 (e -15) -> out at observed_before.
    "B_gapbefore": ("2002-05", {}, [("2002-05-01", "2019-01-31"), ("2019-03-01", None)]),
    # M18 2020-05, uninsured 2019-02-02..2019-02-27 only: insured on a day of every month -> in,
    # followup 2020-05..2021-12 -> followup_end 19, end_of_data.
    "B_partial": ("2002-05", {}, [("2002-05-01", "2019-02-01"), ("2019-02-28", None)]),
    # M18 2020-01, arrives 2018-01-31: one insured day in month -24 -> in (found 2018-02, e -23),
    # followup_end 23, window_end.
    "B_imm_in": ("2002-01", {}, [("2018-01-31", None)]),
    # M18 2020-01, arrives 2018-02-01: month -24 not observable -> out at observed_before.
    "B_imm_out": ("2002-01", {}, [("2018-02-01", None)]),
    # --- C: found at 17½ (M18 2020-08); found only by an intensieve kindzorg line
    # IKZ in 2020-02 = e -6 -> in (and supported before 18, no support after: a gap); no LLC
    # hospital code -> diagnostic group no_llc_code. followup_end 16, end_of_data.
    "C_f6": ("2002-08", {}, [("2002-08-01", None)]),
    # IKZ in 2020-03 = e -5 -> out at found_by_17_5.
    "C_f5": ("2002-08", {}, [("2002-08-01", None)]),
    # --- D: comparison persons (in_steekproef = 1, never found), M18 2020-07 unless said
    # Jeugdwet -6..0, nothing after: a gap. followup_end 17, end_of_data.
    "D_in": ("2002-07", {"sample": "1"}, [("2002-07-01", None)]),
    # M18 2020-06: Jeugdwet -6..0, Wmo from +1: no gap.
    "D_in2": ("2002-06", {"sample": "1", "sex": "V"}, [("2002-06-01", None)]),
    # not in the sample: in neither cohort.
    "D_notsample": ("2002-07", {}, [("2002-07-01", None)]),
    # M18 2018-01 -> comparison candidate out at window_in_period.
    "D_first": ("2000-01", {"sample": "1"}, [("2000-01-01", None)]),
    # dies 2019-05-31 -> out at alive_insured_at_18.
    "D_dead": ("2002-07", {"sample": "1", "died": "2019-05-31"}, [("2002-07-01", None)]),
    # in the sample but found by a severe (VG5) Wlz indication from 2018-06 (e -25): LLC cohort.
    "D_found": ("2002-07", {"sample": "1"}, [("2002-07-01", None)]),
    # four more comparison persons without any care (for the seeded subset)
    **{f"D_s{k}": ("2002-09", {"sample": "1"}, [("2002-09-01", None)]) for k in range(1, 5)},
    # --- E: support and the gap; M18 2020-06 (birthday 2020-06-15), followup_end 18, end_of_data
    "E_gap": ("2002-06", {}, [("2002-06-01", None)]),
    "E_nogap": ("2002-06", {}, [("2002-06-01", None)]),
    "E_ext": ("2002-06", {}, [("2002-06-01", None)]),
    "E_cross": ("2002-06", {"sex": "V"}, [("2002-06-01", None)]),
    "E_credit": ("2002-06", {"sex": "V"}, [("2002-06-01", None)]),
    "E_nosup": ("2002-06", {}, [("2002-06-01", None)]),
    # emigrates 2021-02-10 (e +8): followup_end 8, not observed through month 11.
    "E_short": ("2002-06", {}, [("2002-06-01", "2021-02-10")]),
    "E_wijk": ("2002-06", {}, [("2002-06-01", None)]),
    # dies 2020-09-20 (e +3) before any adult care.
    "E_dies": ("2002-06", {"died": "2020-09-20"}, [("2002-06-01", None)]),
}

JW_BEFORE = ("2019-12-01", "2020-06-14")  # Jeugdwet e -6 .. 0 (ends the day before the birthday)

LINES = {
    "dot": [
        *[_llc(p) for p in PERSONS if p[0] in "ABE" and p not in ("B_imm_in", "B_imm_out")],
        _llc("B_imm_in", begindatum="2018-03-10", einddatum="2018-03-10"),
        _llc("B_imm_out", begindatum="2018-03-10", einddatum="2018-03-10"),
        # E_cross: a paediatric line across the birthday, 11 days in month 0, and an adult line
        dot_line("dp_E_cross", "E_cross", icd10="J18.9", specialisme="0316", begindatum="2020-06-10",
                 einddatum="2020-06-20", bedrag="1100.00"),
        dot_line("da_E_cross", "E_cross", icd10=None, specialisme="0313", begindatum="2020-07-01",
                 einddatum="2020-07-02", bedrag="200.00"),
    ],
    "zvw_overig": [
        _zvw("ikz_C_f6", "C_f6", "intensieve_kindzorg", "2020-02-01", "2020-02-29"),
        _zvw("ikz_C_f5", "C_f5", "intensieve_kindzorg", "2020-03-01", "2020-03-31"),
        # E_wijk: IKZ e -6..0, wijkverpleging from +3 (Sep 2020) to +12: no gap, adult care at 3
        _zvw("ikz_E_wijk", "E_wijk", "intensieve_kindzorg", *JW_BEFORE),
        _zvw("wv_E_wijk", "E_wijk", "wijkverpleging", "2020-09-01", "2021-06-30"),
    ],
    "wlz_indicaties": [
        wlz_indication("ind_D_found", "D_found", zorgprofiel="VG5", begindatum="2018-06-01", einddatum=None),
    ],
    "wlz_declaraties": [
        # E_cross: Wlz verblijf in +5 (Nov 2020): adult successor care at 5
        wlz_line("wlz_E_cross", "E_cross", begindatum="2020-11-01", einddatum="2020-11-30", aantal="30",
                 bedrag="3000"),
    ],
    "jeugdwet": [
        # months -6..0 for the persons supported by Jeugdwet
        *[_jw(f"jw_{p}", p, *JW_BEFORE) for p in ("E_gap", "E_nogap", "E_credit", "E_short", "E_dies")],
        # E_ext: extended Jeugdwet, -6 .. +12 (2021-06): never a gap, no adult care
        _jw("jw_E_ext", "E_ext", "2019-12-01", "2021-06-30"),
        # E_cross: one line across the birthday, 52 days: May 12, June 30, July 10 (e -1, 0, +1)
        _jw("jw_E_cross", "E_cross", "2020-05-20", "2020-07-10", volume="52", bedrag="520.00"),
        # E_nosup: Jeugdwet in e -8 only: not supported in -6..-1
        _jw("jw_E_nosup", "E_nosup", "2019-10-01", "2019-10-31"),
        # comparison persons: D_in (M18 2020-07) -6..0; D_in2 (M18 2020-06) -6..0
        _jw("jw_D_in", "D_in", "2020-01-01", "2020-07-14"),
        _jw("jw_D_in2", "D_in2", *JW_BEFORE),
    ],
    "wmo": [
        # E_gap: Wmo +4..+6 (Oct-Dec 2020): months 1, 2, 3 without support -> gap; adult care at 4
        _wmo("wmo_E_gap", "E_gap", "2020-10-01", "2020-12-31"),
        # E_nogap: Wmo +2..+11: only month 1 without -> no gap; adult care at 2
        _wmo("wmo_E_nogap", "E_nogap", "2020-08-01", "2021-05-31"),
        # E_credit: a Wmo line in +1 credited without replacement (no care) ...
        _wmo("wmo1_E_credit", "E_credit", "2020-07-01", "2020-07-31", bedrag="100.00"),
        _wmo("wmoc1_E_credit", "E_credit", "2020-07-01", "2020-07-31", bedrag="-100.00", volume="-10",
             credit_voor_id="wmo1_E_credit"),
        # ... and a line in +6 (Dec 2020) credited and replaced with 110.00: care once, cost 110
        _wmo("wmo2_E_credit", "E_credit", "2020-12-01", "2020-12-31", bedrag="100.00"),
        _wmo("wmoc2_E_credit", "E_credit", "2020-12-01", "2020-12-31", bedrag="-100.00", volume="-10",
             credit_voor_id="wmo2_E_credit"),
        _wmo("wmo3_E_credit", "E_credit", "2020-12-01", "2020-12-31", bedrag="110.00"),
        # E_nosup: Wmo in +1 (not supported before: no gap classification)
        _wmo("wmo_E_nosup", "E_nosup", "2020-07-01", "2020-07-31"),
        # D_in2: Wmo from +1 (2020-07) on
        _wmo("wmo_D_in2", "D_in2", "2020-07-01", "2021-12-31"),
    ],
}


def build_tables(persons=PERSONS, lines=LINES):
    tables = {"personen": [], "verzekeringsperioden": []}
    for pid, (born, kw, periods) in persons.items():
        tables["personen"].append(_person(pid, born, **kw))
        for begin, end in periods:
            tables["verzekeringsperioden"].append(insured(pid, begindatum=begin, einddatum=end))
    return {**tables, **{k: list(v) for k, v in lines.items()}}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("transition")
    ext = build_extract(root, build_tables(), period=PERIOD, design="cohort_sample")
    result = ingest(ext, warehouse=root / "w.duckdb", progress=False)
    assert (result.dq_summary["rows_quarantined"] == 0).all()
    return result.warehouse


@pytest.fixture(scope="module")
def cohort(warehouse):
    con = connect(warehouse)
    try:
        return T.build_cohort(con)
    finally:
        con.close()


LLC_MEMBERS = {
    # persoon_id: (month_18, found_event_month, followup_end, censor_reason)
    "A_m24": ("2020-01", -23, 23, "window_end"),
    "A_last": ("2021-12", -46, 0, "end_of_data"),
    "B_d15": ("2020-03", -25, 0, "death"),
    "B_dlater": ("2020-03", -25, 8, "death"),
    "B_emig": ("2020-04", -26, 5, "insurance_end"),
    "B_insgap": ("2020-05", -27, 2, "insurance_end"),
    "B_partial": ("2020-05", -27, 19, "end_of_data"),
    "B_imm_in": ("2020-01", -22, 23, "window_end"),
    "C_f6": ("2020-08", -6, 16, "end_of_data"),
    "D_found": ("2020-07", -25, 17, "end_of_data"),
    **{p: ("2020-06", -28, 18, "end_of_data") for p in
       ("E_gap", "E_nogap", "E_ext", "E_cross", "E_credit", "E_nosup", "E_wijk")},
    "E_short": ("2020-06", -28, 8, "insurance_end"),
    "E_dies": ("2020-06", -28, 3, "death"),
}
COMPARISON_MEMBERS = {
    "D_in": ("2020-07", 17, "end_of_data"),
    "D_in2": ("2020-06", 18, "end_of_data"),
    **{f"D_s{k}": ("2020-09", 15, "end_of_data") for k in range(1, 5)},
}


def _persons(cohort, name):
    return cohort.persons[cohort.persons["cohort"] == name].set_index("persoon_id")


def test_llc_cohort_members_follow_up_and_censoring(cohort):
    p = _persons(cohort, "llc")
    assert sorted(p.index) == sorted(LLC_MEMBERS)
    got = {pid: (r.month_18.strftime("%Y-%m"), int(r.found_event_month), int(r.followup_end), r.censor_reason)
           for pid, r in p.iterrows()}
    assert got == LLC_MEMBERS


def test_comparison_cohort_members(cohort):
    p = _persons(cohort, "comparison")
    got = {pid: (r.month_18.strftime("%Y-%m"), int(r.followup_end), r.censor_reason) for pid, r in p.iterrows()}
    assert got == COMPARISON_MEMBERS
    assert not cohort.comparison_capped


def test_diagnostic_group_and_person_columns(cohort):
    p = _persons(cohort, "llc")
    # the LLC-coded line G71.0 (neurology) before M18; found by IKZ or Wlz only: no_llc_code
    assert p.loc["E_gap", "diagnostic_group"] == "neurology"
    assert p.loc["C_f6", "diagnostic_group"] == "no_llc_code"
    assert p.loc["D_found", "diagnostic_group"] == "no_llc_code"
    assert p.loc["E_cross", "geslacht"] == "V" and p.loc["E_cross", "nik_region"] == "Utrecht"
    c = _persons(cohort, "comparison")
    assert c["diagnostic_group"].isna().all()


def test_attrition_counts(cohort):
    a = cohort.attrition.set_index(["cohort", "name"])["n_persons"]
    # 26 persons are found by a source: all A, B, C and E persons and D_found
    assert a.loc[("llc", "found")] == 26
    assert a.loc[("llc", "m18_in_period")] == 25          # - A_out
    assert a.loc[("llc", "found_by_17_5")] == 23          # - A_first (e +1), C_f5 (e -5)
    assert a.loc[("llc", "window_in_period")] == 22       # - A_m23
    assert a.loc[("llc", "alive_insured_at_18")] == 21    # - B_d14
    assert a.loc[("llc", "observed_before")] == 19        # - B_gapbefore, B_imm_out
    # comparison: D_in, D_in2, D_first, D_dead, D_s1..4 (D_notsample is not in the sample,
    # D_found is found)
    assert a.loc[("comparison", "never_found")] == 8
    assert a.loc[("comparison", "m18_in_period")] == 8
    assert a.loc[("comparison", "window_in_period")] == 7  # - D_first
    assert a.loc[("comparison", "alive_insured_at_18")] == 6  # - D_dead
    assert a.loc[("comparison", "observed_before")] == 6
    assert a.loc[("comparison", "subset")] == 6
    n_excluded = cohort.attrition.set_index(["cohort", "name"])["n_excluded"]
    assert n_excluded.loc[("llc", "observed_before")] == 2
    assert pd.isna(n_excluded.loc[("llc", "found")])


def test_grid_covers_observable_months_up_to_followup_end(cohort):
    g = cohort.grid
    months = g.groupby("persoon_id")["event_month"].agg(["min", "max", "size"])
    # every member from -24; B_insgap -24..2 (29 months), A_last -24..0
    assert (months["min"] == -24).all()
    assert months.loc["B_insgap"].tolist() == [-24, 2, 27]
    assert months.loc["A_last"].tolist() == [-24, 0, 25]
    assert months.loc["A_m24"].tolist() == [-24, 23, 48]
    assert months.loc["B_partial"].tolist() == [-24, 19, 44]
    assert set(g["persoon_id"]) == set(LLC_MEMBERS) | set(COMPARISON_MEMBERS)


def test_panel_line_across_the_birthday(cohort):
    # E_cross's Jeugdwet line 2020-05-20..2020-07-10 (52 days, volume 52, cost 520): active in
    # e -1, 0, +1 with volume 12, 30, 10 and cost 120, 300, 100
    w = cohort.wide("jeugdwet_any")
    e = w[(w["persoon_id"] == "E_cross") & (w["any"] == 1)].set_index("event_month")
    assert e.index.tolist() == [-1, 0, 1]
    assert e["cost"].round(6).tolist() == [120.0, 300.0, 100.0]
    amb = cohort.wide("jeugdwet_ambulant")
    a = amb[(amb["persoon_id"] == "E_cross") & (amb["any"] == 1)].set_index("event_month")
    assert a["volume"].round(6).tolist() == [12.0, 30.0, 10.0]
    # the paediatric hospital line 2020-06-10..20 is in month 0 with its 11 days; the adult line
    # 2020-07-01..02 in +1 with 2 days
    hp = cohort.wide("hospital_paediatric")
    hp = hp[(hp["persoon_id"] == "E_cross") & (hp["any"] == 1)].set_index("event_month")
    assert hp["volume"].to_dict() == {0: 11.0}  # (its LLC line of 2018-02 is e -28: outside)
    ha = cohort.wide("hospital_adult")
    ha = ha[(ha["persoon_id"] == "E_cross") & (ha["any"] == 1)].set_index("event_month")
    assert ha["volume"].to_dict() == {1: 2.0}


def test_panel_credited_and_replaced_lines(cohort):
    # E_credit: the credited Wmo line of +1 is no care; the replaced line of +6 counts once with
    # the replacement's cost 110
    w = cohort.wide("wmo_any")
    e = w[(w["persoon_id"] == "E_credit") & (w["any"] == 1)].set_index("event_month")
    assert e.index.tolist() == [6]
    assert e.loc[6, "cost"] == pytest.approx(110.0)
    assert cohort.wide("wmo_begeleiding").query("persoon_id == 'E_credit' and event_month == 6")["volume"].item() == 10.0


def test_panel_jeugdwet_extension_and_censoring(cohort):
    w = cohort.wide("jeugdwet_any")
    ext = w[(w["persoon_id"] == "E_ext") & (w["event_month"] >= 0)]
    # extended Jeugdwet: months 0..12 with care, 13..18 without; nothing after followup_end 18
    assert ext.loc[ext["any"] == 1, "event_month"].tolist() == list(range(0, 13))
    assert ext["event_month"].max() == 18
    # B_insgap is followed to month 2 only: no panel rows after the insurance gap
    assert w.loc[w["persoon_id"] == "B_insgap", "event_month"].max() == 2


def test_panel_any_support_composite(cohort):
    w = cohort.wide("any_support")
    # E_wijk: IKZ -6..0, wijkverpleging +3..+12
    e = w[(w["persoon_id"] == "E_wijk") & (w["any"] == 1)]["event_month"].tolist()
    assert e == list(range(-6, 1)) + list(range(3, 13))
    a = cohort.wide("adult_successor")
    assert a[(a["persoon_id"] == "E_wijk") & (a["any"] == 1)]["event_month"].tolist() == list(range(3, 13))
    # the composite has no volume (different units) but a cost
    assert w["volume"].isna().all() and w["cost"].notna().all()


def test_wide_marks_each_use_row_once_per_cohort_and_follows_a_replaced_use_table(cohort):
    members = cohort.grid[["persoon_id", "cohort"]].drop_duplicates()
    use = cohort.use.merge(members, on="persoon_id")
    for outcome in cohort.outcomes["outcome"]:
        for c in (None, *T.COHORTS):
            rows = use[(use["outcome"] == outcome) & ((use["cohort"] == c) if c else True)]
            w = cohort.wide(outcome, c)
            assert len(w) == (len(cohort.grid) if c is None else (cohort.grid["cohort"] == c).sum())
            assert w["any"].sum() == len(rows), (outcome, c)
    # wide() splits use and grid once; a copy with other rows, or a use table replaced in place,
    # is split again
    other = replace(cohort, use=cohort.use.iloc[:0])
    assert other.wide("jeugdwet_any")["any"].sum() == 0
    other.use = cohort.use
    assert other.wide("jeugdwet_any")["any"].sum() == (cohort.use["outcome"] == "jeugdwet_any").sum() > 0


# --------------------------------------------------------------------------- the seeded subset
def _md5_order(pids, seed):
    return sorted(pids, key=lambda p: hashlib.md5(f"{p}#{seed}".encode()).hexdigest())


@pytest.mark.parametrize("seed", [1, 7])
def test_seeded_comparison_subset(warehouse, seed):
    """The cap keeps the first comparison_size eligible persons in md5(persoon_id#seed) order."""
    con = connect(warehouse)
    try:
        c1 = T.build_cohort(con, T.TransitionParams(comparison_size=3, seed=seed))
        c2 = T.build_cohort(con, T.TransitionParams(comparison_size=3, seed=seed))
    finally:
        con.close()
    expected = _md5_order(COMPARISON_MEMBERS, seed)[:3]
    got = sorted(_persons(c1, "comparison").index)
    assert got == sorted(expected)
    assert got == sorted(_persons(c2, "comparison").index)  # deterministic
    assert c1.comparison_capped
    a = c1.attrition.set_index(["cohort", "name"])["n_persons"]
    assert a.loc[("comparison", "observed_before")] == 6 and a.loc[("comparison", "subset")] == 3
    # the LLC cohort is not touched by the cap
    assert sorted(_persons(c1, "llc").index) == sorted(LLC_MEMBERS)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("params, message", [
    (dict(months_before=49), "months_before 49: the window before 18 does not fit in the extract period (48 months)"),
    (dict(outcomes=("nope",)), "unknown outcome nope"),
    (dict(gap_length=0), "gap_length must be 1 to gap_window"),
    (dict(found_by=0), "found_by must be an event month before 18"),
    (dict(sources=("hospital",)), "unknown or no source hospital"),
    (dict(support_window=25), "support_window must be 1 to months_before"),
])
def test_bad_parameters_are_one_line_errors(warehouse, params, message):
    con = connect(warehouse)
    try:
        with pytest.raises(ParameterError) as err:
            T.build_cohort(con, T.TransitionParams(**params))
    finally:
        con.close()
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_nobody_turns_18_in_the_window_says_so(tmp_path):
    tables = build_tables(
        persons={"young": ("2010-03", {}, [("2010-03-01", None)])},
        lines={"dot": [_llc("young")]})
    ext = build_extract(tmp_path, tables, period=PERIOD, design="cohort_sample")
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False)
    con = connect(result.warehouse)
    try:
        with pytest.raises(KpzError, match="nobody in this warehouse turns 18 inside the window") as err:
            T.build_cohort(con)
    finally:
        con.close()
    assert not isinstance(err.value, ParameterError)


# --------------------------------------------------------------------------- outcome definitions
def _definition(rows):
    cols = ["outcome", "group", "domain", "subdomain", "financing", "volume_measure", "unit", "description"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


@pytest.mark.parametrize("rows, message", [
    # two components of one outcome that both read wmo/begeleiding/zin
    ([("x", "g", "wmo", "begeleiding", "", "none", "", "d"), ("x", "g", "wmo", "", "zin", "none", "", "d")],
     "outcome 'x' has overlapping components (wmo/begeleiding/* and wmo/*/zin): care would count twice"),
    ([("x", "g", "zvw", "wijkverpleging", "", "none", "", "d"), ("x", "g", "zvw", "wijkverpleging", "pgb", "none", "", "d")],
     "overlapping components"),
    ([("x", "g", "wmoo", "", "", "none", "", "d")], "row 1 column domain: unknown domain 'wmoo'"),
    ([("x", "g", "wmo", "", "", "hours", "", "d")], "row 1 column volume_measure: 'hours' is not one of"),
    ([("x", "g", "wmo", "", "", "none", "", "d"), ("x", "g", "wlz", "", "", "volume", "", "d")],
     "outcome 'x' has different volume_measure on its rows"),
])
def test_outcome_definition_refusals(monkeypatch, rows, message):
    monkeypatch.setattr(T, "load_codelist", lambda name: _definition(rows))
    with pytest.raises(KpzError) as err:
        T.load_outcomes("test_outcomes")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_outcome_definition_accepts_disjoint_components(monkeypatch):
    rows = [("x", "g", "wmo", "begeleiding", "pgb", "none", "", "d"), ("x", "g", "wmo", "begeleiding", "zin", "none", "", "d"),
            ("x", "g", "wlz", "", "", "none", "", "d")]
    monkeypatch.setattr(T, "load_codelist", lambda name: _definition(rows))
    assert len(T.load_outcomes("test_outcomes")) == 3


def test_unknown_outcome_definition_file():
    with pytest.raises(ParameterError, match="unknown outcome definition 'transition_outcomes_v9'"):
        T.load_outcomes("transition_outcomes_v9")


# --------------------------------------------------------------------------- person flags and gap
# Hand-worked person flags (support window -6..-1, gap window 0..11, gap length 3):
#   support_before: E_gap, E_nogap, E_ext, E_cross (-1), E_credit, E_short, E_wijk, E_dies, C_f6
#     (IKZ in -6); not E_nosup (Jeugdwet only in -8), nor A_*, B_*, D_found (no support lines).
#   gap_eligible (supported and followed through +11): the above minus E_short (8), E_dies (3).
#   gap: E_gap (1, 2, 3 without), E_cross (2, 3, 4), E_credit (1..5: the credited line is no
#     care), C_f6 (0..11) = 4 of 7; no gap: E_nogap (only 1), E_ext (Jeugdwet to +12), E_wijk (1, 2).
#   first adult successor care (Wmo, Wlz, wijkverpleging) from month 0, else censored at
#     followup_end: E_gap 4, E_nogap 2, E_cross 5 (Wlz), E_credit 6 (the replacement), E_wijk 3,
#     E_nosup 1; censored: E_ext 18, C_f6 16, E_short 8, E_dies 3 (died first: status 2).
FLAGS = {
    # persoon_id: (support_before, gap_eligible, gap, care_time, care_event, care_status)
    "E_gap": (1, True, 1.0, 4, 1, 1), "E_nogap": (1, True, 0.0, 2, 1, 1),
    "E_ext": (1, True, 0.0, 18, 0, 0), "E_cross": (1, True, 1.0, 5, 1, 1),
    "E_credit": (1, True, 1.0, 6, 1, 1), "E_wijk": (1, True, 0.0, 3, 1, 1),
    "C_f6": (1, True, 1.0, 16, 0, 0), "E_short": (1, False, None, 8, 0, 0),
    "E_dies": (1, False, None, 3, 0, 2), "E_nosup": (0, False, None, 1, 1, 1),
    "A_m24": (0, False, None, 23, 0, 0), "B_dlater": (0, False, None, 8, 0, 2),
    # comparison: D_in Jeugdwet -6..0 then nothing (gap); D_in2 Wmo from +1
    "D_in": (1, True, 1.0, 17, 0, 0), "D_in2": (1, True, 0.0, 1, 1, 1),
    "D_s1": (0, False, None, 15, 0, 0),
}


@pytest.fixture(scope="module")
def analysis():
    from kpz_analytics.analyses import transition as A

    return A


@pytest.fixture(scope="module")
def flags(cohort, analysis):
    return analysis.person_flags(cohort).set_index("persoon_id")


def test_person_flags_exact(flags):
    got = {}
    for pid in FLAGS:
        r = flags.loc[pid]
        got[pid] = (int(r.support_before), bool(r.gap_eligible), None if pd.isna(r.gap) else float(r.gap),
                    int(r.care_time), int(r.care_event), int(r.care_status))
    assert got == FLAGS
    assert int(flags["gap_eligible"].sum()) == 9  # 7 LLC + 2 comparison
    # the windowed flags: Jeugdwet and IKZ in -6..-1; nobody has Wlz or pgb before 18
    assert sorted(flags.index[flags["jeugdwet_before"] == 1]) == sorted(
        ["E_gap", "E_nogap", "E_ext", "E_cross", "E_credit", "E_short", "E_dies", "D_in", "D_in2"])
    assert sorted(flags.index[flags["ikz_before"] == 1]) == ["C_f6", "E_wijk"]
    assert flags["wlz_before"].sum() == 0 and flags["pgb_before"].sum() == 0


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return centre - half, centre + half


def test_gap_table_exact(flags, analysis):
    table = analysis.gap_table(flags.reset_index(), None, 0.05).set_index(["cohort", "group_by", "group"])
    expected = {
        ("llc", "overall", "all"): (7, 4), ("comparison", "overall", "all"): (2, 1),
        ("llc", "geslacht", "V"): (2, 2), ("llc", "geslacht", "M"): (5, 2),
        ("llc", "diagnostic_group", "neurology"): (6, 3), ("llc", "diagnostic_group", "no_llc_code"): (1, 1),
        ("llc", "wlz_before", "0"): (7, 4), ("llc", "pgb_before", "0"): (7, 4),
        ("llc", "nik_region", "Utrecht"): (7, 4),
    }
    for key, (n, k) in expected.items():
        row = table.loc[key]
        assert (row["n_persons"], row["n_gap"]) == (n, k), key
        assert row["share_gap"] == pytest.approx(k / n)
        lo, hi = _wilson(k, n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12), key
    # diagnostic groups are an LLC notion: no comparison rows
    assert not any(c == "comparison" and g == "diagnostic_group" for c, g, _ in table.index)


def test_event_time_shares_exact(cohort, analysis):
    et = analysis.event_time_table(cohort, 0.05).set_index(["cohort", "outcome", "event_month"])
    # month 0: all 19 LLC members at risk; Jeugdwet (to the day before the birthday) for E_gap,
    # E_nogap, E_ext, E_cross, E_credit, E_short, E_dies
    assert tuple(et.loc[("llc", "jeugdwet_any", 0), ["n_at_risk", "n_using"]]) == (19, 7)
    # month 1: A_last and B_d15 are no longer followed; Jeugdwet for E_ext (extension) and E_cross
    assert tuple(et.loc[("llc", "jeugdwet_any", 1), ["n_at_risk", "n_using"]]) == (17, 2)
    # month 3: B_insgap (2) gone too; adult successor care for E_wijk (wijkverpleging from +3)
    # and E_nogap (Wmo +2..+11); not E_nosup (Wmo in +1 only), E_gap (from +4), E_cross (+5)
    assert tuple(et.loc[("llc", "adult_successor", 3), ["n_at_risk", "n_using"]]) == (16, 2)
    # month 6: E_dies (3) and B_emig (5) gone too; Wmo for E_gap (+4..+6), E_nogap (+2..+11) and
    # E_credit (the replacement line)
    assert tuple(et.loc[("llc", "wmo_any", 6), ["n_at_risk", "n_using"]]) == (14, 3)
    assert et.loc[("llc", "wmo_any", 6), "share_using"] == pytest.approx(3 / 14)
    # month -24: every member observable; hospital lines of A_m24 and B_imm_in are not in -24
    assert et.loc[("llc", "any_support", -24), "n_at_risk"] == 19
    assert et.loc[("comparison", "any_support", -6), "n_using"] == 2  # D_in, D_in2


def test_time_to_adult_care_median(flags, analysis):
    """Kaplan–Meier among the 9 supported LLC persons (times above): S drops below 0.5 at 6."""
    # S(2) = 8/9, S(3) = 8/9 * 7/8, S(4) = * 5/6, S(5) = * 4/5 = 0.5185, S(6) = * 3/4 = 0.389
    km = analysis.time_to_care_tables(flags.reset_index(), 0.05)
    s = km["km_summary"].set_index(["cohort", "group_by", "group"])
    assert s.loc[("llc", "overall", "all"), "median"] == 6
    assert s.loc[("llc", "overall", "all"), "n_persons"] == 9
    assert s.loc[("llc", "overall", "all"), "n_events"] == 5
