"""Prevalence of life-limiting conditions (LLC) and of need for palliative care, per year.

Two numbers that are often confused (``shared/domain-primer.md``), each with its own versioned
definition (``cohorts/cases.py``, ``docs/prevalence.md``):

* ``measure = "llc"`` — children alive and insured in year Y, aged ``age_min``–``age_max`` on
  1 July, seen by a case-finding source in Y or the ``lookback`` preceding years;
* ``measure = "palliative_need"`` — LLC cases with a marker of an unstable, deteriorating or
  dying phase in Y itself (``codelists/palliative_need_v1.csv``).

Counts come from the full case selection of the extract (for a ``cohort_sample`` extract every
person seen by a selection source is delivered, so counts are national); denominators come from
``mart_denominator`` (``populatie``: persons insured on 1 July), never from counting persons.
The random comparison sample (``in_steekproef``) is not used for counting; ``design_check``
uses it to check that the extract and its denominators agree.

:func:`compute_prevalence` returns every result table; :func:`run_prevalence` writes them as
CSV (``kpz prevalence WAREHOUSE --out DIR``).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from .. import __version__
from ..cohorts import cases as C
from ..errors import KpzError, ParameterError
from ..methods import rates
from ..refdata import index as codelist_index
from ..refdata import standard_population
from ..warehouse.connect import connect, design_weight_sql, extract_meta

log = logging.getLogger(__name__)

MEASURES = ("llc", "palliative_need")
#: Age groups of the result tables (the ``mart_denominator`` labels).
AGE_GROUPS = ("<1", "1-4", "5-9", "10-14", "15-19", "20-24", "25+")
#: Lookbacks reported as alternatives to the chosen one.
DEFAULT_LOOKBACKS = (0, 1, 2, 3, 5)
#: Capture–recapture strata: intensieve kindzorg/MKV is structurally absent from the 18th
#: birthday, so children who are under 18 on some day of the year (alive and insured) are
#: estimated apart from those who are 18 or older all year. Name -> mask on the case table.
CR_STRATA = (
    ("under18", lambda d: d["under18_in_year"].astype(bool)),
    ("18plus", lambda d: ~d["under18_in_year"].astype(bool)),
)
#: Age groups (age on 1 July) for capture–recapture by age; 15-19 is split by the same rule.
CR_AGE_GROUPS = (
    ("<1", lambda d: d["leeftijd"] == 0),
    ("1-4", lambda d: d["leeftijd"].between(1, 4)),
    ("5-9", lambda d: d["leeftijd"].between(5, 9)),
    ("10-14", lambda d: d["leeftijd"].between(10, 14)),
    ("15-19 under18", lambda d: d["leeftijd"].between(15, 19) & d["under18_in_year"].astype(bool)),
    ("15-19 18plus", lambda d: d["leeftijd"].between(15, 19) & ~d["under18_in_year"].astype(bool)),
    ("20+", lambda d: d["leeftijd"] >= 20),
)
DIAGNOSTIC_GROUPS = ("congenital", "oncology", "neurology", "haematology", "respiratory",
                     "perinatal", "genitourinary", "metabolic", "circulatory",
                     "gastrointestinal", "other")
NO_CODE_GROUP = "no_llc_code"
STRATA = {
    "age_group": "age_group",
    "sex": "geslacht",
    "province": "provincie_code",
    "nik_region": "nik_region",
}


@dataclass
class PrevalenceResult:
    """All result tables of one prevalence run.

    Attributes
    ----------
    tables : name → DataFrame (``prevalence_by_year``, ``prevalence_by_age_group``, …); each
        written as ``<name>.csv``.
    headline : the headline figures (year, n_estimated, ci, n_observed, need…) and sentences.
    metadata : run parameters, extract id and checksum, code-list versions, package version.
    case_table : the person-year case table the counts come from (not written).
    warnings : messages about estimates that could not be made or were adjusted.
    """

    tables: dict[str, pd.DataFrame]
    headline: dict
    metadata: dict
    case_table: C.CaseTable
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- denominators
def denominators(con: duckdb.DuckDBPyConnection, params: C.CaseParams, by=()) -> pd.DataFrame:
    """Population insured on 1 July (``mart_denominator``) per year and ``by`` columns.

    Only ages ``age_min``–``age_max`` and years of ``params.years``.
    """
    cols = ", ".join(["jaar", *by])
    first, last = params.years
    return con.execute(f"""
        select {cols}, sum(aantal)::bigint as population
        from mart_denominator
        where jaar between {first} and {last} and leeftijd between {params.age_min} and {params.age_max}
        group by {cols} order by {cols}
    """).df()


def _counts(frames: dict[str, pd.DataFrame], by: list[str]) -> pd.DataFrame:
    parts = []
    for measure, df in frames.items():
        g = df.groupby(["jaar", *by], dropna=False).size().rename("n_cases").reset_index()
        g.insert(1, "measure", measure)
        parts.append(g)
    return pd.concat(parts, ignore_index=True)


def _rate_table(frames, denom: pd.DataFrame, by: list[str], alpha: float) -> pd.DataFrame:
    """Counts joined onto the denominator grid (zero counts kept) with exact Poisson rates."""
    grid = pd.concat([denom.assign(measure=m) for m in frames], ignore_index=True)
    counts = _counts(frames, by)
    df = grid.merge(counts, on=["jaar", "measure", *by], how="outer")
    df["n_cases"] = df["n_cases"].fillna(0).astype(int)
    # Cases in a stratum the denominators do not have mean numerator and denominator were
    # classified differently (e.g. region by municipality vs by province): say so loudly.
    orphans = df[(df["n_cases"] > 0) & ~(df["population"] > 0)]
    if not orphans.empty:
        where = ", ".join(sorted({" / ".join(str(r[c]) for c in ["jaar", *by]) for _, r in orphans.iterrows()})[:5])
        warnings.warn(f"{int(orphans['n_cases'].sum())} cases fall in strata without population "
                      f"({where}); their rates are missing", rates.RateWarning, stacklevel=2)
    df = rates.add_rates(df, alpha=alpha)
    order = ["jaar", "measure", *by, "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"]
    rank = {g: i for i, g in enumerate(AGE_GROUPS)}
    return df[order].sort_values(
        ["measure", "jaar", *by], key=lambda s: s.map(rank) if s.name == "age_group" else s
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- capture–recapture
def capture_recapture_by_year(table: C.CaseTable, strata=CR_STRATA, criterion: str = "full",
                              alpha: float = 0.05, label: str = "stratum",
                              progress: bool = True):
    """Capture–recapture estimate of all children with an LLC, per year, summed over age strata.

    Membership is per calendar year without lookback: a child is in source *s* in year Y when
    *s* sees them in Y (``src_<s>``), among the selected sources. Within each year the 2^k table
    is built per stratum (default: under 18 on some day of the year vs 18 or older all year,
    because ``ikz_mkv`` cannot see anyone from the 18th birthday;
    a source that sees nobody in a stratum, such as ``palliative_activity`` before 2023, is left
    out by :func:`capture_recapture.estimate` with a warning) and the stratum estimates are summed:

    .. math:: \\hat N_Y = \\sum_s \\hat N_{Y,s}, \\qquad
              [L_Y, U_Y] = \\Big[\\sum_s L_{Y,s},\\ \\sum_s U_{Y,s}\\Big]

    Summing profile-likelihood bounds is conservative: with independent strata and roughly normal
    estimates the half-width of the sum is :math:`z\\sqrt{\\sum \\sigma_s^2} \\le z \\sum \\sigma_s`,
    so the summed interval is at least as wide as a properly combined one (its coverage is
    measured in ``make validate``).

    Returns
    -------
    (totals, per_stratum, models) : DataFrames. ``totals``: ``jaar, age_range, n_observed,
    n_unseen, n_estimated, ci_low, ci_high, model, n_strata, interval``; ``per_stratum``: one row
    per year × stratum with the selected model and its sources; ``models``: every model fitted.
    """
    from ..methods import capture_recapture as cr

    p = table.params
    seen = table.cases[table.cases["in_year"]]
    src_cols = [f"src_{s}" for s in p.sources]
    rows, model_rows, totals = [], [], []
    years = range(p.years[0], p.years[1] + 1)
    for jaar in tqdm(years, desc="capture-recapture", unit="year", disable=not progress):
        year_rows = []
        in_year = seen[seen["jaar"] == jaar]
        for name, mask in strata:
            sub = in_year[mask(in_year)]
            base = dict(jaar=jaar, **{label: name})
            if sub.empty:
                year_rows.append(dict(base, n_observed=0, n_unseen=0.0, n_estimated=0.0, ci_low=0.0,
                                      ci_high=0.0, model="(nobody seen)", sources="", warnings=""))
                continue
            flags = sub[src_cols].rename(columns=lambda c: c[4:]).astype(int)
            try:
                res = _cr_estimate(cr, cr.membership_table(flags), criterion, alpha)
            except KpzError as exc:
                year_rows.append(dict(base, n_observed=len(sub), n_unseen=np.nan, n_estimated=np.nan,
                                      ci_low=np.nan, ci_high=np.nan, model="not estimable",
                                      sources=",".join(flags.columns), warnings=str(exc)))
                continue
            year_rows.append(dict(base, n_observed=int(res.n_observed), n_unseen=float(res.n_unseen),
                                  n_estimated=float(res.n_estimated), ci_low=float(res.ci_low),
                                  ci_high=float(res.ci_high), model=res.model,
                                  sources=",".join(res.sources), warnings="; ".join(res.warnings)))
            m = res.models.copy()
            m.insert(0, label, name)
            m.insert(0, "jaar", jaar)
            m["selected"] = m["model"] == res.model
            model_rows.append(m)
        rows += year_rows
        yr = pd.DataFrame(year_rows)
        totals.append(dict(
            jaar=jaar, age_range=f"{p.age_min}-{p.age_max}",
            n_observed=int(yr["n_observed"].sum()),
            n_unseen=yr["n_unseen"].sum(min_count=len(yr)),
            n_estimated=yr["n_estimated"].sum(min_count=len(yr)),
            ci_low=yr["ci_low"].sum(min_count=len(yr)), ci_high=yr["ci_high"].sum(min_count=len(yr)),
            model=" + ".join(f"{r[label]}: {r['model']}" for r in year_rows),
            n_strata=len(year_rows), criterion=criterion,
            interval="profile likelihood per stratum, bounds summed (conservative)",
        ))
    models = pd.concat(model_rows, ignore_index=True) if model_rows else pd.DataFrame()
    return pd.DataFrame(totals), pd.DataFrame(rows), models


CR_CRITERIA = ("aic", "bic", "full")


def _cr_estimate(cr, table: pd.DataFrame, criterion: str, alpha: float):
    """``capture_recapture.estimate`` with selection by AIC/BIC, or the full two-way model.

    ``criterion="full"``: the hierarchical model with all two-way interactions (the most
    general model fitted; for three sources it is saturated) among the stable fits — no
    selection step, so the profile interval is not made too narrow by model-selection
    uncertainty (see docs/prevalence.md for the coverage measured with each choice).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if criterion in ("aic", "bic"):
            return cr.estimate(table, criterion=criterion, alpha=alpha)
        first = cr.estimate(table, criterion="aic", alpha=alpha)
        models = first.models[~first.models["unstable"].astype(bool)]
        if models.empty:
            return first
        full = models.sort_values(["n_params", "aic"], ascending=[False, True]).iloc[0]["model"]
        res = cr.estimate(table, model=full, alpha=alpha)
        res.warnings = list(res.warnings) + ["full two-way model (no selection)"]
        return res


