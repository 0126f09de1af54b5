"""A result cache for the analyses, so ``kpz report`` reuses what ``kpz prevalence``,
``kpz transition`` and ``kpz landscape`` computed on the same warehouse with the same parameters.

The analyses are deterministic: a result depends only on the warehouse, the parameters and the
code (package, SQL, code lists, library versions). An entry is therefore keyed on all of them:

* the warehouse's identity: every column of ``meta_extract`` (extract id, manifest checksum,
  ``ingested_at`` — new at every build — package version and git commit of the build) plus the
  file's inode, size and modification time, so a rebuilt or modified warehouse never matches;
* the analysis name and every argument that can change a number (validated parameters, alpha,
  switches; a file argument by its content), never ``progress``;
* the package version, a SHA-256 of every file of the package and of ``sql/`` (code, code lists,
  reference tables, SQL), the versions of the libraries that compute (``provenance.LIBRARIES``)
  and the cache format.

Entries live next to the warehouse: ``data/processed/<warehouse>.results/<analysis>-<key>.pkl``
(derived data, inside the secure environment like the warehouse; never published). They hold
the result tables, headline, metadata and warnings; the person-level parts of a result (the
cohort's panel, the case table) are not stored: in a result read from the cache they are a
placeholder that says so when used (compute with ``cache=False`` to get them). An entry is a
pickle behind a header with its key and the SHA-256 of its bytes; an entry that is truncated,
corrupt, unreadable or holds another key is recomputed and rewritten, never an error. Entries
are written to a temporary file and renamed, so parallel notebooks never read half an entry;
entries of earlier builds of the warehouse are removed when a new one is written.

Only a warehouse file opened read-only (``warehouse.connect``, the default) is cached: nothing
can change it while it is open. In-memory and writable connections always compute. ``KPZ_CACHE=0``
switches the cache off (``config.result_cache_enabled``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, TypeVar

import duckdb

from .. import __version__, config, provenance
from ..errors import KpzError
from ..warehouse.connect import extract_meta, warehouse_file

#: Bumped when the layout of an entry changes (old entries then simply miss).
FORMAT = 1
_MAGIC = b"kpz-result-cache\n"
#: Directory suffix next to the warehouse file: ``<stem>.results/``.
SUFFIX = ".results"

R = TypeVar("R")


class NotCached:
    """Placeholder for a person-level part of a result that the cache does not store.

    Any use (attribute, item, length, iteration) raises a one-line :class:`KpzError` naming the
    part and how to get it.
    """

    def __init__(self, name: str):
        self._name = name

    def _refuse(self):
        raise KpzError(
            f"{self._name} is person-level data that the result cache does not keep; compute with "
            "cache=False (or KPZ_CACHE=0) to get it")

    def __getattr__(self, attr):
        if attr.startswith("__"):  # pickle and copy probe dunders: behave like a plain object
            raise AttributeError(attr)
        self._refuse()

    def __getitem__(self, item):
        self._refuse()

    def __len__(self):
        self._refuse()

    def __iter__(self):
        self._refuse()

    def __repr__(self) -> str:
        return f"NotCached({self._name!r})"

    def __reduce__(self):
        return (NotCached, (self._name,))


# --------------------------------------------------------------------------- the key
def _canonical(value: Any) -> Any:
    """A JSON-able form of an argument that differs whenever the argument can change a result."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__class__": type(value).__qualname__,
                **{f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, Path):
        # a file argument counts by its content as well as its name
        digest = hashlib.sha256(value.read_bytes()).hexdigest() if value.is_file() else None
        return {"path": str(value), "sha256": digest}
    if isinstance(value, float):
        return repr(value)  # exact: 0.05 and 0.050000000000000003 are one float, 0.1 is not 0.10000001
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"result cache: cannot key an argument of type {type(value).__name__}")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over every file of the package and of ``sql/``: code, code lists, reference tables.

    Any edit to what computes a result changes it. Computed once per process (a notebook kernel
    or a command), which is also how long imported code stays the same.
    """
    h = hashlib.sha256()
    for root in (config.PACKAGE_DIR, config.SQL_DIR):
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(str(path.relative_to(root)).encode())
                h.update(b"\0")
                h.update(path.read_bytes())
                h.update(b"\0")
    return h.hexdigest()


def warehouse_identity(con: duckdb.DuckDBPyConnection, path: Path) -> dict:
    """What identifies one build of the warehouse: its ``meta_extract`` row and its file."""
    st = path.stat()
    return {"meta_extract": _canonical({k: v if isinstance(v, (str, int, float, type(None))) else str(v)
                                        for k, v in extract_meta(con).items()}),
            "file": {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}}


def cache_key(con: duckdb.DuckDBPyConnection, path: Path, analysis: str, arguments: dict) -> dict:
    """The full key of one result (see the module docstring)."""
    return {
        "format": FORMAT,
        "analysis": analysis,
        "arguments": _canonical(arguments),
        "warehouse": warehouse_identity(con, path),
        "package_version": __version__,
        "code_sha256": code_digest(),
        "libraries": {name: provenance.package_version(name) for name in provenance.LIBRARIES},
    }


def _digest(obj: dict) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def cache_dir(path: Path) -> Path:
    """Directory of the entries of the warehouse file ``path``."""
    return path.with_name(path.name + SUFFIX) if path.suffix != ".duckdb" else path.with_suffix(SUFFIX)


def entry_path(path: Path, key: dict) -> Path:
    """File of the entry with ``key`` of the warehouse file ``path``."""
    build = _digest(key["warehouse"])[:12]
    return cache_dir(path) / f"{key['analysis']}-{build}-{_digest(key)[:24]}.pkl"


# --------------------------------------------------------------------------- read and write
def read_entry(file: Path, key: dict) -> Any | None:
    """The stored result of ``file`` when it is intact and holds ``key``; None otherwise."""
    try:
        blob = file.read_bytes()
    except OSError:
        return None
    try:
        if not blob.startswith(_MAGIC):
            return None
        header, _, payload = blob[len(_MAGIC):].partition(b"\n")
        meta = json.loads(header)
        if meta.get("key") != key or meta.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - anything wrong with an entry means: recompute it
        return None


def write_entry(file: Path, key: dict, value: Any) -> bool:
    """Store ``value`` under ``key`` atomically; False (and nothing written) when that fails.

    Entries of other builds of the same warehouse for the same analysis are removed.
    """
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        header = json.dumps({"key": key, "sha256": hashlib.sha256(payload).hexdigest()},
                            sort_keys=True).encode()
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_MAGIC + header + b"\n" + payload)
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return False
    analysis, build = file.name.split("-")[:2]
    for old in file.parent.glob(f"{analysis}-*.pkl"):
        if old.name.split("-")[1] != build:
            old.unlink(missing_ok=True)
    return True


def without(result: R, person_level: dict[str, tuple[str, ...]]) -> R:
    """A copy of ``result`` with person-level fields replaced by :class:`NotCached`.

    ``person_level`` maps a field of the result to the fields of that field to drop (an empty
    tuple: drop the field itself), e.g. ``{"cohort": ("persons", "grid", "use")}``.
    """
    changes = {}
    for name, inner in person_level.items():
        if inner:
            part = getattr(result, name)
            changes[name] = dataclasses.replace(
                part, **{f: NotCached(f"result.{name}.{f}") for f in inner})
        else:
            changes[name] = NotCached(f"result.{name}")
    return dataclasses.replace(result, **changes)


def cached(con: duckdb.DuckDBPyConnection, analysis: str, arguments: dict, compute: Callable[[], R],
           person_level: dict[str, tuple[str, ...]], enabled: bool | None = None) -> R:
    """``compute()``, or its stored result for the same warehouse build, arguments and code.

    Parameters
    ----------
    con : the warehouse connection the analysis runs on.
    analysis : name of the analysis (first part of the entry's file name).
    arguments : every argument that can change the result (not ``progress``).
    compute : computes the result (a dataclass) when there is no valid entry.
    person_level : what of the result is not stored (see :func:`without`).
    enabled : force the cache on or off; None follows ``KPZ_CACHE`` (on by default).

    A fresh result is returned whole; a stored one without its person-level parts.
    """
    if enabled is None:
        enabled = config.result_cache_enabled()
    path = warehouse_file(con) if enabled else None
    if path is None:
        return compute()
    key = cache_key(con, path, analysis, arguments)
    file = entry_path(path, key)
    hit = read_entry(file, key)
    if hit is not None:
        return hit
    result = compute()
    write_entry(file, key, without(result, person_level))
    return result
