"""Planted truth of the transition analysis, from the generator's own lines (``docs/transition.md``).

Per chunk, for every person of the extract whose 18th-birthday month M18 lies in the period,
the generator knows which care it generated in each event month e = −24 … +23 (months from
M18), when a case-finding source first saw the person, and whether the person was insured
(and alive) in each month. From that alone — never from the written files, never through the
pipeline — this module forms the truth-side cohorts with the definitions and default
parameters of ``docs/transition.md`` and what the estimators are checked against:

* per person (``_truth/transition_persons``): M18, the first day of each case-finding source,
  the found event month, every cohort step, follow-up end and censoring reason, support before
  18, the gap, the first month of adult successor care, and the grouping columns;
* per cohort × outcome × event month (``_truth/transition_curves.csv``): persons at risk and
  persons using the outcome — the realised event-time shares;
* summaries for ``truth.json`` (:func:`summary`): realised gap shares and Kaplan–Meier
  quantiles of the time to adult successor care per group.

The month rules are the pipeline's documented ones: a line is active in a month when its
period overlaps it (clipped to the extract period); a month is observable when the person is
insured (and so alive) on at least one day of it; care counts only in observable months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..refdata import load_reference
from . import parameters as P
from .care import SUPPORT_DOMAINS, ChunkCare
from .population import NEVER, Persons, day, month_of, month_start

#: Default parameters of docs/transition.md the truth-side cohorts use.
MONTHS_BEFORE = 24
MONTHS_AFTER = 24
FOUND_BY = -6
SUPPORT_WINDOW = 6
GAP_WINDOW = 12
GAP_LENGTH = 3
SOURCES = P.SOURCES
N_MONTHS = MONTHS_BEFORE + MONTHS_AFTER
#: Outcomes of the truth curves, named as in codelists/transition_outcomes_v1.csv.
OUTCOMES = ("any_support", "adult_successor", "jeugdwet_any", "wmo_any", "ikz_mkv", "wijkverpleging",
            "wlz_any", "pgb_support", "hospital_paediatric", "hospital_adult")
#: Which support domains make each support outcome.
_SUPPORT_OUTCOMES = {
    "any_support": SUPPORT_DOMAINS,
    "adult_successor": ("wmo", "wlz", "wijkverpleging"),
    "jeugdwet_any": ("jeugdwet",), "wmo_any": ("wmo",), "ikz_mkv": ("ikz_mkv",),
    "wijkverpleging": ("wijkverpleging",), "wlz_any": ("wlz",),
}
COHORTS = ("llc", "comparison")
GROUPS = list(P.GROUP_SHARES)
SEX = list(P.SEX_SHARES)
PROVINCES = list(P.PROVINCE_SHARES)


def _province_regions() -> np.ndarray:
    """NIK region per province index: the province default of reference/regions.csv."""
    ref = load_reference("regions")
    default = ref[ref["gemeente_code"] == ""].set_index("provincie_code")["nik_region"]
    return np.array([default[p] for p in PROVINCES])


def _paediatric_specialisms() -> set[str]:
    """AGB specialisms the pipeline counts as paediatrics (reference/specialismen.csv)."""
    ref = load_reference("specialismen")
    return set(ref.loc[ref["specialism_group"] == "paediatrics", "specialisme"]) | {"0316"}


def _month_flags(n: int, pos: np.ndarray, m18: np.ndarray, person: np.ndarray, start: np.ndarray,
                 end: np.ndarray, P0: int, P1: int) -> np.ndarray:
    """(n, N_MONTHS) bool: event months −24 … +23 in which a line of the person is active.

    ``pos`` maps a chunk person to its row (−1: not a candidate). Lines are clipped to the period.
    """
    out = np.zeros((n, N_MONTHS), bool)
    row = pos[person]
    keep = (row >= 0) & (end >= P0) & (start <= P1)
    row, s, e = row[keep], np.maximum(start[keep], P0), np.minimum(end[keep], P1)
    r0 = month_of(s) - m18[row] + MONTHS_BEFORE
    r1 = month_of(e) - m18[row] + MONTHS_BEFORE
    keep = (r1 >= 0) & (r0 < N_MONTHS)
    row, r0, r1 = row[keep], np.maximum(r0[keep], 0), np.minimum(r1[keep], N_MONTHS - 1)
    for k in range(N_MONTHS):
        hit = (r0 <= k) & (r1 >= k)
        out[row[hit], k] = True
    return out


@dataclass
class ChunkTransition:
    """Truth of one chunk: person rows and the curve counts of the truth-side cohorts."""

    persons: pd.DataFrame
    at_risk: np.ndarray  # (2 cohorts, N_MONTHS)
    using: np.ndarray  # (2 cohorts, N_MONTHS, len(OUTCOMES))


def chunk_truth(persons: Persons, in_extract: np.ndarray, in_sample: np.ndarray, care: ChunkCare,
                design: str, years: tuple[int, int], pids: np.ndarray) -> ChunkTransition:
    """Truth-side transition cohorts of one chunk (definitions and defaults of docs/transition.md).

    Steps, per person of the extract with M18 in the period: *found* = first month with a
    claim of a case-finding source (every source; claims lie in insured time by construction);
    *llc* = found at event month ≤ −6, months −24 … −1 inside the period and all observable,
    insured on the 18th birthday (the 15th of M18); *comparison* = never found, in the random
    sample (everyone in a population extract), same window rules (before any cap). Follow-up:
    the run of observable months from month 0, at most +23; ``censor_reason`` window_end (all
    24 months), death (dies in the last followed month), end_of_data (the last followed month
    is the last of the period), else insurance_end. Support before = any home or social
    support in −6 … −1; gap = ≥ 3 consecutive months without it in 0 … 11 among the supported
    followed through +11; time to adult care = first month ≥ 0 with Wmo, Wlz or wijkverpleging
    up to follow-up end (else censored at follow-up end; ``care_status`` 2 = died first).
    """
    P0, P1 = day(years[0]), day(years[1], 12, 31)
    first_month, last_month = int(month_of(P0)), int(month_of(P1))
    m18_all = persons.birth_month + 216
    cand = np.flatnonzero(in_extract & (m18_all >= first_month) & (m18_all <= last_month))
    n = len(cand)
    pos = np.full(len(persons.index), -1, np.int64)
    pos[cand] = np.arange(n)
    m18 = m18_all[cand]
    ins_start = np.maximum(persons.ins_start[cand], P0)
    ins_end = np.minimum(persons.ins_end[cand], P1)
    # observable months: insured on a day of the month, inside the period
    months = m18[:, None] + np.arange(N_MONTHS)[None, :] - MONTHS_BEFORE
    obs = ((months >= first_month) & (months <= last_month)
           & (month_start(months) <= ins_end[:, None]) & (month_start(months + 1) - 1 >= ins_start[:, None]))
    # care per outcome and event month (observable months only)
    sp, ss, se, sd, spgb = care.support
    dom = {d: _month_flags(n, pos, m18, sp[sd == k], ss[sd == k], se[sd == k], P0, P1)
           for k, d in enumerate(SUPPORT_DOMAINS)}
    use = np.zeros((n, N_MONTHS, len(OUTCOMES)), bool)
    for j, outcome in enumerate(OUTCOMES):
        if outcome in _SUPPORT_OUTCOMES:
            for d in _SUPPORT_OUTCOMES[outcome]:
                use[:, :, j] |= dom[d]
    use[:, :, OUTCOMES.index("pgb_support")] = _month_flags(n, pos, m18, sp[spgb], ss[spgb], se[spgb], P0, P1)
    hp, hb, he, hs = care.hospital
    paed = np.isin(hs, list(_paediatric_specialisms()))
    use[:, :, OUTCOMES.index("hospital_paediatric")] = _month_flags(n, pos, m18, hp[paed], hb[paed], he[paed], P0, P1)
    use[:, :, OUTCOMES.index("hospital_adult")] = _month_flags(n, pos, m18, hp[~paed], hb[~paed], he[~paed], P0, P1)
    use &= obs[:, :, None]
    # case-finding sources: first claim day per source (inside the period and insured time)
    first = np.full((n, len(SOURCES)), NEVER, np.int64)
    for k, source in enumerate(SOURCES):
        person, when = care.sources.get(source, (np.array([], np.int64), np.array([], np.int64)))
        row = pos[person]
        ok = (row >= 0) & (when >= np.maximum(P0, persons.ins_start[person])) & (
            when <= np.minimum(P1, persons.ins_end[person]))
        np.minimum.at(first[:, k], row[ok], when[ok])
    found_day = first.min(axis=1)
    found = found_day < NEVER
    found_event = np.where(found, month_of(np.minimum(found_day, P1)) - m18, 0)
    # cohort steps
    birthday = month_start(m18) + 14
    step_window = m18 - MONTHS_BEFORE >= first_month
    alive_at_18 = (persons.ins_start[cand] <= birthday) & (persons.ins_end[cand] >= birthday)
    observed_before = obs[:, :MONTHS_BEFORE].all(axis=1)
    eligible = step_window & alive_at_18 & observed_before
    llc = found & (found_event <= FOUND_BY) & eligible
    sampled = np.ones(n, bool) if design == "population" else in_sample[cand]
    comparison = ~found & sampled & eligible
    cohort = np.where(llc, "llc", np.where(comparison, "comparison", ""))
    # follow-up: the run of observable months from month 0
    after = obs[:, MONTHS_BEFORE:]
    n_run = np.where(after.all(axis=1), MONTHS_AFTER, np.argmin(after, axis=1))
    followup_end = n_run - 1
    last_followed = m18 + followup_end
    died = persons.died_insured[cand] & (persons.death[cand] <= P1)
    censor = np.select(
        [n_run == MONTHS_AFTER, died & (month_of(np.minimum(persons.death[cand], P1)) == last_followed),
         last_followed >= last_month],
        ["window_end", "death", "end_of_data"], "insurance_end")
    # support before 18, the gap, time to adult successor care
    k0 = MONTHS_BEFORE
    window = slice(k0 - SUPPORT_WINDOW, k0)
    support = use[:, :, OUTCOMES.index("any_support")]
    support_before = support[:, window].any(axis=1)
    wlz_before = use[:, window, OUTCOMES.index("wlz_any")].any(axis=1)
    pgb_before = use[:, window, OUTCOMES.index("pgb_support")].any(axis=1)
    without = ~support[:, k0:k0 + GAP_WINDOW]
    run = np.zeros(n, int)
    longest = np.zeros(n, int)
    for k in range(GAP_WINDOW):
        run = np.where(without[:, k], run + 1, 0)
        longest = np.maximum(longest, run)
    gap_eligible = support_before & (followup_end >= GAP_WINDOW - 1)
    adult = use[:, k0:, OUTCOMES.index("adult_successor")] & (
        np.arange(MONTHS_AFTER)[None, :] <= followup_end[:, None])
    reached = adult.any(axis=1)
    first_adult = np.where(reached, np.argmax(adult, axis=1), -1)
    care_time = np.where(reached, first_adult, followup_end)
    care_status = np.where(reached, 1, np.where(censor == "death", 2, 0))
    # grouping columns
    llc_line_before = np.zeros(n, bool)
    hperson, hday = care.sources.get("hospital_llc_code", (np.array([], np.int64), np.array([], np.int64)))
    row = pos[hperson]
    ok = row >= 0
    llc_line_before[row[ok][hday[ok] < month_start(m18[row[ok]])]] = True
    group = persons.group[cand]
    diagnostic_group = np.where(llc, np.where(llc_line_before & (group >= 0),
                                              np.array(GROUPS + [""])[group], "no_llc_code"), "")

    def date_text(days):
        # NEVER (no claim) is beyond numpy's date range: cap it before converting, then blank it
        return np.where(days < NEVER, np.minimum(days, P1 + 10_000).astype("datetime64[D]").astype(str), "")

    def month_text(m):
        return m.astype("datetime64[M]").astype(str)

    rows = pd.DataFrame({
        "persoon_id": pids[cand],
        "llc": persons.llc[cand].astype(int),
        "in_sample": in_sample[cand].astype(int),
        "month_18": month_text(m18),
        "geslacht": np.array(SEX)[persons.sex[cand]],
        "nik_region": _province_regions()[persons.province[cand]],
        **{f"first_{s}": date_text(first[:, k]) for k, s in enumerate(SOURCES)},
        "found_event_month": pd.array(np.where(found, found_event, 0), dtype="Int64"),
        "step_window": step_window.astype(int),
        "alive_insured_at_18": alive_at_18.astype(int),
        "observed_before": observed_before.astype(int),
        "cohort": cohort,
        "followup_end": followup_end,
        "censor_reason": censor,
        "diagnostic_group": diagnostic_group,
        "support_before": support_before.astype(int),
        "wlz_before": wlz_before.astype(int),
        "pgb_before": pgb_before.astype(int),
        "gap_eligible": gap_eligible.astype(int),
        "gap": pd.array(np.where(gap_eligible, longest >= GAP_LENGTH, 0).astype(int), dtype="Int64"),
        "first_adult_care_month": pd.array(first_adult, dtype="Int64"),
        "care_time": care_time,
        "care_event": reached.astype(int),
        "care_status": care_status,
    })
    rows.loc[~found, "found_event_month"] = pd.NA
    rows.loc[~gap_eligible, "gap"] = pd.NA
    rows.loc[~reached, "first_adult_care_month"] = pd.NA
    # curves: persons followed in each event month, and of them using each outcome
    at_risk = np.zeros((len(COHORTS), N_MONTHS), np.int64)
    using = np.zeros((len(COHORTS), N_MONTHS, len(OUTCOMES)), np.int64)
    followed = np.arange(N_MONTHS)[None, :] - MONTHS_BEFORE <= followup_end[:, None]
    for c, member in enumerate((llc, comparison)):
        f = followed[member] & obs[member]
        at_risk[c] = f.sum(axis=0)
        using[c] = (use[member] & f[:, :, None]).sum(axis=0)
    return ChunkTransition(rows, at_risk, using)


def curves_table(at_risk: np.ndarray, using: np.ndarray) -> pd.DataFrame:
    """Long table ``cohort, outcome, event_month, n_at_risk, n_using, share_using``."""
    rows = []
    for c, cohort in enumerate(COHORTS):
        for j, outcome in enumerate(OUTCOMES):
            for k in range(N_MONTHS):
                rows.append((cohort, outcome, k - MONTHS_BEFORE, int(at_risk[c, k]), int(using[c, k, j])))
    out = pd.DataFrame(rows, columns=["cohort", "outcome", "event_month", "n_at_risk", "n_using"])
    out["share_using"] = out["n_using"] / out["n_at_risk"].where(out["n_at_risk"] > 0)
    return out


# --------------------------------------------------------------------------- summaries
def km_curve(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier product-limit estimate: distinct event times and S just after each.

    S(t_j) = prod_{i <= j} (1 − d_i / n_i), n_i = persons with time ≥ t_i, d_i = events at t_i.
    """
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    times = np.unique(time[event])
    if not len(times):
        return times, times
    n_at = (time[None, :] >= times[:, None]).sum(axis=1)
    d = (event[None, :] & (time[None, :] == times[:, None])).sum(axis=1)
    return times, np.cumprod(1 - d / n_at)


