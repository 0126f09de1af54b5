"""kpz_analytics.methods.discontinuity: RD at 18, difference in discontinuities, donut.

Exact hand-built panels for the conventions (birthday month counts as after, donut), rdrobust
itself as the reference for the estimator and its side-by-side variance, and recovery of the
jump planted by tests/panel_simulation.py (a small version here, >= 200 replications slow).
"""

from __future__ import annotations

import math
import warnings
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from panel_simulation import COMPARISON, LLC, simulate_panel
from rd_validation import replicate, summarise
from scipy import stats

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods import discontinuity as dm
from kpz_analytics.methods.discontinuity import RESULT_COLUMNS, rd_difference, rd_jump

MONTHS = np.arange(-24, 24)


def exact_panel(n_persons=40, level=0.5, slope=0.01, jump=-0.2, jump_from=0, month0=None, prefix="p"):
    """Outcome exactly linear in the month on each side plus noise that averages to 0 in every
    month (+e for half the persons, -e for the other half, e varying by month): every weighted
    local-polynomial fit of order >= 1 then returns the linear trend exactly."""
    rows = []
    for i in range(n_persons):
        sign = 1 if i % 2 == 0 else -1
        for m in MONTHS:
            mean = level + slope * m + (jump if m >= jump_from else 0.0)
            if month0 is not None and m == 0:
                mean = month0
            noise = sign * (0.05 + 0.01 * ((m * 7) % 5))
            rows.append((f"{prefix}{i:03d}", int(m), mean + noise))
    return pd.DataFrame(rows, columns=["persoon_id", "event_month", "y"])


@pytest.fixture(scope="module")
def sim_panels():
    rng = np.random.default_rng(7)
    return simulate_panel(LLC, 400, rng, "a"), simulate_panel(COMPARISON, 400, rng, "b")


def _rdrobust(panel, outcome, **kw):
    import contextlib
    import io

    from rdrobust import rdrobust

    codes = pd.factorize(panel["persoon_id"])[0]
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdrobust(panel[outcome].to_numpy(float), panel["event_month"].to_numpy(float), c=0,
                        cluster=codes, vce="cr1", masspoints="adjust", **kw)


# ---------------------------------------------------------------------------------------------
# rdrobust pin and the reference implementation
# ---------------------------------------------------------------------------------------------


def test_installed_rdrobust_is_the_version_the_module_is_written_for():
    assert metadata.version("rdrobust") == dm.RDROBUST_VERSION


@pytest.mark.parametrize("kw", [{}, {"p": 2}, {"kernel": "epanechnikov"}, {"bwselect": "msetwo"}, {"donut": 1}])
def test_estimate_interval_and_bandwidth_are_rdrobusts(sim_panels, kw):
    a, _ = sim_panels
    got = rd_jump(a, "any_use", variance="rdrobust", **kw).iloc[0]
    data = a[np.abs(a["event_month"]) >= kw.get("donut", 0)] if kw.get("donut") else a
    ref_kw = {"p": kw.get("p", 1), "kernel": {"epanechnikov": "epa"}.get(kw.get("kernel"), "tri"),
              "bwselect": kw.get("bwselect", "mserd")}
    ref = _rdrobust(data, "any_use", **ref_kw)
    assert got["estimate"] == pytest.approx(ref.coef.iloc[0, 0], rel=1e-10)
    assert got["estimate_bias_corrected"] == pytest.approx(ref.coef.iloc[1, 0], rel=1e-10)
    assert got["std_err"] == pytest.approx(ref.se.iloc[2, 0], rel=1e-10)
    assert got["std_err_conventional"] == pytest.approx(ref.se.iloc[0, 0], rel=1e-10)
    assert got["ci_low"] == pytest.approx(ref.ci.iloc[2, 0], rel=1e-10)
    assert got["ci_high"] == pytest.approx(ref.ci.iloc[2, 1], rel=1e-10)
    assert got["p_value"] == pytest.approx(ref.pv.iloc[2, 0], rel=1e-8, abs=1e-300)
    assert got["bandwidth_left_months"] == pytest.approx(ref.bws.iloc[0, 0], rel=1e-9)
    assert got["bandwidth_right_months"] == pytest.approx(ref.bws.iloc[0, 1], rel=1e-9)
    assert got["bias_bandwidth_left_months"] == pytest.approx(ref.bws.iloc[1, 0], rel=1e-9)
    assert (got["n_obs_left"], got["n_obs_right"]) == tuple(ref.N_h)
    # No note: in particular our side-by-side variance reproduced rdrobust's (else a note says so).
    assert got["note"] == ""


