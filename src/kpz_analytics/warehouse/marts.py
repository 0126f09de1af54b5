"""Build the shared marts: what every analysis reads (never staging or core directly).

``build_marts`` loads the package's reference data into ``ref_*`` tables, then runs the SQL
models in ``sql/marts/`` and after them the case-finding layer in ``sql/cohort/``. All the set
work is SQL (one model per file, executed in file-name order, each ``create or replace table``),
so it runs out of core at national scale; Python only orchestrates and checks inputs.

File names say which table a model builds: ``sql/marts/marts_<domain>_<what>.sql`` builds
``mart_<what>`` and ``sql/cohort/<stem>.sql`` builds ``<stem>``. The domains are chosen so that
file-name order respects dependencies (``marts_person_insured_period`` before
``marts_person_person`` and ``marts_utilisation_person_month``, which read it); a test checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from tqdm import tqdm

from .. import config, refdata
from ..errors import KpzError

# mart -> grain sentence (the SQL files repeat it at the top, with the rules behind it).
MART_GRAINS: dict[str, str] = {
    "mart_insured_period": (
        "one row per person per continuous insured period (overlapping or adjacent delivered "
        "periods merged), clipped to the extract period and to death"
    ),
    "mart_person": (
        "one row per accepted person, with birth_ref_date (15th of geboortemaand), month_18, "
        "nik_region (province default, as in mart_denominator), nik_region_gemeente (municipality "
        "override) and first/last insured day"
    ),
    "mart_denominator": (
        "one row per year x age x sex x province: persons insured on 1 July (populatie), with "
        "age_group and the province's default nik_region"
    ),
    "mart_diagnosis": (
        "one row per net hospital line with an ICD-10 code, dates clipped to the extract period"
    ),
    "mart_wlz_indication": (
        "one row per accepted Wlz indication, clipped to the extract period and to death"
    ),
    "mart_person_month": (
        "one row per person x month x domain x subdomain x financing x institution_type with "
        "care in that month, only months in which the person is insured and alive on at least "
        "one day; volume and cost pro rata by days of the line in the month"
    ),
    "mart_persons_per_month": (
        "one row per month x domain with care in mart_person_month: persons with care (each "
        "counted once), their lines and cost"
    ),
}

# Tables the marts read; ingest builds them before calling build_marts.
REQUIRED_INPUTS: tuple[str, ...] = (
    "meta_extract", "core_personen", "core_verzekeringsperioden", "core_populatie", "core_dot",
    "core_dot_zorgactiviteiten", "core_zvw_overig", "core_wlz_indicaties",
    "core_wlz_declaraties", "core_wmo", "core_jeugdwet",
)


@dataclass(frozen=True)
class _Ref:
    """How one reference file is loaded: its table, key, required columns and closed sets."""

    table: str  # e.g. ref_specialismen
    source: tuple[str, str]  # ("reference" | "codelists", file stem)
    key: tuple[str, ...]
    columns: tuple[str, ...]
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    booleans: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # columns that may be absent: added as NULL


REFERENCES: tuple[_Ref, ...] = (
    _Ref(
        "ref_zorgactiviteiten", ("reference", "zorgactiviteiten"), ("zorgactiviteit_code",),
        ("zorgactiviteit_code", "category"),
        allowed={"category": (
            "ic_day_paediatric", "ic_day_adult", "emergency_visit", "outpatient_visit",
            "palliative_care", "nursing_day", "other",
        )},
    ),
    _Ref(
        "ref_productcategorieen", ("reference", "productcategorieen"), ("law", "productcategorie"),
        ("law", "productcategorie", "product_group"),
        allowed={"law": ("wmo", "jeugdwet")},
    ),
    _Ref(
        "ref_wlz_zorgprofielen", ("reference", "wlz_zorgprofielen"), ("zorgprofiel",),
        ("zorgprofiel", "grondslag", "sector", "severe_multiple_disability"),
        booleans=("severe_multiple_disability",),
    ),
    _Ref(
        "ref_specialismen", ("reference", "specialismen"), ("specialisme",),
        ("specialisme", "specialism_group"),
        allowed={"specialism_group": ("paediatrics", "adult")},
    ),
    _Ref(
        "ref_regions", ("reference", "regions"), ("provincie_code", "gemeente_code"),
        ("provincie_code", "gemeente_code", "nik_region"), optional=("gemeente_code",),
    ),
    _Ref(
        "ref_llc_fraser", ("codelists", "llc_fraser_v1"), ("code_norm",),
        ("code_norm", "diagnostic_group"),
    ),
)

_TRUE = {"true", "1", "yes", "ja", "y", "t"}
_FALSE = {"false", "0", "no", "nee", "n", "f"}


def _typed_reference(ref: _Ref, df: pd.DataFrame) -> pd.DataFrame:
    """Check a reference table read as text and type it: '' -> NULL, flags -> boolean.

    Raises KpzError naming the file, row (1 = first data row) and column of the first problem.
    """
    fname = f"{ref.source[1]}.csv"
    for col in ref.optional:
        if col not in df.columns:
            df[col] = ""
    missing = [c for c in ref.columns if c not in df.columns]
    if missing:
        raise KpzError(f"reference file {fname} lacks column(s) {', '.join(missing)}")
    for col in ref.columns:
        if col in ref.optional:
            continue
        empty = df.index[df[col].str.strip() == ""]
        if len(empty):
            raise KpzError(f"reference file {fname} row {empty[0] + 1}: column {col} is empty")
    for col, values in ref.allowed.items():
        bad = df.index[~df[col].isin(values)]
        if len(bad):
            raise KpzError(
                f"reference file {fname} row {bad[0] + 1}: column {col} has {df[col][bad[0]]!r}, "
                f"expected one of {', '.join(values)}"
            )
    dup = df.index[df.duplicated(list(ref.key), keep="first")]
    if len(dup):
        raise KpzError(
            f"reference file {fname} row {dup[0] + 1}: key ({', '.join(ref.key)}) repeats an "
            "earlier row; joins on it would count care twice"
        )
    if ref.table == "ref_regions":
        # A municipality overrides its province: it must map to one region only.
        gm = df[df["gemeente_code"] != ""]
        dup = gm.index[gm.duplicated("gemeente_code", keep="first")]
        if len(dup):
            raise KpzError(f"reference file {fname} row {dup[0] + 1}: gemeente_code repeats")
    out = df.where(df != "", None)
    for col in ref.booleans:
        lowered = df[col].str.strip().str.lower()
        bad = df.index[~lowered.isin(_TRUE | _FALSE)]
        if len(bad):
            raise KpzError(
                f"reference file {fname} row {bad[0] + 1}: column {col} has {df[col][bad[0]]!r}, "
                "expected true/false"
            )
        out[col] = lowered.isin(_TRUE).astype("boolean")
    return out


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``ref_*`` tables from the package's reference CSVs and code lists.

    Text columns stay text (codes such as '0316' keep their zeros), empty fields become NULL,
    flag columns become BOOLEAN. Keys are checked unique so a join cannot duplicate care.
    """
    for ref in REFERENCES:
        kind, name = ref.source
        raw = refdata.load_reference(name) if kind == "reference" else refdata.load_codelist(name)
        df = _typed_reference(ref, raw)
        view = f"_kpz_{ref.table}_df"
        con.register(view, df)
        try:
            con.execute(f"create or replace table {ref.table} as select * from {view}")
        finally:
            con.unregister(view)


