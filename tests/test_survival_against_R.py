"""kpz_analytics.methods.survival pinned to R survival 3.5.

The fixtures in tests/fixtures/r/survival_*.csv were produced by
``Rscript tests/fixtures/r/survival_reference.R`` (R 4.2.2, survival 3.5.3; the command and
versions are in each file's first line) from survival_input.csv (600 synthetic young people,
monthly times 0-23) and survival_edge_input.csv (tiny hand-built sets). R is not needed to run
these tests.

Tolerances, and why:
- CLOSED_FORM_RTOL = 1e-10 for Kaplan–Meier, Greenwood, the interval transforms and
  Aalen–Johansen with its jackknife standard error: R and Python evaluate the same finite
  formulas, so they differ only by rounding (measured: every comparison in this file also
  passes at 1e-12; the largest relative difference is 5.1e-13). ZERO_ATOL
  = 1e-12 absolute covers values that are zero up to rounding (R gives 1.4e-16 where the
  jackknife standard error is exactly 0).
- Medians, their limits and all counts are compared exactly: they are observed times.
- COX_RTOL = 1e-8 for the Cox fit, cox.zph and the concordance: both sides iterate to the
  same maximum (R with eps = 1e-13, Python until the Newton step is below 1e-10) and then
  apply the same formulas (measured: within 1e-12 relative as well).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.methods.survival import (
    CONF_TYPES,
    cox_model,
    cumulative_incidence,
    km_curves,
    km_summary,
)

FIXTURES = Path(__file__).parent / "fixtures" / "r"
CLOSED_FORM_RTOL = 1e-10
ZERO_ATOL = 1e-12
COX_RTOL = 1e-8
R_TIMES = (0, 3, 6, 12, 30)


def _read(name: str) -> pd.DataFrame:
    path = FIXTURES / name
    first = path.read_text().splitlines()[0]
    assert first.startswith("# Produced by: Rscript tests/fixtures/r/survival_reference.R"), first
    return pd.read_csv(path, comment="#")


def _input() -> pd.DataFrame:
    data = _read("survival_input.csv")
    data["adult_care"] = (data["status"] == 1).astype(int)
    return data


def _edge(dataset: str) -> pd.DataFrame:
    edge = _read("survival_edge_input.csv")
    part = edge[edge["dataset"] == dataset].reset_index(drop=True)
    assert len(part) > 0, dataset
    return part


def _same(got, expected, rtol=CLOSED_FORM_RTOL, atol=0.0, what=""):
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, what
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"NaN pattern of {what}")
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _km_data(dataset: str) -> tuple[pd.DataFrame, str, str | None]:
    if dataset == "main_by_group":
        return _input(), "adult_care", "diagnosis_group"
    if dataset == "main_overall":
        return _input(), "adult_care", None
    return _edge(dataset), "event", None


KM_CASES = sorted(
    {(row.dataset, row.conf_type, row.conf_level) for row in _read("survival_km_medians.csv").itertuples()}
)


def test_fixture_covers_what_it_claims():
    data = _input()
    assert 300 <= len(data) <= 800
    assert set(data["status"]) == {0, 1, 2}
    assert (data["month"] == 0).sum() > 10 and ((data["month"] == 0) & (data["status"] == 1)).sum() > 10
    assert data["month"].nunique() == 24  # monthly, many ties
    medians = _read("survival_km_medians.csv")
    onc = medians[(medians["dataset"] == "main_by_group") & (medians["group"] == "oncology")]
    assert onc["median"].isna().all() and onc["median_upper"].isna().all()  # not reached
    assert onc["median_lower"].notna().all()
    assert {c for _, c, _ in KM_CASES} == set(CONF_TYPES)


@pytest.mark.parametrize("dataset,conf_type,conf_level", KM_CASES)
def test_km_curves_match_survfit(dataset, conf_type, conf_level):
    data, event, group = _km_data(dataset)
    ref = _read("survival_km_curves.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf_type)
              & np.isclose(ref["conf_level"], conf_level)].reset_index(drop=True)
    got = km_curves(data, "month", event, group=group, alpha=1 - conf_level, conf_type=conf_type)
    assert got["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    np.testing.assert_array_equal(got["time"], ref["time"])
    np.testing.assert_array_equal(got["n_at_risk"], ref["n_risk"])
    np.testing.assert_array_equal(got["n_events"], ref["n_event"])
    np.testing.assert_array_equal(got["n_censored"], ref["n_censor"])
    _same(got["survival"], ref["surv"], what="survival")
    _same(got["std_err"], ref["std_err"], what="std_err")
    _same(got["ci_low"], ref["lower"], what="ci_low")
    _same(got["ci_high"], ref["upper"], what="ci_high")
    assert (got["conf_type"] == conf_type).all()


@pytest.mark.parametrize("dataset,conf_type,conf_level", KM_CASES)
def test_median_and_interval_match_quantile_survfit(dataset, conf_type, conf_level):
    data, event, group = _km_data(dataset)
    ref = _read("survival_km_medians.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf_type)
              & np.isclose(ref["conf_level"], conf_level)].reset_index(drop=True)
    got = km_summary(data, "month", event, group=group, alpha=1 - conf_level, conf_type=conf_type).medians
    assert got["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    np.testing.assert_array_equal(got["n_persons"], ref["n"])
    np.testing.assert_array_equal(got["n_events"], ref["events"])
    # observed times: exact equality, NaN where R gives NA ("not reached")
    np.testing.assert_array_equal(got["median"], ref["median"])
    np.testing.assert_array_equal(got["median_ci_low"], ref["median_lower"])
    np.testing.assert_array_equal(got["median_ci_high"], ref["median_upper"])


def test_print_survfit_differs_only_where_documented():
    # print.survfit takes the start of a 0.5 plateau that runs to the last follow-up; we follow
    # quantile.survfit (midpoint). Everywhere else the two R functions agree.
    ref = _read("survival_km_medians.csv")
    differs = ref[~np.isclose(ref["median"], ref["print_median"], equal_nan=True)]
    assert set(differs["dataset"]) == {"half_to_end"}
    assert (differs["median"] == 3).all() and (differs["print_median"] == 2).all()
    np.testing.assert_array_equal(ref["median_lower"], ref["print_lower"])
    np.testing.assert_array_equal(ref["median_upper"], ref["print_upper"])


@pytest.mark.parametrize("dataset,conf_type,conf_level", KM_CASES)
def test_survival_at_times_matches_summary_survfit(dataset, conf_type, conf_level):
    data, event, group = _km_data(dataset)
    ref = _read("survival_km_at_times.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf_type)
              & np.isclose(ref["conf_level"], conf_level)].reset_index(drop=True)
    got = km_summary(data, "month", event, group=group, times=R_TIMES, alpha=1 - conf_level,
                     conf_type=conf_type).at_times
    assert len(got) == len(ref)
    np.testing.assert_array_equal(got["time"], ref["time"])
    # R's extend = TRUE carries the last value forward past the last follow-up; we do so only
    # when the curve reached 0 and report NaN (not observed) otherwise.
    observed = (ref["time"] <= ref["last_time"]) | (ref["surv"] == 0)
    assert observed.any()
    for ours, theirs in [("survival", "surv"), ("std_err", "std_err"), ("ci_low", "lower"), ("ci_high", "upper")]:
        _same(got.loc[observed, ours], ref.loc[observed, theirs], what=ours)
        assert got.loc[~observed, ours].isna().all(), ours
    _same(got["cumulative_share"], 1 - got["survival"], what="cumulative_share")
    _same(got["cumulative_ci_low"], 1 - got["ci_high"], what="cumulative_ci_low")


COX_SPECS = {
    "group_and_support": (["diagnosis_group", "support_months"], ["diagnosis_group"]),
    "oncology_reference": (["diagnosis_group", "support_months"], {"diagnosis_group": "oncology"}),
    "three_covariates": (["diagnosis_group", "support_months", "sex"], ["diagnosis_group", "sex"]),
    "support_only": (["support_months"], None),
}


def _r_term(term: str) -> str:
    # R names a contrast by pasting variable and level: diagnosis_group[neurology] -> diagnosis_groupneurology
    return term.replace("[", "").replace("]", "")


@pytest.mark.parametrize("model", sorted(COX_SPECS))
@pytest.mark.parametrize("conf_level", [0.95, 0.90])
def test_cox_coefficients_match_coxph_efron(model, conf_level):
    covariates, categorical = COX_SPECS[model]
    ref = _read("survival_cox_coefficients.csv")
    ref = ref[(ref["model"] == model) & np.isclose(ref["conf_level"], conf_level)].reset_index(drop=True)
    got = cox_model(_input(), "month", "adult_care", covariates, categorical=categorical, alpha=1 - conf_level)
    assert got.converged
    table = got.coefficients
    assert [_r_term(t) for t in table["term"]] == ref["term"].tolist()
    assert (table["note"] == "").all()
    for column in ["coef", "hazard_ratio", "std_err", "ci_low", "ci_high", "p_value"]:
        _same(table[column], ref[column], rtol=COX_RTOL, what=column)


@pytest.mark.parametrize("model", sorted(COX_SPECS))
def test_cox_fit_summary_and_concordance_match_coxph(model):
    covariates, categorical = COX_SPECS[model]
    ref = _read("survival_cox_fit.csv").set_index("model").loc[model]
    got = cox_model(_input(), "month", "adult_care", covariates, categorical=categorical)
    assert got.n == ref["n"] and got.n_events == ref["n_events"]
    assert got.loglik_null == pytest.approx(ref["loglik_null"], rel=CLOSED_FORM_RTOL)
    assert got.loglik == pytest.approx(ref["loglik"], rel=COX_RTOL)
    assert got.concordance == pytest.approx(ref["concordance"], rel=COX_RTOL)


def test_concordance_counts_match_coxph():
    from kpz_analytics.methods.survival import _concordance

    ref = _read("survival_cox_fit.csv").set_index("model").loc["group_and_support"]
    data = _input()
    got = cox_model(data, "month", "adult_care", ["diagnosis_group", "support_months"], ["diagnosis_group"])
    beta = got.coefficients.set_index("term")["coef"]
    lp = (beta["diagnosis_group[neurology]"] * (data["diagnosis_group"] == "neurology")
          + beta["diagnosis_group[oncology]"] * (data["diagnosis_group"] == "oncology")
          + beta["support_months"] * data["support_months"]).to_numpy()
    c, concordant, discordant, tied = _concordance(data["month"].to_numpy(float), data["adult_care"].to_numpy(), lp)
    assert (concordant, discordant, tied) == (ref["concordant"], ref["discordant"], ref["tied_x"])


@pytest.mark.parametrize("model", sorted(COX_SPECS))
def test_ph_test_matches_cox_zph(model):
    covariates, categorical = COX_SPECS[model]
    ref = _read("survival_cox_zph.csv")
    ref = ref[ref["model"] == model].reset_index(drop=True)
    got = cox_model(_input(), "month", "adult_care", covariates, categorical=categorical).ph_test
    assert got["term"].tolist() == ref["term"].tolist()
    assert got["term"].iloc[-1] == "GLOBAL"
    np.testing.assert_array_equal(got["df"], ref["df"])
    _same(got["statistic"], ref["statistic"], rtol=COX_RTOL, what="statistic")
    _same(got["p_value"], ref["p_value"], rtol=COX_RTOL, what="p_value")


AJ_CASES = sorted(
    {(row.dataset, row.conf_type, row.conf_level) for row in _read("survival_aj_curves.csv").itertuples()}
)


def _aj_data(dataset: str) -> tuple[pd.DataFrame, str, str | None]:
    if dataset == "main_by_group":
        return _input(), "status", "diagnosis_group"
    if dataset == "main_overall":
        return _input(), "status", None
    return _edge(dataset), "event", None


@pytest.mark.parametrize("dataset,conf_type,conf_level", AJ_CASES)
def test_cumulative_incidence_matches_multistate_survfit(dataset, conf_type, conf_level):
    data, event, group = _aj_data(dataset)
    ref = _read("survival_aj_curves.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf_type)
              & np.isclose(ref["conf_level"], conf_level)]
    got = cumulative_incidence(data, "month", event, group=group, alpha=1 - conf_level, conf_type=conf_type).curves
    for state, cause in [(1, "event"), (2, "competing")]:
        r = ref[ref["state"] == state].reset_index(drop=True)
        g = got[got["cause"] == cause].reset_index(drop=True)
        assert g["group"].astype(str).tolist() == r["group"].astype(str).tolist()
        np.testing.assert_array_equal(g["time"], r["time"])
        np.testing.assert_array_equal(g["n_at_risk"], r["n_risk"])
        np.testing.assert_array_equal(g["n_censored"], r["n_censor"])
        np.testing.assert_array_equal(g["n_events" if state == 1 else "n_competing"], r["n_event"])
        _same(g["cumulative_incidence"], r["pstate"], atol=ZERO_ATOL, what=f"{cause} incidence")
        _same(g["std_err"], r["std_err"], atol=ZERO_ATOL, what=f"{cause} std_err")
        _same(g["ci_low"], r["lower"], atol=ZERO_ATOL, what=f"{cause} ci_low")
        _same(g["ci_high"], r["upper"], atol=ZERO_ATOL, what=f"{cause} ci_high")


@pytest.mark.parametrize("dataset,conf_type,conf_level", AJ_CASES)
def test_cumulative_incidence_at_times_matches_summary(dataset, conf_type, conf_level):
    data, event, group = _aj_data(dataset)
    ref = _read("survival_aj_at_times.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["conf_type"] == conf_type)
              & np.isclose(ref["conf_level"], conf_level)]
    result = cumulative_incidence(data, "month", event, group=group, times=R_TIMES, alpha=1 - conf_level,
                                  conf_type=conf_type)
    got = result.at_times
    for state, cause in [(1, "event"), (2, "competing")]:
        r = ref[ref["state"] == state].reset_index(drop=True)
        g = got[got["cause"] == cause].reset_index(drop=True)
        np.testing.assert_array_equal(g["time"], r["time"])
        # past the last follow-up only carried forward when nobody is left (see the docstring)
        last = result.curves[result.curves["cause"] == cause].groupby("group")["n_at_risk"].last()
        empty = (last - result.curves[result.curves["cause"] == cause].groupby("group")["n_events"].last()
                 - result.curves[result.curves["cause"] == cause].groupby("group")["n_competing"].last()) == 0
        observed = (r["time"] <= r["last_time"]) | r["group"].map(empty).fillna(False).astype(bool)
        for ours, theirs in [("cumulative_incidence", "pstate"), ("std_err", "std_err"),
                             ("ci_low", "lower"), ("ci_high", "upper")]:
            _same(g.loc[observed, ours], r.loc[observed, theirs], atol=ZERO_ATOL, what=ours)
            assert g.loc[~observed, ours].isna().all(), ours
