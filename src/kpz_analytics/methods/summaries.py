"""Shares and means with intervals, for tables of persons (event-time curves, gap shares).

- :func:`proportion_ci` — a binomial proportion with the Wilson score interval.
- :func:`mean_ci` — a mean with the normal-approximation interval of its standard error.

Both work on arrays of groups at once and return NaN where a value is undefined (no persons),
never an exception for a degenerate group.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from ..errors import ParameterError


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    return float(stats.norm.ppf(1 - alpha / 2))


def proportion_ci(n_events, n, alpha: float = 0.05):
    r"""Share :math:`\hat p = x/n` with the Wilson score interval.

    Estimand: the probability that a person of the group has the event. The Wilson interval
    inverts the score test,

    .. math::

        \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}
             {1 + z^2/n}, \qquad z = \Phi^{-1}(1 - \alpha/2),

    and keeps its coverage near the nominal level for small n and shares near 0 or 1, where the
    Wald interval fails (statsmodels ``proportion_confint(method="wilson")``).

    Parameters
    ----------
    n_events, n : array-like of counts (0 <= n_events <= n).
    alpha : 1 − confidence level.

    Returns
    -------
    share, ci_low, ci_high : numpy arrays; NaN where ``n`` is 0.
    """
    x = np.asarray(n_events, dtype=float)
    m = np.asarray(n, dtype=float)
    _z(alpha)
    if np.any(x < 0) or np.any(x > m):
        raise ParameterError("proportion_ci: every count must lie between 0 and its number of persons")
    ok = m > 0
    share = np.full(np.shape(m), np.nan)
    low = np.full(np.shape(m), np.nan)
    high = np.full(np.shape(m), np.nan)
    share[ok] = x[ok] / m[ok]
    lo, hi = proportion_confint(x[ok], m[ok], alpha=alpha, method="wilson")
    # exact bounds at the edges (the formula leaves rounding dust such as 1e-19 there)
    low[ok] = np.where(x[ok] == 0, 0.0, np.clip(lo, 0.0, 1.0))
    high[ok] = np.where(x[ok] == m[ok], 1.0, np.clip(hi, 0.0, 1.0))
    return share, low, high


def mean_ci(total, total_sq, n, alpha: float = 0.05):
    r"""Mean :math:`\bar y = \sum y / n` with the interval :math:`\bar y \pm z\, s/\sqrt{n}`.

    Estimand: the mean per person of the group (e.g. hours of care per person-month, zero for
    persons without care). Computed from sums so that it works on aggregates:
    :math:`s^2 = (\sum y^2 - n\bar y^2)/(n-1)`. For the skewed volumes and costs of care the
    normal approximation needs tens of persons; with n = 1 the interval is NaN.

    Parameters
    ----------
    total, total_sq, n : array-like: sum of the values, sum of their squares, number of persons.
    alpha : 1 − confidence level.

    Returns
    -------
    mean, ci_low, ci_high : numpy arrays; NaN where ``n`` is 0 (and the interval where n < 2).
    """
    z = _z(alpha)
    s1 = np.asarray(total, dtype=float)
    s2 = np.asarray(total_sq, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(m > 0, s1 / m, np.nan)
        var = np.where(m > 1, np.maximum(s2 - m * mean**2, 0.0) / (m - 1), np.nan)
        half = z * np.sqrt(var / m)
    return mean, mean - half, mean + half
