"""Prevalence of life-limiting conditions (LLC) and of need for palliative care, per year.

Two numbers that are often confused (``shared/domain-primer.md``), each with its own versioned
definition (``cohorts/cases.py``, ``docs/prevalence.md``):

* ``measure = "llc"`` — children alive and insured in year Y (``period`` basis, default: on at
  least one day of Y; ``point`` basis: on 1 July of Y), aged ``age_min``–``age_max`` on 1 July,
  seen by a case-finding source in Y or the ``lookback`` preceding years;
* ``measure = "palliative_need"`` — the raw count of LLC cases flagged by the need definition
  (``codelists/palliative_need_v2.csv``: a marker of an unstable, deteriorating or dying phase in
  Y itself); ``palliative_need_corrected`` holds the count corrected for misclassification with
  its interval (``analyses/palliative_need.py``), which the headline quotes.

Numerator and denominator share one basis (``docs/prevalence.md``): on the ``point`` basis the
denominator is ``mart_denominator`` (``populatie``: persons insured on 1 July); on the ``period``
basis it is ``populatie`` plus the persons alive and insured on a day of Y but not on 1 July
(born after 1 July, died or emigrated before it, arrived after it), counted in the extract (a
``cohort_sample`` extract: the selection in full, the random sample divided by its fraction).
Counts come from the full case selection of the extract (for a ``cohort_sample`` extract every
person seen by a selection source is delivered, so counts are national).
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
from . import palliative_need as NEED
from ..errors import KpzError, ParameterError
from ..methods import rates
from ..refdata import index as codelist_index
from ..refdata import standard_population
from ..warehouse.connect import connect, design_weight_sql, extract_meta
from . import cache as result_cache

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
#: Whole need definitions reported beside the run's own in the sensitivity table.
ALTERNATIVE_NEED_DEFINITIONS = ("palliative_need_v1", "palliative_need_plus_activity_v1")
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
    """Denominator of the counting basis per year and ``by`` columns (ages in range, years of params).

    ``point`` basis: persons insured on 1 July (``mart_denominator`` = ``populatie``).
    ``period`` basis: persons alive and insured on at least one day of the year,

        D_period = populatie(1 July) + Σ_{persons alive and insured in Y, not on 1 July} w_i,

    the second term counted in the extract (``cohort_person_year`` with ``insured_1july`` false:
    born after 1 July, died or emigrated before it, insured only after it) with the design
    weight w_i (1 in a ``population`` extract; in a ``cohort_sample`` 1 for the selection and
    1 / sample_fraction for the random sample). Age is age on 1 July floored at 0, as in the
    numerator. Columns: ``jaar, <by>, population, population_1july, population_not_1july``.
    """
    cols = ", ".join(["jaar", *by])
    first, last = params.years
    base = con.execute(f"""
        select {cols}, sum(aantal)::bigint as population_1july
        from mart_denominator
        where jaar between {first} and {last} and leeftijd between {params.age_min} and {params.age_max}
        group by {cols} order by {cols}
    """).df()
    if params.basis == "point":
        base["population_not_1july"] = 0.0
    else:
        weight = design_weight_sql(extract_meta(con))
        extra = con.execute(f"""
            select {cols}, sum({weight}) as population_not_1july
            from cohort_person_year
            where jaar between {first} and {last} and leeftijd between {params.age_min} and {params.age_max}
                and not insured_1july
            group by {cols}
        """).df()
        base = base.merge(extra, on=["jaar", *by], how="left").fillna({"population_not_1july": 0.0})
    base["population"] = base["population_1july"] + base["population_not_1july"]
    return base[["jaar", *by, "population", "population_1july", "population_not_1july"]]


def _counts(frames: dict[str, pd.DataFrame], by: list[str]) -> pd.DataFrame:
    parts = []
    for measure, df in frames.items():
        g = df.groupby(["jaar", *by], dropna=False).size().rename("n_cases").reset_index()
        g.insert(1, "measure", measure)
        parts.append(g)
    return pd.concat(parts, ignore_index=True)


def _rate_table(frames, denom: pd.DataFrame, by: list[str], alpha: float) -> pd.DataFrame:
    """Counts joined onto the denominator grid (zero counts kept) with exact Poisson rates."""
    grid = pd.concat([denom[["jaar", *by, "population"]].assign(measure=m) for m in frames],
                     ignore_index=True)
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
                              progress: bool = True, totals: bool = True, all_models: bool = True):
    """Capture–recapture estimate of all children with an LLC, per year and stratum, and the total.

    Membership is per calendar year without lookback: a child is in source *s* in year Y when
    *s* sees them in Y (``src_<s>``), among the selected sources. Within each year the 2^k table
    is built per stratum (default: under 18 on some day of the year vs 18 or older all year,
    because ``ikz_mkv`` cannot see anyone from the 18th birthday; a source that sees nobody in
    a stratum, such as ``palliative_activity`` before 2023, is left out with a warning) and
    estimated with :func:`capture_recapture.estimate_identifiable`: a model the table cannot
    identify (a boundary fit such as "nobody missed" from a zero all-sources cell) is never
    reported; the documented fallback drops the offending interaction, and a stratum without an
    identifiable model is reported as ``not identifiable`` with NaN, never as zero unseen.

    The year total, when every stratum is identifiable, is

    .. math:: \\hat N_Y = \\sum_s \\hat N_{Y,s}

    with the profile-likelihood interval of the sum over independent strata
    (:func:`capture_recapture.combine_strata`); the conservative sum of the strata's bounds is
    reported beside it (``ci_low_summed``, ``ci_high_summed``). When a stratum is not
    identifiable, the total is estimated from the pooled table of all strata (a pairwise
    log-linear model with the same interactions in every stratum is again pairwise log-linear
    when pooled; only the main effect of a source absent in one stratum shifts), and
    ``status`` says so; if the pooled table is not identifiable either, the total is NaN.

    Returns
    -------
    (totals, per_stratum, models) : DataFrames. ``totals``: ``jaar, age_range, n_observed,
    n_unseen, n_estimated, ci_low, ci_high, ci_low_summed, ci_high_summed, status, model,
    n_strata, criterion, interval``; ``per_stratum``: one row per year × stratum with the model
    used, ``status``, ``fallback`` and the ``sources`` that stratum actually used; ``models``:
    every model fitted.
    """
    from ..methods import capture_recapture as cr

    p = table.params
    seen = table.cases[table.cases["in_year"]]
    src_cols = [f"src_{s}" for s in p.sources]
    rows, model_rows, total_rows = [], [], []
    years = range(p.years[0], p.years[1] + 1)
    for jaar in tqdm(years, desc="capture-recapture", unit="year", disable=not progress):
        year_rows, results = [], []
        in_year = seen[seen["jaar"] == jaar]
        for name, mask in strata:
            sub = in_year[mask(in_year)]
            base = dict(jaar=jaar, **{label: name})
            if sub.empty:
                year_rows.append(dict(base, n_observed=0, n_unseen=0.0, n_estimated=0.0, ci_low=0.0,
                                      ci_high=0.0, model="(nobody seen)", status="nobody seen",
                                      fallback="", sources="", warnings=""))
                continue
            flags = sub[src_cols].rename(columns=lambda c: c[4:]).astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = cr.estimate_identifiable(cr.membership_table(flags), criterion=criterion,
                                               alpha=alpha, all_models=all_models)
            results.append(res)
            year_rows.append(dict(base, n_observed=int(res.n_observed), n_unseen=float(res.n_unseen),
                                  n_estimated=float(res.n_estimated), ci_low=float(res.ci_low),
                                  ci_high=float(res.ci_high), model=res.model, status=res.status,
                                  fallback=res.fallback, sources=",".join(res.sources),
                                  warnings="; ".join(res.warnings)))
            if not res.models.empty:
                m = res.models.copy()
                m.insert(0, label, name)
                m.insert(0, "jaar", jaar)
                model_rows.append(m)
        rows += year_rows
        if totals:
            total_rows.append(_cr_total(cr, jaar, p, year_rows, results, in_year, src_cols,
                                        criterion, alpha, label))
    models = pd.concat(model_rows, ignore_index=True) if model_rows else pd.DataFrame()
    return pd.DataFrame(total_rows), pd.DataFrame(rows), models


def _cr_total(cr, jaar, p, year_rows, results, in_year, src_cols, criterion, alpha, label) -> dict:
    """The year total: strata combined, or the pooled table when a stratum is not identifiable."""
    n_observed = int(sum(r["n_observed"] for r in year_rows))
    row = dict(jaar=jaar, age_range=f"{p.age_min}-{p.age_max}", n_observed=n_observed,
               model=" + ".join(f"{r[label]}: {r['model']}" for r in year_rows),
               n_strata=len(year_rows), criterion=criterion)
    nan = float("nan")
    if all(r.status != "not identifiable" for r in results):
        comb = cr.combine_strata(results, alpha=alpha)
        return dict(row, n_unseen=comb.n_estimated - n_observed, n_estimated=comb.n_estimated,
                    ci_low=comb.ci_low, ci_high=comb.ci_high, ci_low_summed=comb.ci_low_summed,
                    ci_high_summed=comb.ci_high_summed, status="strata combined",
                    interval="profile likelihood of the sum over strata")
    bad = [r[label] for r in year_rows if r["status"] == "not identifiable"]
    flags = in_year[src_cols].rename(columns=lambda c: c[4:]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = cr.estimate_identifiable(cr.membership_table(flags), criterion=criterion, alpha=alpha)
    if pooled.status == "not identifiable":
        return dict(row, n_unseen=nan, n_estimated=nan, ci_low=nan, ci_high=nan, ci_low_summed=nan,
                    ci_high_summed=nan, status="not identifiable",
                    interval=f"none: stratum {', '.join(bad)} and the pooled table not identifiable")
    return dict(row, n_unseen=pooled.n_unseen, n_estimated=pooled.n_estimated, ci_low=pooled.ci_low,
                ci_high=pooled.ci_high, ci_low_summed=nan, ci_high_summed=nan,
                status=f"pooled (stratum {', '.join(bad)} not identifiable)",
                model=f"pooled: {pooled.model}",
                interval="profile likelihood of the pooled table")


CR_CRITERIA = ("aic", "bic", "full")


def capture_recapture_by_age(table: C.CaseTable, criterion: str = "full", alpha: float = 0.05,
                             min_observed: int = 30, progress: bool = True) -> pd.DataFrame:
    """Capture–recapture per year and age group where the cells allow (≥ ``min_observed`` seen).

    Age group 15–19 is split into children under 18 on some day of the year and those 18 or
    older all year (``ikz_mkv`` is absent from 18); empty groups are reported with 0. Groups with
    fewer than ``min_observed`` children seen are reported with ``model = "too few observed"``.
    """
    _, per, _ = capture_recapture_by_year(table, strata=CR_AGE_GROUPS, criterion=criterion,
                                          alpha=alpha, label="age_group", progress=progress,
                                          totals=False, all_models=False)
    if per.empty:
        return per
    few = per["n_observed"] < min_observed
    per.loc[few, ["n_unseen", "n_estimated", "ci_low", "ci_high"]] = np.nan
    per.loc[few, "model"] = "too few observed"
    return per


# --------------------------------------------------------------------------- need sensitivity
def need_variants(con: duckdb.DuckDBPyConnection, table: C.CaseTable) -> dict[str, pd.DataFrame]:
    """Person-years flagged as needing palliative care under variants of the need definition.

    Only LLC case-years seen within the lookback by the definition's own LLC sources
    (``llc_sources``) are eligible, as for the definition itself.

    Variants: the definition itself (``all markers``), each marker alone (``only <m>``), the
    definition without each marker (``without <m>``), for each marker with a threshold above
    1, the threshold halved and doubled (``<m> >= t``), and the other whole definitions of
    :data:`ALTERNATIVE_NEED_DEFINITIONS` (``definition <name>``: v1 with IKZ/MKV presence and the
    2023 activities; v2 plus the activities). Each value: DataFrame ``persoon_id, jaar`` (subset
    of the LLC case-years of ``table``).
    """
    cases = C.llc_cases(table)
    # only case-years seen by the definition's own LLC sources within the lookback can be flagged
    cases = cases[cases["need_gap"] <= table.params.lookback]
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
    # whole alternative definitions, each with its own LLC sources and markers
    llc = C.llc_cases(table)
    for other in ALTERNATIVE_NEED_DEFINITIONS:
        if other != table.params.need_definition:
            flags = C.need_flags(con, table, other).loc[llc.index]
            out[f"definition {other}"] = llc.loc[flags, ["persoon_id", "jaar"]].reset_index(drop=True)
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
            -- one row per person-year: the periods of mart_insured_period do not overlap
            select y.jaar, p.persoon_id, coalesce(p.in_steekproef, false) as in_steekproef,
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
    pop = denominators(con, params)[["jaar", "population_1july"]].rename(
        columns={"population_1july": "population"})
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
    prevalence. For the trend, the counts are also made without them (measure
    ``llc_consistent``, and ``palliative_need_consistent`` when the need definition uses them,
    as ``palliative_need_v1`` did; ``palliative_need_v2`` does not). None when the years do not
    span 2023 or the source is not selected.
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
    frames = {"llc_consistent": llc}
    if "palliative_activity" in t.markers:
        mk = [f"mk_{m}" for m in t.markers if m != "palliative_activity"]
        base = llc[llc["need_gap"] <= p.lookback]
        frames["palliative_need_consistent"] = base[base[mk].sum(axis=1) > 0] if mk else llc.iloc[:0]
    return _rate_table(frames, denominators(con, p), [], alpha)


def _need_corrected(con, table: C.CaseTable, meta: dict, first_period: int, denom_year: pd.DataFrame,
                    alpha: float, need_accuracy) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Flagged need counts per definition and year, corrected for misclassification.

    The run's own definition (default ``palliative_need_v2``) in every year and, when the years
    reach 2023 and the palliative-care source is selected, ``palliative_need_plus_activity_v1``
    from 2023 (the 2023 activities as an additional source, a check on the first estimate).
    """
    p = table.params
    parts = [C.need_cases(table).groupby("jaar").size().rename("flagged").reset_index()
             .assign(definition=p.need_definition)]
    if (p.need_definition != C.NEED_PLUS_ACTIVITY and "palliative_activity" in p.sources
            and p.years[1] >= 2023):
        llc = C.llc_cases(table)
        flags = C.need_flags(con, table, C.NEED_PLUS_ACTIVITY).loc[llc.index]
        plus = llc[flags & (llc["jaar"] >= 2023)].groupby("jaar").size().rename("flagged").reset_index()
        years = pd.DataFrame({"jaar": range(max(2023, p.years[0]), p.years[1] + 1)})
        parts.append(years.merge(plus, on="jaar", how="left").fillna({"flagged": 0})
                     .assign(definition=C.NEED_PLUS_ACTIVITY))
    all_years = pd.DataFrame({"jaar": range(p.years[0], p.years[1] + 1)})
    parts[0] = all_years.merge(parts[0], on="jaar", how="left").fillna(
        {"flagged": 0, "definition": p.need_definition})
    flagged = pd.concat(parts, ignore_index=True)
    flagged["flagged"] = flagged["flagged"].astype(int)
    accuracy = NEED.load_accuracy(need_accuracy)
    corrected, change = NEED.corrected_need(
        flagged[["definition", "jaar", "flagged"]], accuracy, p, first_period_year=first_period,
        extract_id=str(meta.get("extract_id")), population=denom_year, alpha=alpha)
    notes = sorted({f"need not corrected: {s}" for s in corrected["status"]
                    if not s.startswith("corrected")})
    return corrected, change, notes


