"""The synthetic extract generator: determinism, manifest, planted truth, faults, realism.

Checks read the written files with pandas (independently of ingest) and compare them with
``_truth/``; the integration test through ingest is in ``test_quarantine.py``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.extract import spec
from kpz_analytics.errors import KpzError
from kpz_analytics.refdata import load_codelist, load_reference
from kpz_analytics.synthetic import write_extract

YEARS = (2021, 2024)


def _read(ext, table):
    return pd.read_csv(ext / f"{table}.csv", sep=";", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def pop_extract(tmp_path_factory):
    """A small population-design extract covering 2023+ (palliative source present)."""
    out = tmp_path_factory.mktemp("synth") / "pop"
    manifest = write_extract(out, seed=11, design="population", fmt="csv", scale=0.003,
                             years=YEARS, faults=False, progress=False)
    return out, manifest


def _net(df):
    """Net lines: drop credit lines, the lines they cancel, and exact duplicates."""
    credits = df["credit_voor_id"] != ""
    cancelled = set(df.loc[credits, "credit_voor_id"])
    net = df[~credits & ~df["declaratie_id"].isin(cancelled)]
    return net.drop_duplicates()


def _years_overlapped(df, start="begindatum", end="einddatum"):
    b = pd.to_datetime(df[start]).dt.year
    e = pd.to_datetime(df[end].replace("", f"{YEARS[1]}-12-31")).dt.year.clip(upper=YEARS[1])
    b = b.clip(lower=YEARS[0])
    rows = [(p, y) for p, lo, hi in zip(df["persoon_id"], b, e) for y in range(lo, hi + 1)]
    return set(rows)


def _truth_captures(ext, source):
    py = pd.read_csv(ext / "_truth" / "person_year.csv", dtype={"persoon_id": str})
    hit = py[(py["alive_insured"] == 1) & (py[f"captured_{source}"] == 1)]
    return set(zip(hit["persoon_id"], hit["jaar"]))


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    kw = dict(design="cohort_sample", fmt="csv", scale=0.002, years=(2019, 2021), faults=True, progress=False)
    a = write_extract(tmp_path / "a", seed=5, **kw)
    b = write_extract(tmp_path / "b", seed=5, **kw)
    c = write_extract(tmp_path / "c", seed=6, **kw)
    assert a == b
    for name in ("persons.csv", "person_year.csv", "faults.csv", "by_year_age.csv", "transition_persons.csv",
                 "transition_curves.csv", "truth.json"):
        assert (tmp_path / "a" / "_truth" / name).read_bytes() == (tmp_path / "b" / "_truth" / name).read_bytes()
    differing = [t for t in a["files"] if a["files"][t]["sha256"] != c["files"][t]["sha256"]]
    assert set(differing) >= {"personen", "dot", "zvw_overig", "jeugdwet", "populatie"}
    assert a["extract_id"] == "synthetic-seed5-cohort_sample-s0.002"


def test_manifest_rows_and_checksums_match_files(pop_extract):
    ext, manifest = pop_extract
    on_disk = json.loads((ext / "manifest.json").read_text())
    assert on_disk == manifest
    assert set(manifest) >= set(spec.MANIFEST_FIELDS) | {"sample_fraction"}
    assert manifest["period_start"] == "2021-01-01" and manifest["period_end"] == "2024-12-31"
    assert set(manifest["files"]) == set(spec.TABLE_ORDER)
    for table, entry in manifest["files"].items():
        data = (ext / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        lines = data.decode("utf-8").split("\n")
        assert lines[0] == ";".join(spec.TABLES[table].column_names)
        assert lines[-1] == "" and len(lines) - 2 == entry["rows"] > 0
    assert "_truth" not in json.dumps(manifest)


def test_text_format_follows_the_spec(pop_extract):
    ext, _ = pop_extract
    dot = _read(ext, "dot")
    assert dot["begindatum"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert dot["bedrag"].str.fullmatch(r"-?\d+\.\d{2}").all()
    assert not (ext / "dot.csv").read_text().count('"')
    personen = _read(ext, "personen")
    assert personen["geboortemaand"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert personen["persoon_id"].is_unique
    # credits are negative and name a line of the same person in the same file
    credits = dot[dot["credit_voor_id"] != ""]
    assert len(credits) > 0 and credits["bedrag"].str.startswith("-").all()
    target = dot.drop_duplicates("declaratie_id").set_index("declaratie_id")["persoon_id"]
    assert (target.loc[credits["credit_voor_id"]].to_numpy() == credits["persoon_id"].to_numpy()).all()
    # exact duplicates and late lines (overlapping the period start or end only partly) exist
    assert dot.duplicated().sum() > 0
    zvw = _read(ext, "zvw_overig")
    for df in (dot, zvw):
        assert ((df["einddatum"] > "2024-12-31") & (df["begindatum"] <= "2024-12-31")).any()
        assert not (df["begindatum"] > "2024-12-31").any() and not (df["einddatum"] < "2021-01-01").any()
    assert ((dot["begindatum"] < "2021-01-01") & (dot["einddatum"] >= "2021-01-01")).any()


def test_llc_codes_only_for_planted_llc_persons_and_captures_match_claims(pop_extract):
    ext, _ = pop_extract
    persons = pd.read_csv(ext / "_truth" / "persons.csv", dtype=str, keep_default_na=False)
    llc_persons = set(persons.loc[persons["llc"] == "1", "persoon_id"])
    prefixes = tuple(load_codelist("llc_fraser_v1")["code_norm"])
    dot = _net(_read(ext, "dot"))
    code = dot["icd10"].str.replace(".", "", regex=False).str.upper()
    llc_lines = dot[code.str.startswith(prefixes) & (code != "")]
    assert len(llc_lines) > 0 and set(llc_lines["persoon_id"]) <= llc_persons
    # the LLC code is one of the person's own diagnostic group
    cl = load_codelist("llc_fraser_v1")
    group_of = persons.set_index("persoon_id")["diagnostic_group"]
    for pid, c in zip(llc_lines["persoon_id"], code[llc_lines.index]):
        groups = set(cl.loc[[c.startswith(p) for p in cl["code_norm"]], "diagnostic_group"])
        assert group_of[pid] in groups
    assert _truth_captures(ext, "hospital_llc_code")
    assert _years_overlapped(llc_lines) == _truth_captures(ext, "hospital_llc_code")

    acts = _read(ext, "dot_zorgactiviteiten")
    ref = load_reference("zorgactiviteiten")
    pall_codes = set(ref.loc[ref["category"] == "palliative_care", "zorgactiviteit_code"])
    pall = acts[acts["zorgactiviteit_code"].isin(pall_codes)].merge(
        dot[["declaratie_id", "persoon_id"]].drop_duplicates(), on="declaratie_id")
    got = set(zip(pall["persoon_id"], pd.to_datetime(pall["datum"]).dt.year))
    assert got and got == _truth_captures(ext, "palliative_activity")
    assert min(y for _, y in got) >= 2023

    zvw = _net(_read(ext, "zvw_overig"))
    ikz = zvw[zvw["zorgsoort"].isin(["intensieve_kindzorg", "medisch_kindzorgverblijf"])]
    assert _truth_captures(ext, "ikz_mkv")
    assert _years_overlapped(ikz) == _truth_captures(ext, "ikz_mkv")

    ind = _read(ext, "wlz_indicaties")
    prof = load_reference("wlz_zorgprofielen")
    severe = set(prof.loc[prof["severe_multiple_disability"] == "1", "zorgprofiel"])
    sev = ind[ind["zorgprofiel"].isin(severe)]
    assert _truth_captures(ext, "wlz_severe")
    assert _years_overlapped(sev) == _truth_captures(ext, "wlz_severe")
    assert set(ind.loc[~ind["zorgprofiel"].isin(severe), "grondslag"]) <= set(spec.GRONDSLAGEN)


def test_truth_deaths_and_population_match_the_extract(pop_extract):
    ext, _ = pop_extract
    personen = _read(ext, "personen")
    persons = pd.read_csv(ext / "_truth" / "persons.csv", dtype=str, keep_default_na=False)
    died = personen.set_index("persoon_id")["overlijdensdatum"]
    truth_death = persons.set_index("persoon_id")["death"]
    assert (died.loc[truth_death.index] == truth_death).all()
    assert (died != "").sum() == (truth_death != "").sum() > 0
    # deaths aged 0-25 by year of death equal the truth table (population design: everyone)
    bm = pd.to_datetime(personen["geboortemaand"] + "-15")
    dd = pd.to_datetime(personen["overlijdensdatum"].replace("", None))
    age = dd.dt.year - bm.dt.year - ((dd.dt.month * 100 + dd.dt.day) < (bm.dt.month * 100 + 15))
    got = dd[dd.notna() & (age <= 25)].dt.year.value_counts().sort_index()
    by_age = pd.read_csv(ext / "_truth" / "by_year_age.csv")
    want = by_age.groupby("jaar")["deaths_all"].sum()
    assert got.reindex(want.index, fill_value=0).tolist() == want.tolist()
    # populatie = persons insured on 1 July by age (15th-of-month rule) in the population design
    periods = _read(ext, "verzekeringsperioden").merge(personen, on="persoon_id")
    pop = _read(ext, "populatie")
    pop["aantal"] = pop["aantal"].astype(int)
    for year in YEARS:
        j = pd.Timestamp(f"{year}-07-01")
        b = pd.to_datetime(periods["begindatum"])
        e = pd.to_datetime(periods["einddatum"].replace("", "2100-01-01"))
        insured = periods[(b <= j) & (e >= j)]
        bmm = pd.to_datetime(insured["geboortemaand"] + "-01")
        a = (year - bmm.dt.year - (bmm.dt.month >= 7)).clip(lower=0)
        counts = a[a <= 25].value_counts().sort_index()
        want = pop[pop["jaar"] == str(year)].groupby(pop["leeftijd"].astype(int))["aantal"].sum()
        assert counts.reindex(want.index, fill_value=0).tolist() == want.tolist()
    assert len(pop) == 4 * 26 * 3 * 12


def test_transition_rules_at_18_and_23(pop_extract):
    ext, _ = pop_extract
    personen = _read(ext, "personen").set_index("persoon_id")
    b15 = pd.to_datetime(personen["geboortemaand"] + "-15")

    def age_at(df, col):
        born = b15.loc[df["persoon_id"]].to_numpy()
        d = pd.to_datetime(df[col]).to_numpy()
        years = (d - born) / np.timedelta64(1, "D") / 365.2425
        return years

    dot = _read(ext, "dot")
    paed = dot[dot["specialisme"] == "0316"]
    assert len(paed) > 0 and (age_at(paed, "begindatum") < 18.0).all()
    zvw = _read(ext, "zvw_overig")
    ikz = zvw[zvw["zorgsoort"] == "intensieve_kindzorg"]
    assert len(ikz) > 0 and (age_at(ikz, "einddatum") < 18.0).all()
    jw = _read(ext, "jeugdwet")
    assert (age_at(jw, "begindatum") < 23.0).all()
    assert (age_at(jw, "begindatum") >= 18.0).any()  # extensions exist
    truth = json.loads((ext / "_truth" / "truth.json").read_text())
    gap = truth["gap_after_18"]["llc"]
    assert gap["supported_before"] >= gap["with_gap"] >= 0


def test_faults_are_listed_rows_with_the_listed_problem(tmp_path):
    manifest = write_extract(tmp_path / "f", seed=3, design="population", scale=0.002,
                             years=(2019, 2021), faults=True, progress=False)
    ext = tmp_path / "f"
    faults = pd.read_csv(ext / "_truth" / "faults.csv", dtype=str, keep_default_na=False)
    assert set(faults["reason"]) == set(spec.QUARANTINE_REASONS)
    for table, group in faults.groupby("file"):
        df = _read(ext, table)
        rows = manifest["files"][table]["rows"]
        assert len(group) <= 0.05 * rows
        for f in group.itertuples():
            row = df.iloc[int(f.row_number) - 1]
            value = row[f.column_name]
            if f.reason == "missing":
                assert value == ""
            elif f.reason == "date":
                assert pd.to_datetime(value, errors="coerce", format="%Y-%m-%d" if len(value) == 10 else "%Y-%m") is pd.NaT
            elif f.reason == "period_order":
                assert row["einddatum"] < row["begindatum"]
            elif f.reason == "unknown_person":
                assert value not in set(_read(ext, "personen")["persoon_id"])
            elif f.reason == "negative":
                assert value.startswith("-") and row["credit_voor_id"] == ""
            elif f.reason == "number":
                assert pd.to_numeric(value, errors="coerce") != pd.to_numeric(value, errors="coerce")
            elif f.reason == "out_of_period":
                assert row["begindatum"] > "2021-12-31"
            elif f.reason == "orphan_credit":
                assert value not in set(df["declaratie_id"])
            elif f.reason == "conflict":
                assert (df[f.column_name] == value).sum() == 2
            elif f.reason == "enum":
                col = spec.TABLES[table].column(f.column_name)
                assert (col.allowed and value not in col.allowed) or col.pattern


def test_cohort_sample_realism_at_moderate_scale(tmp_path):
    """National-equivalent figures (truth / scale) fall in the primer's ranges."""
    scale = 0.2  # demography for 1.5 million persons; care only for the ~80,000 written
    manifest = write_extract(tmp_path / "c", seed=42, design="cohort_sample", scale=scale,
                             years=(2020, 2022), progress=False)
    ext = tmp_path / "c"
    assert manifest["sample_fraction"] == 0.05 and manifest["design"] == "cohort_sample"
    truth = pd.DataFrame(json.loads((ext / "_truth" / "truth.json").read_text())["per_year_0_19"]).T
    pop = _read(ext, "populatie")
    pop = pop[pop["leeftijd"].astype(int) <= 19]
    n019 = pop.groupby("jaar")["aantal"].apply(lambda a: a.astype(int).sum())
    assert ((3.6e6 < n019 / scale) & (n019 / scale < 4.0e6)).all()
    # three-year means (Poisson noise of a single year at this scale is about 7 %)
    mean = truth.mean()
    assert 45 < (truth["llc_alive_insured"] / n019 * 10_000).mean() < 75
    assert (truth["llc_alive_insured"].diff().dropna() > -0.03 * mean["llc_alive_insured"]).all()
    assert 5_000 < mean["need_palliative_care"] / scale < 7_000
    assert 900 < mean["deaths_all"] / scale < 1_250
    assert 0.4 < mean["deaths_under1"] / mean["deaths_all"] < 0.6
    assert 0.35 < mean["deaths_llc"] / mean["deaths_all"] < 0.75
    persons = pd.read_csv(ext / "_truth" / "persons.csv", dtype=str, keep_default_na=False)
    shares = persons.loc[persons["llc"] == "1", "diagnostic_group"].value_counts(normalize=True)
    assert 0.24 < shares["congenital"] < 0.40 and 0.08 < shares["oncology"] < 0.20
    # the selection: everyone not in the random sample is seen by a source
    personen = _read(ext, "personen")
    py = pd.read_csv(ext / "_truth" / "person_year.csv", dtype={"persoon_id": str})
    seen = set(py.loc[py.filter(like="captured_").fillna(0).sum(axis=1) > 0, "persoon_id"])
    not_sampled = personen.loc[personen["in_steekproef"] == "0", "persoon_id"]
    assert not_sampled.isin(seen).all()
    sample = personen["in_steekproef"] == "1"
    n_all = pop.loc[pop["jaar"] == "2021", "aantal"].astype(int).sum()
    assert 0.03 < sample.sum() / (n_all / 20 * 26) < 0.08  # about 5 % of everyone (0-25 ever)


