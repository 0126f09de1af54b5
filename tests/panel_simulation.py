"""Simulated person-month panels around the 18th birthday with a planted jump, for tests.

Not part of the package: the estimators in ``kpz_analytics.methods.discontinuity`` and
``kpz_analytics.methods.rate_ratio`` are checked against the truth planted here.

The generator
-------------
One row per person x event month ``m`` in -24 ... 23 (``event_month``; the birthday month is 0),
with the columns ``persoon_id``, ``event_month``, ``any_use`` (0/1) and ``volume`` (a count).

``any_use`` has a known marginal probability ``pi(m)`` in every month, and is correlated within
a person through a Gaussian copula::

    Z_it = sqrt(s) * u_i + sqrt(1 - s) * e_it,     u_i ~ N(0, 1)  (person effect)
    e_it = r * e_i,t-1 + sqrt(1 - r^2) * v_it      (stationary AR(1), unit variance)
    any_use_it = 1{ Z_it < Phi^-1(pi(m_t)) }        so that P(any_use = 1 | m) = pi(m) exactly.

``s`` is the share of latent variance that is the person's own level (``person_share``), ``r``
the month-to-month autocorrelation of the rest (``ar``). Because the marginal probability is
``pi(m)`` exactly, the planted regression-discontinuity estimand is known without simulation:
``pi(0) - lim_{m -> 0-} pi(m)`` on the probability scale, which :func:`planted_jump` returns.

``pi(m)`` is a smooth trend on each side plus the planted jump ``jump`` at ``m = 0``. The
scenario switches that break the local-linear design on purpose:

- ``anticipation``: a share of the jump already happens in the ``anticipation_months`` before
  the birthday month (a ramp). The planted policy effect stays ``jump``: the drop relative to
  the trend without anticipation; RD only sees the part left at 0.
- ``recovery``: after the drop, care recovers by ``recovery`` (probability) with time constant
  ``recovery_months`` (adult care taking over): strong curvature right of the cutoff.
- ``birthday_month_before``: the birthday month behaves like the months before (care in the
  first half of the month, before the birthday, makes "any use" 1): month 0 is contaminated.

``volume`` is a count: Poisson with mean ``volume_before`` before 0 and
``volume_before * volume_rate_ratio`` from 0, times a gamma person frailty with mean 1 and
variance ``volume_frailty_var`` and a log-normal month noise with mean 1. Its marginal mean
is therefore known, and the planted before/after rate ratio is ``volume_rate_ratio``.

Censoring: a share ``censor_share`` of persons is censored at a month drawn uniformly from
1 ... 23; their rows from that month on are absent (non-informative censoring after 18).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

MONTHS = np.arange(-24, 24)


@dataclass(frozen=True)
class Scenario:
    """Parameters of one simulated cohort (see the module docstring)."""

    name: str = "llc"
    level_before: float = 0.70  # pi just before 0 (trend value at 0 from the left)
    jump: float = -0.30  # planted jump at 0, probability scale
    slope_before: float = 0.003  # per month, left of 0
    slope_after: float = 0.002  # per month, right of 0
    curvature: float = -0.0001  # per month^2, both sides
    anticipation: float = 0.0  # share of the jump already realised in the ramp before 0
    anticipation_months: int = 3
    recovery: float = 0.0  # probability regained after the drop
    recovery_months: float = 3.0
    birthday_month_before: bool = False
    person_share: float = 0.4
    ar: float = 0.6
    censor_share: float = 0.15
    volume_before: float = 2.0
    volume_rate_ratio: float = 0.6
    volume_frailty_var: float = 0.5

    def replace(self, **changes) -> "Scenario":
        return dataclasses.replace(self, **changes)


LLC = Scenario()
COMPARISON = Scenario(
    name="comparison",
    level_before=0.30,
    jump=-0.05,
    slope_before=0.002,
    slope_after=0.001,
    curvature=0.00005,
    volume_before=0.5,
    volume_rate_ratio=0.9,
)


def probability(scenario: Scenario, months=MONTHS) -> np.ndarray:
    """The marginal probability pi(m) of any use in event month m."""
    s = scenario
    m = np.asarray(months, dtype=float)
    before = s.level_before + s.slope_before * m + s.curvature * m**2
    after = (
        s.level_before
        + s.jump
        + s.slope_after * m
        + s.curvature * m**2
        + s.recovery * (1.0 - np.exp(-np.maximum(m, 0.0) / s.recovery_months))
    )
    pi = np.where(m < 0, before, after)
    if s.anticipation:
        a = s.anticipation_months
        ramp = (m >= -a) & (m < 0)
        pi = np.where(ramp, pi + s.anticipation * s.jump * (m + a + 1) / (a + 1), pi)
    if s.birthday_month_before:
        pi = np.where(m == 0, before, pi)
    if np.any(pi <= 0.005) or np.any(pi >= 0.995):
        raise ValueError(f"scenario {s.name}: pi(m) leaves (0.005, 0.995); choose milder parameters")
    return pi


def planted_jump(scenario: Scenario) -> float:
    """The effect planted at 18: the drop at 0 relative to the trend from the left.

    For every scenario this is ``scenario.jump``: anticipation and a contaminated birthday
    month move *when* the drop shows, not how large the effect of turning 18 is. That is the
    number an RD analysis is meant to recover, so coverage is measured against it.
    """
    return float(scenario.jump)


def simulate_panel(scenario: Scenario, n_persons: int, rng: np.random.Generator, id_prefix: str = "p") -> pd.DataFrame:
    """One cohort's person-month panel (see the module docstring)."""
    s = scenario
    n_months = len(MONTHS)
    pi = probability(s)
    threshold = stats.norm.ppf(pi)

    u = rng.standard_normal(n_persons)
    e = np.empty((n_persons, n_months))
    e[:, 0] = rng.standard_normal(n_persons)
    innovation = rng.standard_normal((n_persons, n_months))
    scale = np.sqrt(1.0 - s.ar**2)
    for t in range(1, n_months):
        e[:, t] = s.ar * e[:, t - 1] + scale * innovation[:, t]
    z = np.sqrt(s.person_share) * u[:, None] + np.sqrt(1.0 - s.person_share) * e
    any_use = (z < threshold[None, :]).astype(np.int8)

    mean = np.where(MONTHS < 0, s.volume_before, s.volume_before * s.volume_rate_ratio)
    if s.volume_frailty_var > 0:
        k = 1.0 / s.volume_frailty_var
        frailty = rng.gamma(shape=k, scale=1.0 / k, size=n_persons)
    else:
        frailty = np.ones(n_persons)
    sigma = 0.3
    month_noise = np.exp(sigma * rng.standard_normal((n_persons, n_months)) - sigma**2 / 2)
    volume = rng.poisson(mean[None, :] * frailty[:, None] * month_noise)

    censored = rng.uniform(size=n_persons) < s.censor_share
    censor_month = np.where(censored, rng.integers(1, 24, size=n_persons), 24)
    observed = MONTHS[None, :] < censor_month[:, None]

    person = np.repeat(np.arange(n_persons), n_months).reshape(n_persons, n_months)
    month = np.broadcast_to(MONTHS, (n_persons, n_months))
    keep = observed.ravel()
    ids = np.array([f"{id_prefix}{i:06d}" for i in range(n_persons)])
    return pd.DataFrame(
        {
            "persoon_id": ids[person.ravel()[keep]],
            "event_month": month.ravel()[keep].astype(np.int64),
            "any_use": any_use.ravel()[keep],
            "volume": volume.ravel()[keep].astype(np.int64),
        }
    )