@pytest.mark.parametrize("kw", [{}, {"p": 2}, {"kernel": "uniform"}, {"bwselect": "msetwo"}])
def test_side_by_side_variance_formula_reproduces_rdrobust(sim_panels, kw):
    a, _ = sim_panels
    o = dm._options("any_use", "event_month", "persoon_id", 0.0, 0, kw.get("p", 1), kw.get("kernel", "triangular"),
                    kw.get("bwselect", "mserd"), 0.05, "person", dm.MIN_PERSONS, None, 0)
    d = dm._prepare(a, o, "test")
    res, _, _ = dm._run_rdrobust(d, o)
    (h_l, h_r), (b_l, b_r) = res.bws.iloc[0, :2], res.bws.iloc[1, :2]
    side, person = dm._robust_variances(d, 0.0, h_l, h_r, b_l, b_r, o.p, o.kernel)
    assert math.sqrt(side) == pytest.approx(res.se.iloc[2, 0], rel=1e-9)
    # Persons observed on both sides with a person effect: the cross-side covariance is
    # positive, so the person-level variance is smaller.
    assert person < side


def test_person_variance_equals_side_by_side_when_no_person_is_on_both_sides(sim_panels):
    a, _ = sim_panels
    split = a.copy()
    after = split["event_month"] >= 0
    split.loc[after, "persoon_id"] = "after-" + split.loc[after, "persoon_id"]
    got = rd_jump(split, "any_use").iloc[0]
    # Only the CR1 small-sample factor differs (one k = 2(q+1) over all rows vs q+1 per side).
    assert got["std_err"] == pytest.approx(got["std_err_rdrobust"], rel=2e-3)
    assert got["n_persons"] == 2 * a["persoon_id"].nunique()


# ---------------------------------------------------------------------------------------------
# Conventions on exact panels
# ---------------------------------------------------------------------------------------------


def test_exact_linear_panel_gives_the_exact_jump():
    got = rd_jump(exact_panel(jump=-0.2), "y").iloc[0]
    assert got["estimate"] == pytest.approx(-0.2, abs=1e-10)
    assert got["estimate_bias_corrected"] == pytest.approx(-0.2, abs=1e-10)
    assert got["ci_low"] < -0.2 < got["ci_high"]
    assert got["n_persons"] == 40


def noisy_panel(n_persons=200, jump=-0.2, jump_from=0, month0=None, seed=0):
    """Linear trend with a jump plus person effects and month noise (sd 0.05 each)."""
    rng = np.random.default_rng(seed)
    m = np.tile(MONTHS, n_persons)
    mean = 0.5 + 0.01 * m + np.where(m >= jump_from, jump, 0.0)
    if month0 is not None:
        mean = np.where(m == 0, month0, mean)
    person = np.repeat(np.arange(n_persons), len(MONTHS))
    y = mean + np.repeat(rng.normal(0, 0.05, n_persons), len(MONTHS)) + rng.normal(0, 0.05, len(m))
    return pd.DataFrame({"persoon_id": person, "event_month": m, "y": y})