@pytest.mark.parametrize("kwargs, message", [
    (dict(design="everyone"), "unknown design"),
    (dict(fmt="xlsx"), "unknown format"),
    (dict(scale=0.0), "scale must be > 0"),
    (dict(scale=-1.0), "scale must be > 0"),
])
def test_bad_options_raise_kpz_error(tmp_path, kwargs, message):
    opts = dict(seed=1, design="population", fmt="csv", scale=0.001, years=(2020, 2020), faults=False)
    opts.update(kwargs)
    with pytest.raises(KpzError, match=message):
        write_extract(tmp_path / "x", **opts)


def test_parquet_holds_the_same_rows(tmp_path):
    kw = dict(seed=2, design="population", scale=0.001, years=(2020, 2021), progress=False)
    m_csv = write_extract(tmp_path / "c", fmt="csv", **kw)
    m_pq = write_extract(tmp_path / "p", fmt="parquet", **kw)
    for t in ("personen", "dot", "wmo"):
        a = _read(tmp_path / "c", t)
        b = pd.read_parquet(tmp_path / "p" / f"{t}.parquet").fillna("")
        assert m_csv["files"][t]["rows"] == m_pq["files"][t]["rows"] == len(b)
        pd.testing.assert_frame_equal(a, b.astype(str))


