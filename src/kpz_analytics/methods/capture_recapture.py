"""Capture–recapture (multiple-systems estimation) with hierarchical log-linear models.

Estimand
--------
N, the number of persons in a closed population (for example children with a life-limiting
condition in one year), of whom only the n persons seen by at least one of k overlapping
sources (Zvw, Wlz, Wmo, Jeugdwet, ...) are observed. The unseen count n0 = N - n sits in the
one cell of the 2^k table that cannot be observed: the all-zero capture pattern.

Method (Fienberg 1972; IWGDMF 1995; Rcapture, Baillargeon & Rivest 2007)
--------------------------------------------------------------------------
The 2^k - 1 observed cell counts are fitted as independent Poisson counts with a log-linear
model on the 0/1 source indicators::

    log E[n_pattern] = u0 + sum_j u_j x_j + sum_{j<l in model} u_jl x_j x_l

With 0/1 coding the all-zero pattern has linear predictor u0, so the model's prediction for the
unseen cell is n0_hat = exp(u0_hat) and N_hat = n + exp(u0_hat). Two-way terms absorb pairwise
dependence between sources; the untestable assumption is that the highest-order interaction
(the k-way term, and any term left out) is zero.

Every hierarchical model with all main effects and any subset of two-way interactions is fitted
(k = 3, 4, 5 sources: 8, 64, 1024 models; k = 2: only independence, the Lincoln–Petersen
model). Fit statistics follow R ``glm`` and Rcapture exactly:

* ``deviance`` = 2 sum y log(y / mu) (residual deviance on the 2^k - 1 cells),
* ``df`` = (2^k - 1) - number of parameters,
* ``aic`` = -2 sum log dpois(y, mu) + 2 p (R's ``glm`` AIC),
* ``bic`` = -2 sum log dpois(y, mu) + log(n) p, with n the number of observed persons
  (Rcapture's convention in ``closedpMS.t``; not the number of cells).

Interval: the profile-likelihood interval for N of Cormack (1992), as Rcapture's
``closedpCI.t`` computes it. The unseen count n0 is treated as a parameter: the Poisson model is
refitted on all 2^k cells with the all-zero cell set to n0 (its design row has only the
intercept), and the multinomial profile log-likelihood of N = n + n0 is::

    l(N) = -D(N) / 2 + log[ n0^n0 N! / (N^N n0!) ]

where D(N) is that fit's deviance; the second term turns the Poisson likelihood into the
multinomial one for fixed N (Cormack 1992). The interval is {N : 2 [l(N_max) - l(N)] <=
chi2_{1, 1-alpha}}, its ends found with scipy's ``brentq``; l is evaluated for continuous N
with the log-gamma function (Rcapture uses Stirling's approximation above N = 100; the
difference in the bounds is far below one person). When l(n) is still inside the cut-off the
lower bound is n itself, as in Rcapture.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..errors import KpzError, ParameterError
from .loglinear import fit_poisson

COUNT_COLUMNS = ("n", "count", "freq")
CRITERIA = ("aic", "bic")
# Above this many candidate interaction terms the brute-force enumeration of hierarchical
# models would take too long (2^16 subsets); two-way models for k <= 5 have at most 10.
_MAX_CANDIDATE_TERMS = 16
# A fit whose unseen count exceeds this multiple of the observed count is flagged as unstable.
_HUGE_FACTOR = 10.0
# Linear predictors beyond this size mean a fitted cell went to the boundary (mu -> 0).
_BOUNDARY_ETA = 20.0
# A fitted observed cell below this is on the boundary (only a zero count can be fitted so).
_ZERO_CELL = 1e-6


class _LRU:
    """A small least-recently-used cache for fits of the same table (see :func:`_fit_all`)."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()

    def get(self, key):
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()


# The prevalence analysis estimates every (year, stratum) table once per model choice (full,
# AIC, BIC): the models, their fits and the profile likelihoods are the same each time.
_CACHE = _LRU(512)


class CaptureRecaptureTableError(KpzError):
    """A capture–recapture table is malformed; the message names the file, row and column."""