def capture_recapture_by_age(table: C.CaseTable, criterion: str = "full", alpha: float = 0.05,
                             min_observed: int = 30, progress: bool = True) -> pd.DataFrame:
    """Capture–recapture per year and age group where the cells allow (≥ ``min_observed`` seen).

    Age group 15–19 is split into children under 18 on some day of the year and those 18 or
    older all year (``ikz_mkv`` is absent from 18); empty groups are reported with 0. Groups with
    fewer than ``min_observed`` children seen are reported with ``model = "too few observed"``.
    """
    _, per, _ = capture_recapture_by_year(table, strata=CR_AGE_GROUPS, criterion=criterion,
                                          alpha=alpha, label="age_group", progress=progress)
    if per.empty:
        return per
    few = per["n_observed"] < min_observed
    per.loc[few, ["n_unseen", "n_estimated", "ci_low", "ci_high"]] = np.nan
    per.loc[few, "model"] = "too few observed"
    return per


# --------------------------------------------------------------------------- need sensitivity
def need_variants(con: duckdb.DuckDBPyConnection, table: C.CaseTable) -> dict[str, pd.DataFrame]:
    """Person-years flagged as needing palliative care under variants of the need definition.

    Variants: the definition itself (``all markers``), each marker alone (``only <m>``), the
    definition without each marker (``without <m>``), and for each marker with a threshold above
    1, the threshold halved and doubled (``<m> >= t``). Each value: DataFrame ``persoon_id, jaar``
    (subset of the LLC case-years of ``table``).
    """
    cases = C.llc_cases(table)
    markers = table.markers
    mk = cases[[f"mk_{m}" for m in markers]].to_numpy().astype(bool)
    key = cases[["persoon_id", "jaar"]].reset_index(drop=True)
    out = {"all markers": key[mk.any(axis=1)]}
    for i, m in enumerate(markers):
        out[f"only {m}"] = key[mk[:, i]]
        if len(markers) > 1:
            out[f"without {m}"] = key[np.delete(mk, i, axis=1).any(axis=1)]
    definition = C.load_definition(table.params.need_definition)
    for m, rows in definition.groupby("criterion", sort=False):
        t = float(rows["min_value"].iloc[0])
        if t <= 1:
            continue
        for alt in sorted({max(1.0, np.floor(t / 2)), 2 * t}):
            sql = C.criteria_sql(rows, {m: alt})
            hit = con.execute(sql).df()[["persoon_id", "jaar"]].assign(_hit=True)
            flags = key.merge(hit, on=["persoon_id", "jaar"], how="left")["_hit"].notna().to_numpy()
            others = np.delete(mk, markers.index(m), axis=1).any(axis=1)
            out[f"{m} >= {alt:g} (default {t:g})"] = key[flags.astype(bool) | others]
    return out