def test_birthday_month_counts_as_after():
    panel = noisy_panel(jump_from=0)
    got = rd_jump(panel, "y").iloc[0]
    assert got["estimate"] == pytest.approx(-0.2, abs=0.01)
    assert got["ci_low"] < -0.2 < got["ci_high"]
    # Month 0 is the only month on the after side: not "no observations after".
    only_month0 = rd_jump(panel[panel["event_month"] <= 0], "y").iloc[0]
    assert only_month0["note"].startswith("rdrobust could not estimate")
    with pytest.raises(ParameterError, match="no observations right"):
        rd_jump(panel[panel["event_month"] < 0], "y")


def test_donut_repairs_a_contaminated_birthday_month():
    # Month 0 behaves like the months before (care in its first half): the plain estimate is
    # pulled towards zero, the donut recovers the planted -0.30.
    panel = simulate_panel(LLC.replace(birthday_month_before=True), 1500, np.random.default_rng(2))
    plain = rd_jump(panel, "any_use").iloc[0]
    donut = rd_jump(panel, "any_use", donut=1).iloc[0]
    # Either biased towards zero or, when the bandwidth collapses onto the spike, not estimated.
    assert plain["estimate"] > -0.15 or "see donut=1" in plain["note"]
    assert donut["estimate"] == pytest.approx(-0.30, abs=0.03)
    assert donut["ci_low"] < -0.30 < donut["ci_high"]
    assert donut["donut_months"] == 1
    o = dm._options("any_use", "event_month", "persoon_id", 0.0, 1, 1, "triangular", "mserd", 0.05, "person", 20,
                    None, 0)
    d = dm._prepare(panel, o, "t")
    assert len(d.x) == len(panel) - (panel["event_month"] == 0).sum()
    assert 0 not in d.x and -1 in d.x and 1 in d.x


def test_data_rdrobust_cannot_fit_give_nan_with_its_reason():
    # Linear trends and a single outlying month at the cutoff: the selected bandwidth collapses
    # below two distinct months a side and rdrobust stops; the row carries its message.
    for panel in (exact_panel(month0=0.5), noisy_panel(month0=0.5)):
        got = rd_jump(panel, "y").iloc[0]
        assert math.isnan(got["estimate"]) and math.isnan(got["ci_high"])
        assert got["note"].startswith("rdrobust could not estimate: Not enough")
        assert not math.isnan(rd_jump(panel, "y", donut=1).iloc[0]["estimate"])


def test_result_columns_and_types():
    got = rd_jump(exact_panel(), "y")
    assert list(got.columns) == RESULT_COLUMNS
    assert len(got) == 1
    assert "rdrobust 2.1.1" in got.iloc[0]["method"] and "masspoints=adjust" in got.iloc[0]["method"]


# ---------------------------------------------------------------------------------------------
# Degenerate outcomes, notes and quiet output
# ---------------------------------------------------------------------------------------------


def test_outcome_nobody_uses_gives_nan_with_note():
    panel = exact_panel()
    panel["never"] = 0
    got = rd_jump(panel, "never").iloc[0]
    assert math.isnan(got["estimate"]) and math.isnan(got["ci_low"]) and math.isnan(got["std_err"])
    assert "0 in every row on both sides" in got["note"]
    assert (got["n_persons"], got["n_persons_left"], got["n_persons_right"]) == (40, 40, 40)
    assert (got["n_obs_left"], got["n_obs_right"]) == (40 * 24, 40 * 24)


def test_outcome_constant_on_each_side_gives_nan_with_note():
    panel = exact_panel()
    panel["child_only"] = (panel["event_month"] < 0).astype(int)
    got = rd_jump(panel, "child_only").iloc[0]
    assert math.isnan(got["estimate"])
    assert "1 in every row before and 0 in every row after" in got["note"]


