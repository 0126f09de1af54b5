"""The prevalence tables of issue 15 through disclosure control (reporting/publish.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kpz_analytics.reporting import publish

HIDDEN = ["primary", "secondary", "derived", "dominance"]


@pytest.fixture(scope="module")
def published(prevalence_result):
    return publish.protect_prevalence(prevalence_result)


def test_every_new_table_is_declared_and_published(prevalence_result, published):
    names = {s.name for s in published.protected.specs}
    for name in ("palliative_need_corrected", "capture_recapture_strata", "prevalence_e84_variant",
                 "prevalence_ccc", "llc_ccc_overlap"):
        assert name in names and name in published.tables, name
    assert "palliative_need_change" in published.tables
    assert "palliative_need_change" in published.unprotected
    # the analysts' variant table itself is never published (its small differences are the moves)
    assert "prevalence_by_diagnostic_group_variants" not in published.tables


def test_flagged_need_is_the_same_cell_as_the_year_table(prevalence_result, published):
    corr = published.tables["palliative_need_corrected"]
    run = corr[corr["measure"] == publish.NEED_MEASURE].set_index("jaar")
    by_year = published.tables["prevalence_by_year"]
    need = by_year[by_year["measure"] == publish.NEED_MEASURE].set_index("jaar")
    assert run["flagged"].astype(float).equals(need.loc[run.index, "n_cases"].astype(float))
    assert (run["flagged_status"] == need.loc[run.index, "n_cases_status"]).all()
    # PPV and sensitivity are parameters, not counts of this extract: published as they are
    raw = prevalence_result.tables["palliative_need_corrected"]
    assert np.allclose(corr["ppv"].astype(float), raw["ppv"].astype(float), equal_nan=True)


def test_need_change_is_hidden_with_either_year(prevalence_result, published):
    tables = dict(published.tables)
    corr = tables["palliative_need_corrected"].copy()
    first = corr.index[(corr["measure"] == publish.NEED_MEASURE)][3]
    year = int(corr.loc[first, "jaar"])
    corr.loc[first, "n_estimated_status"] = "derived"
    corr.loc[first, "n_estimated"] = np.nan
    tables["palliative_need_corrected"] = corr
    change = publish._need_change(prevalence_result, tables)
    run = change[change["definition"] == corr.loc[first, "definition"]]
    touched = (run["jaar_from"] == year) | (run["jaar_to"] == year)
    assert touched.sum() == 2
    assert (run.loc[touched, "change_status"] == "derived").all() and run.loc[touched, "change"].isna().all()
    assert (run.loc[~touched, "change_status"] == "shown").all()
    assert run.loc[~touched, ["change", "ci_low", "ci_high"]].notna().all().all()


def test_e84_moves_are_the_difference_of_the_two_groupings(prevalence_result):
    moves = publish._e84_moves(prevalence_result)
    t = prevalence_result.tables
    base = t["prevalence_by_diagnostic_group"].set_index(["jaar", "measure", "diagnostic_group"])["n_cases"]
    var = t["prevalence_by_diagnostic_group_variants"]
    var = var[var["grouping"] == "e84_respiratory"].set_index(["jaar", "measure", "diagnostic_group"])["n_cases"]
    for r in moves.itertuples():
        key = (r.jaar, r.measure, r.diagnostic_group)
        sign = 1 if r.direction == "in" else -1
        assert var.get(key, 0) - base.get(key, 0) == sign * r.n_moved
    # only E84 moves: out of metabolic and into respiratory (groups that never change are not listed)
    assert len(moves) and set(moves["diagnostic_group"]) <= {"metabolic", "respiratory"}


def test_strata_add_up_to_the_year_and_overlap_parts_to_their_sets(published):
    per = published.protected.tables["capture_recapture_strata"]
    cr = published.protected.tables["capture_recapture"]
    # true values live in the specs; the statuses say nothing small is shown
    spec = {s.name: s for s in published.protected.specs}
    strata = spec["capture_recapture_strata"].data.groupby("jaar")["n_observed"].sum()
    year = spec["capture_recapture"].data.set_index("jaar")["n_observed"]
    assert (strata == year.loc[strata.index]).all()
    ov = spec["llc_ccc_overlap"].data.pivot(index="jaar", columns="measure", values="n_cases")
    assert (ov["llc"] == ov["llc_and_ccc"] + ov["llc_only"]).all()
    assert (ov["ccc"] == ov["llc_and_ccc"] + ov["ccc_only"]).all()
    for df in (per, cr):
        shown = df["n_observed_status"].isin(["shown", "zero"])
        values = df.loc[shown, "n_observed"].astype(float)
        assert ((values == 0) | (values >= 10)).all()


def test_headline_quotes_the_published_corrected_need(prevalence_result, published):
    h = published.headline
    corr = published.tables["palliative_need_corrected"]
    row = corr[(corr["jaar"] == h["jaar"]) & (corr["measure"] == publish.NEED_MEASURE)].iloc[0]
    assert h["need_quoted"] == "corrected"
    assert h["n_need"] == pytest.approx(float(row["n_estimated"]))
    assert (h["need_ci_low"], h["need_ci_high"]) == (float(row["ci_low"]), float(row["ci_high"]))
    assert h["n_need_flagged"] == float(row["flagged"])
    assert h["confidence"] == pytest.approx(0.95)


def test_headline_without_correction_quotes_the_flagged_count(published):
    tables = dict(published.tables)
    corr = tables["palliative_need_corrected"].copy()
    corr["status"] = "no accuracy parameters for this extract"
    tables["palliative_need_corrected"] = corr
    h = publish.prevalence_headline(tables, None)
    assert h["need_quoted"] == "flagged" and h["n_need"] == h["n_need_flagged"]
    assert h["need_ci_low"] < h["n_need"] < h["need_ci_high"]


def test_a_copy_hidden_in_one_place_and_shown_in_another_is_caught(published):
    tables = {k: v.copy() for k, v in published.tables.items()}
    assert publish._copies_disagree(tables) == []
    ov = tables["llc_ccc_overlap_hospital_code"] if "llc_ccc_overlap_hospital_code" in tables else None
    if ov is None:
        pytest.skip("hospital-code overlap left out of this publication")
    row = ov.index[ov["measure"] == "ccc"][0]
    ov.loc[row, "n_cases_status"] = "secondary"
    assert publish._copies_disagree(tables) == ["llc_ccc_overlap_hospital_code"]