@dataclass
class CaptureRecaptureResult:
    """Population-size estimate from one capture–recapture table.

    Attributes
    ----------
    n_observed : int
        Persons seen by at least one source (n).
    n_unseen : float
        Estimated persons seen by no source, exp(u0) of the selected model.
    n_estimated : float
        N_hat = n_observed + n_unseen.
    ci_low, ci_high : float
        Profile-likelihood interval for N (Cormack 1992) at level 1 - alpha; ``inf`` when the
        upper bound could not be bracketed.
    model : str
        Selected model in bracket notation, e.g. ``[AB][C]``.
    criterion : str
        ``aic`` or ``bic`` (or ``fixed`` when the model was given).
    models : pandas.DataFrame
        Every fitted model (see :func:`fit_models`).
    sources : list of str
        Sources used (sources that saw nobody are left out).
    warnings : list of str
        Everything the user should know: dropped sources, unstable fits, interval caveats.
    se : float
        Delta-method standard error of N_hat (Rcapture's ``stderr``), for reference.
    n_profile_max : float
        N maximising the multinomial profile likelihood (close to N_hat).
    alpha : float
        1 - confidence level of the interval.
    """

    n_observed: int
    n_unseen: float
    n_estimated: float
    ci_low: float
    ci_high: float
    model: str
    criterion: str
    models: pd.DataFrame
    sources: list[str]
    warnings: list[str] = field(default_factory=list)
    se: float = float("nan")
    n_profile_max: float = float("nan")
    alpha: float = 0.05
    status: str = "estimated"
    fallback: str = ""
    profile: Optional[Callable[[float], float]] = field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One-row summary table (the content of ``capture_recapture.csv``)."""
        return pd.DataFrame(
            [
                {
                    "n_observed": self.n_observed,
                    "n_unseen": self.n_unseen,
                    "n_estimated": self.n_estimated,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence": 1 - self.alpha,
                    "se": self.se,
                    "model": self.model,
                    "criterion": self.criterion,
                    "sources": ";".join(self.sources),
                    "warnings": " | ".join(self.warnings),
                }
            ]
        )


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _patterns(k: int) -> np.ndarray:
    """All observable capture patterns for k sources, first source as most significant bit."""
    return np.array(list(itertools.product((0, 1), repeat=k))[1:], dtype=np.int64)


def _as_binary(values: pd.Series, column: str, where: str = "") -> np.ndarray:
    """A column of 0/1 (or bool) values as int; error naming the first bad row otherwise."""
    ser = values
    if ser.dtype == bool:
        return ser.to_numpy(dtype=np.int64)
    if isinstance(ser.dtype, np.dtype) and ser.dtype.kind in "iu":
        arr = ser.to_numpy()
        if ((arr == 0) | (arr == 1)).all():  # the common case, without pandas' coercion
            return arr.astype(np.int64, copy=False)
    num = pd.to_numeric(ser, errors="coerce")
    bad = num.isna() | ~num.isin([0, 1])
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise CaptureRecaptureTableError(
            f"{where}column {column!r}, {_row_label(ser.index[i], where)}: "
            f"source flags must be 0 or 1, got {_show(ser.iloc[i])}"
        )
    return num.to_numpy(dtype=np.int64)


def _show(value) -> str:
    """A cell value for an error message: numbers plain, text quoted."""
    if isinstance(value, (np.generic,)):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _row_label(index_value, where: str) -> str:
    # For a CSV the index is the 0-based data row (header and '#' comment lines not counted).
    if where:
        return f"data row {int(index_value) + 1}"
    return f"row {index_value}"


def membership_table(flags: pd.DataFrame, sources: Optional[Sequence[str]] = None) -> pd.DataFrame:
    """Count the capture patterns of persons over k sources.

    Parameters
    ----------
    flags : pandas.DataFrame
        One row per person, one 0/1 (or bool) column per source: 1 when the source saw the
        person.
    sources : sequence of str, optional
        Source columns to use (default: every column of ``flags``).

    Returns
    -------
    pandas.DataFrame
        The 2^k - 1 observable patterns (first source as most significant bit), source
        columns plus ``n`` (persons with that pattern, zeros included). Persons seen by no
        source cannot be observed and are not counted; their number is in
        ``table.attrs["n_unobservable_rows"]``.
    """
    sources = list(flags.columns if sources is None else sources)
    if len(sources) < 2:
        raise ParameterError(f"capture–recapture needs at least 2 sources, got {sources}")
    missing = [s for s in sources if s not in flags.columns]
    if missing:
        raise ParameterError(f"source columns not in the data: {missing}")
    mat = np.column_stack([_as_binary(flags[s], s) for s in sources]) if len(flags) else (
        np.zeros((0, len(sources)), dtype=np.int64)
    )
    k = len(sources)
    weights = 1 << np.arange(k - 1, -1, -1)
    code = mat @ weights if len(mat) else np.zeros(0, dtype=np.int64)
    counts = np.bincount(code, minlength=2**k)
    table = pd.DataFrame(_patterns(k), columns=sources)
    table["n"] = counts[1:].astype(np.int64)
    table.attrs["n_unobservable_rows"] = int(counts[0])
    return table


def _prepare(table: pd.DataFrame, sources: Optional[Sequence[str]], where: str = ""):
    """Validate a pattern table; return (sources, patterns, counts, warnings).

    Patterns absent from the table count as zero; sources that saw nobody are dropped with a
    warning and the table is collapsed over them.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError("table must be a pandas DataFrame with source columns and 'n'")
    count_col = next((c for c in COUNT_COLUMNS if c in table.columns), None)
    if count_col is None:
        raise CaptureRecaptureTableError(
            f"{where}no count column: expected one of {', '.join(COUNT_COLUMNS)}; "
            f"columns are {list(table.columns)}"
        )
    if sources is None:
        sources = [c for c in table.columns if c not in COUNT_COLUMNS]
    sources = list(sources)
    missing = [s for s in sources if s not in table.columns]
    if missing:
        raise ParameterError(f"{where}source columns not in the table: {missing}")
    if len(sources) < 2:
        raise ParameterError(f"{where}capture–recapture needs at least 2 sources, got {sources}")
    if len(sources) != len(set(sources)):
        raise ParameterError(f"{where}duplicate source names: {sources}")

    counts = pd.to_numeric(table[count_col], errors="coerce")
    for i, (raw, val) in enumerate(zip(table[count_col], counts)):
        if pd.isna(val) or val < 0 or val != math.floor(val):
            raise CaptureRecaptureTableError(
                f"{where}column {count_col!r}, {_row_label(table.index[i], where)}: counts must "
                f"be non-negative whole numbers, got {_show(raw)}"
            )
    mat = np.column_stack([_as_binary(table[s], s, where) for s in sources])
    k = len(sources)
    weights = 1 << np.arange(k - 1, -1, -1)
    code = mat @ weights
    dup = pd.Series(code).duplicated(keep="first").to_numpy()
    if dup.any():
        i = dup.nonzero()[0][0]
        first = (code == code[i]).nonzero()[0][0]
        raise CaptureRecaptureTableError(
            f"{where}{_row_label(table.index[i], where)}: duplicate capture pattern "
            f"{''.join(map(str, mat[i]))} (also on {_row_label(table.index[first], where)})"
        )
    zero_rows = (code == 0) & (counts.to_numpy() > 0)
    if zero_rows.any():
        i = zero_rows.nonzero()[0][0]
        raise CaptureRecaptureTableError(
            f"{where}{_row_label(table.index[i], where)}: the all-zero pattern (seen by no "
            f"source) cannot be observed; its count must be 0 or the row left out"
        )
    full = np.zeros(2**k, dtype=np.float64)
    full[code] = counts.to_numpy(dtype=np.float64)
    patterns = _patterns(k)
    y = full[1:]
    if y.sum() <= 0:
        raise KpzError(f"{where}the table has no observed persons (all counts are 0)")

    warns: list[str] = []
    seen = (patterns * y[:, None]).sum(axis=0)
    keep = [j for j in range(k) if seen[j] > 0]
    dropped = [sources[j] for j in range(k) if seen[j] == 0]
    if dropped:
        warns.append(
            f"source(s) {', '.join(dropped)} saw nobody and were left out; the table was "
            f"collapsed over them"
        )
    if len(keep) < 2:
        raise KpzError(
            f"{where}fewer than 2 sources saw anyone ({[sources[j] for j in keep]}); "
            f"capture–recapture needs at least 2 overlapping sources"
        )
    if len(keep) < k:
        kk = len(keep)
        sub = patterns[:, keep]
        w = 1 << np.arange(kk - 1, -1, -1)
        collapsed = np.bincount(sub @ w, weights=y, minlength=2**kk)
        # The dropped sources saw nobody, so no person lands in the collapsed all-zero cell.
        sources = [sources[j] for j in keep]
        patterns = _patterns(kk)
        y = collapsed[1:]
    return sources, patterns, y, warns


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def _candidate_terms(k: int, max_order: int) -> list[tuple[int, ...]]:
    return [t for order in range(2, max_order + 1) for t in itertools.combinations(range(k), order)]


