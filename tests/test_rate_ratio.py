"""kpz_analytics.methods.rate_ratio: before/after rate ratio from a log-link GEE.

Pinned to R: tests/fixtures/r/rate_ratio_*.csv were produced by
``Rscript tests/fixtures/r/rate_ratio_reference.R`` (R 4.2.2, geepack 1.3.9, MASS 7.3-58.2; the
command and versions are in each file's first line): geepack::geeglm for the Poisson variance,
and a GEE written out in R (checked there against geeglm) for the negative-binomial variance,
which geeglm does not offer. R is not needed to run these tests. Plus a hand-computed case
(independence working correlation: the ratio of crude rates and a closed-form sandwich) and
recovery of the rate ratio planted by tests/panel_simulation.py.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from panel_simulation import LLC, simulate_panel
from scipy import stats

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods.rate_ratio import RESULT_COLUMNS, nb_alpha_moments, rate_ratio_before_after

FIXTURES = Path(__file__).parent / "fixtures" / "r"
RTOL = 1e-6


def _read(name: str) -> pd.DataFrame:
    path = FIXTURES / name
    first = path.read_text().splitlines()[0]
    assert first.startswith("# Produced by: Rscript tests/fixtures/r/rate_ratio_reference.R"), first
    return pd.read_csv(path, comment="#")


REFERENCE = _read("rate_ratio_reference.csv")


@pytest.fixture(scope="module")
def fixture_input():
    return _read("rate_ratio_input.csv")


@pytest.mark.parametrize("row", REFERENCE.to_dict("records"), ids=lambda r: f"{r['dataset']}-{r['family']}-"
                         f"{r['working_correlation']}-{r['engine'].split(':')[0].replace(' ', '_')}")
def test_matches_R_geepack_and_written_out_gee(fixture_input, row):
    data = fixture_input[fixture_input["dataset"] == row["dataset"]]
    got = rate_ratio_before_after(data, "y", before=(-12, -1), after=(0, 11), family=row["family"],
                                  correlation=row["working_correlation"]).iloc[0]
    for column in ["rate_before", "rate_after", "rate_ratio", "ci_low", "ci_high", "p_value"]:
        assert got[column] == pytest.approx(row[column], rel=RTOL), column
    assert got["correlation_estimate"] == pytest.approx(row["correlation_estimate"], rel=RTOL, abs=1e-12)
    if row["family"] == "negative_binomial":
        assert got["nb_alpha"] == pytest.approx(row["nb_alpha"], rel=RTOL)
    assert (got["n_persons"], got["n_person_months"]) == (row["n_persons"], row["n_person_months"])
    assert got["note"] == ""


def test_fixture_exercises_censoring_and_both_engines(fixture_input):
    per_person = fixture_input.groupby(["dataset", "persoon_id"]).size()
    assert (per_person < 24).sum() > 20  # persons censored after 18
    assert set(REFERENCE["engine"]) == {"geepack::geeglm", "written out"}
    assert len(REFERENCE) == 12


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_independence_gives_the_ratio_of_crude_rates_and_a_closed_form_sandwich(family):
    # Hand-computed: with independence the saturated log-link model reproduces the period means,
    # so RR = mean_after / mean_before, and person g's influence on log RR is
    # sum_after_g (y - mean_after) / total_after - sum_before_g (y - mean_before) / total_before.
    panel = simulate_panel(LLC, 300, np.random.default_rng(4))
    panel = panel[panel["event_month"].between(-12, 11)]
    got = rate_ratio_before_after(panel, "volume", family=family, correlation="independence").iloc[0]
    after = panel["event_month"] >= 0
    mean_b, mean_a = panel.loc[~after, "volume"].mean(), panel.loc[after, "volume"].mean()
    assert got["rate_ratio"] == pytest.approx(mean_a / mean_b, rel=1e-10)
    assert got["rate_before"] == pytest.approx(mean_b, rel=1e-10) == got["crude_rate_before"]
    infl = (
        panel.assign(
            a=np.where(after, (panel["volume"] - mean_a) / panel.loc[after, "volume"].sum(), 0.0),
            b=np.where(~after, (panel["volume"] - mean_b) / panel.loc[~after, "volume"].sum(), 0.0),
        )
        .groupby("persoon_id")[["a", "b"]]
        .sum()
    )
    se = math.sqrt(((infl["a"] - infl["b"]) ** 2).sum())
    z = stats.norm.ppf(0.975)
    assert got["ci_low"] == pytest.approx(mean_a / mean_b * math.exp(-z * se), rel=1e-8)
    assert got["ci_high"] == pytest.approx(mean_a / mean_b * math.exp(z * se), rel=1e-8)


def test_nb_alpha_moment_estimator_by_hand():
    y = np.array([0, 2, 5, 1, 0, 7, 3, 0])
    mu = np.full(8, y.mean())
    expected = (((y - mu) ** 2 - y).sum() / (mu**2).sum()) * 8 / 6
    assert nb_alpha_moments(y, mu, n_params=2) == pytest.approx(expected, rel=1e-12)
    assert nb_alpha_moments(np.ones(8), np.ones(8), n_params=2) == 0.0  # underdispersed: floored


def _rate_ratio_replications(reps, n_persons, families, seed):
    scen = LLC.replace(volume_rate_ratio=0.6, censor_share=0.4)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(reps):
        panel = simulate_panel(scen, n_persons, rng)
        for family in families:
            got = rate_ratio_before_after(panel, "volume", family=family).iloc[0]
            rows.append({"family": family, "covered": got["ci_low"] < 0.6 < got["ci_high"],
                         "log_bias": math.log(got["rate_ratio"] / 0.6),
                         "log_width": math.log(got["ci_high"] / got["ci_low"])})
    return pd.DataFrame(rows).groupby("family").mean()


def test_planted_rate_ratio_is_recovered_with_censored_persons():
    summary = _rate_ratio_replications(reps=12, n_persons=300, families=["poisson"], seed=5)
    assert summary.loc["poisson", "covered"] >= 9 / 12
    assert abs(summary.loc["poisson", "log_bias"]) < 0.03
    # Persons contribute the months they are observed: fewer after 18 than before.
    scen = LLC.replace(censor_share=0.4)
    panel = simulate_panel(scen, 300, np.random.default_rng(9))
    got = rate_ratio_before_after(panel, "volume", family="negative_binomial").iloc[0]
    assert got["n_person_months_after"] < got["n_person_months_before"] == 300 * 12
    assert got["n_person_months"] == len(panel[panel["event_month"].between(-12, 11)])
    assert got["nb_alpha"] == pytest.approx(0.64, abs=0.15)  # planted: 1.5 * exp(0.09) - 1


@pytest.mark.slow
def test_rate_ratio_coverage_over_200_replications():
    # Measured (seed 1): coverage 0.940 (Poisson) and 0.945 (NB), log bias -0.002, log width 0.087;
    # about 2.5 minutes on the shared 2-core machine.
    summary = _rate_ratio_replications(reps=200, n_persons=300, families=["poisson", "negative_binomial"], seed=1)
    for family in ["poisson", "negative_binomial"]:
        assert summary.loc[family, "covered"] >= 0.92, family
        assert abs(summary.loc[family, "log_bias"]) < 0.01, family


def test_result_columns_and_quiet(capfd):
    panel = simulate_panel(LLC, 200, np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = rate_ratio_before_after(panel, "volume", family="negative_binomial")
    assert list(got.columns) == RESULT_COLUMNS and len(got) == 1
    assert "exchangeable working correlation" in got.iloc[0]["method"]
    assert capfd.readouterr() == ("", "")


def test_boolean_any_use_is_a_rate_of_months_with_use():
    panel = simulate_panel(LLC, 400, np.random.default_rng(2)).assign(used=lambda d: d["any_use"].astype(bool))
    got = rate_ratio_before_after(panel, "used", correlation="independence").iloc[0]
    after = panel["event_month"].between(0, 11)
    before = panel["event_month"].between(-12, -1)
    assert got["rate_ratio"] == pytest.approx(panel.loc[after, "used"].mean() / panel.loc[before, "used"].mean())


# ---------------------------------------------------------------------------------------------
# Degenerate outcomes and bad input
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_panel():
    return simulate_panel(LLC, 60, np.random.default_rng(3))


def test_outcome_nobody_has_gives_nan_with_note(small_panel):
    got = rate_ratio_before_after(small_panel.assign(v=0), "v").iloc[0]
    assert math.isnan(got["rate_ratio"]) and math.isnan(got["ci_low"])
    assert "0 in every person-month of both windows" in got["note"]
    assert got["n_persons"] == 60


def test_outcome_that_stops_at_18_gives_ratio_0_without_interval(small_panel):
    stops = small_panel.assign(v=np.where(small_panel["event_month"] < 0, small_panel["volume"], 0))
    got = rate_ratio_before_after(stops, "v").iloc[0]
    assert got["rate_ratio"] == 0.0 and math.isnan(got["ci_high"])
    assert "0 in every person-month after" in got["note"]
    starts = small_panel.assign(v=np.where(small_panel["event_month"] >= 0, small_panel["volume"], 0))
    got = rate_ratio_before_after(starts, "v").iloc[0]
    assert got["rate_ratio"] == math.inf and "0 in every person-month before" in got["note"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"outcome": "nope"}, "outcome column 'nope'"),
        ({"running": "age"}, "running column 'age'"),
        ({"cluster": "id"}, "cluster column 'id'"),
        ({"running": "label"}, "running variable 'label' must be numeric"),
        ({"outcome": "label"}, "outcome 'label' must be numeric"),
        ({"outcome": "negative"}, "outcome 'negative' has negative values"),
        ({"before": (-12, 0)}, r"before \(-12, 0\) must end before after"),
        ({"before": (-1, -12)}, "before is empty"),
        ({"after": (0,)}, "after must be a pair"),
        ({"after": (0.5, 11)}, "after must hold integer event months"),
        ({"before": (-40, -30)}, r"no observations in the before window \(-40, -30\)"),
        ({"family": "binomial"}, "family must be one of"),
        ({"correlation": "ar1"}, "correlation must be one of"),
        ({"alpha": 1}, "alpha must be in"),
        ({"min_persons": 61}, "at least min_persons=61"),
    ],
)
def test_bad_input_is_a_one_line_parameter_error(small_panel, kwargs, match):
    panel = small_panel.assign(label="x", negative=-1)
    kwargs = {"outcome": "volume", **kwargs}
    with pytest.raises(ParameterError, match=match) as info:
        rate_ratio_before_after(panel, **kwargs)
    assert "\n" not in str(info.value)
