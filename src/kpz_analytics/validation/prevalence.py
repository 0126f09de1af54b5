"""Replicated validation of the prevalence estimators against planted truth (``make validate``).

Each replication writes a seeded synthetic extract (``synthetic.write_extract``), ingests it
(``ingest.ingest``), finds the cases and runs capture–recapture exactly as ``kpz prevalence``
does, and compares with the generator's planted truth in ``<extract>/_truth/`` (which the
pipeline itself never reads):

* ``llc_observed`` — observed LLC cases per year must equal the truth of *ascertained* cases
  exactly: alive and insured in Y, aged ``age_min``–``age_max`` on 1 July, captured by a
  selected source in a year Y−L … Y in which the person was alive and insured;
* ``cr_total`` / ``cr_<stratum>`` — capture–recapture estimates of all children with an LLC
  (true total: planted LLC children alive and insured in Y in the age range): coverage of the
  interval, bias and interval width;
* ``palliative_need`` — the need count (exact Poisson interval) against the planted number in a
  non-stable phase (unstable, deteriorating, dying), and the sensitivity and positive predictive
  value of the need definition and each of its variants against the planted phases.

Run ``python -m kpz_analytics.validation --help`` (``validation/__main__.py``).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..analyses import prevalence as P
from ..cohorts import cases as C
from ..errors import KpzError, ParameterError
from ..methods import rates
from ..warehouse.connect import connect

NONSTABLE = ("unstable", "deteriorating", "dying")


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


def truth_by_year(extract_dir: Path, params: C.CaseParams) -> pd.DataFrame:
    """Planted truth per year for the case definition ``params``.

    Returns one row per year: ``true_total`` (LLC children alive and insured in Y, aged in range),
    ``ascertained`` (of whom captured by a selected source within the lookback), ``true_need``
    (in a non-stable phase), ``true_total_<stratum>`` for the capture–recapture age strata.
    """
    py = _read_person_year(Path(extract_dir) / "_truth")
    py = _prepare_truth(py)
    first, last = params.years
    L = params.lookback
    cap_cols = [f"captured_{s}" for s in params.sources]
    py["any_cap"] = py[cap_cols].any(axis=1) & py["alive_insured"]
    cap_years = py.loc[py["any_cap"], ["persoon_id", "jaar"]].rename(columns={"jaar": "cap_jaar"})
    base = py[py["alive_insured"] & py["jaar"].between(first, last)
              & py["age_1july"].between(params.age_min, params.age_max)].copy()
    m = base[["persoon_id", "jaar"]].merge(cap_years, on="persoon_id")
    m = m[(m["cap_jaar"] <= m["jaar"]) & (m["cap_jaar"] >= m["jaar"] - L)]
    asc = m[["persoon_id", "jaar"]].drop_duplicates().assign(ascertained=True)
    base = base.merge(asc, on=["persoon_id", "jaar"], how="left")
    base["ascertained"] = base["ascertained"].notna()
    base["need"] = base["phase"].isin(NONSTABLE)
    out = base.groupby("jaar").agg(true_total=("persoon_id", "size"), ascertained=("ascertained", "sum"),
                                   true_need=("need", "sum"))
    # The capture-recapture strata (under 18 on some day of the year or not) cannot be derived
    # from the truth tables for children never seen (no birth month), so coverage is measured
    # for the year totals only; ages clearly on one side give a stratum check.
    out["true_total_age_le17"] = (base[base["age_1july"] <= 17].groupby("jaar").size()
                                  .reindex(out.index, fill_value=0))
    return out.reindex(range(first, last + 1), fill_value=0).rename_axis("jaar").reset_index(), base


def _prepare_truth(py: pd.DataFrame) -> pd.DataFrame:
    py = py.copy()
    py["persoon_id"] = py["persoon_id"].astype(str)
    for c in [c for c in py.columns if c.startswith("captured_")] + ["alive_insured"]:
        py[c] = py[c].astype(str).str.lower().isin(("1", "true", "1.0"))
    py["jaar"] = py["jaar"].astype(int)
    py["age_1july"] = py["age_1july"].astype(int)
    py["phase"] = py["phase"].fillna("").astype(str)
    return py


# --------------------------------------------------------------------------- one replication
@dataclass
class Replication:
    """Comparisons of one seeded replication: per year and per need variant."""

    seed: int
    per_year: pd.DataFrame
    need: pd.DataFrame


def replicate(seed: int, workdir: Path, *, scale: float = 0.05, years: tuple[int, int] = (2019, 2024),
              params: C.CaseParams | None = None, criteria=P.CR_CRITERIA, alpha: float = 0.05,
              fmt: str = "parquet") -> Replication:
    """One replication: synthesise, ingest, estimate, compare with the planted truth.

    Capture–recapture is run once per model choice in ``criteria`` (``full``, ``aic``, ``bic``);
    columns ``n_estimated_<c>``, ``ci_low_<c>``, ``ci_high_<c>`` and per stratum
    ``cr_<stratum>_<c>_estimate|low|high``.
    """
    from ..synthetic import write_extract
    from ..warehouse.ingest import ingest

    workdir = Path(workdir)
    extract = workdir / f"extract-{seed}"
    warehouse = workdir / f"warehouse-{seed}.duckdb"
    # quiet: the generator's and ingest's own progress bars and tables would drown the summary
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        write_extract(extract, seed=seed, design="cohort_sample", fmt=fmt, scale=scale, years=years,
                      faults=False)
        ingest(extract, warehouse=warehouse, max_bad_share=None)
    con = connect(warehouse)
    try:
        table = C.find_cases(con, params)
        p = table.params
        cr_runs = {c: P.capture_recapture_by_year(table, criterion=c, alpha=alpha, progress=False)
                   for c in criteria}
        variants = P.need_variants(con, table)
    finally:
        con.close()
    truth, truth_rows = truth_by_year(extract, p)
    llc = C.llc_cases(table)
    obs = llc.groupby("jaar").size().rename("llc_observed")
    need = llc[llc["palliative_need"]].groupby("jaar").size().rename("need_observed")
    df = truth.set_index("jaar").join(obs).join(need).fillna({"llc_observed": 0, "need_observed": 0})
    for c, (totals, per, _) in cr_runs.items():
        t = totals.set_index("jaar")
        df["n_observed"] = t["n_observed"]
        df[f"n_estimated_{c}"], df[f"ci_low_{c}"], df[f"ci_high_{c}"] = (
            t["n_estimated"], t["ci_low"], t["ci_high"])
        for stratum, g in per.groupby("stratum"):
            g = g.set_index("jaar")
            df[f"cr_{stratum}_{c}_estimate"] = g["n_estimated"]
            df[f"cr_{stratum}_{c}_low"] = g["ci_low"]
            df[f"cr_{stratum}_{c}_high"] = g["ci_high"]
            df[f"cr_{stratum}_n_observed"] = g["n_observed"]
    low, high = rates.poisson_ci(df["need_observed"].to_numpy(), alpha)
    df["need_ci_low"], df["need_ci_high"] = low, high
    low, high = rates.poisson_ci(df["llc_observed"].to_numpy(), alpha)
    df["llc_ci_low"], df["llc_ci_high"] = low, high
    df = df.reset_index()
    df.insert(0, "seed", seed)

    # Need definition against the planted phases, among the ascertained LLC case-years and
    # among all true LLC children (children never seen cannot be flagged).
    true_need = truth_rows.loc[truth_rows["need"], ["persoon_id", "jaar"]]
    n_true_need_all = len(true_need)
    cases_key = llc[["persoon_id", "jaar"]]
    true_need_cases = true_need.merge(cases_key, on=["persoon_id", "jaar"])
    rows = []
    for name, flagged in variants.items():
        tp = len(flagged.merge(true_need, on=["persoon_id", "jaar"]))
        rows.append(dict(seed=seed, variant=name, flagged=len(flagged), true_positive=tp,
                         true_need_cases=len(true_need_cases), true_need_all=n_true_need_all))
    shutil.rmtree(extract, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    return Replication(seed=seed, per_year=df, need=pd.DataFrame(rows))


# --------------------------------------------------------------------------- summary
def summarise(per_year: pd.DataFrame, need: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage, bias and interval width per estimator; sensitivity and PPV per need variant.

    ``coverage`` = share of year × replication cells whose interval contains the truth;
    ``bias`` = mean(estimate − truth); ``rel_bias`` = mean((estimate − truth)/truth) (and its
    median); ``width`` = mean(high − low) (relative: divided by the truth); ``exact`` = share of
    cells with estimate == truth. Bias and width use the cells with a bounded estimate;
    ``n_unbounded`` counts the others (they count as covering when their lower bound is below
    the truth).
    """
    specs = [
        (f"cr_total[{c}]", f"n_estimated_{c}", f"ci_low_{c}", f"ci_high_{c}", "true_total",
         f"capture-recapture total (strata summed, model {c}) vs planted LLC children")
        for c in P.CR_CRITERIA if f"n_estimated_{c}" in per_year
    ] + [
        ("llc_observed", "llc_observed", "llc_ci_low", "llc_ci_high", "ascertained",
         "observed LLC cases (lookback) vs planted ascertained cases: must be exact"),
        ("llc_observed_vs_total", "llc_observed", "llc_ci_low", "llc_ci_high", "true_total",
         "observed LLC cases vs all planted LLC children (under-ascertainment)"),
        ("palliative_need", "need_observed", "need_ci_low", "need_ci_high", "true_need",
         "palliative-need count vs planted children in a non-stable phase"),
    ]
    rows = []
    for name, est, lo, hi, truth, what in specs:
        if truth not in per_year or est not in per_year:
            continue
        d = per_year[[est, lo, hi, truth]].astype(float)
        ok = d[est].notna() & (d[truth] > 0)
        d = d[ok]
        if d.empty:
            continue
        # an unbounded estimate (e.g. two sources that share nobody) covers but has no bias/width
        fin = np.isfinite(d[est]) & np.isfinite(d[hi])
        f = d[fin]
        rel = (f[est] - f[truth]) / f[truth]
        rows.append(dict(
            estimator=name, description=what, n_cells=len(d), n_not_estimable=int((~ok).sum()),
            n_unbounded=int((~fin).sum()),
            coverage=float(((d[lo] <= d[truth]) & (d[truth] <= d[hi])).mean()),
            bias=float((f[est] - f[truth]).mean()),
            rel_bias=float(rel.mean()),
            median_rel_bias=float(rel.median()),
            width=float((f[hi] - f[lo]).mean()),
            rel_width=float(((f[hi] - f[lo]) / f[truth]).mean()),
            median_rel_width=float(((f[hi] - f[lo]) / f[truth]).median()),
            exact=float((d[est] == d[truth]).mean()),
            mean_truth=float(d[truth].mean()),
        ))
    summary = pd.DataFrame(rows)
    if need.empty:
        return summary, pd.DataFrame()
    g = need.groupby("variant", sort=False)[["flagged", "true_positive", "true_need_cases",
                                             "true_need_all"]].sum()
    g["ppv"] = g["true_positive"] / g["flagged"].where(g["flagged"] > 0)
    g["sensitivity_among_cases"] = g["true_positive"] / g["true_need_cases"].where(g["true_need_cases"] > 0)
    g["sensitivity_all"] = g["true_positive"] / g["true_need_all"].where(g["true_need_all"] > 0)
    return summary, g.reset_index()


