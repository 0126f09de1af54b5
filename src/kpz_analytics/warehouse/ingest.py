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

Paths and faults (``docs/ingest.md``): the target is checked before any work starts (not a
directory, not inside the extract, writable, and when it exists a warehouse of this project:
nothing else is ever overwritten). Every run holds a lock file next to the target; SIGTERM,
SIGHUP and Ctrl-C stop it cleanly (its scratch files removed); the scratch files of a run that
was killed outright (kill -9, power loss) are swept by the next run for the same target, whose
lock tells it their owner is gone.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
import signal
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from tqdm.auto import tqdm

from .. import __version__, config, provenance
from ..errors import ExtractRefused, KpzError, TooManyBadRows
from ..extract import spec
from ..extract.manifest import Delivery, Manifest, check_files, read_manifest
from ..extract.readers import load_raw
from ..extract.rows import validate_table
from . import dq

SCRATCH = "scratch"
LAYERS = (("staging", "stg"), ("core", "core"))
# The files one run keeps next to its target: .<target name>.<pid>.<suffix>
_RUN_FILE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<suffix>tmp|tmp\.wal|scratch\.duckdb|scratch\.duckdb\.wal|spill|lock)$")
_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n))


class Interrupted(KpzError):
    """The run was stopped by a signal; its scratch files were removed, nothing was written."""


class TargetRefused(KpzError):
    """The ``--warehouse`` path cannot or must not be written."""


@dataclass
class IngestResult:
    """What an ingest produced. The data frames are copies of the warehouse's dq tables."""

    warehouse: Path
    extract_id: str
    dq_summary: pd.DataFrame
    quarantine_by_reason: pd.DataFrame
    extensions: pd.DataFrame
    dq_checks: pd.DataFrame | None = None


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


#: A model whose header holds this line is a view (one-to-one with a table it filters: writing
#: it again would cost a national-scale copy); every other model is a table.
VIEW_MARKER = "-- materialized: view"


def run_models(con: duckdb.DuckDBPyConnection, layer: str, prefix: str, progress: bool = False) -> list[str]:
    """Execute ``sql/<layer>/*.sql`` in file-name order, each as ``create table <model> as``
    (``create view`` for a model marked with :data:`VIEW_MARKER`)."""
    directory = Path(config.SQL_DIR) / layer
    files = sorted(directory.glob("*.sql"))
    built = []
    for path in tqdm(files, desc=layer, unit="table", disable=not progress, leave=False):
        table = model_table(path, prefix)
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        kind = "view" if any(line.startswith(VIEW_MARKER) for line in sql.splitlines()) else "table"
        try:
            con.execute(f"create or replace {kind} {table} as\n{sql}")
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
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except OSError:
            pass


