"""The result cache of the analyses (``analyses/cache.py``): hits, misses and invalidation.

Every test works on its own copy of the session's small warehouse, so entries and rebuilds never
touch the shared file. A miss is seen by counting the computations (the function the cache calls
when it has no valid entry); a hit returns the stored tables, which must equal fresh ones exactly.
"""

from __future__ import annotations

import math
import os
import shutil

import duckdb
import pandas as pd
import pytest

from kpz_analytics.analyses import cache
from kpz_analytics.analyses import landscape as L
from kpz_analytics.analyses import prevalence as P
from kpz_analytics.analyses import transition as A
from kpz_analytics.cohorts.transition import TransitionParams
from kpz_analytics.errors import KpzError
from kpz_analytics.warehouse.connect import connect

# Quick transition parameters: two outcomes (no rate ratios), no discontinuities.
QUICK = TransitionParams(outcomes=("any_support", "adult_successor"))


@pytest.fixture
def warehouse(small_warehouse, tmp_path, monkeypatch):
    """A private copy of the small warehouse, with the cache switched on."""
    monkeypatch.setenv("KPZ_CACHE", "1")
    path = tmp_path / "w.duckdb"
    shutil.copyfile(small_warehouse.warehouse, path)
    return path


@pytest.fixture
def computations(monkeypatch):
    """Counts the transition computations (each miss of the cache is one)."""
    calls = []
    real = A._compute_result

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(A, "_compute_result", counting)
    return calls


def transition(path, params=QUICK, **kwargs):
    con = connect(path)
    try:
        return A.compute_transition(con, params, progress=False, rd=False, **kwargs)
    finally:
        con.close()


def entries(path):
    return sorted(cache.cache_dir(path).glob("*.pkl"))


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def assert_same_result(cached, fresh):
    """Tables, headline, metadata and warnings of two results are identical."""
    assert sorted(cached.tables) == sorted(fresh.tables)
    for name, df in fresh.tables.items():
        pd.testing.assert_frame_equal(cached.tables[name], df, check_exact=True)
    for field in ("headline", "metadata"):
        mine, theirs = getattr(cached, field, {}), getattr(fresh, field, {})
        assert mine.keys() == theirs.keys()
        # generated_at says when the tables were computed: a stored result keeps its own
        assert all(same_value(mine[k], theirs[k]) for k in theirs if k != "generated_at"), field
    assert cached.warnings == fresh.warnings


def test_second_run_is_a_hit_and_equals_a_fresh_result(warehouse, computations):
    first = transition(warehouse)
    assert len(computations) == 1 and len(entries(warehouse)) == 1
    second = transition(warehouse)
    assert len(computations) == 1  # served from the entry
    fresh = transition(warehouse, cache=False)
    assert len(computations) == 2
    assert_same_result(second, fresh)
    assert_same_result(first, fresh)
    assert second.metadata["generated_at"] == first.metadata["generated_at"]
    # what the report reads of the cohort is kept; the person-level panel is not
    assert second.cohort.params == fresh.cohort.params
    pd.testing.assert_frame_equal(second.cohort.attrition, fresh.cohort.attrition, check_exact=True)
    with pytest.raises(KpzError, match="person-level"):
        len(second.cohort.persons)
    with pytest.raises(KpzError, match="cache=False"):
        second.cohort.use.loc[:, "outcome"]


def test_a_parameter_change_misses(warehouse, computations):
    transition(warehouse)
    other = transition(warehouse, TransitionParams(outcomes=QUICK.outcomes, gap_length=2))
    assert len(computations) == 2
    assert computations[1].gap_length == 2
    assert other.cohort.params.gap_length == 2
    # both entries are kept (same warehouse build), and each is served for its own parameters
    assert len(entries(warehouse)) == 2
    again = transition(warehouse, TransitionParams(outcomes=QUICK.outcomes, gap_length=2))
    assert len(computations) == 2
    assert_same_result(again, other)
    assert not transition(warehouse).tables["gap"].equals(other.tables["gap"])
    assert len(computations) == 2


