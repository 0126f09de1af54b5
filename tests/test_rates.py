"""Hand checks of kpz_analytics.methods.rates: exact values, edge cases, planted truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kpz_analytics.errors import KpzError, ParameterError
from kpz_analytics.refdata import standard_population
from kpz_analytics.methods.rates import (
    RateWarning,
    add_rates,
    direct_standardise,
    poisson_ci,
    poisson_trend,
)

AGES = ["<1", "1-4", "5-9", "10-14", "15-19"]
ESP = {"<1": 1000, "1-4": 4000, "5-9": 5500, "10-14": 5500, "15-19": 5500, "20-24": 6000}
STD = standard_population("esp2013")


# --------------------------------------------------------------------------- standard population
def test_esp2013_reference_file():
    std = standard_population("esp2013")
    assert len(std) == 20
    assert std["weight"].sum() == 100_000
    weights = dict(zip(std["age_group"], std["weight"]))
    for group, weight in ESP.items():
        assert weights[group] == weight
    assert std["source"].str.contains("Eurostat").all()


# --------------------------------------------------------------------------- poisson_ci
def test_poisson_ci_zero_count():
    low, high = poisson_ci(0)
    assert low == 0.0
    # P(X = 0 | mu) = exp(-mu) = alpha/2  ->  mu = -log(0.025)
    assert high == pytest.approx(-math.log(0.025), rel=1e-12)
    assert isinstance(low, float) and isinstance(high, float)


def test_poisson_ci_one():
    low, high = poisson_ci(1)
    assert low == pytest.approx(-math.log(0.975), rel=1e-12)  # P(X >= 1 | mu) = 1 - exp(-mu)
    assert high == pytest.approx(5.571643390938, rel=1e-9)


@pytest.mark.parametrize("x", [1, 2, 3, 7, 19, 50, 1234])
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_poisson_ci_defining_tail_probabilities(x, alpha):
    # Garwood limits: P(X >= x | low) = alpha/2 and P(X <= x | high) = alpha/2.
    low, high = poisson_ci(x, alpha)
    assert stats.poisson.sf(x - 1, low) == pytest.approx(alpha / 2, rel=1e-8)
    assert stats.poisson.cdf(x, high) == pytest.approx(alpha / 2, rel=1e-8)


def test_poisson_ci_vectorised_keeps_shape_and_matches_scalars():
    counts = np.array([[0, 1, 2], [7, 50, np.nan]])
    low, high = poisson_ci(counts)
    assert low.shape == high.shape == (2, 3)
    for idx in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]:
        assert (low[idx], high[idx]) == poisson_ci(float(counts[idx]))
    assert np.isnan(low[1, 2]) and np.isnan(high[1, 2])
    low_list, _ = poisson_ci([0, 3])
    assert isinstance(low_list, np.ndarray) and low_list[0] == 0.0


def test_poisson_ci_rejects_bad_input():
    with pytest.raises(ParameterError):
        poisson_ci(-1)
    with pytest.raises(ParameterError):
        poisson_ci(3, alpha=0)
    with pytest.raises(ParameterError):
        poisson_ci(3, alpha=1.5)


# --------------------------------------------------------------------------- add_rates
def test_add_rates_exact_values_and_edge_cases():
    df = pd.DataFrame(
        {
            "region": ["a", "b", "c", "d", "e"],
            "n_cases": [0, 5, 3, 4, np.nan],
            "population": [100, 1000, 0, np.nan, 50],
        }
    )
    out = add_rates(df)
    assert list(out.columns) == ["region", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"]
    low5, high5 = poisson_ci(5)
    assert out["rate_per_10000"].tolist()[:2] == [0.0, 50.0]
    assert out["ci_low"][0] == 0.0
    assert out["ci_high"][0] == pytest.approx(-math.log(0.025) / 100 * 10_000, rel=1e-12)
    assert out["ci_low"][1] == pytest.approx(low5 * 10, rel=1e-12)
    assert out["ci_high"][1] == pytest.approx(high5 * 10, rel=1e-12)
    # population 0, population missing, count missing: NaN, no exception
    for column in ["rate_per_10000", "ci_low", "ci_high"]:
        assert out[column][2:].isna().all()
    assert "rate_per_10000" not in df.columns  # input untouched


def test_add_rates_per_names_column_and_custom_columns():
    df = pd.DataFrame({"deaths": [7], "pop": [3500]})
    out = add_rates(df, count_col="deaths", pop_col="pop", per=1000, alpha=0.10)
    assert "rate_per_1000" in out.columns
    low, high = poisson_ci(7, 0.10)
    assert out["rate_per_1000"][0] == pytest.approx(2.0)
    assert out["ci_low"][0] == pytest.approx(low / 3.5)
    assert out["ci_high"][0] == pytest.approx(high / 3.5)


def test_add_rates_clear_errors():
    with pytest.raises(KpzError, match="population"):
        add_rates(pd.DataFrame({"n_cases": [1]}))
    with pytest.raises(KpzError, match="row 1"):
        add_rates(pd.DataFrame({"n_cases": [1, "x"], "population": [10, 10]}))
    with pytest.raises(KpzError, match="negative"):
        add_rates(pd.DataFrame({"n_cases": [1], "population": [-10]}))


# --------------------------------------------------------------------------- direct_standardise
def _strata_frame(counts, pops, group="g"):
    rows = []
    i = 0
    for age in AGES:
        for sex in ("M", "V"):
            rows.append({"grp": group, "age_group": age, "geslacht": sex, "n_cases": counts[i], "population": pops[i]})
            i += 1
    return pd.DataFrame(rows)


def test_population_identical_to_standard_gives_crude_rate():
    # Population proportional to the (truncated) standard, equal split over sex.
    pops = [ESP[a] / 2 * 40 for a in AGES for _ in ("M", "V")]
    counts = [3, 1, 8, 6, 0, 4, 12, 9, 20, 2]
    out = direct_standardise(_strata_frame(counts, pops), by=["grp"], standard=STD)
    assert out["std_rate"][0] == pytest.approx(out["crude_rate"][0], rel=1e-12)
    assert out["crude_rate"][0] == pytest.approx(sum(counts) / sum(pops) * 10_000, rel=1e-12)


def test_hand_computed_age_only():
    df = pd.DataFrame({"age_group": ["<1", "1-4"], "n_cases": [2, 6], "population": [100, 400]})
    out = direct_standardise(df, by=None, strata=("age_group",), standard=STD)
    # weights 1000/5000 and 4000/5000: 0.2 * 2/100 + 0.8 * 6/400 = 0.016
    assert out["std_rate"][0] == pytest.approx(160.0, rel=1e-12)
    assert out["crude_rate"][0] == pytest.approx(8 / 500 * 10_000, rel=1e-12)
    assert list(out.columns) == ["n_cases", "population", "crude_rate", "std_rate", "ci_low", "ci_high", "standard"]
    assert out["standard"][0] == "esp2013"


def test_single_stratum_fay_feuer_equals_exact_poisson():
    for count in (0, 1, 7, 250):
        df = pd.DataFrame({"age_group": ["5-9"], "n_cases": [count], "population": [20_000]})
        out = direct_standardise(df, by=None, strata=("age_group",), standard=STD)
        low, high = poisson_ci(count)
        assert out["ci_low"][0] == pytest.approx(low / 2, rel=1e-9, abs=1e-15)
        assert out["ci_high"][0] == pytest.approx(high / 2, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fay_feuer_at_least_as_wide_as_normal_interval(seed):
    rng = np.random.default_rng(seed)
    pops = rng.integers(500, 50_000, size=10)
    counts = rng.poisson(pops * 5e-4)
    df = _strata_frame(counts, pops)
    out = direct_standardise(df, by="grp", standard=STD)
    w = np.array([ESP[a] / 2 for a in AGES for _ in ("M", "V")])
    w = w / w.sum()
    se = math.sqrt(np.sum(w**2 * counts / pops.astype(float) ** 2)) * 10_000
    naive_width = 2 * stats.norm.ppf(0.975) * se
    assert out["ci_high"][0] - out["ci_low"][0] >= naive_width
    assert out["ci_low"][0] <= out["std_rate"][0] <= out["ci_high"][0]


def test_sex_o_counts_in_crude_not_in_standardised():
    pops = [1000 + 100 * i for i in range(10)]
    counts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    base = _strata_frame(counts, pops)
    extra = pd.DataFrame([{"grp": "g", "age_group": "5-9", "geslacht": "O", "n_cases": 50, "population": 60}])
    without = direct_standardise(base, by="grp", standard=STD)
    with_o = direct_standardise(pd.concat([base, extra], ignore_index=True), by="grp", standard=STD)
    assert with_o["std_rate"][0] == without["std_rate"][0]
    assert with_o["ci_low"][0] == without["ci_low"][0]
    assert with_o["n_cases"][0] == sum(counts) + 50
    assert with_o["population"][0] == sum(pops) + 60
    assert with_o["crude_rate"][0] == pytest.approx((sum(counts) + 50) / (sum(pops) + 60) * 10_000)


def test_missing_stratum_renormalises_with_warning():
    pops = [1000, 0, 2000, 2000, 3000, 3000, 3000, 3000, 3000, 3000]
    counts = [5, 0, 2, 2, 3, 3, 3, 3, 3, 3]
    df = _strata_frame(counts, pops)
    df = df[~((df.age_group == "1-4") & (df.geslacht == "M"))]  # absent row as well as a 0 population
    with pytest.warns(RateWarning, match="re-normalised"):
        out = direct_standardise(df, by="grp", standard=STD)
    present = [(a, s) for a in AGES for s in ("M", "V") if (a, s) not in {("<1", "V"), ("1-4", "M")}]
    w = np.array([ESP[a] / 2 for a, _ in present])
    w /= w.sum()
    lookup = {(r.age_group, r.geslacht): (r.n_cases, r.population) for r in df.itertuples()}
    expected = sum(wi * lookup[k][0] / lookup[k][1] for wi, k in zip(w, present)) * 10_000
    assert out["std_rate"][0] == pytest.approx(expected, rel=1e-12)


def test_complete_strata_do_not_warn():
    df = _strata_frame([1] * 10, [1000] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        direct_standardise(df, by="grp", standard=STD)


def test_several_groups_and_group_without_population():
    a = _strata_frame([1] * 10, [1000] * 10, group="a")
    b = _strata_frame([0] * 10, [0] * 10, group="b")
    with pytest.warns(RateWarning):
        out = direct_standardise(pd.concat([b, a], ignore_index=True), by=["grp"], standard=STD)
    assert out["grp"].tolist() == ["a", "b"]
    assert out["std_rate"][0] == pytest.approx(10.0)
    assert np.isnan(out["std_rate"][1]) and np.isnan(out["crude_rate"][1])


def test_age_group_outside_standard_is_clear_error():
    df = pd.DataFrame({"age_group": ["15-19", "25+"], "geslacht": ["M", "M"], "n_cases": [1, 1], "population": [9, 9]})
    with pytest.raises(KpzError, match=r"25\+.*not in standard esp2013"):
        direct_standardise(df, by=None, standard=STD)


def test_bad_sex_unknown_standard_and_bad_strata():
    df = _strata_frame([1] * 10, [1000] * 10)
    bad = df.copy()
    bad.loc[3, "geslacht"] = "X"
    with pytest.raises(KpzError, match="geslacht, row 3"):
        direct_standardise(bad, by="grp", standard=STD)
    with pytest.raises(ParameterError, match="unknown standard"):
        standard_population("who2000")
    with pytest.raises(ParameterError, match="standard must be a table"):
        direct_standardise(df, by="grp", standard="esp2013")
    with pytest.raises(ParameterError, match="strata"):
        direct_standardise(df, by=None, strata=("geslacht",), standard=STD)
    with pytest.raises(KpzError, match="nik_region"):
        direct_standardise(df, by="nik_region", standard=STD)


# --------------------------------------------------------------------------- poisson_trend
def _trend_frame(counts, pops, start=2015):
    return pd.DataFrame({"jaar": range(start, start + len(counts)), "n_cases": counts, "population": pops})


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")
def test_trend_recovers_planted_apc_exactly():
    beta = math.log(1.04)  # +4% a year
    pops = np.array([3.80e6, 3.79e6, 3.785e6, 3.78e6, 3.77e6, 3.765e6])
    t = np.arange(6)
    expected = pops * 3e-4 * np.exp(beta * t)  # counts equal to their expectation
    out = poisson_trend(_trend_frame(expected, pops))
    row = out.iloc[0]
    assert row["model"] == "poisson"
    assert row["apc"] == pytest.approx(4.0, rel=1e-8)
    assert row["dispersion"] == pytest.approx(0.0, abs=1e-10)
    assert row["apc_ci_low"] < 4.0 < row["apc_ci_high"]
    assert row["n_years"] == 6 and row["year_from"] == 2015 and row["year_to"] == 2020
    assert np.isnan(row["nb_alpha"]) and np.isnan(row["overdispersion_p"])


def test_trend_sums_rows_within_year():
    counts, pops = [30, 41, 38, 52], [1e5, 1.01e5, 1.02e5, 1.03e5]
    whole = poisson_trend(_trend_frame(counts, pops))
    half = _trend_frame(np.array(counts) / 2, np.array(pops) / 2)
    split = pd.concat([half, half], ignore_index=True)
    pd.testing.assert_frame_equal(whole, poisson_trend(split))


def test_trend_poisson_data_keeps_poisson_and_overdispersed_data_switch_to_nb():
    rng = np.random.default_rng(11)
    pops = np.full(10, 2e6)
    mu = pops * 2e-4 * np.exp(0.03 * np.arange(10))
    pois = poisson_trend(_trend_frame(rng.poisson(mu), pops))
    assert pois["model"][0] == "poisson"
    # NB2 with alpha = 0.05: variance mu + 0.05 mu^2, i.e. dispersion around 20 at mu = 400
    nb_counts = rng.negative_binomial(n=1 / 0.05, p=1 / (1 + 0.05 * mu))
    nb = poisson_trend(_trend_frame(nb_counts, pops))
    assert nb["model"][0] == "negative_binomial"
    assert nb["dispersion"][0] > 1.5 and nb["overdispersion_p"][0] < 0.05
    assert nb["nb_alpha"][0] > 0
    # The NB standard error accounts for the extra variation: larger than the Poisson one.
    import statsmodels.api as sm

    X = sm.add_constant(np.arange(10.0))
    pois_fit = sm.GLM(nb_counts, X, family=sm.families.Poisson(), offset=np.log(pops)).fit()
    assert nb["se"][0] > 2 * pois_fit.bse[1]


def test_trend_needs_three_years():
    with pytest.raises(KpzError, match="at least 3 years"):
        poisson_trend(_trend_frame([3, 4], [100, 100]))
    with pytest.warns(RateWarning, match="2017"):
        with pytest.raises(KpzError, match="got 2"):
            poisson_trend(_trend_frame([3, 4, 5], [100, 100, 0]))


def test_trend_no_cases_and_missing_column():
    with pytest.raises(KpzError, match="no cases"):
        poisson_trend(_trend_frame([0, 0, 0], [100, 100, 100]))
    with pytest.raises(KpzError, match="jaar"):
        poisson_trend(pd.DataFrame({"year": [1, 2, 3], "n_cases": [1, 2, 3], "population": [9, 9, 9]}))


def test_trend_not_estimable_is_a_clear_error():
    """All cases in the last year: the slope diverges; a KpzError, not an OverflowError."""
    import pandas as pd
    import pytest

    from kpz_analytics.methods import rates
    from kpz_analytics.errors import KpzError

    df = pd.DataFrame({"jaar": [2019, 2020, 2021, 2022], "n_cases": [0, 0, 0, 5],
                       "population": [1000] * 4})
    with pytest.raises(KpzError, match="not estimable"):
        rates.poisson_trend(df)