def is_warehouse(path: Path) -> bool:
    """True when ``path`` is a DuckDB file with this project's ``meta_extract`` table."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
        if head[8:12] != b"DUCK":  # DuckDB's magic bytes: anything else is not a database
            return False
        con = duckdb.connect(str(path), read_only=True)
    except (OSError, duckdb.Error):
        return False
    try:
        cols = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_name = 'meta_extract'"
        ).fetchall()}
    except duckdb.Error:
        return False
    finally:
        con.close()
    return {"extract_id", "manifest_sha256", "spec_version"} <= cols


def check_target(target: Path, extract_dir: Path) -> Path:
    """Check the warehouse path before any work starts; return it absolute.

    Refused: a directory; a path inside the extract directory (raw data is immutable); an
    existing file that is not a warehouse of this project (never overwritten); a place that
    cannot be written (read-only, /proc, a parent that is a file). The spill directory
    (``KPZ_DUCKDB_TEMP_DIR``) may not lie inside the extract either.

    Raises
    ------
    TargetRefused
        One line naming the path and the cause.
    """
    where = f"--warehouse {target}"
    try:
        target = Path(os.path.abspath(target))
        resolved = target.resolve()
        extract_roots = (Path(extract_dir).resolve(), Path(os.path.abspath(extract_dir)))
    except (OSError, RuntimeError, ValueError) as exc:
        raise TargetRefused(f"{where}: not a usable path ({exc})") from None
    extract_root = extract_roots[0]
    if any(p.is_relative_to(r) for p in (resolved, target) for r in extract_roots):
        raise TargetRefused(
            f"{where} lies inside the extract directory {extract_dir}: raw data is never written to; "
            "choose a path outside it"
        )
    spill = config.spill_directory(target.with_name(f".{target.name}.spill"))
    if spill is not None and spill.resolve().is_relative_to(extract_root):
        raise TargetRefused(f"KPZ_DUCKDB_TEMP_DIR {spill.parent} lies inside the extract directory {extract_dir}")
    try:
        st = os.stat(target) if os.path.lexists(target) else None
    except OSError as exc:
        raise TargetRefused(f"{where}: cannot be inspected ({exc.strerror or exc})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise TargetRefused(f"{where} is a directory; give the path of a warehouse file (e.g. {target}/warehouse.duckdb)")
        if not stat.S_ISREG(st.st_mode):
            raise TargetRefused(f"{where} exists and is not a regular file; it is not overwritten")
        if not is_warehouse(target):
            raise TargetRefused(
                f"{where} exists and is not a kpz warehouse; it is not overwritten (remove it or choose another path)"
            )
    parent = target.parent
    ancestor = parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if os.path.lexists(ancestor) and not ancestor.is_dir():
        raise TargetRefused(f"{where}: {ancestor} is a file, not a directory")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".{target.name}.{os.getpid()}.probe"
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise TargetRefused(f"{where}: cannot write in {parent}: {exc.strerror or exc}") from None
    return target


def _run_files(target: Path, pid: int) -> list[Path]:
    stem = f".{target.name}.{pid}"
    files = [target.with_name(stem + s) for s in (".tmp", ".tmp.wal", ".scratch.duckdb", ".scratch.duckdb.wal", ".spill")]
    spill = config.spill_directory(target.with_name(stem + ".spill"))
    if spill is not None and spill not in files:
        files.append(spill)
    return files


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def sweep_stale(target: Path) -> list[Path]:
    """Remove the scratch files that killed runs for ``target`` left behind; return them.

    A run's files belong to it while it holds the lock on ``.<name>.<pid>.lock``: a lock that
    can be taken means its owner is gone (kill -9, power loss), whatever process now has that
    pid. Files without a lock file (an older version) are removed when their pid is not alive.
    Runs that are alive are never touched.
    """
    removed: list[Path] = []
    pids: set[int] = set()
    try:
        for entry in os.scandir(target.parent):
            m = _RUN_FILE.match(entry.name)
            if m and m.group("name") == target.name and int(m.group("pid")) != os.getpid():
                pids.add(int(m.group("pid")))
    except OSError:
        return removed
    for pid in sorted(pids):
        lock = target.with_name(f".{target.name}.{pid}.lock")
        if lock.exists():
            try:
                fd = os.open(lock, os.O_RDWR)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # a live run holds it
            try:
                stale = [p for p in _run_files(target, pid) if os.path.lexists(p)]
                _remove(*stale)
                lock.unlink(missing_ok=True)
                removed.extend(stale + [lock])
            finally:
                os.close(fd)
        elif not _alive(pid):
            stale = [p for p in _run_files(target, pid) if os.path.lexists(p)]
            _remove(*stale)
            removed.extend(stale)
    return removed


@contextmanager
def _run_lock(target: Path):
    """Hold ``.<name>.<pid>.lock`` next to the target for the run (see :func:`sweep_stale`)."""
    lock = target.with_name(f".{target.name}.{os.getpid()}.lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield lock
    finally:
        os.close(fd)
        lock.unlink(missing_ok=True)


@contextmanager
def _stop_on_signals():
    """SIGTERM, SIGHUP and SIGINT (Ctrl-C) raise :class:`Interrupted` in the main thread, so the
    cleanup of the run happens; DuckDB interrupts a running query for it (it checks for pending
    signals while it works)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum, frame):
        received.append(signum)
        raise Interrupted(f"interrupted by {signal.Signals(signum).name}")

    previous = {s: signal.signal(s, handler) for s in _SIGNALS}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _print_tables(summary: pd.DataFrame, by_reason: pd.DataFrame, extensions: pd.DataFrame,
                  checks: pd.DataFrame) -> None:
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
    warned = checks[checks.status != "pass"]
    if len(warned):
        print("\ndata-quality warnings (dq_checks):")
        for row in warned.itertuples():
            print(f"  {row.file}: {row.check_name}: {row.detail}")


