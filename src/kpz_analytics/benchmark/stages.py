"""The stages the benchmark measures, each runnable as its own process.

``python -m kpz_analytics.benchmark.stages STAGE ARGS...`` with STAGE one of

- ``bare EXTRACT SCRATCH_DB`` — the bare pass (``bare.py``);
- ``panel EXTRACT SCRATCH_DB`` — the panel pass (``panel.py``); its last line is
  ``panel pass: {json}`` (rows, parts, the wall time of its two steps);
- ``ingest EXTRACT WAREHOUSE`` — ``kpz ingest`` without the marts (manifest, validation,
  quarantine, staging, core, dq tables);
- ``marts WAREHOUSE`` — the marts and the ``sql/cohort`` tables on that warehouse.

Synth, prevalence, transition and report are the ``kpz`` commands themselves (``run.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import KpzError


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m kpz_analytics.benchmark.stages bare|panel|ingest|marts ARGS...", file=sys.stderr)
        return 2
    stage, args = argv[0], argv[1:]
    try:
        if stage == "bare" and len(args) == 2:
            from .bare import bare_pass

            rows = bare_pass(Path(args[0]), Path(args[1]))
            print(f"bare pass: {rows} person-month-domain rows")
        elif stage == "panel" and len(args) == 2:
            import json

            from .panel import panel_pass

            print(f"panel pass: {json.dumps(panel_pass(Path(args[0]), Path(args[1]), progress=True))}", flush=True)
        elif stage == "ingest" and len(args) == 2:
            from ..warehouse.ingest import ingest

            ingest(Path(args[0]), warehouse=Path(args[1]), build_marts=False)
        elif stage == "marts" and len(args) == 1:
            import duckdb

            from .. import config
            from ..warehouse import marts

            con = duckdb.connect(args[0])
            try:
                config.configure_duckdb(con, temp_directory=Path(args[0]).with_suffix(".spill"))
                config.set_memory_limit(con, config.DUCKDB_MARTS_MEMORY_LIMIT, "KPZ_DUCKDB_MARTS_MEMORY_LIMIT")
                marts.build_marts(con)
                con.execute("checkpoint")
            finally:
                con.close()
        else:
            print(f"unknown stage or wrong arguments: {' '.join(argv)}", file=sys.stderr)
            return 2
    except KpzError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
