"""Command line of ``make validate``: ``python -m kpz_analytics.validation --help``.

Runs the prevalence validation (``validation/prevalence.py``) and the transition validation
(``validation/transition.py``) one after the other; ``--only`` runs one of them.
``--replications`` overrides the number of replications of each (defaults: prevalence 10 per
capture scenario, the quick run of a few minutes on two cores; transition 10). The prevalence
runs behind the numbers in ``docs/prevalence.md`` (``docs/validation/``) were::

    # base: 40 replications, seeds 1-20 and 26-45, in chunks of 5 seeds combined afterwards
    python -m kpz_analytics.validation --only prevalence --replications 5 --seed S \
        --criteria full,aic,bic --out results/validation/base/seedS
    python -m kpz_analytics.validation --only prevalence --replications 20 --criteria full,aic,bic \
        --scenarios heterogeneous,time_varying --out results/validation/violations

``--calibrate PATH`` writes accuracy parameters of the need definitions from separate seeds
(default 1001…) instead of validating.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..cohorts import cases as C
from ..errors import KpzError
from . import prevalence as V

QUICK_REPLICATIONS = 10


def main(argv: list[str] | None = None) -> int:
    """Run the replicated validation(s) (or the calibration) and print their summary tables."""
    ap = argparse.ArgumentParser(prog="python -m kpz_analytics.validation",
                                 description="Replicated validation of the estimators against planted truth.")
    ap.add_argument("--only", choices=("all", "prevalence", "transition"), default="all",
                    help="which validation to run (all)")
    ap.add_argument("--replications", type=int, default=None,
                    help=f"seeded replications (default: prevalence {QUICK_REPLICATIONS} per capture scenario, "
                         "the quick run; the documented full run uses 100; calibration 40; transition 10)")
    ap.add_argument("--scenarios", default="base",
                    help=f"prevalence: capture scenarios, comma-separated ({', '.join(V.SCENARIOS)}; default base)")
    ap.add_argument("--scale", type=float, default=0.05, help="population scale of each extract (0.05)")
    ap.add_argument("--seed", type=int, default=None, help="first seed (1; calibration 1001)")
    ap.add_argument("--years", default="2019-2024", help="years of each extract (2019-2024)")
    ap.add_argument("--lookback", type=int, default=2, help="prevalence: case lookback in years (2)")
    ap.add_argument("--criteria", default="full",
                    help="prevalence: capture-recapture model choices to validate (default full; the full "
                         "run uses full,aic,bic)")
    ap.add_argument("--need-accuracy", default=None,
                    help="prevalence: accuracy parameters of the need definitions (code-list name or CSV "
                         "path; default need_accuracy_synthetic_v1)")
    ap.add_argument("--calibrate", default=None, metavar="PATH",
                    help="write need accuracy parameters to PATH from separate seeds instead of validating")
    ap.add_argument("--scenario", default=None,
                    help="transition: a generator scenario that breaks an assumption (anticipation)")
    ap.add_argument("--no-rd", action="store_true", help="transition: skip the discontinuity estimates")
    ap.add_argument("--out", default="results/validation", help="directory for the CSV summaries")
    args = ap.parse_args(argv)
    try:
        first, last = (int(y) for y in args.years.split("-"))
        if args.replications is not None and args.replications < 1:
            raise KpzError(f"replications must be at least 1, got {args.replications}")
        params = C.CaseParams(lookback=args.lookback)
        if args.calibrate:
            reps = 40 if args.replications is None else args.replications
            table = V.run_calibration(args.calibrate, replications=reps, scale=args.scale,
                                      seed=1001 if args.seed is None else args.seed,
                                      years=(first, last), params=params)
            print(table.to_string(index=False))
            print(f"\nwritten to {args.calibrate}")
            return 0
        seed = 1 if args.seed is None else args.seed
        if args.only in ("all", "prevalence"):
            t0 = time.time()
            scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
            result = V.run_validation(args.replications or QUICK_REPLICATIONS, args.scale, seed, (first, last),
                                      params, tuple(c.strip() for c in args.criteria.split(",") if c.strip()),
                                      out_dir=args.out, scenarios=scenarios, need_accuracy=args.need_accuracy)
            print(V.format_result(result))
            print(f"\nwritten to {args.out}/validation_*.csv and validation_report.md "
                  f"({time.time() - t0:.0f} s)\n")
        if args.only in ("all", "transition"):
            from . import transition as VT

            t0 = time.time()
            result = VT.run_validation(args.replications or VT.DEFAULTS["replications"], args.scale, seed,
                                       (first, last), scenario=args.scenario, rd=not args.no_rd,
                                       out_dir=args.out)
            print(VT.format_result(result))
            print(f"\nwritten to {args.out}/transition_validation_*.csv ({time.time() - t0:.0f} s)")
    except (KpzError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
