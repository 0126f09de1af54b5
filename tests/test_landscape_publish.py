"""The landscape on the small synthetic warehouse: disclosure control, planted truth, consistency, CLI.

- every count a report shows is hidden, 0 or at least 10;
- the pgb share per domain recovers the generator's planted person-level pgb choice
  (``synthetic.parameters.PGB_SHARE``: Jeugdwet 12 %, Wmo 10 %, Zvw 25 %;
  ``WLZ_LEVERINGSVORM['pgb']`` 30 % per indication);
- every decedent is an LLC person of the planted truth who died on that day;
- the prevalence indicators equal the prevalence analysis' own counts (same definition).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kpz_analytics.analyses import landscape as A
from kpz_analytics.cli import app
from kpz_analytics.reporting.publish import protect_landscape
from kpz_analytics.synthetic import parameters as P
from kpz_analytics.warehouse.connect import connect


@pytest.fixture(scope="module")
def landscape_result(small_warehouse):
    con = connect(small_warehouse.warehouse)
    try:
        return A.compute_landscape(con, progress=False)
    finally:
        con.close()


@pytest.fixture(scope="module")
def truth(small_warehouse):
    return Path(small_warehouse.warehouse).parent / "extract" / "_truth"


def test_every_published_count_is_hidden_zero_or_at_least_ten(landscape_result):
    published = protect_landscape(landscape_result)
    assert published.tables.keys() >= {"indicators", "law_combinations", "respite_by_region", "end_of_life"}
    checked = 0
    for name, df in published.tables.items():
        for col in [c for c in df.columns if c.endswith("_status")]:
            value = col[: -len("_status")]
            if value not in ("n_persons", "n_using", "numerator", "denominator"):
                continue
            shown = df[col].isin(["shown", "zero"])
            v = pd.to_numeric(df.loc[shown, value])
            assert ((v == 0) | (v >= 10)).all(), (name, value)
            assert df.loc[~shown, value].isna().all(), (name, value)
            checked += len(df)
    assert checked > 500
    # a hidden count hides what derives from it
    ind = published.tables["indicators"]
    hidden = ind["numerator_status"] == "primary"
    assert hidden.any() and ind.loc[hidden, "value"].isna().all()
    # the funnel flag is shown only beside a shown count of users
    reg = published.tables["respite_by_region"]
    assert reg.loc[~reg["n_using_status"].isin(["shown", "zero"]), "flag"].isna().all()


def test_pgb_share_recovers_the_planted_person_level_choice(landscape_result):
    planted = {"jeugdwet": P.PGB_SHARE["jeugdwet"], "wmo": P.PGB_SHARE["wmo"], "zvw_home": P.PGB_SHARE["zvw"],
               "wlz": P.WLZ_LEVERINGSVORM["pgb"]}
    pgb = landscape_result.tables["pgb_share"]
    for row in pgb[pgb["n_persons"] >= 30].itertuples(index=False):
        p = planted[row.domain]
        se = np.sqrt(p * (1 - p) / row.n_persons)
        assert abs(row.share - p) <= 4 * se, (row.jaar, row.domain, row.share, p)
    # per person (the choice is the person's, so a person-year sample is clustered): among the
    # persons who ever used the domain, the share who ever had it as a pgb. Not for the Wlz: the
    # generator draws the leveringsvorm per indication, so a person with two indications is a pgb
    # user more often than 30 % (per year, above, one indication is the rule)
    py = A.person_years(landscape_result.cohort)
    for domain, (users, pgb_col) in A.PGB_DOMAINS.items():
        if domain == "wlz":
            continue
        ever = py.groupby("persoon_id")[[users, pgb_col]].max()
        ever = ever[ever[users] == 1]
        p = planted[domain]
        se = np.sqrt(p * (1 - p) / len(ever))
        assert len(ever) >= 100 and abs(ever[pgb_col].mean() - p) <= 4 * se, (domain, ever[pgb_col].mean(), p)

def test_late_jeugdwet_renewals_recover_the_planted_share(landscape_result):
    # the generator starts a child's Jeugdwet year late in LATE_RENEWAL (20 %) of active years, by
    # 30-120 days (uniform); a whole January without care needs at least 31 days: 90 of 91 gaps
    planted = P.LATE_RENEWAL * 90 / 91
    rn = landscape_result.tables["renewals"]
    jw = rn[(rn["law"] == "jeugdwet") & (rn["age_band"] == "0-17")]
    n, x = jw["n_persons"].sum(), jw["n_using"].sum()
    assert n >= 300
    assert abs(x / n - planted) <= 4 * np.sqrt(planted * (1 - planted) / n), (x / n, planted)


def test_decedents_are_planted_llc_deaths(landscape_result, truth):
    persons = pd.read_csv(truth / "persons.csv", dtype=str)
    deaths = persons[(persons["llc"] == "1") & persons["death"].notna()].set_index("persoon_id")["death"]
    dec = landscape_result.cohort.decedents
    assert len(dec) > 20
    assert dec["persoon_id"].isin(deaths.index).all()
    assert (pd.to_datetime(dec["death_date"]).dt.strftime("%Y-%m-%d").to_numpy()
            == deaths.loc[dec["persoon_id"]].to_numpy()).all()
    # end-of-life rows exist only for decedents, and only in the run's windows
    eol = landscape_result.cohort.end_of_life
    assert set(eol["persoon_id"]) <= set(dec["persoon_id"])
    assert set(eol["window_days"]) == {30, 90}


def test_prevalence_indicators_equal_the_prevalence_counts(landscape_result, prevalence_result):
    ind = landscape_result.tables["indicators"].set_index(["jaar", "indicator"])
    by_year = prevalence_result.tables["prevalence_by_year"].set_index(["jaar", "measure"])
    for (jaar, measure), row in by_year.iterrows():
        name = {"llc": "llc_0_19", "palliative_need": "palliative_need_0_19"}.get(measure)
        if name is None or (jaar, name) not in ind.index:
            continue
        assert ind.loc[(jaar, name), "numerator"] == row["n_cases"], (jaar, measure)
        assert ind.loc[(jaar, name), "denominator"] == row["population"], (jaar, measure)
        assert ind.loc[(jaar, name), "value"] == pytest.approx(row["rate_per_10000"], rel=1e-9)


def test_versioned_indicator_list_matches_the_table(landscape_result):
    definition = A.load_indicators()
    assert len(definition) == 10 and definition["indicator"].is_unique
    assert set(landscape_result.tables["indicators"]["indicator"]) == set(definition["indicator"])
    for col in ("numerator", "denominator", "unit", "definition", "source"):
        assert definition[col].str.len().gt(1).all(), col


def test_cli_writes_every_table_with_provenance_and_refuses_bad_parameters(small_warehouse, tmp_path):
    runner = CliRunner()
    out = tmp_path / "land"
    res = runner.invoke(app, ["landscape", str(small_warehouse.warehouse), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "tables written" in res.output and "llc_0_19" in res.output
    names = {p.name for p in out.iterdir()}
    assert {"landscape_indicators.csv", "landscape_pgb_share.csv", "landscape_respite_by_region.csv",
            "landscape_end_of_life.csv", "landscape_metadata.json"} <= names
    meta = json.loads((out / "landscape_metadata.json").read_text())
    assert meta["extract_id"] and meta["parameters"]["windows"] == [30, 90]
    assert "landscape_measures_v1.csv" in meta["definitions"]
    for args, match in ((["--years", "2001-2003"], "outside the extract period"),
                        (["--windows", "30,x"], "--windows"), (["--reference-year", "2040"], "reference_year")):
        res = runner.invoke(app, ["landscape", str(small_warehouse.warehouse), "--out", str(out), *args])
        assert res.exit_code == 2 and match in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1


def test_export_writes_the_indicator_set_and_survives_its_own_attack(landscape_result, small_warehouse, tmp_path):
    from kpz_analytics.reporting import exports
    from kpz_analytics.warehouse.connect import extract_meta

    con = connect(small_warehouse.warehouse)
    try:
        meta = extract_meta(con)
    finally:
        con.close()
    published = protect_landscape(landscape_result)
    res = exports.write_export({"landscape": published}, meta, {"landscape": {"windows": [30, 90]}}, tmp_path / "x")
    ind = pd.read_csv(tmp_path / "x" / "landscape" / "indicators.csv")
    assert {"numerator_status", "value_status"} <= set(ind.columns)
    assert set(ind["indicator"]) == set(A.load_indicators()["indicator"])
    assert len(res.attack) and res.attack["protected"].all()


def test_respite_by_region_covers_the_realised_rates_and_flags_nothing(landscape_result, truth):
    # the default extract plants no regional difference in respite (_truth/respite_by_region.csv:
    # LLC person-years and those with a Jeugdwet/Wmo kortdurend verblijf line, per region and band)
    reg = landscape_result.tables["respite_by_region"]
    year = int(reg["jaar"].iloc[0])
    t = pd.read_csv(truth / "respite_by_region.csv")
    assert (t["n_respite"] == t["n_respite_default"]).all() and (t["white_spot"] == 0).all()
    m = reg.merge(t[t["jaar"] == year], on=["age_band", "nik_region"], validate="one_to_one")
    assert len(m) == 12
    realised = 1000 * m["n_respite"] / m["n_llc"]
    assert ((m["ci_low"] <= realised) & (realised <= m["ci_high"])).all()
    assert (m["flag"] == "within").all()


EOL_COLUMNS = [*A.EOL_MEASURES, "admissions_volume", "intensive_care_volume", "emergency_volume",
               "high_intensity", "hospital_death_month"]


def test_end_of_life_equals_the_planted_care_of_the_decedents(landscape_result, truth):
    # _truth/end_of_life.csv: per LLC decedent x window the care the generator gave in the months
    # touching the window (synthetic/eol_truth.py), from its own lines, never through the pipeline
    t = pd.read_csv(truth / "end_of_life.csv", dtype={"persoon_id": str})
    flags = A.decedent_flags(landscape_result.cohort)
    assert len(flags) > 40
    m = flags.merge(t, on=["persoon_id", "window_days"], how="left", suffixes=("", "_truth"),
                    validate="one_to_one", indicator=True)
    assert (m["_merge"] == "both").all()  # every decedent found is a planted LLC decedent
    assert (m["death_date"].astype(str).str[:10] == m["death_date_truth"]).all()
    for c in EOL_COLUMNS:
        assert (m[c].astype(float) == m[f"{c}_truth"].astype(float)).all(), c
    # so the published table equals the table of the truth's values for the same decedents
    planted = m[[c for c in flags.columns if c not in EOL_COLUMNS]].assign(
        **{c: m[f"{c}_truth"].to_numpy() for c in EOL_COLUMNS})
    pd.testing.assert_frame_equal(A.end_of_life_table(planted, 0.05), landscape_result.tables["end_of_life"],
                                  check_dtype=False)
    assert 0 < m["high_intensity"].sum() < len(m)