def test_outcome_zero_after_but_varying_before_is_estimated():
    # E.g. Jeugdwet care: used by some before 18, by nobody after.
    rng = np.random.default_rng(3)
    panel = simulate_panel(LLC, 300, rng)
    panel["youth_care"] = np.where(panel["event_month"] < 0, panel["any_use"], 0)
    got = rd_jump(panel, "youth_care").iloc[0]
    assert -0.8 < got["estimate"] < -0.4
    assert got["ci_low"] < got["estimate_bias_corrected"] < got["ci_high"]


def test_missing_outcome_rows_are_left_out_with_a_note():
    panel = exact_panel()
    panel.loc[[0, 5, 9], "y"] = np.nan
    got = rd_jump(panel, "y").iloc[0]
    assert "3 row(s) with missing y left out" in got["note"]
    assert math.isfinite(got["estimate"])


def test_nothing_reaches_the_terminal(capfd, sim_panels):
    a, b = sim_panels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping would raise here
        rd_jump(a, "any_use")
        rd_difference(a, b, "any_use", interval="bootstrap", n_boot=99)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_few_persons_within_bandwidth_is_a_note_not_a_crash():
    got = rd_jump(exact_panel(n_persons=8), "y", min_persons=4).iloc[0]
    assert "rdrobust warning: Only 8 (left) and 8 (right) clusters" in got["note"]
    assert math.isfinite(got["estimate"])


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"outcome": "nope"}, "outcome column 'nope'"),
        ({"outcome": "y", "running": "age"}, "running column 'age'"),
        ({"outcome": "y", "cluster": "person"}, "cluster column 'person'"),
        ({"outcome": "y", "running": "label"}, "running variable 'label' must be numeric"),
        ({"outcome": "label"}, "outcome 'label' must be numeric"),
        ({"outcome": "y", "alpha": 0}, "alpha must be in"),
        ({"outcome": "y", "alpha": 1.5}, "alpha must be in"),
        ({"outcome": "y", "alpha": "x"}, "alpha must be a number"),
        ({"outcome": "y", "kernel": "gaussian"}, "kernel must be one of"),
        ({"outcome": "y", "bwselect": "ik"}, "bwselect must be one of"),
        ({"outcome": "y", "donut": -1}, "donut must be an integer"),
        ({"outcome": "y", "p": 1.5}, "p must be an integer"),
        ({"outcome": "y", "variance": "hc1"}, "variance must be one of"),
        ({"outcome": "y", "cutoff": 30}, "no observations right"),
        ({"outcome": "y", "cutoff": -30}, "no observations left"),
        ({"outcome": "y", "min_persons": 41}, "at least min_persons=41"),
    ],
)
def test_bad_input_is_a_one_line_parameter_error(kwargs, match):
    panel = exact_panel()
    panel["label"] = "x"
    with pytest.raises(ParameterError, match=match) as info:
        rd_jump(panel, **kwargs)
    assert "\n" not in str(info.value)


def test_missing_running_values_and_donut_emptying_a_side_are_parameter_errors():
    panel = exact_panel()
    panel.loc[3, "event_month"] = np.nan
    with pytest.raises(ParameterError, match="'event_month' has 1 missing"):
        rd_jump(panel, "y")
    short = exact_panel()
    short = short[short["event_month"].between(-24, 1)]
    with pytest.raises(ParameterError, match="no observations right .* after the donut of 2"):
        rd_jump(short, "y", donut=2)


def test_rd_difference_rejects_shared_persons_and_bad_options():
    a = exact_panel(prefix="a")
    with pytest.raises(ParameterError, match="in both cohorts"):
        rd_difference(a, exact_panel(prefix="a"), "y")
    with pytest.raises(ParameterError, match="interval must be one of"):
        rd_difference(a, exact_panel(prefix="b"), "y", interval="jackknife")
    with pytest.raises(ParameterError, match="n_boot must be an integer >= 99"):
        rd_difference(a, exact_panel(prefix="b"), "y", interval="bootstrap", n_boot=10)
    with pytest.raises(ParameterError, match=r"panel_b.*outcome column 'y'"):
        rd_difference(a, exact_panel(prefix="b").rename(columns={"y": "z"}), "y")