def test_population_design_passes_ingest_without_quarantine(tmp_path):
    """Integration: a clean population extract loads with zero quarantined rows, and the
    warehouse's net hospital LLC lines are exactly the planted hospital captures."""
    duckdb = pytest.importorskip("duckdb")
    from kpz_analytics.warehouse.ingest import ingest

    ext = tmp_path / "p"
    write_extract(ext, seed=4, design="population", scale=0.002, years=(2022, 2023), progress=False)
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False)
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from quarantine").fetchone()[0] == 0
        assert con.execute("select count(*) from core_personen").fetchone()[0] == len(_read(ext, "personen"))
        got = {r[0] for r in con.execute(
            "select distinct d.persoon_id from mart_diagnosis as d join ref_llc_fraser as r "
            "on starts_with(d.icd10_norm, r.code_norm)").fetchall()}
    finally:
        con.close()
    assert got and got == {p for p, _ in _truth_captures(ext, "hospital_llc_code")}


# --------------------------------------------------------------------------- capture scenarios
def _is_pairwise_loglinear(patterns, prob):
    """Deviance and N_hat / N of the all-two-way log-linear model fitted to exact probabilities
    (as counts out of N = 10^6), and the unseen share."""
    import warnings

    from kpz_analytics.methods.capture_recapture import estimate

    from kpz_analytics.synthetic.conditions import SOURCES
    cols = [s for j, s in enumerate(SOURCES) if patterns[:, j].any()]
    df = pd.DataFrame(patterns, columns=SOURCES)[cols].assign(n=prob * 1e6)
    df = df.groupby(cols, as_index=False)["n"].sum()
    df = df[df[cols].sum(axis=1) > 0].assign(n=lambda d: d["n"].round())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = estimate(df, criterion="aic")
        models = res.models
        top = models.loc[models["n_params"].idxmax(), "model"]
        fit = estimate(df, model=top)
    dev = float(fit.models.loc[fit.models["selected"], "deviance"].iloc[0])
    p0 = float(prob[patterns.sum(axis=1) == 0].sum())
    return dev, fit.n_estimated / 1e6, p0