def _enumerate_models(k: int, max_order: int) -> list[tuple[tuple[int, ...], ...]]:
    """Hierarchical models (all main effects forced) as tuples of interaction terms.

    A set of interaction terms is hierarchical when every two-way-or-higher subset of each term
    is also in the set. Order: by number of terms, then lexicographically (simplest first).
    """
    if k == 2:
        max_order = 1  # the 2-way term would use the cell we are trying to estimate
    if max_order < 1 or max_order > k - 1:
        raise ParameterError(
            f"max_order must be between 1 and k-1 = {k - 1} for {k} sources, got {max_order}"
        )
    cands = _candidate_terms(k, max_order)
    if len(cands) > _MAX_CANDIDATE_TERMS:
        raise ParameterError(
            f"{len(cands)} candidate interaction terms for k={k}, max_order={max_order}: too many "
            f"models to enumerate; use max_order=2"
        )
    models = []
    if all(len(t) == 2 for t in cands):
        # Every subset of two-way terms is hierarchical once all main effects are in.
        for r in range(len(cands) + 1):
            models.extend(itertools.combinations(cands, r))
        return models
    for r in range(len(cands) + 1):
        for combo in itertools.combinations(cands, r):
            chosen = set(combo)
            if all(
                sub in chosen
                for t in combo
                if len(t) > 2
                for sub in itertools.combinations(t, len(t) - 1)
            ):
                models.append(combo)
    return models


def _model_name(terms: Iterable[tuple[int, ...]], sources: Sequence[str]) -> str:
    """Generating class in bracket notation: ``[AB][C]`` (``[zvw:wlz][wmo]`` for long names)."""
    terms = list(terms)
    joiner = "" if all(len(s) == 1 for s in sources) else ":"
    maximal = [t for t in terms if not any(set(t) < set(u) for u in terms)]
    covered = {j for t in terms for j in t}
    # Generators sorted by source position; main effects in no interaction are generators too.
    gens = sorted(
        [tuple(sorted(t)) for t in maximal]
        + [(j,) for j in range(len(sources)) if j not in covered]
    )
    return "".join("[" + joiner.join(sources[j] for j in g) + "]" for g in gens)


def _terms_label(terms: Iterable[tuple[int, ...]], sources: Sequence[str]) -> str:
    return ";".join(":".join(sources[j] for j in t) for t in terms)