def mart_files(sql_dir: Path | None = None) -> list[Path]:
    """The mart models in execution (file-name) order."""
    return sorted(((sql_dir or config.SQL_DIR) / "marts").glob("*.sql"))


def cohort_files(sql_dir: Path | None = None) -> list[Path]:
    """The case-finding models (``sql/cohort``, layer after the marts) in file-name order."""
    return sorted(((sql_dir or config.SQL_DIR) / "cohort").glob("*.sql"))


def mart_table_name(path: Path) -> str:
    """``marts_<domain>_<what>.sql`` -> ``mart_<what>``."""
    parts = path.stem.split("_", 2)
    if len(parts) != 3 or parts[0] != "marts" or not parts[2]:
        raise KpzError(f"{path.name}: a mart model must be named marts_<domain>_<what>.sql")
    return f"mart_{parts[2]}"


#: A model whose imports filter on ``getvariable('kpz_part_from')`` and ``…_to`` is built in
#: parts by person (see ``config.LINES_PER_PART``): part k holds the persons with
#: from_k <= persoon_id < to_k, the bounds being quantiles of ``mart_person``'s ids (an open
#: bound is NULL). Unset, the filter keeps everyone. The models write the filter as
#: ``(getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))``
#: and the same for ``_to`` with ``<``.
PART_FROM_SQL = "getvariable('kpz_part_from')"
PART_TO_SQL = "getvariable('kpz_part_to')"
CLAIMS_CORE = ("core_dot", "core_zvw_overig", "core_wlz_declaraties", "core_wmo", "core_jeugdwet")


