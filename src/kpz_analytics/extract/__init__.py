"""The input contract and reading it: what an extract must look like and how its files are read.

Owns the spec as data (``spec``), the manifest and file checks (``manifest``), reading the files
as text (``readers``) and row validation with quarantine reasons (``rows``). May import
``config``, ``errors`` and ``refdata`` only: it knows nothing of the warehouse, the cohorts or
any analysis.
"""
