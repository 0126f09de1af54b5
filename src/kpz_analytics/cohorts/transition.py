"""The transition cohorts around the 18th birthday and their person-month panel.

Who is counted (``docs/transition.md``): the **transition cohort** (``llc``) holds LLC cases found
by a selected case-finding source at or before age 17½ (event month ``found_by``), whose
18th-birthday month M18 lies in the extract with ``months_before`` observable months before it,
alive and insured on the 18th birthday; the **comparison cohort** holds persons of the random
sample (everyone in a ``population`` extract) never found by a source, same rules, capped at a
seeded random subset of ``comparison_size`` persons. Months after 18 are followed while
observable and censored at death, emigration or the end of the data.

Everything is built from the marts in SQL (``sql/transition/*.sql``, executed as temporary
tables, so a read-only warehouse works): Python only loads the versioned definitions, sets the
parameters as DuckDB variables and fetches compact results.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import KpzError, ParameterError
from ..refdata import load_codelist
from . import models
from .cases import SOURCE_DEFINITIONS, SOURCES, ensure_cohort_tables, load_definition

OUTCOME_DEFINITION = "transition_outcomes_v1"
COHORTS: tuple[str, ...] = ("llc", "comparison")
#: The SQL models in execution order (each reads the ones before it).
MODELS: tuple[str, ...] = (
    "transition_cohort_candidates", "transition_cohort_months", "transition_cohort_persons",
    "transition_cohort_groups", "transition_panel_use",
)
VOLUME_MEASURES = ("volume", "n_lines", "none")
#: Outcomes whose jump at 18 is estimated by default (the report's main outcomes); every other
#: outcome gets its event-time curve, and its jump with ``rd_outcomes=None`` (all).
RD_OUTCOMES: tuple[str, ...] = (
    "any_support", "adult_successor", "jeugdwet_any", "wmo_any", "ikz_mkv", "wijkverpleging",
    "wlz_any", "respite_any", "pgb_support", "hospital_paediatric", "hospital_adult", "emergency",
    "ic_paediatric", "ic_adult", "admissions",
)
_OUTCOME_COLUMNS = ["outcome", "group", "domain", "subdomain", "financing", "volume_measure",
                    "unit", "description"]
#: Domains of mart_person_month (docs/warehouse.md) an outcome may read.
_DOMAINS = ("hospital", "hospital_activity", "zvw", "wlz", "wmo", "jeugdwet")


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class TransitionParams:
    """Parameters of the transition analysis, with their documented defaults.

    Attributes
    ----------
    months_before, months_after : the panel covers event months ``-months_before`` …
        ``months_after - 1`` (default 24 and 24: −24 … +23).
    found_by : latest event month in which a person must be found by an LLC source (default −6:
        at or before age 17½), so that selection does not depend on care after 18.
    support_window : months −support_window … −1 in which home or social support before 18 is
        looked for (default 6).
    gap_window : months 0 … gap_window − 1 in which a gap after 18 is looked for (default 12).
    gap_length : consecutive months without support that make a gap (default 3).
    rate_window : months −rate_window … −1 against 0 … rate_window − 1 for the before/after rate
        ratios, pgb and respite shares (default 12).
    comparison_size : at most this many comparison persons (seeded random subset, default 20,000).
    seed : seed of the comparison subset and of any resampling (default 1).
    sources : LLC case-finding sources (default all of ``cases.SOURCES``).
    outcomes : outcomes to estimate (default: every outcome of the definition file).
    rd_outcomes : outcomes whose discontinuity at 18 is estimated (default ``RD_OUTCOMES``, the
        main outcomes of the report, as far as they are in ``outcomes``; None = all outcomes).
        Each costs four local-linear fits (two cohorts, with and without the birthday month).
    outcome_definition : versioned outcome definition file (``codelists/<name>.csv``).
    alpha : 1 − confidence level of every interval (default 0.05).
    """

    months_before: int = 24
    months_after: int = 24
    found_by: int = -6
    support_window: int = 6
    gap_window: int = 12
    gap_length: int = 3
    rate_window: int = 12
    comparison_size: int = 20_000
    seed: int = 1
    sources: tuple[str, ...] = SOURCES
    outcomes: tuple[str, ...] | None = None
    rd_outcomes: tuple[str, ...] | None = RD_OUTCOMES
    outcome_definition: str = OUTCOME_DEFINITION
    alpha: float = 0.05

    def validated(self, period_months: int, known_outcomes: list[str]) -> "TransitionParams":
        """Check every parameter (one-line :class:`ParameterError` naming it); fill defaults."""
        ints = {f: getattr(self, f) for f in ("months_before", "months_after", "found_by",
                                               "support_window", "gap_window", "gap_length",
                                               "rate_window", "comparison_size", "seed")}
        for name, value in ints.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
        if self.months_before < 1 or self.months_after < 1:
            raise ParameterError(
                f"months_before and months_after must be at least 1, got {self.months_before} and "
                f"{self.months_after}")
        if self.months_before > period_months:
            raise ParameterError(
                f"months_before {self.months_before}: the window before 18 does not fit in the "
                f"extract period ({period_months} months)")
        if self.found_by > -1:
            raise ParameterError(f"found_by must be an event month before 18 (-1 or earlier), got {self.found_by}")
        if not 1 <= self.support_window <= self.months_before:
            raise ParameterError(
                f"support_window must be 1 to months_before ({self.months_before}), got {self.support_window}")
        if not 1 <= self.gap_window <= self.months_after:
            raise ParameterError(
                f"gap_window must be 1 to months_after ({self.months_after}), got {self.gap_window}")
        if not 1 <= self.gap_length <= self.gap_window:
            raise ParameterError(
                f"gap_length must be 1 to gap_window ({self.gap_window}) months, got {self.gap_length}")
        if not 1 <= self.rate_window <= min(self.months_before, self.months_after):
            raise ParameterError(
                f"rate_window must be 1 to {min(self.months_before, self.months_after)}, got {self.rate_window}")
        if self.comparison_size < 1:
            raise ParameterError(f"comparison_size must be at least 1, got {self.comparison_size}")
        if not 0 < self.alpha < 1:
            raise ParameterError(f"alpha must be between 0 and 1, got {self.alpha}")
        sources = tuple(dict.fromkeys(self.sources))
        unknown = [s for s in sources if s not in SOURCES]
        if not sources or unknown:
            raise ParameterError(
                f"unknown or no source {', '.join(unknown)} (known: {', '.join(SOURCES)})")
        outcomes = tuple(dict.fromkeys(self.outcomes)) if self.outcomes else tuple(known_outcomes)
        unknown = [o for o in outcomes if o not in known_outcomes]
        if unknown:
            raise ParameterError(
                f"unknown outcome {', '.join(unknown)} (known: {', '.join(known_outcomes)})")
        # the composites the gap and time-to-care estimates are defined on are always needed
        needed = [o for o in ("any_support", "adult_successor") if o not in outcomes]
        outcomes = outcomes + tuple(needed)
        if self.rd_outcomes is None:
            rd_outcomes = outcomes
        else:
            unknown = [o for o in self.rd_outcomes if o not in known_outcomes]
            if unknown:
                raise ParameterError(
                    f"unknown rd outcome {', '.join(unknown)} (known: {', '.join(known_outcomes)})")
            rd_outcomes = tuple(o for o in dict.fromkeys(self.rd_outcomes) if o in outcomes)
        return replace(self, sources=sources, outcomes=outcomes, rd_outcomes=rd_outcomes)


# --------------------------------------------------------------------------- definitions
def load_outcomes(name: str = OUTCOME_DEFINITION) -> pd.DataFrame:
    """The outcome definition ``codelists/<name>.csv``, checked.

    One row per component: ``outcome, group, domain, subdomain, financing, volume_measure, unit,
    description``; rows sharing an ``outcome`` are OR'd (any use) and summed (volume, cost).
    Empty ``subdomain``/``financing`` mean "every". Refused with the file, row and column: an
    unknown domain or volume measure, an outcome whose rows disagree on ``volume_measure``, and
    two components of one outcome that overlap (a mart row would count twice).
    """
    try:
        df = load_codelist(name)
    except KpzError:
        raise ParameterError(f"unknown outcome definition {name!r}: no codelists/{name}.csv") from None
    missing = [c for c in _OUTCOME_COLUMNS if c not in df.columns]
    if missing:
        raise KpzError(f"codelists/{name}.csv: missing column(s) {', '.join(missing)}")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if row.domain not in _DOMAINS:
            raise KpzError(f"codelists/{name}.csv row {i} column domain: unknown domain {row.domain!r}")
        if row.volume_measure not in VOLUME_MEASURES:
            raise KpzError(
                f"codelists/{name}.csv row {i} column volume_measure: {row.volume_measure!r} is not one "
                f"of {', '.join(VOLUME_MEASURES)}")
        if not row.outcome or not row.outcome.replace("_", "").isalnum():
            raise KpzError(f"codelists/{name}.csv row {i} column outcome: {row.outcome!r} is not a name")
    for outcome, rows in df.groupby("outcome", sort=False):
        if rows["volume_measure"].nunique() > 1:
            raise KpzError(f"codelists/{name}.csv: outcome {outcome!r} has different volume_measure on its rows")
        comps = list(rows[["domain", "subdomain", "financing"]].itertuples(index=False))
        for a in range(len(comps)):
            for b in range(a + 1, len(comps)):
                x, y = comps[a], comps[b]
                if x.domain == y.domain and (not x.subdomain or not y.subdomain or x.subdomain == y.subdomain) \
                        and (not x.financing or not y.financing or x.financing == y.financing):
                    raise KpzError(
                        f"codelists/{name}.csv: outcome {outcome!r} has overlapping components "
                        f"({x.domain}/{x.subdomain or '*'}/{x.financing or '*'} and "
                        f"{y.domain}/{y.subdomain or '*'}/{y.financing or '*'}): care would count twice")
    return df


def outcome_table(definition: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome: ``outcome, group, volume_measure, unit, description``."""
    return (definition.groupby("outcome", sort=False)
            .agg(group=("group", "first"), volume_measure=("volume_measure", "first"),
                 unit=("unit", "first"), description=("description", "first"))
            .reset_index())


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def found_sql(sources: tuple[str, ...] = SOURCES) -> str:
    """SQL of ``(persoon_id, found_month)``: the first observable month a selected source sees a person.

    The month-level reading of the source definitions (``codelists/source_*_v1.csv``): a
    ``mart_person_month`` criterion counts in a month with a matching row (rows exist only in
    observable months) on or after its ``valid_from``; an LLC-coded hospital line
    (``cohort_llc_diagnosis``) or a severe Wlz indication (``mart_wlz_indication``) counts in
    the first observable month it is active in. Only presence criteria (``min_value`` 1) have a
    month-level reading; any other threshold is refused.
    """
    parts = []
    for source in sources:
        definition = load_definition(SOURCE_DEFINITIONS[source])
        for crit, rows in definition.groupby("criterion", sort=False):
            first = rows.iloc[0]
            if float(first["min_value"]) != 1.0:
                raise ParameterError(
                    f"source {source}: criterion {crit!r} has min_value {first['min_value']}; "
                    "the transition cohort reads sources per month and needs presence criteria (1)")
            valid_from = first["valid_from"]
            since = f"date {_lit(valid_from)}" if valid_from else "date '0001-01-01'"
            if first["mart"] == "mart_person_month":
                conditions = " or ".join(
                    f"(domain = {_lit(r.domain)} and subdomain = {_lit(r.subdomain)})"
                    for r in rows.itertuples())
                parts.append(f"""
                    select persoon_id, month from mart_person_month
                    where ({conditions}) and month >= date_trunc('month', {since})
                """)
            elif first["mart"] in ("mart_diagnosis", "mart_wlz_indication"):
                spans = ("select persoon_id, begindatum, einddatum from cohort_llc_diagnosis"
                         if first["mart"] == "mart_diagnosis" else
                         "select persoon_id, begindatum, einddatum from mart_wlz_indication "
                         "where severe_multiple_disability")
                parts.append(f"""
                    select s.persoon_id,
                        cast(date_trunc('month', min(greatest(s.begindatum, ip.begindatum, {since})))
                             as date) as month
                    from ({spans}) as s
                    inner join mart_insured_period as ip
                        on ip.persoon_id = s.persoon_id
                        and ip.begindatum <= s.einddatum and ip.einddatum >= s.begindatum
                        and ip.einddatum >= {since} and s.einddatum >= {since}
                    group by s.persoon_id
                """)
            else:
                raise ParameterError(f"source {source}: mart {first['mart']} has no month-level reading")
    union = "\nunion all\n".join(parts)
    return f"select persoon_id, min(month) as found_month from ({union}) group by persoon_id"