def km_quantile(time: np.ndarray, event: np.ndarray, p: float = 0.5) -> float:
    """The p-quantile of the time to event from the Kaplan–Meier curve (R ``quantile.survfit``).

    The first event time at which 1 − S(t) ≥ p; where 1 − S equals p (within sqrt(machine
    epsilon)) the midpoint between that time and the next event time (or the last follow-up
    time); NaN when the curve never reaches p.
    """
    times, s = km_curve(time, event)
    tol = np.sqrt(np.finfo(float).eps)
    hit = np.flatnonzero(1 - s >= p - tol)
    if not len(hit):
        return float("nan")
    j = hit[0]
    if abs(1 - s[j] - p) < tol:
        later = times[j + 1] if j + 1 < len(times) else float(np.max(time))
        return float((times[j] + later) / 2)
    return float(times[j])


def km_reached(time: np.ndarray, event: np.ndarray, t: float) -> float:
    """1 − S(t): the Kaplan–Meier share with the event by time t (an event at t counts).

    NaN when nobody is followed up to t and the curve has not reached 0.
    """
    times, s = km_curve(time, event)
    before = times <= t
    value = float(s[before][-1]) if before.any() else 1.0
    if np.max(time) < t and value > 0:
        return float("nan")
    return 1.0 - value


