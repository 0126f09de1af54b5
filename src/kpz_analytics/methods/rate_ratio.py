"""Before/after rate ratio with repeated measures per person (GEE, log link).

- :func:`rate_ratio_before_after` — the ratio of the monthly rate of an outcome (emergency
  visits, admissions, care days, cost) in a window after the 18th birthday to the rate in a
  window before, from a log-link generalised estimating equation (GEE) with an exchangeable
  working correlation within persons and a robust (sandwich) standard error, after Jarvis et
  al. (2022), who compared rates before and after transition to adult services.

Population-averaged, not subject-specific
-----------------------------------------
Jarvis et al. used Poisson / negative-binomial models with a person random intercept. The GEE
gives the population-averaged ratio: how the mean monthly rate in the cohort changes. With a
log link and a random intercept only, the two estimands coincide (the random intercept
multiplies both periods' means by the same factor); they part when the effect of turning 18
differs between persons (a random slope on ``after``), and then the population-averaged ratio is
the one that answers "how much care does this cohort receive after 18 compared with before".
The GEE's robust standard error does not depend on the working correlation or on the
distribution of person effects being right; a random-effects model's does. GEE assumes rows
missing after censoring (death, emigration, end of data) are missing completely at random given
the period; informative censoring (care rising before death) biases both approaches.

References
----------
Jarvis S et al. (2022). Pediatric Research: emergency hospital care of young people with
life-limiting conditions before and after transition to adult services (see
docs/domain-primer, "Methods the field uses").
Liang KY, Zeger SL (1986). Longitudinal data analysis using generalized linear models.
Biometrika 73:13-22.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.genmod.cov_struct import Exchangeable, Independence

from ..errors import ParameterError
from .checks import check_alpha

__all__ = ["rate_ratio_before_after", "MIN_PERSONS"]

# Fewer persons than this: the sandwich variance over persons is not to be trusted.
MIN_PERSONS = 20

FAMILIES = ("poisson", "negative_binomial")
CORRELATIONS = ("exchangeable", "independence")

RESULT_COLUMNS = [
    "outcome",
    "rate_before",
    "rate_after",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "n_persons",
    "n_person_months",
    "n_person_months_before",
    "n_person_months_after",
    "total_before",
    "total_after",
    "crude_rate_before",
    "crude_rate_after",
    "family",
    "nb_alpha",
    "working_correlation",
    "correlation_estimate",
    "alpha",
    "method",
    "note",
]


def _check_window(window, name: str) -> tuple[int, int]:
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a pair of event months (first, last), got {window!r}") from None
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ParameterError(f"{name} must hold integer event months, got {window!r}")
    if lo > hi:
        raise ParameterError(f"{name} is empty: first month {lo} after last month {hi}")
    return int(lo), int(hi)


def nb_alpha_moments(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """Method-of-moments NB2 dispersion from ``Var(y) = mu + alpha * mu^2``.

    ``alpha = sum((y - mu)^2 - y) / sum(mu^2)`` scaled by ``n / (n - n_params)``, floored at 0
    (the moment estimator from Poisson residuals; Cameron & Trivedi, Regression Analysis of
    Count Data, 2013).
    """
    n = len(y)
    value = float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)) * n / (n - n_params)
    return max(value, 0.0)


def rate_ratio_before_after(
    panel: pd.DataFrame,
    outcome: str,
    before: tuple[int, int] = (-12, -1),
    after: tuple[int, int] = (0, 11),
    running: str = "event_month",
    cluster: str = "persoon_id",
    family: str = "poisson",
    alpha: float = 0.05,
    correlation: str = "exchangeable",
    min_persons: int = MIN_PERSONS,
) -> pd.DataFrame:
    """Rate ratio after / before the cutoff from a log-link GEE with repeated measures.

    Estimand
    --------
    ``RR = E[Y_it | after] / E[Y_it | before]``: the population-averaged mean of the monthly
    outcome (count, days or cost per person-month) in the ``after`` window over the one in the
    ``before`` window, among the person-months observed.

    Model
    -----
    For person ``i`` in month ``t`` of either window::

        log E[Y_it] = beta_0 + beta_1 * after_it,       RR = exp(beta_1)

    fitted by GEE (Liang & Zeger 1986) with persons as clusters, a working correlation that is
    ``exchangeable`` (one common correlation between any two months of a person; default) or
    ``independence``, and variance function ``phi * mu`` (``family="poisson"``; quasi-Poisson,
    so non-integer outcomes such as cost are fine) or ``mu + a * mu^2``
    (``family="negative_binomial"``, ``a`` by the method of moments from the Poisson fit, see
    :func:`nb_alpha_moments`). Scale and exchangeable correlation are moment estimates without
    degrees-of-freedom corrections, as in R's geepack. The family and working correlation change only the weights, so
    efficiency; validity comes from the robust sandwich variance, summed over persons::

        V(beta) = B^-1 [ sum_i D_i' W_i^-1 r_i r_i' W_i^-1 D_i ] B^-1,   B = sum_i D_i' W_i^-1 D_i

    Interval: ``exp(beta_1 +/- z_(1-alpha/2) * se)``; ``p_value`` the Wald test of RR = 1.
    ``rate_before = exp(beta_0)`` and ``rate_after = exp(beta_0 + beta_1)`` (model-based, so
    their ratio is ``rate_ratio``). With ``independence`` they equal the crude rates
    (total / person-months), which are reported alongside in any case; with an exchangeable
    working correlation and persons observed for different numbers of months they differ
    slightly, because persons with fewer months then weigh relatively more.

    Persons contribute only the months they are observed: a person censored after 18 simply
    has fewer rows after.

    Parameters
    ----------
    panel : DataFrame
        One row per person x event month.
    outcome, running, cluster : str
        Columns: the monthly outcome (non-negative), the event month, the person id.
    before, after : (int, int)
        First and last event month of each window (inclusive); ``before`` must end before
        ``after`` starts. Default: the year before and the year from the birthday month.
    family : {"poisson", "negative_binomial"}
    alpha : float
        1 - confidence level.
    correlation : {"exchangeable", "independence"}
        Working correlation within persons.
    min_persons : int
        Minimum number of persons in the two windows together.

    Returns
    -------
    DataFrame
        One row: ``outcome, rate_before, rate_after, rate_ratio, ci_low, ci_high, p_value,
        n_persons, n_person_months, n_person_months_before, n_person_months_after,
        total_before, total_after, crude_rate_before, crude_rate_after, family, nb_alpha,
        working_correlation, correlation_estimate, alpha, method, note``. An outcome that is 0
        in every row, or 0 throughout one window (the ratio is then 0 or infinite and has no
        interval on the log scale), gives the crude figures, NaN for what cannot be estimated,
        and the reason in ``note``.

    Raises
    ------
    ParameterError
        Unknown column, non-numeric or negative outcome, non-numeric running variable, a bad
        window or option, a window without observations, or fewer than ``min_persons`` persons.
    """
    alpha = check_alpha(alpha)
    if family not in FAMILIES:
        raise ParameterError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    if correlation not in CORRELATIONS:
        raise ParameterError(f"correlation must be one of {', '.join(CORRELATIONS)}; got {correlation!r}")
    b_lo, b_hi = _check_window(before, "before")
    a_lo, a_hi = _check_window(after, "after")
    if b_hi >= a_lo:
        raise ParameterError(f"before {before} must end before after {after} starts")
    if isinstance(min_persons, bool) or not isinstance(min_persons, (int, np.integer)) or min_persons < 2:
        raise ParameterError(f"min_persons must be an integer >= 2, got {min_persons!r}")
    if not isinstance(panel, pd.DataFrame):
        raise ParameterError(f"rate_ratio_before_after: panel must be a pandas DataFrame, got {type(panel).__name__}")
    for role, column in (("outcome", outcome), ("running", running), ("cluster", cluster)):
        if column not in panel.columns:
            raise ParameterError(f"rate_ratio_before_after: {role} column {column!r} not in panel")
    xs = panel[running]
    if pd.api.types.is_bool_dtype(xs) or not pd.api.types.is_numeric_dtype(xs):
        raise ParameterError(f"rate_ratio_before_after: running variable {running!r} must be numeric, got {xs.dtype}")
    ys = panel[outcome]
    if pd.api.types.is_bool_dtype(ys):
        ys = ys.astype(float)
    elif not pd.api.types.is_numeric_dtype(ys):
        raise ParameterError(f"rate_ratio_before_after: outcome {outcome!r} must be numeric, got {ys.dtype}")

    notes: list[str] = []
    month = xs.to_numpy(dtype=float)
    in_before = (month >= b_lo) & (month <= b_hi)
    in_after = (month >= a_lo) & (month <= a_hi)
    use = in_before | in_after
    y_all = ys.to_numpy(dtype=float)
    missing = use & ~np.isfinite(y_all)
    if missing.any():
        notes.append(f"{int(missing.sum())} row(s) with missing {outcome} left out")
        use &= ~missing
    if panel.loc[use, cluster].isna().any():
        raise ParameterError(f"rate_ratio_before_after: cluster column {cluster!r} has missing values")
    y = y_all[use]
    if np.any(y < 0):
        raise ParameterError(f"rate_ratio_before_after: outcome {outcome!r} has negative values (min {y.min():g})")
    is_after = in_after[use].astype(float)
    groups, _ = pd.factorize(panel.loc[use, cluster], sort=False)
    for name, mask, window in (("before", is_after == 0, before), ("after", is_after == 1, after)):
        if not mask.any():
            raise ParameterError(f"rate_ratio_before_after: no observations in the {name} window {window} of {running!r}")
    n_persons = int(groups.max()) + 1
    if n_persons < min_persons:
        raise ParameterError(
            f"rate_ratio_before_after: {n_persons} persons ({cluster}) in the windows; at least "
            f"min_persons={min_persons} needed for the robust variance"
        )

    pm_before, pm_after = int((is_after == 0).sum()), int((is_after == 1).sum())
    tot_before, tot_after = float(y[is_after == 0].sum()), float(y[is_after == 1].sum())
    row = {col: np.nan for col in RESULT_COLUMNS}
    row.update(
        outcome=outcome,
        n_persons=n_persons,
        n_person_months=len(y),
        n_person_months_before=pm_before,
        n_person_months_after=pm_after,
        total_before=tot_before,
        total_after=tot_after,
        crude_rate_before=tot_before / pm_before,
        crude_rate_after=tot_after / pm_after,
        family=family,
        working_correlation=correlation,
        alpha=alpha,
        method=(
            f"GEE, log link, {family.replace('_', ' ')} variance, {correlation} working correlation within "
            f"{cluster}, robust sandwich SE; before {b_lo}..{b_hi}, after {a_lo}..{a_hi} ({running})"
        ),
        note="",
    )
    if tot_before == 0 or tot_after == 0:
        if tot_before == 0 and tot_after == 0:
            why = f"{outcome} is 0 in every person-month of both windows: no rate ratio"
        elif tot_after == 0:
            why = f"{outcome} is 0 in every person-month after: rate ratio 0, no interval on the log scale"
            row.update(rate_before=tot_before / pm_before, rate_after=0.0, rate_ratio=0.0)
        else:
            why = f"{outcome} is 0 in every person-month before: rate ratio infinite, no interval on the log scale"
            row.update(rate_before=0.0, rate_after=tot_after / pm_after, rate_ratio=math.inf)
        row["note"] = "; ".join(notes + [why])
        return pd.DataFrame([row], columns=RESULT_COLUMNS)

    # Sort by person (GEE clusters are contiguous blocks; within a person, by month).
    order = np.lexsort((month[use], groups))
    y, is_after, groups = y[order], is_after[order], groups[order]
    exog = np.column_stack([np.ones_like(y), is_after])

    caught: list[str] = []
    nb_alpha = np.nan
    fam = sm.families.Poisson()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        if family == "negative_binomial":
            pois = sm.GEE(y, exog, groups=groups, family=sm.families.Poisson(), cov_struct=Independence()).fit()
            nb_alpha = nb_alpha_moments(y, pois.fittedvalues, n_params=2)
            if nb_alpha == 0:
                notes.append("no overdispersion by the moment estimator (alpha 0): the negative binomial equals Poisson")
            fam = sm.families.NegativeBinomial(alpha=nb_alpha) if nb_alpha > 0 else sm.families.Poisson()
        cov = Exchangeable() if correlation == "exchangeable" else Independence()
        # ddof_scale=0: moment estimates of scale and correlation without degrees-of-freedom
        # corrections, as R's geepack (the reference in tests/test_rate_ratio_against_R.py).
        fit = sm.GEE(y, exog, groups=groups, family=fam, cov_struct=cov).fit(maxiter=100, ddof_scale=0)
        caught = [f"{type(x.message).__name__}: {x.message}" for x in w]
    notes += [f"statsmodels: {text}" for text in dict.fromkeys(caught)]

    beta0, beta1 = (float(v) for v in fit.params)
    se = float(fit.bse[1])  # robust (sandwich) by default in statsmodels GEE
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    row.update(
        rate_before=math.exp(beta0),
        rate_after=math.exp(beta0 + beta1),
        rate_ratio=math.exp(beta1),
        ci_low=math.exp(beta1 - z * se),
        ci_high=math.exp(beta1 + z * se),
        p_value=float(2.0 * stats.norm.sf(abs(beta1 / se))),
        nb_alpha=nb_alpha,
        correlation_estimate=float(np.atleast_1d(fit.model.cov_struct.dep_params)[0]) if correlation == "exchangeable" else 0.0,
        note="; ".join(notes),
    )
    return pd.DataFrame([row], columns=RESULT_COLUMNS)
