"""Time and peak memory of rd_jump on simulated panels of growing size (not a test).

    .venv/bin/python tests/bench_rd_jump.py [--persons 1000 10000 60000] [--max-persons 20000]

Each size runs in a fresh process so that the peak resident memory (ru_maxrss) belongs to that
size alone. Panels: persons x 48 event months (15% censored after 18), string person ids, the
LLC-like scenario of tests/panel_simulation.py, clustered by person.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def run_one(n_persons: int, max_persons: int | None) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    import numpy as np
    from panel_simulation import LLC, simulate_panel

    from kpz_analytics.methods.discontinuity import rd_jump

    panel = simulate_panel(LLC, n_persons, np.random.default_rng(n_persons))
    rd_jump(panel.head(20000), "any_use")  # import rdrobust and warm up outside the timing
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu_start = time.perf_counter(), time.process_time()
    row = rd_jump(panel, "any_use", max_persons=max_persons).iloc[0]
    took, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "persons": n_persons,
        "rows": len(panel),
        "max_persons": max_persons,
        "seconds": round(took, 2),
        "cpu_seconds": round(cpu, 2),  # wall time on a shared machine depends on the load
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_call_mb": round(base_rss),
        "estimate": round(float(row["estimate"]), 5),
        "ci": [round(float(row["ci_low"]), 5), round(float(row["ci_high"]), 5)],
        "bandwidth": round(float(row["bandwidth_months"]), 3),
        "note": row["note"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, nargs="+", default=[1000, 10000, 60000])
    ap.add_argument("--max-persons", type=int, default=None)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.max_persons)))
        return 0
    for n in args.persons:
        cmd = [sys.executable, __file__, "--one", str(n)]
        if args.max_persons:
            cmd += ["--max-persons", str(args.max_persons)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        print(out.strip(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