def test_base_sources_do_not_depend_on_the_2023_source():
    from kpz_analytics.synthetic.conditions import SOURCES, pattern_probabilities

    for under18 in (True, False):
        pre, p_pre = pattern_probabilities(False, under18)
        post, p_post = pattern_probabilities(True, under18)
        for j, s in enumerate(SOURCES):
            if s == "palliative_activity":
                continue
            assert p_pre[pre[:, j] == 1].sum() == pytest.approx(p_post[post[:, j] == 1].sum(), abs=1e-12)
        # the joint 4-source (3-source from 18) distribution stays pairwise log-linear:
        # the all-two-way model recovers N exactly (deviance 0 up to rounding)
        dev, n_hat, _ = _is_pairwise_loglinear(post, p_post)
        assert dev < 0.5 and n_hat == pytest.approx(1.0, abs=1e-4)  # counts rounded at 10^6


def test_heterogeneous_scenario_is_not_pairwise_loglinear():
    from kpz_analytics.synthetic import parameters as SP
    from kpz_analytics.synthetic.conditions import pattern_probabilities

    share = SP.HETEROGENEITY["share"]
    for post in (False, True):
        p0, q0 = pattern_probabilities(post, True, "heterogeneous", 0)
        p1, q1 = pattern_probabilities(post, True, "heterogeneous", 1)
        assert (p0 == p1).all()
        assert q1[p1.sum(axis=1) == 0].sum() < q0[p0.sum(axis=1) == 0].sum()  # class 1 is seen more
        dev, n_hat, _ = _is_pairwise_loglinear(p0, (1 - share) * q0 + share * q1)
        # four sources: the all-two-way model no longer fits (with three it is saturated)
        assert dev > 10 or not post
        assert n_hat < 0.95  # heterogeneity: capture-recapture underestimates N


