"""Write tiny hand-built spec-v1 extracts for tests, with a correct manifest — and break them.

Typical use::

    from extract_builder import build_extract, person, dot_line, refresh_manifest

    ext = build_extract(tmp_path, {"personen": [person("p1")], "dot": [dot_line("d1", "p1")]})
    (ext / "dot.csv").write_bytes(b"...")      # corrupt a file ...
    refresh_manifest(ext)                       # ... and make the manifest agree again

API
---
``build_extract(tmp_path, tables=None, fmt="csv", period=("2020-01-01", "2021-12-31"),
design="population", *, extract_id="test-extract", sample_fraction=None, name="extract",
typed_parquet=True, manifest_overrides=None) -> Path``
    Writes one extract directory ``tmp_path/name``. ``tables`` maps a spec table name to a
    list of row dicts (column -> value; a missing key or ``None`` is an empty field; keys the
    spec does not know become extension columns). Tables not given are written empty (header
    only, 0 rows) — except ``populatie``, which gets one valid cell per year of the period
    (ingest stops when a year of the period has no denominator cell; pass ``populatie=[]``
    for an empty file). ``fmt`` is ``"csv"``, ``"parquet"``, or a dict table -> format.
    ``typed_parquet`` writes Parquet columns with their natural types (dates, doubles,
    integers) where every value parses, as a large delivery would; else all text.
    ``manifest_overrides`` updates top-level manifest fields (``None`` deletes a field).
``refresh_manifest(extract_dir, tables=None)``
    Recompute rows and SHA-256 of the listed (default: all) files after you changed them.
``read_manifest(extract_dir) -> dict`` / ``write_manifest(extract_dir, manifest)``
``count_rows(path) -> int``  data rows of a CSV (non-blank lines after the header) or Parquet file.
``sha256_of(path) -> str``
Row helpers with valid defaults, override any column by keyword: ``person``, ``insured``,
``population``, ``dot_line``, ``activity``, ``zvw_line``, ``wlz_indication``, ``wlz_line``,
``municipal_line`` (wmo / jeugdwet), ``period_population(period)`` (a cell per year) and
``minimal_tables()`` (one valid row per table, two populatie cells).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kpz_analytics.extract import spec


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def count_rows(path: Path) -> int:
    path = Path(path)
    if path.suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    lines = path.read_bytes().splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def read_manifest(extract_dir: Path) -> dict:
    return json.loads((Path(extract_dir) / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(extract_dir: Path, manifest: dict) -> None:
    (Path(extract_dir) / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def refresh_manifest(extract_dir: Path, tables: list[str] | None = None) -> dict:
    """Recompute ``rows`` and ``sha256`` for the given tables' files (default: all listed)."""
    extract_dir = Path(extract_dir)
    manifest = read_manifest(extract_dir)
    for table, entry in manifest["files"].items():
        if tables is not None and table not in tables:
            continue
        path = extract_dir / entry["path"]
        if path.exists():
            entry["rows"] = count_rows(path)
            entry["sha256"] = sha256_of(path)
    write_manifest(extract_dir, manifest)
    return manifest


def _text(value) -> str:
    return "" if value is None else str(value)


