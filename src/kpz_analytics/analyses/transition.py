"""Care use around the 18th birthday and the zorgval: the estimates of ``kpz transition``.

Starts from the cohorts and person-month panel of :mod:`kpz_analytics.cohorts.transition` and
returns tidy tables with English column names and codes (``docs/transition.md`` lists every
table and definition; Dutch labels are applied in ``reporting``):

* event-time curves per cohort × outcome × event month (share using, mean volume and cost);
* the discontinuity at 18 per outcome (local-linear regression discontinuity, robust
  bias-corrected interval, clustered by person), the difference LLC − comparison and a donut
  sensitivity without the birthday month;
* before/after rate ratios from a GEE that accounts for repeated months per person;
* the zorgval: the share of supported persons with a gap of ``gap_length`` months without any
  home or social support after 18, by group; time to the first adult successor care
  (Kaplan–Meier, Cox, Aalen–Johansen with death competing);
* the hospital side and the descriptives (episodes, Jeugdwet extension and Wmo successor, pgb,
  respite by region).

Every count here is of persons; the tables are published only through the disclosure control of
the reporting layer.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from .. import provenance
from ..cohorts import transition as T
from ..cohorts.cases import LLC_CODELIST, SOURCE_DEFINITIONS
from ..errors import ParameterError
from ..methods import discontinuity, rate_ratio, survival
from ..methods.summaries import mean_ci, proportion_ci
from ..warehouse.connect import connect, extract_meta
from . import fits
from . import cache as result_cache

#: Outcomes that get a before/after rate ratio (counts of visits, days or admissions).
RATE_OUTCOMES: tuple[str, ...] = ("emergency", "admissions", "nursing_days", "ic_paediatric",
                                  "ic_adult", "hospital_paediatric", "hospital_adult")
#: Groupings of the gap table: column of the person table -> name in the output.
GAP_GROUPS: tuple[str, ...] = ("overall", "diagnostic_group", "geslacht", "wlz_before",
                               "pgb_before", "nik_region")
KM_TIMES: tuple[int, ...] = (3, 6, 12)


@dataclass
class TransitionResult:
    """Tables of one transition run and what produced them.

    Attributes
    ----------
    tables : name → tidy DataFrame (``transition_<name>.csv`` when written).
    headline : the headline figures (jump in any home or social support, gap share, median time
        to adult care) with their intervals.
    metadata : parameters, definition versions, extract id and checksum, package version, git
        commit, run date.
    cohort : the cohorts and panel (person level: never written, never published).
    warnings : notes for the reader (e.g. the comparison cohort was capped).
    """

    tables: dict[str, pd.DataFrame]
    headline: dict
    metadata: dict
    cohort: T.TransitionCohort
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- person flags
def _window_any(cohort: T.TransitionCohort, outcome: str, first: int, last: int) -> pd.Series:
    """Per person: 1 when the outcome is used in any event month first…last, else 0."""
    use = cohort.use
    hit = use.loc[(use["outcome"] == outcome) & use["event_month"].between(first, last), "persoon_id"]
    return cohort.persons["persoon_id"].isin(set(hit)).astype(int)


def person_flags(cohort: T.TransitionCohort) -> pd.DataFrame:
    """One row per cohort member with what the person-level estimates need.

    Columns added to ``cohort.persons``: ``support_before`` (any home or social support in
    months −support_window…−1), ``wlz_before``, ``pgb_before``, ``jeugdwet_before``,
    ``ikz_before`` (same window), ``gap_eligible`` (supported before and observed through month
    gap_window − 1), ``gap`` (≥ gap_length consecutive months without support in 0…gap_window−1;
    NaN when not eligible), ``care_time`` and ``care_event`` (months from the birthday month to
    the first adult successor care, 1 = reached, 0 = censored at follow-up end) and
    ``care_status`` (1 reached, 2 died first, 0 censored otherwise).
    """
    p = cohort.params
    out = cohort.persons.copy()
    lo, hi = -p.support_window, -1
    out["support_before"] = _window_any(cohort, "any_support", lo, hi)
    for name, outcome in (("wlz_before", "wlz_any"), ("pgb_before", "pgb_support"),
                          ("jeugdwet_before", "jeugdwet_any"), ("ikz_before", "ikz_mkv")):
        out[name] = _window_any(cohort, outcome, lo, hi) if outcome in p.outcomes else np.nan
    # support after 18 as a persons x months matrix
    support = cohort.use.loc[(cohort.use["outcome"] == "any_support")
                             & cohort.use["event_month"].between(0, p.gap_window - 1),
                             ["persoon_id", "event_month"]]
    index = pd.Index(out["persoon_id"])
    matrix = np.zeros((len(out), p.gap_window), dtype=bool)
    rows = index.get_indexer(support["persoon_id"])
    matrix[rows, support["event_month"].to_numpy()] = True
    without = ~matrix
    run = np.zeros(len(out), dtype=int)
    longest = np.zeros(len(out), dtype=int)
    for m in range(p.gap_window):
        run = np.where(without[:, m], run + 1, 0)
        longest = np.maximum(longest, run)
    out["gap_eligible"] = (out["support_before"] == 1) & (out["followup_end"] >= p.gap_window - 1)
    out["gap"] = np.where(out["gap_eligible"], (longest >= p.gap_length).astype(float), np.nan)
    # first adult successor care from month 0
    adult = cohort.use.loc[(cohort.use["outcome"] == "adult_successor") & (cohort.use["event_month"] >= 0)]
    first = adult.groupby("persoon_id")["event_month"].min()
    t = out["persoon_id"].map(first)
    reached = t.notna() & (t <= out["followup_end"])
    out["care_event"] = reached.astype(int)
    out["care_time"] = np.where(reached, t, out["followup_end"]).astype(float)
    out["care_status"] = np.where(reached, 1, np.where(out["censor_reason"] == "death", 2, 0))
    return out


# --------------------------------------------------------------------------- tables
def _top_two(use: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
    """Largest and second-largest single value of ``column`` per cell (for the dominance rules)."""
    d = use.loc[use[column].notna(), [*keys, column]].sort_values(column, ascending=False)
    top = d.groupby(keys).head(2).assign(_rank=lambda x: x.groupby(keys).cumcount() + 1)
    wide = top.pivot_table(index=keys, columns="_rank", values=column, aggfunc="first")
    wide = wide.reindex(columns=[1, 2]).fillna(0.0)
    wide.columns = [f"{column}_top1", f"{column}_top2"]
    return wide


def event_time_table(cohort: T.TransitionCohort, alpha: float) -> pd.DataFrame:
    """Per cohort × outcome × event month: persons at risk, share using, mean volume and cost.

    ``n_at_risk`` = persons observable in the month; share with the Wilson interval, means (zero
    for persons without use) with the normal interval of their standard error. ``sum_volume``
    and ``sum_cost`` are the cell totals and ``*_top1``/``*_top2`` their largest and second
    largest contributions of one person (for the dominance rules of disclosure control; they are
    never published).
    """
    keys = ["cohort", "outcome", "event_month"]
    at_risk = cohort.grid.groupby(["cohort", "event_month"]).size().rename("n_at_risk")
    cohort_of = cohort.persons.set_index("persoon_id")["cohort"]
    use = cohort.use.assign(cohort=cohort.use["persoon_id"].map(cohort_of))
    g = use.assign(v2=use["volume"] ** 2, c2=use["cost"] ** 2).groupby(keys)
    agg = g.agg(n_using=("persoon_id", "size"), sum_volume=("volume", "sum"), volume_sq=("v2", "sum"),
                sum_cost=("cost", "sum"), cost_sq=("c2", "sum"))
    agg = agg.join(_top_two(use, "volume", keys)).join(_top_two(use, "cost", keys))
    grid = pd.concat([at_risk.reset_index().assign(outcome=o) for o in cohort.outcomes["outcome"]],
                     ignore_index=True)
    out = grid.merge(agg.reset_index(), on=keys, how="left")
    out["n_using"] = out["n_using"].fillna(0).astype(int)
    share, lo, hi = proportion_ci(out["n_using"], out["n_at_risk"], alpha)
    out["share_using"], out["share_ci_low"], out["share_ci_high"] = share, lo, hi
    measure = cohort.outcomes.set_index("outcome")["volume_measure"]
    flags = {"volume": out["outcome"].map(measure) != "none",
             "cost": out["outcome"].isin(set(use.loc[use["cost"].notna(), "outcome"]))}
    for what, flag in flags.items():
        total = out[f"sum_{what}"].fillna(0.0)
        mean, lo, hi = mean_ci(total, out[f"{what}_sq"].fillna(0.0), out["n_at_risk"], alpha)
        out[f"sum_{what}"] = np.where(flag, total, np.nan)
        out[f"mean_{what}"] = np.where(flag, mean, np.nan)
        out[f"{what}_ci_low"] = np.where(flag, lo, np.nan)
        out[f"{what}_ci_high"] = np.where(flag, hi, np.nan)
        for k in ("top1", "top2"):
            out[f"{what}_{k}"] = np.where(flag, out[f"{what}_{k}"].fillna(0.0), np.nan)
    cols = [*keys, "n_at_risk", "n_using", "share_using", "share_ci_low", "share_ci_high",
            "sum_volume", "mean_volume", "volume_ci_low", "volume_ci_high", "volume_top1", "volume_top2",
            "sum_cost", "mean_cost", "cost_ci_low", "cost_ci_high", "cost_top1", "cost_top2"]
    return out[cols].sort_values(keys).reset_index(drop=True)


def followup_table(persons: pd.DataFrame) -> pd.DataFrame:
    """Persons per cohort × reason their follow-up after 18 ended, with the median months followed."""
    g = persons.groupby(["cohort", "censor_reason"])
    out = g.agg(n_persons=("persoon_id", "size"),
                median_months_followed=("followup_end", lambda s: float(np.median(s + 1))))
    return out.reset_index()


def gap_table(flags: pd.DataFrame, km: pd.DataFrame | None, alpha: float) -> pd.DataFrame:
    """The zorgval per cohort and group: share with a gap, with the Wilson interval.

    Among persons with home or social support before 18 who are observed through the gap
    window (``gap_eligible``). ``km`` (from :func:`time_to_care_tables`) adds the median months to
    the first adult successor care per group, estimated on all supported persons
    (``n_persons_time_to_care``: censored follow-up included, so more than ``n_persons``).
    """
    rows = []
    # every group with a supported person gets a row (n_persons 0 when none is observed long
    # enough), so the group rows of a grouping always add up to its overall row
    sup = flags[flags["support_before"] == 1].assign(
        _eligible=lambda d: d["gap_eligible"].astype(int), _gap=lambda d: d["gap"].fillna(0).astype(int))
    for group_by in GAP_GROUPS:
        keys = _groups(sup, group_by)
        if keys is None:
            continue
        g = sup.assign(_key=keys).groupby(["cohort", "_key"])
        agg = g.agg(n_persons=("_eligible", "sum"), n_gap=("_gap", "sum")).reset_index()
        agg = agg.rename(columns={"_key": "group"}).assign(group_by=group_by)
        if group_by == "diagnostic_group":
            agg = agg[agg["cohort"] == "llc"]
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    out["n_gap"] = out["n_gap"].astype(int)
    share, lo, hi = proportion_ci(out["n_gap"], out["n_persons"], alpha)
    out["share_gap"], out["ci_low"], out["ci_high"] = share, lo, hi
    cols = ["cohort", "group_by", "group", "n_persons", "n_gap", "share_gap", "ci_low", "ci_high"]
    out = out[cols]
    if km is not None and not km.empty:
        med = km[["cohort", "group_by", "group", "n_persons", "median", "median_ci_low",
                  "median_ci_high"]].rename(columns={"n_persons": "n_persons_time_to_care",
                                                     "median": "median_months_to_adult_care"})
        out = out.merge(med, on=["cohort", "group_by", "group"], how="left")
    return out


def _groups(frame: pd.DataFrame, group_by: str) -> pd.Series | None:
    if group_by == "overall":
        return pd.Series("all", index=frame.index)
    if group_by not in frame or frame[group_by].isna().all():
        return None
    return frame[group_by].astype("string").fillna("unknown")


def time_to_care_tables(flags: pd.DataFrame, alpha: float) -> dict[str, pd.DataFrame]:
    """Kaplan–Meier, Cox and Aalen–Johansen of the months to the first adult successor care.

    Among persons with home or social support before 18 (``support_before``): time 0 = care in
    the birthday month; death, emigration and the end of data censor (Aalen–Johansen: death
    competes). Returns ``km_summary`` (per cohort × group: median with interval),
    ``km_at`` (cumulative share reached by 3, 6 and 12 months), ``km_curves``, ``cox``,
    ``cox_ph`` (LLC cohort) and ``cuminc``.
    """
    sup = flags[flags["support_before"] == 1]
    summaries, at, curves, cuminc = [], [], [], []
    for group_by in GAP_GROUPS:
        for cohort_name, part in sup.groupby("cohort"):
            keys = _groups(part, group_by)
            if keys is None or (group_by == "diagnostic_group" and cohort_name != "llc"):
                continue
            data = part.assign(group=keys)
            s, a = survival.km_summary(data, "care_time", "care_event", group="group",
                                       times=KM_TIMES, alpha=alpha)
            summaries.append(s.assign(cohort=cohort_name, group_by=group_by))
            at.append(a.assign(cohort=cohort_name, group_by=group_by))
            if group_by == "overall":
                c = survival.km_curves(data, "care_time", "care_event", group="group", alpha=alpha)
                curves.append(c.assign(cohort=cohort_name))
                ci = survival.cumulative_incidence(data, "care_time", "care_status", group="group",
                                                   times=KM_TIMES, alpha=alpha)
                cuminc.append(ci.at_times.assign(cohort=cohort_name))
    out = {"km_summary": pd.concat(summaries, ignore_index=True),
           "km_at": pd.concat(at, ignore_index=True),
           "km_curves": pd.concat(curves, ignore_index=True),
           "cuminc": pd.concat(cuminc, ignore_index=True)}
    llc = sup[sup["cohort"] == "llc"]
    covariates = [c for c in ("wlz_before", "pgb_before", "jeugdwet_before", "ikz_before")
                  if c in llc and llc[c].notna().all() and llc[c].nunique() > 1]
    if "geslacht" in llc and llc["geslacht"].isin(["M", "V"]).sum() > 0:
        llc = llc[llc["geslacht"].isin(["M", "V"])]
        covariates = ["geslacht", *covariates]
    if len(llc) >= 20 and llc["care_event"].sum() >= 10 and covariates:
        cox = survival.cox_model(llc, "care_time", "care_event", covariates,
                                 categorical={"geslacht": "M"} if "geslacht" in covariates else None,
                                 alpha=alpha)
        out["cox"], out["cox_ph"] = cox.coefficients, cox.ph_test
    return out


def hospital_table(cohort: T.TransitionCohort, alpha: float) -> pd.DataFrame:
    """Per cohort × event month: persons with hospital care, of whom under kindergeneeskunde.

    ``share_paediatric`` = persons with a paediatric (0316) line active in the month among the
    persons with any hospital line in it (Wilson interval).
    """
    cohort_of = cohort.persons.set_index("persoon_id")["cohort"]
    use = cohort.use[cohort.use["outcome"].isin(["hospital_paediatric", "hospital_adult"])]
    wide = (use.assign(flag=1).pivot_table(index=["persoon_id", "event_month"], columns="outcome",
                                           values="flag", aggfunc="max", fill_value=0)
            .reindex(columns=["hospital_paediatric", "hospital_adult"], fill_value=0).reset_index())
    wide["cohort"] = wide["persoon_id"].map(cohort_of)
    g = wide.groupby(["cohort", "event_month"]).agg(
        n_with_hospital=("persoon_id", "size"), n_paediatric=("hospital_paediatric", "sum"),
        n_adult=("hospital_adult", "sum")).reset_index()
    share, lo, hi = proportion_ci(g["n_paediatric"], g["n_with_hospital"], alpha)
    g["share_paediatric"], g["ci_low"], g["ci_high"] = share, lo, hi
    return g


def _before_after_share(cohort: T.TransitionCohort, outcome: str, among: str | None, by: str | None,
                        alpha: float) -> pd.DataFrame:
    """Share of persons using ``outcome`` in months −w…−1 and 0…w−1 (w = rate_window).

    Among persons observed in the period window (and, when ``among`` is given, using that
    outcome in the same window), per cohort (and per ``by`` column of the persons table).
    """
    w = cohort.params.rate_window
    rows = []
    for period, (lo, hi) in (("before", (-w, -1)), ("after", (0, w - 1))):
        observed = set(cohort.grid.loc[cohort.grid["event_month"].between(lo, hi), "persoon_id"])
        persons = cohort.persons[cohort.persons["persoon_id"].isin(observed)].copy()
        if among is not None:
            persons = persons[_window_any(cohort, among, lo, hi).loc[persons.index] == 1]
        persons["uses"] = _window_any(cohort, outcome, lo, hi).loc[persons.index]
        keys = ["cohort"] + ([by] if by else [])
        g = persons.groupby(keys, dropna=False).agg(n_persons=("persoon_id", "size"),
                                                    n_using=("uses", "sum")).reset_index()
        rows.append(g.assign(period=period))
    out = pd.concat(rows, ignore_index=True)
    share, lo, hi = proportion_ci(out["n_using"], out["n_persons"], alpha)
    out["share"], out["ci_low"], out["ci_high"] = share, lo, hi
    return out


def jeugdwet_wmo_table(flags: pd.DataFrame, cohort: T.TransitionCohort, alpha: float) -> pd.DataFrame:
    """Jeugdwet extension after 18 and the step from Jeugdwet to Wmo.

    Among persons with Jeugdwet in months −support_window…−1: ``extended`` = Jeugdwet in a
    month after the birthday month (the law allows an extension to 23); ``extension_months`` =
    months with Jeugdwet from month 1 on (median among the extended); ``wmo_within_12`` = Wmo
    in months 0…11 (among persons observed through month 11). Rows per cohort.
    """
    if "jeugdwet_any" not in cohort.params.outcomes or "wmo_any" not in cohort.params.outcomes:
        return pd.DataFrame()
    jw_users = flags[flags["jeugdwet_before"] == 1]
    use = cohort.use
    jw_after = use[(use["outcome"] == "jeugdwet_any") & (use["event_month"] >= 1)]
    months_after = jw_after.groupby("persoon_id").size()
    wmo = use[(use["outcome"] == "wmo_any") & use["event_month"].between(0, 11)]
    rows = []
    for cohort_name, part in jw_users.groupby("cohort"):
        ext_months = part["persoon_id"].map(months_after).fillna(0)
        observed12 = part[part["followup_end"] >= 11]
        n_ext = int((ext_months > 0).sum())
        rows.append(dict(cohort=cohort_name, measure="extended", n_persons=len(part), n_events=n_ext,
                         median_months=float(np.median(ext_months[ext_months > 0])) if n_ext else np.nan))
        n_wmo = int(observed12["persoon_id"].isin(set(wmo["persoon_id"])).sum())
        rows.append(dict(cohort=cohort_name, measure="wmo_within_12", n_persons=len(observed12),
                         n_events=n_wmo, median_months=np.nan))
    out = pd.DataFrame(rows)
    share, lo, hi = proportion_ci(out["n_events"], out["n_persons"], alpha)
    out["share"], out["ci_low"], out["ci_high"] = share, lo, hi
    return out


def episodes_table(cohort: T.TransitionCohort) -> pd.DataFrame:
    """Episodes of Jeugdwet, Wmo and Wlz care inside the window: length and renewal.

    An episode is a run of consecutive event months with care of the law (any product). Lengths
    are reported for *complete* episodes (starting after the first and ending before the last
    observed month of the person, so the length is not cut by the window); ``n_followed`` counts
    episodes followed by another episode of the same law within the follow-up (a renewal after a
    gap), with the median gap in months.
    """
    rows = []
    last = cohort.persons.set_index("persoon_id")["followup_end"]
    first_month = -cohort.params.months_before
    cohort_of = cohort.persons.set_index("persoon_id")["cohort"]
    for law, outcome in (("jeugdwet", "jeugdwet_any"), ("wmo", "wmo_any"), ("wlz", "wlz_any")):
        if outcome not in cohort.params.outcomes:
            continue
        u = cohort.use.loc[cohort.use["outcome"] == outcome, ["persoon_id", "event_month"]]
        u = u.sort_values(["persoon_id", "event_month"])
        new = (u["persoon_id"] != u["persoon_id"].shift()) | (u["event_month"] != u["event_month"].shift() + 1)
        u = u.assign(episode=new.cumsum())
        ep = u.groupby("episode").agg(persoon_id=("persoon_id", "first"), start=("event_month", "min"),
                                     end=("event_month", "max"))
        ep["length"] = ep["end"] - ep["start"] + 1
        ep["complete"] = (ep["start"] > first_month) & (ep["end"] < ep["persoon_id"].map(last))
        ep["next_start"] = ep.groupby("persoon_id")["start"].shift(-1)
        ep["gap_months"] = ep["next_start"] - ep["end"] - 1
        ep["cohort"] = ep["persoon_id"].map(cohort_of)
        for cohort_name, e in ep.groupby("cohort"):
            done = e[e["complete"]]
            followed = e[e["gap_months"].notna()]
            rows.append(dict(
                cohort=cohort_name, law=law, n_persons=e["persoon_id"].nunique(), n_episodes=len(e),
                n_complete=len(done),
                median_length_months=float(done["length"].median()) if len(done) else np.nan,
                p25_length_months=float(done["length"].quantile(0.25)) if len(done) else np.nan,
                p75_length_months=float(done["length"].quantile(0.75)) if len(done) else np.nan,
                n_followed=len(followed),
                median_gap_months=float(followed["gap_months"].median()) if len(followed) else np.nan))
    return pd.DataFrame(rows)


def _not_estimable(outcome: str, cohort: str, exc: Exception, **extra) -> dict:
    """A result row for a model that could not be fitted, with the reason in ``note``."""
    return dict(outcome=outcome, cohort=cohort, estimate=np.nan, ci_low=np.nan, ci_high=np.nan,
                note=str(exc), **extra)


def _compact(panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The columns a fit needs, with the person as an integer code ranked like the ids (so any
    sort by person is the same): less to send to a worker process than the text ids."""
    codes, _ = pd.factorize(panel["persoon_id"], sort=True)
    return pd.DataFrame({"persoon_id": codes, "event_month": panel["event_month"].to_numpy(),
                         outcome: panel[outcome].to_numpy()})


