"""The panel pass: the least work that builds the person-month panel (issue 18).

The bare pass (``bare.py``) is the lower bound for reading an extract. The target of the
national run is a multiple of it, but the analyses need more than one read: they read the
person-month panel (``mart_person_month``: one row per person × month × kind of care), which at
national scale holds ~220 million rows, twice the claim lines. The panel pass measures what
building that panel costs with nothing around it, so that the pipeline's figures can be read
against what its largest table needs on this engine and machine:

1. **a typed copy**: every claims file, the persons and the insured periods read once, only the
   columns the panel uses, dates and numbers typed, into a throw-away DuckDB file. No
   validation, no quarantine, no netting of credits and duplicates, no staging or core layers,
   no other marts;
2. **the panel**: the pipeline's own ``sql/marts/marts_utilisation_person_month.sql`` on that
   copy, in the same person parts and with the same memory limit as ``kpz ingest`` builds it
   (``warehouse/marts.py``, ``config.LINES_PER_PART``, ``KPZ_DUCKDB_MARTS_MEMORY_LIMIT``).
   Its rollup (``mart_persons_per_month``) is left out.

On a delivery without credit lines, duplicates or rows that validation quarantines, the panel
pass gives exactly the rows of ``mart_person_month`` (a test checks it). One pass straight from
the files, without the copy and the parts, is not a cheaper floor: at scale 1 it stopped with
"Out of Memory" under a 20 GB limit (DuckDB 2.0.1, 2026-12-02), and in four parts read straight
from the text Parquet files the first part alone took 120 s (``docs/scale.md``).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from .. import config
from ..errors import KpzError
from ..extract.manifest import read_manifest
from ..warehouse import marts
from .bare import file_sql

PANEL_SQL = config.SQL_DIR / "marts" / "marts_utilisation_person_month.sql"

_DATES = {"begindatum", "einddatum", "datum", "overlijdensdatum"}
_NUMBERS = {"bedrag", "aantal", "volume"}
#: The columns the panel reads from each file (``sql/marts/marts_utilisation_person_month.sql``,
#: and for the insured periods ``marts_person_insured_period.sql``).
COPIED: dict[str, tuple[str, ...]] = {
    "personen": ("persoon_id", "overlijdensdatum"),
    "verzekeringsperioden": ("persoon_id", "begindatum", "einddatum"),
    "dot": ("declaratie_id", "persoon_id", "instelling_type", "specialisme", "begindatum", "einddatum", "bedrag"),
    "dot_zorgactiviteiten": ("declaratie_id", "zorgactiviteit_code", "datum", "aantal"),
    "zvw_overig": ("persoon_id", "zorgsoort", "leveringsvorm", "begindatum", "einddatum", "aantal", "bedrag"),
    "wlz_declaraties": ("persoon_id", "leveringsvorm", "meerzorg", "begindatum", "einddatum", "aantal", "bedrag"),
    "wmo": ("persoon_id", "productcategorie", "leveringsvorm", "begindatum", "einddatum", "volume", "bedrag"),
    "jeugdwet": ("persoon_id", "productcategorie", "leveringsvorm", "begindatum", "einddatum", "volume", "bedrag"),
}


def _typed(column: str, stored: str) -> str:
    """SQL: one column as the panel reads it, from its stored type (``stored``, as DuckDB reads
    the file). Text is cast without a trim (the benchmark's extracts are clean); an empty text
    is no value (an open insured period)."""
    value = f"nullif({column}, '')" if stored == "VARCHAR" else column
    if column in _DATES:
        return f"cast({value} as date) as {column}"
    if column in _NUMBERS:
        return f"cast({value} as double) as {column}"
    if column == "meerzorg":  # a flag: '1' (or a typed true) is meerzorg, as staging reads it
        return f"coalesce(cast({value} as varchar) in ('1', 'true'), false) as meerzorg"
    return f"{value} as {column}"


def copy_sql(con: duckdb.DuckDBPyConnection, extract_dir: Path) -> list[str]:
    """The statements of the typed copy: one table per file, then the panel's inputs as views
    named like the warehouse tables the model reads (``core_*``, ``mart_insured_period``,
    ``mart_person``, ``meta_extract``)."""
    manifest = read_manifest(Path(extract_dir))  # a missing or malformed manifest: one-line error
    statements = []
    for table, columns in COPIED.items():
        entry = manifest.files[table]
        source = file_sql(entry.path)
        stored = {name: kind for name, kind, *_ in con.execute(f"describe select * from {source}").fetchall()}
        missing = [c for c in columns if c not in stored]
        if missing:
            raise KpzError(f"panel pass: {entry.name} has no column(s) {', '.join(missing)}")
        typed = ", ".join(_typed(c, stored[c]) for c in columns)
        statements.append(f"create table file_{table} as select {typed} from {source}")
    period = f"date '{manifest.period_start}' as period_start, date '{manifest.period_end}' as period_end"
    statements += [
        f"create table meta_extract as select {period}",
        "create view mart_person as select persoon_id from file_personen",
        # clipped to the period and to death, empty periods dropped (marts_person_insured_period.sql;
        # the panel only asks whether a month has an insured day, so periods need not be merged)
        """create view mart_insured_period as
        select v.persoon_id, greatest(v.begindatum, e.period_start) as begindatum,
            least(coalesce(v.einddatum, e.period_end), e.period_end, p.overlijdensdatum) as einddatum
        from file_verzekeringsperioden as v
        cross join meta_extract as e
        inner join file_personen as p on p.persoon_id = v.persoon_id
        where greatest(v.begindatum, e.period_start)
            <= least(coalesce(v.einddatum, e.period_end), e.period_end, p.overlijdensdatum)""",
        "create view core_dot as select * from file_dot",
        "create view core_zvw_overig as select * from file_zvw_overig",
        "create view core_wlz_declaraties as select * from file_wlz_declaraties",
        "create view core_wmo as select * from file_wmo",
        "create view core_jeugdwet as select * from file_jeugdwet",
        # an activity takes the person of its line, as core_dot_zorgactiviteiten does
        """create table core_dot_zorgactiviteiten as
        select a.declaratie_id, l.persoon_id, a.zorgactiviteit_code, a.datum, a.aantal
        from file_dot_zorgactiviteiten as a
        inner join (select distinct declaratie_id, persoon_id from file_dot) as l
            on l.declaratie_id = a.declaratie_id""",
    ]
    return statements


def build_panel(con: duckdb.DuckDBPyConnection, extract_dir: Path, progress: bool = False) -> dict:
    """Build ``mart_person_month`` in ``con`` from the extract's files: the typed copy, then the
    panel in parts. Returns the number of ``parts`` and the wall time of the two steps."""
    start = time.monotonic()
    for statement in copy_sql(con, extract_dir):
        con.execute(statement)
    copied = time.monotonic()
    config.set_memory_limit(con, config.DUCKDB_MARTS_MEMORY_LIMIT, "KPZ_DUCKDB_MARTS_MEMORY_LIMIT")
    marts.load_reference_tables(con)
    bounds = marts.part_bounds(con, marts.model_parts(con))
    marts.run_model(con, PANEL_SQL, "mart_person_month", lambda: bounds, progress=progress)
    return {"parts": len(bounds), "copy_s": round(copied - start, 1), "panel_s": round(time.monotonic() - copied, 1)}


def panel_pass(extract_dir: Path, scratch: Path, progress: bool = False) -> dict:
    """Run the panel pass into a throw-away DuckDB file ``scratch`` (removed afterwards).

    Same DuckDB settings as the pipeline (``config.configure_duckdb``; the marts' memory limit
    while the panel is built). Returns ``rows`` of the panel and :func:`build_panel`'s figures.
    """
    scratch = Path(scratch)
    files = (scratch, Path(str(scratch) + ".wal"))
    for p in files:
        p.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(scratch))
        config.configure_duckdb(con, temp_directory=scratch.with_suffix(".spill"))
        con.execute("set preserve_insertion_order = false")
        figures = build_panel(con, extract_dir, progress)
        con.execute("checkpoint")
        (rows,) = con.execute("select count(*) from mart_person_month").fetchone()
        con.close()
    except duckdb.Error as exc:
        raise KpzError(f"panel pass on {extract_dir} failed: {str(exc).splitlines()[0]}") from None
    finally:
        for p in files:
            p.unlink(missing_ok=True)
    return {"rows": int(rows)} | figures
