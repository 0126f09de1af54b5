"""Model fits run in worker processes give the tables of fitting one by one, in call order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.analyses import fits
from kpz_analytics.errors import ParameterError
from kpz_analytics.methods import discontinuity, rate_ratio
from panel_simulation import COMPARISON, LLC, simulate_panel


@pytest.fixture(scope="module")
def calls():
    rng = np.random.default_rng(7)
    llc, comparison = simulate_panel(LLC, 300, rng), simulate_panel(COMPARISON, 300, rng, id_prefix="c")
    return [
        fits.Fit(discontinuity.rd_jump, (llc, "any_use"), dict(running="event_month", cluster="persoon_id")),
        fits.Fit(rate_ratio.rate_ratio_before_after, (llc, "volume"), dict(cluster="persoon_id")),
        # too few persons: a ParameterError comes back as the fit's outcome, not raised
        fits.Fit(discontinuity.rd_jump, (comparison.head(48), "any_use"), dict(cluster="persoon_id")),
        fits.Fit(discontinuity.rd_jump, (comparison, "any_use"), dict(cluster="persoon_id", donut=1)),
    ]


def test_workers_give_the_serial_tables_in_order(calls):
    serial = fits.run_fits(calls, workers=1)
    ticks = []
    parallel = fits.run_fits(calls, workers=2, min_rows=0, done=lambda: ticks.append(1))
    assert len(ticks) == len(calls)
    for (t1, e1), (t2, e2) in zip(serial, parallel):
        if e1 is None:
            assert e2 is None
            pd.testing.assert_frame_equal(t1, t2, check_exact=True)
        else:
            assert t1 is None and t2 is None
            assert isinstance(e2, ParameterError) and str(e2) == str(e1)
    assert serial[2][1] is not None and "persons" in str(serial[2][1])
    assert serial[0][0]["n_persons"].iloc[0] == 300


def test_small_panels_are_fitted_here(calls, monkeypatch):
    """Below the row threshold no worker starts (the pool class is removed here: using it would fail)."""
    monkeypatch.setattr(fits, "ProcessPoolExecutor", None)
    out = fits.run_fits(calls[:2], workers=2, min_rows=10**9)
    assert [e for _, e in out] == [None, None]


def test_other_errors_stop_the_run(calls):
    """Only ParameterError is a fit's outcome; any other error stops the run, with or without workers."""
    import operator

    bad = [calls[0], fits.Fit(operator.truediv, (1, 0))]
    for workers in (1, 2):
        with pytest.raises(ZeroDivisionError):
            fits.run_fits(bad, workers=workers, min_rows=0)