def rd_table(cohort: T.TransitionCohort, alpha: float, progress: bool) -> pd.DataFrame:
    """The jump at 18 in the share using each outcome: per cohort, their difference, and a donut.

    Local-linear regression discontinuity on the person-month panel (``methods.discontinuity``):
    running variable the event month (month 0 counts as after), MSE-optimal bandwidth, robust
    bias-corrected interval (not centred on the conventional ``estimate``), standard errors
    clustered by person; ``difference`` = LLC − comparison (independent cohorts: the robust
    variances add); ``donut`` leaves the birthday month out. A cohort with too few persons on a
    side, or an outcome nobody uses, gives a row with the reason in ``note``.
    """
    outcomes = list(cohort.params.rd_outcomes)
    specs = (("main", 0), ("donut", 1))
    calls = []
    for outcome in outcomes:
        for c in T.COHORTS:
            panel = _compact(cohort.wide(outcome, c), "any")
            for _, donut in specs:
                calls.append(fits.Fit(discontinuity.rd_jump, (panel, "any"), dict(
                    running="event_month", cluster="persoon_id", donut=donut, alpha=alpha)))
    with tqdm(total=len(calls), desc="discontinuiteit", unit="model", disable=not progress, leave=False) as bar:
        done = iter(fits.run_fits(calls, done=bar.update))
    rows = []
    for outcome in outcomes:
        jumps = {c: {spec: next(done) for spec, _ in specs} for c in T.COHORTS}
        for spec, _ in specs:
            fitted = {}
            for c in T.COHORTS:
                table, error = jumps[c][spec]
                if error is None:
                    fitted[c] = table
                    row = table.iloc[0].to_dict()
                else:
                    row = _not_estimable(outcome, c, error)
                rows.append(dict(row, outcome=outcome, cohort=c, spec=spec))
            if len(fitted) == 2:  # the two cohorts are disjoint: their robust variances add
                row = discontinuity.difference_of_jumps(fitted["llc"], fitted["comparison"]).iloc[0].to_dict()
            else:
                row = _not_estimable(outcome, "difference", ParameterError("a cohort's jump could not be fitted"))
            rows.append(dict(row, outcome=outcome, cohort="difference", spec=spec))
    first = ["outcome", "cohort", "spec", "estimate", "ci_low", "ci_high"]
    out = pd.DataFrame(rows, columns=None if rows else first)  # no rd outcome: an empty table
    return out[first + [c for c in out.columns if c not in first]]


