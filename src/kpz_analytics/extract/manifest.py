"""Read and check an extract's ``manifest.json`` and the files it lists (spec "Delivery").

Everything here is a *file-level* check: a problem refuses the whole extract
(:class:`~kpz_analytics.errors.ExtractRefused`, one line naming the file) before anything is
loaded. Row counts are checked later, while the files are read (see ``ingest.py``), because
counting rows means parsing the file anyway.

File names in the manifest are data: a file must lie inside the extract directory (no ``..``,
no absolute path, no symbolic link that leads out of it), be a regular file, and be named by one
entry only. :func:`check_files` opens every file once, checks its SHA-256 on that open file and
keeps it open: DuckDB then reads the very file that was checked, through ``/proc/self/fd/<n>``,
so a name is never expanded as a glob pattern (``*``, ``?``, ``[``) and a file swapped after the
check is not read. A file that changes while the extract is read refuses it
(:meth:`Delivery.check_unchanged`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import spec
from ..errors import ExtractRefused

MANIFEST_NAME = "manifest.json"
FORMATS = {".csv": "csv", ".parquet": "parquet"}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
MAX_MANIFEST_BYTES = 10 << 20  # a manifest lists ten files; anything this large is not one
# Where an open file can be named by its descriptor (Linux). Elsewhere file names are passed to
# DuckDB as they are, and names DuckDB would expand as a pattern are refused.
FD_DIR = Path("/proc/self/fd")
GLOB_CHARS = ("*", "?", "[")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_PLAIN_ASCII = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")  # ASCII controls but LF and CR
# First bytes of files that are not ';'-separated UTF-8 text, and what to call them.
_MAGIC = (
    (b"PAR1", "a Parquet file"), (b"\x1f\x8b", "gzip-compressed"), (b"PK\x03\x04", "a ZIP archive (xlsx?)"),
    (b"\xff\xfe", "UTF-16 encoded"), (b"\xfe\xff", "UTF-16 encoded"),
)


@dataclass(frozen=True)
class FileEntry:
    """One table file of an extract as the manifest announces it."""

    table: str
    path: Path  # absolute
    fmt: str  # "csv" or "parquet"
    rows: int
    sha256: str
    rel: str = ""  # the path as the manifest gives it, normalised (``dot.csv``, ``zvw/dot.csv``)

    @property
    def name(self) -> str:
        """File name as it appears in messages, the quarantine and dq tables (e.g. ``dot.csv``).

        The path relative to the extract directory, so two files of the same name in different
        subdirectories cannot be confused.
        """
        return self.rel or self.path.name


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


def today() -> dt.date:
    """The date of the run: an extract period cannot end after it (a seam for tests)."""
    return dt.date.today()


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


def _no_duplicate_keys(pairs):
    """``json`` object hook: a key given twice would silently keep only its last value."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ExtractRefused(f"{MANIFEST_NAME}: key {key!r} appears twice in one object")
        obj[key] = value
    return obj


