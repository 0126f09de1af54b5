"""The cohort of the care landscape (issue 17): LLC case-years, their care per measure, decedents.

Who is counted is the prevalence case definition (:func:`kpz_analytics.cohorts.cases.find_cases`)
over a wider age range (default 0–25 on 1 July, so that young adults 18–25 are in it): one row
per person × calendar year in which the person is an LLC case. Their care is read from
``mart_person_month`` through the versioned measure definition ``landscape_measures_v1``
(laws, financing streams, pgb domains, respite, end-of-life measures) by the SQL models in
``sql/landscape/``, executed as temporary tables:

* ``landscape_a_measure_months`` — case person × month × measure (the matching of mart rows to
  measures, done once);
* ``landscape_care_year`` — person-year × measure: months with use and volume;
* ``landscape_end_of_life`` — decedent × window (30/90 days before death) × measure;
* ``landscape_hospital_type`` — person-year × institution type (umc, algemeen, categoraal);
* ``landscape_wlz_indication`` — the case persons' Wlz indications: length, completeness, gap.

Decedents are LLC case-years with a death in the year (the case definition, so a child who
dies within ``lookback`` years of its last qualifying claim counts). ``docs/landscape.md`` has
every definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import models
from .cases import SOURCES, CaseParams, ensure_cohort_tables, find_cases, llc_groups, period_years
from .transition import load_outcomes

MEASURE_DEFINITION = "landscape_measures_v1"
LAWS: tuple[str, ...] = ("zvw", "wlz", "wmo", "jeugdwet")
#: The SQL models in execution order.
MODELS: tuple[str, ...] = ("landscape_a_measure_months", "landscape_care_year", "landscape_end_of_life",
                          "landscape_hospital_type", "landscape_wlz_indication")


@dataclass(frozen=True)
class LandscapeParams:
    """Parameters of the care landscape, with their documented defaults.

    Attributes
    ----------
    years : (first, last) calendar years; None = every year of the extract.
    reference_year : the year of the tables by group and region (default the last of ``years``).
    age_min, age_max : age range on 1 July (default 0–25: children and young adults).
    adult_age : first age of the adult band (default 18): bands ``age_min``–17 and 18–``age_max``.
    lookback : case-definition lookback in years (default 2, as prevalence).
    sources : LLC case-finding sources (default all four).
    windows : end-of-life windows in days before death, the day of death included (default 30, 90).
    alpha : 1 − confidence level of every interval (default 0.05).
    funnel_level : two-sided level of the funnel-plot control limits that flag a region
        (default 0.998, "three sigma"); 0.95 limits are reported beside it.
    measure_definition : versioned measure definition (``codelists/<name>.csv``).
    """

    years: tuple[int, int] | None = None
    reference_year: int | None = None
    age_min: int = 0
    age_max: int = 25
    adult_age: int = 18
    lookback: int = 2
    sources: tuple[str, ...] = SOURCES
    windows: tuple[int, ...] = (30, 90)
    alpha: float = 0.05
    funnel_level: float = 0.998
    measure_definition: str = MEASURE_DEFINITION

    def validated(self, period: tuple[int, int]) -> "LandscapeParams":
        """Check every parameter (one-line :class:`ParameterError` naming it); fill defaults."""
        case = CaseParams(years=self.years, age_min=self.age_min, age_max=self.age_max,
                          lookback=self.lookback, sources=self.sources).validated(period)
        if not case.age_min < self.adult_age <= case.age_max:
            raise ParameterError(
                f"the age range {case.age_min}-{case.age_max} must hold children and adults: need "
                f"age_min < {self.adult_age} <= age_max (adult_age {self.adult_age})")
        ref = case.years[1] if self.reference_year is None else self.reference_year
        if isinstance(ref, bool) or not isinstance(ref, (int, np.integer)) \
                or not case.years[0] <= ref <= case.years[1]:
            raise ParameterError(
                f"reference_year must be a year in {case.years[0]}-{case.years[1]}, got {self.reference_year!r}")
        windows = tuple(dict.fromkeys(self.windows))
        if not windows or any(isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not 1 <= w <= 365
                              for w in windows):
            raise ParameterError(f"windows must be whole numbers of days 1-365, got {self.windows!r}")
        if not 0 < self.alpha < 1:
            raise ParameterError(f"alpha must be between 0 and 1, got {self.alpha}")
        if not 0.5 < self.funnel_level < 1:
            raise ParameterError(f"funnel_level must be between 0.5 and 1, got {self.funnel_level}")
        return replace(self, years=case.years, reference_year=int(ref), age_min=case.age_min,
                       age_max=case.age_max, lookback=case.lookback, sources=case.sources,
                       windows=tuple(sorted(int(w) for w in windows)))

    def case_params(self) -> CaseParams:
        return CaseParams(years=self.years, age_min=self.age_min, age_max=self.age_max,
                          lookback=self.lookback, sources=self.sources)


@dataclass
class LandscapeCohort:
    """The landscape cohort as compact data frames (person level: never written or published).

    Attributes
    ----------
    cases : one row per LLC case-year: ``persoon_id, jaar, leeftijd, age_band, geslacht,
        nik_region, palliative_need, died_in_year`` and the case table's other columns.
    groups : ``persoon_id, jaar, diagnostic_group`` (a case-year can have several groups;
        children found only by other sources have ``no_llc_code``).
    care : ``persoon_id, jaar, measure, n_months, volume`` (``landscape_care_year``).
    decedents : one row per LLC decedent: ``persoon_id, death_date, jaar, age_at_death,
        age_band, nik_region``.
    end_of_life : ``persoon_id, window_days, measure, n_months, volume, in_death_month``.
    hospital : ``persoon_id, jaar, institution_type, n_months, palliative_activities``.
    months : ``persoon_id, month, measure`` for the law and ``ikz_mkv`` measures over the whole
        period (``landscape_a_measure_months``): the runs of care behind the episode tables.
    wlz_indications : ``landscape_wlz_indication`` (one row per Wlz indication of a case person).
    observed : ``persoon_id, first_month, last_month``: the first and last month the case person
        is insured and alive within the period (``mart_person``).
    measures : the measure definition (one row per component).
    params : validated parameters.
    """

    cases: pd.DataFrame
    groups: pd.DataFrame
    care: pd.DataFrame
    decedents: pd.DataFrame
    end_of_life: pd.DataFrame
    hospital: pd.DataFrame
    months: pd.DataFrame
    wlz_indications: pd.DataFrame
    observed: pd.DataFrame
    measures: pd.DataFrame
    params: LandscapeParams
    notes: list[str] = field(default_factory=list)


def validated_params(con: duckdb.DuckDBPyConnection, params: LandscapeParams | None = None) -> LandscapeParams:
    """The parameters checked against the extract period (before any work is done)."""
    p = (params or LandscapeParams()).validated(period_years(con))
    load_outcomes(p.measure_definition)  # an unknown or broken definition fails here
    return p


def completed_years(birth_ref: pd.Series, day: pd.Series) -> pd.Series:
    """Completed years between the 15th of the birth month (``birth_ref``) and ``day``."""
    b, d = pd.to_datetime(birth_ref), pd.to_datetime(day)
    before = (d.dt.month < b.dt.month) | ((d.dt.month == b.dt.month) & (d.dt.day < b.dt.day))
    return (d.dt.year - b.dt.year - before.astype(int)).clip(lower=0)


def age_bands(p: LandscapeParams) -> tuple[str, str]:
    """Labels of the child and adult age bands, e.g. ``('0-17', '18-25')``."""
    return f"{p.age_min}-{p.adult_age - 1}", f"{p.adult_age}-{p.age_max}"


def age_band(age: pd.Series, p: LandscapeParams) -> pd.Series:
    """The age band of each age (see :func:`age_bands`)."""
    child, adult = age_bands(p)
    return pd.Series(np.where(age < p.adult_age, child, adult), index=age.index)


def build_cohort(con: duckdb.DuckDBPyConnection, params: LandscapeParams | None = None,
                 progress=None) -> LandscapeCohort:
    """Find the LLC case-years and read their care, end-of-life care and hospital types.

    Parameters
    ----------
    con : warehouse connection (read-only is fine: everything is a temporary table).
    params : parameters (defaults of :class:`LandscapeParams`).
    progress : optional callable ``progress(message)`` for the steps.
    """
    say = progress or (lambda message: None)
    ensure_cohort_tables(con)
    p = validated_params(con, params)
    say("kohort: LBA-gevallen")
    table = find_cases(con, p.case_params())
    cases = table.cases[table.cases["gap"] <= p.lookback].copy()
    cases["age_band"] = age_band(cases["leeftijd"], p)
    groups = llc_groups(table)
    no_code = cases.merge(groups[["persoon_id", "jaar"]].drop_duplicates(), how="left", indicator=True,
                          on=["persoon_id", "jaar"])
    extra = no_code.loc[no_code["_merge"] == "left_only", ["persoon_id", "jaar"]].assign(
        diagnostic_group="no_llc_code")
    groups = pd.concat([groups, extra], ignore_index=True)
    definition = load_outcomes(p.measure_definition)
    models.definition_table(con, "_kpz_landscape_measures", definition)
    models.temp_table(con, "_kpz_landscape_cases", cases[["persoon_id", "jaar"]])
    person = con.execute(
        "select persoon_id, overlijdensdatum as death_date, birth_ref_date from mart_person "
        "where overlijdensdatum is not null").df()
    dead = cases.loc[cases["died_in_year"], ["persoon_id", "jaar", "nik_region"]].merge(person, on="persoon_id")
    dead = dead[pd.to_datetime(dead["death_date"]).dt.year == dead["jaar"]]
    dead["age_at_death"] = completed_years(dead["birth_ref_date"], dead["death_date"])
    dead["age_band"] = age_band(dead["age_at_death"], p)
    decedents = dead[["persoon_id", "death_date", "jaar", "age_at_death", "age_band", "nik_region"]] \
        .sort_values("persoon_id").reset_index(drop=True)
    models.temp_table(con, "_kpz_landscape_decedents", decedents[["persoon_id", "death_date"]].assign(
        death_date=pd.to_datetime(decedents["death_date"]).dt.date))
    models.temp_table(con, "_kpz_landscape_windows", pd.DataFrame({"window_days": list(p.windows)}))
    for name in MODELS:
        say(f"kohort: {name}")
        models.run_model(con, "landscape", name)
    care = con.execute("select * from landscape_care_year order by persoon_id, jaar, measure").df()
    eol = con.execute("select * from landscape_end_of_life order by persoon_id, window_days, measure").df()
    hospital = con.execute("select * from landscape_hospital_type order by persoon_id, jaar, institution_type").df()
    months = con.execute("""
        select persoon_id, month, measure from landscape_a_measure_months
        where measure like 'law\\_%' escape '\\' or measure = 'ikz_mkv'
        order by persoon_id, measure, month
    """).df()
    observed = con.execute("""
        select p.persoon_id, date_trunc('month', p.insured_from) as first_month,
            date_trunc('month', p.insured_to) as last_month
        from mart_person as p
        where p.persoon_id in (select persoon_id from _kpz_landscape_cases) and p.insured_from is not null
        order by p.persoon_id
    """).df()
    return LandscapeCohort(cases=cases.reset_index(drop=True), groups=groups, care=care, decedents=decedents,
                           end_of_life=eol, hospital=hospital, months=months,
                           wlz_indications=con.execute("select * from landscape_wlz_indication "
                                                       "order by persoon_id, begindatum").df(),
                           observed=observed,
                           measures=definition, params=p)