def rate_ratio_table(cohort: T.TransitionCohort, alpha: float) -> pd.DataFrame:
    """Before/after rate ratios of counts (visits, days, admissions) per cohort.

    Months −rate_window…−1 against 0…rate_window−1; a log-link GEE with an exchangeable working
    correlation and robust standard errors (``methods.rate_ratio``), so the repeated months of a
    person are accounted for.
    """
    w = cohort.params.rate_window
    keys = [(o, c) for o in RATE_OUTCOMES if o in cohort.params.outcomes for c in T.COHORTS]
    calls = [fits.Fit(rate_ratio.rate_ratio_before_after,
                      (_compact(cohort.wide(o, c), "volume"), "volume"),
                      dict(before=(-w, -1), after=(0, w - 1), running="event_month",
                           cluster="persoon_id", alpha=alpha))
             for o, c in keys]
    rows = []
    for (outcome, c), (table, error) in zip(keys, fits.run_fits(calls)):
        fit = table.iloc[0].to_dict() if error is None else _not_estimable(outcome, c, error)
        rows.append(dict(fit, outcome=outcome, cohort=c))
    first = ["outcome", "cohort"]
    out = pd.DataFrame(rows, columns=None if rows else first)  # no count outcome: an empty table
    return out[first + [c for c in out.columns if c not in first]]


