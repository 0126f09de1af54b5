"""methods.summaries: Wilson intervals pinned to R's prop.test, means by hand, degenerate groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods.summaries import mean_ci, proportion_ci

FIXTURE = Path(__file__).parent / "fixtures" / "r" / "summaries_wilson.csv"


def test_wilson_interval_equals_r_prop_test():
    ref = pd.read_csv(FIXTURE, comment="#")
    for conf, rows in ref.groupby("conf_level"):
        share, low, high = proportion_ci(rows["x"], rows["n"], alpha=1 - conf)
        np.testing.assert_allclose(share, rows["x"] / rows["n"], rtol=0, atol=0)
        # same closed formula on both sides: only rounding differs
        np.testing.assert_allclose(low, rows["lower"], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(high, rows["upper"], rtol=1e-10, atol=1e-15)


def test_wilson_edges_are_exact_and_empty_groups_are_nan():
    share, low, high = proportion_ci([0, 5, 0], [10, 5, 0])
    assert low[0] == 0.0 and high[1] == 1.0
    assert np.isnan(share[2]) and np.isnan(low[2]) and np.isnan(high[2])


def test_proportion_refuses_impossible_counts_and_alpha():
    with pytest.raises(ParameterError, match="between 0 and its number"):
        proportion_ci([6], [5])
    with pytest.raises(ParameterError, match="alpha"):
        proportion_ci([1], [5], alpha=1.5)


def test_mean_interval_by_hand():
    values = np.array([0.0, 0.0, 2.0, 4.0, 9.0])
    mean, low, high = mean_ci([values.sum()], [(values**2).sum()], [len(values)], alpha=0.05)
    sd = values.std(ddof=1)
    half = 1.959963984540054 * sd / np.sqrt(len(values))
    assert mean[0] == pytest.approx(3.0)
    assert low[0] == pytest.approx(3.0 - half) and high[0] == pytest.approx(3.0 + half)
    mean, low, high = mean_ci([5.0, 0.0], [25.0, 0.0], [1, 0])
    assert mean[0] == 5.0 and np.isnan(low[0]) and np.isnan(mean[1])
