"""Funnel limits, exact one-sided p-values and Clopper–Pearson intervals pinned to base R.

Reference: ``tests/fixtures/r/funnel_reference.R`` (qbinom/pbinom with Spiegelhalter's
interpolation, binom.test); the test reads only the fixture it wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.errors import ParameterError
from kpz_analytics.methods.funnel import funnel_limits, funnel_table
from kpz_analytics.methods.summaries import proportion_ci

FIXTURE = Path(__file__).parent / "fixtures" / "r" / "funnel_reference.csv"


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(FIXTURE, comment="#")


def test_funnel_table_against_R(ref):
    out = funnel_table(ref["events"], ref["n"], levels=(0.95, 0.998))
    assert out["target"].iloc[0] == pytest.approx(ref["target"].iloc[0], rel=1e-12)
    for col in ("lower_95", "upper_95", "lower_99_8", "upper_99_8", "p_below", "p_above"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-9, atol=1e-12, err_msg=col)
    # worked out from the fixture: 7 of 120 (5.8%) lies below the 95% limit (8.0%) but not below
    # the 99.8% limit (5.1%); 150 of 900 (16.7%) stays just under the upper 95% limit (16.8%)
    assert out["flag"].tolist() == ["within"] * 8
    at95 = funnel_table(ref["events"], ref["n"], levels=(0.998, 0.95))
    # 1 of 2 (50%) lies above the interpolated upper 95% limit (49.2%) although P(X >= 1) = 0.27:
    # the interpolation smooths the limits in n, which at tiny n is not a test (small units are
    # hidden in the report anyway)
    assert at95["flag"].tolist() == ["within"] * 4 + ["below", "within", "within", "above"]


def test_clopper_pearson_against_R(ref):
    _, lo, hi = proportion_ci(ref["events"], ref["n"], 0.05, method="beta")
    np.testing.assert_allclose(lo, ref["cp_low"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(hi, ref["cp_high"], rtol=1e-8, atol=1e-12)


def test_funnel_edges_and_bad_parameters():
    low, high = funnel_limits([0, 10], 0.2, 0.95)
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert 0 <= low[1] < 0.2 < high[1] <= 1
    out = funnel_table([0, 5], [0, 50], target=0.1)
    assert pd.isna(out["flag"].iloc[0]) and out["flag"].iloc[1] == "within"
    with pytest.raises(ParameterError, match="target"):
        funnel_table([1], [10], target=0.0)
    with pytest.raises(ParameterError, match="between 0 and its unit size"):
        funnel_table([11], [10])
    with pytest.raises(ParameterError, match="level"):
        funnel_limits([10], 0.1, 1.5)
    with pytest.raises(ParameterError, match="method"):
        proportion_ci([1], [10], method="wald")