def _design(patterns: np.ndarray, terms: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Intercept, main effects, then one product column per interaction term (0/1 coding)."""
    cols = [np.ones(len(patterns)), *patterns.T.astype(float)]
    cols += [np.prod(patterns[:, list(t)], axis=1).astype(float) for t in terms]
    return np.column_stack(cols)


def _poisson_loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """sum log dpois(y, mu), as R's glm uses for the AIC."""
    return float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    return float(2 * np.sum(special.xlogy(y, y) - special.xlogy(y, mu) - (y - mu)))


def _glm_fit(X: np.ndarray, y: np.ndarray, start: Optional[np.ndarray] = None):
    """Poisson GLM by IRLS (:func:`loglinear.fit_poisson`); returns (params, cov, converged)."""
    try:
        fit = fit_poisson(X, y, start=start, maxiter=200, tol=1e-10)
    except (ValueError, np.linalg.LinAlgError):
        if start is None:
            nan = np.full(X.shape[1], np.nan)
            return nan, np.full((X.shape[1], X.shape[1]), np.nan), False
        # A warm start from a distant fit can overflow; start afresh.
        fit = fit_poisson(X, y, maxiter=200, tol=1e-10)
    return fit.params, fit.cov, fit.converged


def _asymptotic_bias(X: np.ndarray, mu: np.ndarray, cov: np.ndarray, n_unseen: float) -> float:
    """First-order asymptotic bias of N_hat = n + exp(u0_hat), as Rcapture computes it.

    With V the inverse Fisher information, xi_i = -x_i' V x_i / 2 and psi = -2 X' diag(mu) xi
    minus e_1: bias = exp(u0) (-V psi)_1 / 2. Rcapture warns when |bias| > 0.1 N_hat.
    """
    if not np.all(np.isfinite(cov)):
        return float("nan")
    xi = -0.5 * np.einsum("ij,jk,ik->i", X, cov, X)
    psi = -2 * X.T @ (mu * xi)
    psi[0] -= 1
    return float(0.5 * n_unseen * (-cov @ psi)[0])


@dataclass
class _Fit:
    terms: tuple
    X: np.ndarray
    params: np.ndarray
    unstable: bool
    interval_ok: bool  # the profile interval is meaningful (full rank, no diverging parameter)
    note: str


def _fit_one(patterns: np.ndarray, y: np.ndarray, terms) -> tuple[dict, _Fit]:
    """Fit one model; return its row for the models table and what the interval needs."""
    X = _design(patterns, terms)
    n = float(y.sum())
    p = X.shape[1]
    rank = np.linalg.matrix_rank(X)
    params, cov, converged = _glm_fit(X, y)
    eta = X @ params
    mu = np.exp(eta)
    n_unseen = float(np.exp(params[0]))
    zero_unseen = bool(params[0] < -_BOUNDARY_ETA)
    diverges = bool(np.max(np.abs(params)) > _BOUNDARY_ETA or np.min(eta) < -_BOUNDARY_ETA)
    # A fitted observed cell at 0 (e.g. the saturated model with a zero all-sources cell) is a
    # boundary fit even when IRLS stopped before the parameters ran past _BOUNDARY_ETA.
    cell_at_zero = bool(np.all(np.isfinite(mu)) and np.min(mu) < _ZERO_CELL)

    problems: list[str] = []  # make the fit unstable
    remarks: list[str] = []  # worth knowing, model stays eligible
    if rank < p:
        problems.append("design not of full rank")
    if not converged:
        problems.append("did not converge")
    if zero_unseen:
        # The observed margins pin the unseen cell to 0 (for example one source saw everyone):
        # the MLE of n0 is 0, on the boundary. That is an answer, not a failed fit.
        n_unseen = 0.0
        remarks.append("no unseen persons: the estimate is on the boundary n0 = 0")
    elif diverges:
        problems.append("boundary: a fitted cell or parameter diverges (zero counts in a margin)")
        if not np.isfinite(n_unseen) or n_unseen > _HUGE_FACTOR * n:
            # The intercept runs off to +inf (e.g. two sources that share nobody): N_hat does
            # not exist; report infinity rather than wherever the iterations stopped.
            n_unseen = float("inf")
            problems.append("no finite estimate")
    if np.isfinite(n_unseen) and n_unseen > _HUGE_FACTOR * n:
        problems.append(f"huge estimate: unseen > {_HUGE_FACTOR:g} x observed")

    var0 = cov[0, 0]
    if zero_unseen:
        se, bias = 0.0, 0.0
    elif np.isfinite(n_unseen) and np.isfinite(var0):
        se = float(np.sqrt(n_unseen + n_unseen**2 * var0))
        bias = _asymptotic_bias(X, mu, cov, n_unseen)
    else:
        se, bias = float("nan"), float("nan")
    if np.isfinite(bias) and abs(bias) > 0.1 * (n + n_unseen):
        remarks.append("large asymptotic bias (> 10% of N)")  # Rcapture's warning

    loglik = _poisson_loglik(y, mu)
    note = "; ".join(problems + remarks)
    row = {
        "n_params": p,
        "df": len(y) - rank,
        "deviance": _deviance(y, mu),
        "aic": -2 * loglik + 2 * rank,
        "bic": -2 * loglik + math.log(n) * rank,
        "n_unseen": n_unseen,
        "n_estimated": n + n_unseen,
        "se": se,
        "bias": bias,
        "converged": converged,
        "unstable": bool(problems),
        "note": note,
    }
    interval_ok = rank == p and np.isfinite(n_unseen) and (zero_unseen or not diverges)
    # Identifiable from the table: a full-rank, converged, interior fit (no fitted cell or
    # parameter on the boundary, the unseen count neither pinned to 0 nor running off to
    # infinity). A huge estimate is identifiable (its interval says how little is known).
    row["identifiable"] = bool(rank == p and converged and not zero_unseen and not diverges
                               and not cell_at_zero and np.isfinite(n_unseen))
    if row["identifiable"] is False and cell_at_zero and not (zero_unseen or diverges):
        row["note"] = "; ".join([x for x in [row["note"], "boundary: a fitted cell is 0"] if x])
    return row, _Fit(tuple(terms), X, params, bool(problems), interval_ok, note)


def _fit_all(patterns, y, sources, max_order, progress=False):
    """Fit every model of one table; the same table again comes from the cache (a copy of the table
    of models, the same fits)."""
    k = len(sources)
    specs = _enumerate_models(k, max_order)
    key = ("models", patterns.shape, patterns.tobytes(), y.tobytes(), tuple(sources), max_order)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached[0].copy(), cached[1]
    rows, fits = [], []
    iterator = specs
    if progress and len(specs) > 64:
        from tqdm import tqdm

        iterator = tqdm(specs, desc="capture–recapture models", leave=False)
    for terms in iterator:
        row, fit = _fit_one(patterns, y, terms)
        rows.append(
            {"model": _model_name(terms, sources), "terms": _terms_label(terms, sources), **row}
        )
        fits.append(fit)
    models = pd.DataFrame(rows)
    _CACHE.put(key, (models.copy(), fits))
    return models, fits


def _fit_down_to_identifiable(patterns, y, sources):
    """The models the ``full`` choice needs: two-way models from the most terms down, a level at a
    time, until a level has an identifiable model (all models when the table was fitted before)."""
    k = len(sources)
    specs = _enumerate_models(k, 2)
    cached = _CACHE.get(("models", patterns.shape, patterns.tobytes(), y.tobytes(), tuple(sources), 2))
    if cached is not None:
        return cached[0].copy(), cached[1]
    done: dict[int, tuple[dict, _Fit]] = {}
    for level in range(max(len(t) for t in specs), -1, -1):
        for i, terms in enumerate(specs):
            if len(terms) == level:
                row, fit = _fit_one(patterns, y, terms)
                done[i] = ({"model": _model_name(terms, sources), "terms": _terms_label(terms, sources),
                            **row}, fit)
        if any(r["identifiable"] for i, (r, _) in done.items() if len(specs[i]) == level):
            break
    order = sorted(done)
    return pd.DataFrame([done[i][0] for i in order]), [done[i][1] for i in order]


def fit_models(
    table: pd.DataFrame, sources: Optional[Sequence[str]] = None, max_order: int = 2
) -> pd.DataFrame:
    """Fit every hierarchical log-linear model to a capture–recapture table.

    Parameters
    ----------
    table : pandas.DataFrame
        Source columns (0/1) and a count column ``n`` (or ``count``/``freq``), one row per
        observable pattern; absent patterns count as 0 (see :func:`membership_table`).
    sources : sequence of str, optional
        Source columns (default: every column except the count).
    max_order : int, default 2
        Highest interaction order. 2 gives all main effects plus any subset of two-way terms
        (8, 64, 1024 models for k = 3, 4, 5). k = 2 always gives the independence model only.

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model`` (bracket notation), ``terms`` (interaction terms,
        ``;``-separated), ``n_params``, ``df``, ``deviance``, ``aic`` (R glm's), ``bic``
        (AIC with log(n observed persons) instead of 2 per parameter, as Rcapture),
        ``n_unseen`` = exp(intercept), ``n_estimated`` = n + n_unseen, ``se`` (delta-method
        SE of N_hat, Rcapture's ``stderr``), ``converged``, ``unstable`` and ``note`` (why:
        rank deficiency, non-convergence, boundary fit, huge estimate). Warnings about dropped
        sources are in ``models.attrs["warnings"]``.
    """
    sources, patterns, y, warns = _prepare(table, sources)
    models, _ = _fit_all(patterns, y, sources, max_order, progress=True)
    models.attrs["warnings"] = warns
    models.attrs["sources"] = sources
    return models


# ---------------------------------------------------------------------------------------------
# Profile-likelihood interval (Cormack 1992; Rcapture closedpCI.t)
# ---------------------------------------------------------------------------------------------


def _profile_fit(Xa: np.ndarray, ya: np.ndarray, start: Optional[np.ndarray]) -> np.ndarray:
    """The refit inside the profile likelihood: an interior fit, so the normal-equations solver."""
    try:
        return fit_poisson(Xa, ya, start=start, maxiter=200, tol=1e-10, solver="normal").params
    except (ValueError, np.linalg.LinAlgError):
        # A warm start from a distant fit can overflow, or X'WX be numerically singular: start
        # afresh with the least-squares solver, as the model fits do.
        return _glm_fit(Xa, ya)[0]


def _profile_loglik_factory(X: np.ndarray, y: np.ndarray):
    """l(N) = -D(N)/2 + log[n0^n0 N! / (N^N n0!)], with the unseen cell appended to the fit.

    One function per (design, table), shared through a small cache, and each remembers its
    values: the interval search, :func:`combine_strata` and the same table estimated under
    another criterion ask for the same N again.
    """
    key = ("profile", X.shape, X.tobytes(), y.tobytes())
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    n = float(y.sum())
    Xa = np.vstack([X, np.eye(1, X.shape[1])])  # the all-zero pattern: intercept only
    state = {"start": None}
    values: dict[float, float] = {}

    def loglik(N: float) -> float:
        N = float(N)
        known = values.get(N)
        if known is not None:
            return known
        # At N = n exactly the unseen-cell fit sits on the boundary (mu0 -> 0); a tiny n0
        # gives the limit to well within the root-finding tolerance.
        n0 = max(N - n, 1e-9)
        Ntot = n + n0
        ya = np.append(y, n0)
        params = _profile_fit(Xa, ya, state["start"])
        # Warm-start the next evaluation, but not from a near-boundary fit (tiny n0).
        if np.all(np.isfinite(params)) and n0 >= 0.5:
            state["start"] = params
        mu = np.exp(Xa @ params)
        dev = _deviance(ya, mu)
        ct = special.xlogy(n0, n0) - Ntot * math.log(Ntot) + special.gammaln(Ntot + 1) - special.gammaln(n0 + 1)
        values[N] = value = -dev / 2 + ct
        return value

    _CACHE.put(key, loglik)
    return loglik


def _profile_interval(X: np.ndarray, y: np.ndarray, n_hat: float, alpha: float):
    """Return (ci_low, ci_high, n_max, warnings) for the model with design X."""
    n = float(y.sum())
    warns: list[str] = []
    loglik = _profile_loglik_factory(X, y)
    hi_search = max(1.5 * n_hat, n + 2.0)
    opt = optimize.minimize_scalar(
        lambda N: -loglik(N), bounds=(n, hi_search), method="bounded", options={"xatol": 1e-5}
    )
    n_max = float(opt.x)
    lmax = -float(opt.fun)
    if loglik(n) > lmax:  # the maximum is on the boundary N = n
        n_max, lmax = n, loglik(n)
    cut = lmax - stats.chi2.ppf(1 - alpha, 1) / 2
    g = lambda N: loglik(N) - cut  # noqa: E731

    if g(n) >= 0:
        lo = n
        warns.append("the interval's lower bound is the observed count n")
    else:
        lo = optimize.brentq(g, n, n_max, xtol=1e-6, rtol=1e-10)
    hi_b = max(3 * n_hat, n_max + 10.0)
    hi = float("inf")
    for _ in range(40):
        if g(hi_b) < 0:
            hi = optimize.brentq(g, n_max, hi_b, xtol=1e-6, rtol=1e-10)
            break
        hi_b = n + 2 * (hi_b - n)
        if hi_b > 1e12:
            break
    if not np.isfinite(hi):
        warns.append("the interval's upper bound could not be found: the likelihood is too flat")
    return float(lo), float(hi), n_max, warns


# ---------------------------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------------------------


def estimate(
    table: pd.DataFrame,
    sources: Optional[Sequence[str]] = None,
    criterion: str = "aic",
    alpha: float = 0.05,
    max_order: int = 2,
    model: Optional[str] = None,
) -> CaptureRecaptureResult:
    """Estimate the population size N from a capture–recapture table.

    Fits every hierarchical log-linear model (:func:`fit_models`), selects the one with the
    smallest AIC or BIC among the stable fits, and reports N_hat = n + exp(u0_hat) with the
    Cormack (1992) profile-likelihood interval for N (see the module docstring for formulas).

    Parameters
    ----------
    table : pandas.DataFrame
        Source columns (0/1) and a count column ``n``/``count``/``freq``.
    sources : sequence of str, optional
        Source columns (default: every column except the count).
    criterion : {"aic", "bic"}
        Selection criterion; both are reported in ``result.models``.
    alpha : float
        The interval has level 1 - alpha.
    max_order : int
        Highest interaction order fitted (default 2).
    model : str, optional
        Use this model (its bracket name, as in ``result.models.model``) instead of selecting.

    Returns
    -------
    CaptureRecaptureResult

    Raises
    ------
    KpzError
        Malformed table, fewer than 2 sources that saw anyone, unknown criterion or model.
    """
    criterion = str(criterion).lower()
    if criterion not in CRITERIA:
        raise ParameterError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    sources, patterns, y, warns = _prepare(table, sources)
    models, fits = _fit_all(patterns, y, sources, max_order, progress=True)
    n = int(round(y.sum()))

    if model is not None:
        hits = (models["model"] == model).to_numpy().nonzero()[0]
        if len(hits) == 0:
            raise ParameterError(
                f"model {model!r} is not among the fitted models, e.g. {models['model'].iloc[0]!r}"
            )
        best = int(hits[0])
        used = "fixed"
    else:
        stable = ~models["unstable"].to_numpy()
        if not stable.any():
            warns.append("every model's fit is unstable; the estimate is unreliable")
            pool = np.ones(len(models), dtype=bool)
        else:
            pool = stable
        crit = np.where(pool, models[criterion].to_numpy(), np.inf)
        best = int(np.argmin(crit))
        used = criterion
    fit = fits[best]
    chosen = models.iloc[best]
    if fit.note:
        warns.append(f"model {chosen['model']}: {fit.note}")
    models = models.assign(selected=False)
    models.loc[models.index[best], "selected"] = True

    n_unseen = float(chosen["n_unseen"])
    n_hat = float(chosen["n_estimated"])
    lo, hi, n_max = float("nan"), float("nan"), float("nan")
    profile = _profile_loglik_factory(fit.X, y) if fit.interval_ok else None
    if fit.interval_ok:
        try:
            lo, hi, n_max, ci_warns = _profile_interval(fit.X, y, n_hat, alpha)
            warns.extend(ci_warns)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            # A refit inside the profile failed numerically: report the estimate without a
            # misleading interval.
            warns.append(f"no profile-likelihood interval: {str(exc).splitlines()[0]}")
    else:
        warns.append("no profile-likelihood interval: the selected fit is on the boundary or has no finite estimate")
    models.attrs["warnings"] = list(warns)
    models.attrs["sources"] = sources
    return CaptureRecaptureResult(
        n_observed=n,
        n_unseen=n_unseen,
        n_estimated=n_hat,
        ci_low=lo,
        ci_high=hi,
        model=str(chosen["model"]),
        criterion=used,
        models=models,
        sources=list(sources),
        warnings=warns,
        se=float(chosen["se"]),
        n_profile_max=n_max,
        alpha=alpha,
        profile=profile,
    )


# ---------------------------------------------------------------------------------------------
# Identifiable estimates (small strata) and strata combined
# ---------------------------------------------------------------------------------------------

MODEL_CHOICES = ("full", "aic", "bic")


def _two_way_count(terms: str) -> int:
    return 0 if not terms else len(terms.split(";"))


def _not_identifiable(n: int, sources, models, warns, criterion, alpha, why) -> CaptureRecaptureResult:
    nan = float("nan")
    return CaptureRecaptureResult(
        n_observed=n, n_unseen=nan, n_estimated=nan, ci_low=nan, ci_high=nan,
        model="not identifiable", criterion=criterion, models=models, sources=list(sources),
        warnings=list(warns) + [why], alpha=alpha, status="not identifiable")


def estimate_identifiable(
    table: pd.DataFrame,
    sources: Optional[Sequence[str]] = None,
    criterion: str = "full",
    alpha: float = 0.05,
    all_models: bool = True,
) -> CaptureRecaptureResult:
    """Population size from the model the table can identify, with a documented fallback.

    A model is *identifiable* from the table when its fit is a full-rank, converged, interior
    maximum (``fit_models`` column ``identifiable``): no fitted cell or parameter on the
    boundary, the unseen count neither pinned to 0 nor infinite. A boundary fit is never
    reported as a finding — in particular a zero all-sources cell makes the saturated
    three-source model put N_hat = n ("nobody missed"), which this function refuses.

    Model choice (``criterion``):

    * ``full`` (default, no selection step): the hierarchical model with all two-way terms. If
      it is not identifiable, the fallback drops the offending interaction: among the
      identifiable models with one two-way term fewer, the one with the smallest AIC; if none,
      two terms fewer, and so on down to the independence model. ``result.fallback`` says what
      was dropped and ``result.status`` is ``"fallback"``.
    * ``aic`` / ``bic``: the identifiable model with the smallest criterion.

    When no model is identifiable the result has ``status = "not identifiable"`` and NaN
    estimate and bounds (never zero unseen); the caller may pool strata (see
    :func:`combine_strata` and ``docs/capture_recapture.md``). Fewer than two sources that saw
    anyone also gives ``not identifiable``. The interval is the Cormack profile-likelihood
    interval of the model used (conditional on that model).

    With ``all_models=False`` and ``criterion="full"`` only the models the choice needs are
    fitted: the full model and, when it is not identifiable, the models with one two-way term
    fewer, and so on. The estimate, interval, status and warnings are the same;
    ``result.models`` then lists only the models fitted.

    Returns
    -------
    CaptureRecaptureResult
        With ``status`` (``estimated``, ``fallback``, ``not identifiable``), ``fallback`` (text)
        and ``profile`` (the profile log-likelihood l(N) of the model used, for
        :func:`combine_strata`).
    """
    criterion = str(criterion).lower()
    if criterion not in MODEL_CHOICES:
        raise ParameterError(f"criterion must be one of {', '.join(MODEL_CHOICES)}, got {criterion!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    try:
        used_sources, patterns, y, warns = _prepare(table, sources)
    except CaptureRecaptureTableError:
        raise
    except KpzError as exc:
        n = int(pd.to_numeric(table[next(c for c in COUNT_COLUMNS if c in table.columns)]).sum())
        src = [c for c in table.columns if c not in COUNT_COLUMNS] if sources is None else list(sources)
        return _not_identifiable(n, src, pd.DataFrame(), [], criterion, alpha, str(exc))
    if criterion == "full" and not all_models:
        models, fits = _fit_down_to_identifiable(patterns, y, used_sources)
    else:
        models, fits = _fit_all(patterns, y, used_sources, 2)
    n = int(round(y.sum()))
    ok = models["identifiable"].to_numpy()
    fallback = ""
    if criterion == "full":
        n_terms = models["terms"].map(_two_way_count).to_numpy()
        top = int(n_terms.max())
        best = None
        for k in range(top, -1, -1):
            pool = ok & (n_terms == k)
            if pool.any():
                aic = np.where(pool, models["aic"].to_numpy(), np.inf)
                best = int(np.argmin(aic))
                break
        if best is not None and n_terms[best] < top:
            full_name = str(models.loc[n_terms == top, "model"].iloc[0])
            fallback = (f"full model {full_name} not identifiable "
                        f"({models.loc[n_terms == top, 'note'].iloc[0] or 'boundary fit'}); "
                        f"dropped {top - n_terms[best]} interaction(s): {models['model'].iloc[best]} "
                        f"(smallest AIC among identifiable models with {n_terms[best]} two-way terms)")
    else:
        pool = ok
        best = int(np.argmin(np.where(pool, models[criterion].to_numpy(), np.inf))) if pool.any() else None
    if best is None:
        return _not_identifiable(n, used_sources, models.assign(selected=False), warns, criterion,
                                 alpha, "no log-linear model is identifiable from this table")
    fit = fits[best]
    chosen = models.iloc[best]
    if fallback:
        warns.append(fallback)
    if chosen["note"]:
        warns.append(f"model {chosen['model']}: {chosen['note']}")
    models = models.assign(selected=False)
    models.loc[models.index[best], "selected"] = True
    n_hat = float(chosen["n_estimated"])
    lo, hi, n_max = float("nan"), float("nan"), float("nan")
    profile = _profile_loglik_factory(fit.X, y)
    try:
        lo, hi, n_max, ci_warns = _profile_interval(fit.X, y, n_hat, alpha)
        warns.extend(ci_warns)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        warns.append(f"no profile-likelihood interval: {str(exc).splitlines()[0]}")
    return CaptureRecaptureResult(
        n_observed=n, n_unseen=float(chosen["n_unseen"]), n_estimated=n_hat, ci_low=lo, ci_high=hi,
        model=str(chosen["model"]), criterion=criterion, models=models, sources=list(used_sources),
        warnings=warns, se=float(chosen["se"]), n_profile_max=n_max, alpha=alpha,
        status="fallback" if fallback else "estimated", fallback=fallback, profile=profile)


@dataclass
class CombinedEstimate:
    """Total over independent strata (see :func:`combine_strata`)."""

    n_observed: int
    n_estimated: float
    ci_low: float
    ci_high: float
    ci_low_summed: float
    ci_high_summed: float
    n_profile_max: float
    alpha: float


def _grid_profile(res: CaptureRecaptureResult, n_points: int = 24):
    """A cubic spline of a stratum's profile log-likelihood over its own interval [L, U]."""
    from scipy.interpolate import CubicSpline

    lo, hi, top = float(res.ci_low), float(res.ci_high), float(res.n_profile_max)
    if hi - lo < 1e-6:
        return lo, hi, (lambda N: np.zeros_like(np.asarray(N, dtype=float)))
    # Chebyshev-like spacing (denser at the ends, where the cut-off is crossed) plus the maximum
    t = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n_points))
    grid = np.unique(np.concatenate([lo + t * (hi - lo), [min(max(top, lo), hi)]]))
    values = np.array([res.profile(N) for N in grid])
    return lo, hi, CubicSpline(grid, values)


