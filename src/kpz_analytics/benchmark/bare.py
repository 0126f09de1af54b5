"""The bare pass: the lower bound for what ingest must do (issue 18).

One DuckDB pass that reads every claims file of an extract (``dot``, ``zvw_overig``,
``wlz_declaraties``, ``wmo``, ``jeugdwet``) and aggregates the lines to person × month × domain
(count of lines, sum of amounts), written to a table: no validation, no netting, no spreading
of lines over months. Same DuckDB settings as the pipeline (``config.configure_duckdb``) except
the memory limit: ``BARE_MEMORY_LIMIT`` (``KPZ_BENCH_BARE_MEMORY_LIMIT``, default 12GB), because
this single aggregate with ~90 million groups stops with "Out of Memory" under 4 GB at national
scale (DuckDB 2.0.1), and a lower bound must not be slowed down by a limit the pipeline works
around (``docs/scale.md``). Its peak memory is reported like every stage's.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from .. import config
from ..errors import KpzError
from ..extract import spec
from ..extract.manifest import read_manifest

BARE_MEMORY_LIMIT = os.environ.get("KPZ_BENCH_BARE_MEMORY_LIMIT", "12GB")
DOMAINS = {"dot": "hospital", "zvw_overig": "zvw", "wlz_declaraties": "wlz", "wmo": "wmo", "jeugdwet": "jeugdwet"}


def file_sql(path: Path) -> str:
    """SQL reading one extract file as it is: a Parquet file, or a CSV file as text."""
    lit = "'" + str(path).replace("'", "''") + "'"
    if path.suffix == ".parquet":
        return f"read_parquet({lit})"
    return f"read_csv({lit}, delim = ';', header = true, all_varchar = true)"


def bare_pass_sql(extract_dir: Path) -> str:
    """The bare pass as one ``select`` over the extract's claims files."""
    manifest = read_manifest(Path(extract_dir))  # a missing or malformed manifest: one-line error
    parts = []
    for table in spec.CLAIMS_TABLES:
        path = manifest.files[table].path
        parts.append(
            f"select persoon_id, date_trunc('month', cast(begindatum as date)) as month, "
            f"'{DOMAINS[table]}' as domain, cast(bedrag as double) as bedrag from {file_sql(path)}"
        )
    return (
        "select persoon_id, month, domain, count(*) as n_lines, sum(bedrag) as amount\nfrom (\n    "
        + "\n    union all\n    ".join(parts)
        + "\n)\ngroup by persoon_id, month, domain"
    )


def bare_pass(extract_dir: Path, scratch: Path) -> int:
    """Run the bare pass into a throw-away DuckDB file ``scratch``; return the rows it made."""
    scratch = Path(scratch)
    for p in (scratch, Path(str(scratch) + ".wal")):
        p.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(scratch))
        config.configure_duckdb(con, temp_directory=scratch.with_suffix(".spill"))
        con.execute(f"set memory_limit = '{BARE_MEMORY_LIMIT}'")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"create table bare as {bare_pass_sql(extract_dir)}")
        (rows,) = con.execute("select count(*) from bare").fetchone()
        con.close()
    except duckdb.Error as exc:
        raise KpzError(f"bare pass on {extract_dir} failed: {str(exc).splitlines()[0]}") from None
    finally:
        for p in (scratch, Path(str(scratch) + ".wal")):
            p.unlink(missing_ok=True)
    return int(rows)
