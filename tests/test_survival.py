"""kpz_analytics.methods.survival on tiny hand-built data with values worked out by hand.

Each case writes its arithmetic in the comments; the R comparison on realistic data lives in
test_survival_against_R.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods.survival import (
    ALL_GROUP,
    _concordance,
    cox_model,
    cumulative_incidence,
    km_curves,
    km_summary,
)

Z95 = stats.norm.ppf(0.975)


def frame(months, events, **extra) -> pd.DataFrame:
    return pd.DataFrame({"month": months, "event": events, **extra})


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier by hand
# ---------------------------------------------------------------------------------------------
# Five persons: months 1, 2, 2, 3, 5 with events 1, 1, 0, 1, 0.
#   t=1: n=5 d=1        S = 4/5                 Greenwood sum = 1/(5*4)            = 1/20
#   t=2: n=4 d=1 c=1    S = 4/5 * 3/4 = 3/5     sum += 1/(4*3)                     = 2/15
#   t=3: n=2 d=1        S = 3/5 * 1/2 = 3/10    sum += 1/(2*1)                     = 19/30
#   t=5: n=1 d=0 c=1    S = 3/10                sum unchanged
# std_err = S * sqrt(sum). Median: first time S <= 0.5 is t=3.
FIVE = frame([1, 2, 2, 3, 5], [1, 1, 0, 1, 0])
FIVE_S = np.array([4 / 5, 3 / 5, 3 / 10, 3 / 10])
FIVE_GW = np.array([1 / 20, 2 / 15, 19 / 30, 19 / 30])


def test_km_five_persons_by_hand():
    got = km_curves(FIVE, "month", "event", conf_type="log")
    assert got.columns.tolist() == ["group", "time", "n_at_risk", "n_events", "n_censored", "survival",
                                    "std_err", "ci_low", "ci_high", "conf_type", "conf_level"]
    assert got["group"].tolist() == [ALL_GROUP] * 4
    assert got["time"].tolist() == [1, 2, 3, 5]
    assert got["n_at_risk"].tolist() == [5, 4, 2, 1]
    assert got["n_events"].tolist() == [1, 1, 1, 0]
    assert got["n_censored"].tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(got["survival"], FIVE_S, rtol=1e-15)
    np.testing.assert_allclose(got["std_err"], FIVE_S * np.sqrt(FIVE_GW), rtol=1e-14)
    # log: S exp(-/+ z sqrt(sum)), upper capped at 1 (0.8 e^{0.438} = 1.24 -> 1)
    np.testing.assert_allclose(got["ci_low"], FIVE_S * np.exp(-Z95 * np.sqrt(FIVE_GW)), rtol=1e-14)
    np.testing.assert_allclose(got["ci_high"], np.minimum(FIVE_S * np.exp(Z95 * np.sqrt(FIVE_GW)), 1), rtol=1e-14)
    assert (got["conf_type"] == "log").all() and (got["conf_level"] == 0.95).all()


def test_km_log_log_and_plain_by_hand():
    se = np.sqrt(FIVE_GW)
    loglog = km_curves(FIVE, "month", "event", conf_type="log-log")
    # exp(-exp(log(-log S) -/+ z se / log S))
    c, w = np.log(-np.log(FIVE_S)), Z95 * se / np.log(FIVE_S)
    np.testing.assert_allclose(loglog["ci_low"], np.exp(-np.exp(c - w)), rtol=1e-13)
    np.testing.assert_allclose(loglog["ci_high"], np.exp(-np.exp(c + w)), rtol=1e-13)
    assert (loglog["ci_low"] < loglog["survival"]).all() and (loglog["survival"] < loglog["ci_high"]).all()
    plain = km_curves(FIVE, "month", "event", conf_type="plain", alpha=0.1)
    z90 = stats.norm.ppf(0.95)
    # S -/+ z S se, clipped to [0, 1]; at t=3: 0.3 -/+ 1.645 * 0.3 * 0.796 -> lower 0.3 - 0.393 < 0 -> 0
    np.testing.assert_allclose(plain["ci_low"], np.maximum(FIVE_S - z90 * FIVE_S * se, 0), rtol=1e-14)
    np.testing.assert_allclose(plain["ci_high"], np.minimum(FIVE_S + z90 * FIVE_S * se, 1), rtol=1e-14)
    assert plain["ci_low"].iloc[2] == 0.0
    assert np.allclose(plain["conf_level"], 0.9)


def test_median_and_upper_limit_not_reached_by_hand():
    # Median 3 (S(3) = 0.3). Log intervals: lower curve 0.516, 0.293, ... first <= 0.5 at t=2,
    # so median_ci_low = 2. Upper curve: min(1, .) = 1, 1, 1, 1 (0.3 e^{1.96 * 0.796} = 1.43):
    # it never reaches 0.5, so the upper limit is "not reached" = NaN.
    med = km_summary(FIVE, "month", "event", conf_type="log").medians.iloc[0]
    assert med["group"] == ALL_GROUP and med["n_persons"] == 5 and med["n_events"] == 3
    assert med["median"] == 3
    assert med["median_ci_low"] == 2
    assert math.isnan(med["median_ci_high"])


def test_median_on_a_flat_half_is_the_midpoint():
    # months 1, 2, 3, 4 with events 1, 1, 0, 1: S = 3/4, 3/4 * 2/3 = 1/2 (t=2), 1/2 (t=3, censored),
    # 0 (t=4). S equals 0.5 from 2 until it drops at 4: median = (2 + 4) / 2 = 3.
    med = km_summary(frame([1, 2, 3, 4], [1, 1, 0, 1]), "month", "event").medians.iloc[0]
    assert med["median"] == 3
    # S = 0.5 from t=2 to the last follow-up (t=4, censored): midpoint with the last time, 3,
    # as quantile.survfit (print.survfit would say 2).
    med = km_summary(frame([1, 2, 3, 4], [1, 1, 0, 0]), "month", "event").medians.iloc[0]
    assert med["median"] == 3
    # S jumps over 0.5 (3/4 -> 1/4): no averaging, the jump time
    med = km_summary(frame([1, 2, 2, 4], [1, 1, 1, 0]), "month", "event").medians.iloc[0]
    assert med["median"] == 2


def test_event_at_time_zero():
    # months 0, 0, 0, 1, 2 all events except one censored at 0:
    #   t=0: n=5 d=2 c=1 -> S = 3/5; t=1: n=2 d=1 -> S = 3/10; t=2: n=1 d=1 -> S = 0
    data = frame([0, 0, 0, 1, 2], [1, 1, 0, 1, 1])
    curve = km_curves(data, "month", "event")
    assert curve["time"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(curve["survival"], [3 / 5, 3 / 10, 0], rtol=1e-15)
    summary = km_summary(data, "month", "event", times=(0, 1, 5))
    assert summary.medians["median"].iloc[0] == 1
    at = summary.at_times
    # an event at exactly t counts as reached by t: 2 of 5 by month 0
    np.testing.assert_allclose(at["cumulative_share"], [2 / 5, 7 / 10, 1.0], rtol=1e-15)
    # month 5 is after the last follow-up, but everybody had the event: S stays 0
    assert at["survival"].iloc[2] == 0 and math.isnan(at["ci_low"].iloc[2])
    # more than half at time 0: the median is 0
    assert km_summary(frame([0, 0, 0, 1, 2], [1, 1, 1, 0, 1]), "month", "event").medians["median"].iloc[0] == 0


def test_no_events_gives_flat_curve_and_nan_median():
    data = frame([2, 5, 5, 9], [0, 0, 0, 0])
    loglog = km_curves(data, "month", "event")
    assert (loglog["survival"] == 1).all() and (loglog["std_err"] == 0).all()
    assert loglog["ci_low"].isna().all() and loglog["ci_high"].isna().all()  # log-log undefined at S = 1
    log = km_curves(data, "month", "event", conf_type="log")
    assert (log["ci_low"] == 1).all() and (log["ci_high"] == 1).all()
    summary = km_summary(data, "month", "event", times=(3, 12))
    med = summary.medians.iloc[0]
    assert med["n_events"] == 0
    assert math.isnan(med["median"]) and math.isnan(med["median_ci_low"]) and math.isnan(med["median_ci_high"])
    at = summary.at_times
    assert at["survival"].iloc[0] == 1 and at["cumulative_share"].iloc[0] == 0
    assert at["survival"].isna().iloc[1]  # month 12 is after the last follow-up (9): not observed


def test_group_of_one_and_groups_sorted():
    data = frame([4, 2, 3, 6], [1, 1, 0, 0], g=["b", "a", "a", "c"])
    curve = km_curves(data, "month", "event", group="g")
    assert curve["group"].tolist() == ["a", "a", "b", "c"]
    b = curve[curve["group"] == "b"].iloc[0]
    # one person with the event: S = 0, Greenwood infinite -> std_err and interval NaN
    assert b["survival"] == 0 and math.isnan(b["std_err"]) and math.isnan(b["ci_low"]) and math.isnan(b["ci_high"])
    c = curve[curve["group"] == "c"].iloc[0]
    assert c["survival"] == 1 and c["std_err"] == 0
    med = km_summary(data, "month", "event", group="g").medians.set_index("group")
    assert med.loc["b", "median"] == 4 and math.isnan(med.loc["b", "median_ci_low"])
    assert math.isnan(med.loc["c", "median"])
    assert med["n_persons"].tolist() == [2, 1, 1]


def test_at_times_before_first_and_inside_follow_up():
    at = km_summary(FIVE, "month", "event", times=(0.5, 2, 2.5, 4.9, 5), conf_type="log-log").at_times
    # before the first time: S = 1 with interval [1, 1] (R summary.survfit)
    first = at.iloc[0]
    assert (first["survival"], first["std_err"], first["ci_low"], first["ci_high"]) == (1, 0, 1, 1)
    np.testing.assert_allclose(at["survival"].iloc[1:], [3 / 5, 3 / 5, 3 / 10, 3 / 10], rtol=1e-15)
    np.testing.assert_allclose(at["cumulative_ci_low"], 1 - at["ci_high"])
    np.testing.assert_allclose(at["cumulative_ci_high"], 1 - at["ci_low"])
    assert at.columns.tolist() == ["group", "time", "survival", "std_err", "ci_low", "ci_high", "cumulative_share",
                                   "cumulative_ci_low", "cumulative_ci_high", "conf_type", "conf_level"]


def test_boolean_events_and_fractional_times():
    a = km_curves(frame([0.5, 1.25, 1.25, 2.75], [True, False, True, True]), "month", "event")
    b = km_curves(frame([0.5, 1.25, 1.25, 2.75], [1, 0, 1, 1]), "month", "event")
    pd.testing.assert_frame_equal(a, b)


def test_km_recovers_planted_median():
    # Exponential times with rate 0.1 per month: true median log(2) / 0.1 = 6.93 months; the
    # 95% interval of the KM median on 4000 persons (independent uniform censoring) covers it.
    rng = np.random.default_rng(18)
    t = rng.exponential(10, 4000)
    c = rng.uniform(0, 30, 4000)
    data = frame(np.minimum(t, c), (t <= c).astype(int))
    med = km_summary(data, "month", "event").medians.iloc[0]
    assert med["median_ci_low"] <= 10 * math.log(2) <= med["median_ci_high"]
    assert med["median_ci_high"] - med["median_ci_low"] < 1.0


# ---------------------------------------------------------------------------------------------
# Cox by hand
# ---------------------------------------------------------------------------------------------
def test_cox_closed_form_two_event_times():
    # A(t=1, event, x=1) B(t=1, event, x=0) C(t=2, event, x=1) D(t=3, censored, x=0), u = e^b
    #   t=1: risk {A,B,C,D}: S0 = 2u + 2, deaths' sum D0 = u + 1; Efron terms S0 and S0 - D0/2
    #   t=2: risk {C,D}: S0 = u + 1
    # log L = 2b - log(2(u+1)) - log(1.5(u+1)) - log(u+1) = 2b - 3 log(u+1) - log 3
    # score 2 - 3u/(u+1) = 0 -> u = 2, b = log 2; information 3u/(u+1)^2 = 2/3 -> se = sqrt(3/2)
    data = frame([1, 1, 2, 3], [1, 1, 1, 0], x=[1, 0, 1, 0])
    fit = cox_model(data, "month", "event", ["x"])
    row = fit.coefficients.iloc[0]
    assert row["term"] == "x" and row["variable"] == "x" and row["note"] == ""
    assert row["coef"] == pytest.approx(math.log(2), rel=1e-12)
    assert row["hazard_ratio"] == pytest.approx(2, rel=1e-12)
    assert row["std_err"] == pytest.approx(math.sqrt(1.5), rel=1e-12)
    assert row["ci_low"] == pytest.approx(2 * math.exp(-Z95 * math.sqrt(1.5)), rel=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(math.log(2) / math.sqrt(1.5)), rel=1e-10)
    assert fit.loglik == pytest.approx(2 * math.log(2) - 3 * math.log(3) - math.log(3), rel=1e-12)
    assert fit.loglik_null == pytest.approx(-3 * math.log(2) - math.log(3), rel=1e-12)
    assert (fit.n, fit.n_events, fit.converged) == (4, 3, True)


def test_cox_efron_differs_from_breslow_where_it_should():
    # A, B die at t=1 with x=1; C dies at t=2 with x=0; D censored at 3 with x=1; u = e^b.
    #   t=1: risk {A,B,C,D}: S0 = 3u + 1, deaths D0 = 2u; Efron: log(3u+1) + log(3u+1 - u) = ... + log(2u+1)
    #        (Breslow would use 2 log(3u+1))
    #   t=2: risk {C, D}: log(1 + u)
    # log L(b) = 2b - log(3u+1) - log(2u+1) - log(u+1); I(b) = 3u/(3u+1)^2 + 2u/(2u+1)^2 + u/(u+1)^2
    def score(b):
        u = math.exp(b)
        return 2 - 3 * u / (3 * u + 1) - 2 * u / (2 * u + 1) - u / (u + 1)

    b = optimize.brentq(score, -5, 5, xtol=1e-15)
    u = math.exp(b)
    info = 3 * u / (3 * u + 1) ** 2 + 2 * u / (2 * u + 1) ** 2 + u / (u + 1) ** 2
    data = frame([1, 1, 2, 3], [1, 1, 1, 0], x=[1, 1, 0, 1])
    row = cox_model(data, "month", "event", ["x"]).coefficients.iloc[0]
    assert row["coef"] == pytest.approx(b, rel=1e-10)
    assert row["std_err"] == pytest.approx(1 / math.sqrt(info), rel=1e-10)
    breslow = optimize.brentq(lambda b: 2 - 2 * 3 * math.exp(b) / (3 * math.exp(b) + 1)
                              - math.exp(b) / (math.exp(b) + 1), -5, 5)
    assert abs(row["coef"] - breslow) > 0.05


def _zph_by_loops(time, status, x, beta):
    """cox.zph for one covariate written with plain loops (independent of the vectorised code)."""
    n = len(time)
    # g(t) = 1 - KM(t-) over everybody, centred over the events
    distinct = sorted(set(time))
    s, before = 1.0, {}
    for t in distinct:
        before[t] = s
        at_risk = sum(1 for i in range(n) if time[i] >= t)
        d = sum(1 for i in range(n) if time[i] == t and status[i] == 1)
        s *= 1 - d / at_risk
    g = {t: 1 - before[t] for t in distinct}
    mean_g = sum(g[time[i]] for i in range(n) if status[i] == 1) / sum(status)
    g = {t: v - mean_g for t, v in g.items()}
    u_g = i11 = i12 = i22 = 0.0
    for t in distinct:
        deaths = [i for i in range(n) if time[i] == t and status[i] == 1]
        if not deaths:
            continue
        risk = [i for i in range(n) if time[i] >= t]
        d = len(deaths)
        for i in deaths:
            u_g += g[t] * x[i]
        for k in range(d):
            f = k / d
            w = {i: math.exp(beta * x[i]) * ((1 - f) if i in deaths else 1.0) for i in risk}
            s0 = sum(w.values())
            m = sum(w[i] * x[i] for i in risk) / s0
            v = sum(w[i] * x[i] ** 2 for i in risk) / s0 - m * m
            u_g -= g[t] * m
            i11 += v
            i12 += g[t] * v
            i22 += g[t] ** 2 * v
    # score test of gamma = 0 with beta at its estimate: u' I^-1 u with u = (0, u_g)
    return u_g**2 / (i22 - i12**2 / i11)


def test_ph_test_equals_loop_implementation():
    time = [1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8]
    status = [1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1]
    x = [0.5, 1.0, 2.0, 0.0, 1.5, 2.5, 0.3, 1.1, 3.0, 0.2, 0.7, 1.9]
    fit = cox_model(frame(time, status, x=x), "month", "event", ["x"])
    beta = fit.coefficients["coef"].iloc[0]
    expected = _zph_by_loops(time, status, x, beta)
    assert fit.ph_test["term"].tolist() == ["x", "GLOBAL"]
    np.testing.assert_allclose(fit.ph_test["statistic"], [expected, expected], rtol=1e-10)
    np.testing.assert_allclose(fit.ph_test["p_value"], stats.chi2.sf(expected, 1), rtol=1e-9)
    assert fit.ph_test["df"].tolist() == [1, 1]


def test_concordance_by_hand():
    # times 1, 2, 2, 3; status 1, 1, 0, 0; linear predictor 0.5, 0.2, 0.2, 0.9
    #   person 1 (event at 1) vs 2, 3, 4 (later): 0.5 > 0.2 conc, 0.5 > 0.2 conc, 0.5 < 0.9 disc
    #   person 2 (event at 2) vs 4 (later): 0.2 < 0.9 disc; vs 3 (censored at 2): 0.2 = 0.2 tied
    # C = (2 + 1/2) / (2 + 2 + 1) = 0.5
    c, conc, disc, tied = _concordance(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 0]), np.array([0.5, 0.2, 0.2, 0.9]))
    assert (conc, disc, tied) == (2, 2, 1) and c == 0.5
    # two events at the same time are not a comparable pair
    c, conc, disc, tied = _concordance(np.array([1.0, 1.0]), np.array([1, 1]), np.array([0.0, 1.0]))
    assert (conc, disc, tied) == (0, 0, 0) and math.isnan(c)


def test_categorical_reference_levels():
    data = frame([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 0, 1, 1, 1, 0, 1, 1],
                 region=["b", "a", "c", "a", "b", "c", "a", "b", "c"])
    default = cox_model(data, "month", "event", ["region"], categorical=["region"])
    assert default.reference_levels == {"region": "a"}
    assert default.coefficients["term"].tolist() == ["region[b]", "region[c]"]
    assert default.coefficients["level"].tolist() == ["b", "c"]
    named = cox_model(data, "month", "event", ["region"], categorical={"region": "c"})
    assert named.reference_levels == {"region": "c"}
    assert named.coefficients["term"].tolist() == ["region[a]", "region[b]"]
    # same model, other contrast: b vs c = (b vs a) - (c vs a)
    d = default.coefficients.set_index("level")["coef"]
    n = named.coefficients.set_index("level")["coef"]
    assert n["b"] == pytest.approx(d["b"] - d["c"], rel=1e-8)
    assert n["a"] == pytest.approx(-d["c"], rel=1e-8)
    assert named.loglik == pytest.approx(default.loglik, rel=1e-12)
    assert default.ph_test["term"].tolist() == ["region", "GLOBAL"]
    assert default.ph_test["df"].tolist() == [2, 2]


def test_cox_without_events_is_all_nan():
    fit = cox_model(frame([1, 2, 3], [0, 0, 0], x=[1.0, 2.0, 3.0]), "month", "event", ["x"])
    assert fit.n_events == 0 and not fit.converged
    row = fit.coefficients.iloc[0]
    assert math.isnan(row["coef"]) and math.isnan(row["hazard_ratio"]) and row["note"] == "no events"
    assert fit.ph_test["statistic"].isna().all()
    assert math.isnan(fit.concordance)


def test_cox_constant_and_collinear_columns_are_not_estimable():
    data = frame([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 1], x=[0.1, 0.5, 0.2, 0.9, 0.4, 0.3],
                 constant=[1.0] * 6, double=[0.2, 1.0, 0.4, 1.8, 0.8, 0.6])
    fit = cox_model(data, "month", "event", ["x", "constant", "double"])
    table = fit.coefficients.set_index("term")
    assert table.loc["constant", "note"] == table.loc["double", "note"] == "not estimable (constant or collinear)"
    assert table.loc[["constant", "double"], "coef"].isna().all()
    alone = cox_model(data, "month", "event", ["x"]).coefficients.iloc[0]
    assert table.loc["x", "coef"] == pytest.approx(alone["coef"], rel=1e-10)
    assert fit.converged
    assert fit.ph_test.set_index("term").loc["constant", "df"] == 0
    assert fit.ph_test.set_index("term").loc["GLOBAL", "df"] == 1


def test_cox_monotone_likelihood_gives_nan_not_a_huge_number():
    # nobody in group "b" has the event: its hazard ratio against "a" is 0 (coefficient -inf)
    data = frame([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 0, 0, 0, 0],
                 g=["a", "a", "a", "a", "b", "b", "b", "b"], x=[0.3, 0.1, 0.5, 0.9, 0.2, 0.8, 0.4, 0.6])
    fit = cox_model(data, "month", "event", ["g", "x"], categorical=["g"])
    table = fit.coefficients.set_index("term")
    assert not fit.converged
    assert table.loc["g[b]", "note"] == "infinite (monotone likelihood)"
    assert math.isnan(table.loc["g[b]", "coef"]) and math.isnan(table.loc["g[b]", "hazard_ratio"])
    assert np.isfinite(table.loc["x", "coef"])
    assert fit.ph_test["statistic"].isna().all()


def test_single_level_categorical_has_no_contrast():
    data = frame([1, 2, 3, 4], [1, 0, 1, 1], sex=["F"] * 4, x=[0.1, 0.4, 0.9, 0.2])
    fit = cox_model(data, "month", "event", ["sex", "x"], categorical=["sex"])
    assert fit.coefficients["term"].tolist() == ["x"]
    assert fit.reference_levels == {"sex": "F"}
    ph = fit.ph_test.set_index("term")
    assert ph.loc["sex", "df"] == 0 and math.isnan(ph.loc["sex", "statistic"])


def test_cox_recovers_planted_hazard_ratio():
    # exponential times with hazard 0.1 * 2^x for binary x, uniform censoring: true ratio 2
    rng = np.random.default_rng(2024)
    x = rng.integers(0, 2, 3000)
    t = rng.exponential(1 / (0.1 * 2.0**x))
    c = rng.uniform(0, 24, 3000)
    data = frame(np.minimum(t, c), (t <= c).astype(int), x=x)
    row = cox_model(data, "month", "event", ["x"]).coefficients.iloc[0]
    assert row["ci_low"] <= 2.0 <= row["ci_high"]
    assert abs(row["hazard_ratio"] - 2) < 0.15


# ---------------------------------------------------------------------------------------------
# Aalen–Johansen by hand
# ---------------------------------------------------------------------------------------------
def test_cumulative_incidence_by_hand():
    # months 1, 2, 2, 3 with status 1 (event), 2 (death), 0 (censored), 1 (event)
    #   t=1: n=4 d1=1          F1 = 1/4                  S = 3/4
    #   t=2: n=3 d2=1 c=1      F2 = S(1) * 1/3 = 1/4     S = 3/4 * 2/3 = 1/2
    #   t=3: n=1 d1=1          F1 = 1/4 + 1/2 * 1 = 3/4  S = 0
    # F1 + F2 + S = 1. (1 - KM with deaths censored would say 1 at t=3: it overstates.)
    # Jackknife se at t=1: dF1/dw = (1 - 1/4)/4 = 3/16 for the person with the event, -1/16 for
    # the three others: se = sqrt(9 + 3)/16 = sqrt(3)/8.
    data = frame([1, 2, 2, 3], [1, 2, 0, 1])
    result = cumulative_incidence(data, "month", "event", times=(0, 2, 3, 10))
    event = result.curves[result.curves["cause"] == "event"]
    competing = result.curves[result.curves["cause"] == "competing"]
    np.testing.assert_allclose(event["cumulative_incidence"], [1 / 4, 1 / 4, 3 / 4], rtol=1e-15)
    np.testing.assert_allclose(competing["cumulative_incidence"], [0, 1 / 4, 1 / 4], rtol=1e-15)
    assert event["std_err"].iloc[0] == pytest.approx(math.sqrt(3) / 8, rel=1e-14)
    assert event["n_at_risk"].tolist() == [4, 3, 1]
    assert event["n_events"].tolist() == [1, 0, 1] and event["n_competing"].tolist() == [0, 1, 0]
    assert event["n_censored"].tolist() == [0, 1, 0]
    # log interval: NaN where the incidence is 0 (the competing curve at t=1)
    assert math.isnan(competing["ci_low"].iloc[0])
    at = result.at_times.set_index(["cause", "time"])
    assert at.loc[("event", 0.0), "cumulative_incidence"] == 0 and at.loc[("event", 0.0), "ci_high"] == 0
    assert at.loc[("event", 2.0), "cumulative_incidence"] == pytest.approx(1 / 4)
    # after the last time everybody had an event or died: the curve is known and carries forward
    assert at.loc[("event", 10.0), "cumulative_incidence"] == pytest.approx(3 / 4)
    assert at.loc[("competing", 10.0), "cumulative_incidence"] == pytest.approx(1 / 4)
    km = km_curves(frame([1, 2, 2, 3], [1, 0, 0, 1]), "month", "event")
    assert 1 - km["survival"].iloc[-1] == 1.0  # the naive complement says everybody


def test_cumulative_incidence_without_competing_events_equals_one_minus_km():
    data = frame([0, 1, 2, 2, 4, 5, 5], [1, 1, 0, 1, 1, 0, 1])
    cif = cumulative_incidence(data, "month", "event").curves
    km = km_curves(data, "month", "event")
    event = cif[cif["cause"] == "event"]
    np.testing.assert_allclose(event["cumulative_incidence"], 1 - km["survival"], rtol=1e-14, atol=1e-15)
    assert (cif.loc[cif["cause"] == "competing", "cumulative_incidence"] == 0).all()


def test_cumulative_incidence_degenerate_groups():
    data = frame([3, 1, 2, 4], [2, 0, 0, 0], g=["dead", "alive", "alive", "alive"])
    result = cumulative_incidence(data, "month", "event", group="g", times=(2, 3, 12))
    curves = result.curves

    def rows(group, cause):
        return curves[(curves["group"] == group) & (curves["cause"] == cause)]

    # a group of one who died at 3: competing incidence 1, standard error 0, event incidence 0
    dead = rows("dead", "competing").iloc[0]
    assert (dead["time"], dead["cumulative_incidence"], dead["std_err"]) == (3, 1, 0)
    assert rows("dead", "event")["cumulative_incidence"].tolist() == [0]
    # nobody had anything: all zero, log interval undefined
    alive = rows("alive", "event")
    assert (alive["cumulative_incidence"] == 0).all() and alive["ci_low"].isna().all()
    at = result.at_times.set_index(["group", "cause", "time"]).sort_index()
    assert math.isnan(at.loc[("alive", "event", 12.0), "cumulative_incidence"])  # after follow-up
    assert at.loc[("dead", "competing", 12.0), "cumulative_incidence"] == 1  # nobody left


def test_jackknife_interval_covers_in_simulation():
    # Coverage of the 95% log interval for F1(6) over 400 seeded replications of 200 persons
    # with monthly data: event hazard 0.08, death hazard 0.03 per month (times rounded up to
    # whole months), end of data uniform on months 1..24. True F1(6) = 0.08/0.11 (1 - e^{-0.66}).
    truth = 0.08 / 0.11 * (1 - math.exp(-0.66))
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(400):
        t = np.ceil(rng.exponential(1 / 0.11, 200))
        cause = np.where(rng.random(200) < 0.08 / 0.11, 1, 2)
        end = rng.integers(1, 25, 200)
        data = frame(np.minimum(t, end), np.where(t <= end, cause, 0))
        row = cumulative_incidence(data, "month", "event", times=(6,)).at_times.iloc[0]
        covered += row["ci_low"] <= truth <= row["ci_high"]
    assert 0.92 <= covered / 400 <= 0.98


# ---------------------------------------------------------------------------------------------
# Bad input: one-line ParameterError naming the column and the first offending row
# ---------------------------------------------------------------------------------------------
BAD = pd.DataFrame({"month": [1.0, 2.0, 3.0], "event": [1, 0, 1], "g": ["a", "b", "a"], "x": [0.1, 0.2, 0.3]},
                   index=[10, 11, 12])


def _with(column, values):
    data = BAD.copy()
    data[column] = values
    return data


@pytest.mark.parametrize("function", [km_curves, km_summary, cumulative_incidence])
@pytest.mark.parametrize(
    "data,match",
    [
        (_with("month", [1.0, -2.0, 3.0]), r"'month'.*negative.*row 11"),
        (_with("month", [1.0, np.nan, 3.0]), r"'month'.*missing.*row 11"),
        (_with("month", ["1", "two", "3"]), r"'month'.*non-numeric.*'two'.*row 11"),
        (_with("month", [1.0, 2.0, np.inf]), r"'month'.*infinite.*row 12"),
        (_with("event", [1, 0, 3]), r"'event'.*coded.*3.*row 12"),
        (_with("event", [1.0, np.nan, 1.0]), r"'event'.*coded.*row 11"),
        (_with("event", ["yes", "no", "yes"]), r"'event'.*coded.*'yes'.*row 10"),
        (BAD.drop(columns="month"), r"column 'month' is missing"),
    ],
)
def test_bad_columns(function, data, match):
    with pytest.raises(ParameterError, match=match) as info:
        function(data, "month", "event")
    assert "\n" not in str(info.value)


def test_event_codes_differ_between_km_and_competing_risks():
    data = _with("event", [1, 2, 0])
    with pytest.raises(ParameterError, match=r"'event' must be coded 0/1; found 2 at row 11"):
        km_curves(data, "month", "event")
    with pytest.raises(ParameterError, match=r"'event' must be coded 0/1; found 2 at row 11"):
        cox_model(data, "month", "event", ["x"])
    assert len(cumulative_incidence(data, "month", "event").curves) == 6


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, "0.05", None, True, float("nan")])
def test_bad_alpha(alpha):
    for call in (lambda: km_curves(BAD, "month", "event", alpha=alpha),
                 lambda: km_summary(BAD, "month", "event", alpha=alpha),
                 lambda: cumulative_incidence(BAD, "month", "event", alpha=alpha),
                 lambda: cox_model(BAD, "month", "event", ["x"], alpha=alpha)):
        with pytest.raises(ParameterError, match="alpha"):
            call()


@pytest.mark.parametrize("conf_type", ["logit", "Log", "", None])
def test_bad_conf_type(conf_type):
    with pytest.raises(ParameterError, match="conf_type"):
        km_curves(BAD, "month", "event", conf_type=conf_type)
    with pytest.raises(ParameterError, match="conf_type"):
        km_summary(BAD, "month", "event", conf_type=conf_type)
    with pytest.raises(ParameterError, match="conf_type"):
        cumulative_incidence(BAD, "month", "event", conf_type=conf_type)


@pytest.mark.parametrize("times", [(-1, 3), (3, float("nan")), ("a",), [[1, 2]]])
def test_bad_times(times):
    with pytest.raises(ParameterError, match="times"):
        km_summary(BAD, "month", "event", times=times)
    with pytest.raises(ParameterError, match="times"):
        cumulative_incidence(BAD, "month", "event", times=times)


def test_bad_group_and_frame():
    with pytest.raises(ParameterError, match=r"'g'.*missing group value at row 12"):
        km_curves(_with("g", ["a", "b", None]), "month", "event", group="g")
    with pytest.raises(ParameterError, match=r"column 'region' is missing"):
        km_summary(BAD, "month", "event", group="region")
    with pytest.raises(ParameterError, match="no rows"):
        km_curves(BAD.iloc[:0], "month", "event")
    with pytest.raises(ParameterError, match="DataFrame"):
        km_curves(BAD.to_dict(), "month", "event")


def test_bad_cox_parameters():
    with pytest.raises(ParameterError, match=r"covariate column 'x' has a missing value at row 11"):
        cox_model(_with("x", [0.1, None, 0.3]), "month", "event", ["x"])
    with pytest.raises(ParameterError, match=r"covariate column 'g' is not numeric"):
        cox_model(BAD, "month", "event", ["g"])
    with pytest.raises(ParameterError, match=r"categorical column 'g' is not among the covariates"):
        cox_model(BAD, "month", "event", ["x"], categorical=["g"])
    with pytest.raises(ParameterError, match=r"reference level 'z' of column 'g'"):
        cox_model(BAD, "month", "event", ["g"], categorical={"g": "z"})
    with pytest.raises(ParameterError, match=r"column 'y' is missing"):
        cox_model(BAD, "month", "event", ["y"])
    with pytest.raises(ParameterError, match="covariates is empty"):
        cox_model(BAD, "month", "event", [])
    with pytest.raises(ParameterError, match="twice"):
        cox_model(BAD, "month", "event", ["x", "x"])
    with pytest.raises(ParameterError, match=r"'month' cannot be both"):
        cox_model(BAD, "month", "event", ["month"])
    with pytest.raises(ParameterError, match=r"'month'.*negative.*row 10"):
        cox_model(_with("month", [-1.0, 2.0, 3.0]), "month", "event", ["x"])


def test_model_with_nothing_estimable_is_the_null_model():
    # the only covariate has a single level: no contrasts, the fit is the null model;
    # log L(0) by hand: t=1 risk 4 -> -log 4; t=3 risk {3, 4} -> -log 2; t=4 risk {4} -> 0
    data = frame([1, 2, 3, 4], [1, 0, 1, 1], sex=["F"] * 4)
    fit = cox_model(data, "month", "event", ["sex"], categorical=["sex"])
    assert fit.coefficients.empty and fit.converged
    assert fit.loglik == fit.loglik_null == pytest.approx(-math.log(4) - math.log(2), rel=1e-14)
    assert fit.concordance == 0.5  # every comparable pair is tied on the (zero) linear predictor
    assert fit.ph_test["term"].tolist() == ["sex", "GLOBAL"] and fit.ph_test["statistic"].isna().all()


def test_results_unpack_as_pairs():
    medians, at_times = km_summary(FIVE, "month", "event")
    assert medians.equals(km_summary(FIVE, "month", "event").medians) and len(at_times) == 3
    curves, at = cumulative_incidence(frame([1, 2, 2, 3], [1, 2, 0, 1]), "month", "event")
    assert set(curves["cause"]) == {"event", "competing"} and len(at) == 6
