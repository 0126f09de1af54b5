"""Planted truth per LLC person-year: who counts, capture pattern, phase.

Counting convention (shared with the prevalence code): a person counts in year Y when they
have the LLC (onset on or before that day) on at least one day of Y on which they are alive
and insured. Their age in Y is the completed years on 1 July of Y (15th-of-birth-month rule,
floored at 0).

Capture and phase (``parameters`` module docstring):

1. The *base* sources — ``hospital_llc_code``, ``ikz_mkv`` (only on days before the 18th
   birthday) and ``wlz_severe`` — exist in every year. Their pattern follows the log-linear
   model ``P(x) ∝ exp(Σ u_j x_j + Σ u_jk x_j x_k)`` over the base sources of the age stratum.
   It does not depend on whether the 2023 source exists.
2. The phase is drawn given the base pattern: ``logit P(non-stable) = a + Σ w_j x_j``, with
   ``a`` solved per age stratum (and per year in the ``time_varying`` scenario) so that the
   expected non-stable share is ``NONSTABLE_SHARE``.
3. From 2023, ``palliative_activity`` is drawn given the base pattern *and* the phase:
   ``logit P = c_b + γ · non-stable`` with γ = ``PALLIATIVE_PHASE_LOG_OR`` and ``c_b`` solved
   per base pattern ``b`` so that, averaged over the phase, ``P(pall | b) = logistic(u_p +
   Σ_j u_pj x_j)``. The joint distribution of the four flags is therefore the base model times
   a logistic term in the (at most two) base sources the palliative source interacts with,
   which is again a pairwise log-linear model: capture-recapture with two-way interactions is
   correctly specified in the ``base`` scenario, before and after 2023.

Scenarios (``parameters.CAPTURE_SCENARIOS``): ``heterogeneous`` adds a lasting person-level
offset to the log odds of every source (a mixture of two log-linear models: not pairwise
log-linear), ``time_varying`` lets one source's main effect drift with the calendar year.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import parameters as P
from .population import Persons, age_1july, birthday, day

SOURCES = P.SOURCES
HOSP, PALL, IKZ, WLZ = range(4)
BASE_WEIGHTS = np.array([P.PHASE_WEIGHTS.get(s, 0.0) for s in SOURCES])


def available_sources(post2023: bool, under18: bool) -> tuple[int, ...]:
    """Indices of the sources that exist in a stratum."""
    out = [HOSP]
    if post2023:
        out.append(PALL)
    if under18:
        out.append(IKZ)
    out.append(WLZ)
    return tuple(out)


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _offsets(scenario: str, klass: int, year: int) -> np.ndarray:
    """Offset on the log odds of each source (SOURCES order) for a visibility class and year."""
    off = np.zeros(4)
    if scenario == "heterogeneous":
        share, high = P.HETEROGENEITY["share"], P.HETEROGENEITY["log_odds_high"]
        off += high if klass == 1 else high * share / (share - 1.0)
    elif scenario == "time_varying":
        j = SOURCES.index(P.TIME_VARYING["source"])
        off[j] += P.TIME_VARYING["log_odds_per_year"] * (year - P.TIME_VARYING["centre_year"])
    return off


def _pair(a: int, b: int) -> float:
    key = (SOURCES[a], SOURCES[b]) if (SOURCES[a], SOURCES[b]) in P.LOGLINEAR_PAIRS else (SOURCES[b], SOURCES[a])
    return float(P.LOGLINEAR_PAIRS.get(key, 0.0))


def base_patterns(under18: bool, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Patterns over the base sources of an age stratum (rows of 4 flags, PALL = 0), probabilities.

    P(x) ∝ exp(Σ (u_j + offset_j) x_j + Σ_{j<k} u_jk x_j x_k) over the base sources present.
    """
    offsets = np.zeros(4) if offsets is None else offsets
    avail = [j for j in available_sources(False, under18)]
    patterns, weights = [], []
    for bits in itertools.product((0, 1), repeat=len(avail)):
        x = np.zeros(4, dtype=np.int8)
        x[avail] = bits
        eta = sum((P.LOGLINEAR_MAIN[SOURCES[j]] + offsets[j]) * x[j] for j in avail)
        eta += sum(_pair(a, b) * x[a] * x[b] for a, b in itertools.combinations(avail, 2))
        patterns.append(x)
        weights.append(np.exp(eta))
    w = np.array(weights)
    return np.array(patterns), w / w.sum()


