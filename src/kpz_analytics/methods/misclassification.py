"""Counts corrected for misclassification, with intervals that carry the accuracy's uncertainty.

Estimand
--------
T, the true number of persons with a state (for example children who need palliative care in
a year), of whom a case definition flags F. The definition is imperfect: a flagged person is
truly in the state with probability PPV (positive predictive value), and a person truly in
the state is flagged with probability Se (sensitivity, relative to *everyone* in the state,
including persons the data never see). Then

    E[true positives | F] = F · PPV,        T = TP + FN,        E[TP | T] = T · Se,

and the plug-in (Rogan–Gladen-type) estimate is

    T̂ = F · PPV / Se.

Uncertainty
-----------
PPV and Se are estimated from a validation sample (chart review, a linked register, or
replications on synthetic data with planted truth): ``a`` of ``n`` flagged persons truly in
the state gives PPV; ``b`` of ``m`` persons truly in the state flagged gives Se. The interval
propagates three sources of uncertainty by Monte Carlo (``n_draws`` draws, fixed seed):

1. the accuracy parameters: PPV* ~ Beta(a + ½, n − a + ½), Se* ~ Beta(b + ½, m − b + ½)
   (Jeffreys posteriors; one draw per parameter, shared by every count it applies to, so
   differences between years that use the same parameters are not blurred by it);
2. which flagged persons are true positives: TP* ~ Binomial(F, PPV*);
3. how many persons in the state the definition missed: FN* ~ NegativeBinomial(TP*, Se*)
   (failures before TP* successes), the posterior of T − TP given TP under the scale-invariant
   prior p(T) ∝ 1/T.

T* = TP* + FN*; the interval is the (α/2, 1 − α/2) quantiles of T*. The interval targets
the *realised* number in the state in that year (what a register would count), not an
expected value. When F = 0, TP* = 0 and the upper bound is the largest T with
P(0 flagged | T, Se) ≥ α/2, i.e. log(α/2) / log(1 − Se), at the upper Se bound.

Differences between two counts (e.g. the change from 2022 to 2023) use the same draws:
(T*_2 − T*_1) quantiles.

References: Rogan WJ, Gladen B (1978) Estimating prevalence from the results of a screening
test. Am J Epidemiol 107:71–76; Lash TL, Fox MP, Fink AK (2009) Applying quantitative bias
analysis to epidemiologic data (probabilistic bias analysis by Monte Carlo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError

#: Jeffreys prior for the Beta posteriors of PPV and sensitivity.
PRIOR = (0.5, 0.5)


@dataclass(frozen=True)
class Proportion:
    """A proportion estimated as ``numerator`` of ``denominator`` (e.g. 61 of 80 confirmed)."""

    numerator: float
    denominator: float

    def __post_init__(self):
        if not (self.denominator > 0 and 0 <= self.numerator <= self.denominator):
            raise ParameterError(
                f"a proportion needs 0 <= numerator <= denominator and denominator > 0, "
                f"got {self.numerator} of {self.denominator}")

    @property
    def estimate(self) -> float:
        return float(self.numerator) / float(self.denominator)

    def draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draws from the Jeffreys Beta posterior Beta(numerator + ½, denominator − numerator + ½)."""
        return rng.beta(self.numerator + PRIOR[0], self.denominator - self.numerator + PRIOR[1], n)


@dataclass
class CorrectedCounts:
    """Result of :func:`correct_counts`: one row per count, and the Monte Carlo draws.

    ``table`` columns: ``flagged, ppv, sensitivity, estimate, ci_low, ci_high`` (plus any
    columns passed in ``labels``); ``draws`` has shape (n_draws, n_counts) and serves
    :meth:`difference`.
    """

    table: pd.DataFrame
    draws: np.ndarray
    alpha: float

    def difference(self, first: int, second: int) -> tuple[float, float, float]:
        """Estimate and interval of count[second] − count[first] (row positions), same draws."""
        d = self.draws[:, second] - self.draws[:, first]
        est = float(self.table["estimate"].iloc[second] - self.table["estimate"].iloc[first])
        lo, hi = np.quantile(d, [self.alpha / 2, 1 - self.alpha / 2])
        return est, float(lo), float(hi)


def correct_counts(flagged, ppv: list[Proportion], sensitivity: list[Proportion], *,
                   alpha: float = 0.05, n_draws: int = 20_000, seed: int = 20_230_101,
                   labels: pd.DataFrame | None = None) -> CorrectedCounts:
    """Correct counts of flagged persons for misclassification (module docstring).

    Parameters
    ----------
    flagged : sequence of int
        Flagged persons per count (e.g. per year).
    ppv, sensitivity : sequence of :class:`Proportion`, one per count
        The accuracy that applies to each count. Counts that share an equal Proportion share
        its draws (one parameter, not independent copies).
    alpha : float
        The intervals have level 1 − alpha.
    n_draws : int
        Monte Carlo draws (20,000: the quantiles are stable to well under 1 % of the width).
    seed : int
        Seed of the draws, so results are reproducible.
    labels : DataFrame, optional
        Columns to put in front of the result table (one row per count).

    Returns
    -------
    CorrectedCounts
        ``estimate`` = F · PPV / Se with PPV and Se the point estimates; ``ci_low``,
        ``ci_high`` the Monte Carlo quantiles of T*.
    """
    flagged = np.asarray(flagged, dtype=np.int64)
    if flagged.ndim != 1 or (flagged < 0).any():
        raise ParameterError("flagged must be a list of non-negative whole counts")
    if not (len(ppv) == len(sensitivity) == len(flagged)):
        raise ParameterError(f"need one ppv and one sensitivity per count: got {len(flagged)} counts, "
                             f"{len(ppv)} ppv, {len(sensitivity)} sensitivity")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha}")
    if n_draws < 1000:
        raise ParameterError(f"n_draws must be at least 1000, got {n_draws}")
    rng = np.random.default_rng(seed)
    cache: dict[Proportion, np.ndarray] = {}

    def draws_of(p: Proportion) -> np.ndarray:
        if p not in cache:
            cache[p] = p.draws(rng, n_draws)
        return cache[p]

    out = np.empty((n_draws, len(flagged)))
    rows = []
    for i, (f, pv, se) in enumerate(zip(flagged, ppv, sensitivity)):
        ppv_d, se_d = draws_of(pv), draws_of(se)
        tp = rng.binomial(f, ppv_d)
        fn = np.zeros(n_draws)
        pos = tp > 0
        fn[pos] = rng.negative_binomial(tp[pos], se_d[pos])
        out[:, i] = tp + fn
        est = f * pv.estimate / se.estimate if se.estimate > 0 else np.nan
        if f == 0:
            se_low = float(np.quantile(se_d, alpha / 2))
            hi = float(np.floor(np.log(alpha / 2) / np.log1p(-se_low))) if se_low > 0 else np.inf
            lo = 0.0
            out[:, i] = 0.0
        else:
            lo, hi = (float(x) for x in np.quantile(out[:, i], [alpha / 2, 1 - alpha / 2]))
        rows.append(dict(flagged=int(f), ppv=pv.estimate, ppv_numerator=pv.numerator,
                         ppv_denominator=pv.denominator, sensitivity=se.estimate,
                         sensitivity_numerator=se.numerator, sensitivity_denominator=se.denominator,
                         estimate=est, ci_low=lo, ci_high=hi))
    table = pd.DataFrame(rows)
    if labels is not None:
        table = pd.concat([labels.reset_index(drop=True), table], axis=1)
    return CorrectedCounts(table=table, draws=out, alpha=alpha)