def combine_strata(results: Sequence[CaptureRecaptureResult], alpha: float = 0.05) -> CombinedEstimate:
    """Total population size over independent strata, with the profile-likelihood interval of the sum.

    Estimand: N = Σ_s N_s. Estimate: Σ_s N̂_s. Interval: the profile-likelihood interval of the
    total, treating the strata's tables as independent,

        l(N) = max { Σ_s l_s(N_s) : Σ_s N_s = N },   {N : 2 [l(N̂) − l(N)] ≤ χ²_{1, 1−α}},

    with l_s the Cormack profile log-likelihood of stratum s under its own model. At the
    total's bounds every stratum lies inside its own interval (each term of the drop is
    ≥ 0), so each l_s is evaluated on its own [L_s, U_s] and interpolated with a cubic spline;
    the inner maximisation over the split is done pairwise. For reference the conservative sum
    of bounds [Σ L_s, Σ U_s] is returned as well (``ci_low_summed``, ``ci_high_summed``).
    A stratum with an infinite upper bound makes the total's upper bound infinite.

    Parameters
    ----------
    results : stratum estimates with a ``profile`` (from :func:`estimate_identifiable`); strata
        where nobody was seen may be given as results with ``n_observed = 0`` and are skipped.
    alpha : the interval has level 1 − alpha.
    """
    used = [r for r in results if r.n_observed > 0]
    for r in used:
        if r.status == "not identifiable" or not np.isfinite(r.n_estimated):
            raise KpzError("cannot combine strata: a stratum has no identifiable estimate")
    n_obs = int(sum(r.n_observed for r in results))
    est = float(sum(r.n_estimated for r in used))
    lo_sum = float(sum(r.ci_low for r in used))
    hi_sum = float(sum(r.ci_high for r in used))
    if not used:
        return CombinedEstimate(n_obs, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, alpha)
    if any(not np.isfinite(r.ci_high) or r.profile is None for r in used):
        return CombinedEstimate(n_obs, est, lo_sum, float("inf"), lo_sum, hi_sum, float("nan"), alpha)
    if len(used) == 1:
        r = used[0]
        return CombinedEstimate(n_obs, est, r.ci_low, r.ci_high, lo_sum, hi_sum, r.n_profile_max, alpha)
    # The same strata (the same profile functions and intervals) again, e.g. under another
    # model choice that selected the same models: the same answer.
    key = ("combine", alpha, tuple((r.profile, r.ci_low, r.ci_high, r.n_profile_max) for r in used))
    cached = _CACHE.get(key)
    if cached is not None:
        low, high, n_max = cached
        return CombinedEstimate(n_obs, est, low, high, lo_sum, hi_sum, n_max, alpha)
    parts = [_grid_profile(r) for r in used]
    lo_a, hi_a, f_a = parts[0]
    for lo_b, hi_b, f_b in parts[1:]:
        f_a, lo_a, hi_a = _max_convolve(f_a, lo_a, hi_a, f_b, lo_b, hi_b)
    opt = optimize.minimize_scalar(lambda N: -f_a(N), bounds=(lo_a, hi_a), method="bounded",
                                   options={"xatol": 1e-4})
    n_max, lmax = float(opt.x), -float(opt.fun)
    cut = lmax - stats.chi2.ppf(1 - alpha, 1) / 2
    g = lambda N: float(f_a(N)) - cut  # noqa: E731
    low = lo_a if g(lo_a) >= 0 else optimize.brentq(g, lo_a, n_max, xtol=1e-6)
    high = hi_a if g(hi_a) >= 0 else optimize.brentq(g, n_max, hi_a, xtol=1e-6)
    _CACHE.put(key, (float(low), float(high), n_max))
    return CombinedEstimate(n_obs, est, float(low), float(high), lo_sum, hi_sum, n_max, alpha)


