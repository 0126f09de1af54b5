"""What the transition report publishes: coarsened attrition, protected tables, Dutch summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.reporting import publish
from kpz_analytics.reporting import transition as R


def _attrition(counts, names=None):
    names = names or [f"s{i}" for i in range(len(counts))]
    return pd.DataFrame({"cohort": "llc", "step": range(1, len(counts) + 1), "name": names,
                         "description": [f"step {n}" for n in names], "n_persons": counts,
                         "n_excluded": [pd.NA] + [a - b for a, b in zip(counts, counts[1:])]})


def test_small_exclusions_are_merged_with_the_next_step():
    # exclusions 5, 15, 2, 18: the 5 joins the 15 (20), the 2 joins the 18 (20)
    out = publish.coarsen_attrition(_attrition([100, 95, 80, 78, 60]), threshold=10)
    assert out["n_persons"].tolist() == [100, 80, 60]
    assert out["n_excluded"].tolist()[1:] == [20, 20] and pd.isna(out["n_excluded"].iloc[0])
    assert out["name"].tolist() == ["s0", "s1+s2", "s3+s4"]
    assert out["step"].tolist() == [1, 2, 3]


def test_a_small_exclusion_at_the_end_folds_into_the_step_before():
    out = publish.coarsen_attrition(_attrition([100, 80, 75]), threshold=10)
    assert out["n_persons"].tolist() == [100, 75]
    assert out["n_excluded"].tolist()[1:] == [25]
    assert out["name"].tolist() == ["s0", "s1+s2"]
    # zero exclusions and large ones stay as they are
    out = publish.coarsen_attrition(_attrition([50, 50, 30]), threshold=10)
    assert out["n_persons"].tolist() == [50, 50, 30]


@pytest.fixture(scope="module")
def published(transition_result):
    return publish.protect_transition(transition_result, threshold=10)


def test_every_published_count_is_hidden_zero_or_at_least_ten(published):
    checked = 0
    for name, table in published.tables.items():
        for col in [c[: -len("_status")] for c in table.columns if c.endswith("_status")]:
            values = pd.to_numeric(table[col], errors="coerce")
            status = table[f"{col}_status"]
            shown = status.isin(["shown", "zero"])
            if col.startswith("n_"):
                v = values[shown]
                assert ((v == 0) | (v >= 10)).all(), (name, col)
                checked += len(v)
            # a hidden value is missing, never a number
            assert values[~shown].isna().all(), (name, col)
    assert checked > 100
    # the small cohort needs suppression somewhere
    assert published.audit["status"].isin(["primary"]).any()


def test_no_person_level_or_dominance_columns_are_published(published):
    for name, table in published.tables.items():
        assert "persoon_id" not in table.columns, name
        assert not [c for c in table.columns if c.endswith(("_top1", "_top2"))], name
    curves = published.tables["km_curves"]
    assert not {"n_at_risk", "n_events", "n_censored"} & set(curves.columns)


def test_headline_comes_from_the_published_tables(published, transition_result):
    h = published.headline
    gap = published.tables["gap"]
    overall = gap[(gap["cohort"] == "llc") & (gap["group_by"] == "overall")].iloc[0]
    assert h["gap_share"] == pytest.approx(float(overall["share_gap"]))
    rd = transition_result.tables["rd"]
    donut = rd[(rd["outcome"] == "any_support") & (rd["cohort"] == "llc") & (rd["spec"] == "donut")].iloc[0]
    assert h["jump_support"] == pytest.approx(donut["estimate"])


def test_dutch_summary_states_direction_and_interval():
    text = R.summary_nl({"jump_support": -0.086, "jump_ci_low": -0.176, "jump_ci_high": -0.028,
                         "gap_share": 0.417, "gap_ci_low": 0.351, "gap_ci_high": 0.487,
                         "median_months_to_adult_care": 2.0, "median_ci_low": 1.0,
                         "median_ci_high": float("nan")}, gap_length=3)
    assert "daalt" in text and "8,6 procentpunt" in text and "2,8 tot 17,6" in text
    assert "42%" in text and "minstens 3 maanden" in text
    assert "2 maanden" in text and "niet bereikt" in text
    assert "nan" not in text.lower()
    assert R.summary_nl({}, gap_length=3) == "Te weinig gegevens voor een samenvatting."


def test_compact_jump_table_marks_hidden_and_missing_values():
    rd = pd.DataFrame({"outcome": ["wmo_any"] * 3, "cohort": ["llc", "comparison", "difference"],
                       "spec": "donut", "estimate": [0.14, np.nan, 0.13], "ci_low": [0.08, np.nan, 0.07],
                       "ci_high": [0.17, np.nan, 0.16],
                       "estimate_status": ["shown", "derived", "shown"]})
    out = R.rd_compact(rd, ["wmo_any", "ikz_mkv"])
    assert out.iloc[0].tolist() == ["Wmo (alle ondersteuning)", "14,0 (8,0 tot 17,0)", "•",
                                    "13,0 (7,0 tot 16,0)"]
    assert len(out) == 1  # an outcome without rows is left out
