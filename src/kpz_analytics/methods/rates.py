"""Rate statistics: exact Poisson intervals, direct standardisation, trend over years.

All functions work on aggregates (one row per stratum or per year), never on person rows:
the warehouse does the counting, this module does the statistics.

- :func:`poisson_ci` — exact (Garwood) interval for a Poisson count.
- :func:`add_rates` — crude rate per ``per`` persons with the exact interval.
- :func:`direct_standardise` — age(–sex) standardised rate to a named standard population
  (ESP 2013) with the Fay & Feuer (1997) gamma interval.
- :func:`poisson_trend` — annual percentage change from a Poisson GLM with a log-population
  offset, refitted as negative binomial (NB2) when the counts are overdispersed.

References
----------
Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437-442.
Fay MP, Feuer EJ (1997). Confidence intervals for directly standardized rates: a method based
on the gamma distribution. Statistics in Medicine 16:791-801.
Eurostat (2013). Revision of the European Standard Population (KS-RA-13-028-EN).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from ..errors import KpzError, ParameterError
from .checks import check_alpha

__all__ = [
    "RateWarning",
    "poisson_ci",
    "add_rates",
    "direct_standardise",
    "poisson_trend",
    "STANDARD_SEXES",
]

# Sexes that carry standard weight; the standard gives each half of the age group's weight.
# Sex "O" (other/unknown) has no standard weight: counted in crude rates, excluded from
# standardised rates.
STANDARD_SEXES = ("M", "V")

# Overdispersion rule of poisson_trend: switch to NB2 only when both hold.
DISPERSION_THRESHOLD = 1.5
OVERDISPERSION_TEST_LEVEL = 0.05


class RateWarning(UserWarning):
    """A rate was computed on less than the full design (missing strata, dropped years)."""


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KpzError(
            f"{what}: column(s) {', '.join(missing)} not in data (columns: {', '.join(map(str, df.columns))})"
        )


def _numeric(df: pd.DataFrame, column: str, what: str) -> pd.Series:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        row = bad.idxmax()
        raise KpzError(f"{what}: column {column}, row {row}: {df[column][row]!r} is not a number")
    negative = values < 0
    if negative.any():
        row = negative.idxmax()
        raise KpzError(f"{what}: column {column}, row {row}: negative value {values[row]}")
    return values.astype(float)


def _per_label(per: float) -> str:
    per = float(per)
    if per <= 0:
        raise ParameterError(f"per must be positive, got {per}")
    return f"rate_per_{int(per)}" if per.is_integer() else f"rate_per_{per:g}"


# --------------------------------------------------------------------------------------------
# Exact Poisson interval
# --------------------------------------------------------------------------------------------
def poisson_ci(count, alpha: float = 0.05):
    r"""Exact (Garwood) two-sided confidence interval for the mean of a Poisson count.

    Estimand: the expected count :math:`\mu` of a Poisson variable observed as ``count``.

    Formula (Garwood 1936), with :math:`G^{-1}(p; k)` the quantile of a gamma distribution
    with shape :math:`k` and scale 1 (equivalently :math:`\chi^2_{p,2k}/2`):

    .. math::

        \mu_L = G^{-1}(\alpha/2;\ x), \qquad \mu_U = G^{-1}(1-\alpha/2;\ x+1),

    and :math:`\mu_L = 0` when :math:`x = 0`. Dividing both limits by a person-time or
    population :math:`T` gives R's ``poisson.test(x, T)$conf.int``.

    Parameters
    ----------
    count : int, float or array-like
        Observed count(s), non-negative. NaN gives NaN limits.
    alpha : float
        1 − confidence level (0.05 → 95% interval).

    Returns
    -------
    (lower, upper) : tuple of float or numpy.ndarray
        Floats for a scalar ``count``, arrays of the input's shape otherwise.
    """
    alpha = check_alpha(alpha)
    x = np.asarray(count, dtype=float)
    if np.any(x < 0):
        raise ParameterError(f"poisson_ci: counts must be non-negative, got minimum {np.nanmin(x)}")
    with np.errstate(invalid="ignore"):
        # gamma.ppf with shape 0 is undefined; the lower limit of a zero count is 0 by definition.
        lower = np.where(x > 0, stats.gamma.ppf(alpha / 2, np.where(x > 0, x, 1.0)), 0.0)
        upper = stats.gamma.ppf(1 - alpha / 2, x + 1)
    lower = np.where(np.isnan(x), np.nan, lower)
    if x.ndim == 0:
        return float(lower), float(upper)
    return lower, np.asarray(upper, dtype=float)


# --------------------------------------------------------------------------------------------
# Crude rates
# --------------------------------------------------------------------------------------------
def add_rates(
    df: pd.DataFrame,
    count_col: str = "n_cases",
    pop_col: str = "population",
    per: float = 10_000,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Add a crude rate per ``per`` persons and its exact Poisson interval to each row.

    Estimand: the rate :math:`\lambda = \mu / N` (cases per person, reported per ``per``
    persons) for each row, with :math:`x` the observed count and :math:`N` the population.

    .. math::

        \hat\lambda = \frac{x}{N}\cdot\text{per}, \qquad
        [\lambda_L, \lambda_U] = \frac{[\mu_L, \mu_U]}{N}\cdot\text{per},

    with :math:`[\mu_L, \mu_U]` the exact Garwood interval of :func:`poisson_ci`. The count
    is treated as Poisson given the population (for a prevalence that is a proportion, the
    Poisson interval is slightly conservative; with rare conditions the two agree closely).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per cell; other columns are kept.
    count_col, pop_col : str
        Count and population columns.
    per : float
        Rate multiplier; the rate column is named ``rate_per_{per}`` (``rate_per_10000``).
    alpha : float
        1 − confidence level.

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``rate_per_{per}``, ``ci_low``, ``ci_high``. A population of 0
        or missing, or a missing count, gives NaN in all three (no exception).
    """
    alpha = check_alpha(alpha)
    label = _per_label(per)
    _require_columns(df, [count_col, pop_col], "add_rates")
    count = _numeric(df, count_col, "add_rates")
    population = _numeric(df, pop_col, "add_rates")
    valid = (population > 0) & count.notna()
    factor = np.where(valid, float(per) / population.where(valid, 1.0), np.nan)
    low, high = poisson_ci(count.where(valid, 0.0).to_numpy(), alpha)
    out = df.copy()
    out[label] = count.to_numpy() * factor
    out["ci_low"] = low * factor
    out["ci_high"] = high * factor
    return out


