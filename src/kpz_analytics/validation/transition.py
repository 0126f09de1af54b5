"""Replicated validation of the transition analysis against planted truth (``make validate``).

Each replication writes a seeded synthetic extract (``synthetic.write_extract``), ingests it,
builds the cohorts and panel exactly as ``kpz transition`` does (``cohorts.transition``,
``analyses.transition``) and compares with the generator's truth, which the pipeline never
reads:

**Exact checks** against the realised truth of the same extract (``_truth/transition_persons``,
``_truth/transition_curves.csv``, formed from the generator's own lines): every person of the
LLC and comparison cohorts (and no other), their found month, follow-up end and censoring
reason, diagnostic group, support before 18, Wlz and pgb before 18, gap eligibility, the gap,
the time to adult successor care; the persons at risk and using each outcome in every event
month; the number with a gap per cohort and group; the Kaplan–Meier median per cohort and
group. Any difference is a bug in the pipeline or in the truth.

**Statistical checks** against the *planted expected* values (``synthetic.planted``: a pooled
simulation of 40 independent extracts, seeds 100001–100040, disjoint from the validation
seeds; stored per period in ``synthetic/planted/``): per replication, does the interval cover
the planted value —

* ``rd``: the robust bias-corrected RD interval (``methods.discontinuity.rd_jump`` on the
  pipeline's panel ``TransitionCohort.wide``, the call ``analyses.transition.rd_table`` makes)
  per outcome × cohort × spec (main: month 0 counts as after; donut: month 0 left out); the
  difference LLC − comparison with the analytic interval of ``rd_difference`` (bias-corrected
  difference ± z·√(se_A² + se_B²)), computed from the two fits;
* ``gap``: the Wilson interval of the gap share (``analyses.transition.gap_table``) per cohort
  × group (overall, sex, Wlz before 18, pgb before 18);
* ``km``: the Kaplan–Meier median interval of the months to adult successor care
  (``methods.survival.km_summary`` on the supported persons, as
  ``analyses.transition.time_to_care_tables``) per cohort × group where the planted median
  exists (the comparison cohort never reaches half).

With ``scenario`` (a generator mechanism that breaks an assumption, ``docs/synthetic.md``) the
planted values are those of the scenario, and ``rd_vs_baseline`` compares the RD intervals with
the jump planted without the scenario: what turning 18 does when the assumption holds.

Summaries give, per estimator, coverage (share of replications whose interval contains the
planted value), bias (mean estimate − planted), mean width, and ``coverage_range``: coverage of
the planted value's definitional range (``value_min`` … ``value_max``, see ``synthetic.planted``),
which separates estimator failure from the ambiguity of a limit on a monthly grid.

Run ``python -m kpz_analytics.validation --only transition --help``.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm

from ..analyses import transition as A
from ..cohorts import transition as T
from ..errors import KpzError, ParameterError
from ..methods import discontinuity, survival
from ..synthetic import planted as PL
from ..synthetic import transition_truth as TT
from ..warehouse.connect import connect

#: Outcomes whose jump at 18 is validated.
OUTCOMES: tuple[str, ...] = ("any_support", "adult_successor", "jeugdwet_any", "wmo_any", "ikz_mkv",
                             "wijkverpleging", "wlz_any", "hospital_paediatric", "hospital_adult")
SPECS = {"main": 0, "donut": 1}
#: Outcomes the person flags of ``analyses.transition.person_flags`` read (Wlz, pgb, Jeugdwet, IKZ
#: before 18); always in the panel so the grouping columns exist.
FLAG_OUTCOMES = ("wlz_any", "pgb_support", "jeugdwet_any", "ikz_mkv")
#: Groupings of the gap share and KM median whose coverage is checked (small groups such as the
#: diagnostic groups and regions are checked exactly, not for coverage).
COVERAGE_GROUPS = ("overall", "geslacht", "wlz_before", "pgb_before")
#: Groups with fewer pooled persons in the planted simulation (e.g. sex unknown) are left out of
#: the coverage summaries: a replication holds a handful of them at most.
MIN_PLANTED_PERSONS = 100
#: Coverage an interval estimator must reach over the replications (issue 13).
TARGET_COVERAGE = 0.90
PERSON_COLUMNS = ("found_event_month", "followup_end", "censor_reason", "diagnostic_group", "support_before",
                  "wlz_before", "pgb_before", "gap_eligible", "gap", "care_time", "care_event", "care_status")
DEFAULTS = dict(replications=10, scale=0.05, years=(2019, 2024), seed=1)


# --------------------------------------------------------------------------- truth
def read_truth(extract_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``_truth/transition_persons`` (csv or parquet) and ``_truth/transition_curves.csv``."""
    d = Path(extract_dir) / "_truth"
    if (d / "transition_persons.parquet").exists():
        persons = pd.read_parquet(d / "transition_persons.parquet")
    elif (d / "transition_persons.csv").exists():
        persons = pd.read_csv(d / "transition_persons.csv", dtype={"persoon_id": str, "cohort": str,
                                                                   "diagnostic_group": str},
                              keep_default_na=False, na_values={"gap": [""], "found_event_month": [""],
                                                                "first_adult_care_month": [""]})
    else:
        raise KpzError(f"no planted truth transition_persons.csv/.parquet in {d}")
    persons["cohort"] = persons["cohort"].fillna("")
    persons["diagnostic_group"] = persons["diagnostic_group"].fillna("")
    return persons, pd.read_csv(d / "transition_curves.csv")


