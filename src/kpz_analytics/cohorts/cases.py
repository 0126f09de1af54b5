"""Case finding: who is an LLC case, and who needs palliative care, in which year.

Everything here reads the warehouse through the marts (``mart_*``), ``meta_extract`` and the
case-finding tables that ingest builds right after the marts from ``sql/cohort/*.sql``
(``cohort_llc_diagnosis``, ``cohort_llc_group_year``, ``cohort_person_year``). Which claims
count is versioned data in ``codelists/`` (``source_<name>_v1.csv``, ``palliative_need_v1.csv``),
never strings buried in code.

Definitions (documented in ``docs/prevalence.md``):

* **Source-year.** A source *sees* a person in calendar year Y when a qualifying claim of that
  source falls in Y (a line overlapping Y, an activity dated in Y, an indication active in Y)
  *and* the person is alive and insured on at least one day of Y. No lookback: this is the
  membership that capture–recapture uses.
* **LLC case in year Y** (lookback L): on the ``period`` basis (default) alive and insured on
  at least one day of Y; on the ``point`` basis alive and insured on 1 July of Y (the persons
  ``populatie`` counts); aged ``age_min``–``age_max`` on 1 July of Y (15th-of-birth-month
  convention, floored at 0), and seen by at least one of the selected sources in one of the
  years Y−L … Y.
* **Palliative need in year Y**: an LLC case in Y, seen within the lookback by one of the
  definition's own LLC sources (``llc_sources``; for ``palliative_need_v2`` the sources that
  exist in every year, so the 2023 palliative-care source cannot change who is eligible), with
  at least one marker of the definition in Y itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .. import config
from ..errors import KpzError, ParameterError
from ..refdata import load_codelist
from . import models

#: The case-finding sources, in the order used for capture–recapture tables.
SOURCES: tuple[str, ...] = ("hospital_llc_code", "palliative_activity", "ikz_mkv", "wlz_severe")
#: Versioned definition file of each source (``codelists/<name>.csv``).
SOURCE_DEFINITIONS: dict[str, str] = {s: f"source_{s}_v1" for s in SOURCES}
NEED_DEFINITION = "palliative_need_v2"
#: Definition that adds the palliative-care activities (from 2023) to NEED_DEFINITION.
NEED_PLUS_ACTIVITY = "palliative_need_plus_activity_v1"
#: Counting bases: ``period`` (alive and insured on >= 1 day of Y) or ``point`` (on 1 July of Y).
BASES = ("period", "point")
LLC_CODELIST = "llc_fraser_v1"
COHORT_TABLES: tuple[str, ...] = ("cohort_llc_diagnosis", "cohort_llc_group_year", "cohort_person_year")
AGE_GROUPS: tuple[str, ...] = ("<1", "1-4", "5-9", "10-14", "15-19", "20-24", "25+")

_MARTS = {"mart_person_month", "mart_wlz_indication", "mart_diagnosis", "mart_person"}
_MEASURES = {
    "mart_person_month": {"volume", "n_months", "n_lines"},
    "mart_wlz_indication": {"severe_multiple_disability"},
    "mart_diagnosis": {"n_lines"},
    "mart_person": {"death_in_year"},
}
_DEFINITION_COLUMNS = ["criterion", "mart", "domain", "subdomain", "codelist", "measure",
                       "min_value", "valid_from", "description"]
#: Optional column of a need definition: the LLC sources (``;``-separated) a need case must be
#: seen by within the lookback; empty or absent = the run's selected sources.
LLC_SOURCES_COLUMN = "llc_sources"


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class CaseParams:
    """Parameters of the case definitions, with their documented defaults.

    Attributes
    ----------
    years : (first, last) calendar years to report; None = every year of the extract period.
    age_min, age_max : age range on 1 July of the year (default 0–19, inclusive).
    lookback : number of preceding calendar years in which a qualifying source-year also makes
        an LLC case (default 2: a claim in Y, Y−1 or Y−2).
    sources : case-finding sources for LLC prevalence (default: all four of ``SOURCES``).
    need_definition : code-list name of the palliative-need markers (default ``palliative_need_v2``).
    basis : ``period`` (default: alive and insured on at least one day of Y; denominator the
        persons alive and insured on a day of Y) or ``point`` (alive and insured on 1 July of Y;
        denominator ``populatie``). See ``docs/prevalence.md``.
    """

    years: tuple[int, int] | None = None
    age_min: int = 0
    age_max: int = 19
    lookback: int = 2
    sources: tuple[str, ...] = SOURCES
    need_definition: str = NEED_DEFINITION
    basis: str = "period"

    def check(self) -> None:
        """Check what needs no extract (ages, lookback, sources); ``validated`` does it too.

        Raises
        ------
        ParameterError
            One line naming the parameter and its value.
        """
        self._checked_sources()

    def _checked_sources(self) -> tuple[str, ...]:
        if self.age_min < 0 or self.age_max < self.age_min:
            raise ParameterError(
                f"empty or invalid age range {self.age_min}-{self.age_max}: need 0 <= age_min <= age_max"
            )
        if self.basis not in BASES:
            raise ParameterError(f"basis must be one of {', '.join(BASES)}, got {self.basis!r}")
        if self.lookback < 0:
            raise ParameterError(f"lookback must be 0 or more years, got {self.lookback}")
        sources = tuple(dict.fromkeys(self.sources))
        if not sources:
            raise ParameterError("no case-finding sources selected")
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise ParameterError(
                f"unknown source {', '.join(unknown)} (known: {', '.join(SOURCES)})"
            )
        return sources

    def validated(self, period_years: tuple[int, int]) -> "CaseParams":
        """Check the parameters against the extract; fill in the default years."""
        sources = self._checked_sources()
        first_p, last_p = period_years
        years = self.years or (first_p, last_p)
        if years[0] > years[1]:
            raise ParameterError(f"first year {years[0]} is after last year {years[1]}")
        if years[0] < first_p or years[1] > last_p:
            raise ParameterError(
                f"years {years[0]}-{years[1]} are outside the extract period {first_p}-{last_p}"
            )
        return CaseParams(years=(int(years[0]), int(years[1])), age_min=int(self.age_min),
                          age_max=int(self.age_max), lookback=int(self.lookback),
                          sources=sources, need_definition=self.need_definition, basis=self.basis)


# --------------------------------------------------------------------------- definitions
def load_definition(name: str) -> pd.DataFrame:
    """A case-finding definition ``codelists/<name>.csv``, checked.

    Columns: ``criterion, mart, domain, subdomain, codelist, measure, min_value, valid_from,
    description``. Rows sharing a ``criterion`` are OR'd: their measure is summed over the rows
    (e.g. paediatric + adult IC days) and compared with ``min_value``.
    """
    try:
        df = load_codelist(name)
    except KpzError:
        raise ParameterError(f"unknown case definition {name!r}: no codelists/{name}.csv") from None
    missing = [c for c in _DEFINITION_COLUMNS if c not in df.columns]
    if missing:
        raise KpzError(f"codelists/{name}.csv: missing column(s) {', '.join(missing)}")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if row.mart not in _MARTS:
            raise KpzError(f"codelists/{name}.csv row {i} column mart: unknown mart {row.mart!r}")
        if row.measure not in _MEASURES[row.mart]:
            raise KpzError(
                f"codelists/{name}.csv row {i} column measure: {row.measure!r} not valid for {row.mart}"
            )
        try:
            float(row.min_value)
        except ValueError:
            raise KpzError(f"codelists/{name}.csv row {i} column min_value: not a number") from None
    thresholds = df.groupby("criterion")["min_value"].nunique()
    if (thresholds > 1).any():
        bad = thresholds[thresholds > 1].index[0]
        raise KpzError(f"codelists/{name}.csv: criterion {bad!r} has different min_value on its rows")
    df["min_value"] = df["min_value"].astype(float)
    if LLC_SOURCES_COLUMN in df.columns:
        values = set(df[LLC_SOURCES_COLUMN])
        if len(values) > 1:
            raise KpzError(f"codelists/{name}.csv column {LLC_SOURCES_COLUMN}: differs between rows")
        unknown = [x for x in definition_sources(df) if x not in SOURCES]
        if unknown:
            raise KpzError(f"codelists/{name}.csv column {LLC_SOURCES_COLUMN}: unknown source "
                           f"{', '.join(unknown)}")
    return df


def definition_sources(definition: pd.DataFrame) -> tuple[str, ...]:
    """The LLC sources a need definition requires (empty tuple: the run's selected sources)."""
    if LLC_SOURCES_COLUMN not in definition.columns or definition.empty:
        return ()
    value = str(definition[LLC_SOURCES_COLUMN].iloc[0]).strip()
    return tuple(x.strip() for x in value.split(";") if x.strip())


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _criterion_sql(crit: str, rows: pd.DataFrame, min_value: float | None = None) -> str:
    """SQL selecting (persoon_id, jaar, criterion) for the person-years meeting one criterion
    (whether the person is alive and insured that year is checked by :func:`criteria_sql`)."""
    first = rows.iloc[0]
    mart, measure = first["mart"], first["measure"]
    threshold = float(first["min_value"] if min_value is None else min_value)
    valid_from = first["valid_from"]
    date_filter = f"and {{col}} >= date '{valid_from}'" if valid_from else ""
    if mart == "mart_person_month":
        conditions = " or ".join(
            f"(domain = '{r.domain}' and subdomain = '{r.subdomain}')" for r in rows.itertuples()
        )
        agg = {"volume": "sum(volume)", "n_months": "count(distinct month)",
               "n_lines": "sum(n_lines)"}[measure]
        inner = f"""
            select persoon_id, cast(year(month) as integer) as jaar, {agg} as value
            from mart_person_month
            where ({conditions}) {date_filter.format(col='month')}
            group by persoon_id, jaar
        """
    elif mart == "mart_wlz_indication":
        inner = f"""
            select persoon_id, cast(unnest(generate_series(year(b), year(e))) as integer) as jaar,
                1 as value
            from (
                select persoon_id, greatest(begindatum, p.period_start) as b,
                    least(einddatum, p.period_end) as e
                from mart_wlz_indication cross join meta_extract as p
                where severe_multiple_disability {date_filter.format(col='einddatum')}
            )
            where b <= e
        """
        inner = f"select persoon_id, jaar, max(value) as value from ({inner}) group by persoon_id, jaar"
    elif mart == "mart_diagnosis":
        codelist = first["codelist"]
        if codelist != LLC_CODELIST:
            raise ParameterError(
                f"criterion {crit!r}: code list {codelist!r} is not loaded in the warehouse "
                f"(only {LLC_CODELIST} is, as ref_llc_fraser)"
            )
        inner = """
            select g.persoon_id, g.jaar, sum(g.n_lines) as value
            from cohort_llc_group_year as g
            group by g.persoon_id, g.jaar
        """
    else:  # mart_person: death in the year
        inner = """
            select persoon_id, jaar, 1 as value from cohort_person_year where died_in_year
        """
    return f"""
        select c.persoon_id, c.jaar, '{crit}' as criterion
        from ({inner}) as c
        where c.value >= {threshold}
    """


def criteria_sql(definition: pd.DataFrame, thresholds: dict[str, float] | None = None) -> str:
    """Union of the person-years meeting each criterion of a definition (distinct rows).

    Only person-years in which the person is alive and insured (``cohort_person_year``) count.
    The criteria are united first and checked against the person-years once: joined per
    criterion, every criterion probed the ~70 million person-years at national scale.
    """
    thresholds = thresholds or {}
    parts = [
        _criterion_sql(crit, rows, thresholds.get(crit))
        for crit, rows in definition.groupby("criterion", sort=False)
    ]
    union = "\nunion all\n".join(parts)
    return f"""
        select distinct c.persoon_id, c.jaar, c.criterion
        from ({union}) as c
        semi join cohort_person_year as py on py.persoon_id = c.persoon_id and py.jaar = c.jaar
    """


# --------------------------------------------------------------------------- cohort tables
def cohort_sql_files(sql_dir: Path | None = None) -> list[Path]:
    """The case-finding SQL models ``sql/cohort/*.sql`` in execution (file-name) order."""
    directory = (sql_dir or config.SQL_DIR) / "cohort"
    files = sorted(directory.glob("cohort_*.sql"))
    if not files:
        raise KpzError(f"no case-finding SQL in {directory}")
    return files


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}