# ---------------------------------------------------------------------------------------------
# Difference in discontinuities
# ---------------------------------------------------------------------------------------------


def test_analytic_difference_combines_the_two_robust_fits(sim_panels):
    a, b = sim_panels
    ja, jb = rd_jump(a, "any_use").iloc[0], rd_jump(b, "any_use").iloc[0]
    got = rd_difference(a, b, "any_use").iloc[0]
    se = math.hypot(ja["std_err"], jb["std_err"])
    centre = ja["estimate_bias_corrected"] - jb["estimate_bias_corrected"]
    z = stats.norm.ppf(0.975)
    assert got["estimate"] == pytest.approx(ja["estimate"] - jb["estimate"], rel=1e-12)
    assert (got["estimate_a"], got["estimate_b"]) == (ja["estimate"], jb["estimate"])
    assert got["std_err"] == pytest.approx(se, rel=1e-12)
    assert got["ci_low"] == pytest.approx(centre - z * se, rel=1e-12)
    assert got["ci_high"] == pytest.approx(centre + z * se, rel=1e-12)
    assert got["n_persons"] == ja["n_persons"] + jb["n_persons"] == 800


def test_difference_is_nan_with_note_when_one_cohort_is_degenerate(sim_panels):
    a, b = sim_panels
    b = b.assign(any_use=0)
    got = rd_difference(a, b, "any_use").iloc[0]
    assert math.isnan(got["estimate"]) and math.isnan(got["ci_low"])
    assert "B: any_use is 0 in every row" in got["note"] and "jump in B could not be estimated" in got["note"]


def test_bootstrap_moments_reproduce_the_bias_corrected_estimate(sim_panels):
    a, _ = sim_panels
    o = dm._options("any_use", "event_month", "persoon_id", 0.0, 0, 1, "triangular", "mserd", 0.05, "person",
                    dm.MIN_PERSONS, None, 0)
    fit = dm._fit_one(a, o, "t")
    moments, _ = dm._person_moments(fit.data, 0.0, fit.h, fit.b, 1, "triangular")
    whole = dm._tau_bc_from_moments(np.ones((1, fit.data.n_persons)) @ moments, 1)[0]
    assert whole == pytest.approx(fit.row["estimate_bias_corrected"], rel=1e-9)

    # A resample (persons drawn twice or not at all) equals rdrobust on the duplicated rows with
    # the same bandwidths.
    rng = np.random.default_rng(1)
    counts = np.bincount(rng.integers(0, fit.data.n_persons, fit.data.n_persons), minlength=fit.data.n_persons)
    boot = dm._tau_bc_from_moments(counts[None, :].astype(float) @ moments, 1)[0]
    reps = np.repeat(np.arange(fit.data.n_persons), counts)
    code_of_row = fit.data.person
    rows = np.concatenate([np.flatnonzero(code_of_row == g) for g in reps])
    ref = _rdrobust(
        pd.DataFrame({"persoon_id": np.arange(len(rows)), "event_month": fit.data.x[rows], "any_use": fit.data.y[rows]}),
        "any_use", h=list(fit.h), b=list(fit.b),
    )
    assert boot == pytest.approx(ref.coef.iloc[1, 0], rel=1e-9)


def test_bootstrap_interval_is_seeded_and_close_to_analytic(sim_panels):
    a, b = sim_panels
    one = rd_difference(a, b, "any_use", interval="bootstrap", n_boot=399, seed=5).iloc[0]
    two = rd_difference(a, b, "any_use", interval="bootstrap", n_boot=399, seed=5).iloc[0]
    analytic = rd_difference(a, b, "any_use").iloc[0]
    assert (one["ci_low"], one["ci_high"]) == (two["ci_low"], two["ci_high"])
    assert one["n_boot"] == 399 and one["interval"] == "bootstrap"
    assert one["std_err"] == pytest.approx(analytic["std_err"], rel=0.2)
    assert one["ci_low"] < one["estimate_bias_corrected"] < one["ci_high"]