def need_sensitivity_table(variants: dict[str, pd.DataFrame], table: C.CaseTable) -> pd.DataFrame:
    """Number needing palliative care per year under each variant, and share of LLC cases."""
    llc = C.llc_cases(table).groupby("jaar").size()
    rows = []
    for name, df in variants.items():
        n = df.groupby("jaar").size().reindex(llc.index, fill_value=0)
        for jaar in llc.index:
            rows.append(dict(variant=name, jaar=int(jaar), n_cases=int(n[jaar]),
                             n_llc_cases=int(llc[jaar]),
                             share_of_llc=float(n[jaar] / llc[jaar]) if llc[jaar] else np.nan))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- main computation
def _design_check(con, params: C.CaseParams, meta: dict) -> pd.DataFrame:
    """Persons in the extract insured on 1 July vs the ``populatie`` denominator, per year.

    For a ``cohort_sample`` extract the population is estimated as the selection (persons not in
    the random sample) plus the sample divided by the sample fraction; for a ``population``
    extract it is the persons themselves. A ratio far from 1 means extract and denominators
    disagree.
    """
    first, last = params.years
    frac = float(meta.get("sample_fraction") or 1.0) if meta.get("design") == "cohort_sample" else 1.0
    df = con.execute(f"""
        with years as (select unnest(generate_series({first}, {last})) as jaar),
        on_1_july as (
            select distinct y.jaar, p.persoon_id, coalesce(p.in_steekproef, false) as in_steekproef,
                y.jaar - year(p.geboortemaand) - case when month(p.geboortemaand) >= 7 then 1 else 0 end as leeftijd
            from years as y
            inner join mart_insured_period as i on make_date(cast(y.jaar as integer), 7, 1) between i.begindatum and i.einddatum
            inner join mart_person as p on p.persoon_id = i.persoon_id
        )
        select jaar, count(*) filter (where not in_steekproef) as n_selection,
            count(*) filter (where in_steekproef) as n_sample,
            sum({design_weight_sql(meta)}) as population_estimate
        from on_1_july
        where leeftijd between {params.age_min} and {params.age_max}
        group by jaar order by jaar
    """).df()
    pop = denominators(con, params)
    df = pop.merge(df, on="jaar", how="left").fillna({"n_selection": 0, "n_sample": 0,
                                                      "population_estimate": 0.0})
    df["design"] = meta.get("design")
    df["sample_fraction"] = frac
    df["ratio"] = df["population_estimate"] / df["population"]
    return df


