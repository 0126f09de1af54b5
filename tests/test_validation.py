"""Validation against planted truth: the truth bookkeeping on a hand-built truth table, and a
small end-to-end replication (synthesise → ingest → cases → capture–recapture) that must
reproduce the planted ascertained counts exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.cohorts import cases as C
from kpz_analytics.validation import prevalence as V
from kpz_analytics.validation.__main__ import main as validation_main


def _truth_dir(tmp_path):
    d = tmp_path / "_truth"
    d.mkdir()
    rows = [
        # persoon_id, jaar, age, phase, alive_insured, on 1 July, under 18, hosp, pall, ikz, wlz
        ("a", 2020, 5, "stable", 1, 1, 1, 1, 0, 0, 0),
        ("a", 2021, 6, "unstable", 1, 1, 1, 0, 0, 0, 0),   # ascertained through the lookback
        ("a", 2022, 7, "stable", 1, 1, 1, 0, 0, 0, 0),
        ("a", 2023, 8, "stable", 1, 1, 1, 0, 0, 0, 0),     # lookback 2 ends: not ascertained
        ("b", 2021, 18, "dying", 1, 0, 0, 0, 0, 0, 1),     # dies before 1 July 2021
        ("c", 2021, 3, "stable", 0, 0, 1, 1, 0, 0, 0),     # not insured: neither counted nor capturing
        ("c", 2022, 4, "stable", 1, 1, 1, 0, 0, 0, 0),
        ("d", 2022, 20, "deteriorating", 1, 1, 0, 1, 0, 0, 0),  # aged 20: outside 0-19
        ("e", 2023, 0, "stable", 1, 0, 1, 0, 1, 0, 0),     # born after 1 July 2023
    ]
    cols = ["persoon_id", "jaar", "age_1july", "phase", "alive_insured", "alive_insured_1july",
            "under18_in_year", "captured_hospital_llc_code", "captured_palliative_activity",
            "captured_ikz_mkv", "captured_wlz_severe"]
    pd.DataFrame(rows, columns=cols).to_csv(d / "person_year.csv", index=False, sep=";")
    return tmp_path


def test_truth_by_year(tmp_path):
    ext = _truth_dir(tmp_path)
    params = C.CaseParams(years=(2020, 2023), lookback=2, sources=C.SOURCES)
    truth, rows = V.truth_by_year(ext, params)
    t = truth.set_index("jaar")
    assert t["true_total"].to_dict() == {2020: 1, 2021: 2, 2022: 2, 2023: 2}
    assert t["ascertained"].to_dict() == {2020: 1, 2021: 2, 2022: 1, 2023: 1}
    assert t["true_need"].to_dict() == {2020: 0, 2021: 2, 2022: 0, 2023: 0}
    assert t["true_total_under18"].to_dict() == {2020: 1, 2021: 1, 2022: 2, 2023: 2}
    assert t["true_total_18plus"].to_dict() == {2020: 0, 2021: 1, 2022: 0, 2023: 0}
    p1 = C.CaseParams(years=(2020, 2023), lookback=0, sources=("palliative_activity",))
    t1 = V.truth_by_year(ext, p1)[0].set_index("jaar")
    assert t1["ascertained"].to_dict() == {2020: 0, 2021: 0, 2022: 0, 2023: 1}
    # point basis: alive and insured on 1 July (b died before it, e was born after it)
    point = C.CaseParams(years=(2020, 2023), lookback=2, basis="point")
    tp = V.truth_by_year(ext, point)[0].set_index("jaar")
    assert tp["true_total"].to_dict() == {2020: 1, 2021: 1, 2022: 2, 2023: 1}
    assert tp["true_need"].to_dict() == {2020: 0, 2021: 1, 2022: 0, 2023: 0}


def test_old_truth_without_basis_columns_is_a_clear_error(tmp_path):
    d = tmp_path / "_truth"
    d.mkdir()
    pd.DataFrame({"persoon_id": ["a"], "jaar": [2020], "age_1july": [5], "phase": ["stable"],
                  "alive_insured": [1], "captured_hospital_llc_code": [1]}).to_csv(d / "person_year.csv", index=False)
    with pytest.raises(Exception, match="regenerate the extract"):
        V.truth_by_year(tmp_path, C.CaseParams(years=(2020, 2020)))


def test_summarise_coverage_bias_width_per_year():
    per_year = pd.DataFrame({
        "jaar": [2022, 2023, 2024],
        "n_estimated_aic": [100.0, 110.0, np.nan], "ci_low_aic": [90.0, 105.0, np.nan],
        "ci_high_aic": [120.0, 108.0, np.nan], "ci_low_summed_aic": [80.0, 100.0, np.nan],
        "ci_high_summed_aic": [130.0, 115.0, np.nan], "true_total_period": [100, 100, 100],
        "llc_observed_period": [60, 70, 80], "llc_ci_low_period": [50, 60, 70],
        "llc_ci_high_period": [70, 80, 90], "ascertained_period": [60, 70, 80],
    })
    need = pd.DataFrame({
        "definition": "palliative_need_v2", "basis": "period", "jaar": [2022, 2023, 2024],
        "flagged": [10, 10, 10], "raw_ci_low": [5, 5, 5], "raw_ci_high": [18, 18, 18],
        "true_need": [12, 20, 9], "n_estimated": [13.0, 14.0, 12.0], "ci_low": [9.0, 10.0, 8.0],
        "ci_high": [18.0, 19.0, 16.0]})
    change = pd.DataFrame({"scenario": "base", "definition": "palliative_need_v2", "basis": "period",
                           "jaar_from": [2022, 2022], "jaar_to": [2023, 2023], "change": [1.0, 2.0],
                           "ci_low": [-5.0, 3.0], "ci_high": [5.0, 6.0], "true_change": [0, 2]})
    s, _ = V.summarise(per_year, need, change)
    allyears = s[s["jaar"] == "all"].set_index("estimator")
    assert allyears.loc["cr_total[aic]", "n_cells"] == 2 and allyears.loc["cr_total[aic]", "n_not_estimable"] == 1
    assert allyears.loc["cr_total[aic]", "coverage"] == 0.5
    assert allyears.loc["cr_total[aic]", "miss_above"] == 0.5  # 2023: 105-108 lies above 100
    assert allyears.loc["cr_total[aic]", "miss_below"] == 0.0
    assert allyears.loc["cr_total_summed[aic]", "coverage"] == 1.0
    assert allyears.loc["cr_total[aic]", "bias"] == pytest.approx(5.0)
    assert allyears.loc["cr_total[aic]", "width"] == pytest.approx((30 + 3) / 2)
    assert allyears.loc["llc_observed[period]", "exact"] == 1.0
    assert allyears.loc["need_raw[palliative_need_v2,period]", "coverage"] == pytest.approx(2 / 3)
    assert allyears.loc["need_corrected[palliative_need_v2,period]", "coverage"] == pytest.approx(2 / 3)
    per = s[s["estimator"] == "need_corrected[palliative_need_v2,period]"].set_index("jaar")
    assert per.loc["2022", "coverage"] == 1.0 and per.loc["2023", "coverage"] == 0.0
    ch = s[s["estimator"] == "need_change[palliative_need_v2,period]"].iloc[0]
    assert ch["jaar"] == "2022->2023" and ch["coverage"] == 0.5 and ch["miss_above"] == 0.5


def test_bad_options():
    with pytest.raises(Exception, match="replications must be at least 1"):
        V.run_validation(replications=0)
    with pytest.raises(Exception, match="unknown scenario"):
        V.run_validation(replications=1, scenarios=("wobbly",))
    assert validation_main(["--replications", "0"]) == 2


def test_small_replication_recovers_planted_truth(tmp_path):
    """Two small seeded replications end to end: exact observed counts on both bases, sane
    capture–recapture, need counts corrected, a Markdown report."""
    res = V.run_validation(replications=2, scale=0.03, seed=11, years=(2021, 2024),
                           workdir=tmp_path, progress=False, out_dir=tmp_path / "out")
    s = res.summary[res.summary["jaar"] == "all"].set_index("estimator")
    # the case finding reproduces the generator's ascertained cases exactly, every year, both bases
    assert s.loc["llc_observed[period]", "exact"] == 1.0
    assert s.loc["llc_observed[point]", "exact"] == 1.0
    assert (res.per_year["llc_observed_period"] >= res.per_year["llc_observed_point"]).all()
    # capture-recapture sees more than the observed and covers the truth in most cells
    assert s.loc["cr_total[full]", "coverage"] >= 0.5
    assert (res.per_year["n_estimated_full"] >= res.per_year["n_observed"]).all()
    assert abs(s.loc["cr_total[full]", "rel_bias"]) < 0.3
    # corrected need: far closer to the planted need than the raw count
    raw, corr = (s.loc[f"{k}[palliative_need_v2,period]"] for k in ("need_raw", "need_corrected"))
    assert abs(corr["rel_bias"]) < abs(raw["rel_bias"]) and corr["coverage"] >= 0.5
    assert not res.need_change.empty
    need = res.need.set_index("variant")
    assert need.loc["all markers", "ppv"] > 0.8
    assert 0 < need.loc["all markers", "sensitivity_among_cases"] <= 1
    report = (tmp_path / "out" / "validation_report.md").read_text()
    assert "## Scenario `base`" in report and "need_corrected" in report


def test_calibration_refuses_bad_options(tmp_path):
    assert validation_main(["--calibrate", str(tmp_path / "acc.csv"), "--replications", "0"]) == 2
    assert not (tmp_path / "acc.csv").exists()


def test_summarise_trend_against_planted_apc():
    per_year = pd.DataFrame({"jaar": [2022], "llc_observed_period": [5], "llc_ci_low_period": [1],
                             "llc_ci_high_period": [9], "ascertained_period": [5]})
    trend = pd.DataFrame({"scenario": "base", "seed": [1, 2], "measure": "llc_consistent",
                          "years": "2021-2024", "apc": [3.0, 5.0], "apc_ci_low": [1.0, 4.0],
                          "apc_ci_high": [5.0, 6.0], "planted_apc": [2.5, 2.5]})
    s, _ = V.summarise(per_year, trend=trend)
    r = s[s["estimator"] == "trend[llc_consistent]"].iloc[0]
    assert r["jaar"] == "2021-2024" and r["n_cells"] == 2 and r["coverage"] == 0.5
    assert r["mean_estimate"] == 4.0 and r["mean_truth"] == 2.5 and r["bias"] == 1.5
    assert r["miss_above"] == 0.5