def _by_group(groups: pd.DataFrame, frames: dict, denom: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Rates per diagnostic group; case-years without an LLC-coded line are ``no_llc_code``."""
    grouped = {}
    for measure, df in frames.items():
        key = df[["persoon_id", "jaar"]]
        g = groups.merge(key, on=["persoon_id", "jaar"])
        none = key.merge(g[["persoon_id", "jaar"]].drop_duplicates(), how="left", indicator=True)
        none = none[none["_merge"] == "left_only"].drop(columns="_merge").assign(diagnostic_group=NO_CODE_GROUP)
        grouped[measure] = pd.concat([g, none], ignore_index=True)
    grid = denom[["jaar", "population"]].merge(
        pd.DataFrame({"diagnostic_group": [*DIAGNOSTIC_GROUPS, NO_CODE_GROUP]}), how="cross")
    return _rate_table(grouped, grid, ["diagnostic_group"], alpha)


def _overlap(llc: pd.DataFrame, ccc: pd.DataFrame, p: C.CaseParams) -> pd.DataFrame:
    """Children per year who are LLC cases, CCC cases, both or one only (LLC × CCC overlap).

    Also against the LLC cases found by an LLC-coded hospital line within the lookback (the
    like-for-like comparison: both lists applied to the same hospital diagnoses).
    """
    rows = []
    coded = llc[(llc["jaar"] - llc["last_hospital_llc_code"]) <= p.lookback]  # NaN: never coded
    for label, base in (("llc_all_sources", llc), ("llc_hospital_code", coded)):
        a = base[["persoon_id", "jaar"]].assign(in_llc=True)
        b = ccc[["persoon_id", "jaar"]].assign(in_ccc=True)
        m = a.merge(b, on=["persoon_id", "jaar"], how="outer")
        m["in_llc"] = m["in_llc"].eq(True)
        m["in_ccc"] = m["in_ccc"].eq(True)
        for jaar, g in m.groupby("jaar"):
            both = int((g["in_llc"] & g["in_ccc"]).sum())
            n_llc, n_ccc = int(g["in_llc"].sum()), int(g["in_ccc"].sum())
            rows.append(dict(jaar=int(jaar), llc_definition=label, n_llc=n_llc, n_ccc=n_ccc,
                             n_both=both, n_llc_only=n_llc - both, n_ccc_only=n_ccc - both,
                             share_of_llc_in_ccc=both / n_llc if n_llc else np.nan,
                             share_of_ccc_in_llc=both / n_ccc if n_ccc else np.nan))
    return pd.DataFrame(rows)


def compute_prevalence(con: duckdb.DuckDBPyConnection, params: C.CaseParams | None = None, *,
                       lookbacks=DEFAULT_LOOKBACKS, alpha: float = 0.05, criterion: str = "full",
                       capture_recapture: bool = True, cr_by_age: bool = True,
                       sensitivity: bool = True, headline_year: int | None = None,
                       need_accuracy: str | Path | None = None,
                       progress: bool = True, cache: bool | None = None) -> PrevalenceResult:
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
    need_accuracy : accuracy parameters of the need definitions, a code-list name or a CSV path
        (default ``need_accuracy_synthetic_v1``, which applies to synthetic extracts only);
        see :mod:`kpz_analytics.analyses.palliative_need`.
    cache : reuse the stored result of the same warehouse build, arguments and code
        (:mod:`kpz_analytics.analyses.cache`); None follows ``KPZ_CACHE`` (on). A stored result
        has no ``case_table``.

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
        ``palliative_need_sensitivity``, ``palliative_need_corrected`` (flagged counts of
        ``palliative_need_v2`` and, from 2023, ``palliative_need_plus_activity_v1``, corrected for
        misclassification, with intervals), ``palliative_need_change`` (year-to-year changes of
        the corrected counts), ``capture_recapture`` (+ ``_strata``, ``_models``, ``_by_age``),
        ``design_check``.
    """
    if criterion not in CR_CRITERIA:
        raise ParameterError(f"criterion must be one of {', '.join(CR_CRITERIA)}, got {criterion!r}")
    lookbacks = sorted({int(x) for x in lookbacks} | {(params or C.CaseParams()).lookback})
    if lookbacks[0] < 0:
        raise ParameterError("lookbacks must be 0 or more")
    if cache is not False:  # the stored result of the same warehouse build, arguments and code
        file = Path(need_accuracy) if need_accuracy and Path(need_accuracy).is_file() else need_accuracy
        args = dict(params=params or C.CaseParams(), lookbacks=lookbacks, alpha=alpha, criterion=criterion,
                    capture_recapture=capture_recapture, cr_by_age=cr_by_age, sensitivity=sensitivity,
                    headline_year=headline_year, need_accuracy=file)
        return result_cache.cached(con, "prevalence", args, lambda: compute_prevalence(
            con, **{**args, "params": params, "need_accuracy": need_accuracy}, progress=progress, cache=False),
            person_level={"case_table": ()}, enabled=cache)
    meta = extract_meta(con)
    table = C.find_cases(con, params, max_lookback=max(lookbacks))
    p = table.params
    first_period = C.period_years(con)[0]
    notes: list[str] = []
    llc = C.llc_cases(table)
    frames = {"llc": llc, "palliative_need": C.need_cases(table)}
    tables: dict[str, pd.DataFrame] = {}

    denom_year = denominators(con, p)
    by_year = _rate_table(frames, denom_year, [], alpha)
    by_year["lookback_complete"] = by_year["jaar"] - p.lookback >= first_period
    by_year["basis"] = p.basis
    by_year = by_year.merge(denom_year[["jaar", "population_1july", "population_not_1july"]],
                            on="jaar", how="left")
    tables["prevalence_by_year"] = by_year
    for name, col in STRATA.items():
        tables[f"prevalence_by_{name}"] = _rate_table(frames, denominators(con, p, [col]), [col], alpha)

    # Diagnostic group: a case counts in every group with an LLC-coded line in its window;
    # cases found only by other sources are in group no_llc_code. The chapter rule, and as a
    # sensitivity every variant of llc_group_variants_v1 (e.g. E84 under respiratory).
    tables["prevalence_by_diagnostic_group"] = _by_group(C.llc_groups(table), frames, denom_year, alpha)
    variants = []
    for variant in dict.fromkeys(C.group_variants()["variant"]):
        t = _by_group(C.llc_groups_variant(con, table, variant), frames, denom_year, alpha)
        t.insert(2, "grouping", variant)
        variants.append(t)
    tables["prevalence_by_diagnostic_group_variants"] = pd.concat(variants, ignore_index=True)

    # The alternative case definition: Feudtner's complex chronic conditions (diagnosis codes),
    # counted like the hospital LLC code source; and its overlap with the LLC cases.
    ccc = C.codelist_case_years(con, p, C.CCC_CODELIST)
    tables["prevalence_ccc"] = _rate_table({"ccc": ccc}, denom_year, [], alpha)
    tables["llc_ccc_overlap"] = _overlap(llc, ccc, p)

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
        fr = {"llc": cases_lb, "palliative_need": C.need_cases(table, lb)}
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
    corrected, change, need_notes = _need_corrected(con, table, meta, first_period, denom_year,
                                                    alpha, need_accuracy)
    tables["palliative_need_corrected"] = corrected
    tables["palliative_need_change"] = change
    notes += need_notes
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
    metadata["need_accuracy"] = str(need_accuracy or NEED.DEFAULT_ACCURACY)
    headline = make_headline(tables, p, headline_year, alpha=alpha)
    for name, df in tables.items():
        if not df.empty:
            tables[name] = _describe(df, metadata)
    return PrevalenceResult(tables=tables, headline=headline, metadata=metadata, case_table=table,
                            warnings=list(dict.fromkeys(notes)))


def _metadata(meta: dict, p: C.CaseParams, alpha, criterion, lookbacks) -> dict:
    idx = codelist_index("codelists").set_index("file")
    used = [f"{C.LLC_CODELIST}.csv", *(f"{C.SOURCE_DEFINITIONS[s]}.csv" for s in p.sources),
            f"{p.need_definition}.csv", f"{C.NEED_PLUS_ACTIVITY}.csv"]
    return {
        "extract_id": meta.get("extract_id"),
        "manifest_sha256": meta.get("manifest_sha256"),
        "design": meta.get("design"),
        "sample_fraction": meta.get("sample_fraction"),
        "period": f"{meta.get('period_start')}/{meta.get('period_end')}",
        "years": f"{p.years[0]}-{p.years[1]}",
        "age_min": p.age_min, "age_max": p.age_max, "lookback": p.lookback, "basis": p.basis,
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
    df["run_sources"] = "+".join(metadata["sources"])  # never overwrites a table's own sources
    df["definitions"] = f"{metadata['llc_codelist']}; {metadata['need_definition']}"
    df["basis"] = metadata["basis"]
    df["package_version"] = metadata["package_version"]
    df["generated_at"] = metadata["generated_at"]
    return df


# --------------------------------------------------------------------------- headline
def _fmt(x: float, language: str) -> str:
    s = f"{round(float(x)):,}"
    return s.replace(",", ".") if language == "nl" else s


def make_headline(tables: dict[str, pd.DataFrame], params: C.CaseParams, year: int | None = None,
                  alpha: float = 0.05) -> dict:
    """The headline figures and sentence (English and Dutch) for one year (default: the last).

    "In year Y an estimated N (95% CI a–b) children aged 0–19 lived with a life-limiting
    condition; n of them were seen in claims; an estimated m (95% CI a–b) needed palliative
    care (f flagged in claims, corrected for misclassification)." N is the capture–recapture
    total (children seen by a source in Y itself plus the estimated unseen); n the children seen
    in Y; m the need count of the run's definition corrected for misclassification
    (``palliative_need_corrected``) when accuracy parameters apply, otherwise the raw flagged
    count f with its exact Poisson interval, and the sentence says which (``need_quoted``). The
    confidence level is 1 − ``alpha``.
    """
    year = year or params.years[1]
    by_year = tables["prevalence_by_year"]
    if year not in set(by_year["jaar"]):
        raise ParameterError(f"headline year {year} is not among the years {params.years[0]}-{params.years[1]}")
    need = by_year[(by_year["jaar"] == year) & (by_year["measure"] == "palliative_need")].iloc[0]
    llc = by_year[(by_year["jaar"] == year) & (by_year["measure"] == "llc")].iloc[0]
    conf = f"{100 * (1 - alpha):g}"
    f = int(need["n_cases"])
    m_low, m_high = rates.poisson_ci(f, alpha)
    h = dict(jaar=int(year), age_range=f"{params.age_min}-{params.age_max}", basis=params.basis,
             n_llc_cases=int(llc["n_cases"]), lookback=params.lookback, confidence=1 - alpha,
             n_need_flagged=f, need_quoted="flagged (raw count, exact Poisson interval)",
             n_need=float(f), need_ci_low=float(m_low), need_ci_high=float(m_high))
    corr = tables.get("palliative_need_corrected")
    if corr is not None and not corr.empty:
        r = corr[(corr["jaar"] == year) & (corr["definition"] == params.need_definition)]
        if len(r) and np.isfinite(r["n_estimated"].iloc[0]):
            r = r.iloc[0]
            h.update(n_need=float(r["n_estimated"]), need_ci_low=float(r["ci_low"]),
                     need_ci_high=float(r["ci_high"]), need_ppv=float(r["ppv"]),
                     need_sensitivity=float(r["sensitivity"]),
                     need_quoted="corrected for misclassification (flagged × PPV / sensitivity)")
    corrected = h["need_quoted"].startswith("corrected")
    cr = tables.get("capture_recapture")
    if cr is not None and not cr.empty and year in set(cr["jaar"]):
        r = cr[cr["jaar"] == year].iloc[0]
        h.update(n_estimated=float(r["n_estimated"]), ci_low=float(r["ci_low"]),
                 ci_high=float(r["ci_high"]), n_observed=int(r["n_observed"]))
    ages = f"{params.age_min}–{params.age_max}"
    en, nl = (lambda x: _fmt(x, "en")), (lambda x: _fmt(x, "nl"))
    if corrected:
        need_en = (f"an estimated {en(h['n_need'])} ({conf}% CI {en(h['need_ci_low'])}–"
                   f"{en(h['need_ci_high'])}) needed palliative care ({en(f)} flagged in claims, "
                   f"corrected for misclassification)")
        need_nl = (f"naar schatting {nl(h['n_need'])} ({conf}%-BI {nl(h['need_ci_low'])}–"
                   f"{nl(h['need_ci_high'])}) kinderen hadden palliatieve zorg nodig ({nl(f)} "
                   f"gemarkeerd in de declaraties, gecorrigeerd voor misclassificatie)")
    else:
        need_en = (f"{en(f)} ({conf}% CI {en(m_low)}–{en(m_high)}) were flagged as needing "
                   f"palliative care (raw count, not corrected for misclassification)")
        need_nl = (f"{nl(f)} ({conf}%-BI {nl(m_low)}–{nl(m_high)}) kinderen waren gemarkeerd als "
                   f"kind met behoefte aan palliatieve zorg (ruwe telling, niet gecorrigeerd voor "
                   f"misclassificatie)")
    if "n_estimated" in h and np.isfinite(h["n_estimated"]):
        h["sentence_en"] = (
            f"In {year} an estimated {en(h['n_estimated'])} ({conf}% CI "
            f"{en(h['ci_low'])}–{en(h['ci_high'])}) children aged {ages} lived with a "
            f"life-limiting condition; {en(h['n_observed'])} of them were seen in claims; {need_en}.")
        h["sentence_nl"] = (
            f"In {year} leefden naar schatting {nl(h['n_estimated'])} ({conf}%-BI "
            f"{nl(h['ci_low'])}–{nl(h['ci_high'])}) kinderen van {ages} jaar met een "
            f"levensbeperkende aandoening; {nl(h['n_observed'])} van hen waren dat jaar zichtbaar "
            f"in de declaraties; {need_nl}.")
    else:
        h["sentence_en"] = (
            f"In {year} {en(h['n_llc_cases'])} children aged {ages} with a life-limiting "
            f"condition were seen in claims (lookback {params.lookback}); {need_en}.")
        h["sentence_nl"] = (
            f"In {year} waren {nl(h['n_llc_cases'])} kinderen van {ages} jaar met een "
            f"levensbeperkende aandoening zichtbaar in de declaraties; {need_nl}.")
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
