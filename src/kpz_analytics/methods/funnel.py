"""Funnel plots of proportions against a target: which units are credibly below (or above) it.

- :func:`funnel_limits` — exact binomial control limits around a target proportion for a unit of
  size n (Spiegelhalter 2005, with the interpolation that makes the limits smooth in n).
- :func:`funnel_table` — per unit: proportion, expected count, limits at two levels, one-sided
  exact binomial p-values and a flag.

The reference implementation is R's ``qbinom``/``pbinom``/``binom.test``
(``tests/fixtures/r/funnel.R``). Overdispersion between units is not modelled: a flag says the
unit is unlikely to share the target *if* every unit had the same underlying rate (the usual
first look; with many flagged units, an overdispersed funnel is the next step).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError


def funnel_limits(n, target: float, level: float):
    r"""Lower and upper control limits of a proportion for units of size ``n``.

    For tail probability :math:`q = (1-\text{level})/2`, with :math:`F` the Binomial(n, p₀)
    distribution function and :math:`r_q` the smallest r with :math:`F(r) \ge q`:

    .. math::

        \alpha = \frac{F(r_q) - q}{F(r_q) - F(r_q - 1)}, \qquad \text{limit}_q = (r_q - \alpha)/n

    and the same with :math:`1-q` for the upper limit (Spiegelhalter, *Funnel plots for
    comparing institutional performance*, Stat Med 2005;24:1185–1202, appendix A.1.1). A unit
    whose observed proportion lies below the lower limit has, if its true proportion were p₀,
    probability at most about q of looking this low.

    Parameters
    ----------
    n : array-like of unit sizes (positive whole numbers).
    target : the target proportion p₀ (0 < p₀ < 1).
    level : two-sided level, e.g. 0.95 or 0.998.

    Returns
    -------
    lower, upper : numpy arrays of proportions (NaN where n is 0).
    """
    if not 0 < target < 1:
        raise ParameterError(f"funnel target must be a proportion between 0 and 1, got {target}")
    if not 0 < level < 1:
        raise ParameterError(f"funnel level must be between 0 and 1, got {level}")
    m = np.asarray(n, dtype=float)
    if np.any(m < 0) or np.any(m != np.round(m)):
        raise ParameterError("funnel sizes must be whole numbers of at least 0")
    out = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for q in ((1 - level) / 2, 1 - (1 - level) / 2):
            r = stats.binom.ppf(q, m, target)
            f_r = stats.binom.cdf(r, m, target)
            f_before = stats.binom.cdf(r - 1, m, target)
            step = f_r - f_before
            alpha = np.where(step > 0, (f_r - q) / np.where(step > 0, step, 1.0), 0.0)
            limit = (r - alpha) / m
            out.append(np.where(m > 0, np.clip(limit, 0.0, 1.0), np.nan))
    return out[0], out[1]


def funnel_table(events, n, target: float | None = None, levels=(0.95, 0.998)) -> pd.DataFrame:
    r"""Each unit against the target: the data of a funnel plot and which units fall outside it.

    Parameters
    ----------
    events, n : array-like: persons with the event and persons in the unit.
    target : target proportion; default the pooled proportion :math:`\sum x / \sum n` (the
        national rate when the units partition the country).
    levels : two-sided levels of the control limits; the flag uses the last (widest) level.

    Returns
    -------
    DataFrame, one row per unit (input order): ``proportion, target, expected`` (:math:`n p_0`),
    ``lower_<level>``/``upper_<level>`` (e.g. ``lower_95``, ``lower_99_8``), ``p_below``
    (exact one-sided :math:`P(X \le x)` under Binomial(n, p₀)), ``p_above``
    (:math:`P(X \ge x)`), ``z`` (:math:`(x - n p_0)/\sqrt{n p_0 (1-p_0)}`) and ``flag``:
    ``below`` / ``above`` the widest limits, else ``within`` (``NA`` for an empty unit).
    """
    x = np.asarray(events, dtype=float)
    m = np.asarray(n, dtype=float)
    if x.shape != m.shape:
        raise ParameterError("funnel_table: events and n must have the same length")
    if np.any(x < 0) or np.any(x > m):
        raise ParameterError("funnel_table: every count must lie between 0 and its unit size")
    if not levels:
        raise ParameterError("funnel_table: give at least one level")
    p0 = float(x.sum() / m.sum()) if target is None else float(target)
    if not 0 < p0 < 1:
        raise ParameterError(f"funnel target must be a proportion between 0 and 1, got {p0}")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"proportion": np.where(m > 0, x / m, np.nan), "target": p0, "expected": m * p0})
        for level in levels:
            low, high = funnel_limits(m, p0, level)
            tag = _level_tag(level)
            out[f"lower_{tag}"], out[f"upper_{tag}"] = low, high
        out["p_below"] = np.where(m > 0, stats.binom.cdf(x, m, p0), np.nan)
        out["p_above"] = np.where(m > 0, stats.binom.sf(x - 1, m, p0), np.nan)
        out["z"] = np.where(m > 0, (x - m * p0) / np.sqrt(m * p0 * (1 - p0)), np.nan)
    tag = _level_tag(levels[-1])
    flag = np.where(out["proportion"] < out[f"lower_{tag}"], "below",
                    np.where(out["proportion"] > out[f"upper_{tag}"], "above", "within"))
    out["flag"] = pd.Series(flag, dtype="string").where(m > 0, pd.NA)
    return out


def _level_tag(level: float) -> str:
    """``0.95`` → ``'95'``, ``0.998`` → ``'99_8'``."""
    text = f"{100 * level:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", "_")
