"""Planted *expected* values of the transition estimands, from a large independent simulation.

The realised truth of one extract (``transition_truth``) is what the pipeline must reproduce
exactly. Interval estimators are checked against what they estimate: an expected value over
the data-generating process, not the realised value of the same data. This module computes
those expected values from the generator's internals alone — never through the pipeline or the
estimator under test — by pooling the realised truth of many independent extracts (seeds
100001, 100002, … by default: disjoint from the validation seeds 1, 2, …):

``rd_jump`` (per cohort × outcome × spec)
    The jump at 18 in the expected share using the outcome. Let μ(e) = Σ n_using / Σ n_at_risk
    over the pooled truth-side cohort in event month e (``transition_curves.csv``). A monthly
    curve has no limit at the cutoff on the left, so it is defined by local extrapolation, as
    the local-polynomial RD estimator assumes: m₋(0) = the value at e = 0 of a quadratic fitted
    by weighted least squares to μ(−6 … −1) with triangular weights 1 − |e|/7.

    - ``main`` (month 0 counts as after, as ``methods.discontinuity``): τ = μ(0) − m₋(0). Month
      0 is observed *at* the cutoff, so the right-hand value needs no extrapolation.
    - ``donut`` (month 0 left out): τ = m₊(0) − m₋(0), m₊(0) = the same quadratic fit to
      μ(1 … 6) (weights 1 − e/7) evaluated at 0.
    - ``difference``: LLC − comparison of each.

    *Limits.* The RD estimand is a limit at the cutoff; with a monthly running variable it is
    identified only up to how the curve is extrapolated (Kolesár & Rothe 2018). The curves are
    not smooth at 18: month 0 is half child, half adult (youth care runs to the day before the
    15th, adult Wmo and wijkverpleging may start on it), and care declared in multi-month lines
    ramps after 18 (successor care after lognormal delays; hospital lines of up to four months
    change specialism only for lines that start after the birthday). ``value_min`` and
    ``value_max`` give the range over other reasonable definitions (linear or quadratic fits,
    windows of 3, 4, 6 and 12 months): a narrow range means the planted value is well defined; a
    wide one (the donut of ramping outcomes) means coverage depends on the definition, and a
    local-linear estimate there carries curvature bias that the robust bias correction may not
    remove.
``gap_share`` (per cohort × group)
    The pooled share with a gap (≥ 3 months without home or social support in 0 … 11) among
    the supported persons followed through month 11.
``km_median`` (per cohort × group)
    The median months to the first adult successor care from the Kaplan–Meier curve of the
    pooled supported persons (censoring as in the extracts: death, emigration, end of data).

``mc_se`` is the Monte Carlo standard error (delete-one-seed jackknife over the pooled
extracts; none for the median, a step function of discrete months). Values depend on the
period (who can be found by 17½, how long follow-up is) and the scenario, not on scale or design
(the comparison sample is a random sample of the persons never found). Stored results:
``synthetic/planted/transition_<first>-<last>[_<scenario>].json``; recompute with
``python -m kpz_analytics.synthetic.planted --years 2019-2024 [--scenario anticipation]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import KpzError
from . import transition_truth as TT

PLANTED_DIR = Path(__file__).parent / "planted"
DEFAULT_SEEDS = tuple(range(100_001, 100_041))
DEFAULT_SCALE = 0.1
JUMP_WINDOW = 6
JUMP_DEGREE = 2
ALTERNATIVES = tuple((w, d) for w in (3, 4, 6, 12) for d in (1, 2))
#: Outcomes whose jump is planted (the curves hold every ``transition_truth.OUTCOMES``).
JUMP_OUTCOMES = TT.OUTCOMES
PLANTED_GROUPS = ("overall", "geslacht", "wlz_before", "pgb_before", "diagnostic_group", "nik_region")


@dataclass
class Pooled:
    """Realised truth of many extracts: ``curves`` (per seed) and cohort ``persons`` (per seed)."""

    curves: pd.DataFrame
    persons: pd.DataFrame
    meta: dict


def pool(years: tuple[int, int], seeds=DEFAULT_SEEDS, scale: float = DEFAULT_SCALE,
         design: str = "cohort_sample", scenario: str | None = None, workdir: str | Path | None = None,
         progress: bool = False) -> Pooled:
    """Write an extract per seed (to a temporary directory, removed), keep its transition truth."""
    from . import write_extract

    tmp = Path(tempfile.mkdtemp(prefix="kpz-planted-", dir=workdir))
    curves, persons = [], []
    start = time.time()
    try:
        for i, seed in enumerate(seeds):
            with contextlib.redirect_stderr(io.StringIO()):
                write_extract(tmp / "x", seed=seed, design=design, fmt="parquet", scale=scale, years=years,
                              scenario=scenario, progress=False)
            c = pd.read_csv(tmp / "x" / "_truth" / "transition_curves.csv")
            curves.append(c.assign(seed=seed))
            p = pd.read_parquet(tmp / "x" / "_truth" / "transition_persons.parquet")
            persons.append(p[p["cohort"] != ""].assign(seed=seed))
            if progress:
                print(f"planted: seed {seed} ({i + 1}/{len(seeds)}) {time.time() - start:.0f} s", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = dict(years=list(years), seeds=[int(s) for s in seeds], scale=scale, design=design, scenario=scenario,
                seconds=round(time.time() - start, 1))
    return Pooled(pd.concat(curves, ignore_index=True), pd.concat(persons, ignore_index=True), meta)


# --------------------------------------------------------------------------- definitions
def expected_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """μ(e) per cohort × outcome × event month: pooled ``n_using / n_at_risk``."""
    g = curves.groupby(["cohort", "outcome", "event_month"], as_index=False)[["n_at_risk", "n_using"]].sum()
    g["share_using"] = g["n_using"] / g["n_at_risk"].where(g["n_at_risk"] > 0)
    return g


def limit_at_cutoff(mu: pd.Series, side: str, window: int = JUMP_WINDOW, degree: int = JUMP_DEGREE) -> float:
    """Value at e = 0 of a polynomial fitted to the monthly curve on one side of the cutoff.

    ``mu`` is indexed by event month. ``side`` ``"left"`` uses e = −window … −1, ``"right"``
    e = 1 … window (the donut side; month 0 itself needs no extrapolation). Weighted least
    squares with triangular weights 1 − |e|/(window + 1); returns the intercept.
    """
    e = np.arange(-window, 0) if side == "left" else np.arange(1, window + 1)
    y = mu.reindex(e).to_numpy(float)
    if np.isnan(y).any():
        return float("nan")
    w = np.sqrt(1 - np.abs(e) / (window + 1))
    X = np.vander(e.astype(float), degree + 1, increasing=True)
    coef = np.linalg.lstsq(X * w[:, None], y * w, rcond=None)[0]
    return float(coef[0])


def _jumps_of(mu: pd.Series, window: int, degree: int) -> dict[str, float]:
    left = limit_at_cutoff(mu, "left", window, degree)
    return {"main": float(mu.get(0, np.nan)) - left,
            "donut": limit_at_cutoff(mu, "right", window, degree) - left}


def jumps(curves: pd.DataFrame, outcomes=JUMP_OUTCOMES) -> pd.DataFrame:
    """Planted jumps at 18: ``cohort, outcome, spec, value, value_min, value_max`` (see module doc)."""
    mu = expected_curves(curves)
    rows = []
    per = {}
    for (cohort, outcome), g in mu[mu["outcome"].isin(outcomes)].groupby(["cohort", "outcome"]):
        s = g.set_index("event_month")["share_using"]
        main = _jumps_of(s, JUMP_WINDOW, JUMP_DEGREE)
        alt = [_jumps_of(s, w, d) for w, d in ALTERNATIVES]
        per[(cohort, outcome)] = (main, alt)
    for outcome in outcomes:
        if ("llc", outcome) not in per or ("comparison", outcome) not in per:
            continue
        (ml, al), (mc, ac) = per[("llc", outcome)], per[("comparison", outcome)]
        for spec in ("main", "donut"):
            for cohort, value, alts in (
                    ("llc", ml[spec], [a[spec] for a in al]),
                    ("comparison", mc[spec], [a[spec] for a in ac]),
                    ("difference", ml[spec] - mc[spec], [a[spec] - b[spec] for a, b in zip(al, ac)])):
                rows.append(dict(quantity="rd_jump", cohort=cohort, outcome=outcome, spec=spec, value=value,
                                 value_min=min(alts), value_max=max(alts)))
    return pd.DataFrame(rows)


def group_values(persons: pd.DataFrame) -> pd.DataFrame:
    """Planted gap share and KM median per cohort × group from pooled persons."""
    g = TT.group_summaries(persons)
    g = g[g["group_by"].isin(PLANTED_GROUPS)]
    rows = []
    for r in g.itertuples(index=False):
        base = dict(cohort=r.cohort, group_by=r.group_by, group=str(r.group))
        rows.append(dict(base, quantity="gap_share", value=r.share_gap, n=r.n_persons))
        rows.append(dict(base, quantity="km_median", value=r.km_median, n=r.n_supported))
    return pd.DataFrame(rows)


def planted_values(pooled: Pooled) -> pd.DataFrame:
    """Every planted value with its Monte Carlo standard error (delete-one-seed jackknife)."""
    j = jumps(pooled.curves)
    gv = group_values(pooled.persons)
    seeds = sorted(pooled.curves["seed"].unique())
    key_j = ["quantity", "cohort", "outcome", "spec"]
    key_g = ["quantity", "cohort", "group_by", "group"]
    reps_j, reps_g = [], []
    if len(seeds) > 1:
        for s in seeds:
            reps_j.append(jumps(pooled.curves[pooled.curves["seed"] != s]).set_index(key_j)["value"])
            gs = TT.group_summaries(pooled.persons[pooled.persons["seed"] != s])
            gs = gs.assign(group=gs["group"].astype(str), quantity="gap_share").set_index(key_g)["share_gap"]
            reps_g.append(gs)
        k = len(seeds)

        def jackknife(reps):
            m = pd.concat(reps, axis=1)
            return np.sqrt((k - 1) / k * ((m.sub(m.mean(axis=1), axis=0)) ** 2).sum(axis=1, min_count=k))

        j = j.merge(jackknife(reps_j).rename("mc_se").reset_index(), on=key_j, how="left")
        gv = gv.merge(jackknife(reps_g).rename("mc_se").reset_index(), on=key_g, how="left")
    out = pd.concat([j, gv], ignore_index=True)
    cols = ["quantity", "cohort", "outcome", "spec", "group_by", "group", "value", "value_min", "value_max",
            "mc_se", "n"]
    return out.reindex(columns=cols)


# --------------------------------------------------------------------------- storage
def planted_path(years: tuple[int, int], scenario: str | None = None, directory: Path = PLANTED_DIR) -> Path:
    """``planted/transition_<first>-<last>[_<scenario>].json``."""
    return Path(directory) / f"transition_{years[0]}-{years[1]}{'_' + scenario if scenario else ''}.json"


DEFINITION = ("planted expected values from a pooled independent simulation (synthetic/planted.py): "
              "rd_jump = jump at 18 of the pooled expected monthly share (main: mu(0) - m_left(0); donut: "
              "m_right(0) - m_left(0); m = weighted quadratic fit over 6 months each side, triangular weights, "
              "evaluated at 0; value_min/max over linear/quadratic fits and 3-12 month windows); gap_share = "
              "pooled share with a gap among the supported followed through month 11; km_median = median "
              "months to first adult successor care of the pooled Kaplan-Meier curve; mc_se = delete-one-seed "
              "jackknife")


def write_planted(pooled: Pooled, path: Path) -> dict:
    """Write the planted values and the pooled expected curves as JSON; return the document."""
    values = planted_values(pooled)
    curves = expected_curves(pooled.curves)
    doc = {"definition": DEFINITION, **pooled.meta,
           "n_persons": {c: int((pooled.persons["cohort"] == c).sum()) for c in TT.COHORTS},
           "values": _records(values), "curves": _records(curves)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else
                         (round(v, 10) if isinstance(v, float) else v)) for k, v in r.items()})
    return out


def load_planted(years: tuple[int, int], scenario: str | None = None, path: Path | None = None) -> dict | None:
    """The stored planted document for a period and scenario (``None`` when none is stored)."""
    p = Path(path) if path else planted_path(years, scenario)
    if not p.exists():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def values_frame(doc: dict) -> pd.DataFrame:
    """The ``values`` of a planted document as a data frame."""
    return pd.DataFrame(doc["values"])


def main(argv: list[str] | None = None) -> int:
    """``python -m kpz_analytics.synthetic.planted``: compute and store planted values."""
    ap = argparse.ArgumentParser(prog="python -m kpz_analytics.synthetic.planted",
                                 description="Planted expected values of the transition estimands "
                                             "from a pooled independent simulation.")
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--seeds", type=int, default=len(DEFAULT_SEEDS), help="number of extracts (40)")
    ap.add_argument("--first-seed", type=int, default=DEFAULT_SEEDS[0])
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--scenario", default=None)
    ap.add_argument("--out", default=None, help="JSON file (default: the stored file of the package)")
    args = ap.parse_args(argv)
    try:
        years = tuple(int(y) for y in args.years.split("-"))
        if len(years) != 2:
            raise ValueError(f"--years must look like 2019-2024, got {args.years}")
        seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
        pooled = pool(years, seeds, args.scale, scenario=args.scenario, progress=True)
        out = Path(args.out) if args.out else planted_path(years, args.scenario)
        doc = write_planted(pooled, out)
    except (KpzError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {doc['n_persons']} persons pooled over {len(seeds)} extracts in {doc['seconds']} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