# --------------------------------------------------------------------------- building
def sql_dir() -> Path:
    """Directory of the transition SQL models."""
    return models.sql_dir("transition")


def _run_model(con: duckdb.DuckDBPyConnection, name: str) -> None:
    models.run_model(con, "transition", name)


def _set_variables(con: duckdb.DuckDBPyConnection, **values: int) -> None:
    for name, value in values.items():
        con.execute(f"set variable {name} = {int(value)}")


@dataclass
class TransitionCohort:
    """The cohorts and their panel, as compact data frames.

    Attributes
    ----------
    persons : one row per cohort member (``selected``): ``persoon_id, cohort, month_18,
        found_event_month, geslacht, nik_region, followup_end, censor_reason,
        diagnostic_group`` (``no_llc_code`` / empty for comparison persons).
    grid : one row per member × observable event month −months_before … followup_end:
        ``persoon_id, cohort, event_month``.
    use : one row per member × event month × outcome with care: ``persoon_id, event_month,
        outcome, volume, cost``.
    attrition : ``cohort, step, name, description, n_persons`` (persons left after each step).
    outcomes : the outcome table (``outcome_table``) of the outcomes in the panel.
    params : the validated parameters.
    comparison_capped : whether the comparison cohort was cut to ``comparison_size``.
    """

    persons: pd.DataFrame
    grid: pd.DataFrame
    use: pd.DataFrame
    attrition: pd.DataFrame
    outcomes: pd.DataFrame
    params: TransitionParams
    comparison_capped: bool = False
    notes: list[str] = field(default_factory=list)
    # use per outcome and grid per cohort, split once for wide() (for the use and grid they were
    # split from): comparing the text columns again for each of the ~40 panels took ~11 s at
    # national scale
    _split: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def _parts(self) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        if self._split is None or self._split[0] is not self.use or self._split[1] is not self.grid:
            use = self.use[["persoon_id", "event_month", "outcome", "volume", "cost"]]
            by_outcome = {o: rows.drop(columns="outcome") for o, rows in use.groupby("outcome", sort=False)}
            by_cohort = dict(iter(self.grid.groupby("cohort", sort=False)))
            self._split = (self.use, self.grid, by_outcome, by_cohort)
        return self._split[2], self._split[3]

    def wide(self, outcome: str, cohort: str | None = None) -> pd.DataFrame:
        """The panel of one outcome: the grid with ``any`` (0/1), ``volume`` and ``cost`` (0 when no use).

        ``cost`` stays NaN for outcomes whose mart rows carry no cost (hospital activities) and
        ``volume`` for outcomes without a volume measure.
        """
        if outcome not in set(self.outcomes["outcome"]):
            raise ParameterError(f"outcome {outcome!r} is not in the panel")
        by_outcome, by_cohort = self._parts()
        grid = self.grid if cohort is None else by_cohort.get(cohort, self.grid.iloc[:0])
        use = by_outcome.get(outcome, self.use.iloc[:0][["persoon_id", "event_month", "volume", "cost"]])
        out = grid.merge(use.assign(any=1), on=["persoon_id", "event_month"], how="left")
        out["any"] = out["any"].fillna(0).astype(int)
        measure = self.outcomes.set_index("outcome").loc[outcome, "volume_measure"]
        out["volume"] = out["volume"].fillna(0.0) if measure != "none" else float("nan")
        out["cost"] = out["cost"].fillna(0.0) if use["cost"].notna().any() else float("nan")
        return out


