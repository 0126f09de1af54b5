"""Counts corrected for misclassification (methods/misclassification.py): exact point
estimates, edge cases, shared parameter draws, and coverage of the realised count on planted
truth (counts drawn by flagging a known number of persons with known PPV and sensitivity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods.misclassification import Proportion, correct_counts


def test_point_estimate_is_flagged_times_ppv_over_sensitivity():
    ppv, se = Proportion(90, 100), Proportion(60, 100)
    r = correct_counts([200, 50], [ppv, ppv], [se, se], labels=pd.DataFrame({"jaar": [2022, 2023]}))
    t = r.table
    assert t["estimate"].tolist() == pytest.approx([200 * 0.9 / 0.6, 50 * 0.9 / 0.6])
    assert t["jaar"].tolist() == [2022, 2023]
    assert (t["ci_low"] < t["estimate"]).all() and (t["estimate"] < t["ci_high"]).all()
    # the interval is in persons: TP* >= 0 and T* >= TP*
    assert t["ci_low"].min() > 0


def test_interval_widens_with_less_certain_accuracy():
    narrow = correct_counts([300], [Proportion(9000, 10000)], [Proportion(6000, 10000)]).table.iloc[0]
    wide = correct_counts([300], [Proportion(9, 10)], [Proportion(6, 10)]).table.iloc[0]
    assert narrow["estimate"] == pytest.approx(wide["estimate"])
    assert (wide["ci_high"] - wide["ci_low"]) > 2 * (narrow["ci_high"] - narrow["ci_low"])


def test_zero_flagged_has_a_finite_upper_bound():
    t = correct_counts([0], [Proportion(9, 10)], [Proportion(500, 1000)], alpha=0.05).table.iloc[0]
    assert t["estimate"] == 0 and t["ci_low"] == 0
    # largest T with P(0 flagged | T) = (1 - Se)^T >= 0.025 at the lower Se bound (~0.47)
    assert 4 <= t["ci_high"] <= 6


def test_shared_parameters_make_differences_sharper():
    ppv, se = Proportion(900, 1000), Proportion(300, 1000)
    shared = correct_counts([400, 420], [ppv, ppv], [se, se], seed=1)
    other = Proportion(300.0, 1000.0 + 1e-9)  # same value, a different parameter
    indep = correct_counts([400, 420], [ppv, ppv], [se, other], seed=1)
    e1, lo1, hi1 = shared.difference(0, 1)
    e2, lo2, hi2 = indep.difference(0, 1)
    assert e1 == pytest.approx(20 * 0.9 / 0.3) and e2 == pytest.approx(e1, rel=1e-6)
    assert (hi1 - lo1) < 0.8 * (hi2 - lo2)


def test_reproducible_with_the_seed():
    a = correct_counts([123], [Proportion(8, 10)], [Proportion(5, 10)], seed=7).table
    b = correct_counts([123], [Proportion(8, 10)], [Proportion(5, 10)], seed=7).table
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("kwargs, message", [
    (dict(flagged=[-1]), "non-negative"),
    (dict(ppv=[]), "one ppv and one sensitivity per count"),
    (dict(alpha=1.5), "alpha must be between 0 and 1"),
    (dict(n_draws=10), "n_draws must be at least 1000"),
])
def test_bad_arguments(kwargs, message):
    args = dict(flagged=[10], ppv=[Proportion(1, 2)], sensitivity=[Proportion(1, 2)])
    args.update(kwargs)
    with pytest.raises(ParameterError, match=message):
        correct_counts(args.pop("flagged"), args.pop("ppv"), args.pop("sensitivity"), **args)


def test_bad_proportion():
    with pytest.raises(ParameterError, match="0 <= numerator <= denominator"):
        Proportion(11, 10)
    with pytest.raises(ParameterError, match="denominator > 0"):
        Proportion(0, 0)


def test_planted_truth_coverage_of_the_realised_count():
    """400 years: T ~ Poisson(300) children in need, each flagged with probability Se, plus false
    positives; PPV and Se known from a validation sample of 2,000. The interval must cover the
    realised T in about 95 % of years (it is slightly conservative, never anti-conservative)."""
    rng = np.random.default_rng(2024)
    se, ppv = 0.66, 0.97
    covered, est = 0, []
    val_ppv = Proportion(rng.binomial(2000, ppv), 2000)
    val_se = Proportion(rng.binomial(2000, se), 2000)
    years = 400
    flagged, truth = [], []
    for _ in range(years):
        T = rng.poisson(300)
        tp = rng.binomial(T, se)
        fp = rng.binomial(tp, (1 - ppv) / ppv) if tp else 0
        flagged.append(tp + fp)
        truth.append(T)
    r = correct_counts(flagged, [val_ppv] * years, [val_se] * years, n_draws=4000)
    t = r.table
    covered = ((t["ci_low"] <= truth) & (truth <= t["ci_high"])).mean()
    assert 0.92 <= covered <= 0.995
    assert abs(t["estimate"].mean() / np.mean(truth) - 1) < 0.02
    # the raw count with an exact Poisson interval misses almost always (it estimates T * Se / PPV)
    from kpz_analytics.methods.rates import poisson_ci
    lo, hi = poisson_ci(np.array(flagged))
    assert ((lo <= truth) & (truth <= hi)).mean() < 0.05