def _load_json(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExtractRefused(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ExtractRefused(f"{MANIFEST_NAME} is not a manifest: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ExtractRefused(f"{MANIFEST_NAME} is not a manifest: {str(exc).splitlines()[0]}") from None


def _inside(extract_root: Path, path: Path, what: str) -> Path:
    """``path`` resolved (symbolic links followed); refused when it leads out of the extract."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise ExtractRefused(f"{what}: cannot be resolved ({exc})") from None
    if not resolved.is_relative_to(extract_root):
        raise ExtractRefused(
            f"{what} is a symbolic link to {resolved}, outside the extract directory (raw data must lie inside it)"
        )
    return resolved


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
    if _CONTROL.search(rel) or "\\" in rel:
        raise ExtractRefused(f"{where}.path {rel!r} contains a control character or a backslash")
    fmt = FORMATS.get(Path(rel).suffix.lower())
    if fmt is None:
        raise ExtractRefused(f"{where}.path {rel!r}: a table must be delivered as .csv or .parquet")
    rows = entry["rows"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ExtractRefused(f"{where}.rows {rows!r} is not a non-negative whole number")
    sha = entry["sha256"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ExtractRefused(f"{where}.sha256 {sha!r} is not a 64-character hex SHA-256")
    return FileEntry(
        table=table, path=extract_dir / rel, fmt=fmt, rows=rows, sha256=sha.lower(), rel=Path(rel).as_posix()
    )


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
    if not extract_dir.exists():
        raise ExtractRefused(f"extract directory {extract_dir} does not exist")
    if not extract_dir.is_dir():
        raise ExtractRefused(f"extract directory {extract_dir} is not a directory")
    root = extract_dir.resolve()
    path = extract_dir / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        raise ExtractRefused(f"{MANIFEST_NAME} is missing in {extract_dir}")
    resolved = _inside(root, path, MANIFEST_NAME)
    try:
        st = resolved.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ExtractRefused(f"{MANIFEST_NAME} in {extract_dir} is not a regular file")
        if st.st_size > MAX_MANIFEST_BYTES:
            raise ExtractRefused(f"{MANIFEST_NAME} is {st.st_size} bytes; a manifest is at most {MAX_MANIFEST_BYTES}")
        raw = resolved.read_bytes()
    except OSError as exc:
        raise ExtractRefused(f"{MANIFEST_NAME} cannot be read: {exc.strerror or exc}") from None
    data = _load_json(raw)
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
    first = dt.date.fromisoformat(spec.FIRST_DATE)
    if start < first:
        raise ExtractRefused(f"{MANIFEST_NAME}: period_start {start} is before {first}: not a period of this data")
    if end > today():
        raise ExtractRefused(
            f"{MANIFEST_NAME}: period_end {end} is in the future (today is {today()}): an extract cannot cover it"
        )
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
    _check_paths(root, entries)
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


def _check_paths(root: Path, entries: dict[str, FileEntry]) -> None:
    """Every table file lies inside the extract, and no file is named by two tables."""
    seen: dict[Path, str] = {}
    for table, entry in entries.items():
        resolved = _inside(root, entry.path, f"{entry.name} (files.{table})")
        if resolved in seen:
            raise ExtractRefused(
                f"{MANIFEST_NAME}: files.{seen[resolved]} and files.{table} name the same file "
                f"{resolved.relative_to(root).as_posix()}; every table needs its own file"
            )
        seen[resolved] = table


@dataclass
class OpenFile:
    """A table file opened once: checked, hashed and read through the same descriptor."""

    entry: FileEntry
    fd: int
    stat: os.stat_result
    # A CSV of printable ASCII, LF and CRLF only (found while hashing): no value can hold an
    # invisible character, so the reader and validation skip looking for them.
    plain: bool = False

    @property
    def source(self) -> str:
        """The name DuckDB reads the file by: its descriptor where the system offers one."""
        if FD_DIR.is_dir():
            return str(FD_DIR / str(self.fd))
        text = str(self.entry.path.resolve())
        if any(c in text for c in GLOB_CHARS):
            raise ExtractRefused(
                f"{self.entry.name}: the path {text!r} holds {'/'.join(GLOB_CHARS)}, which the reader would "
                "expand as a pattern; rename the file or directory"
            )
        return text


@dataclass
class Delivery:
    """The open table files of a checked extract (close it, or use it as a context manager)."""

    files: dict[str, OpenFile] = field(default_factory=dict)

    def source(self, table: str) -> str:
        return self.files[table].source

    def plain(self, table: str) -> bool:
        """True when the table's file is a CSV of printable ASCII (see :class:`OpenFile`)."""
        return self.files[table].plain

    def check_unchanged(self) -> None:
        """Refuse the extract when a file changed (size or modification time) since it was checked."""
        for f in self.files.values():
            now = os.fstat(f.fd)
            if (now.st_size, now.st_mtime_ns) != (f.stat.st_size, f.stat.st_mtime_ns):
                raise ExtractRefused(
                    f"{f.entry.name}: file changed while the extract was read; raw data must not change during ingest"
                )

    def close(self) -> None:
        for f in self.files.values():
            try:
                os.close(f.fd)
            except OSError:
                pass
        self.files.clear()

    def __enter__(self) -> "Delivery":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _open(entry: FileEntry) -> OpenFile:
    path = entry.path.resolve()
    where = f"{entry.name}:"
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise ExtractRefused(f"{where} file is missing (listed in {MANIFEST_NAME} for table {entry.table})") from None
    except OSError as exc:
        raise ExtractRefused(f"{where} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(before.st_mode):
        raise ExtractRefused(f"{where} is a directory, not a file (listed in {MANIFEST_NAME} for table {entry.table})")
    if not stat.S_ISREG(before.st_mode):
        raise ExtractRefused(f"{where} is not a regular file (a pipe or device?); raw data must be a file")
    try:
        # O_NONBLOCK: a file swapped for a pipe after the stat must not hang the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise ExtractRefused(f"{where} cannot be read: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ExtractRefused(f"{where} file changed while the extract was checked")
    return OpenFile(entry, fd, st)


def _lone_cr(block: bytes, carry_cr: bool) -> int | None:
    """Position of the first carriage return in ``block`` that is not part of a CRLF.

    -1 when the previous block ended with a CR and this one does not start with LF; None when
    there is none (a CR at the very end of the block is judged with the next block).
    """
    if carry_cr and not block.startswith(b"\n"):
        return -1
    trailing = block.endswith(b"\r")
    if block.count(b"\r") == block.count(b"\r\n") + trailing:  # the common case: CRLF only
        return None
    match = re.search(rb"\r(?!\n)", block[:-1] if trailing else block)
    return None if match is None else match.start()


def _refuse_lone_cr(entry: FileEntry, block: bytes, pos: int, lines: int, seen_lf: bool) -> None:
    """DuckDB's reader takes a lone CR for a line end of its own: line numbers (and with CR-only
    line ends the header) would be wrong, so the file is refused with the line it is on."""
    if not seen_lf and b"\n" not in block:
        raise ExtractRefused(f"{entry.name}: line ends are CR only (old Mac format); the spec requires LF or CRLF")
    line = lines + 1 + (block.count(b"\n", 0, pos) if pos > 0 else 0)
    raise ExtractRefused(
        f"{entry.name}: file line {line} holds a carriage return (CR) that is not part of a CRLF line end; "
        "the spec requires LF or CRLF line ends"
    )


def _hash_and_scan(f: OpenFile, chunk: int = 1 << 20) -> str:
    """SHA-256 of an open file; for CSV also the byte-level checks DuckDB's reader cannot make.

    A CSV must not start like a file of another kind (Parquet, gzip, ZIP, UTF-16), must not
    contain byte 0x01 (the reader splits lines on it and would cut the line silently) and its
    line ends must be LF or CRLF. The scan costs a few byte counts per MiB next to the hash.
    """
    entry = f.entry
    h = hashlib.sha256()
    lines, carry_cr, seen_lf, first = 0, False, False, True
    plain = entry.fmt == "csv"
    offset = 0
    while True:
        block = os.pread(f.fd, chunk, offset)
        if not block:
            break
        offset += len(block)
        h.update(block)
        if entry.fmt == "parquet":
            if first and not block.startswith(b"PAR1"):
                raise ExtractRefused(
                    f"{entry.name}: not a Parquet file (it does not start with the Parquet magic bytes PAR1)"
                )
            first = False
            continue
        if first:
            for magic, what in _MAGIC:
                if block.startswith(magic):
                    raise ExtractRefused(f"{entry.name}: file is {what}, not ';'-separated UTF-8 text as its name says")
            first = False
        if plain and not (block.isascii() and _NOT_PLAIN_ASCII.search(block) is None):
            plain = False
        if b"\x01" in block:
            pos = block.index(b"\x01")
            line = lines + block.count(b"\n", 0, pos) + 1
            raise ExtractRefused(f"{entry.name}: file line {line} holds the control byte 0x01; the file is not text")
        if carry_cr or b"\r" in block:
            pos = _lone_cr(block, carry_cr)
            if pos is not None:
                _refuse_lone_cr(entry, block, pos, lines, seen_lf)
            carry_cr = block.endswith(b"\r")
        n = block.count(b"\n")
        lines += n
        seen_lf = seen_lf or n > 0
    if carry_cr:  # the file ends with a CR that no LF follows
        _refuse_lone_cr(entry, b"", -1, lines, seen_lf)
    f.plain = plain
    return h.hexdigest()


def check_files(manifest: Manifest, progress: bool = True) -> Delivery:
    """Open every listed file, check it is a regular file and matches its SHA-256 checksum.

    Returns the open files (a :class:`Delivery`): readers must read them through
    :meth:`Delivery.source`, and the caller closes it.

    Raises
    ------
    ExtractRefused
        A file is missing, not a regular file, unreadable, of another kind than its name says,
        or its checksum differs from the manifest; a CSV holds a lone CR or a 0x01 byte.
    """
    from tqdm.auto import tqdm

    delivery = Delivery()
    try:
        entries = list(manifest.files.values())
        for entry in tqdm(entries, desc="checksums", unit="file", disable=not progress, leave=False):
            opened = _open(entry)
            delivery.files[entry.table] = opened
            actual = _hash_and_scan(opened)
            if actual != entry.sha256:
                raise ExtractRefused(
                    f"{entry.name}: SHA-256 checksum does not match {MANIFEST_NAME} "
                    f"(expected {entry.sha256[:12]}…, file has {actual[:12]}…)"
                )
        seen: dict[tuple[int, int], str] = {}
        for table, f in delivery.files.items():  # hard links: one file under two names
            key = (f.stat.st_dev, f.stat.st_ino)
            if key in seen:
                raise ExtractRefused(
                    f"{MANIFEST_NAME}: files.{seen[key]} and files.{table} name the same file "
                    f"({f.entry.name} is a link to {manifest.files[seen[key]].name}); every table needs its own file"
                )
            seen[key] = table
    except BaseException:
        delivery.close()
        raise
    return delivery