def planted_for(years: tuple[int, int], scenario: str | None, cache_dir: Path | None = None,
                seeds: int = len(PL.DEFAULT_SEEDS), progress: bool = False) -> tuple[pd.DataFrame, str]:
    """Planted values for a period and scenario: the stored document, a cached one, or a new pool.

    Returns the values and where they came from.
    """
    doc = PL.load_planted(years, scenario)
    source = str(PL.planted_path(years, scenario).name)
    if doc is None and cache_dir is not None:
        cached = PL.planted_path(years, scenario, Path(cache_dir))
        doc = PL.load_planted(years, scenario, cached)
        source = str(cached)
        if doc is None:
            pooled = PL.pool(years, PL.DEFAULT_SEEDS[:seeds], PL.DEFAULT_SCALE, scenario=scenario,
                             workdir=cache_dir, progress=progress)
            doc = PL.write_planted(pooled, cached)
    if doc is None:
        raise KpzError(f"no planted values for {years[0]}-{years[1]}"
                       f"{' scenario ' + scenario if scenario else ''}: run python -m "
                       f"kpz_analytics.synthetic.planted --years {years[0]}-{years[1]}"
                       f"{' --scenario ' + scenario if scenario else ''}")
    return PL.values_frame(doc), source


# --------------------------------------------------------------------------- one replication
@dataclass
class Replication:
    """The comparisons of one seeded replication (long tables, one row per check or estimate)."""

    seed: int
    exact: pd.DataFrame
    rd: pd.DataFrame
    gap: pd.DataFrame
    km: pd.DataFrame
    seconds: dict = field(default_factory=dict)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality with missing == missing (numbers compared as numbers)."""
    an, bn = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    if an.notna().sum() == a.notna().sum() and bn.notna().sum() == b.notna().sum():
        x, y = an.astype(float).to_numpy(), bn.astype(float).to_numpy()
        return (x == y) | (np.isnan(x) & np.isnan(y))
    x = a.astype(object).where(a.notna(), "").astype(str).to_numpy()
    y = b.astype(object).where(b.notna(), "").astype(str).to_numpy()
    return x == y


def exact_checks(cohort: T.TransitionCohort, flags: pd.DataFrame, truth: pd.DataFrame, curves: pd.DataFrame,
                 km_pipeline: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Pipeline against the realised truth of the same extract: one row per check with its mismatches."""
    rows = []
    t = truth[truth["cohort"] != ""].set_index("persoon_id")
    for c in TT.COHORTS:
        got = set(cohort.persons.loc[cohort.persons["cohort"] == c, "persoon_id"])
        want = set(t.index[t["cohort"] == c])
        rows.append(dict(check=f"members[{c}]", n_compared=len(got | want),
                         n_mismatch=len(got ^ want), detail=f"pipeline {len(got)}, truth {len(want)}"))
    f = flags.set_index("persoon_id")
    both = f.index.intersection(t.index)
    f, tt = f.loc[both], t.loc[both]
    for col in PERSON_COLUMNS:
        a = f[col]
        if col == "gap_eligible":
            a = a.astype(int)
        if col == "diagnostic_group":
            a = a.where(f["cohort"] == "llc", "")
        same = _same(a, tt[col])
        bad = list(both[~same][:3])
        rows.append(dict(check=f"person[{col}]", n_compared=len(both), n_mismatch=int((~same).sum()),
                         detail=", ".join(map(str, bad))))
    et = A.event_time_table(cohort, alpha)
    m = curves[curves["outcome"].isin(cohort.outcomes["outcome"])].merge(
        et, on=["cohort", "outcome", "event_month"], how="left", suffixes=("_truth", ""))
    bad = (m["n_at_risk"].fillna(0) != m["n_at_risk_truth"]) | (m["n_using"].fillna(0) != m["n_using_truth"])
    rows.append(dict(check="event_time[n_at_risk, n_using]", n_compared=len(m), n_mismatch=int(bad.sum()),
                     detail=", ".join(f"{r.cohort}/{r.outcome}/{r.event_month}" for r in m[bad].head(3).itertuples())))
    groups = TT.group_summaries(truth)
    gt = A.gap_table(flags, None, alpha).astype({"group": str})
    g = groups.merge(gt, on=["cohort", "group_by", "group"], how="outer", suffixes=("_truth", ""))
    g = g[g["n_persons_truth"].fillna(0) + g["n_persons"].fillna(0) > 0]
    bad = (g["n_persons"].fillna(-1) != g["n_persons_truth"].fillna(-1)) | (g["n_gap"].fillna(-1) != g["n_gap_truth"].fillna(-1))
    rows.append(dict(check="gap[n_persons, n_gap]", n_compared=len(g), n_mismatch=int(bad.sum()),
                     detail=", ".join(f"{r.cohort}/{r.group_by}/{r.group}" for r in g[bad].head(3).itertuples())))
    k = groups.merge(km_pipeline, on=["cohort", "group_by", "group"], how="inner")
    same = _same(k["median"], k["km_median"])
    rows.append(dict(check="km[median]", n_compared=len(k), n_mismatch=int((~same).sum()),
                     detail=", ".join(f"{r.cohort}/{r.group_by}/{r.group}" for r in k[~same].head(3).itertuples())))
    return pd.DataFrame(rows)


