"""Read and check an extract's ``manifest.json`` and the files it lists (spec "Delivery").

Everything here is a *file-level* check: a problem refuses the whole extract
(:class:`~kpz_analytics.errors.ExtractRefused`, one line naming the file) before anything is
loaded. Row counts are checked later, while the files are read (see ``ingest.py``), because
counting rows means parsing the file anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import spec
from ..errors import ExtractRefused

MANIFEST_NAME = "manifest.json"
FORMATS = {".csv": "csv", ".parquet": "parquet"}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class FileEntry:
    """One table file of an extract as the manifest announces it."""

    table: str
    path: Path  # absolute
    fmt: str  # "csv" or "parquet"
    rows: int
    sha256: str

    @property
    def name(self) -> str:
        """File name as it appears in messages, the quarantine and dq tables (e.g. ``dot.csv``)."""
        return self.path.name


@dataclass(frozen=True)
class Manifest:
    """A checked manifest: every spec table has a file entry; unknown entries are extensions."""

    extract_dir: Path
    spec_version: str
    extract_id: str
    period_start: dt.date
    period_end: dt.date
    design: str
    sample_fraction: float | None
    files: dict[str, FileEntry]  # spec table name -> entry, in spec.TABLE_ORDER
    extension_files: list[str] = field(default_factory=list)  # manifest entries the spec does not know
    sha256: str = ""  # checksum of manifest.json itself (recorded in meta_extract)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (constant memory for multi-GB files)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _parse_date(value, what: str) -> dt.date:
    parsed = None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise ExtractRefused(f"{MANIFEST_NAME}: {what} {value!r} is not a date YYYY-MM-DD")
    return parsed


def _file_entry(extract_dir: Path, table: str, entry) -> FileEntry:
    where = f"{MANIFEST_NAME}: files.{table}"
    if not isinstance(entry, dict):
        raise ExtractRefused(f"{where} must be an object with path, rows and sha256")
    for key in ("path", "rows", "sha256"):
        if key not in entry:
            raise ExtractRefused(f"{where} has no field {key!r}")
    rel = entry["path"]
    if not isinstance(rel, str) or not rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise ExtractRefused(f"{where}.path {rel!r} must be a file name inside the extract directory")
    fmt = FORMATS.get(Path(rel).suffix.lower())
    if fmt is None:
        raise ExtractRefused(f"{where}.path {rel!r}: a table must be delivered as .csv or .parquet")
    rows = entry["rows"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ExtractRefused(f"{where}.rows {rows!r} is not a non-negative whole number")
    sha = entry["sha256"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ExtractRefused(f"{where}.sha256 {sha!r} is not a 64-character hex SHA-256")
    return FileEntry(table=table, path=extract_dir / rel, fmt=fmt, rows=rows, sha256=sha.lower())


def read_manifest(extract_dir: Path) -> Manifest:
    """Parse and check ``manifest.json`` (fields, spec version, design, period, file entries).

    Does not open the table files; see :func:`check_files`.

    Raises
    ------
    ExtractRefused
        Missing directory or manifest, invalid JSON, a missing or malformed field, another spec
        version, an unknown design, or a spec table without a file entry.
    """
    extract_dir = Path(extract_dir)
    if not extract_dir.is_dir():
        raise ExtractRefused(f"extract directory {extract_dir} does not exist")
    path = extract_dir / MANIFEST_NAME
    if not path.is_file():
        raise ExtractRefused(f"{MANIFEST_NAME} is missing in {extract_dir}")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractRefused(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ExtractRefused(f"{MANIFEST_NAME} must be a JSON object")
    for name in spec.MANIFEST_FIELDS:
        if name not in data:
            raise ExtractRefused(f"{MANIFEST_NAME} has no field {name!r} (required: {', '.join(spec.MANIFEST_FIELDS)})")
    version = str(data["spec_version"])
    if version != spec.SPEC_VERSION:
        raise ExtractRefused(
            f"{MANIFEST_NAME}: spec_version {data['spec_version']!r} is not supported (this pipeline reads version {spec.SPEC_VERSION})"
        )
    extract_id = data["extract_id"]
    if not isinstance(extract_id, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", extract_id):
        raise ExtractRefused(
            f"{MANIFEST_NAME}: extract_id {extract_id!r} must be a non-empty name of letters, digits, '.', '_' or '-'"
        )
    design = data["design"]
    if design not in spec.DESIGNS:
        raise ExtractRefused(f"{MANIFEST_NAME}: unknown design {design!r} (known: {', '.join(spec.DESIGNS)})")
    start = _parse_date(data["period_start"], "period_start")
    end = _parse_date(data["period_end"], "period_end")
    if end < start:
        raise ExtractRefused(f"{MANIFEST_NAME}: period_end {end} is before period_start {start}")
    fraction = data.get("sample_fraction")
    if design == "cohort_sample" or fraction is not None:
        ok = isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 < fraction <= 1
        if not ok:
            raise ExtractRefused(
                f"{MANIFEST_NAME}: sample_fraction {fraction!r} must be a number in (0, 1] for design {design}"
            )
        fraction = float(fraction)
    files = data["files"]
    if not isinstance(files, dict):
        raise ExtractRefused(f"{MANIFEST_NAME}: files must be an object table -> {{path, rows, sha256}}")
    entries: dict[str, FileEntry] = {}
    for table in spec.TABLE_ORDER:
        if table not in files:
            raise ExtractRefused(f"{MANIFEST_NAME} lists no file for table {table!r}")
        entries[table] = _file_entry(extract_dir, table, files[table])
    extensions = sorted(t for t in files if t not in spec.TABLES)
    return Manifest(
        extract_dir=extract_dir,
        spec_version=version,
        extract_id=extract_id,
        period_start=start,
        period_end=end,
        design=design,
        sample_fraction=fraction,
        files=entries,
        extension_files=extensions,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def check_files(manifest: Manifest, progress: bool = True) -> None:
    """Check that every listed file exists and matches its SHA-256 checksum.

    Raises
    ------
    ExtractRefused
        A file is missing or its checksum differs from the manifest.
    """
    from tqdm.auto import tqdm

    entries = list(manifest.files.values())
    for entry in tqdm(entries, desc="checksums", unit="file", disable=not progress, leave=False):
        if not entry.path.is_file():
            raise ExtractRefused(f"{entry.name}: file is missing (listed in {MANIFEST_NAME} for table {entry.table})")
        actual = sha256_file(entry.path)
        if actual != entry.sha256:
            raise ExtractRefused(
                f"{entry.name}: SHA-256 checksum does not match {MANIFEST_NAME} "
                f"(expected {entry.sha256[:12]}…, file has {actual[:12]}…)"
            )
