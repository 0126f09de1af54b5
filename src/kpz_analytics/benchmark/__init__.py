"""The national-scale benchmark (`make bench`, `kpz bench`, issue 18).

Owns ``measure`` (run one stage as a child process and record its wall time, CPU time and peak
resident memory), ``bare`` (the lower bound: one DuckDB pass over the claims files), ``stages``
(what each stage runs) and ``run`` (extracts at several scales, every stage on them, the bare
pass in the same run on the same files, ratios and fitted growth exponents, written to
``bench/results.json`` and ``bench/summary.md``).

It sits at the top of the flow beside ``validation``, under ``cli`` (``kpz bench`` calls
``run.run_benchmark``): it may import every stage (``extract``, ``warehouse``, ``cohorts``,
``analyses``, ``reporting``, ``synthetic``) plus ``config`` and ``errors``; nothing but ``cli``
imports it, and it imports neither ``cli`` nor ``validation``. Stages run as separate processes
(``python -m kpz_analytics.benchmark.stages``) so each one's memory is its own.
"""