def _slope(f):
    """Derivative of a stratum profile: the spline's, or zero for a flat (degenerate) one."""
    if hasattr(f, "derivative"):
        return f.derivative()
    return lambda N: np.zeros_like(np.asarray(N, dtype=float))


def _max_convolve(f_a, lo_a, hi_a, f_b, lo_b, hi_b, n_points: int = 48):
    """Profile of the sum of two independent strata: h(T) = max_{N_a + N_b = T} f_a(N_a) + f_b(N_b).

    For every grid point T at once, the split is found by bisection on the slope
    f_a'(a) - f_b'(T - a) over a in [max(lo_a, T - hi_b), min(hi_a, T - lo_b)] (to 1e-7
    person; the maximum value is then exact to rounding), and compared with both ends.
    """
    from scipy.interpolate import CubicSpline

    lo, hi = lo_a + lo_b, hi_a + hi_b
    t = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n_points))
    grid = np.unique(lo + t * (hi - lo))
    a0 = np.maximum(lo_a, grid - hi_b)
    a1 = np.maximum(a0, np.minimum(hi_a, grid - lo_b))
    slope_a, slope_b = _slope(f_a), _slope(f_b)
    left, right = a0.copy(), a1.copy()
    for _ in range(200):
        if np.max(right - left) < 1e-7:
            break
        mid = 0.5 * (left + right)
        rising = slope_a(mid) - slope_b(grid - mid) > 0  # the maximum lies to the right of mid
        left = np.where(rising, mid, left)
        right = np.where(rising, right, mid)
    split = np.stack([a0, a1, 0.5 * (left + right)])
    values = np.asarray(f_a(split) + f_b(grid - split), dtype=float).max(axis=0)
    return CubicSpline(grid, values), lo, hi