# --------------------------------------------------------------------------------------------
# Direct standardisation
# --------------------------------------------------------------------------------------------
def _standard_table(standard: pd.DataFrame | None) -> pd.DataFrame:
    """Check a standard population table (``age_group, weight[, standard]``) and type it."""
    if not isinstance(standard, pd.DataFrame):
        raise ParameterError(
            "direct_standardise: standard must be a table age_group, weight "
            "(e.g. kpz_analytics.refdata.standard_population('esp2013'))"
        )
    _require_columns(standard, ["age_group", "weight"], "standard population")
    std = standard.copy()
    std["age_group"] = std["age_group"].astype(str).str.strip()
    std["weight"] = _numeric(std, "weight", "standard population")
    if std["weight"].isna().any() or (std["weight"] < 0).any() or std["age_group"].duplicated().any():
        raise ParameterError("standard population: weights must be non-negative numbers, one per age group")
    if "standard" not in std:
        std["standard"] = "custom"
    return std.reset_index(drop=True)


def _fay_feuer(d: np.ndarray, n: np.ndarray, w: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """Directly standardised rate and Fay–Feuer limits (per person) for one group's strata."""
    w = w / w.sum()
    dsr = float(np.sum(w * d / n))
    var = float(np.sum(w**2 * d / n**2))
    wm = float(np.max(w / n))
    if dsr > 0:
        lower = float(stats.gamma.ppf(alpha / 2, dsr**2 / var, scale=var / dsr))
    else:
        lower = 0.0
    upper = float(stats.gamma.ppf(1 - alpha / 2, (dsr + wm) ** 2 / (var + wm**2), scale=(var + wm**2) / (dsr + wm)))
    return dsr, lower, upper


def direct_standardise(
    df: pd.DataFrame,
    by: Sequence[str] | str | None,
    strata: Sequence[str] = ("age_group", "geslacht"),
    count_col: str = "n_cases",
    pop_col: str = "population",
    standard: pd.DataFrame | None = None,
    per: float = 10_000,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Directly age(–sex) standardised rates with Fay & Feuer (1997) gamma intervals.

    Estimand: for each group defined by ``by``, the rate the group would have if its
    population had the age–sex structure of the standard population, i.e. the
    standard-weighted mean of the stratum-specific rates.

    With strata :math:`i`, counts :math:`d_i`, populations :math:`n_i` and standard weights
    :math:`w_i` normalised to sum to 1 over the strata used:

    .. math::

        \text{DSR} = \sum_i w_i \frac{d_i}{n_i}, \qquad
        \widehat{\operatorname{Var}} = \sum_i w_i^2 \frac{d_i}{n_i^2}, \qquad
        w_M = \max_i \frac{w_i}{n_i},

        L = G^{-1}\!\left(\tfrac{\alpha}{2};\ \frac{\text{DSR}^2}{\widehat{V}},\
            \frac{\widehat{V}}{\text{DSR}}\right), \qquad
        U = G^{-1}\!\left(1-\tfrac{\alpha}{2};\
            \frac{(\text{DSR}+w_M)^2}{\widehat{V}+w_M^2},\
            \frac{\widehat{V}+w_M^2}{\text{DSR}+w_M}\right),

    where :math:`G^{-1}(p; k, \theta)` is the gamma quantile with shape :math:`k` and scale
    :math:`\theta`; :math:`L = 0` when all counts are 0. This is the formula of R's
    ``epitools::ageadjust.direct``. With a single stratum it reduces to the exact Garwood
    interval of :func:`poisson_ci` divided by the population.

    Standard population: a table ``age_group, weight`` (and optionally ``standard``, its name),
    e.g. ``refdata.standard_population("esp2013")``, the European Standard Population 2013
    (Eurostat), age groups ``<1`` (1,000), ``1-4`` (4,000), ``5-9``, ``10-14``, ``15-19``
    (5,500 each), ``20-24`` (6,000), … per 100,000 (``reference/standard_population_esp2013.csv``).
    The ESP has no sex split: each age group's weight is divided equally between ``M`` and
    ``V``. Sex ``O`` has no standard weight: its cases and population count in
    ``n_cases``, ``population`` and ``crude_rate`` but not in ``std_rate``.

    The standard is truncated to the age groups present in ``df`` (a paediatric analysis uses
    the ESP's 0–19 part, re-normalised). Within a group, a stratum of that truncated standard
    with no population (absent, 0 or missing) cannot carry a rate: its weight is dropped and
    the remaining weights re-normalised, with a :class:`RateWarning`. A missing count in a
    stratum with population is read as 0 (the usual result of joining counts onto a
    denominator).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group × stratum (several rows per cell are summed).
    by : list of str, str or None
        Grouping columns; ``None`` or ``[]`` gives one overall row.
    strata : sequence of str
        Standardisation strata: ``("age_group", "geslacht")`` or ``("age_group",)``.
    count_col, pop_col : str
        Count and population columns.
    standard : pandas.DataFrame
        The standard population, one row per age group: ``age_group, weight`` and optionally
        ``standard`` (its name, copied to the output). Required: this module reads no files;
        the package's standards come from :func:`kpz_analytics.refdata.standard_population`.
    per : float
        Rate multiplier for ``crude_rate``, ``std_rate`` and the interval.
    alpha : float
        1 − confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by..., n_cases, population, crude_rate, std_rate, ci_low,
        ci_high, standard``. A group without any population gives NaN rates.

    Raises
    ------
    KpzError
        An age group not in the standard (e.g. ``25+`` for ESP, which has 25-29, 30-34, …),
        a sex other than M/V/O, or a missing column.
    """
    alpha = check_alpha(alpha)
    _per_label(per)
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    strata = [strata] if isinstance(strata, str) else list(strata)
    if "age_group" not in strata or not set(strata) <= {"age_group", "geslacht"}:
        raise ParameterError(
            f"direct_standardise: strata must be ('age_group', 'geslacht') or ('age_group',), got {tuple(strata)}"
        )
    overlap = set(by) & set(strata)
    if overlap:
        raise ParameterError(f"direct_standardise: {', '.join(sorted(overlap))} is both in by and in strata")
    _require_columns(df, [*by, *strata, count_col, pop_col], "direct_standardise")

    std = _standard_table(standard)
    standard = str(std["standard"].iloc[0])
    data = df[[*by, *strata]].copy()
    data["_d"] = _numeric(df, count_col, "direct_standardise").fillna(0.0)
    data["_n"] = _numeric(df, pop_col, "direct_standardise")
    data["age_group"] = data["age_group"].astype("string").str.strip()
    if data["age_group"].isna().any():
        row = data["age_group"].isna().idxmax()
        raise KpzError(f"direct_standardise: column age_group, row {row}: missing age group")
    unknown = sorted(set(data["age_group"]) - set(std["age_group"]))
    if unknown:
        raise KpzError(
            f"direct_standardise: age group(s) {', '.join(unknown)} in column age_group are not in standard "
            f"{standard} (its groups: {', '.join(std['age_group'])})"
        )
    with_sex = "geslacht" in strata
    if with_sex:
        data["geslacht"] = data["geslacht"].astype("string").str.strip()
        bad = ~data["geslacht"].isin([*STANDARD_SEXES, "O"])
        if bad.any():
            row = bad.idxmax()
            raise KpzError(
                f"direct_standardise: column geslacht, row {row}: {df['geslacht'][row]!r} is not M, V or O"
            )

    # Standard weights per stratum, truncated to the age groups in the data.
    present_ages = [a for a in std["age_group"] if a in set(data["age_group"])]
    std = std.set_index("age_group").loc[present_ages]
    if with_sex:
        weights = pd.Series(
            {(a, s): std.at[a, "weight"] / len(STANDARD_SEXES) for a in present_ages for s in STANDARD_SEXES}
        )
    else:
        weights = pd.Series({(a,): std.at[a, "weight"] for a in present_ages})

    keys = by if by else None
    groups = data.groupby(by, sort=True, dropna=False) if keys else [((), data)]
    rows, incomplete = [], []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        total_d = float(group["_d"].sum())
        total_n = float(group["_n"].sum(min_count=1))
        cells = group.groupby(strata, sort=False)[["_d", "_n"]].sum(min_count=1)
        cells.index = [idx if isinstance(idx, tuple) else (idx,) for idx in cells.index]
        cells = cells.reindex(weights.index)
        usable = (cells["_n"] > 0).to_numpy()
        if not usable.all():
            incomplete.append((key, [" ".join(map(str, s)) for s, ok in zip(weights.index, usable) if not ok]))
        crude = total_d / total_n * per if total_n > 0 else np.nan
        if usable.any():
            dsr, low, high = _fay_feuer(
                cells["_d"].to_numpy()[usable].astype(float),
                cells["_n"].to_numpy()[usable].astype(float),
                weights.to_numpy()[usable],
                alpha,
            )
            std_rate, ci_low, ci_high = dsr * per, low * per, high * per
        else:
            std_rate = ci_low = ci_high = np.nan
        rows.append(
            (*key, total_d, total_n, crude, std_rate, ci_low, ci_high, standard)
        )
    if incomplete:
        examples = "; ".join(
            f"{dict(zip(by, k)) if by else 'all'}: {', '.join(missing)}" for k, missing in incomplete[:3]
        )
        more = f" (and {len(incomplete) - 3} more groups)" if len(incomplete) > 3 else ""
        warnings.warn(
            f"direct_standardise: {len(incomplete)} group(s) lack population in some standard strata; "
            f"weights re-normalised over the strata present — {examples}{more}",
            RateWarning,
            stacklevel=2,
        )
    columns = [*by, "n_cases", "population", "crude_rate", "std_rate", "ci_low", "ci_high", "standard"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------
def _nb_profile_alpha(y, X, offset) -> tuple[float, object]:
    """NB2 dispersion alpha by maximising the profile likelihood (beta refitted at each alpha).

    Same estimator as R's ``MASS::glm.nb`` (theta = 1/alpha), which alternates between the
    GLM fit at fixed theta and the ML theta.
    """

    def fit(log_alpha: float):
        family = sm.families.NegativeBinomial(alpha=math.exp(log_alpha))
        return sm.GLM(y, X, family=family, offset=offset).fit()

    # Bounded Brent search on log(alpha): alpha from 1e-10 (≈ Poisson) to e^5.
    result = optimize.minimize_scalar(
        lambda la: -fit(la).llf, bounds=(-23.0, 5.0), method="bounded", options={"xatol": 1e-9}
    )
    return math.exp(result.x), fit(result.x)


def poisson_trend(
    df: pd.DataFrame,
    year_col: str = "jaar",
    count_col: str = "n_cases",
    pop_col: str = "population",
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Annual percentage change (APC) of a rate from a log-linear count model.

    Estimand: :math:`\text{APC} = 100\,(e^{\beta} - 1)`, the average relative change of the
    rate per calendar year, under the model (rows are first summed per year)

    .. math::

        \log E[Y_t] = \beta_0 + \beta\, t + \log N_t .

    Fit: Poisson GLM (statsmodels) with offset :math:`\log N_t`. Overdispersion is measured
    by the Pearson dispersion :math:`\hat\phi = \sum_t (y_t-\hat\mu_t)^2/\hat\mu_t \,/\,(T-2)`.
    Rule: when :math:`\hat\phi > 1.5` **and** the likelihood-ratio test of NB2 against
    Poisson rejects at the 5% level, the model is refitted as negative binomial NB2
    (:math:`\operatorname{Var} Y = \mu + \alpha\mu^2`, :math:`\alpha` by maximum likelihood,
    as ``MASS::glm.nb``). The LR test puts :math:`\alpha = 0` on the boundary of the
    parameter space, so its p-value is the chi-bar-square
    :math:`p = \tfrac12 P(\chi^2_1 > 2(\ell_{NB} - \ell_{P}))` (Self & Liang 1987).

    Interval (Wald, on the log scale, then transformed):

    .. math::

        \text{APC}_{L,U} = 100\,\left(e^{\hat\beta \mp z_{1-\alpha/2}\,\widehat{SE}(\hat\beta)} - 1\right),

    with :math:`\widehat{SE}` from the expected information of the chosen model (for NB2 at
    the estimated :math:`\alpha`, as ``summary(glm.nb(...))`` in R). ``p_value`` is the Wald
    test of :math:`\beta = 0`.

    Parameters
    ----------
    df : pandas.DataFrame
        Counts and populations with a year column; several rows per year are summed.
    year_col, count_col, pop_col : str
        Column names.
    alpha : float
        1 − confidence level of the APC interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``model`` (``poisson`` | ``negative_binomial``), ``apc``, ``apc_ci_low``,
        ``apc_ci_high``, ``dispersion`` (Pearson, of the Poisson fit), ``p_value``,
        ``n_years``, and for traceability ``year_from``, ``year_to``, ``beta``, ``se``,
        ``deviance`` (of the chosen model), ``nb_alpha`` (NaN for Poisson) and
        ``overdispersion_p`` (LR test p-value; NaN when the dispersion did not exceed 1.5).

    Raises
    ------
    KpzError
        Fewer than 3 years with a positive population, no cases at all, or a missing column.
    """
    alpha = check_alpha(alpha)
    _require_columns(df, [year_col, count_col, pop_col], "poisson_trend")
    data = pd.DataFrame(
        {
            "year": _numeric(df, year_col, "poisson_trend"),
            "y": _numeric(df, count_col, "poisson_trend"),
            "n": _numeric(df, pop_col, "poisson_trend"),
        }
    )
    if data["year"].isna().any():
        row = data["year"].isna().idxmax()
        raise KpzError(f"poisson_trend: column {year_col}, row {row}: missing year")
    per_year = data.groupby("year", sort=True).sum(min_count=1)
    usable = (per_year["n"] > 0) & per_year["y"].notna()
    if not usable.all():
        dropped = ", ".join(str(int(y)) for y in per_year.index[~usable])
        warnings.warn(
            f"poisson_trend: year(s) {dropped} dropped (no population or missing count)", RateWarning, stacklevel=2
        )
    per_year = per_year[usable]
    n_years = len(per_year)
    if n_years < 3:
        raise KpzError(f"poisson_trend: a trend needs at least 3 years with population, got {n_years}")
    if per_year["y"].sum() == 0:
        raise KpzError("poisson_trend: no cases in any year; the trend is undefined")

    years = per_year.index.to_numpy(dtype=float)
    y = per_year["y"].to_numpy()
    offset = np.log(per_year["n"].to_numpy())
    # Centring the year changes only the intercept; it keeps the fit well conditioned.
    X = sm.add_constant(years - years.mean())

    pois = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    dispersion = float(pois.pearson_chi2 / pois.df_resid)
    chosen, model, nb_alpha, od_p = pois, "poisson", np.nan, np.nan
    if dispersion > DISPERSION_THRESHOLD:
        nb_alpha, nb = _nb_profile_alpha(y, X, offset)
        lr = max(2.0 * (nb.llf - pois.llf), 0.0)
        od_p = float(0.5 * stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
        if od_p < OVERDISPERSION_TEST_LEVEL:
            chosen, model = nb, "negative_binomial"
        else:
            nb_alpha = np.nan

    beta, se = float(chosen.params[1]), float(chosen.bse[1])
    if not (np.isfinite(beta) and np.isfinite(se) and abs(beta) + stats.norm.ppf(1 - alpha / 2) * se < 700):
        # e.g. all cases in one year: the likelihood has no finite maximum for the slope
        raise KpzError(f"poisson_trend: the trend is not estimable from these counts (slope {beta:.3g}, SE {se:.3g})")
    z = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        [
            {
                "model": model,
                "apc": 100 * math.expm1(beta),
                "apc_ci_low": 100 * math.expm1(beta - z * se),
                "apc_ci_high": 100 * math.expm1(beta + z * se),
                "dispersion": dispersion,
                "p_value": float(2 * stats.norm.sf(abs(beta / se))),
                "n_years": n_years,
                "year_from": int(years.min()),
                "year_to": int(years.max()),
                "beta": beta,
                "se": se,
                "deviance": float(chosen.deviance),
                "nb_alpha": float(nb_alpha),
                "overdispersion_p": float(od_p),
            }
        ]
    )
