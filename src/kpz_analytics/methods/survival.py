"""Time to event: Kaplan–Meier, the Cox model with R's proportional-hazards test, Aalen–Johansen.

Written for the transition analysis ("time from the 18th birthday to the first adult successor
care"), but knows nothing of it: every function takes a data frame with one row per person, a
duration column (time since the origin, >= 0; ties and zeros allowed) and an event column, and
returns tidy tables. The estimators are plain numpy and are pinned to R ``survival`` 3.5
(``tests/fixtures/r/survival_reference.R``):

- :func:`km_curves`, :func:`km_summary`: ``survfit(Surv(time, event) ~ group)``, Greenwood
  variance, ``conf.type`` "log-log", "log" or "plain"; the median and its interval exactly as
  ``quantile.survfit``.
- :func:`cox_model`: ``coxph(..., ties = "efron")`` and ``cox.zph(fit)`` (transform "km"), plus
  the concordance ``coxph`` reports.
- :func:`cumulative_incidence`: ``survfit(Surv(time, factor(status)) ~ group)`` (Aalen–Johansen
  with the infinitesimal-jackknife standard error R uses for multi-state curves).

Conventions shared by all functions
-----------------------------------
- Rows whose duration equals an event time are at risk at that time (censoring is taken to
  happen just after events at the same time), as in R.
- Bad input raises :class:`~kpz_analytics.errors.ParameterError` with a one-line message that
  names the column and the first offending row (by index label). Degenerate but valid input
  (no events, a group of one, events at time 0, a median that is never reached) gives NaN where
  a quantity is undefined, never an exception and never a made-up number.
- ``alpha`` is the two-sided error rate: intervals have confidence level ``1 - alpha`` and use
  ``z = Phi^-1(1 - alpha / 2)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from kpz_analytics.errors import ParameterError
from .checks import check_alpha

__all__ = [
    "ALL_GROUP",
    "CONF_TYPES",
    "CoxResult",
    "CumulativeIncidence",
    "KMSummary",
    "cox_model",
    "cumulative_incidence",
    "km_curves",
    "km_summary",
]

#: Interval transforms understood by the Kaplan–Meier and cumulative-incidence functions.
CONF_TYPES = ("log-log", "log", "plain")
#: Value of the ``group`` column when no grouping column is given.
ALL_GROUP = "all"
#: R's ``sqrt(.Machine$double.eps)``: the tolerance ``quantile.survfit`` uses to decide that a
#: curve equals 0.5 exactly.
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))

_KM_COLUMNS = ["group", "time", "n_at_risk", "n_events", "n_censored", "survival", "std_err",
               "ci_low", "ci_high", "conf_type", "conf_level"]
_MEDIAN_COLUMNS = ["group", "n_persons", "n_events", "median", "median_ci_low", "median_ci_high",
                   "conf_type", "conf_level"]
_AT_TIMES_COLUMNS = ["group", "time", "survival", "std_err", "ci_low", "ci_high", "cumulative_share",
                     "cumulative_ci_low", "cumulative_ci_high", "conf_type", "conf_level"]
_CIF_COLUMNS = ["group", "cause", "time", "n_at_risk", "n_events", "n_competing", "n_censored",
                "cumulative_incidence", "std_err", "ci_low", "ci_high", "conf_type", "conf_level"]
_CIF_AT_COLUMNS = ["group", "cause", "time", "cumulative_incidence", "std_err", "ci_low", "ci_high",
                   "conf_type", "conf_level"]
_COEF_COLUMNS = ["term", "variable", "level", "coef", "hazard_ratio", "std_err", "ci_low", "ci_high",
                 "p_value", "note"]
_PH_COLUMNS = ["term", "statistic", "df", "p_value"]


# =============================================================================================
# Result containers
# =============================================================================================
class KMSummary(NamedTuple):
    """Kaplan–Meier summary: one table of medians, one long table of values at chosen times.

    A named tuple, so ``medians, at_times = km_summary(...)`` works too.

    Attributes
    ----------
    medians : DataFrame
        One row per group: ``group, n_persons, n_events, median, median_ci_low, median_ci_high,
        conf_type, conf_level``.
    at_times : DataFrame
        One row per group x requested time: ``group, time, survival, std_err, ci_low, ci_high,
        cumulative_share, cumulative_ci_low, cumulative_ci_high, conf_type, conf_level``.
    """

    medians: pd.DataFrame
    at_times: pd.DataFrame


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model with its proportional-hazards check.

    Attributes
    ----------
    coefficients : DataFrame
        One row per model column: ``term, variable, level, coef, hazard_ratio, std_err, ci_low,
        ci_high, p_value, note``. ``ci_low``/``ci_high`` are on the hazard-ratio scale.
        ``level`` is the contrasted level of a categorical variable (NaN for numeric ones);
        ``note`` is empty unless the coefficient is not estimable or infinite.
    ph_test : DataFrame
        ``term, statistic, df, p_value``: one row per covariate (a categorical covariate is one
        term with df = number of its contrasts) and a last row ``GLOBAL``, as R ``cox.zph``.
    n, n_events : int
        Persons used and events among them.
    concordance : float
        Harrell's C as ``coxph`` reports it (see :func:`cox_model`).
    loglik_null, loglik : float
        Efron partial log likelihood at beta = 0 and at the estimate.
    converged : bool
        False when a coefficient is infinite (monotone likelihood) or there are no events.
    reference_levels : dict
        The reference level used for each categorical covariate.
    alpha : float
        The error rate of the intervals.
    """

    coefficients: pd.DataFrame
    ph_test: pd.DataFrame
    n: int
    n_events: int
    concordance: float
    loglik_null: float
    loglik: float
    converged: bool
    reference_levels: dict[str, Any] = field(default_factory=dict)
    alpha: float = 0.05


class CumulativeIncidence(NamedTuple):
    """Aalen–Johansen cumulative incidence curves and their values at chosen times.

    A named tuple, so ``curves, at_times = cumulative_incidence(...)`` works too.

    Attributes
    ----------
    curves : DataFrame
        One row per group x cause x distinct time: ``group, cause, time, n_at_risk, n_events,
        n_competing, n_censored, cumulative_incidence, std_err, ci_low, ci_high, conf_type,
        conf_level``. ``cause`` is ``"event"`` (code 1) or ``"competing"`` (code 2); the counts
        are the same on both rows of a time.
    at_times : DataFrame
        ``group, cause, time, cumulative_incidence, std_err, ci_low, ci_high, conf_type,
        conf_level`` at each requested time.
    """

    curves: pd.DataFrame
    at_times: pd.DataFrame


