"""kpz_analytics.methods.loglinear: the Poisson IRLS against statsmodels' GLM, step for step.

Capture–recapture replaced ``statsmodels.GLM(...).fit(maxiter=200, tol=1e-10)`` by
:func:`fit_poisson` for speed (issue 18). The models table reports where IRLS stopped even for
boundary fits (a fitted cell running to 0), so the replacement must take the same steps, not
merely reach the same maximum: every model of the published and hand-built tables, cold and
warm-started with the unseen cell appended (as in the profile likelihood), must give the same
coefficients, covariance, convergence flag and number of iterations.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.methods import capture_recapture as cr
from kpz_analytics.methods.loglinear import fit_poisson, poisson_deviance

FIXTURES = Path(__file__).parent / "fixtures"


def _statsmodels(X, y, start=None):
    sm = pytest.importorskip("statsmodels.api")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, X, family=sm.families.Poisson()).fit(start_params=start, maxiter=200, tol=1e-10)
    return np.asarray(res.params), np.asarray(res.cov_params()), bool(res.converged), res.fit_history["iteration"]


def _tables():
    hav = pd.read_csv(FIXTURES / "cr_published_hav.csv", comment="#")
    no_pq = hav.copy()
    no_pq.loc[(no_pq["P"] == 1) & (no_pq["Q"] == 1), "n"] = 0  # P and Q share nobody: boundary fits
    zero_abc = pd.DataFrame([[1, 0, 0, 20], [0, 1, 0, 15], [0, 0, 1, 10], [1, 1, 0, 5], [1, 0, 1, 3],
                             [0, 1, 1, 2], [1, 1, 1, 0]], columns=["A", "B", "C", "n"])
    return {"hav": hav, "hav_no_pq": no_pq, "zero_abc": zero_abc,
            "hiv": pd.read_csv(FIXTURES / "cr_published_hiv.csv", comment="#"),
            "diabetes": pd.read_csv(FIXTURES / "cr_published_diabetes.csv", comment="#")}


@pytest.mark.parametrize("name", list(_tables()))
def test_fit_poisson_takes_statsmodels_steps(name):
    sources, patterns, y, _ = cr._prepare(_tables()[name], None)
    n_boundary = 0
    for terms in cr._enumerate_models(len(sources), 2):
        X = cr._design(patterns, terms)
        ref = _statsmodels(X, y)
        got = fit_poisson(X, y)
        assert (got.converged, got.iterations) == ref[2:], terms
        np.testing.assert_allclose(got.params, ref[0], rtol=1e-12, atol=1e-12, err_msg=str(terms))
        np.testing.assert_allclose(got.cov, ref[1], rtol=1e-10, atol=1e-12, err_msg=str(terms))
        boundary = bool(np.min(X @ got.params) < -5 or np.max(np.abs(got.params)) > 20)
        n_boundary += boundary
        # the profile-likelihood refit: the unseen cell appended, warm start from the model
        Xa = np.vstack([X, np.eye(1, X.shape[1])])
        ya = np.append(y, 0.3 * y.sum())
        try:
            ref_a = _statsmodels(Xa, ya, start=ref[0])
        except ValueError:  # a warm start from a boundary fit can overflow: the same error
            with pytest.raises(ValueError, match="weights|endog"):
                fit_poisson(Xa, ya, start=ref[0])
            continue
        got_a = fit_poisson(Xa, ya, start=ref[0])
        assert got_a.iterations == ref_a[3]
        np.testing.assert_allclose(got_a.params, ref_a[0], rtol=1e-12, atol=1e-12)
        if boundary:
            continue  # the profile likelihood is computed for interior fits only
        # the normal-equations solver reaches the same maximum
        normal = fit_poisson(Xa, ya, start=ref[0], solver="normal")
        np.testing.assert_allclose(normal.params, ref_a[0], rtol=1e-8, atol=1e-8)
        assert np.isnan(normal.cov).all()
    if name in ("hav_no_pq", "zero_abc"):
        assert n_boundary > 0  # the boundary fits were exercised


def test_fit_poisson_edge_cases():
    X = np.column_stack([np.ones(3), [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    y = np.array([50.0, 30.0, 20.0])
    fit = fit_poisson(X, y)
    # Lincoln–Petersen: exp(intercept) = n01 n10 / n11
    assert np.exp(fit.params[0]) == pytest.approx(50 * 30 / 20, rel=1e-9) and fit.converged
    assert poisson_deviance(y, np.exp(X @ fit.params)) == pytest.approx(0, abs=1e-8)
    with pytest.raises(ValueError, match="weights"):
        fit_poisson(X, y, start=np.array([800.0, 0.0, 0.0]))  # exp overflows
    with pytest.raises(ValueError, match="solver"):
        fit_poisson(X, y, solver="qr")
    with pytest.raises(ValueError, match="maxiter"):
        fit_poisson(X, y, maxiter=0)


def test_cached_table_gives_the_same_answer_and_an_independent_copy():
    table = _tables()["diabetes"]
    cr._CACHE.clear()
    first = cr.fit_models(table)
    first.loc[0, "aic"] = -1.0  # a caller changing its copy must not change the cache
    again = cr.fit_models(table)
    assert again.loc[0, "aic"] != -1.0
    cr._CACHE.clear()
    fresh = cr.fit_models(table)
    pd.testing.assert_frame_equal(again, fresh)
    a = cr.estimate_identifiable(table, criterion="aic")
    b = cr.estimate_identifiable(table, criterion="aic")
    assert (a.n_estimated, a.ci_low, a.ci_high) == (b.n_estimated, b.ci_low, b.ci_high)