def test_time_varying_scenario_drifts_one_source():
    from kpz_analytics.synthetic.conditions import SOURCES, pattern_probabilities

    j = SOURCES.index("hospital_llc_code")
    caps = [pattern_probabilities(False, True, "time_varying", 0, y) for y in (2019, 2021, 2024)]
    hosp = [q[p[:, j] == 1].sum() for p, q in caps]
    assert hosp[0] < hosp[1] < hosp[2]
    # the other sources' main effects do not drift; their marginal capture moves only through
    # their interactions with the drifting source (here via IKZ/MKV)
    w = SOURCES.index("wlz_severe")
    wlz = [q[p[:, w] == 1].sum() for p, q in caps]
    assert abs(wlz[2] - wlz[0]) < 0.05 * (hosp[2] - hosp[0])


def test_capture_scenario_option(tmp_path):
    kw = dict(seed=3, design="population", scale=0.002, years=(2022, 2024), progress=False)
    m = write_extract(tmp_path / "h", capture_scenario="heterogeneous", **kw)
    assert m["extract_id"].endswith("-heterogeneous")
    truth = json.loads((tmp_path / "h" / "_truth" / "truth.json").read_text())
    assert truth["capture_model"]["scenario"] == "heterogeneous"
    py = pd.read_csv(tmp_path / "h" / "_truth" / "person_year.csv", dtype={"persoon_id": str})
    # basis columns: on 1 July implies counted in the year; no palliative capture before 2023
    assert (py.loc[py["alive_insured_1july"] == 1, "alive_insured"] == 1).all()
    assert (py.loc[py["jaar"] < 2023, "captured_palliative_activity"].fillna(0) == 0).all()
    assert (py.loc[py["under18_in_year"] == 0, "captured_ikz_mkv"].fillna(0) == 0).all()
    with pytest.raises(KpzError, match="unknown capture scenario"):
        write_extract(tmp_path / "x", capture_scenario="wobbly", **kw)
