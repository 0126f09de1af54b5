"""`kpz ingest`: turn one spec-v1 extract into one DuckDB warehouse.

Steps (``docs/ingest.md``, ``docs/warehouse.md``):

1. manifest and file checks (``extract.manifest``): any file-level problem refuses the extract;
2. every file read as text (``extract.readers``) and every row validated in SQL (``extract.rows``);
   bad rows go to ``quarantine`` with one reason; a file with more than ``max_bad_share`` bad
   rows stops the run (:class:`~kpz_analytics.errors.TooManyBadRows`);
3. staging (``sql/staging``) and core (``sql/core``) models, ``meta_extract``, the dq tables
   (``dq.py``), then the marts (``marts.build_marts``).

The warehouse is built in a temporary file next to the target and moved into place with
``os.replace`` only when everything succeeded, so a failed or interrupted run never leaves a
half-written warehouse and re-running simply replaces the previous one. Raw text tables live
in a separate scratch database that is deleted afterwards, so the warehouse holds no copy of
the delivery as text.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from tqdm.auto import tqdm

from .. import __version__, config, provenance
from ..errors import ExtractRefused, KpzError, TooManyBadRows
from ..extract import spec
from ..extract.manifest import Manifest, check_files, read_manifest
from ..extract.readers import load_raw
from ..extract.rows import validate_table
from . import dq

SCRATCH = "scratch"
LAYERS = (("staging", "stg"), ("core", "core"))


@dataclass
class IngestResult:
    """What an ingest produced. The data frames are copies of the warehouse's dq tables."""

    warehouse: Path
    extract_id: str
    dq_summary: pd.DataFrame
    quarantine_by_reason: pd.DataFrame
    extensions: pd.DataFrame


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def model_table(sql_file: Path, prefix: str) -> str:
    """Table a model file builds: ``<layer>_<domain>_<what>.sql`` → ``<prefix>_<what>``.

    Domains contain no underscore, so ``staging_hospital_dot_zorgactiviteiten.sql`` builds
    ``stg_dot_zorgactiviteiten``.
    """
    parts = sql_file.stem.split("_", 2)
    if len(parts) != 3:
        raise KpzError(f"{sql_file}: model files are named <layer>_<domain>_<what>.sql")
    return f"{prefix}_{parts[2]}"


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared SQL macros (``sql/macros/*.sql``, e.g. ``net_claim_lines``) the models use."""
    for path in sorted((Path(config.SQL_DIR) / "macros").glob("*.sql")):
        try:
            con.execute(path.read_text(encoding="utf-8"))
        except duckdb.Error as exc:
            raise KpzError(f"{path.name}: defining macro failed: {str(exc).splitlines()[0]}") from exc


def run_models(con: duckdb.DuckDBPyConnection, layer: str, prefix: str, progress: bool = False) -> list[str]:
    """Execute ``sql/<layer>/*.sql`` in file-name order, each as ``create table <model> as``."""
    directory = Path(config.SQL_DIR) / layer
    files = sorted(directory.glob("*.sql"))
    built = []
    for path in tqdm(files, desc=layer, unit="table", disable=not progress, leave=False):
        table = model_table(path, prefix)
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        try:
            con.execute(f"create or replace table {table} as\n{sql}")
        except duckdb.Error as exc:
            raise KpzError(f"{path.name}: building {table} failed: {str(exc).splitlines()[0]}") from exc
        built.append(table)
    expected = {f"{prefix}_{t}" for t in spec.TABLES}
    missing = sorted(expected - set(built))
    if missing:
        raise KpzError(f"{directory}: no model builds {', '.join(missing)}")
    return built


def _write_meta(con: duckdb.DuckDBPyConnection, m: Manifest) -> None:
    con.execute(
        """create or replace table meta_extract (
            extract_id varchar, spec_version varchar, period_start date, period_end date, design varchar,
            sample_fraction double, manifest_sha256 varchar, ingested_at timestamp with time zone,
            package_version varchar, git_commit varchar)"""
    )
    con.execute(
        "insert into meta_extract values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            m.extract_id, m.spec_version, m.period_start, m.period_end, m.design, m.sample_fraction,
            m.sha256, dt.datetime.now(dt.timezone.utc), __version__, provenance.git_commit(),
        ],
    )


def _check_share(file: str, rows_in: int, bad: int, max_bad_share: float, con, schema: str, table: str) -> None:
    if rows_in == 0 or bad / rows_in <= max_bad_share:
        return
    reasons = con.execute(
        f"""select issue.reason, count(*) as n from {schema}.bad_{table}
        group by 1 order by n desc, 1 limit 3"""
    ).fetchall()
    main = ", ".join(f"{r} {n}" for r, n in reasons)
    raise TooManyBadRows(
        f"{file}: {bad} of {rows_in} rows ({bad / rows_in:.1%}) are bad, more than the allowed "
        f"{max_bad_share:.1%} (main reasons: {main}); see --max-bad-share"
    )


def _remove(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _print_tables(summary: pd.DataFrame, by_reason: pd.DataFrame, extensions: pd.DataFrame) -> None:
    print("\ndata quality per file (dq_summary):")
    print(summary.to_string(index=False))
    if len(by_reason):
        print("\nquarantined rows by reason (dq_quarantine_by_reason):")
        print(by_reason.to_string(index=False))
    else:
        print("\nno rows quarantined")
    if len(extensions):
        print("\nextensions, not known to spec v1 (reported, ignored):")
        print(extensions.to_string(index=False))


def _build(con: duckdb.DuckDBPyConnection, m: Manifest, max_bad_share: float, progress: bool,
           with_marts: bool = True):
    con.execute(
        "create table quarantine (file varchar, row_number bigint, column_name varchar, reason varchar, detail varchar)"
    )
    files, rows_in, bad, extensions = {}, {}, {}, []
    for name in m.extension_files:
        extensions.append((name, None))
    with tqdm(list(m.files.values()), desc="ingest", unit="file", disable=not progress) as bar:
        for entry in bar:
            bar.set_postfix_str(entry.name)
            raw = load_raw(con, entry, SCRATCH)
            extensions.extend((entry.name, c) for c in raw.extensions)
            n_header = None
            if entry.fmt == "csv":
                n_header = len(spec.TABLES[entry.table].columns) + len(raw.extensions)
            try:
                n, n_bad = validate_table(
                    con, entry.table, entry.name, SCRATCH, (m.period_start, m.period_end), n_header, raw.rows
                )
            except duckdb.Error as exc:  # e.g. a damaged Parquet page met while reading the rows
                raise ExtractRefused(
                    f"{entry.name}: cannot be read as {entry.fmt}: {str(exc).strip().splitlines()[0]}"
                ) from None
            _check_share(entry.name, n, n_bad, max_bad_share, con, SCRATCH, entry.table)
            files[entry.table], rows_in[entry.table], bad[entry.table] = entry.name, n, n_bad
            con.execute(
                f"create or replace temp view accepted_{entry.table} as "
                f"select * from {SCRATCH}.accepted_{entry.table}"
            )
    define_macros(con)
    for layer, prefix in LAYERS:
        run_models(con, layer, prefix, progress=progress)
    con.execute("create table dq_extensions (file varchar, column_name varchar)")
    if extensions:
        con.executemany("insert into dq_extensions values (?, ?)", extensions)
    _write_meta(con, m)
    summary = dq.summarise(con, files, rows_in, bad)

    if with_marts:
        from . import marts  # looked up at call time, so tests can stand in for the marts

        marts.build_marts(con)
    return summary


def ingest(
    extract_dir: Path,
    *,
    warehouse: Path | None = None,
    max_bad_share: float | None = None,
    progress: bool = True,
    build_marts: bool = True,
) -> IngestResult:
    """Validate an extract and build its warehouse (staging, core, dq tables, marts).

    Parameters
    ----------
    extract_dir : directory with ``manifest.json`` and the table files (extract spec v1)
    warehouse : target DuckDB file; default ``config.warehouse_path(extract_id)``
    max_bad_share : stop when a file has more than this share of quarantined rows
        (default ``config.MAX_BAD_SHARE``)
    progress : show progress bars
    build_marts : also build the marts and cohort tables (default); the benchmark measures
        them as a stage of their own (``marts.build_marts`` on the warehouse afterwards)

    Raises
    ------
    ExtractRefused
        A file-level problem (manifest, missing file, checksum, row count, header, encoding...).
    TooManyBadRows
        More than ``max_bad_share`` of a file's rows is quarantined.
    """
    extract_dir = Path(extract_dir)
    max_bad_share = config.MAX_BAD_SHARE if max_bad_share is None else float(max_bad_share)
    if not 0 <= max_bad_share <= 1:
        raise KpzError(f"--max-bad-share must be between 0 and 1, got {max_bad_share}")
    m = read_manifest(extract_dir)
    check_files(m, progress=progress)
    target = Path(warehouse) if warehouse is not None else config.warehouse_path(m.extract_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = f".{target.name}.{os.getpid()}"
    tmp = target.with_name(stem + ".tmp")
    scratch = target.with_name(stem + ".scratch.duckdb")
    spill = target.with_name(stem + ".spill")
    leftovers = (tmp, Path(str(tmp) + ".wal"), scratch, Path(str(scratch) + ".wal"), spill)
    _remove(*leftovers)
    con = duckdb.connect(str(tmp))
    try:
        config.configure_duckdb(con, temp_directory=spill)
        # Out of core: large CREATE TABLE AS statements spill more easily without insertion order
        # (the CSV reader keeps it where row numbers depend on it).
        con.execute("set preserve_insertion_order = false")
        con.execute(f"attach {_lit(str(scratch))} as {SCRATCH}")
        summary = _build(con, m, max_bad_share, progress, with_marts=build_marts)
        by_reason = dq.quarantine_by_reason(con)
        extensions = con.execute("select * from dq_extensions order by file, column_name").df()
        con.execute(f"detach {SCRATCH}")
        con.execute("checkpoint")
        con.close()
        os.replace(tmp, target)
    except BaseException:
        try:
            con.close()
        except duckdb.Error:
            pass
        _remove(*leftovers)
        raise
    finally:
        _remove(scratch, Path(str(scratch) + ".wal"), spill)
    _print_tables(summary, by_reason, extensions)
    return IngestResult(
        warehouse=target, extract_id=m.extract_id, dq_summary=summary,
        quarantine_by_reason=by_reason, extensions=extensions,
    )