def _build(con: duckdb.DuckDBPyConnection, m: Manifest, max_bad_share: float, progress: bool,
           with_marts: bool = True, delivery: Delivery | None = None):
    con.execute(
        "create table quarantine (file varchar, row_number bigint, column_name varchar, reason varchar, detail varchar)"
    )
    files, rows_in, bad, extensions = {}, {}, {}, []
    for name in m.extension_files:
        extensions.append((name, None))
    with tqdm(list(m.files.values()), desc="ingest", unit="file", disable=not progress) as bar:
        for entry in bar:
            bar.set_postfix_str(entry.name)
            raw = load_raw(con, entry, SCRATCH, delivery.source(entry.table) if delivery else None,
                           delivery.plain(entry.table) if delivery else False)
            extensions.extend((entry.name, c) for c in raw.extensions)
            n_header = None
            if entry.fmt == "csv":
                n_header = len(spec.TABLES[entry.table].columns) + len(raw.extensions)
            try:
                n, n_bad = validate_table(
                    con, entry.table, entry.name, SCRATCH, (m.period_start, m.period_end), n_header, raw.rows,
                    raw.native, raw.stored,
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
    for layer, prefix in LAYERS:
        run_models(con, layer, prefix, progress=progress)
    if delivery is not None:
        delivery.check_unchanged()  # every file has been read (staging reads Parquet in place)
    con.execute("create table dq_extensions (file varchar, column_name varchar)")
    if extensions:
        con.executemany("insert into dq_extensions values (?, ?)", extensions)
    _write_meta(con, m)
    summary = dq.summarise(con, files, rows_in, bad)
    dq.run_checks(con, files, (m.period_start, m.period_end))

    if with_marts:
        from . import marts  # looked up at call time, so tests can stand in for the marts

        config.set_memory_limit(con, config.DUCKDB_MARTS_MEMORY_LIMIT, "KPZ_DUCKDB_MARTS_MEMORY_LIMIT")
        marts.build_marts(con, progress=progress)
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
    config.check_memory_limits()  # a bad setting is refused now, not after the validation
    m = read_manifest(extract_dir)
    target = check_target(Path(warehouse) if warehouse is not None else config.warehouse_path(m.extract_id),
                          extract_dir)
    with _stop_on_signals() as received, _run_lock(target):
        sweep_stale(target)
        try:
            summary, by_reason, extensions, checks = _ingest_into(target, m, max_bad_share, progress, build_marts)
        except BaseException as exc:
            if received and not isinstance(exc, Interrupted):  # DuckDB reports the interrupt its own way
                raise Interrupted(f"interrupted by {signal.Signals(received[0]).name}") from None
            raise
    _print_tables(summary, by_reason, extensions, checks)
    return IngestResult(
        warehouse=target, extract_id=m.extract_id, dq_summary=summary,
        quarantine_by_reason=by_reason, extensions=extensions, dq_checks=checks,
    )


def _ingest_into(target: Path, m: Manifest, max_bad_share: float, progress: bool, build_marts: bool):
    tmp, tmp_wal, scratch, scratch_wal, spill, *extra = _run_files(target, os.getpid())
    leftovers = (tmp, tmp_wal, scratch, scratch_wal, spill, *extra)
    _remove(*leftovers)
    con = None
    try:
        with check_files(m, progress=progress) as delivery:
            con = duckdb.connect(str(tmp))
            config.configure_duckdb(con, temp_directory=spill)
            # Out of core: large CREATE TABLE AS statements spill more easily without insertion
            # order (the CSV reader keeps it where row numbers depend on it).
            con.execute("set preserve_insertion_order = false")
            con.execute(f"attach {_lit(str(scratch))} as {SCRATCH}")
            summary = _build(con, m, max_bad_share, progress, with_marts=build_marts, delivery=delivery)
            by_reason = dq.quarantine_by_reason(con)
            extensions = con.execute("select * from dq_extensions order by file, column_name").df()
            checks = con.execute("select * from dq_checks").df()
            con.execute(f"detach {SCRATCH}")
            con.execute("checkpoint")
            con.close()
            con = None
        os.replace(tmp, target)
    except BaseException:
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        _remove(*leftovers)
        raise
    finally:
        _remove(scratch, scratch_wal, spill, *extra)
    return summary, by_reason, extensions, checks
