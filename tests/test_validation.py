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
        # persoon_id, jaar, age, phase, alive_insured, hosp, pall, ikz, wlz
        ("a", 2020, 5, "stable", 1, 1, 0, 0, 0),
        ("a", 2021, 6, "unstable", 1, 0, 0, 0, 0),   # ascertained through the lookback
        ("a", 2022, 7, "stable", 1, 0, 0, 0, 0),
        ("a", 2023, 8, "stable", 1, 0, 0, 0, 0),     # lookback 2 ends: not ascertained
        ("b", 2021, 18, "dying", 1, 0, 0, 0, 1),
        ("c", 2021, 3, "stable", 0, 1, 0, 0, 0),     # not insured: neither counted nor capturing
        ("c", 2022, 4, "stable", 1, 0, 0, 0, 0),
        ("d", 2022, 20, "deteriorating", 1, 1, 0, 0, 0),  # aged 20: outside 0-19
        ("e", 2023, 0, "stable", 1, 0, 1, 0, 0),
    ]
    cols = ["persoon_id", "jaar", "age_1july", "phase", "alive_insured", "captured_hospital_llc_code",
            "captured_palliative_activity", "captured_ikz_mkv", "captured_wlz_severe"]
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
    assert t["true_total_age_le17"].to_dict() == {2020: 1, 2021: 1, 2022: 2, 2023: 2}
    p1 = C.CaseParams(years=(2020, 2023), lookback=0, sources=("palliative_activity",))
    t1 = V.truth_by_year(ext, p1)[0].set_index("jaar")
    assert t1["ascertained"].to_dict() == {2020: 0, 2021: 0, 2022: 0, 2023: 1}


def test_summarise_coverage_bias_width():
    per_year = pd.DataFrame({
        "n_estimated_aic": [100.0, 110.0, np.nan], "ci_low_aic": [90.0, 105.0, np.nan],
        "ci_high_aic": [120.0, 108.0, np.nan], "true_total": [100, 100, 100],
        "llc_observed": [60, 70, 80], "llc_ci_low": [50, 60, 70], "llc_ci_high": [70, 80, 90],
        "ascertained": [60, 70, 80], "need_observed": [10, 10, 10], "need_ci_low": [5, 5, 5],
        "need_ci_high": [18, 18, 18], "true_need": [12, 20, 9],
    })
    s, _ = V.summarise(per_year, pd.DataFrame())
    s = s.set_index("estimator")
    assert s.loc["cr_total[aic]", "n_cells"] == 2 and s.loc["cr_total[aic]", "n_not_estimable"] == 1
    assert s.loc["cr_total[aic]", "coverage"] == 0.5
    assert s.loc["cr_total[aic]", "bias"] == pytest.approx(5.0)
    assert s.loc["cr_total[aic]", "width"] == pytest.approx((30 + 3) / 2)
    assert s.loc["llc_observed", "exact"] == 1.0
    assert s.loc["palliative_need", "coverage"] == pytest.approx(2 / 3)


def test_bad_options():
    with pytest.raises(Exception, match="replications must be at least 1"):
        V.run_validation(replications=0)
    assert validation_main(["--replications", "0"]) == 2


def test_small_replication_recovers_planted_truth(tmp_path):
    """Two small seeded replications end to end: exact observed counts, sane capture–recapture."""
    res = V.run_validation(replications=2, scale=0.03, seed=11, years=(2022, 2024),
                           workdir=tmp_path, progress=False)
    s = res.summary.set_index("estimator")
    # the case finding reproduces the generator's ascertained cases exactly, every year
    assert s.loc["llc_observed", "exact"] == 1.0
    assert (res.per_year["llc_observed"] > 0).all()
    # capture-recapture sees more than the observed and covers the truth in most cells
    assert s.loc["cr_total[aic]", "coverage"] >= 0.5
    assert s.loc["cr_total[full]", "coverage"] >= 0.5
    assert (res.per_year["n_estimated_aic"] >= res.per_year["n_observed"]).all()
    assert abs(s.loc["cr_total[aic]", "rel_bias"]) < 0.25
    need = res.need.set_index("variant")
    assert need.loc["all markers", "ppv"] > 0.5
    assert 0 < need.loc["all markers", "sensitivity_among_cases"] <= 1