def model_parts(con: duckdb.DuckDBPyConnection) -> int:
    """Number of person parts for the partitioned models: claim lines / ``config.LINES_PER_PART``."""
    (lines,) = con.execute("select " + " + ".join(f"(select count(*) from {t})" for t in CLAIMS_CORE)).fetchone()
    return max(1, -(-int(lines) // int(config.LINES_PER_PART)))


def part_bounds(con: duckdb.DuckDBPyConnection, parts: int) -> list[tuple[str | None, str | None]]:
    """``parts`` ranges of persoon_id, ``[from, to)``, with about as many persons in each.

    The ranges cover every string (the first is open below, the last above), so a line of a
    person missing from ``mart_person`` still falls in exactly one part. Repeated quantiles
    (few persons) are merged, so there may be fewer ranges than ``parts``.
    """
    if parts <= 1:
        return [(None, None)]
    (cuts,) = con.execute(
        "select quantile_disc(persoon_id, ?) from mart_person", [[k / parts for k in range(1, parts)]]
    ).fetchone()
    cuts = sorted({c for c in cuts or () if c is not None})
    return list(zip([None, *cuts], [*cuts, None]))


def _sql_literal(value: str | None) -> str:
    return "cast(null as varchar)" if value is None else "'" + value.replace("'", "''") + "'"


def _in_range(column: str, low: str | None, high: str | None) -> str:
    """SQL: ``low <= column < high``, an open (None) bound left out."""
    terms = [f"{column} >= {_sql_literal(low)}"] if low is not None else []
    terms += [f"{column} < {_sql_literal(high)}"] if high is not None else []
    return " and ".join(terms) or "true"


#: A model whose header holds ``-- rollup of: <table> (summed over parts: <columns>)`` is a
#: summary of that person-level table which stays exact when computed on disjoint sets of
#: persons and added up (a distinct count of persons, sums). When the table is built in parts,
#: the summary is computed on each part right after the part is written, from the part's rows
#: (a range of persoon_id: DuckDB skips the row groups of the other parts), and the parts' rows
#: are then summed per key (every other column). A distinct count over the whole table at once
#: is the expensive way: 70 s at scale 1 for mart_persons_per_month, against ~2 s per part.
#: Built in one part, the model simply runs after its table.
ROLLUP = re.compile(r"^-- rollup of: (\w+) \(summed over parts: ([\w, ]+)\)\s*$", re.M)


@dataclass(frozen=True)
class Rollup:
    """A rollup model (:data:`ROLLUP`): its file, table, source table and additive columns."""

    path: Path
    table: str
    source: str
    sums: tuple[str, ...]

    def sql_on(self, rows: str) -> str:
        """The model's query with its source table replaced by ``rows`` (comments left alone)."""
        sql = self.path.read_text(encoding="utf-8").strip().rstrip(";")
        return "\n".join(
            line if line.lstrip().startswith("--") else re.sub(rf"\b{self.source}\b", rows, line)
            for line in sql.splitlines()
        )


def rollup_of(path: Path, table: str) -> Rollup | None:
    """The :class:`Rollup` a model file declares, or None."""
    m = ROLLUP.search(path.read_text(encoding="utf-8"))
    if m is None:
        return None
    return Rollup(path, table, m.group(1), tuple(c.strip() for c in m.group(2).split(",") if c.strip()))


def _parts_table(rollup: Rollup) -> str:
    return f"_kpz_rollup_{rollup.table}"


def _checked_columns(con: duckdb.DuckDBPyConnection, rollup: Rollup, relation: str) -> list[tuple]:
    """``describe`` of the rollup's result; every column it declares summed must be there."""
    columns = con.execute(f"describe {relation}").fetchall()
    missing = [c for c in rollup.sums if c not in {name for name, *_ in columns}]
    if missing:
        raise KpzError(f"{rollup.path.name}: summed column(s) {', '.join(missing)} are not in its result")
    return columns


def _combine_parts(con: duckdb.DuckDBPyConnection, rollup: Rollup) -> None:
    """Build the rollup's table from its parts: the additive columns summed per key.

    Floating-point columns are added as fixed-point decimals, so the total does not depend on
    the order the threads add the parts in (ingest is reproducible bit for bit)."""
    parts = _parts_table(rollup)
    columns = _checked_columns(con, rollup, parts)
    items, keys = [], []
    for name, kind, *_ in columns:
        q = '"' + name.replace('"', '""') + '"'
        if name not in rollup.sums:
            items.append(q)
            keys.append(q)
        elif kind in ("DOUBLE", "FLOAT"):
            items.append(f"cast(sum(cast({q} as decimal(38, 10))) as {kind}) as {q}")
        else:
            items.append(f"cast(sum({q}) as {kind}) as {q}")
    group = f" group by {', '.join(keys)}" if keys else ""
    con.execute(f"create or replace table {rollup.table} as select {', '.join(items)} from {parts}{group}")
    con.execute(f"drop table {parts}")


def run_model(con: duckdb.DuckDBPyConnection, path: Path, table: str,
              person_parts: Callable[[], list[tuple[str | None, str | None]]],
              rollups: tuple[Rollup, ...] = (), progress: bool = True) -> bool:
    """Build ``table`` from its model (in parts when the model has the part filter).

    ``person_parts`` gives the parts' id ranges (:func:`part_bounds`); it is called only for a
    model that has the filter. The benchmark's panel pass builds the person-month panel with it.
    Returns True when it was built in parts and so also built its ``rollups``."""
    sql = path.read_text(encoding="utf-8").strip().rstrip(";")
    try:
        bounds = person_parts() if PART_FROM_SQL in sql else [(None, None)]
        in_parts = len(bounds) > 1
        built_here = rollups if in_parts else ()  # in one part, each rollup runs as its own model
        for part, (low, high) in enumerate(tqdm(
            bounds, desc=table, unit="part", disable=not (progress and in_parts), leave=False
        )):
            # Persons are disjoint between parts and every row of the model belongs to one person,
            # so the parts together are the whole table; each part's aggregate stays small.
            # The bounds go into the statement as literals: DuckDB then pushes the comparison into
            # each table scan, below the anti join of a core view. With getvariable (evaluated row
            # by row) or a hash of the id, the filter stayed above the anti join and every part
            # read and joined all 100 million lines at scale 1.
            part_sql = sql.replace(PART_FROM_SQL, _sql_literal(low)).replace(PART_TO_SQL, _sql_literal(high))
            into = f"create or replace table {table} as" if part == 0 else f"insert into {table}"
            con.execute(f"{into}\n{part_sql}")
            for rollup in built_here:
                rows = f"(select * from {table} where {_in_range('persoon_id', low, high)})"
                into_parts = (f"create or replace temp table {_parts_table(rollup)} as" if part == 0
                              else f"insert into {_parts_table(rollup)}")
                con.execute(f"{into_parts}\n{rollup.sql_on(rows)}")
        for rollup in built_here:
            _combine_parts(con, rollup)
        return in_parts
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise KpzError(f"{path.name} (table {table}) failed: {first_line}") from None


def _check_inputs(con: duckdb.DuckDBPyConnection) -> None:
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = current_schema()"
    ).fetchall()}
    missing = [t for t in REQUIRED_INPUTS if t not in tables]
    if missing:
        raise KpzError(f"cannot build marts: table(s) {', '.join(missing)} missing (run ingest first)")
    rows = con.execute("select period_start, period_end from meta_extract").fetchall()
    if len(rows) != 1 or rows[0][0] is None or rows[0][1] is None:
        raise KpzError("cannot build marts: meta_extract must hold one row with period_start and period_end")


