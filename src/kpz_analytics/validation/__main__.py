"""Command line of ``make validate``: ``python -m kpz_analytics.validation --help``.

The default is the quick run (10 replications of the ``base`` scenario, a few minutes on two
cores). The full run behind the numbers in ``docs/prevalence.md`` is::

    python -m kpz_analytics.validation --replications 100 --criteria full,aic,bic --out results/validation/base
    python -m kpz_analytics.validation --replications 50 --criteria full,aic,bic \
        --scenarios heterogeneous,time_varying --out results/validation/violations

``--calibrate PATH`` writes accuracy parameters of the need definitions from separate seeds
(default 1001…) instead of validating.
"""

from __future__ import annotations

import argparse
import sys

from ..cohorts import cases as C
from ..errors import KpzError
from . import prevalence as V

QUICK_REPLICATIONS = 10


def main(argv: list[str] | None = None) -> int:
    """Run the replicated validation (or the calibration) and print its summary tables."""
    ap = argparse.ArgumentParser(prog="python -m kpz_analytics.validation",
                                 description=V.__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=None,
                    help=f"seeded replications per scenario ({QUICK_REPLICATIONS}: the quick run; "
                         "the documented full run uses 100; calibration 40)")
    ap.add_argument("--scenarios", default="base",
                    help=f"capture scenarios, comma-separated ({', '.join(V.SCENARIOS)}; default base)")
    ap.add_argument("--scale", type=float, default=0.05, help="population scale of each extract (0.05)")
    ap.add_argument("--seed", type=int, default=None, help="first seed (1; calibration 1001)")
    ap.add_argument("--years", default="2019-2024", help="years of each extract (2019-2024)")
    ap.add_argument("--lookback", type=int, default=2)
    ap.add_argument("--criteria", default="full",
                    help="capture-recapture model choices to validate (default full; the full run "
                         "uses full,aic,bic)")
    ap.add_argument("--need-accuracy", default=None,
                    help="accuracy parameters of the need definitions (code-list name or CSV path; "
                         "default need_accuracy_synthetic_v1)")
    ap.add_argument("--calibrate", default=None, metavar="PATH",
                    help="write need accuracy parameters to PATH from separate seeds instead of validating")
    ap.add_argument("--out", default="results/validation", help="directory for the CSV summaries")
    args = ap.parse_args(argv)
    try:
        first, last = (int(y) for y in args.years.split("-"))
        params = C.CaseParams(lookback=args.lookback)
        if args.calibrate:
            reps = 40 if args.replications is None else args.replications
            table = V.run_calibration(args.calibrate, replications=reps, scale=args.scale,
                                      seed=1001 if args.seed is None else args.seed,
                                      years=(first, last), params=params)
            print(table.to_string(index=False))
            print(f"\nwritten to {args.calibrate}")
            return 0
        scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
        reps = QUICK_REPLICATIONS if args.replications is None else args.replications
        result = V.run_validation(reps, args.scale,
                                  1 if args.seed is None else args.seed, (first, last), params,
                                  tuple(c.strip() for c in args.criteria.split(",") if c.strip()),
                                  out_dir=args.out, scenarios=scenarios,
                                  need_accuracy=args.need_accuracy)
    except (KpzError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(V.format_result(result))
    print(f"\nwritten to {args.out}/validation_*.csv and validation_report.md")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