@dataclass
class ValidationResult:
    """Output of :func:`run_validation`: summaries and the per-replication comparisons."""

    summary: pd.DataFrame
    need: pd.DataFrame
    per_year: pd.DataFrame
    need_raw: pd.DataFrame


def run_validation(replications: int = 100, scale: float = 0.05, seed: int = 1,
                   years: tuple[int, int] = (2019, 2024), params: C.CaseParams | None = None,
                   criteria=P.CR_CRITERIA, alpha: float = 0.05, out_dir: str | Path | None = None,
                   workdir: str | Path | None = None, progress: bool = True) -> ValidationResult:
    """Run ``replications`` seeded replications (seeds ``seed, seed+1, …``) and summarise them.

    Writes ``validation_summary.csv``, ``validation_need.csv`` and ``validation_per_year.csv``
    to ``out_dir`` when given.
    """
    if replications < 1:
        raise ParameterError(f"replications must be at least 1, got {replications}")
    if scale <= 0:
        raise ParameterError(f"scale must be positive, got {scale}")
    tmp = Path(tempfile.mkdtemp(prefix="kpz-validate-", dir=workdir))
    per_year, need = [], []
    try:
        for i in tqdm(range(replications), desc="replications", unit="rep", disable=not progress):
            rep = replicate(seed + i, tmp, scale=scale, years=years, params=params,
                            criteria=criteria, alpha=alpha)
            per_year.append(rep.per_year)
            need.append(rep.need)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per_year_df = pd.concat(per_year, ignore_index=True)
    need_df = pd.concat(need, ignore_index=True)
    summary, need_summary = summarise(per_year_df, need_df)
    result = ValidationResult(summary=summary, need=need_summary, per_year=per_year_df, need_raw=need_df)
    if out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        summary.to_csv(out / "validation_summary.csv", index=False)
        need_summary.to_csv(out / "validation_need.csv", index=False)
        per_year_df.to_csv(out / "validation_per_year.csv", index=False)
    return result


def format_result(result: ValidationResult) -> str:
    """Readable text of the summary tables."""
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.float_format", "{:,.3f}".format):
        s = result.summary.drop(columns=["description"])
        lines = ["Estimators against planted truth (coverage = share of year x replication cells "
                 "whose interval contains the truth):", s.to_string(index=False), "",
                 "Palliative-need definition against planted phases (pooled over replications):",
                 result.need[["variant", "flagged", "ppv", "sensitivity_among_cases",
                              "sensitivity_all"]].to_string(index=False)]
    return "\n".join(lines)