# --------------------------------------------------------------------------- headline
def make_headline(tables: dict[str, pd.DataFrame]) -> dict:
    """The three headline figures of the LLC cohort, each with its interval.

    ``jump_support``: the discontinuity at 18 in the share with any home or social support
    (proportion points), from the donut fit without the birthday month: in that month both
    systems can pay (Jeugdwet up to the birthday, Wmo from it, by the 15th-of-the-month rule), so
    a composite of child and adult care peaks there and the fit with it measures that overlap,
    not the step (both fits are in the ``rd`` table); ``gap``: the share of supported persons with
    a gap; ``median``: months to the first adult successor care (Kaplan–Meier).
    """
    h: dict = {}
    rd = tables.get("rd")
    if rd is not None and not rd.empty:
        r = rd[(rd["outcome"] == "any_support") & (rd["cohort"] == "llc") & (rd["spec"] == "donut")]
        if len(r):
            r = r.iloc[0]
            h.update(jump_support=float(r["estimate"]), jump_ci_low=float(r["ci_low"]),
                     jump_ci_high=float(r["ci_high"]))
    gap = tables["gap"]
    g = gap[(gap["cohort"] == "llc") & (gap["group_by"] == "overall")]
    if len(g):
        g = g.iloc[0]
        h.update(n_supported=int(g["n_persons"]), gap_share=float(g["share_gap"]),
                 gap_ci_low=float(g["ci_low"]), gap_ci_high=float(g["ci_high"]))
        for k in ("median_months_to_adult_care", "median_ci_low", "median_ci_high"):
            if k in g:
                h[k] = float(g[k])
    return h