def validated_params(con: duckdb.DuckDBPyConnection, params: TransitionParams | None = None
                     ) -> TransitionParams:
    """The parameters checked against the warehouse's period and outcome definition (defaults filled)."""
    start, end = con.execute("select period_start, period_end from meta_extract").fetchall()[0]
    period_months = (end.year - start.year) * 12 + end.month - start.month + 1
    p = params or TransitionParams()
    known = list(dict.fromkeys(load_outcomes(p.outcome_definition)["outcome"]))
    return p.validated(period_months, known)


def build_cohort(con: duckdb.DuckDBPyConnection, params: TransitionParams | None = None,
                 progress=None) -> TransitionCohort:
    """Build the transition and comparison cohorts and their panel on a warehouse connection.

    Parameters
    ----------
    con : warehouse connection (read-only is fine: everything is a temporary table).
    params : parameters (defaults of :class:`TransitionParams`).
    progress : optional callable ``progress(message)`` for the steps.

    Raises
    ------
    ParameterError
        A bad parameter, or a window that does not fit the extract period.
    KpzError
        Nobody turns 18 inside the window of the extract (says so; never an empty result).
    """
    say = progress or (lambda message: None)
    ensure_cohort_tables(con)
    p = validated_params(con, params)
    definition = load_outcomes(p.outcome_definition)
    definition = definition[definition["outcome"].isin(p.outcomes)]
    models.definition_table(con, "_kpz_transition_outcomes", definition)
    _set_variables(con, months_before=p.months_before, months_after=p.months_after,
                   found_by=p.found_by, comparison_size=p.comparison_size, seed=p.seed)
    say("kohort: bronnen per maand")
    con.execute(f"create or replace temp table _kpz_transition_found as {found_sql(p.sources)}")
    say("kohort: kandidaten")
    _run_model(con, "transition_cohort_candidates")
    (n_comparison_candidates,) = con.execute(
        "select count(*) from transition_cohort_candidates where comparison_rank is not null").fetchall()[0]
    prefix = p.comparison_size * 2 + 1000
    while True:
        _set_variables(con, comparison_prefix=prefix)
        say("kohort: verzekerde maanden en follow-up")
        for name in MODELS[1:3]:
            _run_model(con, name)
        (n_eligible,) = con.execute(
            "select count(*) from transition_cohort_persons where eligible and cohort = 'comparison'"
        ).fetchall()[0]
        if n_eligible >= p.comparison_size or prefix >= n_comparison_candidates:
            break
        prefix *= 4
    say("kohort: panel")
    for name in MODELS[3:]:
        _run_model(con, name)
    persons = con.execute("""
        select p.persoon_id, p.cohort, p.month_18, p.found_event_month, p.geslacht, p.nik_region,
            p.followup_end, p.censor_reason,
            coalesce(g.diagnostic_group, case when p.cohort = 'llc' then 'no_llc_code' end)
                as diagnostic_group
        from transition_cohort_persons as p
        left join transition_cohort_groups as g on g.persoon_id = p.persoon_id
        where p.selected
        order by p.cohort, p.persoon_id
    """).df()
    if persons.empty:
        raise KpzError(
            "nobody in this warehouse turns 18 inside the window: no person has an 18th-birthday "
            f"month in the extract period with {p.months_before} months of it before the birthday "
            "(see the attrition with a shorter --months-before)")
    grid = con.execute("""
        select m.persoon_id, p.cohort, cast(m.event_month as integer) as event_month
        from transition_cohort_months as m
        inner join transition_cohort_persons as p on p.persoon_id = m.persoon_id
        where p.selected and m.event_month <= p.followup_end
        order by p.cohort, m.persoon_id, m.event_month
    """).df()
    use = con.execute("""
        select persoon_id, cast(event_month as integer) as event_month, outcome, volume, cost
        from transition_panel_use
        order by outcome, persoon_id, event_month
    """).df()
    capped = bool(con.execute(
        "select count(*) > sum(case when selected then 1 else 0 end) "
        "from transition_cohort_persons where eligible and cohort = 'comparison'").fetchall()[0][0] or False)
    return TransitionCohort(persons=persons, grid=grid, use=use, attrition=attrition(con, p, prefix),
                            outcomes=outcome_table(definition), params=p, comparison_capped=capped)


