"""Poisson log-linear models fitted by iteratively reweighted least squares (IRLS).

Capture–recapture fits thousands of small Poisson GLMs (2^k - 1 or 2^k cells, at most 16
parameters): every hierarchical model of every table, and one refit per evaluation of the
profile likelihood. Building a statsmodels ``GLM`` and its results object per fit cost about
ten times the arithmetic, so this module does the arithmetic alone.

Estimand and algorithm
----------------------
The maximum-likelihood estimate of beta in ``y_i ~ Poisson(mu_i)``, ``log mu_i = x_i' beta``.
IRLS repeats, from mu = (y + mean(y)) / 2 (or from ``start``)::

    w_i = mu_i,   z_i = eta_i + (y_i - mu_i) / mu_i,   beta = argmin sum_i w_i (z_i - x_i' beta)^2

until the deviance D = 2 sum [y log(y / mu) - (y - mu)] changes by at most ``tol``. The
covariance of beta is the inverse Fisher information (X' W X)^-1 (a pseudo-inverse when X W^1/2
is singular) with the weights of the last step.

This is statsmodels' ``GLM(y, X, family=Poisson()).fit(start_params, maxiter, tol)`` step for
step: the same start, the same clipping of mu at machine epsilon in the link derivative and the
deviance, the same least-squares solver (``numpy.linalg.lstsq``) for each step, the same
convergence rule (|D_t - D_{t-1}| <= tol), and the same pseudo-inverse for the final step and
the covariance. Boundary fits (a fitted cell running to 0) therefore stop at the same iteration
and report the same parameters as statsmodels did; ``tests/test_loglinear.py`` checks the
agreement on interior and boundary fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

_EPS = np.finfo(float).eps
_INVALID = "NaN, inf or invalid value detected in {0}, estimation infeasible."


@dataclass(frozen=True)
class PoissonFit:
    """Result of :func:`fit_poisson`.

    Attributes
    ----------
    params : maximum-likelihood coefficients (where IRLS stopped when not converged).
    cov : inverse Fisher information (X' W X)^-1 (pseudo-inverse when singular).
    converged : the deviance changed by at most ``tol`` in the last step.
    iterations : IRLS steps taken.
    """

    params: np.ndarray
    cov: np.ndarray
    converged: bool
    iterations: int


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """D = 2 sum [y log(y / mu) - (y - mu)], with y / mu clipped at machine epsilon (as statsmodels)."""
    # np.maximum(x, eps) is np.clip(x, eps, inf) bit for bit (NaN stays NaN), and faster
    resid = 2 * (y * np.log(np.maximum(y / mu, _EPS)) - (y - mu))
    return float(resid.sum())


def fit_poisson(
    X: np.ndarray,
    y: np.ndarray,
    start: Optional[np.ndarray] = None,
    maxiter: int = 200,
    tol: float = 1e-10,
    solver: str = "lstsq",
) -> PoissonFit:
    """Fit the Poisson log-linear model log E[y] = X beta by IRLS.

    Parameters
    ----------
    X : (n, p) design matrix (float).
    y : (n,) non-negative counts (float).
    start : starting coefficients; default: start from mu = (y + mean(y)) / 2.
    maxiter : most IRLS steps.
    tol : convergence when the deviance changes by at most ``tol`` (absolute).
    solver : ``"lstsq"`` (default) solves each weighted least-squares step with
        ``numpy.linalg.lstsq`` and returns the pseudo-inverse covariance, as statsmodels.
        ``"normal"`` solves the normal equations X' W X beta = X' W z instead (about twice as
        fast; the same maximum to rounding error) and returns no covariance (``cov`` is NaN):
        for repeated refits of an interior model, such as the profile likelihood, where only
        the maximum matters. Do not use it for boundary fits: squaring the condition number of
        a nearly singular weighted design changes where IRLS stops.

    Returns
    -------
    PoissonFit

    Raises
    ------
    ValueError
        When a step meets a non-finite working response or weight (for example exp(eta)
        overflowed from a distant start), as statsmodels does.
    """
    if maxiter < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    if solver not in ("lstsq", "normal"):
        raise ValueError(f"solver must be 'lstsq' or 'normal', got {solver!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        if start is None:
            mu = (y + y.mean()) / 2.0
            eta = np.log(np.maximum(mu, _EPS))
        else:
            eta = np.dot(X, np.asarray(start, dtype=float))
            mu = np.exp(eta)
        dev = poisson_deviance(y, mu)
        if np.isnan(dev):
            raise ValueError("the first guess of the deviance is NaN (a boundary problem)")
        converged = False
        iteration = 0
        for iteration in range(1, maxiter + 1):
            inv_mu = 1.0 / np.maximum(mu, _EPS)  # d eta / d mu
            weights = 1.0 / (inv_mu**2 * np.fabs(mu))
            z = eta + inv_mu * (y - mu)
            w_half = np.sqrt(weights)
            if not np.isfinite(w_half).all():
                raise ValueError(_INVALID.format("weights"))
            if not np.isfinite(z).all():
                raise ValueError(_INVALID.format("endog"))
            if solver == "normal":
                XtW = X.T * weights
                params = np.linalg.solve(np.dot(XtW, X), np.dot(XtW, z))
            else:
                wX = w_half[:, None] * X
                wz = w_half * z
                params = np.linalg.lstsq(wX, wz, rcond=-1)[0]
            eta = np.dot(X, params)
            mu = np.exp(eta)
            new_dev = poisson_deviance(y, mu)
            # |D_t - D_{t-1}| <= tol, with equal infinities counting as converged (np.allclose)
            converged = bool(new_dev == dev or abs(new_dev - dev) <= tol)
            dev = new_dev
            if converged:
                break
        if solver == "normal":
            nan = np.full((X.shape[1], X.shape[1]), np.nan)
            return PoissonFit(params=params, cov=nan, converged=converged, iterations=iteration)
        # The final coefficients and covariance from the pseudo-inverse of the last weighted
        # design (statsmodels refits the last step with method="pinv").
        u, s, vt = np.linalg.svd(wX, False)
        cutoff = 1e-15 * np.maximum.reduce(s)
        s_inv = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
        pinv = np.dot(np.transpose(vt), np.multiply(s_inv[:, np.newaxis], np.transpose(u)))
        cov = np.dot(pinv, np.transpose(pinv))
        params = np.dot(pinv, wz)
    return PoissonFit(params=params, cov=cov, converged=converged, iterations=iteration)