def km_medians(flags: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """KM median months to adult care per cohort × group: the km_summary call of the analysis."""
    sup = flags[flags["support_before"] == 1]
    out = []
    for group_by in A.GAP_GROUPS:
        for c, part in sup.groupby("cohort"):
            if group_by == "diagnostic_group" and c != "llc":
                continue
            if group_by == "overall":
                keys = pd.Series("all", index=part.index)
            elif group_by in part and part[group_by].notna().any():
                keys = part[group_by].astype("string").fillna("unknown")
            else:
                continue
            s = survival.km_summary(part.assign(group=keys), "care_time", "care_event", group="group",
                                    times=A.KM_TIMES, alpha=alpha).medians
            out.append(s.assign(cohort=c, group_by=group_by))
    return pd.concat(out, ignore_index=True).astype({"group": str})


def rd_estimates(cohort: T.TransitionCohort, outcomes, alpha: float) -> pd.DataFrame:
    """RD jump per outcome × cohort × spec on the pipeline's panel, and the difference LLC − comparison."""
    rows = []
    z = stats.norm.ppf(1 - alpha / 2)
    for outcome in outcomes:
        panels = {c: cohort.wide(outcome, c) for c in TT.COHORTS}
        for spec, donut in SPECS.items():
            fits = {}
            for c, panel in panels.items():
                try:
                    r = discontinuity.rd_jump(panel, "any", running="event_month", cluster="persoon_id",
                                              donut=donut, alpha=alpha).iloc[0]
                except ParameterError as exc:  # e.g. too few persons on a side: not estimable
                    r = pd.Series({"estimate": np.nan, "note": str(exc)})
                fits[c] = r
                rows.append(dict(outcome=outcome, cohort=c, spec=spec, estimate=r.get("estimate"),
                                 estimate_bias_corrected=r.get("estimate_bias_corrected", np.nan),
                                 ci_low=r.get("ci_low", np.nan), ci_high=r.get("ci_high", np.nan),
                                 std_err=r.get("std_err", np.nan), bandwidth=r.get("bandwidth_left_months", np.nan),
                                 n_persons=r.get("n_persons", np.nan), note=r.get("note", "")))
            a, b = fits["llc"], fits["comparison"]
            se = float(np.hypot(a.get("std_err", np.nan), b.get("std_err", np.nan)))
            centre = a.get("estimate_bias_corrected", np.nan) - b.get("estimate_bias_corrected", np.nan)
            rows.append(dict(outcome=outcome, cohort="difference", spec=spec,
                             estimate=a.get("estimate", np.nan) - b.get("estimate", np.nan),
                             estimate_bias_corrected=centre, ci_low=centre - z * se, ci_high=centre + z * se,
                             std_err=se, bandwidth=np.nan, n_persons=np.nan, note=""))
    return pd.DataFrame(rows)


def replicate(seed: int, workdir: Path, *, scale: float = 0.05, years: tuple[int, int] = (2019, 2024),
              scenario: str | None = None, outcomes=OUTCOMES, alpha: float = 0.05, rd: bool = True,
              fmt: str = "parquet") -> Replication:
    """One replication: synthesise, ingest, build the cohorts and estimates, compare with the truth."""
    from ..synthetic import write_extract
    from ..warehouse.ingest import ingest

    workdir = Path(workdir)
    extract = workdir / f"extract-{seed}"
    warehouse = workdir / f"warehouse-{seed}.duckdb"
    seconds = {}
    t0, c0 = time.time(), time.process_time()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        write_extract(extract, seed=seed, design="cohort_sample", fmt=fmt, scale=scale, years=years,
                      scenario=scenario, progress=False)
        ingest(extract, warehouse=warehouse, max_bad_share=None, progress=False)
    seconds["synth_ingest"] = time.time() - t0
    t0 = time.time()
    con = connect(warehouse)
    try:
        # pgb_support (and every outcome of a before-18 flag) is needed for the grouping columns
        needed = tuple(dict.fromkeys([*outcomes, *FLAG_OUTCOMES]))
        params = T.TransitionParams(outcomes=needed, comparison_size=10**9, alpha=alpha)
        cohort = T.build_cohort(con, params)
    finally:
        con.close()
    truth, curves = read_truth(extract)
    flags = A.person_flags(cohort)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = km_medians(flags, alpha)
    exact = exact_checks(cohort, flags, truth, curves, km, alpha)
    gap = A.gap_table(flags, None, alpha)
    seconds["cohort_exact"] = time.time() - t0
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rd_rows = rd_estimates(cohort, outcomes, alpha) if rd else pd.DataFrame()
    seconds["rd"] = time.time() - t0
    seconds["cpu"] = time.process_time() - c0
    shutil.rmtree(extract, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    tag = dict(seed=seed)
    return Replication(seed=seed, exact=exact.assign(**tag), rd=rd_rows.assign(**tag), gap=gap.assign(**tag),
                       km=km.assign(**tag), seconds=seconds)


# --------------------------------------------------------------------------- summary
def _cover(df: pd.DataFrame, keys: list[str], est: str) -> pd.DataFrame:
    """Coverage, bias and width per key; needs ``value`` (planted), ``ci_low``, ``ci_high``.

    ``coverage`` = share of replications with ci_low <= planted <= ci_high; ``coverage_range``
    = share whose interval overlaps [value_min, value_max]; ``bias`` = mean(estimate − planted);
    ``rmse``; ``width`` = mean(ci_high − ci_low) over bounded intervals (``n_unbounded`` counts
    the others, e.g. a KM median whose upper limit is not reached); replications without an
    estimate count in ``n_not_estimable``.
    """
    d = df[df["value"].notna()].copy()
    d["covered"] = (d["ci_low"] <= d["value"]) & (d["value"] <= d["ci_high"])
    lo = d["value_min"].fillna(d["value"]) if "value_min" in d else d["value"]
    hi = d["value_max"].fillna(d["value"]) if "value_max" in d else d["value"]
    d["covered_range"] = (d["ci_low"] <= hi) & (lo <= d["ci_high"])
    d["error"] = d[est] - d["value"]
    d["width"] = (d["ci_high"] - d["ci_low"]).where(np.isfinite(d["ci_high"] - d["ci_low"]))
    d["unbounded"] = ~np.isfinite(d["ci_high"] - d["ci_low"])
    ok = d["ci_low"].notna() & d["ci_high"].notna()
    g = d[ok].groupby(keys, sort=False)
    out = g.agg(n=("covered", "size"), coverage=("covered", "mean"), coverage_range=("covered_range", "mean"),
                planted=("value", "first"), mean_estimate=(est, "mean"),
                bias=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(e ** 2)))),
                width=("width", "mean"), n_unbounded=("unbounded", "sum"))
    if "value_min" in d:
        out["planted_min"] = g["value_min"].first()
        out["planted_max"] = g["value_max"].first()
    n_all = d.groupby(keys, sort=False).size()
    out["n_not_estimable"] = (n_all - out["n"]).fillna(0).astype(int)
    out["meets_target"] = out["coverage"] >= TARGET_COVERAGE
    return out.reset_index()


