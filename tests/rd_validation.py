"""Replicated validation of the RD estimators against the truth planted by panel_simulation.

Used by tests/test_discontinuity.py (a small version as a unit test, >= 200 replications marked
slow) and runnable on its own for the numbers in the report::

    .venv/bin/python tests/rd_validation.py --reps 200 [--scenario main] [--n-a 1000 --n-b 2000]

Per replication: one LLC-like cohort (A) and one comparison cohort (B) are simulated; the jump
in A is estimated with the person-level and with rdrobust's side-by-side clustered variance,
and with a donut of 1 month; the difference A - B with the analytic and the bootstrap interval.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))

from panel_simulation import COMPARISON, LLC, Scenario, planted_jump, simulate_panel  # noqa: E402

from kpz_analytics.methods.discontinuity import rd_difference, rd_jump  # noqa: E402

SCENARIOS: dict[str, tuple[Scenario, Scenario]] = {
    # Assumptions hold: smooth (slightly curved) trends, jump only at 0.
    "main": (LLC, COMPARISON),
    # Anticipation: half of the LLC drop already happens in months -3 .. -1 (a ramp).
    "anticipation": (LLC.replace(anticipation=0.5), COMPARISON),
    # Fast recovery after the drop (adult care taking over within months): curvature right of
    # the cutoff that a local-linear fit does not follow.
    "recovery": (LLC.replace(recovery=0.15, recovery_months=3.0), COMPARISON),
    # The birthday month looks like the months before (care in its first half counts as use).
    "birthday_month_mixed": (
        LLC.replace(birthday_month_before=True),
        COMPARISON.replace(birthday_month_before=True),
    ),
}

ALPHA = 0.05


def one_replication(scen_a: Scenario, scen_b: Scenario, n_a: int, n_b: int, rng: np.random.Generator,
                    n_boot: int = 199) -> dict:
    a = simulate_panel(scen_a, n_a, rng, "a")
    b = simulate_panel(scen_b, n_b, rng, "b")
    z = stats.norm.ppf(1 - ALPHA / 2)
    ja = rd_jump(a, "any_use", alpha=ALPHA).iloc[0]
    jd = rd_jump(a, "any_use", alpha=ALPHA, donut=1).iloc[0]
    diff = rd_difference(a, b, "any_use", alpha=ALPHA, interval="bootstrap", n_boot=n_boot,
                         seed=int(rng.integers(2**31))).iloc[0]
    bc_diff = diff["estimate_bias_corrected"]
    se_analytic = float(np.hypot(diff["std_err_a"], diff["std_err_b"]))
    return {
        # jump in A, person-level clustered variance (the default)
        "a_estimate": ja["estimate"],
        "a_bc": ja["estimate_bias_corrected"],
        "a_low": ja["ci_low"],
        "a_high": ja["ci_high"],
        # jump in A, rdrobust's side-by-side clustered variance
        "a_rdrobust_low": ja["estimate_bias_corrected"] - z * ja["std_err_rdrobust"],
        "a_rdrobust_high": ja["estimate_bias_corrected"] + z * ja["std_err_rdrobust"],
        # jump in A without the birthday month
        "a_donut_estimate": jd["estimate"],
        "a_donut_bc": jd["estimate_bias_corrected"],
        "a_donut_low": jd["ci_low"],
        "a_donut_high": jd["ci_high"],
        # difference A - B
        "diff_estimate": diff["estimate"],
        "diff_bc": bc_diff,
        "diff_analytic_low": bc_diff - z * se_analytic,
        "diff_analytic_high": bc_diff + z * se_analytic,
        "diff_bootstrap_low": diff["ci_low"],
        "diff_bootstrap_high": diff["ci_high"],
        "bandwidth_a": ja["bandwidth_months"],
    }


def replicate(scenario: str, reps: int, n_a: int = 1000, n_b: int = 2000, seed: int = 2024,
              n_boot: int = 199) -> pd.DataFrame:
    scen_a, scen_b = SCENARIOS[scenario]
    rng = np.random.default_rng([seed, reps, n_a, n_b])
    rows = [one_replication(scen_a, scen_b, n_a, n_b, rng, n_boot) for _ in range(reps)]
    out = pd.DataFrame(rows)
    out.attrs.update(truth_a=planted_jump(scen_a), truth_diff=planted_jump(scen_a) - planted_jump(scen_b))
    return out


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Coverage and mean width of each interval; bias and SD of the conventional estimate
    (``bias``, ``sd``) and bias of the bias-corrected estimate the interval is centred on."""
    ta, td = reps.attrs["truth_a"], reps.attrs["truth_diff"]
    spec = [
        ("jump A, person variance", "a_estimate", "a_bc", "a_low", "a_high", ta),
        ("jump A, rdrobust variance", "a_estimate", "a_bc", "a_rdrobust_low", "a_rdrobust_high", ta),
        ("jump A, donut 1", "a_donut_estimate", "a_donut_bc", "a_donut_low", "a_donut_high", ta),
        ("difference A-B, analytic", "diff_estimate", "diff_bc", "diff_analytic_low", "diff_analytic_high", td),
        ("difference A-B, bootstrap", "diff_estimate", "diff_bc", "diff_bootstrap_low", "diff_bootstrap_high", td),
    ]
    rows = []
    for name, est, bc, low, high, truth in spec:
        # A replication without an estimate (rdrobust could not fit: NaN) counts as not covered.
        covered = (reps[low] <= truth) & (truth <= reps[high])
        rows.append({
            "estimator": name,
            "truth": truth,
            "reps": len(reps),
            "not_estimated": int(reps[est].isna().sum()),
            "coverage": covered.mean(),
            "bias": (reps[est] - truth).mean(),
            "sd": reps[est].std(ddof=1),
            "bias_bc": (reps[bc] - truth).mean(),
            "mean_width": (reps[high] - reps[low]).mean(),
        })
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--scenario", choices=list(SCENARIOS), action="append")
    ap.add_argument("--n-a", type=int, default=1000)
    ap.add_argument("--n-b", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    pd.set_option("display.width", 160)
    for scenario in args.scenario or list(SCENARIOS):
        start = time.perf_counter()
        reps = replicate(scenario, args.reps, args.n_a, args.n_b, args.seed)
        took = time.perf_counter() - start
        print(f"\n== {scenario}: {args.reps} replications, {args.n_a} + {args.n_b} persons, {took:.0f} s")
        print(f"   mean bandwidth A {reps['bandwidth_a'].mean():.2f} months")
        print(summarise(reps).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