def test_max_persons_takes_a_seeded_subsample_of_whole_persons(sim_panels):
    a, _ = sim_panels
    one = rd_jump(a, "any_use", max_persons=150, seed=3).iloc[0]
    again = rd_jump(a, "any_use", max_persons=150, seed=3).iloc[0]
    assert one["n_persons"] == 150
    assert "random subsample of 150 of 400 persons (seed 3)" in one["note"]
    assert one["estimate"] == again["estimate"]
    full = rd_jump(a, "any_use").iloc[0]
    assert one["std_err"] > full["std_err"]


# ---------------------------------------------------------------------------------------------
# Recovery of planted truth
# ---------------------------------------------------------------------------------------------


def test_planted_jump_is_recovered_in_a_few_replications():
    reps = replicate("main", reps=12, n_a=300, n_b=300, seed=11, n_boot=199)
    s = summarise(reps).set_index("estimator")
    assert abs(s.loc["jump A, person variance", "bias"]) < 0.03
    assert abs(s.loc["difference A-B, analytic", "bias"]) < 0.04
    for name in ["jump A, person variance", "jump A, donut 1", "difference A-B, analytic", "difference A-B, bootstrap"]:
        assert s.loc[name, "coverage"] >= 9 / 12, name
    # The person-level interval is narrower than rdrobust's side-by-side one.
    assert s.loc["jump A, person variance", "mean_width"] < s.loc["jump A, rdrobust variance", "mean_width"]


@pytest.mark.slow
def test_coverage_when_the_assumptions_hold():
    s = summarise(replicate("main", reps=200, n_a=600, n_b=1200)).set_index("estimator")
    for name in ["jump A, person variance", "jump A, donut 1", "difference A-B, analytic", "difference A-B, bootstrap"]:
        assert s.loc[name, "coverage"] >= 0.91, (name, s.loc[name, "coverage"])
        assert abs(s.loc[name, "bias_bc"]) < 0.01, name


@pytest.mark.slow
def test_anticipation_biases_the_jump_towards_zero():
    # A finding, not a virtue: half the drop before the birthday month is invisible to RD.
    s = summarise(replicate("anticipation", reps=200, n_a=600, n_b=1200)).set_index("estimator")
    assert s.loc["jump A, person variance", "bias"] > 0.10
    assert s.loc["jump A, person variance", "coverage"] < 0.5


@pytest.mark.slow
def test_contaminated_birthday_month_is_repaired_by_the_donut():
    s = summarise(replicate("birthday_month_mixed", reps=200, n_a=600, n_b=1200)).set_index("estimator")
    assert s.loc["jump A, person variance", "coverage"] < 0.5
    assert s.loc["jump A, donut 1", "coverage"] >= 0.91


def test_difference_of_jumps_equals_rd_difference(sim_panels):
    """Combining two fitted jumps gives exactly rd_difference's analytic result (no refit)."""
    from kpz_analytics.methods.discontinuity import difference_of_jumps

    a, b = sim_panels
    for donut in (0, 1):
        direct = rd_difference(a, b, "any_use", donut=donut).iloc[0]
        combined = difference_of_jumps(rd_jump(a, "any_use", donut=donut),
                                       rd_jump(b, "any_use", donut=donut)).iloc[0]
        for col in ("estimate", "ci_low", "ci_high", "std_err", "p_value", "estimate_bias_corrected", "n_persons"):
            assert combined[col] == pytest.approx(direct[col], rel=1e-12), col
    with pytest.raises(ParameterError, match="donut"):
        difference_of_jumps(rd_jump(a, "any_use"), rd_jump(b, "any_use", donut=1))
