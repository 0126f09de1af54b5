"""Shared fixtures: one small synthetic warehouse per test session (the reports and exports use it)."""

from __future__ import annotations

import os

import pytest

# The analyses' result cache (analyses/cache.py) is off in the suite: tests compare fresh
# computations and read the person-level parts of results, which a cached result lacks;
# tests/test_result_cache.py switches it on for its own copies of the warehouse.
os.environ["KPZ_CACHE"] = "0"

SCALE = 0.05


def pytest_configure(config):
    config.addinivalue_line("markers", "hostile(*kinds): the hostile-input kinds a test exercises (test_hostile.py)")
    config.addinivalue_line("markers", "with_marts: the test needs the marts built (test_hostile.py)")


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory):
    """A 5 % scale cohort-plus-sample extract for 2019-2024, ingested (``IngestResult``)."""
    from kpz_analytics.synthetic import write_extract
    from kpz_analytics.warehouse.ingest import ingest

    root = tmp_path_factory.mktemp("pipeline")
    write_extract(root / "extract", seed=7, design="cohort_sample", fmt="csv", scale=SCALE,
                  years=(2019, 2024), faults=False, progress=False)
    return ingest(root / "extract", warehouse=root / "w.duckdb", progress=False)


@pytest.fixture(scope="session")
def prevalence_result(small_warehouse):
    """The prevalence tables of the small warehouse, as the report computes them."""
    from kpz_analytics.analyses.prevalence import compute_prevalence
    from kpz_analytics.warehouse.connect import connect

    con = connect(small_warehouse.warehouse)
    try:
        return compute_prevalence(con, cr_by_age=False, progress=False)
    finally:
        con.close()


@pytest.fixture(scope="session")
def transition_result(small_warehouse):
    """The transition tables of the small warehouse (discontinuities for two outcomes only)."""
    from kpz_analytics.analyses.transition import compute_transition
    from kpz_analytics.cohorts.transition import TransitionParams
    from kpz_analytics.warehouse.connect import connect

    con = connect(small_warehouse.warehouse)
    try:
        return compute_transition(con, TransitionParams(rd_outcomes=("any_support", "jeugdwet_any")),
                                  progress=False)
    finally:
        con.close()