def attrition(con: duckdb.DuckDBPyConnection, p: TransitionParams, prefix: int) -> pd.DataFrame:
    """Persons left after each step of each cohort: ``cohort, step, name, description, n_persons``.

    Needs the temporary tables of :func:`build_cohort`.
    """
    design = con.execute("select design from meta_extract").fetchall()[0][0]
    base = "everyone" if design == "population" else "persons of the random sample (in_steekproef)"
    steps = [
        ("llc", "found", "found by a selected LLC source in an observable month",
         "select count(*) from _kpz_transition_found"),
        ("llc", "m18_in_period", "18th-birthday month inside the extract period",
         "select count(*) from transition_cohort_candidates where cohort = 'llc'"),
        ("llc", "found_by_17_5", f"found at event month {p.found_by} or earlier (age 17½)",
         "select count(*) from transition_cohort_candidates where cohort = 'llc' and step_found_by"),
        ("llc", "window_in_period", f"months -{p.months_before}..-1 inside the extract period",
         "select count(*) from transition_cohort_candidates where cohort = 'llc' and step_found_by "
         "and step_window"),
        ("llc", "alive_insured_at_18", "alive and insured on the 18th birthday",
         "select count(*) from transition_cohort_candidates where cohort = 'llc' and step_found_by "
         "and step_window and step_alive_at_18"),
        ("llc", "observed_before", f"insured in every month -{p.months_before}..-1: the transition cohort",
         "select count(*) from transition_cohort_persons where cohort = 'llc' and selected"),
        ("comparison", "never_found", f"{base}, never found by a selected LLC source",
         "select count(*) from mart_person as m cross join meta_extract as e "
         "where (e.design = 'population' or coalesce(m.in_steekproef, false)) "
         "and m.persoon_id not in (select persoon_id from _kpz_transition_found)"),
        ("comparison", "m18_in_period", "18th-birthday month inside the extract period",
         "select count(*) from transition_cohort_candidates where cohort = 'comparison'"),
        ("comparison", "window_in_period", f"months -{p.months_before}..-1 inside the extract period",
         "select count(*) from transition_cohort_candidates where cohort = 'comparison' and step_window"),
        ("comparison", "alive_insured_at_18", "alive and insured on the 18th birthday",
         "select count(*) from transition_cohort_candidates where comparison_rank is not null"),
        ("comparison", "seeded_order", f"examined in the seeded random order (seed {p.seed}; first {prefix})",
         f"select count(*) from transition_cohort_candidates where comparison_rank <= {int(prefix)}"),
        ("comparison", "observed_before", f"insured in every month -{p.months_before}..-1",
         "select count(*) from transition_cohort_persons where cohort = 'comparison' and eligible"),
        ("comparison", "subset", f"at most {p.comparison_size} persons: the comparison cohort",
         "select count(*) from transition_cohort_persons where cohort = 'comparison' and selected"),
    ]
    rows = []
    for cohort, name, description, sql in steps:
        (n,) = con.execute(sql).fetchall()[0]
        rows.append(dict(cohort=cohort, step=sum(r["cohort"] == cohort for r in rows) + 1, name=name,
                         description=description, n_persons=int(n)))
    out = pd.DataFrame(rows)
    out["n_excluded"] = (out.groupby("cohort")["n_persons"].shift(1) - out["n_persons"]).astype("Int64")
    return out