def _trend(by_year: pd.DataFrame, params: C.CaseParams, first_period_year: int, alpha: float,
           notes: list[str]) -> pd.DataFrame:
    rows = []
    complete = by_year[by_year["jaar"] - params.lookback >= first_period_year]
    for measure, df in complete.groupby("measure"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = rates.poisson_trend(df, alpha=alpha)
        except (KpzError, ValueError) as exc:
            # degenerate series (e.g. mostly zero counts) cannot carry a trend: say so, go on
            notes.append(f"trend {measure}: not estimable ({exc})")
            continue
        t.insert(0, "measure", measure)
        t.insert(1, "years", f"{int(df['jaar'].min())}-{int(df['jaar'].max())}")
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _consistent_by_year(con, p: C.CaseParams, alpha: float) -> pd.DataFrame | None:
    """Counts per year without the sources and markers that start during the period.

    Paediatric palliative care activities are claimable only from 2023: as a case-finding
    source and as a need marker they add children from 2023 on, a step that is not a change in
    prevalence. For the trend, the counts are also made without them (measures
    ``llc_consistent`` and ``palliative_need_consistent``). None when the years do not span 2023
    or the source is not selected.
    """
    if "palliative_activity" not in p.sources or not (p.years[0] < 2023 <= p.years[1]):
        return None
    sources = tuple(s for s in p.sources if s != "palliative_activity")
    if not sources:
        return None
    t = C.find_cases(con, C.CaseParams(years=p.years, age_min=p.age_min, age_max=p.age_max,
                                       lookback=p.lookback, sources=sources,
                                       need_definition=p.need_definition))
    llc = C.llc_cases(t)
    mk = [f"mk_{m}" for m in t.markers if m != "palliative_activity"]
    need = llc[llc[mk].sum(axis=1) > 0] if mk else llc.iloc[:0]
    return _rate_table({"llc_consistent": llc, "palliative_need_consistent": need},
                       denominators(con, p), [], alpha)


def compute_prevalence(con: duckdb.DuckDBPyConnection, params: C.CaseParams | None = None, *,
                       lookbacks=DEFAULT_LOOKBACKS, alpha: float = 0.05, criterion: str = "full",
                       capture_recapture: bool = True, cr_by_age: bool = True,
                       sensitivity: bool = True, headline_year: int | None = None,
                       progress: bool = True) -> PrevalenceResult:
    """Compute every prevalence result table on an open warehouse connection.

    Parameters
    ----------
    con : warehouse connection (``warehouse.connect``), read-only is fine.
    params : case definition parameters (:class:`cases.CaseParams`; defaults ages 0–19,
        lookback 2, all sources, all years of the extract).
    lookbacks : alternative lookbacks reported in ``prevalence_lookback``.
    alpha : 1 − confidence level of every interval.
    criterion : capture–recapture model: ``full`` (default: all two-way interactions, no
        selection step — the choice whose interval kept its coverage in ``make validate``), or
        selection by ``aic`` or ``bic``; every model is reported either way.
    capture_recapture, cr_by_age, sensitivity : switch parts off (e.g. in replications).
    headline_year : year of the headline (default: the last year).

    Returns
    -------
    PrevalenceResult
        Tables: ``prevalence_by_year`` (jaar, measure, n_cases, population, rate_per_10000,
        ci_low, ci_high — exact Garwood intervals; ``lookback_complete`` says whether the years
        Y−L…Y all lie in the extract), ``prevalence_by_<stratum>`` for age group, sex, province,
        NIK region and diagnostic group, ``prevalence_standardised`` (ESP 2013, Fay–Feuer),
        ``prevalence_trend`` (Poisson/NB APC over years with a complete lookback; also for
        ``llc_consistent``/``palliative_need_consistent``, counted without the palliative care
        activities that exist only from 2023),
        ``prevalence_lookback``, ``deaths_among_cases``, ``attrition``,
        ``palliative_need_sensitivity``, ``capture_recapture`` (+ ``_strata``, ``_models``,
        ``_by_age``), ``design_check``.
    """
    if criterion not in CR_CRITERIA:
        raise ParameterError(f"criterion must be one of {', '.join(CR_CRITERIA)}, got {criterion!r}")
    lookbacks = sorted({int(x) for x in lookbacks} | {(params or C.CaseParams()).lookback})
    if lookbacks[0] < 0:
        raise ParameterError("lookbacks must be 0 or more")
    meta = extract_meta(con)
    table = C.find_cases(con, params, max_lookback=max(lookbacks))
    p = table.params
    first_period = C.period_years(con)[0]
    notes: list[str] = []
    llc = C.llc_cases(table)
    frames = {"llc": llc, "palliative_need": llc[llc["palliative_need"]]}
    tables: dict[str, pd.DataFrame] = {}

    by_year = _rate_table(frames, denominators(con, p), [], alpha)
    by_year["lookback_complete"] = by_year["jaar"] - p.lookback >= first_period
    tables["prevalence_by_year"] = by_year
    for name, col in STRATA.items():
        tables[f"prevalence_by_{name}"] = _rate_table(frames, denominators(con, p, [col]), [col], alpha)

    # Diagnostic group: a case counts in every group with an LLC-coded line in its window;
    # cases found only by other sources are in group no_llc_code.
    groups = C.llc_groups(table)
    grouped = {}
    for measure, df in frames.items():
        key = df[["persoon_id", "jaar"]]
        g = groups.merge(key, on=["persoon_id", "jaar"])
        none = key.merge(g[["persoon_id", "jaar"]].drop_duplicates(), how="left", indicator=True)
        none = none[none["_merge"] == "left_only"].drop(columns="_merge").assign(diagnostic_group=NO_CODE_GROUP)
        grouped[measure] = pd.concat([g, none], ignore_index=True)
    denom = denominators(con, p)
    grid = denom.merge(pd.DataFrame({"diagnostic_group": [*DIAGNOSTIC_GROUPS, NO_CODE_GROUP]}), how="cross")
    tables["prevalence_by_diagnostic_group"] = _rate_table(grouped, grid, ["diagnostic_group"], alpha)

    # Direct age-sex standardisation (ESP 2013) per year and measure.
    strata = _rate_table(frames, denominators(con, p, ["age_group", "geslacht"]),
                         ["age_group", "geslacht"], alpha)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            std = rates.direct_standardise(strata, by=["jaar", "measure"], alpha=alpha,
                                           standard=standard_population("esp2013"))
        notes += sorted({str(w.message) for w in caught})
        tables["prevalence_standardised"] = std.sort_values(["measure", "jaar"]).reset_index(drop=True)
    except KpzError as exc:
        notes.append(f"no standardised rates: {exc}")
        tables["prevalence_standardised"] = pd.DataFrame()

    trend = _trend(by_year, p, first_period, alpha, notes)
    consistent = _consistent_by_year(con, p, alpha)
    if consistent is not None:
        extra = _trend(consistent, p, first_period, alpha, notes)
        trend = pd.concat([trend, extra], ignore_index=True)
    tables["prevalence_trend"] = trend

    # Alternative lookbacks.
    rows = []
    for lb in lookbacks:
        cases_lb = C.llc_cases(table, lb)
        fr = {"llc": cases_lb, "palliative_need": cases_lb[cases_lb["palliative_need"]]}
        t = _rate_table(fr, denominators(con, p), [], alpha)
        t.insert(2, "lookback", lb)
        t["lookback_complete"] = t["jaar"] - lb >= first_period
        t["is_default"] = lb == p.lookback
        rows.append(t)
    tables["prevalence_lookback"] = pd.concat(rows, ignore_index=True)

    # Deaths among cases per year and age group.
    deaths = []
    for measure, df in frames.items():
        g = df.groupby(["jaar", "age_group"]).agg(n_cases=("persoon_id", "size"),
                                                   n_deaths=("died_in_year", "sum")).reset_index()
        g.insert(1, "measure", measure)
        deaths.append(g)
    d = pd.concat(deaths, ignore_index=True)
    d["n_deaths"] = d["n_deaths"].astype(int)
    d["deaths_per_1000_cases"] = 1000 * d["n_deaths"] / d["n_cases"]
    order = {g: i for i, g in enumerate(AGE_GROUPS)}
    tables["deaths_among_cases"] = d.sort_values(
        ["measure", "jaar", "age_group"], key=lambda s: s.map(order) if s.name == "age_group" else s
    ).reset_index(drop=True)

    tables["attrition"] = C.attrition(con, table)
    if sensitivity:
        tables["palliative_need_sensitivity"] = need_sensitivity_table(need_variants(con, table), table)
    tables["design_check"] = _design_check(con, p, meta)

    if capture_recapture:
        totals, per, models = capture_recapture_by_year(table, criterion=criterion, alpha=alpha,
                                                        progress=progress)
        tables["capture_recapture"] = totals
        tables["capture_recapture_strata"] = per
        tables["capture_recapture_models"] = models
        # The same totals under every model choice, so selection by AIC and BIC is visible next
        # to the default (the full two-way model covers best in replications: docs/prevalence.md).
        tables["capture_recapture_by_criterion"] = pd.concat(
            [totals if c == criterion else
             capture_recapture_by_year(table, criterion=c, alpha=alpha, progress=False)[0]
             for c in CR_CRITERIA], ignore_index=True)
        if cr_by_age:
            tables["capture_recapture_by_age"] = capture_recapture_by_age(
                table, criterion=criterion, alpha=alpha, progress=progress)
        for w in per.get("warnings", pd.Series(dtype=str)):
            if w:
                notes.append(f"capture-recapture: {w}")

    metadata = _metadata(meta, p, alpha, criterion, lookbacks)
    headline = make_headline(tables, p, headline_year)
    for name, df in tables.items():
        if not df.empty:
            tables[name] = _describe(df, metadata)
    return PrevalenceResult(tables=tables, headline=headline, metadata=metadata, case_table=table,
                            warnings=list(dict.fromkeys(notes)))


def _metadata(meta: dict, p: C.CaseParams, alpha, criterion, lookbacks) -> dict:
    idx = codelist_index("codelists").set_index("file")
    used = [f"{C.LLC_CODELIST}.csv", *(f"{C.SOURCE_DEFINITIONS[s]}.csv" for s in p.sources),
            f"{p.need_definition}.csv"]
    return {
        "extract_id": meta.get("extract_id"),
        "manifest_sha256": meta.get("manifest_sha256"),
        "design": meta.get("design"),
        "sample_fraction": meta.get("sample_fraction"),
        "period": f"{meta.get('period_start')}/{meta.get('period_end')}",
        "years": f"{p.years[0]}-{p.years[1]}",
        "age_min": p.age_min, "age_max": p.age_max, "lookback": p.lookback,
        "lookbacks_reported": list(lookbacks),
        "sources": list(p.sources),
        "llc_codelist": C.LLC_CODELIST,
        "need_definition": p.need_definition,
        "definitions": {f: (f"v{idx.loc[f, 'version']}" if f in idx.index else "unknown") for f in used},
        "alpha": alpha, "cr_criterion": criterion, "standard_population": "esp2013",
        "package_version": __version__,
        "warehouse_git_commit": meta.get("git_commit"),
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _describe(df: pd.DataFrame, metadata: dict) -> pd.DataFrame:
    """Append the run's provenance columns so every CSV is self-describing."""
    df = df.copy()
    df["extract_id"] = metadata["extract_id"]
    df["age_range"] = f"{metadata['age_min']}-{metadata['age_max']}"
    df["default_lookback"] = metadata["lookback"]
    df["sources"] = "+".join(metadata["sources"])
    df["definitions"] = f"{metadata['llc_codelist']}; {metadata['need_definition']}"
    df["package_version"] = metadata["package_version"]
    df["generated_at"] = metadata["generated_at"]
    return df


# --------------------------------------------------------------------------- headline
def _fmt(x: float, language: str) -> str:
    s = f"{round(float(x)):,}"
    return s.replace(",", ".") if language == "nl" else s


def make_headline(tables: dict[str, pd.DataFrame], params: C.CaseParams, year: int | None = None) -> dict:
    """The headline figures and sentence (English and Dutch) for one year (default: the last).

    "In year Y an estimated N (95% CI a–b) children aged 0–19 lived with a life-limiting
    condition; n of them were seen in claims; m (a–b) needed palliative care." N is the
    capture–recapture total (children seen by a source in Y itself plus the estimated unseen);
    n the children seen in Y; m the palliative-need count with its exact Poisson interval.
    """
    year = year or params.years[1]
    by_year = tables["prevalence_by_year"]
    if year not in set(by_year["jaar"]):
        raise ParameterError(f"headline year {year} is not among the years {params.years[0]}-{params.years[1]}")
    need = by_year[(by_year["jaar"] == year) & (by_year["measure"] == "palliative_need")].iloc[0]
    llc = by_year[(by_year["jaar"] == year) & (by_year["measure"] == "llc")].iloc[0]
    m_low, m_high = rates.poisson_ci(int(need["n_cases"]))
    h = dict(jaar=int(year), age_range=f"{params.age_min}-{params.age_max}",
             n_llc_cases=int(llc["n_cases"]), lookback=params.lookback,
             n_need=int(need["n_cases"]), need_ci_low=float(m_low), need_ci_high=float(m_high))
    cr = tables.get("capture_recapture")
    if cr is not None and not cr.empty and year in set(cr["jaar"]):
        r = cr[cr["jaar"] == year].iloc[0]
        h.update(n_estimated=float(r["n_estimated"]), ci_low=float(r["ci_low"]),
                 ci_high=float(r["ci_high"]), n_observed=int(r["n_observed"]))
    ages = f"{params.age_min}–{params.age_max}"
    if "n_estimated" in h and np.isfinite(h["n_estimated"]):
        h["sentence_en"] = (
            f"In {year} an estimated {_fmt(h['n_estimated'], 'en')} (95% CI "
            f"{_fmt(h['ci_low'], 'en')}–{_fmt(h['ci_high'], 'en')}) children aged {ages} lived with a "
            f"life-limiting condition; {_fmt(h['n_observed'], 'en')} of them were seen in claims; "
            f"{_fmt(h['n_need'], 'en')} ({_fmt(m_low, 'en')}–{_fmt(m_high, 'en')}) needed palliative care.")
        h["sentence_nl"] = (
            f"In {year} leefden naar schatting {_fmt(h['n_estimated'], 'nl')} (95%-BI "
            f"{_fmt(h['ci_low'], 'nl')}–{_fmt(h['ci_high'], 'nl')}) kinderen van {ages} jaar met een "
            f"levensbeperkende aandoening; {_fmt(h['n_observed'], 'nl')} van hen waren dat jaar zichtbaar "
            f"in de declaraties; {_fmt(h['n_need'], 'nl')} ({_fmt(m_low, 'nl')}–{_fmt(m_high, 'nl')}) "
            f"hadden palliatieve zorg nodig.")
    else:
        h["sentence_en"] = (
            f"In {year} {_fmt(h['n_llc_cases'], 'en')} children aged {ages} with a life-limiting "
            f"condition were seen in claims (lookback {params.lookback}); {_fmt(h['n_need'], 'en')} "
            f"({_fmt(m_low, 'en')}–{_fmt(m_high, 'en')}) needed palliative care.")
        h["sentence_nl"] = (
            f"In {year} waren {_fmt(h['n_llc_cases'], 'nl')} kinderen van {ages} jaar met een "
            f"levensbeperkende aandoening zichtbaar in de declaraties; {_fmt(h['n_need'], 'nl')} "
            f"({_fmt(m_low, 'nl')}–{_fmt(m_high, 'nl')}) hadden palliatieve zorg nodig.")
    return h


# --------------------------------------------------------------------------- writing
def write_results(result: PrevalenceResult, out_dir: str | Path) -> list[Path]:
    """Write every table as ``<name>.csv``, plus ``headline.txt`` and ``prevalence_metadata.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in result.tables.items():
        path = out / f"{name}.csv"
        df.to_csv(path, index=False)
        written.append(path)
    (out / "headline.txt").write_text(
        result.headline["sentence_en"] + "\n" + result.headline["sentence_nl"] + "\n", encoding="utf-8")
    meta = dict(result.metadata, headline=result.headline, warnings=result.warnings,
                tables=sorted(result.tables))
    (out / "prevalence_metadata.json").write_text(json.dumps(meta, indent=2, default=str),
                                                  encoding="utf-8")
    return written + [out / "headline.txt", out / "prevalence_metadata.json"]


def run_prevalence(warehouse: str | Path, out_dir: str | Path, params: C.CaseParams | None = None,
                   **kwargs) -> PrevalenceResult:
    """Open ``warehouse`` read-only, compute every table (:func:`compute_prevalence`), write CSVs."""
    con = connect(warehouse)
    try:
        result = compute_prevalence(con, params, **kwargs)
    finally:
        con.close()
    write_results(result, out_dir)
    return result
