"""Need for palliative care corrected for misclassification (analyses/palliative_need.py):
the accuracy file, which parameters apply to which year, the synthetic-only guard, and the
corrected table and year-to-year changes on a hand-made count table."""

from __future__ import annotations

import pandas as pd
import pytest

from kpz_analytics.analyses import palliative_need as NEED
from kpz_analytics.cohorts import cases as C
from kpz_analytics.errors import KpzError, ParameterError

SRC = "hospital_llc_code+ikz_mkv+wlz_severe"


def _accuracy(tmp_path, applies_to="any", rows=None):
    base = dict(definition="palliative_need_v2", basis="period", age_min=0, age_max=19, lookback=2,
                need_sources=SRC, year_from="", year_to="", applies_to=applies_to, source="chart review")
    rows = rows or [
        dict(base, parameter="ppv", years_available=2, numerator=97, denominator=100),
        dict(base, parameter="sensitivity", years_available=2, numerator=66, denominator=100),
        dict(base, parameter="ppv", years_available=1, numerator=96, denominator=100),
        dict(base, parameter="sensitivity", years_available=1, numerator=60, denominator=100),
    ]
    path = tmp_path / "acc.csv"
    pd.DataFrame(rows)[NEED.ACCURACY_COLUMNS].to_csv(path, index=False)
    return path


def test_shipped_accuracy_file_is_valid_and_synthetic_only():
    acc = NEED.load_accuracy()
    assert set(acc["parameter"]) == {"ppv", "sensitivity"}
    assert set(acc["applies_to"]) == {"synthetic"}
    assert set(acc["definition"]) == {C.NEED_DEFINITION, C.NEED_PLUS_ACTIVITY}
    # one ppv and one sensitivity per definition x basis x years available
    keys = acc.groupby(["definition", "basis", "years_available"])["parameter"].apply(sorted)
    assert all(v == ["ppv", "sensitivity"] for v in keys)
    v2 = acc[(acc["definition"] == C.NEED_DEFINITION) & (acc["basis"] == "period")]
    assert sorted(v2["years_available"].unique()) == [0, 1, 2]
    assert (acc["numerator"] <= acc["denominator"]).all()
    assert acc["source"].str.contains("seeds 1001-").all()  # disjoint from the validation seeds


def test_lookup_by_years_available_and_year(tmp_path):
    acc = NEED.load_accuracy(_accuracy(tmp_path))
    p = C.CaseParams(years=(2019, 2024)).validated((2019, 2024))
    look = NEED.lookup(acc, definition="palliative_need_v2", params=p, jaar=2020, first_period_year=2019,
                       extract_id="x")
    assert look.ppv.estimate == 0.96 and look.sensitivity.estimate == 0.60
    look = NEED.lookup(acc, definition="palliative_need_v2", params=p, jaar=2024, first_period_year=2019,
                       extract_id="x")
    assert look.sensitivity.estimate == 0.66 and look.source == "chart review"
    none = NEED.lookup(acc, definition="palliative_need_v2", params=p, jaar=2019, first_period_year=2019,
                       extract_id="x")
    assert none.ppv is None and "0 years available" in none.note
    other_age = C.CaseParams(years=(2019, 2024), age_max=17).validated((2019, 2024))
    assert NEED.lookup(acc, definition="palliative_need_v2", params=other_age, jaar=2024,
                       first_period_year=2019, extract_id="x").ppv is None


def test_synthetic_parameters_are_refused_on_a_real_extract(tmp_path):
    acc = NEED.load_accuracy(_accuracy(tmp_path, applies_to="synthetic"))
    p = C.CaseParams(years=(2019, 2024)).validated((2019, 2024))
    real = NEED.lookup(acc, definition="palliative_need_v2", params=p, jaar=2024, first_period_year=2019,
                       extract_id="vektis-2026-01")
    assert real.ppv is None and "do not apply to vektis-2026-01" in real.note
    synth = NEED.lookup(acc, definition="palliative_need_v2", params=p, jaar=2024, first_period_year=2019,
                        extract_id="synthetic-seed1-cohort_sample-s0.05")
    assert synth.ppv is not None


def test_corrected_table_and_changes(tmp_path):
    acc = NEED.load_accuracy(_accuracy(tmp_path))
    p = C.CaseParams(years=(2019, 2024)).validated((2019, 2024))
    flagged = pd.DataFrame({"definition": "palliative_need_v2", "jaar": range(2019, 2025),
                            "flagged": [150, 180, 200, 210, 215, 220]})
    pop = pd.DataFrame({"jaar": range(2019, 2025), "population": 190_000.0})
    corr, change = NEED.corrected_need(flagged, acc, p, first_period_year=2019, extract_id="x",
                                       population=pop)
    corr = corr.set_index("jaar")
    assert pd.isna(corr.loc[2019, "n_estimated"]) and "no accuracy parameters" in corr.loc[2019, "status"]
    assert corr.loc[2020, "n_estimated"] == pytest.approx(180 * 0.96 / 0.60)
    assert corr.loc[2024, "n_estimated"] == pytest.approx(220 * 0.97 / 0.66)
    assert corr.loc[2024, "rate_per_10000"] == pytest.approx(220 * 0.97 / 0.66 / 19)
    assert (corr.loc[2020:, "ci_low"] < corr.loc[2020:, "n_estimated"]).all()
    # changes between consecutive corrected years only (2019 has none)
    assert list(zip(change["jaar_from"], change["jaar_to"])) == [(2020, 2021), (2021, 2022),
                                                                 (2022, 2023), (2023, 2024)]
    c = change.set_index("jaar_to").loc[2023]
    assert c["change"] == pytest.approx(5 * 0.97 / 0.66)
    assert c["ci_low"] < c["change"] < c["ci_high"]


@pytest.mark.parametrize("edit, message", [
    (dict(parameter="npv"), "column parameter"),
    (dict(numerator=120), "numerator <= denominator"),
    (dict(applies_to="sometimes"), "column applies_to"),
])
def test_bad_accuracy_files(tmp_path, edit, message):
    path = _accuracy(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for k, v in edit.items():
        df.loc[0, k] = v
    df.to_csv(path, index=False)
    with pytest.raises(KpzError, match=message):
        NEED.load_accuracy(path)
    with pytest.raises(ParameterError, match="does not exist"):
        NEED.load_accuracy(tmp_path / "none.csv")
    with pytest.raises(ParameterError, match="unknown need accuracy parameters"):
        NEED.load_accuracy("need_accuracy_nowhere_v1")