def test_a_rebuilt_warehouse_misses_and_gets_its_own_result(warehouse, tmp_path, computations):
    before = transition(warehouse)
    old_entries = entries(warehouse)
    # "rebuild" the warehouse the way ingest does (a new file moved into place, new ingested_at),
    # with different data: every comparison person of one sex removed
    new = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(warehouse, new)
    con = duckdb.connect(str(new))
    con.execute("delete from mart_person where geslacht = 'V' and not coalesce(in_steekproef, false)")
    con.execute("update meta_extract set ingested_at = now()")
    con.close()
    os.replace(new, warehouse)
    after = transition(warehouse)
    assert len(computations) == 2
    assert not after.tables["attrition"].equals(before.tables["attrition"])
    assert_same_result(after, transition(warehouse, cache=False))
    # the entry of the old build is gone, the new one is there
    assert not set(entries(warehouse)) & set(old_entries) and len(entries(warehouse)) == 1


def test_a_warehouse_changed_in_place_misses(warehouse, computations):
    transition(warehouse)
    con = duckdb.connect(str(warehouse))  # writable: mtime and size of the file change
    con.execute("create table scratch as select 1 as x")
    con.close()
    transition(warehouse)
    assert len(computations) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "other_key", "empty"])
def test_a_corrupt_entry_is_recomputed(warehouse, computations, damage):
    fresh = transition(warehouse)
    (entry,) = entries(warehouse)
    blob = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(blob)))
    elif damage == "flip":  # one byte of the pickle changed: the checksum no longer matches
        entry.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
    elif damage == "other_key":  # an intact entry of other parameters under this name
        other = warehouse.with_name("other.duckdb")
        shutil.copyfile(warehouse, other)
        transition(other, TransitionParams(outcomes=QUICK.outcomes, gap_length=2))
        (theirs,) = entries(other)
        shutil.copyfile(theirs, entry)
    else:
        entry.write_bytes(b"")
    n = len(computations)
    again = transition(warehouse)
    assert len(computations) == n + 1
    assert_same_result(again, fresh)
    # the entry was rewritten and serves the next run
    transition(warehouse)
    assert len(computations) == n + 1


def test_an_unreadable_cache_directory_only_costs_the_cache(warehouse, computations):
    cache.cache_dir(warehouse).write_text("not a directory")
    result = transition(warehouse)
    again = transition(warehouse)
    assert len(computations) == 2
    assert_same_result(again, result)


def test_switched_off_by_kpz_cache_0(warehouse, computations, monkeypatch):
    monkeypatch.setenv("KPZ_CACHE", "0")
    transition(warehouse)
    transition(warehouse)
    assert len(computations) == 2 and not entries(warehouse)
    # cache=True wins over the environment
    transition(warehouse, cache=True)
    transition(warehouse, cache=True)
    assert len(computations) == 3


def test_only_read_only_files_are_cached(warehouse, computations):
    con = duckdb.connect(str(warehouse))  # writable: it could change under the cache
    try:
        A.compute_transition(con, QUICK, progress=False, rd=False)
        A.compute_transition(con, QUICK, progress=False, rd=False)
    finally:
        con.close()
    assert len(computations) == 2 and not entries(warehouse)


def test_the_key_holds_code_and_library_versions(warehouse):
    con = connect(warehouse)
    try:
        key = cache.cache_key(con, warehouse, "transition", {"params": QUICK})
    finally:
        con.close()
    assert len(key["code_sha256"]) == 64
    assert key["libraries"]["rdrobust"] and key["libraries"]["pandas"]
    assert key["warehouse"]["meta_extract"]["manifest_sha256"]
    assert key["warehouse"]["meta_extract"]["ingested_at"]
    # any change to what computes a result gives another entry
    other = dict(key, code_sha256="0" * 64)
    assert cache.entry_path(warehouse, other) != cache.entry_path(warehouse, key)


def test_prevalence_and_landscape_are_cached_too(warehouse):
    kwargs = dict(capture_recapture=False, cr_by_age=False, sensitivity=False, progress=False)
    con = connect(warehouse)
    try:
        fresh = P.compute_prevalence(con, **kwargs)
        hit = P.compute_prevalence(con, **kwargs)
        assert isinstance(hit.case_table, cache.NotCached) and not isinstance(fresh.case_table, cache.NotCached)
        assert_same_result(hit, fresh)
        changed = P.compute_prevalence(con, alpha=0.1, **kwargs)
        assert not isinstance(changed.case_table, cache.NotCached)  # another alpha: computed
        fresh_l = L.compute_landscape(con, progress=False)
        hit_l = L.compute_landscape(con, progress=False)
        assert isinstance(hit_l.cohort.cases, cache.NotCached)
        assert hit_l.cohort.params == fresh_l.cohort.params
        assert_same_result(hit_l, fresh_l)
    finally:
        con.close()
    assert {e.name.split("-")[0] for e in entries(warehouse)} == {"prevalence", "landscape"}