GROUP_BY = ("overall", "diagnostic_group", "geslacht", "wlz_before", "pgb_before", "nik_region")


SUPPORTED_COLUMNS = ("cohort", "gap_eligible", "gap", "care_time", "care_event") + GROUP_BY[1:]


def supported(persons: pd.DataFrame) -> pd.DataFrame:
    """The persons of a cohort with support before 18, and only the columns
    :func:`group_summaries` reads (kept over all chunks while the rest goes to disk)."""
    sup = persons[(persons["cohort"] != "") & (persons["support_before"] == 1)]
    return sup[list(SUPPORTED_COLUMNS)].reset_index(drop=True)


def group_summaries(persons: pd.DataFrame) -> pd.DataFrame:
    """Realised gap share and Kaplan–Meier quantiles per cohort and group (as ``transition_gap``).

    Among persons with support before 18: ``n_persons``/``n_gap``/``share_gap`` over the
    gap-eligible (followed through +11), and the 25th, 50th, 75th percentile of the months to
    the first adult successor care (Kaplan–Meier, every supported person) with the share who
    reached it by 3, 6 and 12 months (1 − S(t)). ``diagnostic_group`` only for the LLC cohort.
    ``persons``: ``transition_persons`` whole, or already cut to :func:`supported`.
    """
    rows = []
    sup = supported(persons) if "support_before" in persons else persons
    for group_by in GROUP_BY:
        for cohort, part in sup.groupby("cohort"):
            if group_by == "diagnostic_group" and cohort != "llc":
                continue
            keys = pd.Series("all", index=part.index) if group_by == "overall" else part[group_by].astype(str)
            for key, g in part.groupby(keys):
                elig = g[g["gap_eligible"] == 1]
                n_gap = int(elig["gap"].astype(int).sum())
                t, e = g["care_time"].to_numpy(float), g["care_event"].to_numpy(bool)
                at = {f"reached_{m}": km_reached(t, e, m) for m in (3, 6, 12)}
                rows.append(dict(cohort=cohort, group_by=group_by, group=key, n_supported=len(g),
                                 n_persons=len(elig), n_gap=n_gap,
                                 share_gap=n_gap / len(elig) if len(elig) else float("nan"),
                                 n_events=int(e.sum()), km_p25=km_quantile(t, e, 0.25),
                                 km_median=km_quantile(t, e, 0.5), km_p75=km_quantile(t, e, 0.75), **at))
    return pd.DataFrame(rows)


def summary(supported_persons: pd.DataFrame, cohort_sizes: dict[str, int]) -> dict:
    """The ``transition`` section of truth.json: definitions, cohort sizes, gap and KM per group.

    ``supported_persons``: :func:`supported` of every chunk; ``cohort_sizes``: persons per cohort.
    """
    groups = group_summaries(supported_persons)
    n = cohort_sizes
    return {
        "definition": "docs/transition.md with its default parameters; truth-side cohorts formed from "
                      "the generator's own lines (transition_persons), comparison cohort before any "
                      "--comparison-size cap",
        "parameters": {"months_before": MONTHS_BEFORE, "months_after": MONTHS_AFTER, "found_by": FOUND_BY,
                       "support_window": SUPPORT_WINDOW, "gap_window": GAP_WINDOW, "gap_length": GAP_LENGTH,
                       "sources": list(SOURCES)},
        "n_persons": {c: int(n.get(c, 0)) for c in COHORTS},
        "by_group": [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                     for r in groups.to_dict("records")],
    }
