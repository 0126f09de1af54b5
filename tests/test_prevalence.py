"""Prevalence tables on the hand-built warehouse of test_cases.py: exact counts, rates, strata.

Expected case-years under the defaults (ages 0-19, lookback 2, period basis), derived by hand in
test_cases: P1 2019-2021, P2 2022, P3 2022-2023, P4 2020-2021 (dies 10 June 2021), P5 2023,
P7 2019-2023. Palliative need (palliative_need_v2): P1 2020 (3 emergency visits), P1 2021 (IC),
P4 2021 (death); P5 (palliative activity only) and P7 (IKZ/MKV only) are not flagged.
Denominator (period basis): populatie, 100 per age × sex × province (2 provinces), plus the
persons alive and insured in the year but not on 1 July: in 2021 P4 (died 10 June, boy, 9) and
P5 (born September, girl, 0).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kpz_analytics.cohorts import cases as C
from kpz_analytics.analyses import prevalence as P
from kpz_analytics.methods import rates
from kpz_analytics.cli import app
from kpz_analytics.errors import ParameterError

sys.path.insert(0, str(Path(__file__).parent))
from test_cases import build_fixture  # noqa: E402

LLC_BY_YEAR = {2019: 2, 2020: 3, 2021: 3, 2022: 3, 2023: 3}
NEED_BY_YEAR = {2019: 0, 2020: 1, 2021: 2, 2022: 0, 2023: 0}
POP = 20 * 2 * 2 * 100  # ages 0-19 × sexes × provinces × 100
POP_BY_YEAR = {2019: POP, 2020: POP, 2021: POP + 2, 2022: POP, 2023: POP}


@pytest.fixture(scope="module")
def result():
    con = build_fixture()
    res = P.compute_prevalence(con, C.CaseParams(), capture_recapture=False, progress=False)
    con.close()
    return res


def test_by_year_exact(result):
    t = result.tables["prevalence_by_year"]
    for measure, expected in (("llc", LLC_BY_YEAR), ("palliative_need", NEED_BY_YEAR)):
        sub = t[t["measure"] == measure].set_index("jaar")
        assert sub["n_cases"].to_dict() == expected
        assert sub["population"].to_dict() == POP_BY_YEAR
        assert (sub["population_1july"] == POP).all()
        pop = sub["population"].to_numpy()
        low, high = rates.poisson_ci(sub["n_cases"].to_numpy())
        np.testing.assert_allclose(sub["ci_low"], low / pop * 10_000)
        np.testing.assert_allclose(sub["ci_high"], high / pop * 10_000)
        np.testing.assert_allclose(sub["rate_per_10000"], sub["n_cases"] / pop * 10_000)
    assert t.set_index(["measure", "jaar"]).loc[("llc", 2020), "lookback_complete"] == False  # noqa: E712
    assert t.set_index(["measure", "jaar"]).loc[("llc", 2021), "lookback_complete"] == True  # noqa: E712
    for col in ("jaar", "measure", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high",
                "extract_id", "run_sources", "definitions", "basis"):
        assert col in t.columns


def test_by_age_group_and_sex(result):
    a = result.tables["prevalence_by_age_group"]
    llc = a[a["measure"] == "llc"].set_index(["jaar", "age_group"])["n_cases"]
    # 2021: P1 age 11 (10-14), P4 age 9 (5-9), P7 age 4 (1-4)... P7 born Feb 2016 -> 5 on 1 July 2021
    assert llc[(2021, "10-14")] == 1 and llc[(2021, "5-9")] == 2 and llc[(2021, "1-4")] == 0
    assert llc[(2023, "<1")] == 0 and llc[(2023, "1-4")] == 1           # P5 aged 1 in 2023
    assert llc[(2022, "15-19")] == 2                                      # P2 (19) and P3 (18)
    assert list(a["age_group"].unique()) == ["<1", "1-4", "5-9", "10-14", "15-19"]
    assert (a.groupby(["measure", "jaar"])["n_cases"].sum().loc["llc"] == pd.Series(LLC_BY_YEAR)).all()
    s = result.tables["prevalence_by_sex"]
    v = s[(s["measure"] == "llc") & (s["geslacht"] == "V")].set_index("jaar")["n_cases"]
    assert v.to_dict() == {2019: 1, 2020: 1, 2021: 1, 2022: 2, 2023: 3}  # P7, P3, P5
    pop = s[s["measure"] == "llc"].set_index(["jaar", "geslacht"])["population"]
    assert pop[(2021, "M")] == POP / 2 + 1 and pop[(2021, "V")] == POP / 2 + 1  # P4, P5
    assert pop[(2022, "M")] == POP / 2
    ag = a[a["measure"] == "llc"].set_index(["jaar", "age_group"])["population"]
    assert ag[(2021, "<1")] == 401 and ag[(2021, "5-9")] == 2001 and ag[(2022, "<1")] == 400


def test_by_region(result):
    r = result.tables["prevalence_by_nik_region"]
    nh = r[(r["measure"] == "llc") & (r["nik_region"] == "Noord-Holland & Flevoland")]
    assert nh["n_cases"].tolist() == [1, 1, 1, 1, 1]  # P7 only
    p = result.tables["prevalence_by_province"]
    assert set(p["provincie_code"]) == {"PV26", "PV27"}


def test_by_diagnostic_group(result):
    d = result.tables["prevalence_by_diagnostic_group"]
    llc = d[d["measure"] == "llc"].set_index(["jaar", "diagnostic_group"])["n_cases"]
    assert llc[(2021, "neurology")] == 1 and llc[(2021, "congenital")] == 1
    assert llc[(2021, P.NO_CODE_GROUP)] == 1                     # P7: Wlz and IKZ only
    assert llc[(2023, "oncology")] == 1 and llc[(2023, P.NO_CODE_GROUP)] == 2  # P5, P7
    assert llc[(2022, "metabolic")] == 1
    assert d.groupby("jaar")["population"].first().to_dict() == POP_BY_YEAR
    assert len(set(d["diagnostic_group"])) == 12


def test_diagnostic_group_variant_and_ccc(result):
    v = result.tables["prevalence_by_diagnostic_group_variants"]
    llc = v[(v["measure"] == "llc") & (v["grouping"] == "e84_respiratory")].set_index(
        ["jaar", "diagnostic_group"])["n_cases"]
    assert llc[(2022, "metabolic")] == 0 and llc[(2022, "respiratory")] == 1  # P2's E84.9
    ccc = result.tables["prevalence_ccc"].set_index("jaar")
    assert ccc["n_cases"].to_dict() == {2019: 1, 2020: 3, 2021: 3, 2022: 3, 2023: 1}
    o = result.tables["llc_ccc_overlap"]
    allsrc = o[o["llc_definition"] == "llc_all_sources"].set_index("jaar")
    assert allsrc.loc[2020, ["n_llc", "n_ccc", "n_both", "n_llc_only", "n_ccc_only"]].tolist() == [3, 3, 2, 1, 1]
    assert allsrc.loc[2023, ["n_both", "n_llc_only", "n_ccc_only"]].tolist() == [1, 2, 0]
    coded = o[o["llc_definition"] == "llc_hospital_code"].set_index("jaar")
    # P7 (Wlz, IKZ) and P5 (palliative activity) have no LLC code: not in the coded LLC cases
    assert coded.loc[2023, ["n_llc", "n_both"]].tolist() == [1, 1]


def test_deaths_among_cases(result):
    d = result.tables["deaths_among_cases"]
    row = d[(d["measure"] == "llc") & (d["jaar"] == 2021) & (d["age_group"] == "5-9")].iloc[0]
    assert row["n_deaths"] == 1 and row["n_cases"] == 2 and row["deaths_per_1000_cases"] == 500
    assert d["n_deaths"].sum() == 2  # the one death, counted under both measures


def test_lookback_alternatives(result):
    lb = result.tables["prevalence_lookback"]
    llc = lb[lb["measure"] == "llc"].set_index(["lookback", "jaar"])["n_cases"]
    assert [llc[(0, y)] for y in range(2019, 2024)] == [2, 2, 1, 3, 3]
    assert [llc[(5, y)] for y in range(2019, 2024)] == [2, 3, 3, 4, 4]  # P1 stays (code 2019), P4 dead
    assert lb[lb["is_default"]]["lookback"].unique().tolist() == [2]


def test_standardised_rates(result):
    std = result.tables["prevalence_standardised"]
    assert set(std["measure"]) == {"llc", "palliative_need"} and len(std) == 10
    by_year = result.tables["prevalence_by_year"].set_index(["measure", "jaar"])
    # the fixture population is uniform over age, so the crude rate is the by-year rate
    for r in std.itertuples():
        assert r.n_cases == by_year.loc[(r.measure, r.jaar), "n_cases"]
        assert r.crude_rate == pytest.approx(by_year.loc[(r.measure, r.jaar), "rate_per_10000"])
        assert r.ci_low <= r.std_rate <= r.ci_high
    assert (std["standard"] == "esp2013").all()


def test_trend_uses_complete_years(result):
    t = result.tables["prevalence_trend"]
    # v2 has no 2023 marker, so there is no separate consistent need series; the need series
    # (2, 0, 0) is too degenerate for a trend: noted, not fitted
    assert set(t["measure"]) == {"llc", "llc_consistent"}
    assert any("trend palliative_need: not estimable" in w for w in result.warnings)
    assert (t["years"] == "2021-2023").all()
    # without palliative activities P5 (found only by them in 2023) drops out: 3, 3, 2
    cons = t[t["measure"] == "llc_consistent"].iloc[0]
    assert cons["apc"] < 0
    llc = t[t["measure"] == "llc"].iloc[0]
    # 3, 3, 3 cases on 8002, 8000, 8000 persons (period basis): a rise of about 0.0125 % a year
    assert llc["apc"] == pytest.approx(100 * (8002 / 8000) ** 0.5 - 100, abs=2e-3)


def test_need_sensitivity(result):
    s = result.tables["palliative_need_sensitivity"].set_index(["variant", "jaar"])
    assert s.loc[("all markers", 2021), "n_cases"] == 2
    assert s.loc[("only death", 2021), "n_cases"] == 1
    assert s.loc[("without death", 2021), "n_cases"] == 1
    # the whole v1 definition (IKZ/MKV presence, palliative activity) and v2 plus the activities
    assert s.loc[("definition palliative_need_v1", 2021), "n_cases"] == 3  # + P7 (IKZ/MKV)
    assert s.loc[("definition palliative_need_v1", 2023), "n_cases"] == 1  # P5
    assert s.loc[("definition palliative_need_plus_activity_v1", 2023), "n_cases"] == 1
    # emergency_run threshold 3 halved to 1: P1's two visits in 2019 then count
    assert s.loc[("emergency_run >= 1 (default 3)", 2019), "n_cases"] == 1
    assert s.loc[("emergency_run >= 6 (default 3)", 2020), "n_cases"] == 0
    assert s.loc[("all markers", 2021), "share_of_llc"] == pytest.approx(2 / 3)


def test_attrition_and_design_check(result):
    a = result.tables["attrition"]
    assert {"definition", "step", "description", "n_rows", "n_persons"} <= set(a.columns)
    final = a[a["name"] == "age_range"].iloc[0]
    assert final["n_rows"] == sum(LLC_BY_YEAR.values())
    dc = result.tables["design_check"].set_index("jaar")
    assert dc.loc[2019, "n_selection"] + dc.loc[2019, "n_sample"] == 8  # P1-P4, P6-P9 on 1 July


# --------------------------------------------------------------------------- capture–recapture
class _FakeResult:
    def __init__(self, table, sources):
        self.n_observed = int(table["n"].sum())
        self.sources = list(sources)
        self.warnings = []
        if len(sources) < 2:  # as the real module: fewer than 2 sources that saw anyone
            self.status, self.model = "not identifiable", "not identifiable"
            self.n_unseen = self.n_estimated = self.ci_low = self.ci_high = float("nan")
        else:
            self.status = "estimated"
            self.n_unseen = float(len(sources))           # a marker that says which sources were used
            self.n_estimated = self.n_observed + self.n_unseen
            self.ci_low, self.ci_high = self.n_estimated - 1, self.n_estimated + 2
            self.model = "[" + "][".join(sources) + "]"
        self.fallback = ""
        self.models = pd.DataFrame({"model": [self.model], "df": [1], "deviance": [0.0],
                                    "aic": [1.0], "bic": [1.0], "n_estimated": [self.n_estimated],
                                    "n_params": [len(sources) + 1], "unstable": [False],
                                    "selected": [True]})


def _fake_cr_module():
    mod = types.ModuleType("kpz_analytics.methods.capture_recapture")

    def membership_table(flags):
        return flags.value_counts().rename("n").reset_index()

    def estimate_identifiable(table, sources=None, criterion="full", alpha=0.05, all_models=True):
        srcs = [c for c in table.columns if c != "n" and (table[c] * table["n"]).sum() > 0]
        return _FakeResult(table, srcs)

    def combine_strata(results, alpha=0.05):  # transparent: plain sums, marked by +0.5 on the bounds
        return types.SimpleNamespace(
            n_estimated=sum(r.n_estimated for r in results),
            ci_low=sum(r.ci_low for r in results) - 0.5, ci_high=sum(r.ci_high for r in results) + 0.5,
            ci_low_summed=sum(r.ci_low for r in results), ci_high_summed=sum(r.ci_high for r in results))

    mod.membership_table, mod.estimate_identifiable = membership_table, estimate_identifiable
    mod.combine_strata = combine_strata
    return mod


@pytest.fixture()
def fake_cr(monkeypatch):
    """Replace capture_recapture by a transparent fake (tests the stratify-and-combine logic only)."""
    from kpz_analytics import methods
    fake = _fake_cr_module()
    monkeypatch.setitem(sys.modules, "kpz_analytics.methods.capture_recapture", fake)
    monkeypatch.setattr(methods, "capture_recapture", fake, raising=False)
    return fake


def test_capture_recapture_strata_combined_or_pooled(fake_cr):
    con = build_fixture()
    table = C.find_cases(con, C.CaseParams())
    totals, per, models = P.capture_recapture_by_year(table, progress=False)
    per = per.set_index(["jaar", "stratum"])
    tot = totals.set_index("jaar")
    # 2020: P7 (Wlz) and P4 (hospital code, aged 8) under 18; IKZ/MKV saw nobody and is left out
    assert per.loc[(2020, "under18"), "sources"] == "hospital_llc_code,wlz_severe"
    assert per.loc[(2020, "18plus"), "status"] == "nobody seen"
    assert tot.loc[2020, "status"] == "strata combined"
    assert tot.loc[2020, "n_estimated"] == per.loc[(2020, "under18"), "n_estimated"]
    assert tot.loc[2020, "ci_low"] == per.loc[(2020, "under18"), "ci_low"] - 0.5  # combine_strata
    assert tot.loc[2020, "ci_low_summed"] == per.loc[(2020, "under18"), "ci_low"]
    # 2022: P2 (19) and P3 (18) seen by the hospital source only, P7 (under 18) by Wlz only ->
    # neither stratum is identifiable, and neither is reported as zero unseen; the total comes
    # from the pooled table (hospital + Wlz)
    assert per.loc[(2022, "18plus"), "n_observed"] == 2 and per.loc[(2022, "under18"), "n_observed"] == 1
    assert per.loc[(2022, "18plus"), "status"] == "not identifiable"
    assert np.isnan(per.loc[(2022, "18plus"), "n_estimated"])
    assert per.loc[(2022, "18plus"), "sources"] == "hospital_llc_code"  # what the stratum used
    assert per.loc[(2022, "under18"), "sources"] == "wlz_severe"
    assert tot.loc[2022, "status"] == "pooled (stratum under18, 18plus not identifiable)"
    assert tot.loc[2022, "n_observed"] == 3 and tot.loc[2022, "n_estimated"] == 3 + 2
    # 2021: in-year only (P1 seen through the lookback is not in the membership table)
    assert tot.loc[2021, "n_observed"] == 1
    assert per.loc[(2021, "under18"), "sources"] == "ikz_mkv,wlz_severe"
    assert set(models["selected"]) == {True}
    con.close()


def test_headline_sentences(fake_cr):
    con = build_fixture()
    res = P.compute_prevalence(con, C.CaseParams(), cr_by_age=False, sensitivity=False,
                               headline_year=2021, progress=False)
    h = res.headline
    assert h["jaar"] == 2021 and h["n_need_flagged"] == 2
    assert h["sentence_en"].startswith("In 2021 an estimated ")
    assert "children aged 0–19 lived with a life-limiting condition" in h["sentence_en"]
    # the fixture is not a synthetic extract: the synthetic accuracy parameters do not apply,
    # so the headline quotes the raw count and says so
    assert h["need_quoted"].startswith("flagged (raw count")
    assert "2 (95% CI 0–7) were flagged as needing palliative care (raw count, not corrected" in h["sentence_en"]
    assert "95%-BI" in h["sentence_nl"] and "levensbeperkende aandoening" in h["sentence_nl"]
    assert "; 2 (95%-BI 0–7) kinderen waren gemarkeerd als kind met behoefte" in h["sentence_nl"]
    assert h["n_observed"] == res.tables["capture_recapture"].set_index("jaar").loc[2021, "n_observed"]
    corr = res.tables["palliative_need_corrected"]
    assert corr["n_estimated"].isna().all() and corr["status"].str.contains("do not apply to fixture-1").all()
    assert any("need not corrected" in w for w in res.warnings)
    # the confidence level follows alpha
    res90 = P.compute_prevalence(con, C.CaseParams(), cr_by_age=False, sensitivity=False, alpha=0.1,
                                 headline_year=2021, progress=False)
    assert "(90% CI " in res90.headline["sentence_en"] and "95%" not in res90.headline["sentence_en"]
    assert "(90%-BI " in res90.headline["sentence_nl"]
    con.close()


def test_headline_quotes_the_corrected_need(fake_cr, tmp_path):
    """With accuracy parameters that apply, the headline quotes the corrected count."""
    from kpz_analytics.analyses import palliative_need as NEED

    rows = [dict(definition=C.NEED_DEFINITION, parameter=par, basis="period", age_min=0, age_max=19,
                 lookback=2, years_available=ya, need_sources="hospital_llc_code+ikz_mkv+wlz_severe",
                 year_from="", year_to="", numerator=num, denominator=100, applies_to="any",
                 source="test") for ya in (0, 1, 2) for par, num in (("ppv", 90), ("sensitivity", 50))]
    path = tmp_path / "acc.csv"
    pd.DataFrame(rows)[NEED.ACCURACY_COLUMNS].to_csv(path, index=False)
    con = build_fixture()
    res = P.compute_prevalence(con, C.CaseParams(), cr_by_age=False, sensitivity=False,
                               headline_year=2021, need_accuracy=path, progress=False)
    h = res.headline
    assert h["n_need"] == pytest.approx(2 * 0.9 / 0.5) and h["need_quoted"].startswith("corrected")
    assert "an estimated 4 (95% CI" in h["sentence_en"] and "2 flagged in claims, corrected" in h["sentence_en"]
    assert "; naar schatting 4 (95%-BI" in h["sentence_nl"]
    assert "kinderen hadden palliatieve zorg nodig (2 gemarkeerd" in h["sentence_nl"]
    corr = res.tables["palliative_need_corrected"].set_index("jaar")
    assert corr.loc[2021, "n_estimated"] == pytest.approx(3.6)
    assert len(res.tables["palliative_need_change"]) == 4
    con.close()


# --------------------------------------------------------------------------- CLI and errors
@pytest.fixture()
def warehouse_file(tmp_path):
    path = tmp_path / "fixture.duckdb"
    con = duckdb.connect(str(path))
    build_fixture(con)
    C.build_cohort_tables(con)
    con.close()
    return path


def test_cli_writes_tables(warehouse_file, tmp_path, fake_cr):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["prevalence", str(warehouse_file), "--out", str(out), "--years", "2020-2023"])
    assert r.exit_code == 0, r.output
    assert "In 2023" in r.output
    for name in ("prevalence_by_year", "prevalence_by_age_group", "prevalence_by_sex",
                 "prevalence_by_province", "prevalence_by_nik_region", "prevalence_by_diagnostic_group",
                 "prevalence_standardised", "prevalence_trend", "deaths_among_cases", "attrition",
                 "capture_recapture", "capture_recapture_models", "palliative_need_sensitivity",
                 "palliative_need_corrected", "palliative_need_change", "prevalence_ccc",
                 "llc_ccc_overlap", "prevalence_by_diagnostic_group_variants"):
        assert (out / f"{name}.csv").exists(), name
    by_year = pd.read_csv(out / "prevalence_by_year.csv")
    assert sorted(by_year["jaar"].unique()) == [2020, 2021, 2022, 2023]
    assert (out / "prevalence_metadata.json").exists() and (out / "headline.txt").exists()
    by_crit = pd.read_csv(out / "capture_recapture_by_criterion.csv")
    assert sorted(by_crit["criterion"].unique()) == ["aic", "bic", "full"]
    assert len(by_crit) == 3 * 4  # every criterion for every year


@pytest.mark.parametrize("args, message", [
    (["--age-min", "12", "--age-max", "3"], "empty or invalid age range"),
    (["--sources", "hospital_llc_code,huisarts"], "unknown source huisarts"),
    (["--years", "2010-2012"], "outside the extract period"),
    (["--criterion", "cic"], "criterion must be one of aic, bic, full"),
])
def test_cli_bad_parameters(warehouse_file, tmp_path, args, message):
    r = CliRunner().invoke(app, ["prevalence", str(warehouse_file), "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_headline_year_outside(result):
    with pytest.raises(ParameterError, match="headline year 2030"):
        P.make_headline(result.tables, result.case_table.params, 2030)


# --------------------------------------------------------------------------- end to end
def test_end_to_end_through_ingest(tmp_path):
    """A tiny spec-v1 extract through the real ingest, marts and cohort SQL."""
    from extract_builder import (activity, build_extract, dot_line, insured, person, population,
                                 wlz_indication, zvw_line)

    from kpz_analytics.warehouse.ingest import ingest

    pops = [population(jaar=str(j), leeftijd=str(a), geslacht=s, aantal="1000")
            for j in (2020, 2021) for a in range(0, 26) for s in ("M", "V")]
    tables = {
        "personen": [person("p1", geboortemaand="2010-03"), person("p2", geboortemaand="2015-09"),
                     person("p3", geboortemaand="2012-01", overlijdensdatum="2021-05-01"),
                     person("p4", geboortemaand="2011-01", in_steekproef="1")],
        "verzekeringsperioden": [insured("p1", begindatum="2010-03-01"), insured("p2", begindatum="2015-09-01"),
                                 insured("p3", begindatum="2012-01-01"), insured("p4", begindatum="2011-01-01")],
        "populatie": pops,
        "dot": [dot_line("d1", "p1", icd10="G71.0", begindatum="2020-02-01", einddatum="2020-02-10"),
                dot_line("d2", "p1", icd10="J18.9", begindatum="2021-05-01", einddatum="2021-05-03"),
                dot_line("d4", "p4", icd10="G80.1", begindatum="2020-06-01", einddatum="2020-06-01")],
        "dot_zorgactiviteiten": [activity("d2", zorgactiviteit_code="190161", datum="2021-05-02")],
        "zvw_overig": [zvw_line("z3", "p3", zorgsoort="intensieve_kindzorg", begindatum="2021-03-01",
                                einddatum="2021-03-31")],
        "wlz_indicaties": [wlz_indication("i2", "p2", zorgprofiel="VG5", begindatum="2019-06-01")],
    }
    ext = build_extract(tmp_path, tables)
    res = ingest(ext, warehouse=tmp_path / "w.duckdb", max_bad_share=None)
    out = tmp_path / "out"
    r = P.run_prevalence(res.warehouse, out, C.CaseParams(lookback=1), capture_recapture=False)
    t = r.tables["prevalence_by_year"].set_index(["measure", "jaar"])
    assert t.loc[("llc", 2020), "n_cases"] == 2 and t.loc[("llc", 2021), "n_cases"] == 3
    assert t.loc[("palliative_need", 2020), "n_cases"] == 0
    assert t.loc[("palliative_need", 2021), "n_cases"] == 2      # p1 IC day, p3 death
    # period basis: populatie (40,000) plus p3, alive and insured in 2021 but dead before 1 July
    assert t.loc[("llc", 2021), "population"] == 40_001
    assert t.loc[("llc", 2021), "population_1july"] == 40_000
    cases = r.case_table.cases.set_index(["persoon_id", "jaar"])
    assert cases.loc[("p1", 2021), "mk_intensive_care"] == 1 and cases.loc[("p3", 2021), "mk_death"] == 1
    assert cases.loc[("p2", 2020), "src_wlz_severe"] == 1 and cases.loc[("p3", 2021), "src_ikz_mkv"] == 1
    assert pd.read_csv(out / "prevalence_by_year.csv")["n_cases"].sum() == 7


def test_cases_without_denominator_warn():
    """A stratum with cases but no population (numerator and denominator classified differently)."""
    import pandas as pd
    import pytest

    from kpz_analytics.analyses import prevalence
    from kpz_analytics.methods import rates

    frames = {"llc": pd.DataFrame({"persoon_id": ["a", "b"], "jaar": [2020, 2020],
                                   "nik_region": ["Utrecht", "Holland Rijnland"]})}
    denom = pd.DataFrame({"jaar": [2020], "nik_region": ["Utrecht"], "population": [1000]})
    with pytest.warns(rates.RateWarning, match="1 cases fall in strata without population"):
        out = prevalence._rate_table(frames, denom, ["nik_region"], 0.05)
    assert out.loc[out["nik_region"] == "Utrecht", "rate_per_10000"].item() == 10.0


def test_cli_basis_and_need_accuracy_options(warehouse_file, tmp_path, fake_cr):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["prevalence", str(warehouse_file), "--out", str(out), "--basis", "point"])
    assert r.exit_code == 0, r.output
    by_year = pd.read_csv(out / "prevalence_by_year.csv")
    assert (by_year["basis"] == "point").all() and (by_year["population"] == POP).all()
    bad = CliRunner().invoke(app, ["prevalence", str(warehouse_file), "--out", str(out),
                                   "--need-accuracy", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "does not exist" in bad.output
    bad = CliRunner().invoke(app, ["prevalence", str(warehouse_file), "--out", str(out), "--basis", "mid"])
    assert bad.exit_code == 2 and "basis must be one of period, point" in bad.output