# =============================================================================================
# Input checks
# =============================================================================================
def _check_frame(df: Any, columns: Iterable[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"expected a pandas DataFrame, got {type(df).__name__}")
    for column in columns:
        if column not in df.columns:
            raise ParameterError(f"column {column!r} is missing from the data")
    if len(df) == 0:
        raise ParameterError("the data have no rows: nothing to estimate")


def _plain(value: Any) -> Any:
    """numpy scalars as Python scalars, so messages read 'row 11', not 'row np.int64(11)'."""
    return value.item() if isinstance(value, np.generic) else value


def _first_bad(df: pd.DataFrame, column: str, bad: np.ndarray) -> tuple[Any, Any]:
    position = int(np.flatnonzero(bad)[0])
    return _plain(df.index[position]), _plain(df[column].iloc[position])


def _durations(df: pd.DataFrame, column: str) -> np.ndarray:
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw):
        raise ParameterError(f"column {column!r} must hold numeric durations, not booleans")
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row, value = _first_bad(df, column, missing)
        raise ParameterError(f"column {column!r} has a missing or non-numeric duration ({value!r}) at row {row!r}")
    infinite = ~np.isfinite(values)
    if infinite.any():
        row, value = _first_bad(df, column, infinite)
        raise ParameterError(f"column {column!r} has an infinite duration ({value!r}) at row {row!r}")
    negative = values < 0
    if negative.any():
        row, value = _first_bad(df, column, negative)
        raise ParameterError(f"column {column!r} has a negative duration ({value!r}) at row {row!r}")
    return values


def _events(df: pd.DataFrame, column: str, codes: tuple[int, ...]) -> np.ndarray:
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw) and not raw.isna().any():
        values = raw.to_numpy(dtype=float)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isin(values, codes)
    if bad.any():
        row, value = _first_bad(df, column, bad)
        allowed = "/".join(str(c) for c in codes)
        raise ParameterError(f"column {column!r} must be coded {allowed}; found {value!r} at row {row!r}")
    return values.astype(int)


def _check_conf_type(conf_type: Any) -> str:
    if conf_type not in CONF_TYPES:
        raise ParameterError(f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    return conf_type


def _check_times(times: Any) -> np.ndarray:
    if isinstance(times, (int, float, np.integer, np.floating)) and not isinstance(times, bool):
        times = [times]
    try:
        values = np.asarray(list(times), dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"times must be a sequence of non-negative numbers, got {times!r}") from None
    if values.ndim != 1 or (values.size and (~np.isfinite(values) | (values < 0)).any()):
        raise ParameterError(f"times must be finite and non-negative, got {list(times)!r}")
    return values


def _sorted_levels(values: Iterable[Any]) -> list[Any]:
    unique = list(pd.unique(pd.Series(list(values), dtype=object)))
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=lambda v: (type(v).__name__, str(v)))


def _groups(df: pd.DataFrame, group: str | None) -> tuple[np.ndarray, list[Any]]:
    """Group label of every row and the sorted levels (R sorts factor levels the same way)."""
    if group is None:
        return np.zeros(len(df), dtype=int), [ALL_GROUP]
    missing = df[group].isna().to_numpy()
    if missing.any():
        row, _ = _first_bad(df, group, missing)
        raise ParameterError(f"column {group!r} has a missing group value at row {row!r}")
    levels = _sorted_levels(df[group])
    codes = pd.Categorical(df[group].astype(object), categories=levels).codes
    return np.asarray(codes, dtype=int), levels


