"""Demography of one chunk of persons: birth, sex, residence, insurance, death, latent LLC.

Dates are integer day numbers since 1970-01-01 (``int64``); months are month numbers since
1970-01. Ages follow the spec: completed years from the 15th of the birth month, so a person
reaches age ``k`` on :func:`birthday` ``(birth_month, k)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import parameters as P

NEVER = np.int64(10**7)  # a day number far beyond any period (year ~29000)


def day(year: int, month: int = 1, dom: int = 1) -> int:
    """Day number of a calendar date."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-{dom:02d}", "D").astype(np.int64))


def month_start(month_no: np.ndarray) -> np.ndarray:
    """Day number of the first day of month number(s) ``month_no``."""
    return np.asarray(month_no, dtype="int64").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def birthday(birth_month: np.ndarray, k: int | np.ndarray) -> np.ndarray:
    """Day on which a person born in ``birth_month`` reaches age ``k`` (15th-of-month rule)."""
    return month_start(np.asarray(birth_month) + 12 * np.asarray(k)) + 14


def year_of(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def month_of(days: np.ndarray) -> np.ndarray:
    """Month number since 1970-01 of each day."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def age_on(birth_month: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Completed years at ``days`` (may be negative before the reference 15th)."""
    m = month_of(days)
    dom = np.asarray(days) - month_start(m) + 1
    months = m - birth_month
    # completed months, minus one when the day of month is before the 15th
    months = months - (dom < 15)
    return np.floor_divide(months, 12)


def age_1july(birth_month: np.ndarray, year: int | np.ndarray) -> np.ndarray:
    """Age on 1 July of ``year``: year - birth year - (born July or later), floored at 0."""
    by = birth_month // 12 + 1970
    bm = birth_month % 12 + 1
    return np.maximum(np.asarray(year) - by - (bm >= 7), 0)


@dataclass
class Cohorts:
    """Persons per birth month for the whole simulation (index = person number order)."""

    first_month: int  # month number of the first birth month simulated
    cum: np.ndarray  # cumulative persons per birth month

    @property
    def n_persons(self) -> int:
        return int(self.cum[-1]) if len(self.cum) else 0

    @classmethod
    def build(cls, years: tuple[int, int], scale: float) -> "Cohorts":
        # Persons aged 0-25 at some time in the period: born from January (first - 26).
        first_year, last_year = years[0] - 26, years[1]
        sizes = []
        lo, hi = min(P.COHORT_SIZE), max(P.COHORT_SIZE)
        for y in range(first_year, last_year + 1):
            # COHORT_SIZE counts native births; immigrants (arriving later) come on top
            per_year = P.COHORT_SIZE[min(max(y, lo), hi)] * P.COHORT_CALIBRATION * scale / (
                1 - P.IMMIGRANT_SHARE - P.RECENT_IMMIGRANT_SHARE)
            # spread over months so that the yearly total rounds correctly
            edges = np.round(np.arange(13) * per_year / 12).astype(np.int64)
            sizes.extend(np.diff(edges))
        first_month = (first_year - 1970) * 12
        return cls(first_month, np.cumsum(np.asarray(sizes, dtype=np.int64)))


def _draw(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return rng.choice(len(keys), size=n, p=p / p.sum())


def _non_llc_death_age(e: np.ndarray) -> np.ndarray:
    """Invert the piecewise-constant cumulative hazard: age (years) at which H(age) = e."""
    edges = [0.0] + [b for b, _ in P.NON_LLC_HAZARD]
    cum = [0.0]
    for (hi, h), lo in zip(P.NON_LLC_HAZARD, edges[:-1]):
        cum.append(cum[-1] + h * (hi - lo))
    age = np.interp(e, cum, edges)
    return np.where(e > cum[-1], np.inf, age)


@dataclass
class Persons:
    """One chunk of simulated persons (arrays of equal length)."""

    index: np.ndarray  # global person number (stable pseudonym source)
    birth_month: np.ndarray
    birth_day: np.ndarray
    sex: np.ndarray  # index into SEX_SHARES
    province: np.ndarray  # index into PROVINCE_SHARES
    gemeente: np.ndarray  # index into the province's gemeente list, -1 = not delivered
    ins_start: np.ndarray
    ins_end: np.ndarray  # last insured day (death or emigration), NEVER if none
    death: np.ndarray  # day of death, NEVER if none before the horizon
    died_insured: np.ndarray  # death ends the insured period (not emigrated before)
    llc: np.ndarray  # bool
    group: np.ndarray  # index into GROUP_SHARES, -1 = no LLC
    onset: np.ndarray  # onset day, NEVER without LLC


def simulate(rng: np.random.Generator, cohorts: Cohorts, lo: int, hi: int,
             gemeente_counts: np.ndarray) -> Persons:
    """Simulate persons ``lo`` ... ``hi - 1`` (global numbering) with their own ``rng``."""
    n = hi - lo
    index = np.arange(lo, hi, dtype=np.int64)
    birth_month = cohorts.first_month + np.searchsorted(cohorts.cum, index, side="right")
    m0 = month_start(birth_month)
    days_in_month = month_start(birth_month + 1) - m0
    birth_day = m0 + (rng.random(n) * days_in_month).astype(np.int64)
    sex = _draw(rng, P.SEX_SHARES, n)
    province = _draw(rng, P.PROVINCE_SHARES, n)
    gemeente = (rng.random(n) * gemeente_counts[province]).astype(np.int64)
    gemeente[rng.random(n) < P.GEMEENTE_MISSING] = -1

    # Immigration: first insured at a uniform age 0-25.
    u = rng.random(n)
    immigrant = u < P.IMMIGRANT_SHARE
    arrival_age = np.where(immigrant, rng.random(n) * 25.0, 0.0)
    # recent immigration: arrival on a uniform calendar day in RECENT_IMMIGRATION_YEARS
    recent = (u >= P.IMMIGRANT_SHARE) & (u < P.IMMIGRANT_SHARE + P.RECENT_IMMIGRANT_SHARE)
    r0, r1 = day(P.RECENT_IMMIGRATION_YEARS[0]), day(P.RECENT_IMMIGRATION_YEARS[1] + 1)
    recent_day = r0 + (rng.random(n) * (r1 - r0)).astype(np.int64)
    arrival_age = np.where(recent, np.maximum(recent_day - birth_day, 0) / 365.25, arrival_age)
    ins_start = birth_day + np.round(arrival_age * 365.25).astype(np.int64)

    # Emigration: hazard by age (under 18 / adult), counted from arrival.
    r1, r2 = P.EMIGRATION_RATE["under18"], P.EMIGRATION_RATE["adult"]
    h18 = r1 * 18.0

    def cum_h(a):
        return np.where(a < 18, r1 * a, h18 + r2 * (a - 18))

    target = rng.exponential(size=n) + cum_h(arrival_age)
    emig_age = np.where(target < h18, target / r1, 18 + (target - h18) / r2)
    emig_day = birth_day + np.round(emig_age * 365.25).astype(np.int64)

    # Latent LLC: group, onset.
    by = birth_month // 12 + 1970
    p_llc = P.LLC_PROBABILITY * np.exp(P.LLC_TREND * (by - 2010))
    llc = rng.random(n) < p_llc
    groups = list(P.GROUP_SHARES)
    group = np.where(llc, _draw(rng, P.GROUP_SHARES, n), -1)
    at_birth_p = np.array([P.ONSET_AT_BIRTH[g] for g in groups])
    onset_mean = np.array([P.LATER_ONSET_MEAN_YEARS.get(g, P.LATER_ONSET_DEFAULT) for g in groups])
    g = np.maximum(group, 0)
    at_birth = rng.random(n) < at_birth_p[g]
    onset_age = rng.exponential(size=n) * onset_mean[g]
    onset_age = np.where(at_birth, 0.0, onset_age)
    llc &= onset_age < 26.0
    group = np.where(llc, group, -1)
    onset = np.where(llc, birth_day + np.round(onset_age * 365.25).astype(np.int64), NEVER)

    # Death: the earlier of non-LLC death and LLC death.
    age_d = _non_llc_death_age(rng.exponential(size=n))
    early_p = np.array([P.EARLY_DEATH.get(x, P.EARLY_DEATH_DEFAULT) for x in groups])
    hazard = np.array([P.LLC_HAZARD.get(x, P.LLC_HAZARD_DEFAULT) for x in groups])
    improve = np.exp(P.LLC_SURVIVAL_TREND * (by - 2010))
    early = llc & at_birth & (rng.random(n) < early_p[g] * improve)
    early_age = np.minimum(rng.exponential(size=n) * P.EARLY_DEATH_MEAN_DAYS, 364.0) / 365.25
    later_from = np.where(at_birth, 1.0, onset_age)
    later_age = later_from + rng.exponential(size=n) / (hazard[g] * improve)
    llc_age = np.where(early, early_age, later_age)
    age_d = np.where(llc, np.minimum(age_d, llc_age), age_d)
    age_d = np.minimum(age_d, 60.0)
    death = np.where(age_d < 60.0, birth_day + np.floor(age_d * 365.25).astype(np.int64), NEVER)

    died_insured = (death < NEVER) & (death < emig_day)
    ins_end = np.minimum(death, emig_day)
    return Persons(index, birth_month, birth_day, sex, province, gemeente, ins_start, ins_end,
                   death, died_insured, llc, group, onset)
