"""Command line of ``make validate``: ``python -m kpz_analytics.validation --help``."""

from __future__ import annotations

import argparse
import sys

from ..cohorts import cases as C
from ..errors import KpzError
from . import prevalence as V


def main(argv: list[str] | None = None) -> int:
    """Run the replicated validation and print its summary tables."""
    ap = argparse.ArgumentParser(prog="python -m kpz_analytics.validation",
                                 description=V.__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=100, help="number of seeded replications (100)")
    ap.add_argument("--scale", type=float, default=0.05, help="population scale of each extract (0.05)")
    ap.add_argument("--seed", type=int, default=1, help="first seed (1)")
    ap.add_argument("--years", default="2019-2024", help="years of each extract (2019-2024)")
    ap.add_argument("--lookback", type=int, default=2)
    ap.add_argument("--criteria", default=",".join(V.P.CR_CRITERIA),
                    help="capture-recapture model choices to validate (full,aic,bic)")
    ap.add_argument("--out", default="results/validation", help="directory for the CSV summaries")
    args = ap.parse_args(argv)
    try:
        first, last = (int(y) for y in args.years.split("-"))
        result = V.run_validation(args.replications, args.scale, args.seed, (first, last),
                                  C.CaseParams(lookback=args.lookback),
                                  tuple(c.strip() for c in args.criteria.split(",") if c.strip()),
                                  out_dir=args.out)
    except (KpzError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(V.format_result(result))
    print(f"\nwritten to {args.out}/validation_*.csv")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