def build_marts(con: duckdb.DuckDBPyConnection, progress: bool = True) -> None:
    """Load ``ref_*`` tables, build every ``mart_*`` table, then the ``sql/cohort`` tables.

    Parameters
    ----------
    con
        A connection holding ``meta_extract`` and the ``core_*`` tables (see docs/warehouse.md).
    progress
        Show progress bars (per table, and per part of a table built in parts), also when the
        output is a log file: at national scale the marts take minutes.

    Raises
    ------
    KpzError
        When an input table or reference file is missing or malformed, or a model fails (the
        message names the SQL file).
    """
    _check_inputs(con)
    load_reference_tables(con)
    models = [(p, mart_table_name(p)) for p in mart_files()]
    models += [(p, p.stem) for p in cohort_files()]
    # Large CREATE TABLE AS statements spill to disk more easily without insertion order.
    (previous,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    con.execute("set preserve_insertion_order = false")
    bounds: list[tuple[str | None, str | None]] = []

    def person_parts() -> list[tuple[str | None, str | None]]:
        # once per build: counting the net lines anti-joins every claims core view
        if not bounds:
            bounds.extend(part_bounds(con, model_parts(con)))
        return bounds

    rollups = [r for r in (rollup_of(p, t) for p, t in models) if r is not None]
    built_with_source: set[str] = set()
    try:
        for path, table in tqdm(models, desc="marts", unit="table", disable=not progress):
            if table in built_with_source:
                continue
            own = tuple(r for r in rollups if r.source == table)
            if run_model(con, path, table, person_parts, own, progress):
                built_with_source.update(r.table for r in own)
            for rollup in (r for r in rollups if r.table == table):
                _checked_columns(con, rollup, table)  # built in one part: the same check
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if previous else 'false'}")


def describe_marts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per mart: ``mart, grain, rows``. A missing mart is an error."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = current_schema()"
    ).fetchall()}
    rows = []
    for mart, grain in MART_GRAINS.items():
        if mart not in tables:
            raise KpzError(f"mart {mart} is missing: build the warehouse with `kpz ingest`")
        (n,) = con.execute(f"select count(*) from {mart}").fetchone()
        rows.append({"mart": mart, "grain": grain, "rows": int(n)})
    return pd.DataFrame(rows, columns=["mart", "grain", "rows"])
