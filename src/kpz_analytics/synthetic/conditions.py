"""Planted truth per LLC person-year: who counts, capture pattern, phase.

Counting convention (shared with the prevalence code): a person counts in year Y when they
have the LLC (onset on or before that day) on at least one day of Y on which they are alive
and insured. Their age in Y is the completed years on 1 July of Y (15th-of-birth-month rule,
floored at 0).

Capture patterns come from a log-linear model with main effects and pairwise interactions
(``parameters.LOGLINEAR_*``); a source that does not exist in a stratum (palliative activity
before 2023, IKZ/MKV from 18) is simply absent. The *phase* is drawn given the pattern.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from . import parameters as P
from .population import Persons, age_1july, birthday, day

SOURCES = P.SOURCES
HOSP, PALL, IKZ, WLZ = range(4)


def available_sources(post2023: bool, under18: bool) -> tuple[int, ...]:
    """Indices of the sources that exist in a stratum."""
    out = [HOSP]
    if post2023:
        out.append(PALL)
    if under18:
        out.append(IKZ)
    out.append(WLZ)
    return tuple(out)


def pattern_probabilities(post2023: bool, under18: bool) -> tuple[np.ndarray, np.ndarray]:
    """All capture patterns of a stratum (rows of 4 flags) and their model probabilities.

    P(x) is proportional to exp(sum_j u_j x_j + sum_{j<k} u_jk x_j x_k) over the sources
    available in the stratum; absent sources are 0 in every pattern.
    """
    avail = available_sources(post2023, under18)
    patterns = []
    weights = []
    for bits in itertools.product((0, 1), repeat=len(avail)):
        x = np.zeros(4, dtype=np.int8)
        x[list(avail)] = bits
        eta = sum(P.LOGLINEAR_MAIN[SOURCES[j]] * x[j] for j in range(4))
        for (a, b), u in P.LOGLINEAR_PAIRS.items():
            eta += u * x[SOURCES.index(a)] * x[SOURCES.index(b)]
        patterns.append(x)
        weights.append(np.exp(eta))
    w = np.array(weights)
    return np.array(patterns), w / w.sum()


def phase_intercept(post2023: bool, under18: bool) -> float:
    """Intercept a with E[logistic(a + w.x)] = NONSTABLE_SHARE under the stratum's patterns."""
    patterns, prob = pattern_probabilities(post2023, under18)
    k = patterns @ WEIGHTS
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        share = float((prob / (1 + np.exp(-(mid + k)))).sum())
        lo, hi = (mid, hi) if share < P.NONSTABLE_SHARE else (lo, mid)
    return (lo + hi) / 2


WEIGHTS = np.array([P.PHASE_WEIGHTS[s] for s in SOURCES])
STRATA = {(a, b): (pattern_probabilities(a, b), phase_intercept(a, b))
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


def llc_years(rng: np.random.Generator, persons: Persons, years: tuple[int, int]) -> LlcYears:
    """Draw capture patterns and phases for every counting LLC person-year of the chunk."""
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
    captured = np.zeros((n, 4), dtype=np.int8)
    u = rng.random(n)
    for (a, b), ((patterns, prob), _) in STRATA.items():
        sel = (post == a) & (under == b)
        pick = np.minimum(np.searchsorted(np.cumsum(prob), u[sel]), len(prob) - 1)
        captured[sel] = patterns[pick]
    # Persistence: keep last year's pattern when the stratum did not change. Rows are in year
    # order, so each year's reuse sees the (possibly reused) previous year.
    keep = rng.random(n) < P.CAPTURE_PERSISTENCE
    stratum = post.astype(np.int8) * 2 + under
    order = np.lexsort((r["year"], r["person"]))
    prev_same = np.zeros(n, dtype=bool)
    prev_row = np.full(n, -1)
    same_person = r["person"][order][1:] == r["person"][order][:-1]
    consecutive = r["year"][order][1:] == r["year"][order][:-1] + 1
    same_stratum = stratum[order][1:] == stratum[order][:-1]
    link = same_person & consecutive & same_stratum
    prev_row[order[1:][link]] = order[:-1][link]
    prev_same[order[1:][link]] = True
    for y in range(years[0] + 1, years[1] + 1):
        sel = np.flatnonzero((r["year"] == y) & prev_same & keep)
        captured[sel] = captured[prev_row[sel]]
    # Phase given the pattern; the year of death is the dying phase.
    k = captured @ WEIGHTS
    a = np.empty(n)
    for (pa, pb), (_, intercept) in STRATA.items():
        a[(post == pa) & (under == pb)] = intercept
    nonstable = rng.random(n) < 1 / (1 + np.exp(-(a + k)))
    deteriorating = rng.random(n) < P.DETERIORATING_SHARE
    phase = np.where(nonstable, np.where(deteriorating, 2, 1), 0)
    p = r["person"]
    # the year of death while insured (the insured period ends on the day of death)
    dies = persons.died_insured[p] & (persons.death[p] == r["end"])
    phase = np.where(dies, 3, phase)
    return LlcYears(p, r["year"], r["start"], r["end"], r["ikz_end"], r["age"], post, under,
                    captured, phase.astype(np.int8))

