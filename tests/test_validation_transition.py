"""Validation of the transition analysis against planted truth: the summary arithmetic on a
hand-built table, and a small end-to-end run (synthesise -> ingest -> cohorts -> estimates) whose
exact checks must all pass and whose intervals must mostly cover the planted values.

The full replicated run is ``make validate`` (``python -m kpz_analytics.validation``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.errors import ParameterError
from kpz_analytics.validation import transition as VT
from kpz_analytics.validation.__main__ import main as validation_main


def _rep(seed, rd_rows, gap_rows, km_rows):
    exact = pd.DataFrame([dict(check="members[llc]", n_compared=10, n_mismatch=0, detail="")])
    return VT.Replication(seed=seed, exact=exact.assign(seed=seed), rd=pd.DataFrame(rd_rows).assign(seed=seed),
                          gap=pd.DataFrame(gap_rows).assign(seed=seed), km=pd.DataFrame(km_rows).assign(seed=seed),
                          seconds={"synth_ingest": 1.0, "rd": 2.0})


def test_summarise_coverage_bias_width():
    planted = pd.DataFrame([
        dict(quantity="rd_jump", cohort="llc", outcome="any_support", spec="main", value=0.10, value_min=0.09,
             value_max=0.20),
        dict(quantity="gap_share", cohort="llc", group_by="overall", group="all", value=0.40),
        dict(quantity="km_median", cohort="llc", group_by="overall", group="all", value=2.0),
    ])

    def rd(est, lo, hi):
        return [dict(outcome="any_support", cohort="llc", spec="main", estimate=est, estimate_bias_corrected=est,
                     ci_low=lo, ci_high=hi)]

    def gap(share, lo, hi):
        return [dict(cohort="llc", group_by="overall", group="all", share_gap=share, ci_low=lo, ci_high=hi)]

    def km(median, lo, hi):
        return [dict(cohort="llc", group_by="overall", group="all", median=median, median_ci_low=lo,
                     median_ci_high=hi)]

    reps = [_rep(1, rd(0.12, 0.05, 0.15), gap(0.45, 0.35, 0.55), km(2.0, 1.0, 4.0)),
            # misses 0.10 but overlaps the definitional range 0.09 .. 0.20
            _rep(2, rd(0.18, 0.15, 0.25), gap(0.50, 0.42, 0.58), km(3.0, 2.0, np.nan)),
            _rep(3, rd(np.nan, np.nan, np.nan), gap(0.30, 0.20, 0.41), km(1.0, 0.0, 1.0))]
    s = VT.summarise(reps, planted)
    r = s["rd"].iloc[0]
    assert (r["n"], r["n_not_estimable"]) == (2, 1)
    assert r["coverage"] == 0.5 and r["coverage_range"] == 1.0
    assert r["bias"] == pytest.approx(((0.12 - 0.10) + (0.18 - 0.10)) / 2)
    assert r["width"] == pytest.approx((0.10 + 0.10) / 2)
    g = s["gap"].iloc[0]
    assert g["coverage"] == pytest.approx(2 / 3) and g["bias"] == pytest.approx((0.05 + 0.10 - 0.10) / 3)
    k = s["km"].iloc[0]
    # an upper limit not reached is open to the right: [2, inf) covers 2
    assert k["coverage"] == pytest.approx(2 / 3) and k["n"] == 3
    assert s["exact"]["exact"].all() and s["exact"]["n_replications"].item() == 3


def test_same_treats_missing_alike():
    a = pd.Series([1, None, 3.0, np.nan])
    b = pd.Series([1.0, np.nan, 4, None])
    assert VT._same(a, b).tolist() == [True, True, False, True]
    assert VT._same(pd.Series(["x", None]), pd.Series(["x", ""])).tolist() == [True, True]


def test_bad_options():
    with pytest.raises(ParameterError, match="replications must be at least 1"):
        VT.run_validation(replications=0)
    with pytest.raises(ParameterError, match="unknown outcome nope"):
        VT.run_validation(replications=1, outcomes=("nope",))
    assert validation_main(["--only", "transition", "--replications", "0"]) == 2


def test_small_replication_reproduces_the_truth_and_covers(tmp_path):
    """Two small replications end to end: every exact check passes; intervals mostly cover."""
    outcomes = ("any_support", "adult_successor")
    res = VT.run_validation(replications=2, scale=0.02, seed=21, years=(2019, 2024), outcomes=outcomes,
                            workdir=tmp_path, progress=False)
    ex = res.summary["exact"].set_index("check")
    assert (ex["n_mismatch"] == 0).all(), ex[ex["n_mismatch"] > 0].to_string()
    assert ex.loc["members[llc]", "n_compared"] > 40 and ex.loc["members[comparison]", "n_compared"] > 400
    assert ex.loc["event_time[n_at_risk, n_using]", "n_compared"] == 2 * 2 * 48 * (len(outcomes) + len(
        [o for o in VT.FLAG_OUTCOMES if o not in outcomes]))
    rd = res.summary["rd"]
    assert len(rd) == len(outcomes) * 3 * 2
    # the donut is the specification whose intervals cover (make validate: 0.87-0.98); the main
    # one is biased for care that stops on the birthday (docs/transition.md)
    donut = rd[rd["spec"] == "donut"]
    assert donut["coverage"].mean() >= 0.6
    llc = rd[rd["spec"] == "main"].set_index(["outcome", "cohort"])
    # the planted jump in adult successor care (about +0.18) is recovered in sign and size
    assert 0.05 < llc.loc[("adult_successor", "llc"), "mean_estimate"] < 0.35
    gap = res.summary["gap"].set_index(["cohort", "group_by", "group"])
    assert gap.loc[("llc", "overall", "all"), "n"] == 2 and gap["coverage"].mean() >= 0.6
    km = res.summary["km"].set_index(["cohort", "group_by", "group"])
    assert km.loc[("llc", "overall", "all"), "coverage"] >= 0.5
