"""Building and opening the DuckDB warehouse: staging, core, reference tables and marts.

Owns ``ingest`` (one extract → one warehouse), ``dq`` (the row bookkeeping of an ingest: it
reconciles staging and core tables, so it lives here rather than in ``extract``), ``marts`` (the
shared marts and the ``sql/cohort`` layer), ``connect`` (opening a warehouse, its metadata, the
design weight). The SQL models stay in ``sql/`` at the repository root. May import ``extract``, ``config``, ``errors``, ``refdata``.
"""