def palliative_logit(patterns: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Log odds of a palliative activity given base patterns (averaged over the phase)."""
    offsets = np.zeros(4) if offsets is None else offsets
    eta = np.full(len(patterns), P.LOGLINEAR_MAIN[SOURCES[PALL]] + offsets[PALL])
    for j in (HOSP, IKZ, WLZ):
        eta = eta + _pair(PALL, j) * patterns[:, j]
    return eta


def _solve_intercept(target: float, prob: np.ndarray, k: np.ndarray) -> float:
    """a with Σ prob · logistic(a + k) = target (bisection)."""
    lo, hi = -15.0, 15.0
    for _ in range(80):
        mid = (lo + hi) / 2
        share = float((prob * _logistic(mid + k)).sum())
        lo, hi = (mid, hi) if share < target else (lo, mid)
    return (lo + hi) / 2


def _solve_palliative_c(q: np.ndarray, pi: np.ndarray, gamma: float) -> np.ndarray:
    """c_b with pi_b·logistic(c_b + γ) + (1 − pi_b)·logistic(c_b) = q_b (vectorised bisection)."""
    lo, hi = np.full(len(q), -30.0), np.full(len(q), 30.0)
    for _ in range(100):
        mid = (lo + hi) / 2
        val = pi * _logistic(mid + gamma) + (1 - pi) * _logistic(mid)
        low = val < q
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return (lo + hi) / 2


@dataclass(frozen=True)
class CaptureTable:
    """Everything needed to draw capture and phase for one (scenario, age stratum, class, year)."""

    patterns: np.ndarray  # base patterns (rows of 4 flags, PALL = 0)
    prob: np.ndarray  # their probabilities
    phase_logit: np.ndarray  # a + w·x per base pattern
    pall_c: np.ndarray  # c_b per base pattern (palliative activity | base, phase)


@lru_cache(maxsize=None)
def capture_table(scenario: str, under18: bool, klass: int, year: int) -> CaptureTable:
    """The capture/phase table of a stratum; ``klass`` and ``year`` matter only in their scenario."""
    patterns, prob = base_patterns(under18, _offsets(scenario, klass, year))
    a = phase_intercept(scenario, under18, year)
    k = patterns @ BASE_WEIGHTS
    pi = _logistic(a + k)
    q = _logistic(palliative_logit(patterns, _offsets(scenario, klass, year)))
    c = _solve_palliative_c(q, pi, P.PALLIATIVE_PHASE_LOG_OR)
    return CaptureTable(patterns, prob, a + k, c)


@lru_cache(maxsize=None)
def phase_intercept(scenario: str, under18: bool, year: int) -> float:
    """Intercept a with E[logistic(a + w·x)] = NONSTABLE_SHARE over the stratum's base patterns.

    In the ``heterogeneous`` scenario the expectation is over the mixture of the two visibility
    classes; in ``time_varying`` it is solved per calendar year, so the planted need does not
    follow the drifting capture.
    """
    if scenario == "heterogeneous":
        share = P.HETEROGENEITY["share"]
        parts = [base_patterns(under18, _offsets(scenario, c, year)) for c in (0, 1)]
        patterns = np.vstack([parts[0][0], parts[1][0]])
        prob = np.concatenate([(1 - share) * parts[0][1], share * parts[1][1]])
    else:
        patterns, prob = base_patterns(under18, _offsets(scenario, 0, year))
    return _solve_intercept(P.NONSTABLE_SHARE, prob, patterns @ BASE_WEIGHTS)


def pattern_probabilities(post2023: bool, under18: bool, scenario: str = "base", klass: int = 0,
                          year: int = P.TIME_VARYING["centre_year"]) -> tuple[np.ndarray, np.ndarray]:
    """All capture patterns of a stratum (rows of 4 flags) and their probabilities.

    Base patterns times P(palliative activity | base pattern) from 2023; absent sources are 0.
    """
    t = capture_table(scenario, under18, klass, year)
    if not post2023:
        return t.patterns, t.prob
    q = _logistic(palliative_logit(t.patterns, _offsets(scenario, klass, year)))
    with_pall = t.patterns.copy()
    with_pall[:, PALL] = 1
    return np.vstack([t.patterns, with_pall]), np.concatenate([t.prob * (1 - q), t.prob * q])


#: Base scenario: (post2023, under18) -> ((patterns, probabilities), phase intercept).
STRATA = {(a, b): (pattern_probabilities(a, b), phase_intercept("base", b, P.TIME_VARYING["centre_year"]))
          for a in (False, True) for b in (False, True)}


@dataclass
class LlcYears:
    """One row per LLC person-year that counts (convention above)."""

    person: np.ndarray  # local index into the chunk's Persons
    year: np.ndarray
    start: np.ndarray  # first LLC day alive and insured in the year
    end: np.ndarray  # last such day
    ikz_end: np.ndarray  # last such day before the 18th birthday (< start: none)
    age: np.ndarray  # age on 1 July
    post2023: np.ndarray
    under18: np.ndarray
    captured: np.ndarray  # (n, 4) int8 flags in SOURCES order
    phase: np.ndarray  # index into PHASES


def llc_years(rng: np.random.Generator, persons: Persons, years: tuple[int, int],
              scenario: str = "base") -> LlcYears:
    """Draw capture patterns and phases for every counting LLC person-year of the chunk."""
    if scenario not in P.CAPTURE_SCENARIOS:
        raise ValueError(f"unknown capture scenario {scenario!r}")
    idx = np.flatnonzero(persons.llc)
    bm = persons.birth_month[idx]
    b18 = birthday(bm, 18)
    rows = {k: [] for k in ("person", "year", "start", "end", "ikz_end", "age")}
    for y in range(years[0], years[1] + 1):
        start = np.maximum.reduce([persons.onset[idx], persons.ins_start[idx], np.full(len(idx), day(y))])
        end = np.minimum(persons.ins_end[idx], day(y, 12, 31))
        ok = start <= end
        rows["person"].append(idx[ok])
        rows["year"].append(np.full(ok.sum(), y))
        rows["start"].append(start[ok])
        rows["end"].append(end[ok])
        rows["ikz_end"].append(np.minimum(end[ok], b18[ok] - 1))
        rows["age"].append(age_1july(bm[ok], y))
    r = {k: np.concatenate(v).astype(np.int64) for k, v in rows.items()}
    n = len(r["person"])
    post = r["year"] >= P.PALLIATIVE_FROM_YEAR
    under = r["ikz_end"] >= r["start"]
    # lasting visibility class per person (heterogeneous scenario only)
    visible = rng.random(len(persons.index)) < P.HETEROGENEITY["share"]
    klass = np.where(scenario == "heterogeneous", visible[r["person"]], False).astype(np.int64)
    year_key = r["year"] if scenario == "time_varying" else np.full(n, P.TIME_VARYING["centre_year"])
    groups: dict[tuple, np.ndarray] = {}
    for key in set(zip(under.tolist(), klass.tolist(), year_key.tolist())):
        groups[key] = np.flatnonzero((under == key[0]) & (klass == key[1]) & (year_key == key[2]))
    captured = np.zeros((n, 4), dtype=np.int8)
    u = rng.random(n)
    for (b, c, y), sel in groups.items():
        t = capture_table(scenario, b, c, y)
        pick = np.minimum(np.searchsorted(np.cumsum(t.prob), u[sel]), len(t.prob) - 1)
        captured[sel] = t.patterns[pick]
    # Persistence: keep last year's base pattern when the age stratum did not change. Rows are
    # in year order, so each year's reuse sees the (possibly reused) previous year.
    keep = rng.random(n) < P.CAPTURE_PERSISTENCE
    order = np.lexsort((r["year"], r["person"]))
    prev_same = np.zeros(n, dtype=bool)
    prev_row = np.full(n, -1)
    same_person = r["person"][order][1:] == r["person"][order][:-1]
    consecutive = r["year"][order][1:] == r["year"][order][:-1] + 1
    same_stratum = under[order][1:] == under[order][:-1]
    link = same_person & consecutive & same_stratum
    prev_row[order[1:][link]] = order[:-1][link]
    prev_same[order[1:][link]] = True
    for y in range(years[0] + 1, years[1] + 1):
        sel = np.flatnonzero((r["year"] == y) & prev_same & keep)
        captured[sel] = captured[prev_row[sel]]
    # Phase given the base pattern; then the palliative activity given base pattern and phase.
    code = captured[:, HOSP] * 4 + captured[:, IKZ] * 2 + captured[:, WLZ]
    phase_logit = np.empty(n)
    pall_c = np.empty(n)
    for (b, c, y), sel in groups.items():
        t = capture_table(scenario, b, c, y)
        tcode = t.patterns[:, HOSP] * 4 + t.patterns[:, IKZ] * 2 + t.patterns[:, WLZ]
        pos = np.searchsorted(tcode, code[sel], sorter=np.argsort(tcode))
        at = np.argsort(tcode)[pos]
        phase_logit[sel] = t.phase_logit[at]
        pall_c[sel] = t.pall_c[at]
    nonstable = rng.random(n) < _logistic(phase_logit)
    pall = post & (rng.random(n) < _logistic(pall_c + P.PALLIATIVE_PHASE_LOG_OR * nonstable))
    captured[:, PALL] = pall.astype(np.int8)
    deteriorating = rng.random(n) < P.DETERIORATING_SHARE
    phase = np.where(nonstable, np.where(deteriorating, 2, 1), 0)
    p = r["person"]
    # the year of death while insured (the insured period ends on the day of death)
    dies = persons.died_insured[p] & (persons.death[p] == r["end"])
    phase = np.where(dies, 3, phase)
    return LlcYears(p, r["year"], r["start"], r["end"], r["ikz_end"], r["age"], post, under,
                    captured, phase.astype(np.int8))