def build_cohort_tables(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> list[str]:
    """Build the case-finding tables from ``sql/cohort/*.sql`` (needs the marts and ref tables).

    The files are executed in dependency order (a file whose table another reads runs first;
    otherwise file-name order) as ``create or replace [temp] table <stem> as <sql>``.
    ``temporary=True`` builds them as temporary tables, which works on a read-only warehouse
    built before these tables existed.
    """
    files = cohort_sql_files()
    stems = [f.stem for f in files]
    texts = {f.stem: f.read_text(encoding="utf-8") for f in files}
    ordered: list[str] = []

    def visit(stem: str, seen: tuple[str, ...] = ()) -> None:
        if stem in ordered:
            return
        if stem in seen:
            raise KpzError(f"sql/cohort: circular dependency through {stem}")
        for other in stems:
            if other != stem and other in texts[stem]:
                visit(other, seen + (stem,))
        ordered.append(stem)

    for stem in stems:
        visit(stem)
    kind = "temp table" if temporary else "table"
    for stem in ordered:
        try:
            con.execute(f"create or replace {kind} {stem} as {texts[stem]}")
        except duckdb.Error as exc:
            raise KpzError(f"sql/cohort/{stem}.sql failed: {exc}") from None
    return ordered


def ensure_cohort_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Build the cohort tables as temporary tables when the warehouse does not have them."""
    present = _tables(con)
    needed = {"meta_extract", "mart_person", "mart_insured_period", "mart_person_month",
              "mart_diagnosis", "mart_wlz_indication", "mart_denominator"}
    missing = sorted(needed - present)
    if missing:
        raise KpzError(f"warehouse lacks {', '.join(missing)}: rebuild it with `kpz ingest`")
    if not set(COHORT_TABLES) <= present:
        build_cohort_tables(con, temporary=True)
        return
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'cohort_person_year'").fetchall()}
    if "insured_1july" not in columns:  # built before the point-prevalence basis existed
        build_cohort_tables(con, temporary=True)


def period_years(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """First and last calendar year of the extract period (``meta_extract``)."""
    start, end = con.execute("select period_start, period_end from meta_extract").fetchone()
    return pd.Timestamp(start).year, pd.Timestamp(end).year


# --------------------------------------------------------------------------- case finding
@dataclass
class CaseTable:
    """Person-year case table and what produced it.

    Attributes
    ----------
    cases : one row per person × year who is an LLC case in the year under ``params``, columns
        ``persoon_id, jaar, leeftijd, age_group, geslacht, provincie_code, nik_region,
        in_steekproef, insured_1july, under18_in_year, died_in_year, gap`` (years since the
        latest source-year of a selected source, 0…lookback),
        ``src_<source>`` (0/1: seen by the source in the year itself, every source in ``SOURCES``),
        ``last_<source>`` (latest year the source saw the person within the window, or NaN),
        ``in_year`` (seen by a selected source in the year itself), ``need_gap`` (years since
        the latest source-year of the need definition's own LLC sources), ``need_base``
        (``need_gap <= lookback``), ``mk_<marker>`` (0/1) and ``palliative_need`` (bool: a
        marker and ``need_base``).
    groups : one row per case-year × diagnostic group with an LLC-coded line within the
        largest lookback kept (``persoon_id, jaar, diagnostic_group, gap``: years since the
        group's latest line); use :func:`llc_groups` for the groups within the lookback.
    params : the validated parameters.
    markers : marker names of the need definition.
    """

    cases: pd.DataFrame
    groups: pd.DataFrame
    params: CaseParams
    markers: list[str] = field(default_factory=list)


def source_year_sql(sources=SOURCES) -> str:
    """Person-years seen by each source (``persoon_id, jaar, criterion``), alive and insured."""
    definition = pd.concat([load_definition(SOURCE_DEFINITIONS[s]) for s in sources],
                           ignore_index=True)
    return criteria_sql(definition)


def find_cases(con: duckdb.DuckDBPyConnection, params: CaseParams | None = None,
               max_lookback: int | None = None) -> CaseTable:
    """Find the LLC cases and their palliative-need markers, per person-year.

    Parameters
    ----------
    con : warehouse connection (marts; cohort tables are built as temp tables when absent).
    params : case parameters (defaults: all years, ages 0–19, lookback 2, all sources).
    max_lookback : keep person-years up to this many years since the latest source-year (default
        ``params.lookback``); a larger value lets one call serve several lookbacks (filter
        ``gap <= L``). Palliative-need flags are always relative to the row's own year.

    Returns
    -------
    CaseTable
    """
    ensure_cohort_tables(con)
    p = (params or CaseParams()).validated(period_years(con))
    keep_gap = p.lookback if max_lookback is None else max(max_lookback, p.lookback)
    need = load_definition(p.need_definition)
    markers = list(dict.fromkeys(need["criterion"]))
    first, last = p.years
    src_sql = source_year_sql(SOURCES)
    selected = _sql_list(p.sources)
    models.derived_table(con, "_kpz_source_year", src_sql)
    models.derived_table(con, "_kpz_marker_year", criteria_sql(need))
    src_flags = ",\n".join(
        f"cast(bool_or(s.jaar = py.jaar and s.criterion = '{s}') as integer) as src_{s},\n"
        f"max(s.jaar) filter (where s.criterion = '{s}') as last_{s}"
        for s in SOURCES
    )
    on_basis = "and insured_1july" if p.basis == "point" else ""
    cases = con.execute(f"""
        with person_years as (
            -- only persons some source has seen: the joins below then stay small (a semi join
            -- probes the person-years once; two joins with all of them had probed them twice)
            select * from cohort_person_year
            where jaar between {first} and {last} and leeftijd between {p.age_min} and {p.age_max}
                {on_basis}
                and persoon_id in (select persoon_id from _kpz_source_year)
        ),
        seen as (
            select py.persoon_id, py.jaar, py.jaar - max(s.jaar) filter (where s.criterion in ({selected})) as gap,
                {src_flags}
            from person_years as py
            inner join _kpz_source_year as s
                on s.persoon_id = py.persoon_id and s.jaar <= py.jaar and s.jaar >= py.jaar - {keep_gap}
            group by py.persoon_id, py.jaar
        )
        select py.persoon_id, py.jaar, py.leeftijd, py.age_group, py.geslacht, py.provincie_code,
            py.nik_region, py.in_steekproef, py.insured_1july, py.under18_in_year, py.died_in_year,
            s.* exclude (persoon_id, jaar)
        from person_years as py
        inner join seen as s on s.persoon_id = py.persoon_id and s.jaar = py.jaar
        where s.gap is not null
        order by py.jaar, py.persoon_id
    """).df()
    cases["in_year"] = (cases["gap"] == 0)
    for s in SOURCES:
        cases[f"last_{s}"] = cases[f"last_{s}"].astype(float)
    cases["need_gap"] = _gap_over(cases, definition_sources(need) or p.sources)
    cases["need_base"] = cases["need_gap"] <= p.lookback
    marks = con.execute(f"""
        select m.persoon_id, m.jaar, m.criterion
        from _kpz_marker_year as m
        where m.jaar between {first} and {last}
    """).df()
    for marker in markers:
        hit = marks.loc[marks["criterion"] == marker, ["persoon_id", "jaar"]].assign(_hit=1)
        cases = cases.merge(hit, on=["persoon_id", "jaar"], how="left")
        cases[f"mk_{marker}"] = cases.pop("_hit").fillna(0).astype(int)
    mk_cols = [f"mk_{m}" for m in markers]
    any_marker = cases[mk_cols].sum(axis=1) > 0 if mk_cols else False
    cases["palliative_need"] = any_marker & cases["need_base"]
    cases["gap"] = cases["gap"].astype(int)
    for s in SOURCES:
        cases[f"src_{s}"] = cases[f"src_{s}"].astype(int)
    cases["died_in_year"] = cases["died_in_year"].astype(bool)
    cases["insured_1july"] = cases["insured_1july"].astype(bool)
    groups = con.execute(f"""
        select py.persoon_id, py.jaar, g.diagnostic_group, py.jaar - max(g.jaar) as gap
        from cohort_person_year as py
        inner join cohort_llc_group_year as g
            on g.persoon_id = py.persoon_id and g.jaar <= py.jaar and g.jaar >= py.jaar - {keep_gap}
        inner join cohort_person_year as gy
            on gy.persoon_id = g.persoon_id and gy.jaar = g.jaar
        where py.jaar between {first} and {last}
        group by py.persoon_id, py.jaar, g.diagnostic_group
        order by py.jaar, py.persoon_id, g.diagnostic_group
    """).df()
    # groups: keep the window per row's own lookback; filtered against the case rows by callers
    groups = groups.merge(cases[["persoon_id", "jaar"]], on=["persoon_id", "jaar"], how="inner")
    return CaseTable(cases=cases, groups=groups, params=p, markers=markers)


def llc_cases(table: CaseTable, lookback: int | None = None) -> pd.DataFrame:
    """The LLC case-years under a lookback (default the table's own)."""
    lookback = table.params.lookback if lookback is None else lookback
    return table.cases[table.cases["gap"] <= lookback]


def _gap_over(cases: pd.DataFrame, sources) -> pd.Series:
    """Years since the latest source-year of any of ``sources`` (NaN: none within the window)."""
    cols = [f"last_{s}" for s in sources if f"last_{s}" in cases.columns]
    if not cols:
        return pd.Series(np.nan, index=cases.index)
    return cases["jaar"] - cases[cols].max(axis=1)


def need_cases(table: CaseTable, lookback: int | None = None) -> pd.DataFrame:
    """The palliative-need case-years (primary definition) under a lookback (default the table's).

    A need case is an LLC case under the lookback, seen by one of the definition's LLC sources
    within the same lookback, with a marker in the year.
    """
    lookback = table.params.lookback if lookback is None else lookback
    cases = llc_cases(table, lookback)
    mk = [f"mk_{m}" for m in table.markers]
    any_marker = cases[mk].sum(axis=1) > 0 if mk else pd.Series(False, index=cases.index)
    return cases[any_marker & (cases["need_gap"] <= lookback)]


def need_flags(con: duckdb.DuckDBPyConnection, table: CaseTable, definition: str,
               lookback: int | None = None) -> pd.Series:
    """Palliative-need flags of another need ``definition`` for the case-years of ``table``.

    Same rule as the table's own definition: an LLC case (under ``lookback``, default the
    table's), seen within the lookback by one of the definition's LLC sources (``llc_sources``;
    empty = the run's sources), with a marker of ``definition`` in the year (markers carry their
    own ``valid_from``). Returns a boolean Series aligned with ``table.cases``.
    """
    lookback = table.params.lookback if lookback is None else lookback
    d = load_definition(definition)
    first, last = table.params.years
    criteria = criteria_sql(d)
    table_name = "_kpz_criteria_" + hashlib.sha256(criteria.encode("utf-8")).hexdigest()[:16]
    models.derived_table(con, table_name, criteria)
    marks = con.execute(f"""
        select distinct persoon_id, jaar from {table_name} where jaar between {first} and {last}
    """).df().assign(_hit=True)
    cases = table.cases
    hit = cases[["persoon_id", "jaar"]].merge(marks, on=["persoon_id", "jaar"], how="left")["_hit"]
    hit = hit.eq(True).to_numpy()
    base = (_gap_over(cases, definition_sources(d) or table.params.sources) <= lookback).to_numpy()
    return pd.Series(hit & base & (cases["gap"] <= lookback).to_numpy(), index=cases.index)


def llc_groups(table: CaseTable) -> pd.DataFrame:
    """Diagnostic groups of the LLC case-years within the table's lookback window.

    A group counts for year Y when an LLC-coded line of that group falls in Y−L … Y (in a year
    the person was alive and insured).
    """
    return _groups_within(table, table.params.lookback)


def _groups_within(table: CaseTable, lookback: int) -> pd.DataFrame:
    cases = llc_cases(table, lookback)[["persoon_id", "jaar"]]
    groups = table.groups[table.groups["gap"] <= lookback]
    return groups.merge(cases, on=["persoon_id", "jaar"], how="inner")[
        ["persoon_id", "jaar", "diagnostic_group"]]


def attrition(con: duckdb.DuckDBPyConnection, table: CaseTable) -> pd.DataFrame:
    """Persons and rows at each step of each case definition.

    Returns one row per step: ``definition, step, description, n_rows, n_persons``. Rows are
    claims lines for the first steps and person-years afterwards (``unit`` says which).
    """
    p = table.params
    first, last = p.years
    out: list[dict] = []

    def add(definition, step, description, unit, sql=None, frame=None):
        if sql is not None:
            n_rows, n_persons = con.execute(
                f"select count(*), count(distinct persoon_id) from ({sql})").fetchone()
        else:
            n_rows, n_persons = len(frame), frame["persoon_id"].nunique()
        out.append(dict(definition=definition, step=len([o for o in out if o["definition"] == definition]) + 1,
                        name=step, description=description, unit=unit,
                        n_rows=int(n_rows), n_persons=int(n_persons)))

    llc = f"llc ({', '.join(p.sources)}; lookback {p.lookback})"
    add(llc, "hospital_lines_icd10", "hospital lines with an ICD-10 code (mart_diagnosis)", "lines",
        "select persoon_id from mart_diagnosis where icd10_norm is not null")
    add(llc, "hospital_lines_llc", f"... of which on the LLC list {LLC_CODELIST}", "lines",
        "select persoon_id from cohort_llc_diagnosis")
    for s in p.sources:
        add(llc, f"source_{s}", f"person-years seen by source {s} (alive and insured, any year)",
            "person-years", f"select persoon_id from _kpz_source_year where criterion = '{s}'")
    add(llc, "any_source", "person-years seen by any selected source (alive and insured)",
        "person-years",
        f"select distinct persoon_id, jaar from _kpz_source_year where criterion in ({_sql_list(p.sources)})")
    add(llc, "alive_insured_years",
        f"alive and insured in a year {first}-{last} with a source-year in the {p.lookback} preceding years or the year itself",
        "person-years",
        f"""select distinct py.persoon_id, py.jaar from cohort_person_year as py
            inner join _kpz_source_year as s on s.persoon_id = py.persoon_id
              and s.jaar between py.jaar - {p.lookback} and py.jaar
              and s.criterion in ({_sql_list(p.sources)})
            where py.jaar between {first} and {last}""")
    cases = llc_cases(table)
    add(llc, "age_range", f"aged {p.age_min}-{p.age_max} on 1 July: LLC cases", "person-years",
        frame=cases)
    need = f"palliative_need ({p.need_definition})"
    need_sources = definition_sources(load_definition(p.need_definition)) or p.sources
    add(need, "llc_cases", "LLC cases (as above)", "person-years", frame=cases)
    base = cases[cases["need_gap"] <= p.lookback]
    add(need, "need_sources", f"... seen by {', '.join(need_sources)} within the lookback",
        "person-years", frame=base)
    for marker in table.markers:
        add(need, f"marker_{marker}", f"... with marker {marker} in the year", "person-years",
            frame=base[base[f"mk_{marker}"] == 1])
    add(need, "any_marker", "... with at least one marker in the year: palliative need (flagged)",
        "person-years", frame=need_cases(table))
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- other groupings and lists
GROUP_VARIANTS = "llc_group_variants_v1"
CCC_CODELIST = "ccc_feudtner_v1"


def group_variants() -> pd.DataFrame:
    """Alternative diagnostic-group placements (``codelists/llc_group_variants_v1.csv``)."""
    return load_codelist(GROUP_VARIANTS)


def llc_groups_variant(con: duckdb.DuckDBPyConnection, table: CaseTable, variant: str) -> pd.DataFrame:
    """Diagnostic groups of the LLC case-years (as :func:`llc_groups`) with a group variant applied.

    Every LLC-coded line whose matched ``llc_fraser_v1`` code (``code_norm``) is listed for
    ``variant`` in ``llc_group_variants_v1.csv`` counts in the listed group instead of its
    chapter group (e.g. ``e84_respiratory``: cystic fibrosis under respiratory).
    """
    v = group_variants()
    v = v[v["variant"] == variant]
    if v.empty:
        known = ", ".join(sorted(set(group_variants()["variant"])))
        raise ParameterError(f"unknown diagnostic-group variant {variant!r} (known: {known})")
    p = table.params
    lookback = p.lookback
    first, last = p.years
    con.execute("create or replace temp table _kpz_group_variant as select unnest(?::varchar[]) as code_norm, "
                "unnest(?::varchar[]) as diagnostic_group",
                [v["code_norm"].tolist(), v["diagnostic_group"].tolist()])
    try:
        groups = con.execute(f"""
            with lines as (
                select d.persoon_id, d.declaratie_id,
                    coalesce(v.diagnostic_group, d.diagnostic_group) as diagnostic_group,
                    greatest(d.begindatum, m.period_start) as start_date,
                    least(d.einddatum, m.period_end) as end_date
                from cohort_llc_diagnosis as d
                cross join meta_extract as m
                left join _kpz_group_variant as v on v.code_norm = d.code_norm
            ),
            line_years as (
                select distinct persoon_id, diagnostic_group,
                    cast(unnest(generate_series(year(start_date), year(end_date))) as integer) as jaar
                from lines where start_date <= end_date
            )
            select py.persoon_id, py.jaar, g.diagnostic_group
            from cohort_person_year as py
            inner join line_years as g
                on g.persoon_id = py.persoon_id and g.jaar <= py.jaar and g.jaar >= py.jaar - {lookback}
            inner join cohort_person_year as gy on gy.persoon_id = g.persoon_id and gy.jaar = g.jaar
            where py.jaar between {first} and {last}
            group by py.persoon_id, py.jaar, g.diagnostic_group
        """).df()
    finally:
        con.execute("drop table if exists _kpz_group_variant")
    cases = llc_cases(table)[["persoon_id", "jaar"]]
    return groups.merge(cases, on=["persoon_id", "jaar"], how="inner")[
        ["persoon_id", "jaar", "diagnostic_group"]].sort_values(
        ["jaar", "persoon_id", "diagnostic_group"]).reset_index(drop=True)


def codelist_case_years(con: duckdb.DuckDBPyConnection, params: CaseParams,
                        codelist: str = CCC_CODELIST) -> pd.DataFrame:
    """Case-years of an alternative diagnosis code list (default Feudtner's CCC v2, ECHILD rendering).

    A case in year Y: on the run's basis alive and insured (a day of Y, or 1 July), aged
    ``age_min``–``age_max`` on 1 July, with a net hospital line whose ICD-10 code starts with a
    code of ``codelist`` overlapping one of the years Y−L … Y in which the person was alive and
    insured — the rule of the ``hospital_llc_code`` source, with another list. Returns
    ``persoon_id, jaar`` (one row per case-year).
    """
    ensure_cohort_tables(con)
    p = params.validated(period_years(con))
    codes = load_codelist(codelist)
    if "code_norm" not in codes.columns:
        raise KpzError(f"codelists/{codelist}.csv has no code_norm column")
    con.execute("create or replace temp table _kpz_codes as select distinct unnest(?::varchar[]) as code_norm",
                [codes["code_norm"].tolist()])
    # A line matches a code it starts with: an equality join on the line's prefix of each code
    # length in the list (a join on starts_with compared every line with every code, a nested
    # loop that took a minute on a national extract).
    lengths = sorted({len(str(c)) for c in codes["code_norm"]})
    first, last = p.years
    on_basis = "and insured_1july" if p.basis == "point" else ""
    try:
        return con.execute(f"""
            with prefixes as (
                select d.persoon_id, d.declaratie_id, d.begindatum, d.einddatum,
                    left(d.icd10_norm, n.code_length) as prefix
                from mart_diagnosis as d
                cross join (select unnest(?::integer[]) as code_length) as n
                where d.icd10_norm is not null and length(d.icd10_norm) >= n.code_length
            ),
            lines as (
                select distinct d.persoon_id, d.declaratie_id,
                    greatest(d.begindatum, m.period_start) as start_date,
                    least(d.einddatum, m.period_end) as end_date
                from prefixes as d
                cross join meta_extract as m
                inner join _kpz_codes as c on c.code_norm = d.prefix
            ),
            line_years as (
                select distinct persoon_id,
                    cast(unnest(generate_series(year(start_date), year(end_date))) as integer) as jaar
                from lines where start_date <= end_date
            ),
            seen as (
                select l.persoon_id, l.jaar from line_years as l
                inner join cohort_person_year as gy on gy.persoon_id = l.persoon_id and gy.jaar = l.jaar
            )
            select distinct py.persoon_id, py.jaar
            from cohort_person_year as py
            inner join seen as s
                on s.persoon_id = py.persoon_id and s.jaar <= py.jaar and s.jaar >= py.jaar - {p.lookback}
            where py.jaar between {first} and {last}
                and py.leeftijd between {p.age_min} and {p.age_max} {on_basis}
            order by py.jaar, py.persoon_id
        """, [lengths]).df()
    finally:
        con.execute("drop table if exists _kpz_codes")
