"""Code lists and case definitions are versioned data: an accidental edit must fail loudly."""

from __future__ import annotations

import re

import pytest

from kpz_analytics.cohorts import cases as C
from kpz_analytics.extract import spec
from kpz_analytics.config import CODELIST_DIR
from kpz_analytics.refdata import index, load_codelist

# Codes per Fraser/Hain diagnostic group in llc_fraser_v1 (277 codes in all).
FRASER_GROUP_COUNTS = {
    "congenital": 79, "oncology": 93, "neurology": 36, "perinatal": 17, "metabolic": 14,
    "other": 11, "haematology": 9, "gastrointestinal": 6, "circulatory": 5,
    "genitourinary": 4, "respiratory": 3,
}
# Categories of mart_person_month (docs/warehouse.md) that definitions may select.
ACTIVITY_CATEGORIES = {"ic_day_paediatric", "ic_day_adult", "emergency_visit", "outpatient_visit",
                       "palliative_care", "nursing_day", "other"}


def test_fraser_counts_per_group():
    df = load_codelist("llc_fraser_v1")
    assert len(df) == 277
    assert df["diagnostic_group"].value_counts().to_dict() == FRASER_GROUP_COUNTS
    lengths = df["code_norm"].str.len().value_counts().to_dict()
    assert lengths == {3: 124, 4: 153}


def test_fraser_codes_well_formed():
    df = load_codelist("llc_fraser_v1")
    assert df["code_norm"].is_unique
    assert (df["code"].str.replace(".", "", regex=False) == df["code_norm"]).all()
    assert df["code_norm"].map(lambda c: bool(re.fullmatch(r"[A-Z][0-9]{2}[0-9A-Z]?", c))).all()
    # the group of each code could not be checked code by code against the Hain directory: say so
    assert set(df["group_checked"]) == {"no"}


def test_index_lists_every_codelist_file():
    idx = index("codelists")
    files = {p.name for p in CODELIST_DIR.glob("*.csv") if p.name != "index.csv"}
    assert set(idx["file"]) == files
    assert idx["file"].is_unique
    assert (idx["source"].str.len() > 20).all()
    for row in idx.itertuples():
        assert row.file == f"{row.list_id}_v{row.version}.csv"


NEED_DEFINITIONS = ["palliative_need_v1", C.NEED_DEFINITION, C.NEED_PLUS_ACTIVITY]
# Feudtner CCC v2 as rendered by ECHILD (ccc_feudtner_v1): rows per group (556 rows, 545 codes).
CCC_GROUP_COUNTS = {
    "malignancy": 111, "neuro": 81, "metab": 70, "cardio": 68, "other_congen": 55, "gastro": 41,
    "hema_imm": 38, "prem_neonatal": 33, "renal_urol": 21, "resp": 20, "misc": 18,
}


def test_definition_counts():
    counts = {name: len(C.load_definition(name)) for name in
              [*C.SOURCE_DEFINITIONS.values(), *NEED_DEFINITIONS]}
    assert counts == {"source_hospital_llc_code_v1": 1, "source_palliative_activity_v1": 1,
                      "source_ikz_mkv_v1": 2, "source_wlz_severe_v1": 1, "palliative_need_v1": 8,
                      "palliative_need_v2": 5, "palliative_need_plus_activity_v1": 6}
    assert C.NEED_DEFINITION == "palliative_need_v2"


def test_ccc_counts_per_group():
    df = load_codelist("ccc_feudtner_v1")
    assert len(df) == 556 and df["code_norm"].nunique() == 545
    assert df["ccc_group"].value_counts().to_dict() == CCC_GROUP_COUNTS
    assert (df["code"].str.replace(".", "", regex=False) == df["code_norm"]).all()
    assert df["code_norm"].map(lambda c: bool(re.fullmatch(r"[A-Z][0-9]{2}[0-9A-Z]?", c))).all()
    assert set(df["flag"]) == {"", "code_truncated"} and (df["flag"] == "code_truncated").sum() == 81


def test_group_variants_reassign_listed_llc_codes_only():
    v = load_codelist("llc_group_variants_v1")
    llc = load_codelist("llc_fraser_v1").set_index("code_norm")
    assert v[["variant", "code_norm", "diagnostic_group"]].values.tolist() == [
        ["e84_respiratory", "E84", "respiratory"]]
    assert set(v["code_norm"]) <= set(llc.index)
    assert llc.loc["E84", "diagnostic_group"] == "metabolic"  # the chapter rule it departs from


@pytest.mark.parametrize("name", [*C.SOURCE_DEFINITIONS.values(), *NEED_DEFINITIONS])
def test_definitions_select_known_categories(name):
    d = C.load_definition(name)
    for row in d.itertuples():
        if row.mart == "mart_person_month":
            if row.domain == "hospital_activity":
                assert row.subdomain in ACTIVITY_CATEGORIES
            else:
                assert row.domain == "zvw" and row.subdomain in spec.ZORGSOORTEN
        if row.mart == "mart_diagnosis":
            assert row.codelist == C.LLC_CODELIST
        assert row.description
    pa = d[d["subdomain"] == "palliative_care"]
    assert (pa["valid_from"] == "2023-01-01").all()


def test_broken_definition_is_refused(tmp_path, monkeypatch):
    from kpz_analytics import refdata
    bad = load_codelist("palliative_need_v1")
    bad.loc[0, "measure"] = "cost"
    monkeypatch.setattr(refdata, "_cached", lambda kind, name: bad)
    monkeypatch.setattr(C, "load_codelist", lambda name: bad.copy())
    with pytest.raises(Exception, match="row 1 column measure"):
        C.load_definition("palliative_need_v1")
