"""Command line of ``make validate``: ``python -m kpz_analytics.validation --help``.

Runs the prevalence validation (``validation/prevalence.py``) and the transition validation
(``validation/transition.py``) one after the other; ``--only`` runs one of them.
``--replications`` overrides the number of replications of each (defaults: prevalence 100,
transition 10).
"""

from __future__ import annotations

import argparse
import sys
import time

from ..cohorts import cases as C
from ..errors import KpzError
from . import prevalence as V


def main(argv: list[str] | None = None) -> int:
    """Run the replicated validation(s) and print their summary tables."""
    ap = argparse.ArgumentParser(prog="python -m kpz_analytics.validation",
                                 description="Replicated validation of the estimators against planted truth.")
    ap.add_argument("--only", choices=("all", "prevalence", "transition"), default="all",
                    help="which validation to run (all)")
    ap.add_argument("--replications", type=int, default=None,
                    help="number of seeded replications (default: prevalence 100, transition 10)")
    ap.add_argument("--scale", type=float, default=0.05, help="population scale of each extract (0.05)")
    ap.add_argument("--seed", type=int, default=1, help="first seed (1)")
    ap.add_argument("--years", default="2019-2024", help="years of each extract (2019-2024)")
    ap.add_argument("--lookback", type=int, default=2, help="prevalence: case lookback in years (2)")
    ap.add_argument("--criteria", default=",".join(V.P.CR_CRITERIA),
                    help="prevalence: capture-recapture model choices to validate (full,aic,bic)")
    ap.add_argument("--scenario", default=None,
                    help="transition: a generator scenario that breaks an assumption (anticipation)")
    ap.add_argument("--no-rd", action="store_true", help="transition: skip the discontinuity estimates")
    ap.add_argument("--out", default="results/validation", help="directory for the CSV summaries")
    args = ap.parse_args(argv)
    try:
        first, last = (int(y) for y in args.years.split("-"))
        if args.replications is not None and args.replications < 1:
            raise KpzError(f"replications must be at least 1, got {args.replications}")
        if args.only in ("all", "prevalence"):
            t0 = time.time()
            result = V.run_validation(args.replications or 100, args.scale, args.seed, (first, last),
                                      C.CaseParams(lookback=args.lookback),
                                      tuple(c.strip() for c in args.criteria.split(",") if c.strip()),
                                      out_dir=args.out)
            print(V.format_result(result))
            print(f"\nwritten to {args.out}/validation_*.csv ({time.time() - t0:.0f} s)\n")
        if args.only in ("all", "transition"):
            from . import transition as VT

            t0 = time.time()
            result = VT.run_validation(args.replications or VT.DEFAULTS["replications"], args.scale, args.seed,
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
