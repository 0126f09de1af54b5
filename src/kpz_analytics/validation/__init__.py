"""Replicated validation of the estimators against the generator's planted truth (``make validate``).

One module per analysis (``prevalence``, ``transition``); ``__main__`` is the command line. Each replication
writes a seeded synthetic extract, ingests it and runs an analysis exactly as the ``kpz``
commands do, then compares with ``<extract>/_truth/``, which the pipeline itself never reads.
Validation may import every stage (it drives the whole flow); nothing imports it.
"""