def summarise(reps: list[Replication], planted: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Exact-check and coverage summaries over replications (see the module docstring)."""
    exact = pd.concat([r.exact for r in reps], ignore_index=True)
    ex = exact.groupby("check", sort=False).agg(n_replications=("seed", "nunique"),
                                                n_compared=("n_compared", "sum"),
                                                n_mismatch=("n_mismatch", "sum"),
                                                n_replications_failed=("n_mismatch", lambda m: int((m > 0).sum())))
    ex["exact"] = ex["n_mismatch"] == 0
    out = {"exact": ex.reset_index()}
    pj = planted[planted["quantity"] == "rd_jump"][["cohort", "outcome", "spec", "value", "value_min", "value_max"]]
    rd = pd.concat([r.rd for r in reps], ignore_index=True)
    if not rd.empty:
        rd = rd.merge(pj, on=["cohort", "outcome", "spec"], how="left")
        s = _cover(rd, ["outcome", "cohort", "spec"], "estimate")
        bc = rd.assign(error_bc=rd["estimate_bias_corrected"] - rd["value"]).groupby(
            ["outcome", "cohort", "spec"], sort=False)["error_bc"].mean().rename("bias_corrected_bias")
        out["rd"] = s.merge(bc.reset_index(), on=["outcome", "cohort", "spec"], how="left")
    big = planted["n"].fillna(0) >= MIN_PLANTED_PERSONS if "n" in planted else True
    pg = planted[(planted["quantity"] == "gap_share") & big][["cohort", "group_by", "group", "value"]]
    gap = pd.concat([r.gap for r in reps], ignore_index=True)
    gap = gap[gap["group_by"].isin(COVERAGE_GROUPS)].astype({"group": str}).merge(
        pg, on=["cohort", "group_by", "group"], how="left")
    out["gap"] = _cover(gap, ["cohort", "group_by", "group"], "share_gap")
    pk = planted[(planted["quantity"] == "km_median") & big][["cohort", "group_by", "group", "value"]]
    km = pd.concat([r.km for r in reps], ignore_index=True)
    km = km[km["group_by"].isin(COVERAGE_GROUPS)].merge(pk, on=["cohort", "group_by", "group"], how="left")
    km = km.rename(columns={"median_ci_low": "ci_low", "median_ci_high": "ci_high"})
    # an interval whose upper limit is not reached is open to the right
    km["ci_high"] = km["ci_high"].where(km["ci_high"].notna() | km["ci_low"].isna(), np.inf)
    out["km"] = _cover(km, ["cohort", "group_by", "group"], "median")
    out["seconds"] = pd.DataFrame([dict(seed=r.seed, **r.seconds) for r in reps])
    return out


@dataclass
class ValidationResult:
    """Summaries (``exact``, ``rd``, ``gap``, ``km``, ``seconds``) and the raw replications."""

    summary: dict[str, pd.DataFrame]
    replications: list[Replication]
    planted_source: str
    config: dict


def run_validation(replications: int = DEFAULTS["replications"], scale: float = DEFAULTS["scale"],
                   seed: int = DEFAULTS["seed"], years: tuple[int, int] = DEFAULTS["years"],
                   scenario: str | None = None, outcomes=OUTCOMES, alpha: float = 0.05, rd: bool = True,
                   out_dir: str | Path | None = None, workdir: str | Path | None = None,
                   progress: bool = True, planted: pd.DataFrame | None = None) -> ValidationResult:
    """Run ``replications`` seeded replications (seeds ``seed, seed+1, …``) and summarise them.

    ``planted``: planted values to compare with (default: :func:`planted_for` the period and
    scenario). Writes ``transition_validation_<table>.csv`` to ``out_dir`` when given.
    """
    if replications < 1:
        raise ParameterError(f"replications must be at least 1, got {replications}")
    if scale <= 0:
        raise ParameterError(f"scale must be positive, got {scale}")
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ParameterError(f"unknown outcome {', '.join(unknown)} (validated: {', '.join(OUTCOMES)})")
    if planted is None:
        planted, source = planted_for(years, scenario, Path(out_dir) if out_dir else None, progress=progress)
    else:
        source = "given"
    tmp = Path(tempfile.mkdtemp(prefix="kpz-validate-transition-", dir=workdir))
    reps = []
    try:
        for i in tqdm(range(replications), desc="transition replications", unit="rep", disable=not progress):
            reps.append(replicate(seed + i, tmp, scale=scale, years=years, scenario=scenario, outcomes=outcomes,
                                  alpha=alpha, rd=rd))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = summarise(reps, planted)
    if scenario:
        # the RD's target when the assumption holds: the jump planted without the scenario
        baseline, _ = planted_for(years, None, Path(out_dir) if out_dir else None, progress=progress)
        summary["rd_vs_baseline"] = summarise(reps, baseline)["rd"]
    config = dict(replications=replications, scale=scale, first_seed=seed, years=list(years), scenario=scenario,
                  alpha=alpha, planted=source)
    result = ValidationResult(summary, reps, source, config)
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        suffix = f"_{scenario}" if scenario else ""
        for name, df in summary.items():
            df.to_csv(out / f"transition_validation{suffix}_{name}.csv", index=False)
        for name in ("rd", "gap", "km", "exact"):
            raw = pd.concat([getattr(r, name) for r in reps], ignore_index=True)
            raw.to_csv(out / f"transition_validation{suffix}_{name}_per_replication.csv", index=False)
    return result


def format_result(result: ValidationResult) -> str:
    """Readable text of the summary tables."""
    s = result.summary
    c = result.config
    secs = s["seconds"].drop(columns=["seed", "cpu"], errors="ignore").sum(axis=1)
    cpu = s["seconds"]["cpu"].mean() if "cpu" in s["seconds"] else float("nan")
    lines = [f"Transition: {c['replications']} replications, scale {c['scale']}, years "
             f"{c['years'][0]}-{c['years'][1]}{', scenario ' + c['scenario'] if c['scenario'] else ''}; "
             f"{secs.mean():.0f} s wall ({cpu:.0f} s CPU) per replication; planted values: "
             f"{result.planted_source}", ""]
    with pd.option_context("display.width", 220, "display.max_columns", 30, "display.max_rows", 500,
                           "display.float_format", "{:,.3f}".format):
        lines += ["Exact checks against the realised truth of each extract (n_mismatch must be 0):",
                  s["exact"].to_string(index=False), ""]
        cols = ["outcome", "cohort", "spec", "n", "coverage", "coverage_range", "planted", "planted_min",
                "planted_max", "mean_estimate", "bias", "bias_corrected_bias", "width", "n_not_estimable"]
        if "rd" in s:
            lines += ["RD jump at 18 (robust bias-corrected interval) against the planted expected jump:",
                      s["rd"][cols].to_string(index=False), ""]
        if "rd_vs_baseline" in s:
            lines += ["RD jump at 18 against the jump planted WITHOUT the scenario (what turning 18 does when "
                      "the assumption holds):", s["rd_vs_baseline"][cols].to_string(index=False), ""]
        for name, title in (("gap", "Gap share (Wilson interval) against the planted expected share:"),
                            ("km", "Kaplan-Meier median months to adult care against the planted median:")):
            cols = ["cohort", "group_by", "group", "n", "coverage", "planted", "mean_estimate", "bias", "width",
                    "n_not_estimable"]
            lines += [title, s[name][cols].to_string(index=False), ""]
    below = []
    for name in ("rd", "gap", "km"):
        if name in s:
            t = s[name]
            keys = [c for c in ("outcome", "cohort", "spec", "group_by", "group") if c in t]
            below += [f"{name}: " + "/".join(str(r[k]) for k in keys) + f" {r['coverage']:.2f}"
                      for _, r in t[~t["meets_target"]].iterrows()]
    lines.append(f"Below the {TARGET_COVERAGE:.0%} coverage target: " + ("; ".join(below) if below else "none"))
    return "\n".join(lines)