# =============================================================================================
# Shared pieces: risk-set counts, interval transforms, R's quantile rule
# =============================================================================================
def _risk_table(time: np.ndarray, status: np.ndarray, n_causes: int) -> dict[str, np.ndarray]:
    """Distinct times with the number at risk, events per cause (1..n_causes) and censored."""
    times, inverse, counts = np.unique(time, return_inverse=True, return_counts=True)
    n_at_risk = len(time) - np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = {"time": times, "n_at_risk": n_at_risk.astype(float), "n_total": counts.astype(float)}
    events = np.zeros(len(times))
    for cause in range(1, n_causes + 1):
        d = np.bincount(inverse, weights=(status == cause).astype(float), minlength=len(times))
        out[f"d{cause}"] = d
        events = events + d
    out["n_censored"] = counts - events
    return out


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def _transformed_ci(p: np.ndarray, se_log: np.ndarray, conf_type: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    """R ``survfit_confint`` (``logse = TRUE``; ``se_log`` is the standard error of log p).

    plain:   p -/+ z * se_log * p, clipped to [0, 1]
    log:     p * exp(-/+ z * se_log), upper clipped to 1; NaN where p = 0
    log-log: exp(-exp(log(-log p) -/+ z * se_log / log p)); NaN where p = 0 or p = 1
    """
    p = np.asarray(p, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = se_log * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            x = np.where(p == 0, np.nan, p)
            return np.exp(np.log(x) - z * se_log), np.minimum(np.exp(np.log(x) + z * se_log), 1.0)
        x = np.where((p == 0) | (p == 1), np.nan, p)
        shift = z * se_log / np.log(x)
        centre = np.log(-np.log(x))
        return np.exp(-np.exp(centre - shift)), np.exp(-np.exp(centre + shift))


def _approx_constant_right(x: np.ndarray, y: np.ndarray, v: float) -> float:
    """R ``approx(x, y, v, method = "constant", f = 1)`` (rule 1, NA pairs removed, x sorted)."""
    keep = ~np.isnan(x)
    x, y = x[keep], y[keep]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if x.size == 0 or v < x[0] or v > x[-1]:
        return np.nan
    return float(y[np.searchsorted(x, v, side="left")])


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = QUANTILE_TOLERANCE) -> float:
    """The p-quantile of a step curve, exactly as R survival's internal ``findq``.

    ``x`` are the times (with the start time 0 first), ``y`` the cumulative distribution
    F = 1 - S at those times (0 first); NaN values of ``y`` are skipped. The quantile is the
    first time at which F >= p; if F equals p (within ``tol``) on a flat stretch, it is the
    midpoint between the time F reached p and the time F next rises, and if the stretch runs to
    the end of follow-up, the midpoint between that time and the last time. NaN if F never
    reaches p.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    first = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[first], y[first]
    index = np.arange(len(y), dtype=float)
    i1 = _approx_constant_right(y + tol, index, p)
    i2 = _approx_constant_right(y - tol, index, p)
    quantile = (x[int(i1)] + x[int(i2)]) / 2 if not (np.isnan(i1) or np.isnan(i2)) else np.nan
    if p == 0:
        quantile = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        quantile = (x[int(i1)] + xmax) / 2 if not np.isnan(i1) else np.nan
    return float(quantile)


# =============================================================================================
# Kaplan–Meier
# =============================================================================================
def _km_one(time: np.ndarray, event: np.ndarray, conf_type: str, z: float) -> dict[str, np.ndarray]:
    table = _risk_table(time, event, 1)
    n, d = table["n_at_risk"], table["d1"]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - d / n)
        greenwood = np.where(d > 0, d / (n * (n - d)), 0.0)  # +inf where everybody at risk fails
        se_log = np.sqrt(np.cumsum(greenwood))
        std_err = survival * se_log  # NaN where S = 0
    ci_low, ci_high = _transformed_ci(survival, se_log, conf_type, z)
    return {"time": table["time"], "n_at_risk": n, "n_events": d, "n_censored": table["n_censored"],
            "survival": survival, "std_err": std_err, "ci_low": ci_low, "ci_high": ci_high}


def _km_prepare(df, duration, event, group, alpha, conf_type):
    columns = [duration, event] + ([group] if group is not None else [])
    _check_frame(df, columns)
    alpha = check_alpha(alpha)
    conf_type = _check_conf_type(conf_type)
    time = _durations(df, duration)
    status = _events(df, event, (0, 1))
    codes, levels = _groups(df, group)
    return time, status, codes, levels, alpha, conf_type


def km_curves(
    df: pd.DataFrame,
    duration: str,
    event: str,
    group: str | None = None,
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Kaplan–Meier survival curves with Greenwood standard errors and pointwise intervals.

    Estimand: S(t) = P(T > t), the probability of not yet having had the event by time t, with
    censored persons assumed to have the same future as those still at risk (independent
    censoring). For the zorgval: the share still without adult successor care t months after
    the 18th birthday month, if nobody died or left.

    Formulas (R ``survfit``): at each distinct time t_j with n_j at risk (duration >= t_j) and
    d_j events, S(t_j) = prod_{i <= j} (1 - d_i / n_i). Greenwood:
    Var(log S(t_j)) = sum_{i <= j} d_i / (n_i (n_i - d_i)), and
    ``std_err`` = S(t_j) * sqrt(Var(log S(t_j))). With z = Phi^-1(1 - alpha / 2) and
    s = sqrt(Var(log S)):

    - ``"log-log"`` (default here): exp(-exp(log(-log S) -/+ z s / log S)); NaN where S is 0 or 1;
    - ``"log"`` (R's default): S exp(-/+ z s), upper limit capped at 1; NaN where S = 0;
    - ``"plain"``: S -/+ z s S, clipped to [0, 1].

    Where everybody still at risk has the event, S = 0 and the standard error and interval are
    NaN (as in R, where the Greenwood term is infinite).

    Parameters
    ----------
    df : DataFrame
        One row per person.
    duration : str
        Column with the time from the origin to the event or censoring (>= 0; ties, zeros and
        fractions allowed).
    event : str
        Column coded 1 = event, 0 = censored (booleans accepted).
    group : str, optional
        Column to stratify by; groups come out in sorted order. Without it ``group`` is "all".
    alpha : float
        Intervals have level 1 - alpha.
    conf_type : {"log-log", "log", "plain"}
        Interval transform.

    Returns
    -------
    DataFrame
        One row per group x distinct time (event or censoring): ``group, time, n_at_risk,
        n_events, n_censored, survival, std_err, ci_low, ci_high, conf_type, conf_level``.
    """
    time, status, codes, levels, alpha, conf_type = _km_prepare(df, duration, event, group, alpha, conf_type)
    z = _z(alpha)
    parts = []
    for k, level in enumerate(levels):
        mask = codes == k
        part = pd.DataFrame(_km_one(time[mask], status[mask], conf_type, z))
        part.insert(0, "group", level)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column in ["n_at_risk", "n_events", "n_censored"]:
        out[column] = out[column].astype(int)
    out["conf_type"] = conf_type
    out["conf_level"] = 1 - alpha
    return out[_KM_COLUMNS]


def _read_curve(
    curve: dict[str, np.ndarray], t: float, before: dict[str, float], ends_at_zero: str
) -> dict[str, float]:
    """Value of a step curve at time t: the last row at or before t.

    Before the first row the ``before`` values apply. After the last row the curve is only
    known if nobody is left because everybody had an event (``curve[ends_at_zero][-1] == 0``):
    then the last row carries forward; otherwise everything is NaN (not observed).
    """
    times = curve["time"]
    j = int(np.searchsorted(times, t, side="right")) - 1
    keys = [k for k in curve if k != "time"]
    if j < 0:
        return dict(before)
    if t > times[-1] and curve[ends_at_zero][-1] != 0:
        return {k: np.nan for k in keys}
    return {k: float(curve[k][j]) for k in keys}


def km_summary(
    df: pd.DataFrame,
    duration: str,
    event: str,
    group: str | None = None,
    times: Sequence[float] = (3, 6, 12),
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> KMSummary:
    """Median time to event with its interval, and the share reached by chosen times.

    The median and its interval follow R ``quantile.survfit`` exactly:

    - median = the first time at which S(t) <= 0.5; if S(t) equals 0.5 (within
      sqrt(machine epsilon)) on a flat stretch, the midpoint between the time S reached 0.5 and
      the next time S drops; if S stays at 0.5 until the last follow-up, the midpoint between
      the time it reached 0.5 and the last time. (R's ``print.survfit`` takes the start of the
      stretch in that last case; ``quantile.survfit`` and this function take the midpoint.)
    - ``median_ci_low`` / ``median_ci_high`` = the same rule applied to the lower / upper
      pointwise confidence curve (Brookmeyer–Crowley style inversion; the transform is
      ``conf_type``). Curve points where the interval is undefined (NaN) are skipped, as R does.

    **Not reached**: when S (or a confidence curve) never falls to 0.5 within follow-up, the
    corresponding value is NaN. A NaN ``median_ci_high`` with a finite median means the upper
    confidence curve never reaches 0.5 ("upper limit not reached"); a NaN median means fewer
    than half had the event by the end of follow-up. Groups without events have NaN median and
    interval.

    ``at_times``: S(t) is read from the curve at the last distinct time <= t (so an event at
    exactly t counts as reached by t), with the interval of that curve row (see
    :func:`km_curves`). Before the first observed time S = 1 with std_err 0 and interval
    [1, 1] (R ``summary.survfit``). After the last observed time S is NaN (not observed),
    unless the curve reached 0 (everybody had the event), where it stays 0; R's
    ``summary.survfit`` drops such times unless ``extend = TRUE``. ``cumulative_share`` is
    1 - S(t), the share with the event by t, with interval (1 - ci_high, 1 - ci_low).

    Parameters
    ----------
    df, duration, event, group, alpha, conf_type
        As :func:`km_curves`.
    times : sequence of float
        Times (>= 0) at which to read the curves.

    Returns
    -------
    KMSummary
        ``medians`` (one row per group: ``group, n_persons, n_events, median, median_ci_low,
        median_ci_high, conf_type, conf_level``) and ``at_times`` (one row per group x time:
        ``group, time, survival, std_err, ci_low, ci_high, cumulative_share,
        cumulative_ci_low, cumulative_ci_high, conf_type, conf_level``).
    """
    time, status, codes, levels, alpha, conf_type = _km_prepare(df, duration, event, group, alpha, conf_type)
    at = _check_times(times)
    z = _z(alpha)
    medians, rows = [], []
    for k, level in enumerate(levels):
        mask = codes == k
        curve = _km_one(time[mask], status[mask], conf_type, z)
        x = np.concatenate([[0.0], curve["time"]])
        medians.append({
            "group": level,
            "n_persons": int(mask.sum()),
            "n_events": int(status[mask].sum()),
            "median": _findq(x, np.concatenate([[0.0], 1 - curve["survival"]]), 0.5),
            "median_ci_low": _findq(x, np.concatenate([[0.0], 1 - curve["ci_low"]]), 0.5),
            "median_ci_high": _findq(x, np.concatenate([[0.0], 1 - curve["ci_high"]]), 0.5),
        })
        values = {key: curve[key] for key in ["time", "survival", "std_err", "ci_low", "ci_high"]}
        before = {"survival": 1.0, "std_err": 0.0, "ci_low": 1.0, "ci_high": 1.0}
        for t in at:
            read = _read_curve(values, float(t), before, "survival")
            rows.append({"group": level, "time": float(t), **read})
    medians_df = pd.DataFrame(medians, columns=_MEDIAN_COLUMNS[:6])
    medians_df["conf_type"] = conf_type
    medians_df["conf_level"] = 1 - alpha
    at_df = pd.DataFrame(rows, columns=["group", "time", "survival", "std_err", "ci_low", "ci_high"])
    at_df["cumulative_share"] = 1 - at_df["survival"]
    at_df["cumulative_ci_low"] = 1 - at_df["ci_high"]
    at_df["cumulative_ci_high"] = 1 - at_df["ci_low"]
    at_df["conf_type"] = conf_type
    at_df["conf_level"] = 1 - alpha
    return KMSummary(medians=medians_df[_MEDIAN_COLUMNS], at_times=at_df[_AT_TIMES_COLUMNS])


# =============================================================================================
# Aalen–Johansen cumulative incidence with the infinitesimal-jackknife standard error
# =============================================================================================
def _aalen_johansen_one(time: np.ndarray, status: np.ndarray) -> dict[str, np.ndarray]:
    table = _risk_table(time, status, 2)
    n, d1, d2 = table["n_at_risk"], table["d1"], table["d2"]
    n_times = len(n)
    # Persons with the same (time, status) have the same influence: work per profile.
    time_index = np.searchsorted(table["time"], time)
    profiles, weight = np.unique(np.column_stack([time_index, status]), axis=0, return_counts=True)
    p_time, p_status = profiles[:, 0], profiles[:, 1]
    weight = weight.astype(float)
    s_prev = 1.0
    f1 = f2 = 0.0
    ds = np.zeros(len(weight))
    df1 = np.zeros(len(weight))
    df2 = np.zeros(len(weight))
    out = {key: np.empty(n_times) for key in ["cif1", "cif2", "se1", "se2", "surv"]}
    for j in range(n_times):
        at_risk = (p_time >= j).astype(float)
        here = p_time == j
        h1, h2 = d1[j] / n[j], d2[j] / n[j]
        dh1 = (((here & (p_status == 1)).astype(float)) - at_risk * h1) / n[j]
        dh2 = (((here & (p_status == 2)).astype(float)) - at_risk * h2) / n[j]
        df1 = df1 + ds * h1 + s_prev * dh1
        df2 = df2 + ds * h2 + s_prev * dh2
        f1 += s_prev * h1
        f2 += s_prev * h2
        ds = ds * (1 - h1 - h2) - s_prev * (dh1 + dh2)
        s_prev = s_prev * (1 - h1 - h2)
        out["cif1"][j], out["cif2"][j], out["surv"][j] = f1, f2, s_prev
        out["se1"][j] = np.sqrt(np.sum(weight * df1**2))
        out["se2"][j] = np.sqrt(np.sum(weight * df2**2))
    out.update({"time": table["time"], "n_at_risk": n, "d1": d1, "d2": d2, "n_censored": table["n_censored"]})
    return out


def _cif_ci(p: np.ndarray, se: np.ndarray, conf_type: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    # R survfit_confint with logse = FALSE: the standard error of p becomes se / p first.
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(se == 0, 0.0, se / p)
    return _transformed_ci(p, se_log, conf_type, z)


def cumulative_incidence(
    df: pd.DataFrame,
    duration: str,
    event: str,
    group: str | None = None,
    times: Sequence[float] = (3, 6, 12),
    alpha: float = 0.05,
    conf_type: str = "log",
) -> CumulativeIncidence:
    """Aalen–Johansen cumulative incidence of the event of interest and of the competing event.

    Estimand: F_k(t) = P(T <= t, cause = k), the share who have had event k by time t when the
    competing event (death) removes a person from the risk of the event of interest for good;
    censoring (emigration, end of data) is assumed independent. Unlike 1 - Kaplan–Meier with
    deaths censored, this does not pretend the dead could still reach adult care, so it does
    not overstate the share when deaths are frequent. F_1 + F_2 + S = 1 at every time.

    Formula: with n_j at risk and d_kj events of cause k at distinct time t_j, the all-cause
    Kaplan–Meier S(t_j) = prod_{i <= j} (1 - (d_1i + d_2i) / n_i) and
    F_k(t_j) = sum_{i <= j} S(t_{i-1}) d_ki / n_i (equal to R ``survfit(Surv(time,
    factor(status)) ~ group)``, state "1" and "2").

    Standard error: the infinitesimal jackknife R uses for multi-state curves,
    se(F_k(t)) = sqrt(sum_persons U_p(t)^2), where U_p(t) = dF_k(t)/dw_p is the derivative of the
    estimate with respect to person p's case weight, obtained by differentiating the recursions
    above: dh_ki/dw_p = (dN_pk(t_i) - Y_p(t_i) h_ki) / n_i, dS_i = dS_{i-1} (1 - h_i) -
    S_{i-1} dh_i, dF_ki = dF_k,i-1 + dS_{i-1} h_ki + S_{i-1} dh_ki. The interval transform is
    applied to F with se(log F) = se(F) / F: ``"log"`` (R's default for multi-state curves)
    F exp(-/+ z se/F), upper capped at 1, NaN where F = 0; ``"log-log"`` and ``"plain"`` as in
    :func:`km_curves` with p = F.

    Cost: O(T x P) per group for T distinct times and P <= 3T distinct (time, status) profiles,
    so monthly data are instant; tens of thousands of distinct continuous times take seconds.

    Parameters
    ----------
    df, duration, group, alpha
        As :func:`km_curves`.
    event : str
        Column coded 0 = censored, 1 = event of interest, 2 = competing event.
    times : sequence of float
        Times (>= 0) at which to read the curves: the last distinct time <= t. Before the
        first observed time the incidence is 0 with standard error 0 and interval [0, 0] (R
        ``summary.survfit``; note that curve rows where the incidence is still 0 have a NaN
        interval under "log" and "log-log", as in R). After the last observed time NaN (not
        observed), unless nobody is left because everybody had an event: then the last row
        carries forward (R's ``extend = TRUE``).
    conf_type : {"log", "log-log", "plain"}
        Interval transform; the default is R's.

    Returns
    -------
    CumulativeIncidence
        ``curves`` and ``at_times``; see :class:`CumulativeIncidence`.
    """
    columns = [duration, event] + ([group] if group is not None else [])
    _check_frame(df, columns)
    alpha = check_alpha(alpha)
    conf_type = _check_conf_type(conf_type)
    time = _durations(df, duration)
    status = _events(df, event, (0, 1, 2))
    at = _check_times(times)
    codes, levels = _groups(df, group)
    z = _z(alpha)
    curves, rows = [], []
    for k, level in enumerate(levels):
        mask = codes == k
        fit = _aalen_johansen_one(time[mask], status[mask])
        for cause, key in [("event", "1"), ("competing", "2")]:
            p, se = fit[f"cif{key}"], fit[f"se{key}"]
            low, high = _cif_ci(p, se, conf_type, z)
            curves.append(pd.DataFrame({
                "group": level, "cause": cause, "time": fit["time"],
                "n_at_risk": fit["n_at_risk"].astype(int), "n_events": fit["d1"].astype(int),
                "n_competing": fit["d2"].astype(int), "n_censored": fit["n_censored"].astype(int),
                "cumulative_incidence": p, "std_err": se, "ci_low": low, "ci_high": high,
            }))
            values = {"time": fit["time"], "cumulative_incidence": p, "std_err": se,
                      "ci_low": low, "ci_high": high, "surv": fit["surv"]}
            before = {"cumulative_incidence": 0.0, "std_err": 0.0, "ci_low": 0.0, "ci_high": 0.0, "surv": 1.0}
            for t in at:
                read = _read_curve(values, float(t), before, "surv")
                read.pop("surv")
                rows.append({"group": level, "cause": cause, "time": float(t), **read})
    curves_df = pd.concat(curves, ignore_index=True)
    curves_df["conf_type"] = conf_type
    curves_df["conf_level"] = 1 - alpha
    at_df = pd.DataFrame(rows, columns=_CIF_AT_COLUMNS[:7])
    at_df["conf_type"] = conf_type
    at_df["conf_level"] = 1 - alpha
    return CumulativeIncidence(curves=curves_df[_CIF_COLUMNS], at_times=at_df[_CIF_AT_COLUMNS])


# =============================================================================================
# Cox proportional hazards (Efron ties) and R's cox.zph
# =============================================================================================
class _Efron:
    """Efron partial likelihood pieces for right-censored data without strata or weights.

    Rows are sorted by time once. For each distinct event time t with d deaths, the Efron
    approximation uses d terms l = 0..d-1 with risk-set sums reduced by the fraction l/d of the
    deaths' sums: s0_l = S0 - (l/d) D0, s1_l = S1 - (l/d) D1, s2_l = S2 - (l/d) D2, where S. are
    sums of exp(eta) (1, x, x x') over the risk set and D. over the deaths.
    """

    def __init__(self, x: np.ndarray, time: np.ndarray, status: np.ndarray):
        order = np.argsort(time, kind="stable")
        self.x = x[order]
        self.time = time[order]
        self.status = status[order]
        self.times, self.starts, counts = np.unique(self.time, return_index=True, return_counts=True)
        dead_per_time = np.add.reduceat(self.status.astype(float), self.starts)
        self.event_times = np.flatnonzero(dead_per_time > 0)
        d = dead_per_time[self.event_times].astype(int)
        # one entry per Efron term: which distinct time, and the fraction of deaths removed
        self.term_time = np.repeat(self.event_times, d)
        self.term_frac = np.concatenate([np.arange(k) / k for k in d]) if len(d) else np.zeros(0)
        self.term_event = np.repeat(np.arange(len(d)), d)  # index among event times
        self.dead = self.status == 1
        self.n_events = int(self.dead.sum())

    def parts(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Loglik, per-term weighted means m_l (T x p), per-term variances V_l (T x p x p), sum of dead x."""
        x = self.x
        eta = x @ beta
        r = np.exp(eta - eta.max())
        rx = r[:, None] * x
        rxx = rx[:, :, None] * x[:, None, :]
        rev = lambda a: np.cumsum(np.add.reduceat(a, self.starts, axis=0)[::-1], axis=0)[::-1]  # noqa: E731
        s0, s1, s2 = rev(r), rev(rx), rev(rxx)
        dead = self.dead.astype(float)
        d0 = np.add.reduceat(r * dead, self.starts)
        d1 = np.add.reduceat(rx * dead[:, None], self.starts, axis=0)
        d2 = np.add.reduceat(rxx * dead[:, None, None], self.starts, axis=0)
        j, f = self.term_time, self.term_frac
        t0 = s0[j] - f * d0[j]
        t1 = s1[j] - f[:, None] * d1[j]
        t2 = s2[j] - f[:, None, None] * d2[j]
        m = t1 / t0[:, None]
        v = t2 / t0[:, None, None] - m[:, :, None] * m[:, None, :]
        loglik = float(np.sum((eta - eta.max())[self.dead]) - np.sum(np.log(t0)))
        return loglik, m, v, x[self.dead].sum(axis=0)

    def derivatives(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        loglik, m, v, xsum = self.parts(beta)
        return loglik, xsum - m.sum(axis=0), v.sum(axis=0)


def _independent_columns(info: np.ndarray, toler: float = float(np.finfo(float).eps) ** 0.75) -> list[int]:
    """Columns kept by a sequential Cholesky pass, as R's ``cholesky2`` inside ``coxph``: a column
    whose pivot is below ``toler`` x the largest diagonal element is linearly dependent on the
    earlier ones (or constant) and is dropped (R reports its coefficient as NA)."""
    diag_max = float(np.max(np.diag(info))) if info.size else 0.0
    threshold = toler * diag_max if diag_max > 0 else toler
    kept: list[int] = []
    for j in range(info.shape[0]):
        pivot = info[j, j]
        if kept:
            b = info[kept, j]
            pivot = pivot - b @ np.linalg.solve(info[np.ix_(kept, kept)], b)
        if pivot >= threshold:
            kept.append(j)
    return kept


def _newton(model: _Efron, p: int, max_iter: int = 60) -> tuple[np.ndarray, float, np.ndarray, bool, np.ndarray]:
    """Newton–Raphson with step halving from beta = 0 (as coxph).

    Returns beta, loglik, information, converged, and the last Newton step. A finite maximum is
    reached in a handful of iterations (stop when the step is below 1e-10, relative). A
    coefficient running off to infinity (monotone likelihood) keeps a Newton step of about 1
    while the likelihood no longer changes; the iteration stops there (or when the information
    becomes singular) and the caller recognises such coefficients by their last step.
    """
    beta = np.zeros(p)
    loglik, score, info = model.derivatives(beta)
    step = np.full(p, np.inf)
    for _ in range(max_iter):
        try:
            new_step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return beta, loglik, info, False, step
        if not np.all(np.isfinite(new_step)):
            return beta, loglik, info, False, step
        step = new_step
        if np.max(np.abs(step) / (1 + np.abs(beta))) <= 1e-10:
            beta = beta + step
            loglik, score, info = model.derivatives(beta)
            return beta, loglik, info, True, step
        candidate = beta + step
        new_loglik, new_score, new_info = model.derivatives(candidate)
        halvings = 0
        while not (new_loglik >= loglik - 1e-12 * abs(loglik)) and halvings < 30:
            step = step / 2
            candidate = beta + step
            new_loglik, new_score, new_info = model.derivatives(candidate)
            halvings += 1
        change = new_loglik - loglik
        beta, loglik, score, info = candidate, new_loglik, new_score, new_info
        if abs(change) <= 1e-10 * (1 + abs(loglik)) and np.max(np.abs(step)) > 0.1:
            return beta, loglik, info, False, step
    return beta, loglik, info, False, step


def _concordance(time: np.ndarray, status: np.ndarray, lp: np.ndarray) -> tuple[float, int, int, int]:
    """Harrell's C as R ``coxph`` reports it (``concordance(..., reverse = TRUE)``, timewt "n").

    A pair is comparable when one person has the event at t_i and the other is still at risk
    after it: t_j > t_i, or t_j = t_i and j is censored. It is concordant when the person with
    the event has the higher linear predictor, tied when the predictors are equal;
    C = (concordant + tied / 2) / (concordant + discordant + tied). Pairs tied on an event time
    are not comparable.
    """
    concordant = discordant = tied = 0
    order = np.argsort(-time, kind="stable")
    t_sorted, s_sorted, lp_sorted = time[order], status[order], lp[order]
    _, starts = np.unique(-t_sorted, return_index=True)
    bounds = list(starts) + [len(t_sorted)]
    later = np.empty(0)  # sorted linear predictors of everybody with a later time
    for k in range(len(starts)):
        block = slice(bounds[k], bounds[k + 1])
        s_block, lp_block = s_sorted[block], lp_sorted[block]
        events = lp_block[s_block == 1]
        if events.size:
            for pool in (later, np.sort(lp_block[s_block == 0])):  # later times; censored at this time
                below = np.searchsorted(pool, events, side="left")
                not_above = np.searchsorted(pool, events, side="right")
                concordant += int(below.sum())
                tied += int((not_above - below).sum())
                discordant += int((pool.size - not_above).sum())
        new = np.sort(lp_block)
        later = np.insert(later, np.searchsorted(later, new), new)
    total = concordant + discordant + tied
    c = (concordant + tied / 2) / total if total else np.nan
    return c, concordant, discordant, tied


def _km_left(time: np.ndarray, status: np.ndarray) -> np.ndarray:
    """1 - S(t-) for each row: one minus the Kaplan–Meier just before the row's own time."""
    table = _risk_table(time, status, 1)
    survival = np.cumprod(1.0 - table["d1"] / table["n_at_risk"])
    before = np.concatenate([[1.0], survival])
    return 1 - before[np.searchsorted(table["time"], time, side="left")]


def _zph(model: _Efron, beta: np.ndarray, term_columns: list[list[int]]) -> list[tuple[float, int, float]]:
    """R ``cox.zph(fit, transform = "km", terms = TRUE)`` score tests (survival >= 3.0).

    g(t) = 1 - S_KM(t-) (the Kaplan–Meier of everybody, no covariates), centred at its mean over
    the events. The test is the score test of gamma = 0 in the model with extra covariates
    x * g(t), at (beta_hat, 0): with U_g = sum_events g(t_i) (x_i - xbar(t_i)) (Efron-weighted
    means), and the 2p x 2p information [[I, I_g], [I_g, I_gg]] whose blocks sum V_l, g V_l and
    g^2 V_l over Efron terms, the statistic for a term with columns J is
    u' A^-1 u where u = (0_p, U_g[J]) and A = the rows/columns (1..p, p + J) of the information;
    df = |J|. GLOBAL uses all columns (df = p).
    """
    _, m, v, _ = model.parts(beta)
    gtime_all = _km_left(model.time, model.status.astype(int))
    gtime = gtime_all - gtime_all[model.dead].mean()
    g_term = gtime[model.starts[model.term_time]]
    g_event = gtime[model.dead]
    x_dead = model.x[model.dead]
    u_g = (g_event[:, None] * x_dead).sum(axis=0) - (g_term[:, None] * m).sum(axis=0)
    p = len(beta)
    info = np.zeros((2 * p, 2 * p))
    info[:p, :p] = v.sum(axis=0)
    info[:p, p:] = (g_term[:, None, None] * v).sum(axis=0)
    info[p:, :p] = info[:p, p:].T
    info[p:, p:] = (g_term[:, None, None] ** 2 * v).sum(axis=0)
    results = []
    for columns in term_columns + [list(range(p))]:
        if not columns:
            results.append((np.nan, 0, np.nan))
            continue
        keep = list(range(p)) + [p + c for c in columns]
        u = np.concatenate([np.zeros(p), u_g[columns]])
        statistic = float(u @ np.linalg.solve(info[np.ix_(keep, keep)], u))
        results.append((statistic, len(columns), float(stats.chi2.sf(statistic, len(columns)))))
    return results


def _design(
    df: pd.DataFrame, covariates: list[str], categorical: Mapping[str, Any]
) -> tuple[np.ndarray, list[dict[str, Any]], dict[str, Any]]:
    columns: list[np.ndarray] = []
    labels: list[dict[str, Any]] = []
    references: dict[str, Any] = {}
    for name in covariates:
        series = df[name]
        missing = series.isna().to_numpy()
        if missing.any():
            row, _ = _first_bad(df, name, missing)
            raise ParameterError(f"covariate column {name!r} has a missing value at row {row!r}")
        if name in categorical:
            levels = _sorted_levels(series)
            reference = categorical[name]
            if reference is None:
                reference = levels[0]
            elif reference not in levels:
                raise ParameterError(
                    f"reference level {reference!r} of column {name!r} does not occur in the data (levels: {levels!r})")
            references[name] = reference
            values = series.astype(object).to_numpy()
            for level in levels:
                if level == reference:
                    continue
                columns.append((values == level).astype(float))
                labels.append({"term": f"{name}[{level}]", "variable": name, "level": level})
        else:
            if pd.api.types.is_bool_dtype(series):
                numeric = series.astype(float).to_numpy()
            elif pd.api.types.is_numeric_dtype(series):
                numeric = series.to_numpy(dtype=float)
            else:
                raise ParameterError(
                    f"covariate column {name!r} is not numeric; list it in categorical to use it as a factor")
            if not np.all(np.isfinite(numeric)):
                row, _ = _first_bad(df, name, ~np.isfinite(numeric))
                raise ParameterError(f"covariate column {name!r} has an infinite value at row {row!r}")
            columns.append(numeric)
            labels.append({"term": name, "variable": name, "level": np.nan})
    x = np.column_stack(columns) if columns else np.zeros((len(df), 0))
    return x, labels, references


def cox_model(
    df: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    categorical: Sequence[str] | Mapping[str, Any] | None = None,
    alpha: float = 0.05,
) -> CoxResult:
    """Cox proportional-hazards model (Efron ties) with R's ``cox.zph`` proportional-hazards test.

    Estimand: the hazard ratio exp(beta) — how much faster (> 1) or slower (< 1) the event
    happens per unit of a covariate, or for a level against the reference level, at any time
    since the origin, assuming the ratio is constant over time (proportional hazards).

    Fit: maximises the Efron approximation of the partial likelihood for tied times (R
    ``coxph`` default ``ties = "efron"``): at a time with d events and risk set R,
    log L = sum_deaths eta_i - sum_{l=0}^{d-1} log(sum_R exp(eta) - (l/d) sum_deaths exp(eta)),
    by Newton–Raphson from beta = 0 with step halving, iterated until the Newton step is below
    1e-10 (relative), tighter than R's default. ``std_err`` = sqrt of the diagonal of the
    inverse information at the estimate; Wald intervals exp(beta -/+ z se) for the hazard ratio
    and two-sided Wald p-values 2 (1 - Phi(|beta| / se)).

    Categorical covariates are coded as treatment contrasts against a reference level: the
    first level in sorted order unless ``categorical`` maps the column to a level. A column
    that is constant, or a linear combination of earlier columns within the risk sets, is not
    estimable (R reports NA): its row has NaN values and ``note`` "not estimable (constant or
    collinear)". When the likelihood is monotone (e.g. no events in a level), the coefficient
    is infinite: NaN values, ``note`` "infinite (monotone likelihood)", ``converged`` False;
    the remaining coefficients are the limits R also reports. Without events every value is
    NaN. A categorical covariate with a single level has no contrast (no coefficient row).

    Proportional-hazards check (R ``cox.zph`` of survival >= 3.0, default transform "km"):
    the score test, at the fitted beta, for adding x * g(t) to the model, with
    g(t) = 1 - KM(t-) centred over the events; one test per covariate (df = its number of
    columns) and a ``GLOBAL`` test (df = all columns). This is not the test lifelines'
    ``proportional_hazard_test`` computes: lifelines uses the approximation R dropped in
    survival 3.0 (a single averaged variance matrix), tests each model column separately (no
    per-term or global test) and defaults to the rank transform. NaN when there are no events
    or a coefficient is infinite.

    Concordance: Harrell's C as ``coxph`` reports it — over pairs where one person has the
    event while the other is still at risk (tied event times excluded), the share where the
    person with the event has the higher linear predictor, ties in the predictor counting 1/2.

    Parameters
    ----------
    df : DataFrame
        One row per person; no missing values in the columns used.
    duration, event : str
        As :func:`km_curves` (event 1 = event, 0 = censored).
    covariates : sequence of str
        Columns in the model, numeric (booleans count as 0/1) or listed in ``categorical``.
    categorical : sequence of str or mapping, optional
        Covariates to treat as categorical; a mapping ``{column: reference_level}`` names the
        reference level (``None`` for the default: the first level in sorted order).
    alpha : float
        Intervals have level 1 - alpha.

    Returns
    -------
    CoxResult
        ``coefficients`` (``term, variable, level, coef, hazard_ratio, std_err, ci_low,
        ci_high, p_value, note``), ``ph_test`` (``term, statistic, df, p_value`` with a
        ``GLOBAL`` row), ``n``, ``n_events``, ``concordance``, ``loglik_null``, ``loglik``,
        ``converged``, ``reference_levels``, ``alpha``.
    """
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise ParameterError("covariates is empty: name at least one covariate column")
    if len(set(covariates)) != len(covariates):
        raise ParameterError(f"covariates lists a column twice: {covariates!r}")
    for name in covariates:
        if name in (duration, event):
            raise ParameterError(f"column {name!r} cannot be both a covariate and the duration or event")
    if categorical is None:
        categorical = {}
    elif isinstance(categorical, str):
        categorical = {categorical: None}
    elif not isinstance(categorical, Mapping):
        categorical = {name: None for name in categorical}
    for name in categorical:
        if name not in covariates:
            raise ParameterError(f"categorical column {name!r} is not among the covariates")
    _check_frame(df, [duration, event] + covariates)
    alpha = check_alpha(alpha)
    time = _durations(df, duration)
    status = _events(df, event, (0, 1))
    x, labels, references = _design(df, covariates, categorical)
    x = x - x.mean(axis=0)  # centring, as coxph: changes nothing but the numerics
    n, n_events = len(df), int(status.sum())
    p_all = x.shape[1]
    coef = np.full(p_all, np.nan)
    std_err = np.full(p_all, np.nan)
    notes = [""] * p_all
    converged = False
    concordance = loglik_null = loglik = np.nan
    term_columns_all = [[i for i, lab in enumerate(labels) if lab["variable"] == name] for name in covariates]
    ph = [(np.nan, len(cols), np.nan) for cols in term_columns_all] + [(np.nan, p_all, np.nan)]

    if n_events == 0:
        notes = ["no events"] * p_all
    else:
        model0 = _Efron(x, time, status)
        loglik_null, _, info0 = model0.derivatives(np.zeros(p_all))
        kept = _independent_columns(info0)
        for j in set(range(p_all)) - set(kept):
            notes[j] = "not estimable (constant or collinear)"
        if kept:
            model = _Efron(x[:, kept], time, status)
            beta, loglik, info, converged, last_step = _newton(model, len(kept))
            infinite = np.abs(last_step) > 1e-4 * (1 + np.abs(beta)) if not converged else np.zeros(len(kept), bool)
            finite = np.flatnonzero(~infinite)
            # with an infinite coefficient the information is singular in its direction: the
            # other coefficients get the variance of the fit with it held at its limit
            try:
                variance = np.linalg.inv(info[np.ix_(finite, finite)])
            except np.linalg.LinAlgError:
                variance = np.full((len(finite), len(finite)), np.nan)
            for position, j in enumerate(kept):
                if infinite[position]:
                    notes[j] = "infinite (monotone likelihood)"
            for k, position in enumerate(finite):
                coef[kept[position]] = beta[position]
                std_err[kept[position]] = np.sqrt(variance[k, k])
            lp = x[:, kept] @ beta
            concordance = _concordance(time, status, lp)[0]
            if converged:
                where = {j: position for position, j in enumerate(kept)}
                term_columns = [[where[j] for j in cols if j in where] for cols in term_columns_all]
                ph = _zph(model, beta, term_columns)
        else:  # nothing estimable: the null model
            loglik = loglik_null
            converged = True
            concordance = _concordance(time, status, np.zeros(n))[0]
    z = _z(alpha)
    with np.errstate(invalid="ignore", over="ignore"):
        coefficients = pd.DataFrame(labels, columns=["term", "variable", "level"])
        coefficients["coef"] = coef
        coefficients["hazard_ratio"] = np.exp(coef)
        coefficients["std_err"] = std_err
        coefficients["ci_low"] = np.exp(coef - z * std_err)
        coefficients["ci_high"] = np.exp(coef + z * std_err)
        coefficients["p_value"] = 2 * stats.norm.sf(np.abs(coef / std_err))
        coefficients["note"] = notes
    ph_test = pd.DataFrame(
        [(name, *values) for name, values in zip(covariates + ["GLOBAL"], ph)],
        columns=_PH_COLUMNS,
    )
    return CoxResult(
        coefficients=coefficients[_COEF_COLUMNS],
        ph_test=ph_test,
        n=n,
        n_events=n_events,
        concordance=float(concordance),
        loglik_null=float(loglik_null),
        loglik=float(loglik),
        converged=bool(converged),
        reference_levels=references,
        alpha=alpha,
    )