def _columns(table: str, rows: list[dict]) -> list[str]:
    cols = list(spec.TABLES[table].column_names)
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """``;``-separated UTF-8, header row, ``\\n`` line ends, empty field for None."""
    lines = [";".join(columns)]
    lines += [";".join(_text(row.get(c)) for c in columns) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _arrow_column(table: str, column: str, values: list, typed: bool) -> pa.Array:
    texts = [None if v is None or v == "" else str(v) for v in values]
    kind = spec.TABLES[table].column(column).kind if column in spec.TABLES[table].column_names else spec.TEXT
    if typed:
        try:
            if kind == spec.DATE:
                return pa.array([None if v is None else dt.date.fromisoformat(v) for v in texts], pa.date32())
            if kind == spec.DECIMAL:
                return pa.array([None if v is None else float(v) for v in texts], pa.float64())
            if kind == spec.INTEGER:
                return pa.array([None if v is None else int(v) for v in texts], pa.int64())
        except ValueError:
            pass  # a deliberately bad value: keep the column as text
    return pa.array(texts, pa.string())


def write_parquet(path: Path, table: str, columns: list[str], rows: list[dict], typed: bool = True) -> None:
    arrays = [_arrow_column(table, c, [r.get(c) for r in rows], typed) for c in columns]
    pq.write_table(pa.table(arrays, names=columns), path)


def build_extract(
    tmp_path: Path,
    tables: dict[str, list[dict]] | None = None,
    fmt: str | dict[str, str] = "csv",
    period: tuple[str, str] = ("2020-01-01", "2021-12-31"),
    design: str = "population",
    *,
    extract_id: str = "test-extract",
    sample_fraction: float | None = None,
    name: str = "extract",
    typed_parquet: bool = True,
    manifest_overrides: dict | None = None,
) -> Path:
    """Write a spec-v1 extract directory with a correct manifest; return its path."""
    tables = tables or {}
    unknown = set(tables) - set(spec.TABLES)
    if unknown:
        raise ValueError(f"not spec tables: {sorted(unknown)}")
    out = Path(tmp_path) / name
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    if "populatie" not in tables:
        tables = {**tables, "populatie": period_population(period)}
    for table in spec.TABLE_ORDER:
        rows = tables.get(table, [])
        table_fmt = fmt.get(table, "csv") if isinstance(fmt, dict) else fmt
        columns = _columns(table, rows)
        path = out / f"{table}.{table_fmt}"
        if table_fmt == "csv":
            write_csv(path, columns, rows)
        elif table_fmt == "parquet":
            write_parquet(path, table, columns, rows, typed_parquet)
        else:
            raise ValueError(f"unknown format {table_fmt!r}")
        files[table] = {"path": path.name, "rows": len(rows), "sha256": sha256_of(path)}
    manifest = {
        "spec_version": spec.SPEC_VERSION,
        "extract_id": extract_id,
        "period_start": period[0],
        "period_end": period[1],
        "design": design,
        "files": files,
    }
    if sample_fraction is not None or design == "cohort_sample":
        manifest["sample_fraction"] = 0.05 if sample_fraction is None else sample_fraction
    for key, value in (manifest_overrides or {}).items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    write_manifest(out, manifest)
    return out


# --- rows with valid defaults ------------------------------------------------------------------

def person(persoon_id: str = "p1", **kw) -> dict:
    row = {"persoon_id": persoon_id, "geboortemaand": "2010-03", "geslacht": "V", "overlijdensdatum": None,
           "provincie_code": "PV26", "gemeente_code": "GM0344", "in_steekproef": "0"}
    return {**row, **kw}


def insured(persoon_id: str = "p1", **kw) -> dict:
    return {"persoon_id": persoon_id, "begindatum": "2010-03-01", "einddatum": None, **kw}


def population(**kw) -> dict:
    return {"jaar": "2020", "leeftijd": "10", "geslacht": "V", "provincie_code": "PV26", "aantal": "1000", **kw}


def dot_line(declaratie_id: str = "d1", persoon_id: str = "p1", **kw) -> dict:
    row = {"declaratie_id": declaratie_id, "persoon_id": persoon_id, "instelling_id": "H01",
           "instelling_type": "umc", "specialisme": "0316", "diagnose_code": "1401", "icd10": "G71.0",
           "zorgproduct_code": "990016034", "begindatum": "2020-02-01", "einddatum": "2020-02-10",
           "bedrag": "1500.00", "credit_voor_id": None}
    return {**row, **kw}


def activity(declaratie_id: str = "d1", **kw) -> dict:
    return {"declaratie_id": declaratie_id, "zorgactiviteit_code": "190150", "datum": "2020-02-02", "aantal": "1", **kw}


def zvw_line(declaratie_id: str = "z1", persoon_id: str = "p1", **kw) -> dict:
    row = {"declaratie_id": declaratie_id, "persoon_id": persoon_id, "zorgsoort": "wijkverpleging",
           "prestatie_code": "1004", "begindatum": "2020-03-01", "einddatum": "2020-03-31", "aantal": "120",
           "eenheid": "uur", "bedrag": "7200.50", "leveringsvorm": "zin", "credit_voor_id": None}
    return {**row, **kw}


def wlz_indication(indicatie_id: str = "i1", persoon_id: str = "p1", **kw) -> dict:
    return {"indicatie_id": indicatie_id, "persoon_id": persoon_id, "zorgprofiel": "VG7", "grondslag": "VG",
            "begindatum": "2019-06-01", "einddatum": None, **kw}


def wlz_line(declaratie_id: str = "w1", persoon_id: str = "p1", **kw) -> dict:
    row = {"declaratie_id": declaratie_id, "persoon_id": persoon_id, "leveringsvorm": "verblijf",
           "prestatie_code": "Z601", "meerzorg": "0", "begindatum": "2020-01-01", "einddatum": "2020-01-31",
           "aantal": "31", "eenheid": "etmaal", "bedrag": "9300", "credit_voor_id": None}
    return {**row, **kw}


def municipal_line(declaratie_id: str = "m1", persoon_id: str = "p1", **kw) -> dict:
    row = {"declaratie_id": declaratie_id, "persoon_id": persoon_id, "gemeente_code": "GM0344",
           "productcategorie": "02", "product_code": "02A01", "begindatum": "2020-04-01",
           "einddatum": "2020-04-30", "volume": "10", "eenheid": "uur", "bedrag": "650.00",
           "leveringsvorm": "pgb", "credit_voor_id": None}
    return {**row, **kw}


def period_population(period: tuple[str, str] = ("2020-01-01", "2021-12-31")) -> list[dict]:
    """One valid ``populatie`` cell for every year of the period (the 2020 cell of ``population()``)."""
    first, last = int(period[0][:4]), int(period[1][:4])
    return [population(jaar=str(y)) for y in range(first, last + 1)]


def minimal_tables() -> dict[str, list[dict]]:
    """One valid row in every table, all about person ``p1`` (``populatie``: one cell for each
    year of the default period 2020-2021)."""
    return {
        "personen": [person("p1")],
        "verzekeringsperioden": [insured("p1")],
        "populatie": period_population(),
        "dot": [dot_line("d1", "p1")],
        "dot_zorgactiviteiten": [activity("d1")],
        "zvw_overig": [zvw_line("z1", "p1")],
        "wlz_indicaties": [wlz_indication("i1", "p1")],
        "wlz_declaraties": [wlz_line("w1", "p1")],
        "wmo": [municipal_line("m1", "p1")],
        "jeugdwet": [municipal_line("j1", "p1", productcategorie="45", product_code="45A01")],
    }


# --- typed Parquet copies -------------------------------------------------------------------------

_TYPED_AS = {spec.DATE: "date", spec.MONTH: "date", spec.DECIMAL: "double", spec.INTEGER: "bigint"}
_CLEAN = {
    spec.DATE: r"regexp_full_match(v, '\d{4}-\d{2}-\d{2}') and try_strptime(v, '%Y-%m-%d') is not null",
    spec.MONTH: r"regexp_full_match(v, '\d{4}-\d{2}') and try_strptime(v || '-01', '%Y-%m-%d') is not null",
    spec.DECIMAL: r"regexp_full_match(v, '-?\d+(\.\d+)?') and isfinite(try_cast(v as double))",
    spec.INTEGER: r"regexp_full_match(v, '-?\d{1,15}')",
}


def retype_parquet(extract_dir: Path, out_dir: Path) -> dict[str, list[str]]:
    """Copy an extract whose Parquet files hold text (``kpz synth``) with every date, month and
    number column written in its natural Parquet type (DATE — a month as its first day —,
    DOUBLE, BIGINT) where *every* value of the column is clean, as a large delivery would be
    typed; a column with a bad value (``--faults``) stays text. The manifest is rewritten for
    the new files. Returns table -> the columns that were typed.
    """
    import duckdb
    import shutil

    extract_dir, out_dir = Path(extract_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(extract_dir)
    con = duckdb.connect()
    typed: dict[str, list[str]] = {}
    for table, entry in manifest["files"].items():
        src, dst = extract_dir / entry["path"], out_dir / entry["path"]
        if not entry["path"].endswith(".parquet"):
            shutil.copyfile(src, dst)
            continue
        path = "'" + str(src).replace("'", "''") + "'"
        names = [r[0] for r in con.execute(f"describe select * from read_parquet({path})").fetchall()]
        items, typed[table] = [], []
        for name in names:
            q = '"' + name + '"'
            kind = spec.TABLES[table].column(name).kind if name in spec.TABLES[table].column_names else spec.TEXT
            if kind in _TYPED_AS:
                (dirty,) = con.execute(
                    f"select count(*) from (select {q} as v from read_parquet({path})) "
                    f"where v is not null and not coalesce({_CLEAN[kind]}, false)"
                ).fetchone()
                if dirty == 0:
                    value = f"{q} || '-01'" if kind == spec.MONTH else q
                    items.append(f"cast({value} as {_TYPED_AS[kind]}) as {q}")
                    typed[table].append(name)
                    continue
            items.append(q)
        target = "'" + str(dst).replace("'", "''") + "'"
        con.execute(
            f"copy (select {', '.join(items)} from read_parquet({path}, file_row_number = true) order by file_row_number) "
            f"to {target} (format parquet, compression zstd)"
        )
        entry["sha256"] = sha256_of(dst)
    con.close()
    write_manifest(out_dir, manifest)
    return typed
