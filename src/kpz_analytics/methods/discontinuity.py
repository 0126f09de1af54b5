"""Regression discontinuity at the 18th birthday in a person-month panel.

- :func:`rd_jump` — the jump in an outcome at the cutoff (the 18th-birthday month), by
  local-polynomial regression discontinuity with rdrobust, robust bias-corrected interval,
  standard errors clustered by person.
- :func:`rd_difference` — the difference in discontinuities between two disjoint cohorts
  (LLC minus comparison), so that the general age-18 effect is separated from what is specific
  to young people with a life-limiting condition.

Both take a long panel (one row per person x event month) and return a one-row tidy table.

Conventions
-----------
The running variable is the integer event month -24 ... 23 relative to the birthday month.
The birthday month itself (``event_month == cutoff``, 0) counts as **after**: rdrobust treats
``x >= c`` as treated. By the extract's 15th-of-month convention the birthday falls mid-month,
so month 0 is half child, half adult; ``donut=1`` drops it as a sensitivity analysis.

Mass points: a monthly running variable takes only 48 values, each shared by every person.
rdrobust is called with ``masspoints="adjust"``: the pilot bandwidth uses the number of distinct
values instead of the number of rows and every preliminary bandwidth is widened to contain at
least 10 distinct months per side. With ``masspoints="off"`` the bandwidth pilots are not
identified on such data (singular matrices). The point estimate remains the local-polynomial
extrapolation to the cutoff from the months either side: with 24 distinct months per side
this is the usual treatment of a discrete running variable with many support points
(Cattaneo, Idrobo & Titiunik 2024, on RD designs with discrete running variables).
rdrobust announces mass points with a bare ``print``; these calls run with standard output
captured, its warnings recorded, and what matters to a reader goes into the ``note`` column.

Clustering and the two sides of the cutoff: rdrobust computes the cluster-robust (CR1)
variance of each side's intercept separately and adds them, as if the two sides were
independent samples. In this panel the same persons are observed on both sides, and a
person's own level of care (a person effect) enters both intercepts with the same sign, so
the covariance is positive and the side-by-side sum over-states the variance of the jump.
``variance="person"`` (the default) clusters the whole estimator by person: the same robust
bias-corrected weights and residuals as rdrobust, summed per person over both sides before
squaring. It reproduces rdrobust's number exactly when the cross-side products are left out
(``variance="rdrobust"``), which the tests check.

References
----------
Calonico S, Cattaneo MD, Titiunik R (2014). Robust nonparametric confidence intervals for
regression-discontinuity designs. Econometrica 82:2295-2326.
Calonico S, Cattaneo MD, Farrell MH, Titiunik R (2017). rdrobust: software for regression-
discontinuity designs. Stata Journal 17:372-404.
Cattaneo MD, Idrobo N, Titiunik R (2024). A Practical Introduction to Regression Discontinuity
Designs: Extensions. Cambridge University Press.
Card D, Dobkin C, Maestas N (2008). The impact of nearly universal insurance coverage on health
care utilization: evidence from Medicare. American Economic Review 98:2242-2258.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from .checks import check_alpha

__all__ = ["rd_jump", "rd_difference", "MIN_PERSONS", "RDROBUST_VERSION"]

# The rdrobust release these functions are written and tested against (see the pin in
# pyproject.toml). Its number goes into the ``method`` column of every result.
RDROBUST_VERSION = "2.1.1"

# Fewer persons than this on either side of the cutoff: cluster-robust inference is not
# meaningful (rdrobust itself warns under 10 clusters per side within the bandwidth).
MIN_PERSONS = 20

# rdrobust's floor on the number of distinct months inside the preliminary bandwidths
# (its default under masspoints="adjust"; passed explicitly so a new default cannot move it).
MASSPOINT_BWCHECK = 10

KERNELS = {"triangular": "tri", "epanechnikov": "epa", "uniform": "uni"}
BWSELECT = ("mserd", "msetwo", "msesum", "msecomb1", "msecomb2", "cerrd", "certwo", "cersum", "cercomb1", "cercomb2")
VARIANCES = ("person", "rdrobust")
INTERVALS = ("analytic", "bootstrap")

RESULT_COLUMNS = [
    "outcome",
    "estimate",
    "ci_low",
    "ci_high",
    "std_err",
    "p_value",
    "estimate_bias_corrected",
    "std_err_conventional",
    "std_err_rdrobust",
    "bandwidth_months",
    "bandwidth_left_months",
    "bandwidth_right_months",
    "bias_bandwidth_left_months",
    "bias_bandwidth_right_months",
    "n_obs_left",
    "n_obs_right",
    "n_persons",
    "n_persons_left",
    "n_persons_right",
    "cutoff",
    "donut_months",
    "alpha",
    "variance",
    "method",
    "note",
]


# ---------------------------------------------------------------------------------------------
# Parameter and input checks
# ---------------------------------------------------------------------------------------------


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_choice(value, name: str, allowed) -> str:
    if value not in allowed:
        raise ParameterError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


@dataclass(frozen=True)
class _Options:
    outcome: str
    running: str
    cluster: str
    cutoff: float
    donut: int
    p: int
    kernel: str
    bwselect: str
    alpha: float
    variance: str
    min_persons: int
    max_persons: int | None
    seed: int

    @property
    def q(self) -> int:
        return self.p + 1


def _options(outcome, running, cluster, cutoff, donut, p, kernel, bwselect, alpha, variance,
             min_persons, max_persons, seed) -> _Options:
    for name, value in (("outcome", outcome), ("running", running), ("cluster", cluster)):
        if not isinstance(value, str) or not value:
            raise ParameterError(f"{name} must be a column name, got {value!r}")
    try:
        cutoff = float(cutoff)
    except (TypeError, ValueError):
        raise ParameterError(f"cutoff must be a number, got {cutoff!r}") from None
    if not math.isfinite(cutoff):
        raise ParameterError(f"cutoff must be finite, got {cutoff}")
    if max_persons is not None:
        max_persons = _check_int(max_persons, "max_persons", 2 * MIN_PERSONS)
    return _Options(
        outcome=outcome,
        running=running,
        cluster=cluster,
        cutoff=cutoff,
        donut=_check_int(donut, "donut", 0),
        p=_check_int(p, "p", 0),
        kernel=_check_choice(kernel, "kernel", tuple(KERNELS)),
        bwselect=_check_choice(bwselect, "bwselect", BWSELECT),
        alpha=check_alpha(alpha),
        variance=_check_choice(variance, "variance", VARIANCES),
        min_persons=_check_int(min_persons, "min_persons", 2),
        max_persons=max_persons,
        seed=_check_int(seed, "seed", 0),
    )


@dataclass
class _Data:
    """The estimation sample of one cohort, sorted by running variable."""

    x: np.ndarray  # running variable (float)
    y: np.ndarray  # outcome (float)
    person: np.ndarray  # person codes 0 .. n_persons-1
    n_persons: int
    notes: list[str] = field(default_factory=list)


def _prepare(panel: pd.DataFrame, o: _Options, what: str) -> _Data:
    if not isinstance(panel, pd.DataFrame):
        raise ParameterError(f"{what}: panel must be a pandas DataFrame, got {type(panel).__name__}")
    for role, column in (("outcome", o.outcome), ("running", o.running), ("cluster", o.cluster)):
        if column not in panel.columns:
            raise ParameterError(f"{what}: {role} column {column!r} not in panel")
    notes: list[str] = []
    xs = panel[o.running]
    if pd.api.types.is_bool_dtype(xs) or not pd.api.types.is_numeric_dtype(xs):
        raise ParameterError(f"{what}: running variable {o.running!r} must be numeric (event month), got {xs.dtype}")
    if xs.isna().any():
        raise ParameterError(f"{what}: running variable {o.running!r} has {int(xs.isna().sum())} missing value(s)")
    if panel[o.cluster].isna().any():
        raise ParameterError(f"{what}: cluster column {o.cluster!r} has {int(panel[o.cluster].isna().sum())} missing value(s)")
    ys = panel[o.outcome]
    if pd.api.types.is_bool_dtype(ys):
        ys = ys.astype(float)
    elif not pd.api.types.is_numeric_dtype(ys):
        raise ParameterError(f"{what}: outcome {o.outcome!r} must be numeric or boolean, got {ys.dtype}")
    x = xs.to_numpy(dtype=float)
    y = ys.to_numpy(dtype=float)
    keep = np.isfinite(y)
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) with missing {o.outcome} left out")
    if o.donut > 0:
        in_donut = np.abs(x - o.cutoff) < o.donut
        keep &= ~in_donut
    codes, _ = pd.factorize(panel[o.cluster], sort=False)
    x, y, codes = x[keep], y[keep], codes[keep]

    if o.max_persons is not None:
        present = np.unique(codes)
        if len(present) > o.max_persons:
            rng = np.random.default_rng(o.seed)
            chosen = rng.choice(present, size=o.max_persons, replace=False)
            sub = np.isin(codes, chosen)
            notes.append(
                f"random subsample of {o.max_persons} of {len(present)} persons (seed {o.seed}); "
                "interval reflects the subsample"
            )
            x, y, codes = x[sub], y[sub], codes[sub]

    left = x < o.cutoff
    if not left.any() or left.all():
        side = "left (before)" if not left.any() else "right (after)"
        raise ParameterError(
            f"{what}: no observations {side} of cutoff {o.cutoff:g} in running variable {o.running!r}"
            + (f" after the donut of {o.donut}" if o.donut else "")
        )
    n_left, n_right = len(np.unique(codes[left])), len(np.unique(codes[~left]))
    if min(n_left, n_right) < o.min_persons:
        raise ParameterError(
            f"{what}: {n_left} persons ({o.cluster}) before and {n_right} after the cutoff; "
            f"at least min_persons={o.min_persons} needed on each side for clustered inference"
        )
    codes, _ = pd.factorize(codes, sort=False)
    order = np.argsort(x, kind="stable")
    return _Data(x=x[order], y=y[order], person=codes[order], n_persons=int(codes.max()) + 1, notes=notes)


# ---------------------------------------------------------------------------------------------
# Local-polynomial pieces (mirrors rdrobust's formulas for the bias-corrected estimator)
# ---------------------------------------------------------------------------------------------


def _kernel_weight(u: np.ndarray, kernel: str) -> np.ndarray:
    a = np.abs(u)
    if kernel == "triangular":
        return np.where(a <= 1, 1.0 - a, 0.0)
    if kernel == "epanechnikov":
        return np.where(a <= 1, 0.75 * (1.0 - u**2), 0.0)
    return np.where(a <= 1, 0.5, 0.0)


def _side_scores(x, y, person, c, h, b, p, kernel):
    """Robust bias-corrected influence weights and residuals of one side of the cutoff.

    Returns (rows used, a, resid, n_rows, n_clusters): ``tau_bc_side = sum(a * y)`` and the
    CR1 score of person g is ``sum over g's rows of a * resid``, with the residual from the
    order-q (= p + 1) fit at bandwidth b, exactly as rdrobust's robust variance.
    """
    q = p + 1
    xc = x - c
    wh = _kernel_weight(xc / h, kernel) / h
    wb = _kernel_weight(xc / b, kernel) / b
    rows = (wh > 0) | (wb > 0)
    xc, yv, wh, wb = xc[rows], y[rows], wh[rows], wb[rows]
    scale = max(h, b)
    xs = xc / scale
    Rq = np.vander(xs, q + 1, increasing=True)
    Rp = Rq[:, : p + 1]
    Gp = (Rp * wh[:, None]).T @ Rp
    Gq = (Rq * wb[:, None]).T @ Rq
    invGq = np.linalg.inv(Gq)
    beta_q = invGq @ ((Rq * wb[:, None]).T @ yv)
    resid = yv - Rq @ beta_q
    L = (Rp * wh[:, None]).T @ xs ** (p + 1)
    m = (Rq @ invGq[:, p + 1]) * wb
    Qq = Rp * wh[:, None] - np.outer(m, L)
    a = np.linalg.solve(Gp, Qq.T)[0]
    clusters = person[rows]
    return rows, a, resid, clusters


def _robust_variances(d: _Data, c, h_l, h_r, b_l, b_r, p, kernel):
    """CR1 variances of the bias-corrected jump: rdrobust's side-by-side sum and person-level.

    Side by side (rdrobust):  V = sum_side w_side * sum_g (s_g,side)^2
    Person level:             V = w * sum_g (s_g,right - s_g,left)^2
    with s_g,side = sum of a_i * e_i over person g's rows on that side, e_i the residual of the
    order-q fit, and CR1 factors w = (n - 1)/(n - k) * G/(G - 1) (k = q + 1 per side, 2(q + 1)
    for the whole estimator; n rows and G persons used).
    """
    q = p + 1
    left = d.x < c
    scores = {}
    side_var = 0.0
    rows_total = 0
    persons_used = []
    for name, mask, h, b in (("left", left, h_l, b_l), ("right", ~left, h_r, b_r)):
        rows, a, resid, cl = _side_scores(d.x[mask], d.y[mask], d.person[mask], c, h, b, p, kernel)
        s = np.bincount(cl, weights=a * resid, minlength=d.n_persons)
        n, g = int(rows.sum()), len(np.unique(cl))
        w = (n - 1) / (n - (q + 1)) * g / (g - 1) if g > 1 else np.nan
        side_var += w * float(np.sum(s**2))
        scores[name] = s
        rows_total += n
        persons_used.append(np.unique(cl))
    g_all = len(np.unique(np.concatenate(persons_used)))
    w_all = (rows_total - 1) / (rows_total - 2 * (q + 1)) * g_all / (g_all - 1) if g_all > 1 else np.nan
    person_var = w_all * float(np.sum((scores["right"] - scores["left"]) ** 2))
    return side_var, person_var


# ---------------------------------------------------------------------------------------------
# One cohort
# ---------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    row: dict
    data: _Data | None
    h: tuple[float, float] | None = None
    b: tuple[float, float] | None = None


def _rdrobust_version() -> str:
    try:
        return metadata.version("rdrobust")
    except metadata.PackageNotFoundError:  # pragma: no cover - rdrobust is a dependency
        return "not installed"


def _method(o: _Options) -> str:
    var = (
        "CR1 clustered by person over both sides" if o.variance == "person"
        else "CR1 clustered by person within each side (rdrobust)"
    )
    return (
        f"local polynomial RD, p={o.p}, bias correction q={o.q}, {o.kernel} kernel, {o.bwselect} bandwidth, "
        f"robust bias-corrected interval (Calonico-Cattaneo-Titiunik), {var} ({o.cluster}), "
        f"masspoints=adjust; rdrobust {_rdrobust_version()}"
    )


def _empty_row(o: _Options, d: _Data | None, note: str) -> dict:
    row = {col: np.nan for col in RESULT_COLUMNS}
    row.update(
        outcome=o.outcome,
        cutoff=o.cutoff,
        donut_months=o.donut,
        alpha=o.alpha,
        variance=o.variance,
        method=_method(o),
        note=note,
    )
    if d is not None:
        # Without a bandwidth, the counts describe the whole estimation sample.
        left = d.x < o.cutoff
        row.update(
            n_obs_left=int(left.sum()),
            n_obs_right=int((~left).sum()),
            n_persons=d.n_persons,
            n_persons_left=len(np.unique(d.person[left])),
            n_persons_right=len(np.unique(d.person[~left])),
        )
    return row


def _cr1_meat(d, s, RX, res, C, invG=None, sqrtRX=None, crv2=False, k_override=None, cluster_idx=None,
              G=None, _original=None):
    """rdrobust's ``rdrobust_vce`` with its clustered (CR1) branch summed per cluster at once.

    rdrobust 2.x forms the CR1 meat ``w * sum_g (X_g' r_g)(X_g' r_g)'`` in a Python loop over the
    clusters (``funs.rdrobust_vce``), once per variance in the bandwidth selection and the fit:
    with persons as clusters (20,000 comparison persons) that loop is most of the cost of a fit.
    Here the per-cluster scores are summed with ``np.bincount`` and the meat is ``S'S``: the same
    sum in another order (differences at rounding level; the variances still reproduce
    :func:`_robust_variances` and the R fixtures). Every other branch (no cluster, CRV2, CRV3)
    goes to rdrobust's own function.
    """
    if C is None or invG is not None or crv2:
        return _original(d, s, RX, res, C, invG=invG, sqrtRX=sqrtRX, crv2=crv2, k_override=k_override,
                         cluster_idx=cluster_idx, G=G)
    RX = np.asarray(RX, dtype=float)
    res = np.asarray(res, dtype=float).reshape(RX.shape[0], -1)
    k = RX.shape[1]
    k_df = k if k_override is None else k_override
    codes, uniques = pd.factorize(np.asarray(C).reshape(-1), sort=False)  # hashing: no sort
    n, g = len(codes), len(uniques)
    w = ((n - 1) / (n - k_df)) * (g / (g - 1)) if g > 1 else np.nan
    # d = 0: every residual column is a score of its own; d > 0: scores combine with weights s
    columns = [res[:, j] for j in range(res.shape[1])] if d == 0 else \
        [res[:, : d + 1] @ np.asarray(s, dtype=float).reshape(-1)[: d + 1]]
    M = np.zeros((k, k))
    for r in columns:
        S = np.column_stack([np.bincount(codes, weights=RX[:, j] * r, minlength=g) for j in range(k)])
        M += S.T @ S
    return w * M


@contextlib.contextmanager
def _vectorised_cr1():
    """rdrobust with :func:`_cr1_meat` in place of its per-cluster loop, for the ``with`` block.

    Only for the pinned release :data:`RDROBUST_VERSION`: the swap relies on an internal function
    of rdrobust (``funs.rdrobust_vce``, its signature and CR1 formula), so another release keeps its
    own (slower, equally correct) code. ``test_estimate_interval_and_bandwidth_are_rdrobusts``
    compares the swapped fit with rdrobust's own.
    """
    import sys
    from importlib.metadata import version

    funs, main = sys.modules["rdrobust.funs"], sys.modules["rdrobust.rdrobust"]
    original = funs.rdrobust_vce
    if getattr(original, "_kpz_vectorised", False) or version("rdrobust") != RDROBUST_VERSION:
        yield  # already inside (nested call), or a release this swap was not checked against
        return

    def patched(*args, **kwargs):
        return _cr1_meat(*args, _original=original, **kwargs)

    patched._kpz_vectorised = True
    funs.rdrobust_vce = main.rdrobust_vce = patched
    try:
        yield
    finally:
        funs.rdrobust_vce = main.rdrobust_vce = original


def _run_rdrobust(d: _Data, o: _Options):
    """Call rdrobust with every option explicit; return (result, printed lines, warning texts)."""
    from rdrobust import rdrobust  # deferred: importing rdrobust pulls in plotnine/matplotlib

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as caught, \
            _vectorised_cr1():
        warnings.simplefilter("always")
        result = rdrobust(
            d.y,
            d.x,
            c=o.cutoff,
            p=o.p,
            q=o.q,
            deriv=0,
            kernel=KERNELS[o.kernel],
            bwselect=o.bwselect,
            vce="cr1",
            cluster=d.person,
            level=100.0 * (1.0 - o.alpha),
            masspoints="adjust",
            bwcheck=MASSPOINT_BWCHECK,
            bwrestrict=True,
            stdvars=True,
        )
    lines = [line.strip() for line in printed.getvalue().splitlines() if line.strip()]
    return result, lines, [str(w.message) for w in caught]


def _notes_from_rdrobust(lines: list[str], warned: list[str]) -> list[str]:
    notes = []
    for line in lines:
        # Expected for a monthly running variable and handled by masspoints="adjust".
        if line.startswith("Mass points detected") or line.startswith("Try using option masspoints"):
            continue
        notes.append(f"rdrobust: {line}")
    for text in warned:
        notes.append(f"rdrobust warning: {text}")
    return notes


def _fit_one(panel: pd.DataFrame, o: _Options, what: str) -> _Fit:
    d = _prepare(panel, o, what)
    notes = list(d.notes)
    left = d.x < o.cutoff
    y_left, y_right = d.y[left], d.y[~left]
    if np.ptp(y_left) == 0 and np.ptp(y_right) == 0:
        if y_left[0] == y_right[0]:
            why = f"{o.outcome} is {y_left[0]:g} in every row on both sides: no discontinuity to estimate"
        else:
            why = (
                f"{o.outcome} is {y_left[0]:g} in every row before and {y_right[0]:g} in every row after the "
                "cutoff: no variation to fit a local regression or its variance"
            )
        return _Fit(row=_empty_row(o, d, "; ".join(notes + [why])), data=d)

    try:
        res, lines, warned = _run_rdrobust(d, o)
    except Exception as exc:
        # rdrobust raises ValueError, LinAlgError or a bare Exception for data it cannot fit;
        # anything else is a bug and propagates.
        if not (isinstance(exc, (ValueError, ArithmeticError, np.linalg.LinAlgError)) or type(exc) is Exception):
            raise
        why = f"rdrobust could not estimate: {exc}"
        if str(exc).startswith("Not enough") and o.donut == 0:
            why += (" (the selected bandwidth holds too few distinct months; a birthday month unlike both"
                    " neighbours can cause this: see donut=1)")
        return _Fit(row=_empty_row(o, d, "; ".join(notes + [why])), data=d)
    notes += _notes_from_rdrobust(lines, warned)

    h_l, h_r = (float(v) for v in res.bws.iloc[0, :2])
    b_l, b_r = (float(v) for v in res.bws.iloc[1, :2])
    tau_cl = float(res.coef.iloc[0, 0])
    tau_bc = float(res.coef.iloc[1, 0])
    se_cl = float(res.se.iloc[0, 0])
    se_rb = float(res.se.iloc[2, 0])

    side_var, person_var = _robust_variances(d, o.cutoff, h_l, h_r, b_l, b_r, o.p, o.kernel)
    if not math.isclose(math.sqrt(side_var), se_rb, rel_tol=1e-6, abs_tol=1e-12):
        notes.append(
            f"person-level variance computed with formulas that do not reproduce rdrobust "
            f"{_rdrobust_version()} (se {math.sqrt(side_var):.6g} vs {se_rb:.6g}); check the rdrobust pin"
        )
    se = math.sqrt(person_var) if o.variance == "person" else se_rb
    z = stats.norm.ppf(1.0 - o.alpha / 2.0)

    xl, xr = d.x[left], d.x[~left]
    in_h_left = np.abs(xl - o.cutoff) < h_l if o.kernel != "uniform" else np.abs(xl - o.cutoff) <= h_l
    in_h_right = np.abs(xr - o.cutoff) < h_r if o.kernel != "uniform" else np.abs(xr - o.cutoff) <= h_r
    row = _empty_row(o, d, "")
    row.update(
        estimate=tau_cl,
        ci_low=tau_bc - z * se,
        ci_high=tau_bc + z * se,
        std_err=se,
        p_value=float(2.0 * stats.norm.sf(abs(tau_bc / se))) if se > 0 else np.nan,
        estimate_bias_corrected=tau_bc,
        std_err_conventional=se_cl,
        std_err_rdrobust=se_rb,
        bandwidth_months=h_l if h_l == h_r else np.nan,
        bandwidth_left_months=h_l,
        bandwidth_right_months=h_r,
        bias_bandwidth_left_months=b_l,
        bias_bandwidth_right_months=b_r,
        n_obs_left=int(in_h_left.sum()),
        n_obs_right=int(in_h_right.sum()),
        n_persons_left=len(np.unique(d.person[left][in_h_left])),
        n_persons_right=len(np.unique(d.person[~left][in_h_right])),
        note="; ".join(notes),
    )
    return _Fit(row=row, data=d, h=(h_l, h_r), b=(b_l, b_r))


def rd_jump(
    panel: pd.DataFrame,
    outcome: str,
    running: str = "event_month",
    cluster: str = "persoon_id",
    cutoff: float = 0.0,
    donut: int = 0,
    p: int = 1,
    kernel: str = "triangular",
    bwselect: str = "mserd",
    alpha: float = 0.05,
    variance: str = "person",
    min_persons: int = MIN_PERSONS,
    max_persons: int | None = None,
    seed: int = 18,
) -> pd.DataFrame:
    """Jump in an outcome at the cutoff by local-polynomial regression discontinuity.

    Estimand
    --------
    The sharp-RD jump ``tau = lim_{x -> c+} E[Y | X = x] - lim_{x -> c-} E[Y | X = x]``: the
    change in the population mean of the outcome (for a 0/1 outcome: the share using care, in
    proportion points) at the cutoff of the running variable ``X`` (event month; ``c = 0`` is
    the 18th-birthday month). Identified if everything else that drives care changes smoothly
    in age across the birthday: no anticipation, no other age-18 change, no selection at 18.

    Procedure
    ---------
    rdrobust (Calonico, Cattaneo & Titiunik 2014) with every option explicit:

    1. A weighted polynomial of order ``p`` (default 1: local-linear) is fitted separately on
       each side, with kernel weights ``K((X - c)/h)`` (triangular: ``1 - |u|`` for ``|u| <= 1``)
       inside the bandwidth ``h``: ``estimate = beta_0,right - beta_0,left`` (the conventional
       estimate).
    2. ``h`` is the MSE-optimal bandwidth (``bwselect="mserd"``: one common ``h`` both sides);
       ``b`` the bias bandwidth for a fit of order ``q = p + 1``. Mass points:
       ``masspoints="adjust"`` with at least 10 distinct months in each preliminary bandwidth
       (see the module docstring).
    3. The leading bias of the conventional estimate is estimated from the order-``q`` fit and
       subtracted (``estimate_bias_corrected``), and its standard error accounts for the
       variability of that correction ("robust"): the interval is
       ``estimate_bias_corrected +/- z_(1-alpha/2) * std_err``. The interval is therefore not
       centred on ``estimate``.
    4. ``std_err`` is cluster-robust (CR1) by person. ``variance="person"`` (default) sums each
       person's robust scores over both sides before squaring::

           V = (n-1)/(n-k) * G/(G-1) * sum_g ( sum_{i in g} a_i e_i )^2

       with ``a_i`` the weight of row ``i`` in the bias-corrected estimator (negative on the
       left), ``e_i`` the residual of the order-``q`` fit, ``k = 2(q + 1)``. ``variance="rdrobust"``
       takes rdrobust's own side-by-side sum, which omits the cross-side products of a person
       who is observed on both sides and so over-states the variance when persons have their
       own level of care (it is reported in ``std_err_rdrobust`` either way).

    The running variable should be the integer event month; the cutoff month counts as after.
    ``donut = d`` drops the rows with ``|X - c| < d`` (``donut=1``: the birthday month only).

    Parameters
    ----------
    panel : DataFrame
        One row per person x event month; persons contribute only the months they are
        observed (censored persons have fewer rows).
    outcome, running, cluster : str
        Column names: the outcome (numeric or boolean), the event month, the person id.
    cutoff : float
        Cutoff of the running variable (default 0: the birthday month).
    donut : int
        Months around the cutoff to leave out (see above).
    p : int
        Order of the local polynomial (1 = local-linear).
    kernel : {"triangular", "epanechnikov", "uniform"}
    bwselect : str
        rdrobust bandwidth selector (default ``"mserd"``).
    alpha : float
        1 - confidence level of the interval.
    variance : {"person", "rdrobust"}
        How the cluster-robust variance treats a person observed on both sides (see above).
    min_persons : int
        Minimum number of persons on each side of the cutoff; fewer raises ``ParameterError``.
    max_persons : int, optional
        Estimate on a seeded random subset of this many whole persons when the panel has more
        (a documented speed-up for very large comparison cohorts; the interval then reflects
        the subsample). Default: all persons.
    seed : int
        Seed for ``max_persons``.

    Returns
    -------
    DataFrame
        One row: ``outcome, estimate, ci_low, ci_high, std_err, p_value,
        estimate_bias_corrected, std_err_conventional, std_err_rdrobust, bandwidth_months``
        (the common ``h``; NaN if the two sides differ), ``bandwidth_left_months,
        bandwidth_right_months, bias_bandwidth_left_months, bias_bandwidth_right_months,
        n_obs_left, n_obs_right`` (person-months with positive weight), ``n_persons`` (in the
        estimation sample), ``n_persons_left, n_persons_right`` (with positive weight),
        ``cutoff, donut_months, alpha, variance, method, note``. An outcome that is constant on
        each side, or that rdrobust cannot fit, gives NaN estimates and the reason in ``note``;
        its counts then describe the whole estimation sample.

    Raises
    ------
    ParameterError
        Unknown column, non-numeric running variable or outcome, missing running variable or
        person id, no observations on one side, fewer than ``min_persons`` persons on a side,
        or an invalid option.
    """
    o = _options(outcome, running, cluster, cutoff, donut, p, kernel, bwselect, alpha, variance,
                 min_persons, max_persons, seed)
    return pd.DataFrame([_fit_one(panel, o, "rd_jump").row], columns=RESULT_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Difference in discontinuities
# ---------------------------------------------------------------------------------------------


def _person_moments(d: _Data, c: float, h: tuple[float, float], b: tuple[float, float], p: int, kernel: str):
    """Per-person kernel moments from which the bias-corrected jump can be recomputed.

    For each side: sums over the person's rows of K_h x^j (j <= 2p+1), K_h x^j y (j <= p),
    K_b x^j (j <= 2q), K_b x^j y (j <= q), with x = (X - c) / scale.
    """
    q = p + 1
    left = d.x < c
    blocks = []
    layout = []
    for mask, hh, bb in ((left, h[0], b[0]), (~left, h[1], b[1])):
        x = d.x[mask] - c
        y = d.y[mask]
        g = d.person[mask]
        scale = max(hh, bb)
        xs = x / scale
        wh = _kernel_weight(x / hh, kernel)
        wb = _kernel_weight(x / bb, kernel)
        cols = []
        for j in range(2 * p + 2):
            cols.append(wh * xs**j)
        for j in range(p + 1):
            cols.append(wh * xs**j * y)
        for j in range(2 * q + 1):
            cols.append(wb * xs**j)
        for j in range(q + 1):
            cols.append(wb * xs**j * y)
        block = np.column_stack([np.bincount(g, weights=col, minlength=d.n_persons) for col in cols])
        layout.append(block.shape[1])
        blocks.append(block)
    return np.hstack(blocks), layout


def _tau_bc_from_moments(m: np.ndarray, p: int) -> np.ndarray:
    """Bias-corrected jump for each row of summed moments (rows = bootstrap replicates)."""
    q = p + 1
    per_side = (2 * p + 2) + (p + 1) + (2 * q + 1) + (q + 1)
    out = []
    for side in range(2):
        s = m[:, side * per_side : (side + 1) * per_side]
        k = 0
        Sh = s[:, k : k + 2 * p + 2]
        k += 2 * p + 2
        Th = s[:, k : k + p + 1]
        k += p + 1
        Sb = s[:, k : k + 2 * q + 1]
        k += 2 * q + 1
        Tb = s[:, k : k + q + 1]
        ip, iq = np.arange(p + 1), np.arange(q + 1)
        Gp = Sh[:, ip[:, None] + ip[None, :]]
        Gq = Sb[:, iq[:, None] + iq[None, :]]
        beta_q = np.linalg.solve(Gq, Tb[..., None])[..., 0]
        L = Sh[:, ip + p + 1]
        rhs = Th - L * beta_q[:, p + 1 : p + 2]
        out.append(np.linalg.solve(Gp, rhs[..., None])[..., 0, 0])
    return out[1] - out[0]


def _bootstrap_tau_bc(fit: _Fit, o: _Options, n_boot: int, rng: np.random.Generator, chunk: int = 100) -> np.ndarray:
    """Bias-corrected jump in n_boot resamples of whole persons, bandwidths held fixed."""
    moments, _ = _person_moments(fit.data, o.cutoff, fit.h, fit.b, o.p, o.kernel)
    n = fit.data.n_persons
    draws = []
    done = 0
    while done < n_boot:
        k = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(k, n)) + (np.arange(k) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=k * n).reshape(k, n).astype(float)
        draws.append(_tau_bc_from_moments(counts @ moments, o.p))
        done += k
    return np.concatenate(draws)


def _difference_row(ra: dict, rb: dict, outcome: str, cutoff: float, donut: int, alpha: float,
                    variance: str, interval: str, n_boot: int, method: str,
                    estimable: tuple[bool, bool]) -> tuple[dict, list[str]]:
    """The difference row of two rd_jump rows, with the analytic interval (see rd_difference)."""
    notes = [f"{label}: {r['note']}" for label, r in (("A", ra), ("B", rb)) if r["note"]]
    row = {
        "outcome": outcome,
        "estimate": ra["estimate"] - rb["estimate"],
        "ci_low": np.nan,
        "ci_high": np.nan,
        "std_err": np.nan,
        "p_value": np.nan,
        "estimate_bias_corrected": ra["estimate_bias_corrected"] - rb["estimate_bias_corrected"],
        "estimate_a": ra["estimate"],
        "estimate_b": rb["estimate"],
        "std_err_a": ra["std_err"],
        "std_err_b": rb["std_err"],
        "bandwidth_months_a": ra["bandwidth_months"],
        "bandwidth_months_b": rb["bandwidth_months"],
        "n_obs_left": ra["n_obs_left"] + rb["n_obs_left"],
        "n_obs_right": ra["n_obs_right"] + rb["n_obs_right"],
        "n_persons": ra["n_persons"] + rb["n_persons"],
        "n_persons_a": ra["n_persons"],
        "n_persons_b": rb["n_persons"],
        "cutoff": cutoff,
        "donut_months": donut,
        "alpha": alpha,
        "variance": variance,
        "interval": interval,
        "n_boot": n_boot,
        "method": f"difference of two independent RD estimates (A - B); {interval} interval; each: {method}",
        "note": "",
    }
    if not all(estimable):
        notes.append("difference not estimated: the jump in " + " and ".join(
            lab for lab, ok in (("A", estimable[0]), ("B", estimable[1])) if not ok) + " could not be estimated")
    elif interval == "analytic":
        z = stats.norm.ppf(1.0 - alpha / 2.0)
        se = math.sqrt(ra["std_err"] ** 2 + rb["std_err"] ** 2)
        centre = row["estimate_bias_corrected"]
        row.update(ci_low=centre - z * se, ci_high=centre + z * se, std_err=se,
                   p_value=float(2.0 * stats.norm.sf(abs(centre / se))) if se > 0 else np.nan)
    row["note"] = "; ".join(notes)
    return row, notes


def difference_of_jumps(jump_a: pd.DataFrame, jump_b: pd.DataFrame) -> pd.DataFrame:
    """The difference in discontinuities from two :func:`rd_jump` results already fitted.

    The same estimate and analytic interval as ``rd_difference(..., interval="analytic")``
    (``[tau_bc,A - tau_bc,B] +/- z sqrt(se_A^2 + se_B^2)``) without fitting the two cohorts
    again; both jumps must come from disjoint cohorts and the same options (cutoff, donut,
    alpha, variance), which is checked.
    """
    ra, rb = jump_a.iloc[0].to_dict(), jump_b.iloc[0].to_dict()
    for key in ("cutoff", "donut_months", "alpha", "variance", "outcome"):
        if ra[key] != rb[key]:
            raise ParameterError(f"difference_of_jumps: the two jumps differ in {key} ({ra[key]!r} vs {rb[key]!r})")
    estimable = (bool(np.isfinite(ra["std_err"])), bool(np.isfinite(rb["std_err"])))
    row, _ = _difference_row(ra, rb, ra["outcome"], ra["cutoff"], int(ra["donut_months"]), ra["alpha"],
                             ra["variance"], "analytic", 0, ra["method"], estimable)
    return pd.DataFrame([row])


def rd_difference(
    panel_a: pd.DataFrame,
    panel_b: pd.DataFrame,
    outcome: str,
    running: str = "event_month",
    cluster: str = "persoon_id",
    cutoff: float = 0.0,
    donut: int = 0,
    p: int = 1,
    kernel: str = "triangular",
    bwselect: str = "mserd",
    alpha: float = 0.05,
    variance: str = "person",
    interval: str = "analytic",
    n_boot: int = 999,
    seed: int = 18,
    min_persons: int = MIN_PERSONS,
    max_persons: int | None = None,
) -> pd.DataFrame:
    """Difference in discontinuities at the cutoff between two disjoint cohorts.

    Estimand
    --------
    ``tau_A - tau_B``: the jump at 18 in cohort A (young people with an LLC) minus the jump in
    cohort B (comparison cohort without an LLC), each as in :func:`rd_jump`. The comparison
    jump carries what happens to everyone at 18 (a general age-18 effect, e.g. the Zvw
    deductible); the difference is what is specific to the LLC cohort, under the assumption
    that the general effect is the same in both cohorts.

    Procedure
    ---------
    Each cohort is estimated by :func:`rd_jump` with its own MSE-optimal bandwidth.
    ``estimate = estimate_a - estimate_b`` (conventional). The two cohorts are disjoint sets of
    persons, hence independent, so with ``interval="analytic"`` (default)::

        [tau_bc,A - tau_bc,B] +/- z_(1-alpha/2) * sqrt(se_A^2 + se_B^2)

    with the robust bias-corrected estimates and standard errors of each cohort: the
    difference of two independent, asymptotically normal robust t-statistics' numerators.
    With ``interval="bootstrap"``, whole persons are resampled with replacement within each
    cohort ``n_boot`` times, bandwidths held at their estimated values, and the bias-corrected
    difference recomputed; ``std_err`` is the bootstrap standard deviation, the interval the
    percentile interval and ``p_value`` the normal approximation with that standard error. It needs no variance formula and agrees with the analytic interval in
    the validation (see ``tests/test_discontinuity.py``); the analytic interval is the default
    because it is deterministic and cheaper.

    Parameters
    ----------
    panel_a, panel_b : DataFrame
        Panels of cohort A (LLC) and cohort B (comparison); no person may be in both.
    interval : {"analytic", "bootstrap"}
    n_boot : int
        Bootstrap replicates (``interval="bootstrap"``).
    seed : int
        Seed of the bootstrap and of ``max_persons`` subsampling.
    Other parameters
        As :func:`rd_jump`, applied to both cohorts.

    Returns
    -------
    DataFrame
        One row: ``outcome, estimate, ci_low, ci_high, std_err, p_value,
        estimate_bias_corrected, estimate_a, estimate_b, std_err_a, std_err_b,
        bandwidth_months_a, bandwidth_months_b, n_obs_left, n_obs_right, n_persons,
        n_persons_a, n_persons_b`` (counts are sums over the two cohorts), ``cutoff,
        donut_months, alpha, variance, interval, n_boot, method, note``. If either cohort's jump
        cannot be estimated the difference is NaN and ``note`` says why.

    Raises
    ------
    ParameterError
        As :func:`rd_jump` (naming the cohort), an unknown ``interval``, ``n_boot`` below 99, or
        persons that are in both cohorts.
    """
    o = _options(outcome, running, cluster, cutoff, donut, p, kernel, bwselect, alpha, variance,
                 min_persons, max_persons, seed)
    _check_choice(interval, "interval", INTERVALS)
    if interval == "bootstrap":
        n_boot = _check_int(n_boot, "n_boot", 99)
    for label, panel in (("panel_a", panel_a), ("panel_b", panel_b)):
        if not isinstance(panel, pd.DataFrame):
            raise ParameterError(f"rd_difference: {label} must be a pandas DataFrame, got {type(panel).__name__}")
        if cluster not in panel.columns:
            raise ParameterError(f"rd_difference ({label}): cluster column {cluster!r} not in panel")
    shared = np.intersect1d(panel_a[cluster].dropna().unique(), panel_b[cluster].dropna().unique())
    if len(shared):
        raise ParameterError(
            f"rd_difference: {len(shared)} person(s) ({cluster}) are in both cohorts, e.g. {shared[0]!r}; "
            "the cohorts must be disjoint"
        )
    fit_a = _fit_one(panel_a, o, "rd_difference (panel_a)")
    fit_b = _fit_one(panel_b, o, "rd_difference (panel_b)")
    ra, rb = fit_a.row, fit_b.row

    row, _ = _difference_row(ra, rb, outcome, o.cutoff, o.donut, o.alpha, o.variance, interval,
                                 n_boot if interval == "bootstrap" else 0, _method(o),
                                 estimable=(fit_a.h is not None, fit_b.h is not None))
    if interval == "bootstrap" and fit_a.h is not None and fit_b.h is not None:
        rng = np.random.default_rng(o.seed)
        draws = _bootstrap_tau_bc(fit_a, o, n_boot, rng) - _bootstrap_tau_bc(fit_b, o, n_boot, rng)
        low, high = np.quantile(draws, [o.alpha / 2.0, 1.0 - o.alpha / 2.0])
        se = float(np.std(draws, ddof=1))
        centre = row["estimate_bias_corrected"]
        row.update(ci_low=float(low), ci_high=float(high), std_err=se,
                   p_value=float(2.0 * stats.norm.sf(abs(centre / se))) if se > 0 else np.nan)
    return pd.DataFrame([row])
