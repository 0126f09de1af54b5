"""Replicated validation of the prevalence estimators against planted truth (``make validate``).

Each replication writes a seeded synthetic extract (``synthetic.write_extract``, in one of the
capture scenarios of ``synthetic.parameters.CAPTURE_SCENARIOS``), ingests it
(``ingest.ingest``), finds the cases and runs capture–recapture and the need correction exactly
as ``kpz prevalence`` does, and compares with the generator's planted truth in
``<extract>/_truth/`` (which the pipeline itself never reads):

* ``llc_observed[<basis>]`` — observed LLC cases per year must equal the truth of *ascertained*
  cases exactly, on both counting bases (``period``: alive and insured on a day of Y; ``point``:
  on 1 July), aged ``age_min``–``age_max`` on 1 July, captured by a selected source in a year
  Y−L … Y in which the person was alive and insured;
* ``cr_total[<model>]`` / ``cr_<stratum>[<model>]`` — capture–recapture estimates of all
  children with an LLC (true total: planted LLC children alive and insured in Y in the age
  range), with the profile-likelihood interval of the sum (``cr_total``) and the summed bounds
  (``cr_total_summed``): coverage, bias, width;
* ``need_raw[<definition>]`` — the flagged count with its exact Poisson interval against the
  planted number in a non-stable phase (unstable, deteriorating, dying);
* ``need_corrected[<definition>]`` — the count corrected for misclassification with the
  accuracy parameters in use (default ``codelists/need_accuracy_synthetic_v1.csv``, calibrated
  on seeds disjoint from the validation seeds), and ``need_change`` — the corrected change
  between consecutive years against the planted change;
* the sensitivity and positive predictive value of each need-definition variant.

Every estimator is summarised over all cells and per year. ``run_calibration`` (``--calibrate``)
writes the accuracy parameters from separate replications. Run ``python -m
kpz_analytics.validation --help`` (``validation/__main__.py``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import __version__
from ..analyses import palliative_need as NEED
from ..analyses import prevalence as P
from ..cohorts import cases as C
from ..errors import KpzError, ParameterError
from ..methods import rates
from ..synthetic import parameters as SP
from ..warehouse.connect import connect

NONSTABLE = ("unstable", "deteriorating", "dying")
SCENARIOS = SP.CAPTURE_SCENARIOS
#: Need definitions compared with the planted phases (v1 for its raw count only: no accuracy).
NEED_DEFINITIONS = (C.NEED_DEFINITION, C.NEED_PLUS_ACTIVITY, "palliative_need_v1")
CR_STRATA = tuple(name for name, _ in P.CR_STRATA)


# --------------------------------------------------------------------------- truth
def _read_table(directory: Path, name: str) -> pd.DataFrame:
    for suffix, reader in ((".parquet", pd.read_parquet),
                           (".csv", lambda p: pd.read_csv(p, sep=None, engine="python"))):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    raise KpzError(f"no planted truth {name}.csv/.parquet in {directory}")


def _read_person_year(directory: Path) -> pd.DataFrame:
    """``_truth/person_year`` (csv or parquet); fast path for the large csv."""
    path = directory / "person_year.csv"
    if path.exists():
        head = path.open(encoding="utf-8").readline()
        sep = ";" if head.count(";") > head.count(",") else ","
        return pd.read_csv(path, sep=sep, dtype={"persoon_id": str})
    return _read_table(directory, "person_year")


def _prepare_truth(py: pd.DataFrame) -> pd.DataFrame:
    py = py.copy()
    py["persoon_id"] = py["persoon_id"].astype(str)
    flags = [c for c in py.columns if c.startswith("captured_")] + [
        "alive_insured", "alive_insured_1july", "under18_in_year"]
    missing = [c for c in ("alive_insured_1july", "under18_in_year") if c not in py.columns]
    if missing:
        raise KpzError(f"planted truth lacks {', '.join(missing)}: regenerate the extract with this version")
    for c in flags:
        py[c] = py[c].astype(str).str.lower().isin(("1", "true", "1.0"))
    py["jaar"] = py["jaar"].astype(int)
    py["age_1july"] = py["age_1july"].astype(int)
    py["phase"] = py["phase"].fillna("").astype(str)
    return py


def truth_by_year(extract_dir: Path, params: C.CaseParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planted truth per year for the case definition ``params`` (its counting basis included).

    Returns ``(per_year, rows)``. ``per_year``: one row per year with ``true_total`` (LLC
    children counted on the basis — alive and insured on a day of Y, or on 1 July — aged in
    range), ``ascertained`` (of whom captured by a selected source within the lookback, in a
    year they were alive and insured), ``true_need`` (in a non-stable phase),
    ``true_total_under18`` / ``true_total_18plus`` (the capture–recapture strata: an LLC day
    alive and insured before the 18th birthday, or not). ``rows``: the counted person-years
    with ``ascertained`` and ``need`` flags.
    """
    py = _prepare_truth(_read_person_year(Path(extract_dir) / "_truth"))
    first, last = params.years
    L = params.lookback
    cap_cols = [f"captured_{s}" for s in params.sources]
    py["any_cap"] = py[cap_cols].any(axis=1) & py["alive_insured"]
    cap_years = py.loc[py["any_cap"], ["persoon_id", "jaar"]].rename(columns={"jaar": "cap_jaar"})
    on_basis = py["alive_insured_1july"] if params.basis == "point" else py["alive_insured"]
    base = py[on_basis & py["jaar"].between(first, last)
              & py["age_1july"].between(params.age_min, params.age_max)].copy()
    m = base[["persoon_id", "jaar"]].merge(cap_years, on="persoon_id")
    m = m[(m["cap_jaar"] <= m["jaar"]) & (m["cap_jaar"] >= m["jaar"] - L)]
    asc = m[["persoon_id", "jaar"]].drop_duplicates().assign(ascertained=True)
    base = base.merge(asc, on=["persoon_id", "jaar"], how="left")
    base["ascertained"] = base["ascertained"].notna()
    base["need"] = base["phase"].isin(NONSTABLE)
    out = base.groupby("jaar").agg(true_total=("persoon_id", "size"), ascertained=("ascertained", "sum"),
                                   true_need=("need", "sum"))
    for name, flag in (("under18", True), ("18plus", False)):
        out[f"true_total_{name}"] = (base[base["under18_in_year"] == flag].groupby("jaar").size()
                                     .reindex(out.index, fill_value=0))
    out = out.reindex(range(first, last + 1), fill_value=0).rename_axis("jaar").reset_index()
    return out, base