# ---------------------------------------------------------------------------------------------
# CSV in, CSV out (the `kpz capture-recapture` command)
# ---------------------------------------------------------------------------------------------


def read_table_csv(path: Path) -> pd.DataFrame:
    """Read and validate a capture–recapture table CSV (0/1 source columns + a count column).

    Errors name the file, the line and the column: non-0/1 flags, a missing count column,
    duplicate patterns, negative or fractional counts.
    """
    path = Path(path)
    where = f"{path}: "
    if not path.is_file():
        raise CaptureRecaptureTableError(f"{path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CaptureRecaptureTableError(f"{where}not a readable CSV ({str(exc).splitlines()[0]})") from None
    df.columns = [str(c).strip() for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    count_col = next((lower[c] for c in COUNT_COLUMNS if c in lower), None)
    if count_col is None:
        raise CaptureRecaptureTableError(
            f"{where}no count column: expected one of {', '.join(COUNT_COLUMNS)}; "
            f"columns are {list(df.columns)}"
        )
    df = df.rename(columns={count_col: count_col.lower()})
    if len(df) == 0:
        raise CaptureRecaptureTableError(f"{where}the table has no rows")
    # Validate here so the messages carry the file name and line numbers.
    _prepare(df, None, where=where)
    return df


def run_capture_recapture(
    table_csv: Path, criterion: str = "aic", out_dir: Optional[Path] = None, alpha: float = 0.05
) -> CaptureRecaptureResult:
    """Estimate N from a table CSV; with ``out_dir`` write the two result CSVs there.

    Writes ``capture_recapture.csv`` (one row: n_observed, n_unseen, n_estimated, ci_low,
    ci_high, model, criterion, ...) and ``capture_recapture_models.csv`` (every model).
    """
    df = read_table_csv(table_csv)
    result = estimate(df, criterion=criterion, alpha=alpha)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        summary = result.to_frame()
        summary.insert(0, "table", str(table_csv))
        summary.to_csv(out_dir / "capture_recapture.csv", index=False)
        result.models.to_csv(out_dir / "capture_recapture_models.csv", index=False)
    return result


def format_result(result: CaptureRecaptureResult, max_models: int = 20) -> str:
    """Plain-text report: the chosen estimate, then the models ordered by the criterion."""
    conf = int(round(100 * (1 - result.alpha)))
    lines = [
        f"sources: {', '.join(result.sources)}",
        f"observed persons n = {result.n_observed}",
        f"selected model ({result.criterion}): {result.model}",
        f"estimated unseen = {result.n_unseen:.1f}",
        f"estimated N = {result.n_estimated:.1f}  ({conf}% profile-likelihood interval "
        f"{result.ci_low:.1f} to {result.ci_high:.1f})",
    ]
    for w in result.warnings:
        lines.append(f"warning: {w}")
    key = result.criterion if result.criterion in CRITERIA else "aic"
    cols = ["model", "df", "deviance", "aic", "bic", "n_estimated", "se", "note"]
    shown = result.models.sort_values(key)[cols].head(max_models)
    lines.append("")
    lines.append(f"models by {key} (best {len(shown)} of {len(result.models)}):")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return "\n".join(lines)