# --------------------------------------------------------------------------- run
def _metadata(con: duckdb.DuckDBPyConnection, p: T.TransitionParams) -> dict:
    meta = extract_meta(con)
    return {
        "analysis": "transition",
        "extract_id": meta["extract_id"], "manifest_sha256": meta.get("manifest_sha256"),
        "period": [str(meta["period_start"]), str(meta["period_end"])], "design": meta["design"],
        "parameters": {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.__dict__.items()},
        "definitions": [f"{p.outcome_definition}.csv", f"{LLC_CODELIST}.csv",
                        *(f"{SOURCE_DEFINITIONS[s]}.csv" for s in p.sources)],
        "warehouse_git_commit": meta.get("git_commit"),
        **provenance.record(),
    }


def _compute(con: duckdb.DuckDBPyConnection, params: T.TransitionParams, steps, progress: bool,
             rd: bool) -> tuple[dict[str, pd.DataFrame], T.TransitionCohort, list[str]]:
    """The steps of :func:`compute_transition`, advancing the progress bar ``steps``."""

    def say(message: str) -> None:
        steps.set_postfix_str(message)

    cohort = T.build_cohort(con, params, progress=say)
    p = cohort.params
    steps.update()
    notes = []
    if cohort.comparison_capped:
        notes.append(f"comparison cohort capped at a seeded random subset of {p.comparison_size} persons")
    flags = person_flags(cohort)
    tables: dict[str, pd.DataFrame] = {"attrition": cohort.attrition,
                                       "followup": followup_table(cohort.persons)}
    say("gebruik per maand")
    tables["event_time"] = event_time_table(cohort, p.alpha)
    steps.update()
    say("tijd tot volwassenenzorg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = time_to_care_tables(flags, p.alpha)
    steps.update()
    tables["gap"] = gap_table(flags, km["km_summary"], p.alpha)
    tables["time_to_care"] = km["km_at"]
    tables["km_curves"] = km["km_curves"]
    tables["cuminc"] = km["cuminc"]
    if "cox" in km:
        tables["cox"], tables["cox_ph"] = km["cox"], km["cox_ph"]
    else:
        notes.append("too few persons or events in the LLC cohort for a Cox model")
    say("ziekenhuis en beschrijvingen")
    tables["hospital"] = hospital_table(cohort, p.alpha)
    tables["episodes"] = episodes_table(cohort)
    tables["jeugdwet_wmo"] = jeugdwet_wmo_table(flags, cohort, p.alpha)
    tables["pgb"] = _before_after_share(cohort, "pgb_support", "any_support", None, p.alpha) \
        if "pgb_support" in p.outcomes else pd.DataFrame()
    tables["respite_region"] = _before_after_share(cohort, "respite_any", None, "nik_region", p.alpha) \
        if "respite_any" in p.outcomes else pd.DataFrame()
    steps.update()
    say("voor/na-verhoudingen")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables["rate_ratio"] = rate_ratio_table(cohort, p.alpha)
    steps.update()
    if rd:
        say("discontinuiteit bij 18")
        tables["rd"] = rd_table(cohort, p.alpha, progress)
    steps.update()
    return {k: v for k, v in tables.items() if v is not None}, cohort, notes


def compute_transition(con: duckdb.DuckDBPyConnection, params: T.TransitionParams | None = None, *,
                       progress: bool = True, rd: bool = True, cache: bool | None = None) -> TransitionResult:
    """Every transition table on a warehouse connection.

    Parameters
    ----------
    con : warehouse connection (read-only is fine).
    params : :class:`~kpz_analytics.cohorts.transition.TransitionParams` (defaults documented there).
    progress : show progress bars.
    rd : estimate the discontinuities (the slowest step; ``False`` for quick checks).
    cache : reuse the result of an earlier run on the same warehouse build with the same
        parameters and code (:mod:`kpz_analytics.analyses.cache`); None follows ``KPZ_CACHE``
        (on). A result from the cache has no person-level panel (``cohort.persons``, ``grid``,
        ``use``); its tables, headline, metadata and warnings are those of the run that stored it.
    """
    params = T.validated_params(con, params)  # bad parameters fail before any work or progress bar
    return result_cache.cached(con, "transition", {"params": params, "rd": rd},
                               lambda: _compute_result(con, params, progress, rd),
                               person_level={"cohort": ("persons", "grid", "use")}, enabled=cache)


def _compute_result(con: duckdb.DuckDBPyConnection, params: T.TransitionParams, progress: bool,
                    rd: bool) -> TransitionResult:
    steps = tqdm(total=6, desc="transitie", unit="stap", disable=not progress, leave=False)
    try:
        tables, cohort, notes = _compute(con, params, steps, progress, rd)
    finally:
        steps.close()
    return TransitionResult(tables=tables, headline=make_headline(tables),
                            metadata=_metadata(con, cohort.params), cohort=cohort, warnings=notes)


def write_results(result: TransitionResult, out_dir: str | Path) -> list[Path]:
    """Write every table as ``transition_<name>.csv`` plus ``transition_metadata.json``.

    These are the analysis tables *before* disclosure control: they stay inside the secure
    environment; what leaves it goes through ``kpz export`` and the reports.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in result.tables.items():
        path = out / f"transition_{name}.csv"
        df.to_csv(path, index=False)
        written.append(path)
    meta = dict(result.metadata, headline=result.headline, warnings=result.warnings,
                tables=sorted(result.tables))
    path = out / "transition_metadata.json"
    path.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return written + [path]


def run_transition(warehouse: str | Path, out_dir: str | Path, params: T.TransitionParams | None = None,
                   **kwargs) -> TransitionResult:
    """Open ``warehouse`` read-only, compute every table (:func:`compute_transition`), write CSVs."""
    con = connect(warehouse)
    try:
        result = compute_transition(con, params, **kwargs)
    finally:
        con.close()
    write_results(result, out_dir)
    return result