# --------------------------------------------------------------------------- one replication
@dataclass
class Replication:
    """Comparisons of one seeded replication."""

    seed: int
    scenario: str
    per_year: pd.DataFrame  # one row per year: LLC counts, capture–recapture per model choice
    need: pd.DataFrame  # definition × basis × year: flagged, true positives, truth, corrected
    need_change: pd.DataFrame  # definition × basis × consecutive years: change vs planted change
    variants: pd.DataFrame  # need-definition variants: flagged, true positives
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)  # APC observed vs planted
    seconds: float = 0.0


def _quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def replicate(seed: int, workdir: Path, *, scale: float = 0.05, years: tuple[int, int] = (2019, 2024),
              params: C.CaseParams | None = None, criteria=P.CR_CRITERIA, alpha: float = 0.05,
              fmt: str = "parquet", scenario: str = "base", bases=C.BASES,
              accuracy: pd.DataFrame | None = None, variants: bool = True) -> Replication:
    """One replication: synthesise, ingest, estimate, compare with the planted truth.

    Capture–recapture runs on the first basis in ``bases`` (``params.basis`` by default the
    ``period`` basis) once per model choice in ``criteria``; observed counts and the need
    definitions are compared on every basis. ``accuracy`` (a :func:`palliative_need.load_accuracy`
    table) corrects the need counts; None skips the correction (calibration runs).
    """
    from ..synthetic import write_extract
    from ..warehouse.ingest import ingest

    started = time.perf_counter()
    if scenario not in SCENARIOS:
        raise ParameterError(f"unknown scenario {scenario!r} (use {', '.join(SCENARIOS)})")
    workdir = Path(workdir)
    extract = workdir / f"extract-{scenario}-{seed}"
    warehouse = workdir / f"warehouse-{scenario}-{seed}.duckdb"
    with _quiet():
        write_extract(extract, seed=seed, design="cohort_sample", fmt=fmt, scale=scale, years=years,
                      faults=False, capture_scenario=scenario)
        ingest(extract, warehouse=warehouse, max_bad_share=None)
    base_params = params or C.CaseParams()
    bases = list(dict.fromkeys([base_params.basis, *bases]))
    per_year, need_rows, change_rows, variant_rows = None, [], [], []
    con = connect(warehouse)
    try:
        for b in bases:
            p_b = C.CaseParams(years=base_params.years, age_min=base_params.age_min,
                               age_max=base_params.age_max, lookback=base_params.lookback,
                               sources=base_params.sources, need_definition=base_params.need_definition,
                               basis=b)
            with _quiet():
                table = C.find_cases(con, p_b)
            p = table.params
            truth, truth_rows = truth_by_year(extract, p)
            llc = C.llc_cases(table)
            obs = llc.groupby("jaar").size().rename("llc_observed")
            df = truth.set_index("jaar").join(obs).fillna({"llc_observed": 0})
            low, high = rates.poisson_ci(df["llc_observed"].to_numpy(), alpha)
            df["llc_ci_low"], df["llc_ci_high"] = low, high
            df = df.add_suffix(f"_{b}")
            if per_year is None:
                per_year = df
                with _quiet():
                    cr_runs = {c: P.capture_recapture_by_year(table, criterion=c, alpha=alpha,
                                                              progress=False) for c in criteria}
                for c, (totals, per, _) in cr_runs.items():
                    t = totals.set_index("jaar")
                    per_year["n_observed"] = t["n_observed"]
                    for col in ("n_estimated", "ci_low", "ci_high", "ci_low_summed", "ci_high_summed",
                                "status"):
                        per_year[f"{col}_{c}"] = t[col]
                    for stratum, g in per.groupby("stratum"):
                        g = g.set_index("jaar")
                        per_year[f"cr_{stratum}_{c}_estimate"] = g["n_estimated"]
                        per_year[f"cr_{stratum}_{c}_low"] = g["ci_low"]
                        per_year[f"cr_{stratum}_{c}_high"] = g["ci_high"]
                        per_year[f"cr_{stratum}_{c}_status"] = g["status"]
                        per_year[f"cr_{stratum}_n_observed"] = g["n_observed"]
                if variants:
                    variant_rows = _variants(con, table, truth_rows, seed)
                trend = _trends(con, table, truth, alpha, seed, scenario)
            else:
                per_year = per_year.join(df)
            need, change = _need(con, table, truth_rows, truth, accuracy, alpha, seed, scenario)
            need_rows.append(need)
            change_rows.append(change)
    finally:
        con.close()
    per_year = per_year.reset_index()
    per_year.insert(0, "scenario", scenario)
    per_year.insert(1, "seed", seed)
    shutil.rmtree(extract, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    per_year["seconds"] = seconds
    return Replication(seed=seed, scenario=scenario, per_year=per_year,
                       need=pd.concat(need_rows, ignore_index=True),
                       need_change=pd.concat(change_rows, ignore_index=True),
                       variants=variant_rows, trend=trend, seconds=seconds)


CONSISTENT_SOURCES = ("hospital_llc_code", "ikz_mkv", "wlz_severe")


def _trends(con, table: C.CaseTable, truth: pd.DataFrame, alpha: float, seed: int,
            scenario: str) -> pd.DataFrame:
    """Annual % change of observed LLC counts (all sources; the consistent sources without the
    2023 palliative activities) against the APC of the planted totals, over the years with a
    complete lookback, each with the same denominators (``rates.poisson_trend``)."""
    p = table.params
    first_period = C.period_years(con)[0]
    years = [y for y in range(p.years[0], p.years[1] + 1) if y - p.lookback >= first_period]
    if len(years) < 3:
        return pd.DataFrame()
    pop = P.denominators(con, p)[["jaar", "population"]].set_index("jaar")["population"]
    llc = C.llc_cases(table)
    consistent = llc[C._gap_over(llc, [s for s in CONSISTENT_SOURCES if s in p.sources]) <= p.lookback]
    t = truth.set_index("jaar")
    series = {"llc_observed": llc.groupby("jaar").size(),
              "llc_consistent": consistent.groupby("jaar").size(),
              "true_total": t["true_total"], "true_ascertained": t["ascertained"]}
    fits = {}
    for name, counts in series.items():
        df = pd.DataFrame({"jaar": years, "n_cases": [int(counts.get(y, 0)) for y in years],
                           "population": [float(pop[y]) for y in years]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[name] = rates.poisson_trend(df, alpha=alpha).iloc[0]
    planted = float(fits["true_total"]["apc"])
    rows = []
    for name in ("llc_observed", "llc_consistent", "true_ascertained"):
        f = fits[name]
        rows.append(dict(scenario=scenario, seed=seed, measure=name, years=f"{years[0]}-{years[-1]}",
                         apc=float(f["apc"]), apc_ci_low=float(f["apc_ci_low"]),
                         apc_ci_high=float(f["apc_ci_high"]), planted_apc=planted))
    return pd.DataFrame(rows)


def _need(con, table: C.CaseTable, truth_rows: pd.DataFrame, truth: pd.DataFrame,
          accuracy: pd.DataFrame | None, alpha: float, seed: int, scenario: str):
    """Flagged, true-positive and planted need per definition and year; corrected when possible."""
    p = table.params
    first_period = C.period_years(con)[0]
    llc = C.llc_cases(table)
    true_need = truth_rows.loc[truth_rows["need"], ["persoon_id", "jaar"]]
    truth = truth.set_index("jaar")
    rows = []
    for definition in NEED_DEFINITIONS:
        if definition == p.need_definition:
            flagged = C.need_cases(table)[["persoon_id", "jaar"]]
        else:
            flags = C.need_flags(con, table, definition).loc[llc.index]
            flagged = llc.loc[flags, ["persoon_id", "jaar"]]
        tp = flagged.merge(true_need, on=["persoon_id", "jaar"]).groupby("jaar").size()
        n_flag = flagged.groupby("jaar").size()
        for jaar in range(p.years[0], p.years[1] + 1):
            if definition == C.NEED_PLUS_ACTIVITY and jaar < 2023:
                continue
            rows.append(dict(scenario=scenario, seed=seed, definition=definition, basis=p.basis,
                             jaar=jaar, years_available=int(min(p.lookback, jaar - first_period)),
                             need_sources=NEED.need_sources(p, definition),
                             flagged=int(n_flag.get(jaar, 0)), true_positive=int(tp.get(jaar, 0)),
                             true_need=int(truth.loc[jaar, "true_need"])))
    need = pd.DataFrame(rows)
    low, high = rates.poisson_ci(need["flagged"].to_numpy(), alpha)
    need["raw_ci_low"], need["raw_ci_high"] = low, high
    change = pd.DataFrame()
    if accuracy is not None:
        corrected, ch = NEED.corrected_need(need[["definition", "jaar", "flagged"]], accuracy, p,
                                            first_period_year=first_period,
                                            extract_id=f"synthetic-seed{seed}", alpha=alpha)
        need = need.merge(corrected[["definition", "jaar", "n_estimated", "ci_low", "ci_high", "status"]],
                          on=["definition", "jaar"], how="left")
        if not ch.empty:
            tn = truth["true_need"]
            ch["true_change"] = [int(tn[b] - tn[a]) for a, b in zip(ch["jaar_from"], ch["jaar_to"])]
            ch.insert(0, "basis", p.basis)
            ch.insert(0, "seed", seed)
            ch.insert(0, "scenario", scenario)
        change = ch
    return need, change


def _variants(con, table: C.CaseTable, truth_rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Need-definition variants against the planted phases (among cases and among all)."""
    variants = P.need_variants(con, table)
    true_need = truth_rows.loc[truth_rows["need"], ["persoon_id", "jaar"]]
    cases_key = C.llc_cases(table)[["persoon_id", "jaar"]]
    true_need_cases = true_need.merge(cases_key, on=["persoon_id", "jaar"])
    rows = []
    for name, flagged in variants.items():
        tp = len(flagged.merge(true_need, on=["persoon_id", "jaar"]))
        rows.append(dict(seed=seed, variant=name, flagged=len(flagged), true_positive=tp,
                         true_need_cases=len(true_need_cases), true_need_all=len(true_need)))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- summary
def _summary_row(name, what, d, est, lo, hi, truth) -> dict | None:
    d = d[[est, lo, hi, truth]].astype(float)
    ok = d[est].notna() & (d[truth] > 0)
    n_not = int((~ok).sum())
    d = d[ok]
    if d.empty:
        return None
    # an unbounded interval covers if its lower bound is below the truth; no bias/width
    fin = np.isfinite(d[est]) & np.isfinite(d[hi])
    f = d[fin]
    rel = (f[est] - f[truth]) / f[truth]
    below = (d[hi] < d[truth]).mean()
    return dict(
        estimator=name, description=what, n_cells=len(d), n_not_estimable=n_not,
        n_unbounded=int((~fin).sum()),
        coverage=float(((d[lo] <= d[truth]) & (d[truth] <= d[hi])).mean()),
        miss_below=float(below), miss_above=float((d[lo] > d[truth]).mean()),
        bias=float((f[est] - f[truth]).mean()), rel_bias=float(rel.mean()),
        median_rel_bias=float(rel.median()),
        width=float((f[hi] - f[lo]).mean()),
        rel_width=float(((f[hi] - f[lo]) / f[truth]).mean()),
        median_rel_width=float(((f[hi] - f[lo]) / f[truth]).median()),
        exact=float((d[est] == d[truth]).mean()), mean_truth=float(d[truth].mean()),
    )


def _specs(per_year: pd.DataFrame):
    specs = []
    for c in P.CR_CRITERIA:
        if f"n_estimated_{c}" not in per_year:
            continue
        specs.append((f"cr_total[{c}]", f"n_estimated_{c}", f"ci_low_{c}", f"ci_high_{c}",
                      "true_total_period",
                      f"capture-recapture total, model {c}, profile interval of the sum over strata"))
        specs.append((f"cr_total_summed[{c}]", f"n_estimated_{c}", f"ci_low_summed_{c}",
                      f"ci_high_summed_{c}", "true_total_period",
                      f"capture-recapture total, model {c}, strata bounds summed (conservative)"))
        for s in CR_STRATA:
            if f"cr_{s}_{c}_estimate" in per_year:
                specs.append((f"cr_{s}[{c}]", f"cr_{s}_{c}_estimate", f"cr_{s}_{c}_low",
                              f"cr_{s}_{c}_high", f"true_total_{s}_period",
                              f"capture-recapture stratum {s}, model {c}"))
    for b in C.BASES:
        if f"llc_observed_{b}" in per_year:
            specs.append((f"llc_observed[{b}]", f"llc_observed_{b}", f"llc_ci_low_{b}", f"llc_ci_high_{b}",
                          f"ascertained_{b}", f"observed LLC cases ({b} basis) vs planted ascertained: must be exact"))
            specs.append((f"llc_observed_vs_total[{b}]", f"llc_observed_{b}", f"llc_ci_low_{b}",
                          f"llc_ci_high_{b}", f"true_total_{b}",
                          f"observed LLC cases ({b} basis) vs all planted LLC children"))
    return specs


def summarise(per_year: pd.DataFrame, need: pd.DataFrame | None = None,
              need_change: pd.DataFrame | None = None, variants: pd.DataFrame | None = None,
              by_year: bool = True, trend: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage, bias and interval width per estimator (overall and per year); need variants.

    ``coverage`` = share of cells (year × replication) whose interval contains the truth, with
    ``miss_below`` (interval entirely below the truth) and ``miss_above``; ``bias`` =
    mean(estimate − truth); ``rel_bias`` = mean((estimate − truth)/truth) (and its median);
    ``width`` = mean(high − low) (relative: divided by the truth); ``exact`` = share of cells with
    estimate == truth. Bias and width use the cells with a bounded estimate; ``n_unbounded``
    counts the others (they cover when their lower bound is below the truth); cells without an
    estimate are ``n_not_estimable``. Rows are per ``scenario`` (when the column exists) and
    ``jaar`` (``all`` for the pooled cells).
    """
    per_year = per_year.copy()
    if "scenario" not in per_year:
        per_year["scenario"] = "base"
    rows = []
    long_need = _need_cells(need)
    for scenario, py in per_year.groupby("scenario", sort=False):
        groups = [("all", py)] + ([(str(j), g) for j, g in py.groupby("jaar")] if by_year else [])
        for jaar, d in groups:
            for spec in _specs(py):
                name, est, lo, hi, truth, what = spec
                if not all(c in d for c in (est, lo, hi, truth)):
                    continue
                r = _summary_row(name, what, d, est, lo, hi, truth)
                if r:
                    rows.append(dict(scenario=scenario, jaar=jaar, **r))
        if long_need is not None:
            ln = long_need[long_need["scenario"] == scenario]
            for (name, what), g in ln.groupby(["estimator", "description"], sort=False):
                groups = [("all", g)] + ([(str(j), x) for j, x in g.groupby("jaar")] if by_year else [])
                for jaar, d in groups:
                    r = _summary_row(name, what, d, "estimate", "low", "high", "truth")
                    if r:
                        rows.append(dict(scenario=scenario, jaar=jaar, **r))
        if need_change is not None and not need_change.empty:
            ch = need_change[need_change["scenario"] == scenario]
            for (definition, basis, a, b), g in ch.groupby(["definition", "basis", "jaar_from", "jaar_to"]):
                r = _change_row(f"need_change[{definition},{basis}]",
                                f"change {a}->{b} of the corrected need count vs the planted change", g)
                rows.append(dict(scenario=scenario, jaar=f"{a}->{b}", **r))
        if trend is not None and not trend.empty:
            for (measure, years), g in trend[trend["scenario"] == scenario].groupby(["measure", "years"]):
                rows.append(dict(scenario=scenario, jaar=years, **_trend_row(measure, g)))
    summary = pd.DataFrame(rows)
    if variants is None or variants.empty:
        return summary, pd.DataFrame()
    g = variants.groupby("variant", sort=False)[["flagged", "true_positive", "true_need_cases",
                                                "true_need_all"]].sum()
    g["ppv"] = g["true_positive"] / g["flagged"].where(g["flagged"] > 0)
    g["sensitivity_among_cases"] = g["true_positive"] / g["true_need_cases"].where(g["true_need_cases"] > 0)
    g["sensitivity_all"] = g["true_positive"] / g["true_need_all"].where(g["true_need_all"] > 0)
    return summary, g.reset_index()


def _change_row(name: str, what: str, g: pd.DataFrame) -> dict:
    cover = (g["ci_low"] <= g["true_change"]) & (g["true_change"] <= g["ci_high"])
    return dict(estimator=name, description=what, n_cells=len(g), n_not_estimable=0, n_unbounded=0,
                coverage=float(cover.mean()), miss_below=float((g["ci_high"] < g["true_change"]).mean()),
                miss_above=float((g["ci_low"] > g["true_change"]).mean()),
                bias=float((g["change"] - g["true_change"]).mean()), rel_bias=np.nan,
                median_rel_bias=np.nan, width=float((g["ci_high"] - g["ci_low"]).mean()),
                rel_width=np.nan, median_rel_width=np.nan, exact=np.nan,
                mean_truth=float(g["true_change"].mean()))


def _trend_row(measure: str, g: pd.DataFrame) -> dict:
    cover = (g["apc_ci_low"] <= g["planted_apc"]) & (g["planted_apc"] <= g["apc_ci_high"])
    return dict(estimator=f"trend[{measure}]",
                description="annual % change of the observed count vs of the planted total",
                n_cells=len(g), n_not_estimable=0, n_unbounded=0, coverage=float(cover.mean()),
                miss_below=float((g["apc_ci_high"] < g["planted_apc"]).mean()),
                miss_above=float((g["apc_ci_low"] > g["planted_apc"]).mean()),
                bias=float((g["apc"] - g["planted_apc"]).mean()), rel_bias=np.nan, median_rel_bias=np.nan,
                width=float((g["apc_ci_high"] - g["apc_ci_low"]).mean()), rel_width=np.nan,
                median_rel_width=np.nan, exact=np.nan, mean_truth=float(g["planted_apc"].mean()),
                mean_estimate=float(g["apc"].mean()))


def _need_cells(need: pd.DataFrame | None) -> pd.DataFrame | None:
    """Long table of need cells: raw (Poisson) and corrected estimates against the planted need."""
    if need is None or need.empty:
        return None
    if "scenario" not in need:
        need = need.assign(scenario="base")
    parts = []
    for (definition, basis), g in need.groupby(["definition", "basis"], sort=False):
        parts.append(pd.DataFrame(dict(
            scenario=g["scenario"], jaar=g["jaar"], estimator=f"need_raw[{definition},{basis}]",
            description="flagged need count (exact Poisson interval) vs planted non-stable count",
            estimate=g["flagged"], low=g["raw_ci_low"], high=g["raw_ci_high"], truth=g["true_need"])))
        if "n_estimated" in g:
            parts.append(pd.DataFrame(dict(
                scenario=g["scenario"], jaar=g["jaar"], estimator=f"need_corrected[{definition},{basis}]",
                description="need count corrected for misclassification vs planted non-stable count",
                estimate=g["n_estimated"], low=g["ci_low"], high=g["ci_high"], truth=g["true_need"])))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- runs
@dataclass
class ValidationResult:
    """Output of :func:`run_validation`: summaries and the per-replication comparisons."""

    summary: pd.DataFrame
    need: pd.DataFrame  # need-definition variants (sensitivity, PPV)
    per_year: pd.DataFrame
    need_counts: pd.DataFrame
    need_change: pd.DataFrame
    variants_raw: pd.DataFrame
    metadata: dict = field(default_factory=dict)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)


def _check(replications, scale, scenarios):
    if replications < 1:
        raise ParameterError(f"replications must be at least 1, got {replications}")
    if scale <= 0:
        raise ParameterError(f"scale must be positive, got {scale}")
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown or not scenarios:
        raise ParameterError(f"unknown scenario {', '.join(unknown) or '(none)'} (use {', '.join(SCENARIOS)})")


def run_replications(replications: int, scale: float, seed: int, years: tuple[int, int],
                     params: C.CaseParams | None, criteria, alpha: float, scenarios, workdir,
                     progress: bool, accuracy: pd.DataFrame | None, variants: bool = True):
    """Run seeds ``seed … seed + replications − 1`` in every scenario; return the replications."""
    _check(replications, scale, scenarios)
    tmp = Path(tempfile.mkdtemp(prefix="kpz-validate-", dir=workdir))
    reps = []
    try:
        jobs = [(sc, seed + i) for sc in scenarios for i in range(replications)]
        for sc, s in tqdm(jobs, desc="replications", unit="rep", disable=not progress):
            reps.append(replicate(s, tmp, scale=scale, years=years, params=params, criteria=criteria,
                                  alpha=alpha, scenario=sc, accuracy=accuracy, variants=variants))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return reps


def run_validation(replications: int = 10, scale: float = 0.05, seed: int = 1,
                   years: tuple[int, int] = (2019, 2024), params: C.CaseParams | None = None,
                   criteria=P.CR_CRITERIA, alpha: float = 0.05, out_dir: str | Path | None = None,
                   workdir: str | Path | None = None, progress: bool = True,
                   scenarios=("base",), need_accuracy: str | Path | None = None) -> ValidationResult:
    """Run ``replications`` seeded replications per scenario (seeds ``seed, seed+1, …``), summarise.

    Writes ``validation_summary.csv`` (per scenario, estimator and year), ``validation_need.csv``
    (need-definition variants), ``validation_per_year.csv``, ``validation_need_counts.csv``,
    ``validation_need_change.csv`` and ``validation_report.md`` (the tables the docs quote) to
    ``out_dir`` when given.
    """
    started = time.perf_counter()
    _check(replications, scale, scenarios)
    accuracy = NEED.load_accuracy(need_accuracy)
    reps = run_replications(replications, scale, seed, years, params, criteria, alpha, scenarios,
                            workdir, progress, accuracy)
    per_year = pd.concat([r.per_year for r in reps], ignore_index=True)
    need = pd.concat([r.need for r in reps], ignore_index=True)
    changes = [r.need_change for r in reps if not r.need_change.empty]
    need_change = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    variants = pd.concat([r.variants.assign(scenario=r.scenario) for r in reps if len(r.variants)],
                         ignore_index=True)
    base_variants = variants[variants["scenario"] == scenarios[0]] if len(variants) else variants
    trends = [r.trend for r in reps if not r.trend.empty]
    trend = pd.concat(trends, ignore_index=True) if trends else pd.DataFrame()
    summary, need_summary = summarise(per_year, need, need_change, base_variants, trend=trend)
    meta = dict(replications=replications, scenarios=list(scenarios), scale=scale,
                seeds=f"{seed}-{seed + replications - 1}", years=f"{years[0]}-{years[1]}",
                criteria=list(criteria), alpha=alpha,
                need_accuracy=str(need_accuracy or NEED.DEFAULT_ACCURACY),
                package_version=__version__, seconds=round(time.perf_counter() - started, 1),
                seconds_per_replication=round(float(np.mean([r.seconds for r in reps])), 1),
                finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    result = ValidationResult(summary=summary, need=need_summary, per_year=per_year, need_counts=need,
                              need_change=need_change, variants_raw=variants, metadata=meta, trend=trend)
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out / "validation_summary.csv", index=False)
        need_summary.to_csv(out / "validation_need.csv", index=False)
        per_year.to_csv(out / "validation_per_year.csv", index=False)
        need.to_csv(out / "validation_need_counts.csv", index=False)
        need_change.to_csv(out / "validation_need_change.csv", index=False)
        trend.to_csv(out / "validation_trend.csv", index=False)
        (out / "validation_report.md").write_text(format_markdown(result), encoding="utf-8")
    return result


def run_calibration(out_csv: str | Path, replications: int = 40, scale: float = 0.05,
                    seed: int = 1001, years: tuple[int, int] = (2019, 2024),
                    params: C.CaseParams | None = None, workdir: str | Path | None = None,
                    progress: bool = True) -> pd.DataFrame:
    """Accuracy parameters of the need definitions from replications with planted truth.

    Per definition, counting basis and number of lookback years available, pooled over the
    replications' years: PPV = true positives / flagged, sensitivity = true positives / planted
    children in need (seen or not). Written as a ``need_accuracy`` CSV
    (:mod:`kpz_analytics.analyses.palliative_need`) with ``applies_to = synthetic`` and the
    provenance in ``source``. Use seeds disjoint from the validation seeds (default 1001…).
    """
    started = time.perf_counter()
    _check(replications, scale, ("base",))
    p = params or C.CaseParams()
    reps = run_replications(replications, scale, seed, years, params, (), 0.05, ("base",), workdir,
                            progress, accuracy=None, variants=False)
    need = pd.concat([r.need for r in reps], ignore_index=True)
    need = need[need["definition"].isin((C.NEED_DEFINITION, C.NEED_PLUS_ACTIVITY))]
    g = need.groupby(["definition", "basis", "years_available", "need_sources"], sort=False)[
        ["flagged", "true_positive", "true_need"]].sum().reset_index()
    minutes = (time.perf_counter() - started) / 60
    source = (f"synthetic calibration: kpz synth seeds {seed}-{seed + replications - 1}, scale {scale:g}, "
              f"years {years[0]}-{years[1]}, cohort_sample, capture scenario base, package "
              f"{__version__}, {_dt.date.today().isoformat()} ({minutes:.0f} min)")
    rows = []
    for r in g.itertuples(index=False):
        year_from = "2023" if r.definition == C.NEED_PLUS_ACTIVITY else ""
        common = dict(definition=r.definition, basis=r.basis, age_min=p.age_min, age_max=p.age_max,
                      lookback=p.lookback, years_available=int(r.years_available),
                      need_sources=r.need_sources, year_from=year_from, year_to="",
                      applies_to="synthetic", source=source)
        rows.append(dict(common, parameter="ppv", numerator=int(r.true_positive), denominator=int(r.flagged)))
        rows.append(dict(common, parameter="sensitivity", numerator=int(r.true_positive),
                         denominator=int(r.true_need)))
    out = pd.DataFrame(rows)[NEED.ACCURACY_COLUMNS]
    out = out.sort_values(["definition", "basis", "years_available", "parameter"]).reset_index(drop=True)
    Path(out_csv).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(out_csv, index=False)
    return out


# --------------------------------------------------------------------------- text
_SHOW = ["estimator", "n_cells", "coverage", "miss_below", "miss_above", "rel_bias",
         "median_rel_width", "n_not_estimable", "n_unbounded"]


def format_result(result: ValidationResult) -> str:
    """Readable text of the summary tables (pooled over years; per year in the CSV)."""
    s = result.summary
    with pd.option_context("display.width", 220, "display.max_columns", 20, "display.max_rows", 500,
                           "display.float_format", "{:,.3f}".format):
        lines = ["Estimators against planted truth, all years pooled (coverage = share of year x "
                 "replication cells whose interval contains the truth):"]
        for scenario, g in s[s["jaar"] == "all"].groupby("scenario", sort=False):
            lines += [f"\nscenario {scenario}:", g[_SHOW].to_string(index=False)]
        ch = s[s["estimator"].str.startswith("need_change")]
        if not ch.empty:
            lines += ["\nYear-to-year change of the corrected need count vs the planted change:",
                      ch[["scenario", "estimator", "jaar", "n_cells", "coverage", "bias", "width"]]
                      .to_string(index=False)]
        tr = s[s["estimator"].str.startswith("trend[")]
        if not tr.empty:
            lines += ["\nAnnual % change of observed counts vs of the planted total:",
                      tr[["scenario", "estimator", "jaar", "n_cells", "mean_estimate", "mean_truth",
                          "coverage"]].to_string(index=False)]
        if not result.need.empty:
            lines += ["\nPalliative-need definition variants against planted phases (first scenario, pooled):",
                      result.need[["variant", "flagged", "ppv", "sensitivity_among_cases",
                                   "sensitivity_all"]].to_string(index=False)]
        m = result.metadata
        if m:
            lines.append(f"\n{m['replications']} replications x {len(m['scenarios'])} scenario(s) in "
                         f"{m['seconds'] / 60:.1f} min ({m['seconds_per_replication']:.0f} s per replication)")
    return "\n".join(lines)


def _md_table(df: pd.DataFrame, cols: list[str]) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.3f}"
        return str(v)
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return head + "".join("| " + " | ".join(cell(r[c]) for c in cols) + " |\n" for _, r in df.iterrows())


def format_markdown(result: ValidationResult) -> str:
    """The validation report as Markdown tables (``results/validation/validation_report.md``)."""
    m, s = result.metadata, result.summary
    out = [f"# Validation of the prevalence estimators\n",
           f"{m.get('replications')} replications per scenario (seeds {m.get('seeds')}), scale "
           f"{m.get('scale')}, years {m.get('years')}, scenarios {', '.join(m.get('scenarios', []))}, "
           f"need accuracy `{m.get('need_accuracy')}`, package {m.get('package_version')}; "
           f"{m.get('seconds', 0) / 60:.1f} min on this machine ({m.get('seconds_per_replication')} s "
           f"per replication), finished {m.get('finished_at')}.\n"]
    cols = ["estimator", "n_cells", "coverage", "miss_below", "miss_above", "rel_bias",
            "median_rel_width", "n_not_estimable", "n_unbounded"]
    for scenario, g in s.groupby("scenario", sort=False):
        out.append(f"\n## Scenario `{scenario}`: all years pooled\n")
        out.append(_md_table(g[g["jaar"] == "all"], cols))
        key = g[g["estimator"].isin(["cr_total[full]", f"need_corrected[{C.NEED_DEFINITION},period]",
                                     f"need_raw[{C.NEED_DEFINITION},period]", "cr_18plus[full]"])
                & (g["jaar"] != "all") & ~g["jaar"].str.contains("->")]
        if not key.empty:
            out.append(f"\n### Scenario `{scenario}`: per year\n")
            out.append(_md_table(key, ["estimator", "jaar", "n_cells", "coverage", "rel_bias",
                                       "median_rel_width"]))
        tr = g[g["estimator"].str.startswith("trend[")]
        if not tr.empty:
            out.append(f"\n### Scenario `{scenario}`: trend (annual % change) vs the planted total\n")
            out.append(_md_table(tr, ["estimator", "jaar", "n_cells", "mean_estimate", "mean_truth",
                                      "bias", "coverage", "width"]))
        ch = g[g["estimator"].str.startswith("need_change")]
        if not ch.empty:
            out.append(f"\n### Scenario `{scenario}`: change of the corrected need count\n")
            out.append(_md_table(ch, ["estimator", "jaar", "n_cells", "coverage", "bias", "width",
                                      "mean_truth"]))
    if not result.need.empty:
        out.append("\n## Need-definition variants (first scenario, pooled)\n")
        out.append(_md_table(result.need, ["variant", "flagged", "ppv", "sensitivity_among_cases",
                                           "sensitivity_all"]))
    return "".join(out)
